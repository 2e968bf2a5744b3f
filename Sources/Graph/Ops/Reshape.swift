import SketchRuntime

/// `reshape`: type rule, run-time shape rule, gradient and reference kernel (the bytes are unchanged:
/// ``Op/isSameBytes``). In C it is no code: its entry points at its input's bytes
/// (`Codegen/Native/CEmitter+Nodes.swift`).
enum ReshapeRule {
  static func type(_ t: [TensorType], _ items: [ShapeItem]) throws -> TensorType {
    guard t.count >= 1 else { throw TypeMismatch("reshape needs an operand") }
    let dims = try targetDims(items, refs: Array(t.dropFirst()), allowInfer: true)
    if let n = t[0].fixedCount {
      if items.contains(.infer) {
        let known = dims.compactMap(\.fixedValue).reduce(1, *)
        let allOtherFixed = dims.filter { $0 != .unknown }.allSatisfy { $0.fixedValue != nil }
        if allOtherFixed {
          guard known > 0, n % known == 0 else {
            throw TypeMismatch("cannot reshape \(n) elements to \(Op.shapeText(dims))")
          }
          return TensorType(t[0].dtype, dims.map { $0 == .unknown ? .fixed(n / known) : $0 })
        }
      } else if let m = TensorType(t[0].dtype, dims).fixedCount, m != n {
        throw TypeMismatch("cannot reshape \(t[0]) (\(n) elements) to \(Op.shapeText(dims)) (\(m) elements)")
      }
    }
    return TensorType(t[0].dtype, dims)
  }

  static func shape(_ ins: [[Int]], _ items: [ShapeItem]) throws -> [Int] {
    let count = ins[0].reduce(1, *)
    let s = try Shapes.resolve(items, ins, count: count)
    guard s.reduce(1, *) == count else { throw RuntimeError("cannot reshape \(ins[0]) (\(count) elements) to \(s)") }
    return s
  }

  static func pullback(_ y: Var, _ g: Var) -> [Var?] {
    [reshape(g, shapeOf(y.inputs[0]))] + y.inputs.dropFirst().map { _ in nil }
  }

  static func evaluate(_ a: [Tensor], _ items: [ShapeItem]) throws -> Tensor {
    a[0].reshaped(try shape(a.map(\.shape), items))
  }
}
