import Codegen
import Foundation
import SketchFiles
import XCTest

@testable import Sketch

/// The full handwriting training cost (2 LSTM layers + mixture density, masked batch) against the
/// reference values of shared/peers (JAX, float64), and through the gradient checker.
final class HandwritingCostTests: XCTestCase {
  struct Fixture {
    var params: [String: Tensor] = [:]
    var x: Tensor
    var mask: Tensor
    var expected: [String: Tensor] = [:]
  }

  func loadFixture() throws -> Fixture {
    let dir = Bundle.module.url(forResource: "Fixtures", withExtension: nil)!
    let inp = try HDF5File.open(dir.appendingPathComponent("peers_small_in.h5").path)
    defer { try? inp.close() }
    var f = Fixture(x: try inp.read("x"), mask: try inp.read("mask"))
    for n in try inp.members() where n != "x" && n != "mask" { f.params[n] = try inp.read(n) }
    let out = try HDF5File.open(dir.appendingPathComponent("peers_small_expected.h5").path)
    defer { try? out.close() }
    for n in try out.members() { f.expected[n] = try out.read(n) }
    return f
  }

  static let layerNames = ["lstm0_W", "lstm0_U", "lstm0_b", "lstm1_W", "lstm1_U", "lstm1_b", "out_W", "out_b"]

  /// The peers' model is ours with depth 2, no skip, LSTM; its parameters in our order.
  func model(_ p: [Var], M: Int) -> HandwritingModel {
    let config = ModelConfig(depth: 2, dim: p[1].shape[0].fixedValue!, mixDim: M, epsilon: 1e-5)
    return HandwritingModel(config: config, variables: p)
  }

  func testCostAndGradientsMatchPeersReference() throws {
    let f = try loadFixture()
    let M = (f.params["out_b"]!.shape[0] - 1) / 6
    let params = Self.layerNames.map { shared(f.params[$0]!, name: $0) }
    let x = input("x", .float64, ["T1", "B", 3])
    let mask = input("mask", .float64, ["T", "B"])
    let (cost, nll, _) = model(params, M: M).cost(strokes: x, mask: mask)
    let grads = try grad(cost, wrt: params)
    let fn = try compile(inputs: [x, mask], outputs: [cost, nll] + grads)
    let out = try fn(f.x, f.mask)
    XCTAssertEqual(out[0].scalarValue, f.expected["cost"]!.scalarValue, accuracy: 1e-10)
    XCTAssertEqual(out[1].shape, f.expected["nll"]!.shape)
    // Past a sequence's end the scan freezes the carries (the reference does not), so the per-step
    // NLL agrees on valid steps; the cost and gradients, which only count valid steps, agree exactly.
    for (i, (a, b)) in zip(out[1].doubles, f.expected["nll"]!.doubles).enumerated() where f.mask.doubles[i] == 1 {
      XCTAssertEqual(a, b, accuracy: 1e-10)
    }
    // Without the mask in the loop, every step agrees.
    let unmasked = try compile(inputs: [x], outputs: [model(params, M: M).cost(strokes: x, mask: nil).nll])
    for (a, b) in zip(try unmasked(f.x)[0].doubles, f.expected["nll"]!.doubles) {
      XCTAssertEqual(a, b, accuracy: 1e-10)
    }
    for (k, name) in Self.layerNames.enumerated() {
      let want = f.expected["grad.\(name)"]!
      XCTAssertEqual(out[2 + k].shape, want.shape, name)
      let maxErr = zip(out[2 + k].doubles, want.doubles).map { Swift.abs($0 - $1) }.max()!
      XCTAssertLessThan(maxErr, 1e-10, "gradient of \(name)")
    }
  }

  func testCostPassesGradientChecker() throws {
    let f = try loadFixture()
    let M = (f.params["out_b"]!.shape[0] - 1) / 6
    let points = Self.layerNames.map { f.params[$0]! } + [f.x]
    let mask = f.mask
    try checkGradient(at: points, directions: 2, names: Self.layerNames + ["x"]) { v in
      self.model(Array(v[0..<8]), M: M).cost(strokes: v[8], mask: constant(mask)).cost
    }
  }
}
