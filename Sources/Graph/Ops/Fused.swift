import SketchRuntime

/// `fused`: an elementwise kernel made by the optimizer's fusion pass (``Kernel``): its type rule,
/// run-time shape rule and reference kernel (no gradient: fusion runs after differentiation). Its C
/// lowering is the generic elementwise emitter, `Codegen/Native/CEmitter+Elementwise.swift`.
enum FusedRule {
  static func type(_ t: [TensorType], _ k: Kernel) throws -> TensorType {
    guard t.count == k.inputCount else {
      throw TypeMismatch("the kernel takes \(k.inputCount) operands, got \(t.count)")
    }
    for (i, (x, d)) in zip(t, k.inputDTypes).enumerated() where x.dtype != d {
      throw TypeMismatch("kernel input \(i) must be \(d), got \(x.dtype)")
    }
    let shape = try t.reduce([Dim]()) { try broadcastShapes($0, $1.shape) }
    return k.outputs.count == 1 ? TensorType(k.outputDTypes[0], shape) : ScanSpec.tupleType
  }
}

extension Kernels {
  /// Runs a fused kernel: every instruction is evaluated elementwise over the iteration shape with the
  /// same scalar functions the unfused nodes use (``UnaryFn/apply(_:)``, ``BinaryFn/apply(_:_:)``...),
  /// one instruction at a time over all elements, so the results equal the unfused graph's exactly.
  static func fused(_ k: Kernel, _ args: [Tensor], inputTypes: [TensorType]) throws -> [Tensor] {
    let shape = try Shapes.broadcast(args.map(\.shape), types: inputTypes)
    var values: [Tensor?] = []
    values.reserveCapacity(k.instructions.count)
    // Free each value after its last reader, as the interpreter does for nodes.
    var last = [Int](repeating: -1, count: k.instructions.count)
    for (i, ins) in k.instructions.enumerated() { for a in ins.operands { last[a] = i } }
    for o in k.outputs { last[o] = k.instructions.count }
    for (i, ins) in k.instructions.enumerated() {
      let v: Tensor
      switch ins {
      case .input(let j): v = args[j]
      case .constant(let c): v = Tensor(shape: [], dtype: k.dtypes[i], values: [c])
      case .unary(let f, let a): v = unary(f, values[a]!)
      case .binary(let f, let a, let b): v = binary(f, values[a]!, values[b]!, shape: shape)
      case .select(let c, let a, let b): v = select(values[c]!, values[a]!, values[b]!, shape: shape)
      case .cast(let d, let a): v = values[a]!.cast(to: d)
      }
      values.append(v)
      for a in ins.operands where last[a] == i { values[a] = nil }
    }
    return k.outputs.map { o in
      let v = values[o]!
      return v.shape == shape ? v : Tensor(shape: shape, storage: v.storage.gather(broadcastIndex(v.shape, to: shape)))
    }
  }
}
