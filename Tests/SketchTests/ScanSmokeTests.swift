import Codegen
import XCTest

final class ScanSmokeTests: XCTestCase {
  func testRNNMatchesUnrolledAndGradient() throws {
    let T = 4
    let B = 2
    let I = 3
    let D = 5
    func rnd(_ shape: [Int], _ seed: UInt64) -> Tensor {
      Random.normal(key: RandomKey(seed: seed), shape: shape, dtype: .float64, std: 0.5)
    }
    let xs0 = rnd([T, B, I], 1)
    let W0 = rnd([I, D], 2)
    let U0 = rnd([D, D], 3)
    let h00 = rnd([B, D], 4)
    try checkGradient(at: [xs0, W0, U0, h00]) { v in
      let r = scan(sequences: ["x": v[0]], carries: ["h": v[3]]) { s in
        let h = tanh(matmul(s["x"], v[1]) + matmul(s["h"], v[2]))
        return ScanStepResult(carries: ["h": h], outputs: ["h": h, "sq": h * h])
      }
      return r["h"].sum() + r["sq"] * 0.5 + r.final["h"].sum(axes: [0])
    }
    // value check against unrolled
    let xs = input("xs", .float64, ["T", .fixed(B), .fixed(I)])
    let W = shared(W0, name: "W")
    let U = shared(U0, name: "U")
    let h0 = input("h0", .float64, [.fixed(B), .fixed(D)])
    let r = scan(sequences: ["x": xs], carries: ["h": h0]) { s in
      let h = tanh(matmul(s["x"], W) + matmul(s["h"], U))
      return ScanStepResult(carries: ["h": h], outputs: ["h": h])
    }
    var h = h0
    var unrolled: [Var] = []
    for t in 0..<T {
      h = tanh(matmul(xs[t], W) + matmul(h, U))
      unrolled.append(h)
    }
    let f = try compile(inputs: [xs, h0], outputs: [r["h"], stack(unrolled)])
    let out = try f(xs0, h00)
    XCTAssertEqual(out[0].shape, [T, B, D])
    for (a, b) in zip(out[0].doubles, out[1].doubles) { XCTAssertEqual(a, b, accuracy: 1e-12) }
    print(debugprint(r["h"]))
    for policy in [ScanPolicy.store, .storeAll, .recompute] {
      for rev in [false, true] {
        try checkGradient(at: [xs0, W0, U0, h00]) { v in
          let r = scan(
            sequences: ["x": v[0]], carries: ["h": v[3]], constants: ["U": v[2]], reverse: rev, policy: policy
          ) { s in
            let h = tanh(matmul(s["x"], v[1]) + matmul(s["h"], s["U"]))
            return ScanStepResult(carries: ["h": h], outputs: ["h": h])
          }
          let r2 = scan(sequences: ["x": r["h"]], carries: ["h": v[3]], policy: policy) { s in
            let h = sigmoid(s["x"] + matmul(s["h"], v[2]))
            return ScanStepResult(carries: ["h": h], outputs: ["h": h])
          }
          return r2["h"]
        }
      }
    }
  }
}
