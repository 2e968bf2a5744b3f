import ArgumentParser
import Codegen
import Foundation
import XCTest

@testable import Sketch

/// Graves' recipe (issue 14, point 2): LSTM peepholes (gradient check, actually used, zero ones change
/// nothing), derivative clipping (clipGradient nodes in the loops, gradients bounded), graves-rmsprop,
/// and `--graves` setting all three; old model configs still load as prediction models.
final class GravesRecipeTests: XCTestCase {
  /// Random float64 strokes [T+1, B, 3] with pen flags 0/1, times `scale` for the offsets.
  func strokes(T: Int, B: Int, seed: UInt64, scale: Double = 1) -> Tensor {
    let n = Random.normal(key: RandomKey(seed: seed), shape: [T + 1, B, 3], dtype: .float64).array(Double.self)
    return Tensor(shape: [T + 1, B, 3], n.enumerated().map { i, v in i % 3 == 2 ? (v > 1 ? 1 : 0) : v * scale })
  }

  /// Random float64 values for every parameter of `config` (std 0.3).
  func points(_ config: ModelConfig) -> [Tensor] {
    Network.parameterShapes(config).enumerated().map { k, s in
      Random.normal(key: RandomKey(seed: 70 + UInt64(k)), shape: s.1, dtype: .float64, std: 0.3)
    }
  }

  let mask = Tensor(shape: [4, 2], [1.0, 1, 1, 1, 1, 0, 1, 0])

  func testPeepholeParametersAreNamedShapedAndListedLast() {
    let c = ModelConfig(depth: 2, dim: 5, mixDim: 2, peepholes: true)
    let names = HandwritingModel.parameterShapes(c).map(\.0)
    XCTAssertEqual(Array(names.suffix(2)), ["transition/layer0/peephole", "transition/layer1/peephole"])
    XCTAssertEqual(HandwritingModel.parameterShapes(c).last?.1, [15])
    // The other parameters are initialised as without peepholes, and the peepholes are zero.
    let with = HandwritingModel(config: c, seed: 4)
    var off = c
    off.peepholes = false
    let without = HandwritingModel(config: off, seed: 4)
    for (name, v) in without.parameters {
      XCTAssertEqual(with.param(name).sharedVariable!.value, v.sharedVariable!.value, name)
    }
    XCTAssertTrue(with.param("transition/layer1/peephole").sharedVariable!.value.doubles.allSatisfy { $0 == 0 })
  }

  func testGradientCheckOfAnLSTMLayerWithPeepholes() throws {
    let c = ModelConfig(depth: 1, dim: 3, mixDim: 2, peepholes: true)
    try checkGradient(at: points(c) + [strokes(T: 4, B: 2, seed: 7)], directions: 2) { v in
      HandwritingModel(config: c, variables: Array(v.dropLast())).cost(strokes: v.last!, mask: constant(self.mask)).cost
    }
  }

  func testGradientCheckOfTheSynthesisNetworkWithPeepholes() throws {
    let c = ModelConfig(
      depth: 2, dim: 3, mixDim: 2, peepholes: true, synthesis: true, window: 2, alphabet: [97, 98, 99])
    let chars = constant(Tensor(shape: [2, 3], [Int32(0), 2, 1, 1, 0, 0]))
    let cmask = constant(Tensor(shape: [2, 3], [1.0, 1, 1, 1, 1, 0]))
    try checkGradient(at: points(c) + [strokes(T: 4, B: 2, seed: 8)], directions: 2) { v in
      SynthesisModel(
        depth: 2, dim: 3, window: 2, mixture: 2, alphabet: 3, epsilon: 1e-5, peepholes: true,
        variables: Array(v.dropLast())
      ).cost(strokes: v.last!, mask: constant(self.mask), chars: chars, cmask: cmask).cost
    }
  }

  /// The cost of the prediction model with these values, on fixed strokes.
  func cost(_ c: ModelConfig, _ values: [Tensor]) throws -> Double {
    let x = strokes(T: 4, B: 2, seed: 9)
    let model = HandwritingModel(config: c, variables: values.map { constant($0) })
    return try compile(inputs: [], outputs: [model.cost(strokes: constant(x), mask: constant(mask)).cost])()[0]
      .scalarValue
  }

  func testPeepholeWeightsAreUsed() throws {
    let c = ModelConfig(depth: 2, dim: 3, mixDim: 2, peepholes: true)
    var values = points(c)
    let k = Network.parameterShapes(c).firstIndex { $0.0 == "transition/layer0/peephole" }!
    values[k] = Tensor(shape: [9], [Double](repeating: 0, count: 9))
    values[k + 1] = values[k]
    var off = c
    off.peepholes = false
    let plain = try cost(off, Array(values.prefix(k)))
    // Zero peepholes compute the model without them; a nonzero one (any of i, f, o) changes the cost.
    XCTAssertEqual(try cost(c, values), plain, accuracy: 1e-12)
    for gate in 0..<3 {
      var v = values
      var p = [Double](repeating: 0, count: 9)
      p[gate * 3 + 1] = 0.7
      v[k] = Tensor(shape: [9], p)
      XCTAssertGreaterThan(Swift.abs(try cost(c, v) - plain), 1e-6, "peephole of gate \(gate)")
    }
  }

  /// Counts the `clipGradient[lo,hi]` nodes of the graph of `outputs`, loop bodies included.
  func clipNodes(_ outputs: [Var], low: Double, high: Double) throws -> Int {
    try FunctionGraph.of(outputs).dot(name: "g").components(separatedBy: "clipGradient[\(low),\(high)]").count - 1
  }

  func testDerivativeClippingPutsClipGradientOnTheReadoutAndEveryGateInsideTheLoops() throws {
    let x = input("x", .float32, ["T1", "B", 3])
    let m = input("m", .float32, ["T", "B"])
    var model = HandwritingModel(config: ModelConfig(depth: 2, dim: 4, mixDim: 2), seed: 0)
    XCTAssertEqual(try clipNodes([model.cost(strokes: x, mask: m).cost], low: -10, high: 10), 0)
    model.derivativeClipping = true
    let cost = model.cost(strokes: x, mask: m).cost
    XCTAssertEqual(try clipNodes([cost], low: -100, high: 100), 1, "the readout")
    XCTAssertEqual(try clipNodes([cost], low: -10, high: 10), 2, "one per layer's loop body (the whole gate vector)")
    var peep = HandwritingModel(config: ModelConfig(depth: 2, dim: 4, mixDim: 2, peepholes: true), seed: 0)
    peep.derivativeClipping = true
    XCTAssertEqual(try clipNodes([peep.cost(strokes: x, mask: m).cost], low: -10, high: 10), 8, "each gate, 2 layers")
    // The synthesis network: both layers' gates inside its one loop, and its readout.
    let c = ModelConfig(depth: 2, dim: 4, mixDim: 2, synthesis: true, window: 2, alphabet: [97, 98])
    guard case .synthesis(var s) = Network(config: c, seed: 0) else { return XCTFail() }
    s.derivativeClipping = true
    let chars = input("chars", .int32, ["B", "U"])
    let cmask = input("cmask", .float32, ["B", "U"])
    let sc = s.cost(strokes: x, mask: m, chars: chars, cmask: cmask).cost
    XCTAssertEqual(try clipNodes([sc], low: -100, high: 100), 1)
    XCTAssertEqual(try clipNodes([sc], low: -10, high: 10), 2)
  }

  func testDerivativeClippingBoundsTheGradientOfALargeCost() throws {
    // Targets 1e4 standard deviations away: the readout's derivatives are huge without clipping.
    let c = ModelConfig(depth: 1, dim: 3, mixDim: 2)
    let values = points(c)
    let x = strokes(T: 4, B: 2, seed: 9, scale: 1e4)
    func readoutBiasGradient(_ clip: Bool) throws -> [Double] {
      var model = HandwritingModel(config: c, variables: values.map { constant($0) })
      model.derivativeClipping = clip
      let b = model.param("readout/b")
      let cost = model.cost(strokes: constant(x), mask: constant(mask)).cost
      return try compile(inputs: [], outputs: try grad(cost, wrt: [b]))()[0].doubles
    }
    let free = try readoutBiasGradient(false)
    let clipped = try readoutBiasGradient(true)
    // d cost / d b = Σ over the T·B readout rows of d cost / d y, / B: each row's part is clamped to
    // 100 before the division, so |d/db| ≤ 100 · T·B / B = 400.
    XCTAssertGreaterThan(free.map(Swift.abs).max()!, 1e5, "the unclipped gradient is large")
    XCTAssertLessThanOrEqual(clipped.map(Swift.abs).max()!, 400)
    XCTAssertGreaterThan(clipped.map(Swift.abs).max()!, 50, "clipped, not zeroed")
  }

  func testGravesRMSpropHasGravesConstants() {
    XCTAssertEqual(
      StepMethod.gravesRMSprop.rule(learningRate: 1e-4),
      .gravesRMSprop(learningRate: 1e-4, decay: 0.95, momentum: 0.9, epsilon: 1e-4))
    XCTAssertEqual(StepMethod(rawValue: "graves-rmsprop"), .gravesRMSprop)
  }

  func testGravesFlagSetsTheThreeAndHisLearningRate() throws {
    let plain = try XCTUnwrap(try Train.parseAsRoot([]) as? Train)
    XCTAssertFalse(plain.modelConfig.peepholes)
    XCTAssertFalse(plain.clipsDerivatives)
    XCTAssertEqual(plain.stepMethod, .adam)
    let g = try XCTUnwrap(try Train.parseAsRoot(["--graves"]) as? Train)
    XCTAssertTrue(g.modelConfig.peepholes)
    XCTAssertTrue(g.clipsDerivatives)
    XCTAssertEqual(g.stepMethod, .gravesRMSprop)
    XCTAssertEqual(g.learningRate, StepMethod.gravesLearningRate)
    XCTAssertTrue(g.experimentName.hasSuffix("G10graves-rmspropPC"), g.experimentName)
    let lr = try XCTUnwrap(try Train.parseAsRoot(["--graves", "--lr", "0.003"]) as? Train)
    XCTAssertEqual(lr.learningRate, 0.003)
    let each = try XCTUnwrap(
      try Train.parseAsRoot(["--peepholes", "--derivative-clipping", "--step-method", "graves-rmsprop"]) as? Train)
    XCTAssertEqual(each.experimentName, g.experimentName)
    XCTAssertThrowsError(try Train.parseAsRoot(["--peepholes", "--GRU"]))
  }

  func testOldModelConfigsLoadAsPredictionModelsAndPredictionConfigsKeepTheOriginalKeys() throws {
    let old = "{\"depth\":2,\"dim\":9,\"mixDim\":2,\"gru\":false,\"skip\":true,\"top\":false,\"dropout\":0,"
      + "\"epsilon\":1e-5,\"uniform\":0}"
    let c = try JSONDecoder().decode(ModelConfig.self, from: Data(old.utf8))
    XCTAssertEqual(c, ModelConfig(depth: 2, dim: 9, mixDim: 2, skip: true))
    XCTAssertFalse(c.synthesis)
    XCTAssertFalse(c.peepholes)
    let keys = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(c.json().utf8)) as? [String: Any]).keys
    XCTAssertEqual(Set(keys), ["depth", "dim", "mixDim", "gru", "skip", "top", "dropout", "epsilon", "uniform"])
    let s = ModelConfig(depth: 1, dim: 4, mixDim: 2, synthesis: true, window: 3, alphabet: [32, 97])
    XCTAssertEqual(try JSONDecoder().decode(ModelConfig.self, from: Data(s.json().utf8)), s)
    XCTAssertTrue(s.json().contains("\"synthesis\":true"), s.json())
    XCTAssertTrue(s.json().contains("\"window\":3"), s.json())
    // A model file with the old config still reads, as a prediction model.
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-graves-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let m = HandwritingModel(config: c, seed: 1)
    var params: [String: Tensor] = [:]
    for (n, v) in m.parameters { params[n] = v.sharedVariable!.value }
    let path = dir.appendingPathComponent("old.h5").path
    try Checkpoint.write(
      .init(config: c, parameters: params, optimizerState: [:], training: TrainingSettings().json(),
        position: TrainingPosition(), experiment: "old"), to: path)
    let read = try Checkpoint.read(path)
    XCTAssertEqual(read.config, c)
    XCTAssertFalse(try TrainingSettings.fromJSON(read.training).clipsDerivatives)
    // Old training settings (no derivativeClipping key) decode with it off.
    XCTAssertNil(try TrainingSettings.fromJSON(TrainingSettings().json()).derivativeClipping)
  }

  /// The prediction network trained with Graves' recipe: the cost falls, the model file records the
  /// peepholes and the clipping, and a resumed run restores Graves' RMSprop state.
  func testPredictionTrainingWithGravesRecipe() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-graves-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let config = ModelConfig(depth: 1, dim: 6, mixDim: 2, peepholes: true)
    let settings = TrainingSettings(
      name: "g", epochs: 100, batchSize: 6, learningRate: 1e-3, maxLength: 30, maxGrad: 10, stepMethod: .gravesRMSprop,
      seed: 3, data: "memory", maxBatches: 40, testEvery: 20, sampleEvery: 100000, saveEvery: 20,
      derivativeClipping: true)
    let source = CircleSource(count: 40, batchSize: 6, seed: 1)
    let t = try Trainer(settings: settings, config: config, experiment: "g", folder: dir, output: { _ in })
    (t.sampleGrid, t.sampleSteps) = (1, 5)
    XCTAssertEqual(try t.run(source: source), .finished)
    let tests = TinyRun.metrics(dir).compactMap { $0["test_nll_per_point"] as? Double }
    XCTAssertEqual(tests.count, 8, "at steps 5, 10, ..., 40 (the epochs' ends)")
    XCTAssertLessThan(tests.last!, tests.first! - 0.1, "\(tests)")
    let saved = try Checkpoint.read(dir.appendingPathComponent("model.h5").path)
    XCTAssertTrue(saved.config.peepholes)
    XCTAssertTrue(try TrainingSettings.fromJSON(saved.training).clipsDerivatives)
    XCTAssertNotNil(saved.optimizerState["optimizer/delta/transition/layer0/peephole"])
    XCTAssertGreaterThan(saved.parameters["transition/layer0/peephole"]!.doubles.map(Swift.abs).max()!, 0)
    var more = settings
    more.maxBatches = 44
    let r = try Trainer(settings: more, config: config, experiment: "g", folder: dir, resume: saved, output: { _ in })
    (r.sampleGrid, r.sampleSteps) = (1, 5)
    XCTAssertEqual(try r.run(source: source), .finished)
    XCTAssertEqual(try Checkpoint.read(dir.appendingPathComponent("model.h5").path).position.step, 44)
  }
}
