import Codegen
import Foundation
import TestSupport
import XCTest

/// Values of the elementwise ops (unary, binary, comparisons, logical, select, cast) in float32 and
/// float64, against expectations computed here with Foundation math or written out by hand.
final class ElementwiseOpTests: XCTestCase {
  let floatTypes: [DType] = [.float32, .float64]

  /// Runs the unary builder `op` on `values` in `dtype` and compares with `f` applied in Double to the
  /// values the input actually holds.
  func checkUnary(
    _ name: String, _ op: (Var) -> Var, _ f: (Double) -> Double, _ values: [Double], dtype: DType,
    file: StaticString = #filePath, line: UInt = #line
  ) throws {
    let x = input("x", dtype, [2, .fixed(values.count / 2)])
    let arg = tensor([2, values.count / 2], values, dtype)
    let out = try evaluate1(op(x), [x], [arg])
    let expected = arg.doubles.map(f)
    assertTensor(
      out, dtype, [2, values.count / 2], expected, tol: tolerance(dtype), atol: tolerance(dtype) * 1e-3,
      "\(name) \(dtype)", file: file, line: line)
  }

  /// Every unary function (the switch is exhaustive, so a new one must be added here) against
  /// Foundation's maths.
  func testUnaryFunctionsMatchFoundationMath() throws {
    let general = [-2.5, -1.0, -0.3, 0.0, 0.4, 1.0, 3.7, 7.25]
    let positive = [0.01, 0.1, 0.5, 1.0, 2.0, 7.5, 10.0, 123.0]
    let aboveMinusOne = [-0.9, -0.5, -1e-3, 0.0, 1e-4, 0.5, 3.0, 40.0]
    for dtype in floatTypes {
      try checkUnary("-x", { -$0 }, { -$0 }, general, dtype: dtype)
      for f in UnaryFn.allCases {
        let name = f.name
        switch f {
        case .neg: try checkUnary(name, { neg($0) }, { -$0 }, general, dtype: dtype)
        case .abs: try checkUnary(name, { abs($0) }, { Swift.abs($0) }, general, dtype: dtype)
        case .exp: try checkUnary(name, { exp($0) }, { Foundation.exp($0) }, general, dtype: dtype)
        case .expm1:
          try checkUnary(name, { expm1($0) }, { Foundation.expm1($0) }, general + [1e-6, -1e-7], dtype: dtype)
        case .log: try checkUnary(name, { log($0) }, { Foundation.log($0) }, positive, dtype: dtype)
        case .log1p: try checkUnary(name, { log1p($0) }, { Foundation.log1p($0) }, aboveMinusOne, dtype: dtype)
        case .sqrt: try checkUnary(name, { sqrt($0) }, { Foundation.sqrt($0) }, positive, dtype: dtype)
        case .square: try checkUnary(name, { square($0) }, { $0 * $0 }, general, dtype: dtype)
        case .reciprocal: try checkUnary(name, { reciprocal($0) }, { 1 / $0 }, positive + [-2.0, -0.25], dtype: dtype)
        case .tanh: try checkUnary(name, { tanh($0) }, { Foundation.tanh($0) }, general, dtype: dtype)
        case .sigmoid:
          try checkUnary(name, { sigmoid($0) }, { 1 / (1 + Foundation.exp(-$0)) }, general + [-30, 30], dtype: dtype)
        case .softplus:
          try checkUnary(
            name, { softplus($0) }, { Foundation.log1p(Foundation.exp($0)) }, general + [-20, 25], dtype: dtype)
        case .sin: try checkUnary(name, { sin($0) }, { Foundation.sin($0) }, general, dtype: dtype)
        case .cos: try checkUnary(name, { cos($0) }, { Foundation.cos($0) }, general, dtype: dtype)
        case .sign, .floor, .logicalNot: continue  // by hand below: testPiecewiseConstant..., testLogicalNot
        }
      }
    }
  }

  func testPiecewiseConstantUnaryFunctionsByHand() throws {
    let values = [-2.5, -1.0, -0.3, -0.0, 0.0, 0.4, 1.0, 3.7]
    for dtype in floatTypes {
      let x = input("x", dtype, [8])
      let outs = try evaluate([sign(x), floor(x), abs(x)], [x], [tensor([8], values, dtype)])
      assertTensor(outs[0], dtype, [8], [-1, -1, -1, 0, 0, 1, 1, 1])
      assertTensor(outs[1], dtype, [8], [-3, -1, -1, 0, 0, 0, 1, 3])
      assertTensor(
        outs[2], dtype, [8],
        [2.5, 1, 0.3, 0, 0, 0.4, 1, 3.7].map { Double(dtype == .float32 ? Double(Float($0)) : $0) })
    }
  }

  func testStableFunctionsAtExtremes() throws {
    for dtype in floatTypes {
      let x = input("x", dtype, [4])
      let big = dtype == .float32 ? 80.0 : 700.0
      let mid = dtype == .float32 ? 50.0 : 100.0
      let arg = tensor([4], [-big, -mid, mid, big], dtype)
      let outs = try evaluate([sigmoid(x), softplus(x)], [x], [arg])
      XCTAssertFalse(outs[0].doubles.contains { $0.isNaN }, "\(dtype) sigmoid \(outs[0])")
      XCTAssertEqual(outs[0].doubles[3], 1)
      XCTAssertEqual(outs[0].doubles[2], 1)
      assertClose([outs[0].doubles[1]], [Foundation.exp(-mid)], tol: dtype == .float32 ? 1e-5 : 1e-12, atol: 0)
      // softplus(x) = x + log1p(exp(-x)) for large x: exactly x in floating point, never inf.
      XCTAssertEqual(outs[1].doubles[3], big)
      XCTAssertEqual(outs[1].doubles[2], mid)
      assertClose([outs[1].doubles[1]], [Foundation.exp(-mid)], tol: dtype == .float32 ? 1e-5 : 1e-12, atol: 0)
    }
  }

  func testLogicalNot() throws {
    let b = input("b", .bool, [4])
    let out = try evaluate([logicalNot(b), !b], [b], [Tensor([true, false, false, true])])
    XCTAssertEqual(out[0].array(Bool.self), [false, true, true, false])
    XCTAssertEqual(out[1].array(Bool.self), [false, true, true, false])
  }

  // MARK: - Binary

  func checkBinary(
    _ name: String, _ op: (Var, Var) -> Var, _ f: (Double, Double) -> Double, aShape: [Int], bShape: [Int],
    a: [Double], b: [Double], dtype: DType, resultDType: DType? = nil, file: StaticString = #filePath,
    line: UInt = #line
  ) throws {
    let x = input("a", dtype, aShape.map { .fixed($0) })
    let y = input("b", dtype, bShape.map { .fixed($0) })
    let ta = tensor(aShape, a, dtype)
    let tb = tensor(bShape, b, dtype)
    let out = try evaluate1(op(x, y), [x, y], [ta, tb])
    let (shape, expected) = broadcastExpected(ta.doubles, aShape, tb.doubles, bShape, f)
    let rd = resultDType ?? dtype
    assertTensor(
      out, rd, shape, expected, tol: rd.isFloatingPoint ? tolerance(dtype) : 0,
      "\(name) \(dtype) \(aShape)x\(bShape)", file: file, line: line)
  }

  /// Shape pairs covering equal shapes, rank extension, size-1 dims on both sides, and scalars.
  let shapePairs: [([Int], [Int])] = [
    ([2, 3], [2, 3]), ([2, 3], [3]), ([3, 1], [1, 4]), ([4], [2, 3, 4]),
    ([2, 1, 3], [4, 1]), ([], [2, 2]), ([2, 2], []),
  ]

  func testArithmeticWithBroadcasting() throws {
    var rng = SeededGenerator(seed: 1)
    let ops: [(String, (Var, Var) -> Var, (Double, Double) -> Double)] = [
      ("add", { add($0, $1) }, { $0 + $1 }), ("+", { $0 + $1 }, { $0 + $1 }),
      ("sub", { sub($0, $1) }, { $0 - $1 }), ("-", { $0 - $1 }, { $0 - $1 }),
      ("mul", { mul($0, $1) }, { $0 * $1 }), ("*", { $0 * $1 }, { $0 * $1 }),
      ("div", { div($0, $1) }, { $0 / $1 }), ("/", { $0 / $1 }, { $0 / $1 }),
      ("maximum", { maximum($0, $1) }, { Swift.max($0, $1) }), ("minimum", { minimum($0, $1) }, { Swift.min($0, $1) }),
    ]
    for dtype in floatTypes {
      for (sa, sb) in shapePairs {
        let a = rng.awayFromZero(sa).doubles
        let b = rng.awayFromZero(sb).doubles
        for (name, op, f) in ops {
          try checkBinary(name, op, f, aShape: sa, bShape: sb, a: a, b: b, dtype: dtype)
        }
        let pa = rng.uniform(a.count, 0.2, 3)
        try checkBinary(
          "pow", { pow($0, $1) }, { Foundation.pow($0, $1) }, aShape: sa, bShape: sb, a: pa, b: b, dtype: dtype)
      }
    }
  }

  func testArithmeticByHand() throws {
    let a = input("a", .float64, [2, 2])
    let b = input("b", .float64, [2])
    let args = [tensor([2, 2], [1, 2, 3, 4]), tensor([2], [10, 20])]
    let outs = try evaluate([a + b, a - b, a * b, b / a, a * 2, 2 - a, 1 / a, a / 4, pow(a, 2)], [a, b], args)
    assertTensor(outs[0], .float64, [2, 2], [11, 22, 13, 24])
    assertTensor(outs[1], .float64, [2, 2], [-9, -18, -7, -16])
    assertTensor(outs[2], .float64, [2, 2], [10, 40, 30, 80])
    assertTensor(outs[3], .float64, [2, 2], [10, 10, 10.0 / 3, 5])
    assertTensor(outs[4], .float64, [2, 2], [2, 4, 6, 8])
    assertTensor(outs[5], .float64, [2, 2], [1, 0, -1, -2])
    assertTensor(outs[6], .float64, [2, 2], [1, 0.5, 1.0 / 3, 0.25])
    assertTensor(outs[7], .float64, [2, 2], [0.25, 0.5, 0.75, 1])
    assertTensor(outs[8], .float64, [2, 2], [1, 4, 9, 16])
  }

  /// pow follows numpy/C: a negative base with an integral exponent is defined.
  func testPowOfNegativeBaseWithIntegralExponent() throws {
    for dtype in floatTypes {
      let a = input("a", dtype, [4])
      let arg = tensor([4], [-2, -3, -0.5, 2], dtype)
      let outs = try evaluate([pow(a, 2), pow(a, 3), pow(a, -1), pow(a, 0.5)], [a], [arg])
      assertTensor(outs[0], dtype, [4], [4, 9, 0.25, 4])
      assertTensor(outs[1], dtype, [4], [-8, -27, -0.125, 8])
      assertTensor(outs[2], dtype, [4], [-0.5, -1.0 / 3, -2, 0.5], tol: tolerance(dtype))
      let r = outs[3].doubles
      XCTAssertTrue(r[0].isNaN && r[1].isNaN && r[2].isNaN, "\(r)")
      XCTAssertEqual(r[3], Foundation.sqrt(2.0), accuracy: tolerance(dtype) * 2)
    }
  }

  func testMaximumMinimumPropagateNaNAndTies() throws {
    let a = input("a", .float64, [4])
    let b = input("b", .float64, [4])
    let outs = try evaluate(
      [maximum(a, b), minimum(a, b)], [a, b],
      [tensor([4], [.nan, 1, 2, -1]), tensor([4], [1, .nan, 2, -3])])
    let mx = outs[0].doubles
    let mn = outs[1].doubles
    XCTAssertTrue(mx[0].isNaN && mx[1].isNaN && mn[0].isNaN && mn[1].isNaN)
    XCTAssertEqual(Array(mx[2...]), [2, -1])
    XCTAssertEqual(Array(mn[2...]), [2, -3])
  }

  func testComparisons() throws {
    let av = [1.0, 2, 3, -1, 0, 5]
    let bv = [2.0, 2, 1]
    for dtype in floatTypes + [.int32] {
      let ops: [(String, (Var, Var) -> Var, (Double, Double) -> Bool)] = [
        ("<", { $0 < $1 }, { $0 < $1 }), ("less", { less($0, $1) }, { $0 < $1 }),
        ("<=", { $0 <= $1 }, { $0 <= $1 }), ("lessEqual", { lessEqual($0, $1) }, { $0 <= $1 }),
        (">", { $0 > $1 }, { $0 > $1 }), ("greater", { greater($0, $1) }, { $0 > $1 }),
        (">=", { $0 >= $1 }, { $0 >= $1 }), ("greaterEqual", { greaterEqual($0, $1) }, { $0 >= $1 }),
        ("equal", { equal($0, $1) }, { $0 == $1 }), ("notEqual", { notEqual($0, $1) }, { $0 != $1 }),
      ]
      for (name, op, f) in ops {
        try checkBinary(
          name, op, { f($0, $1) ? 1 : 0 }, aShape: [2, 3], bShape: [3], a: av, b: bv, dtype: dtype,
          resultDType: .bool)
      }
      // With a scalar literal.
      let x = input("x", dtype, [6])
      let outs = try evaluate([x < 2, x <= 2, x > 2, x >= 2], [x], [tensor([6], av, dtype)])
      XCTAssertEqual(outs[0].array(Bool.self), [true, false, false, true, true, false])
      XCTAssertEqual(outs[1].array(Bool.self), [true, true, false, true, true, false])
      XCTAssertEqual(outs[2].array(Bool.self), [false, false, true, false, false, true])
      XCTAssertEqual(outs[3].array(Bool.self), [false, true, true, false, false, true])
    }
  }

  func testLogicalAndOrEqualOnBool() throws {
    let a = input("a", .bool, [2, 2])
    let b = input("b", .bool, [2])
    let outs = try evaluate(
      [logicalAnd(a, b), logicalOr(a, b), equal(a, b), notEqual(a, b)], [a, b],
      [Tensor(shape: [2, 2], [true, true, false, false]), Tensor([true, false])])
    XCTAssertEqual(outs[0].array(Bool.self), [true, false, false, false])
    XCTAssertEqual(outs[1].array(Bool.self), [true, true, true, false])
    XCTAssertEqual(outs[2].array(Bool.self), [true, false, false, true])
    XCTAssertEqual(outs[3].array(Bool.self), [false, true, true, false])
    XCTAssertEqual(outs[0].shape, [2, 2])
  }

  func testSelectBroadcastsConditionAndBranches() throws {
    for dtype in floatTypes + [.int32] {
      let c = input("c", .bool, [2, 3])
      let a = input("a", dtype, [3])
      let b = input("b", dtype, [])
      let out = try evaluate1(
        select(c, a, b), [c, a, b],
        [
          Tensor(shape: [2, 3], [true, false, true, false, false, true]), tensor([3], [1, 2, 3], dtype),
          tensor([], [-7], dtype),
        ])
      assertTensor(out, dtype, [2, 3], [1, -7, 3, -7, -7, 3])
    }
    // A condition of lower rank broadcasts too.
    let c = input("c", .bool, [3])
    let a = input("a", .float64, [2, 3])
    let out = try evaluate1(
      select(c, a, -a), [c, a], [Tensor([false, true, false]), tensor([2, 3], [1, 2, 3, 4, 5, 6])])
    assertTensor(out, .float64, [2, 3], [-1, 2, -3, -4, 5, -6])
  }

  func testCastTruncatesTowardZeroAndConvertsBools() throws {
    let x = input("x", .float64, [6])
    let values = [-2.7, -0.5, 0.0, 0.5, 2.9, 3.0]
    let outs = try evaluate(
      [x.cast(.int32), x.cast(.float32), x.cast(.bool), x.cast(.int32).cast(.float64)], [x],
      [tensor([6], values)])
    assertTensor(outs[0], .int32, [6], [-2, 0, 0, 0, 2, 3])
    assertTensor(outs[1], .float32, [6], roundedToFloat(values))
    XCTAssertEqual(outs[2].array(Bool.self), [true, true, false, true, true, true])
    assertTensor(outs[3], .float64, [6], [-2, 0, 0, 0, 2, 3])

    let f = input("f", .float32, [3])
    let i = input("i", .int32, [3])
    let b = input("b", .bool, [3])
    let more = try evaluate(
      [f.cast(.int32), f.cast(.float64), i.cast(.float32), i.cast(.bool), b.cast(.float32), b.cast(.int32)],
      [f, i, b], [Tensor([Float(-1.5), 7.99, 1e9]), Tensor([Int32(-3), 0, 5]), Tensor([true, false, true])])
    assertTensor(more[0], .int32, [3], [-1, 7, 1_000_000_000])
    assertTensor(more[1], .float64, [3], [-1.5, Double(Float(7.99)), 1e9])
    assertTensor(more[2], .float32, [3], [-3, 0, 5])
    XCTAssertEqual(more[3].array(Bool.self), [true, false, true])
    assertTensor(more[4], .float32, [3], [1, 0, 1])
    assertTensor(more[5], .int32, [3], [1, 0, 1])
    // Casting to the same dtype is the identity (no node).
    XCTAssertTrue(x.cast(.float64) === x)
  }

  func testInt32Arithmetic() throws {
    let a = input("a", .int32, [6])
    let b = input("b", .int32, [6])
    let args = [Tensor([Int32(7), -7, 7, -7, 5, 0]), Tensor([Int32(2), 2, -2, -2, 0, 3])]
    let outs = try evaluate(
      [a + b, a - b, a * b, a / b, maximum(a, b), minimum(a, b), -a, abs(a), sign(a), square(b), a * 3],
      [a, b], args)
    assertTensor(outs[0], .int32, [6], [9, -5, 5, -9, 5, 3])
    assertTensor(outs[1], .int32, [6], [5, -9, 9, -5, 5, -3])
    assertTensor(outs[2], .int32, [6], [14, -14, -14, 14, 0, 0])
    // Division truncates toward zero; division by zero gives 0 (documented).
    assertTensor(outs[3], .int32, [6], [3, -3, -3, 3, 0, 0])
    assertTensor(outs[4], .int32, [6], [7, 2, 7, -2, 5, 3])
    assertTensor(outs[5], .int32, [6], [2, -7, -2, -7, 0, 0])
    assertTensor(outs[6], .int32, [6], [-7, 7, -7, 7, -5, 0])
    assertTensor(outs[7], .int32, [6], [7, 7, 7, 7, 5, 0])
    assertTensor(outs[8], .int32, [6], [1, -1, 1, -1, 1, 0])
    assertTensor(outs[9], .int32, [6], [4, 4, 4, 4, 0, 9])
    assertTensor(outs[10], .int32, [6], [21, -21, 21, -21, 15, 0])
    // Reductions of int32.
    let r = try evaluate([sum(a), max(a), min(b), sum(reshape(a, [2, 3]), axes: [1])], [a, b], args)
    assertTensor(r[0], .int32, [], [5])
    assertTensor(r[1], .int32, [], [7])
    assertTensor(r[2], .int32, [], [-2])
    assertTensor(r[3], .int32, [2], [7, -2])
  }

  func testTypeRulesRejectWrongDTypes() {
    let f = input("f", .float32, [2])
    let d = input("d", .float64, [2])
    let i = input("i", .int32, [2])
    let b = input("b", .bool, [2])
    XCTAssertNotNil((f + d).failure)
    XCTAssertNotNil(pow(i, i).failure)
    XCTAssertNotNil(exp(i).failure)
    XCTAssertNotNil(logicalNot(f).failure)
    XCTAssertNotNil(logicalAnd(f, f).failure)
    XCTAssertNotNil((b < b).failure)
    XCTAssertNotNil(select(f > 0, f, d).failure)
    XCTAssertNotNil(select(f, f, f).failure)
    XCTAssertNil(equal(b, b).failure)
    XCTAssertNil((i * i).failure)
  }
}
