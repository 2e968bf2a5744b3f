import Codegen
import Foundation
import XCTest

@testable import Graph

/// What the gradient of a scan stores under the default policy (`ScanPolicy.store`, a minimum cut of
/// the forward step): fewer bytes than every value the backward step reads (`storeAll`), the same
/// gradients, and the maximum flow it is found by.
final class ScanStoringTests: XCTestCase {
  typealias F = ScanFixtures
  let T = 4, B = 3, I = 2, H = 5

  /// The per-step values the forward loops keep for their gradients: their element counts per step.
  func storedSizes(_ policy: ScanPolicy) throws -> (sizes: [Int], values: [Tensor]) {
    let (xs, W, U, b, h0, c0) = F.lstmInputs(I: I, H: H)
    let r = F.lstmScan(xs, h0: h0, c0: c0, W: W, U: U, b: b, H: H, policy: policy)
    let cost = sum(r["h"] * r["h"]) + sum(r.final["c"])
    let grads = try grad(cost, wrt: [xs, W, U, b, h0, c0])
    let g = try FunctionGraph(inputs: [xs, W, U, b, h0, c0], outputs: grads)
    var sizes: [Int] = []
    for node in g.nodes {
      guard case .scan(let spec) = node.op, !spec.reverse else { continue }
      let stored = spec.bodyOutputs.dropFirst(spec.carryNames.count + spec.outputNames.count)
      sizes += stored.map { v in v.type.shape.dropFirst().reduce(1) { $0 * $1.fixedValue! } }
    }
    let args = [
      F.rnd([T, B, I], 1, std: 1), F.rnd([I, 4 * H], 2), F.rnd([H, 4 * H], 3), F.rnd([4 * H], 4),
      F.rnd([B, H], 5), F.rnd([B, H], 6),
    ]
    return (sizes.sorted(), try Interpreter.run(g, arguments: args))
  }

  /// An LSTM keeps its carries and the pre-activation [B, 4H]; the gates and tanh(c) (5 x [B, H]) are
  /// recomputed from them. The gradients are the same numbers (the same ops on the same values).
  func testLSTMStoresThePreActivationInsteadOfTheGates() throws {
    let (cut, a) = try storedSizes(.store)
    let (all, b) = try storedSizes(.storeAll)
    XCTAssertEqual(cut, [H, H, 4 * H], "h, c and the pre-activation (per row)")
    XCTAssertGreaterThanOrEqual(all.reduce(0, +), 7 * H, "h, c, the four gates, tanh(c) and more")
    XCTAssertLessThan(cut.reduce(0, +), all.reduce(0, +))
    for (p, q) in zip(a, b) { XCTAssertEqual(p.doubles, q.doubles) }
  }

  /// Edmonds-Karp on a textbook network (CLRS figure 26.1: maximum flow 23), and the cut nearest the
  /// sink, whose capacity is the flow.
  func testMaximumFlowAndTheCutNearestTheSink() {
    var f = FlowNetwork(vertices: 6)
    let edges = [(0, 1, 16), (0, 2, 13), (2, 1, 4), (1, 3, 12), (3, 2, 9), (2, 4, 14), (4, 3, 7), (3, 5, 20), (4, 5, 4)]
    for (a, b, c) in edges { f.add(a, b, c) }
    f.maximize(from: 0, to: 5)
    let t = f.reaching(5)
    let cut = edges.filter { !t[$0.0] && t[$0.1] }
    XCTAssertEqual(cut.reduce(0) { $0 + $1.2 }, 23)
    XCTAssertFalse(t[0], "the source is cut off")
  }

  /// A cheap value that is the only one read, and is smaller than what it is computed from, is stored
  /// itself; values computed from one they share are recomputed from it; the product under them is not
  /// stored when a value as small lies nearer the backward step.
  func testCutPrefersSmallValuesAndTheLeastRecomputation() {
    let x = input("x", .float64, [.fixed(4), .fixed(8)])
    let w = input("w", .float64, [.fixed(8), .fixed(8)])
    let product = matmul(x, w)
    let wide = exp(product)  // [4, 8]
    let narrow = sum(wide, axes: [1])  // [4]
    let a = tanh(wide)
    let b = wide * 2
    // What depends on x varies by step; the rest (w, the constant 2) the backward step has for free.
    var dependent = Set([ObjectIdentifier(x)])
    for v in topologicalOrder(narrow) + topologicalOrder(a) + topologicalOrder(b)
    where v.inputs.contains(where: { dependent.contains(ObjectIdentifier($0)) }) {
      dependent.insert(ObjectIdentifier(v))
    }
    let isFree = { (id: ObjectIdentifier) in !dependent.contains(id) }
    let isSlot = { (id: ObjectIdentifier) in id == ObjectIdentifier(x) }
    let keepNarrow = fewestStoredBytes(needed: [narrow], isFree: isFree, isSlot: isSlot)
    XCTAssertEqual(keepNarrow.map { ObjectIdentifier($0) }, [ObjectIdentifier(narrow)])
    let kept = fewestStoredBytes(needed: [a, b], isFree: isFree, isSlot: isSlot)
    XCTAssertEqual(kept.map { ObjectIdentifier($0) }, [ObjectIdentifier(wide)], "\(kept.map(\.op.name))")
    // Products are stored, never recomputed: tanh of a product keeps the product or the tanh.
    let t = tanh(product)
    for v in [product, t] { dependent.insert(ObjectIdentifier(v)) }
    let keptProduct = fewestStoredBytes(needed: [t, a], isFree: isFree, isSlot: isSlot)
    XCTAssertEqual(keptProduct.map { ObjectIdentifier($0) }, [ObjectIdentifier(product)])
  }
}
