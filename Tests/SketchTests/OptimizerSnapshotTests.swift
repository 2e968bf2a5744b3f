import Codegen
import Foundation
import TestSupport
import XCTest

/// Golden debugprint of a small LSTM graph (forward loop, cost, gradient loop) after optimization,
/// in Snapshots/optimized-lstm.txt. Re-record after an intended change with RECORD_SNAPSHOTS=1.
/// Capture names that carry process-wide variable ids (`name#123`) are normalised to `name#N`.
final class OptimizerSnapshotTests: XCTestCase {
  func testOptimizedLSTMDebugPrint() throws {
    let xs = input("xs", .float32, ["T", "B", 2])
    let W = shared(Tensor.zeros(.float32, [2, 12]), name: "W")
    let U = shared(Tensor.zeros(.float32, [3, 12]), name: "U")
    let b = shared(Tensor.zeros(.float32, [12]), name: "b")
    let zero = broadcast(constant(0, .float32), to: [.dim(xs, 1), 3])
    let gx = matmul(reshape(xs, [-1, 2]), W) + b
    let r = scan(sequences: ["gx": reshape(gx, [.dim(xs, 0), .dim(xs, 1), 12])], carries: ["h": zero, "c": zero]) { s in
      let g = s["gx"] + matmul(s["h"], U)
      let i = sigmoid(g[.all, SliceRange(start: 0, stop: 3)])
      let f = sigmoid(g[.all, SliceRange(start: 3, stop: 6)])
      let u = tanh(g[.all, SliceRange(start: 6, stop: 9)])
      let o = sigmoid(g[.all, SliceRange(start: 9, stop: 12)])
      let c = f * s["c"] + i * u
      let h = o * tanh(c)
      return ScanStepResult(carries: ["h": h, "c": c], outputs: ["h": h])
    }
    let cost = sum(square(r["h"]))
    let grads = try grad(cost, wrt: [W, U, b])
    let f = try compile(inputs: [xs], outputs: [cost] + grads, mode: .interpreter, optimizer: .all)
    let text = f.optimizedDescription.replacingOccurrences(of: #"#[0-9]+"#, with: "#N", options: .regularExpression)
    assertSnapshot(text, named: "optimized-lstm")
    // The snapshot's graph computes what the graph as built computes.
    let x = ScanFixtures.rnd([4, 2, 2], 1, dtype: .float32)
    let a = try f.call([x])
    let plain = try compile(inputs: [xs], outputs: [cost] + grads, mode: .interpreter, optimizer: .none).call([x])
    for (p, q) in zip(a, plain) { assertClose(p.doubles, q.doubles, tol: 1e-5, atol: 1e-6) }
  }
}
