import Foundation
import XCTest

@testable import Codegen
@testable import Sketch

/// Golden snapshots of the C the native backend generates (after the prelude, which is the scalar
/// header and the fixed helpers) for a small LSTM training step with Adam and for its sampler, in
/// Snapshots/native-*.txt: a refactor that changes emitted code shows it. Re-record after an intended
/// change with RECORD_SNAPSHOTS=1 (and read the diff).
final class NativeSnapshotTests: XCTestCase {
  let config = ModelConfig(depth: 1, dim: 8, mixDim: 2, uniform: 0.08)

  func body(_ graph: FunctionGraph) throws -> String {
    let (optimized, _) = try optimize(graph, options: .default)
    let c = try generatedC(for: optimized)
    XCTAssertTrue(c.hasPrefix(CPrelude.text), "every unit starts with the prelude")
    // Capture names carry process-wide variable ids (`constant#1175`): normalised as in
    // OptimizerSnapshotTests.
    return String(c.dropFirst(CPrelude.text.count))
      .replacingOccurrences(of: #"#[0-9]+"#, with: "#N", options: .regularExpression)
  }

  func testTrainingStepC() throws {
    let model = HandwritingModel(config: config, seed: 0)
    let c = try body(try TrainingGraphs(model: model, rule: .adam(learningRate: 1e-3), maxGrad: 10).train.graph)
    XCTAssertTrue(c.contains("int sk_main("))
    assertSnapshot(c, named: "native-lstm-train")
  }

  func testSamplerC() throws {
    let model = HandwritingModel(config: config, seed: 0)
    let c = try body(try compileSampler(model: model, steps: 20, batch: 2).graph)
    XCTAssertTrue(c.contains("sk_categorical_f32") || c.contains("sk_uniform"), "the sampler draws")
    assertSnapshot(c, named: "native-lstm-sampler")
  }
}
