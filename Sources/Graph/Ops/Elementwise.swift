import SketchRuntime

/// The elementwise ops as nodes: `unary` and `binary` (whose functions carry their own evaluator, dtype
/// rule, gradient, C spelling and cost: `UnaryFn.swift`, `BinaryFn.swift`), `select` and `cast`: type
/// rules, run-time shape rules (broadcasting), gradients and reference kernels. Their C lowering is
/// the generic elementwise emitter, `Codegen/Native/CEmitter+Elementwise.swift`.
enum ElementwiseRule {
  static func unaryType(_ t: [TensorType], _ f: UnaryFn) throws -> TensorType {
    try arity(t, 1)
    guard f.accepts(t[0].dtype) else {
      throw TypeMismatch("\(f.name) does not accept \(t[0].dtype); cast the operand first")
    }
    return t[0]
  }

  static func binaryType(_ t: [TensorType], _ f: BinaryFn) throws -> TensorType {
    try arity(t, 2)
    guard t[0].dtype == t[1].dtype else {
      throw TypeMismatch("operands have different dtypes \(t[0].dtype) and \(t[1].dtype); cast one of them")
    }
    guard let r = f.resultType(t[0].dtype) else {
      throw TypeMismatch("\(f.name) does not accept \(t[0].dtype)")
    }
    return TensorType(r, try broadcastShapes(t[0].shape, t[1].shape))
  }

  static func selectType(_ t: [TensorType]) throws -> TensorType {
    try arity(t, 3)
    guard t[0].dtype == .bool else { throw TypeMismatch("the condition must be bool, not \(t[0].dtype)") }
    guard t[1].dtype == t[2].dtype else {
      throw TypeMismatch("the branches have different dtypes \(t[1].dtype) and \(t[2].dtype)")
    }
    let s = try broadcastShapes(try broadcastShapes(t[0].shape, t[1].shape), t[2].shape)
    return TensorType(t[1].dtype, s)
  }

  static func castType(_ t: [TensorType], _ d: DType) throws -> TensorType {
    try arity(t, 1)
    return TensorType(d, t[0].shape)
  }

  static func unaryPullback(_ y: Var, _ f: UnaryFn, _ g: Var) -> [Var?] {
    [f.gradient(x: y.inputs[0], y: y, g: g)]
  }

  static func binaryPullback(_ y: Var, _ f: BinaryFn, _ g: Var) -> [Var?] {
    let (a, b) = (y.inputs[0], y.inputs[1])
    let (ga, gb) = f.gradient(a: a, b: b, y: y, g: g)
    return [ga.map { sumToShape($0, like: a) }, gb.map { sumToShape($0, like: b) }]
  }

  static func selectPullback(_ y: Var, _ g: Var) -> [Var?] {
    let zero = literal(0, like: g)
    return [
      nil, sumToShape(Graph.select(y.inputs[0], g, zero), like: y.inputs[1]),
      sumToShape(Graph.select(y.inputs[0], zero, g), like: y.inputs[2]),
    ]
  }

  static func castPullback(_ y: Var, _ g: Var) -> [Var?] {
    let x = y.inputs[0]
    return [x.dtype.isFloatingPoint ? g.cast(x.dtype) : nil]
  }

  static func binary(_ a: [Tensor], types: [TensorType], _ f: BinaryFn) throws -> Tensor {
    Kernels.binary(f, a[0], a[1], shape: try Shapes.broadcast([a[0].shape, a[1].shape], types: types))
  }

  static func select(_ a: [Tensor], types: [TensorType]) throws -> Tensor {
    Kernels.select(a[0], a[1], a[2], shape: try Shapes.broadcast(a.map(\.shape), types: types))
  }
}

extension Kernels {
  static func unary(_ f: UnaryFn, _ x: Tensor) -> Tensor {
    switch x.storage {
    case .float32(let a): return Tensor(shape: x.shape, mapFloat(f, a))
    case .float64(let a): return Tensor(shape: x.shape, mapFloat(f, a))
    case .int32(let a): return Tensor(shape: x.shape, a.map { f.apply($0) })
    case .bool(let a): return Tensor(shape: x.shape, a.map { !$0 })
    }
  }

  /// A unary float function over an array (``UnaryFn/apply(_:)``, the one evaluator).
  static func mapFloat<T: TensorFloat>(_ f: UnaryFn, _ a: [T]) -> [T] {
    [T](unsafeUninitializedCapacity: a.count) { out, n in
      a.withUnsafeBufferPointer { p in for i in 0..<p.count { out[i] = f.apply(p[i]) } }
      n = a.count
    }
  }

  static func binary(_ f: BinaryFn, _ x: Tensor, _ y: Tensor, shape: [Int]) -> Tensor {
    func arith<T: TensorFloat>(_ a: [T], _ b: [T]) -> Tensor {
      switch f {
      case .add: return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape, +))
      case .sub: return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape, -))
      case .mul: return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape, *))
      case .div: return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape, /))
      case .lt, .le, .gt, .ge, .eq, .ne:
        return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape) { f.compare($0, $1) })
      case .pow, .maximum, .minimum, .and, .or:
        return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape) { f.apply($0, $1) })
      }
    }
    switch (x.storage, y.storage) {
    case (.float32(let a), .float32(let b)): return arith(a, b)
    case (.float64(let a), .float64(let b)): return arith(a, b)
    case (.int32(let a), .int32(let b)):
      if f.isComparison {
        return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape) { f.compare($0, $1) })
      }
      return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape) { f.apply($0, $1) })
    case (.bool(let a), .bool(let b)):
      return Tensor(shape: shape, zipBroadcast(a, x.shape, b, y.shape, shape) { f.logical($0, $1) })
    default:
      preconditionFailure("binary \(f.name): dtypes \(x.dtype) and \(y.dtype) passed type checking")
    }
  }

  static func select(_ c: Tensor, _ x: Tensor, _ y: Tensor, shape: [Int]) -> Tensor {
    let cond = expand(c.array(Bool.self), c.shape, to: shape)
    func pick<T: TensorScalar>(_ a: [T], _ b: [T]) -> Tensor {
      let ea = expand(a, x.shape, to: shape)
      let eb = expand(b, y.shape, to: shape)
      return Tensor(shape: shape, cond.indices.map { cond[$0] ? ea[$0] : eb[$0] })
    }
    switch (x.storage, y.storage) {
    case (.float32(let a), .float32(let b)): return pick(a, b)
    case (.float64(let a), .float64(let b)): return pick(a, b)
    case (.int32(let a), .int32(let b)): return pick(a, b)
    case (.bool(let a), .bool(let b)): return pick(a, b)
    default: preconditionFailure("select: dtypes passed type checking")
    }
  }
}
