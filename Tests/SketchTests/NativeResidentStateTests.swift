import Codegen
import Foundation
import TestSupport
import XCTest

/// Shared variables stay in a native program's buffers across calls (resident state): they are copied
/// in only when changed from Swift and copied out only when Swift reads them. Each case is checked
/// against the interpreter running the same updates on variables of its own.
final class NativeResidentStateTests: XCTestCase {
  /// A step of gradient descent on a least-squares cost; returns the function and its variables.
  func descent(_ mode: Mode) throws -> (Function, SharedVariable, SharedVariable) {
    let x = input("x", .float64, ["N", 3])
    let y = input("y", .float64, ["N"])
    let w = shared(Tensor([0.5, -0.25, 1.0]), name: "w")
    let b = shared(Tensor(scalar: 0.1), name: "b")
    let err = matmul(x, reshape(w, [3, 1])).reshape([-1]) + b - y
    let cost = mean(square(err))
    let g = try grad(cost, wrt: [w, b])
    let f = try compile(
      inputs: [x, y], outputs: [cost], updates: [(w, w - 0.1 * g[0]), (b, b - 0.1 * g[1])], mode: mode)
    return (f, w.sharedVariable!, b.sharedVariable!)
  }

  func testUpdatesAcrossCallsMatchTheInterpreter() throws {
    var rng = SeededGenerator(seed: 7)
    let xs = rng.tensor([5, 3])
    let ys = rng.tensor([5])
    let (fn, wn, bn) = try descent(.native)
    let (fi, wi, bi) = try descent(.interpreter)
    XCTAssertEqual(fn.backend, .native)
    for step in 0..<6 {
      let cn = try fn(xs, ys)[0].scalarValue
      let ci = try fi(xs, ys)[0].scalarValue
      XCTAssertEqual(cn, ci, accuracy: 1e-12, "cost at step \(step)")
      if step == 2 {
        // Reading the value copies it out; it does not change it or its version.
        let v = wn.version
        assertClose(wn.value.doubles, wi.value.doubles, tol: 1e-12)
        XCTAssertEqual(wn.version, v)
      }
    }
    assertClose(wn.value.doubles, wi.value.doubles, tol: 1e-12)
    XCTAssertEqual(bn.value.scalarValue, bi.value.scalarValue, accuracy: 1e-12)
    // A value set from Swift is copied in at the next call.
    try wn.set(Tensor([1.0, 2.0, 3.0]))
    try wi.set(Tensor([1.0, 2.0, 3.0]))
    XCTAssertEqual(try fn(xs, ys)[0].scalarValue, try fi(xs, ys)[0].scalarValue, accuracy: 1e-12)
    assertClose(wn.value.doubles, wi.value.doubles, tol: 1e-12)
  }

  func testTwoFunctionsShareAVariable() throws {
    let s = shared(Tensor([1.0, 2.0]), name: "s")
    let bump = try compile(inputs: [], outputs: [sum(s)], updates: [(s, s * 2 + 1)], mode: .native)
    let read = try compile(inputs: [], outputs: [s * 10], mode: .native)
    XCTAssertEqual(try bump()[0].scalarValue, 3)  // the value before the update
    XCTAssertEqual(try read()[0].doubles, [30, 50])  // the update made by the other program
    XCTAssertEqual(try bump()[0].scalarValue, 8)
    XCTAssertEqual(try read()[0].doubles, [70, 110])
    XCTAssertEqual(s.sharedVariable!.value.doubles, [7, 11])
  }

  func testSimultaneousSwapAndAFunctionThatIsGone() throws {
    let a = shared(Tensor([1.0, 2.0]), name: "a")
    let b = shared(Tensor([5.0, 7.0]), name: "b")
    do {
      let swap = try compile(inputs: [], outputs: [a + b], updates: [(a, b), (b, a)], mode: .native)
      XCTAssertEqual(try swap()[0].doubles, [6, 9])
      XCTAssertEqual(try swap()[0].doubles, [6, 9])
      let step = try compile(inputs: [], outputs: [], updates: [(a, a + b), (b, a)], mode: .native)
      _ = try step()  // a := a + b = [6, 9], b := a = [1, 2]: both from the values before the call
    }
    // The functions are gone; the values they hold are still read.
    XCTAssertEqual(a.sharedVariable!.value.doubles, [6, 9])
    XCTAssertEqual(b.sharedVariable!.value.doubles, [1, 2])
  }

  func testAnUpdateOfAVariableTheFunctionDoesNotRead() throws {
    let s = shared(Tensor([0.0, 0.0]), name: "s")
    let x = input("x", .float64, [2])
    let f = try compile(inputs: [x], outputs: [sum(x)], updates: [(s, x * 3)], mode: .native)
    XCTAssertEqual(try f(Tensor([1.0, 2.0]))[0].scalarValue, 3)
    XCTAssertEqual(s.sharedVariable!.value.doubles, [3, 6])
  }
}
