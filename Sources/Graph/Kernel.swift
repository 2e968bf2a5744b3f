import SketchRuntime

/// A fused elementwise kernel: a short SSA list of scalar instructions over one iteration shape.
///
/// The optimizer's fusion pass builds kernels from regions of elementwise nodes; every instruction is
/// one of those nodes' own scalar definitions (``UnaryFn``, ``BinaryFn``, select, cast), so a kernel
/// means exactly what the nodes it replaced meant. Instructions `0..<inputCount` are the kernel's
/// inputs, in order; inputs may be smaller than the iteration shape and broadcast to it (numpy rules),
/// every other instruction has the full iteration shape. A kernel may have several outputs.
///
/// ``canonicalText`` names the kernel: two kernels are equal exactly when their texts are equal, and
/// the native backend will use it as the compile-cache key and to derive the C function name.
public struct Kernel: Hashable, Sendable, CustomStringConvertible {
  /// One SSA instruction; operands are indices of earlier instructions.
  public enum Instruction: Hashable, Sendable {
    /// Kernel input k (an operand tensor, broadcast to the iteration shape).
    case input(Int)
    /// A scalar immediate, in the instruction's dtype.
    case constant(Double)
    /// The function of one earlier instruction's value.
    case unary(UnaryFn, Int)
    /// The function of two earlier instructions' values (both of one dtype, as in a `binary` node).
    case binary(BinaryFn, Int, Int)
    /// `cond ? a : b`.
    case select(Int, Int, Int)
    /// An earlier instruction's value converted to the dtype.
    case cast(DType, Int)

    /// The operands, in order.
    public var operands: [Int] {
      switch self {
      case .input, .constant: return []
      case .unary(_, let a), .cast(_, let a): return [a]
      case .binary(_, let a, let b): return [a, b]
      case .select(let c, let a, let b): return [c, a, b]
      }
    }
  }

  /// The most instructions (inputs included) one kernel may hold; larger regions are split.
  public static let maxInstructions = 128
  /// The most inputs one kernel may read (each is one pointer argument in generated code).
  public static let maxInputs = 24
  /// The most outputs one kernel may write.
  public static let maxOutputs = 8

  /// The instructions in SSA order: the inputs first, then each computation over earlier values.
  public let instructions: [Instruction]
  /// The dtype of each instruction's result.
  public let dtypes: [DType]
  /// The instructions whose values the kernel returns, in output order.
  public let outputs: [Int]
  /// The kernel's name and cache key (see the type's documentation).
  public let canonicalText: String

  /// A kernel; `instructions` must start with `.input(0)`, `.input(1)`, ... and be in SSA order.
  public init(instructions: [Instruction], dtypes: [DType], outputs: [Int]) {
    precondition(instructions.count == dtypes.count, "Kernel: one dtype per instruction")
    precondition(!outputs.isEmpty, "Kernel: no outputs")
    for (i, ins) in instructions.enumerated() {
      precondition(ins.operands.allSatisfy { $0 < i }, "Kernel: instruction \(i) reads a later value")
    }
    self.instructions = instructions
    self.dtypes = dtypes
    self.outputs = outputs
    self.canonicalText = Kernel.text(instructions, dtypes, outputs)
  }

  /// The number of inputs.
  public var inputCount: Int { instructions.prefix { if case .input = $0 { return true } else { return false } }.count }

  /// The dtypes of the outputs.
  public var outputDTypes: [DType] { outputs.map { dtypes[$0] } }

  /// The dtypes the inputs must have.
  public var inputDTypes: [DType] { Array(dtypes.prefix(inputCount)) }

  /// The instructions that compute something (not inputs or immediates).
  public var operationCount: Int {
    instructions.filter {
      if case .input = $0 { return false } else if case .constant = $0 { return false } else { return true }
    }.count
  }

  /// The kernel's ``canonicalText``.
  public var description: String { canonicalText }

  /// The work of a loop per element beyond its instructions (loads, stores, the loop itself), in the
  /// units of ``UnaryFn/cost``.
  public static let loopCost = 2

  /// The work per element of this kernel's loop: ``loopCost`` plus, per instruction, one unit and its
  /// function's cost.
  public var cost: Int {
    var c = Kernel.loopCost
    for i in instructions {
      switch i {
      case .input, .constant: break
      case .unary(let f, _): c += 1 + f.cost
      case .binary(let f, _, _): c += 1 + f.cost
      case .select, .cast: c += 1
      }
    }
    return c
  }

  /// Whether two kernels have equal ``canonicalText``s (the same instructions, dtypes and outputs).
  public static func == (a: Kernel, b: Kernel) -> Bool { a.canonicalText == b.canonicalText }
  /// Feeds the kernel's ``canonicalText`` into `h`.
  public func hash(into h: inout Hasher) { h.combine(canonicalText) }

  /// `in f32,f32; %2=sigmoid(%0); %3=mul(%2,%1); out %3`: inputs by dtype, then one SSA line per
  /// instruction (immediates print their dtype and shortest round-trip value), then the outputs.
  static func text(_ ins: [Instruction], _ dtypes: [DType], _ outputs: [Int]) -> String {
    var parts: [String] = []
    let n = ins.prefix { if case .input = $0 { return true } else { return false } }.count
    parts.append("in " + dtypes.prefix(n).map(\.shortName).joined(separator: ","))
    for (i, x) in ins.enumerated().dropFirst(n) {
      let rhs: String
      switch x {
      case .input(let k): rhs = "in\(k)"
      case .constant(let c): rhs = "\(dtypes[i].shortName) \(dtypes[i].isFloatingPoint ? "\(c)" : "\(Int(c))")"
      case .unary(let f, let a): rhs = "\(f.name)(%\(a))"
      case .binary(let f, let a, let b): rhs = "\(f.name)(%\(a),%\(b))"
      case .select(let c, let a, let b): rhs = "select(%\(c),%\(a),%\(b))"
      case .cast(let d, let a): rhs = "cast{\(d.shortName)}(%\(a))"
      }
      parts.append("%\(i)=\(rhs)")
    }
    parts.append("out " + outputs.map { "%\($0)" }.joined(separator: ","))
    return parts.joined(separator: "; ")
  }
}

/// The parameters of a `gemm` node: `alpha · op(A)·op(B) + beta · C` (C optional, input 2).
public struct Gemm: Hashable, Sendable, CustomStringConvertible {
  /// Whether A enters transposed: op(A) is Aᵀ.
  public var transposeA: Bool
  /// Whether B enters transposed: op(B) is Bᵀ.
  public var transposeB: Bool
  /// The factor of the product op(A)·op(B).
  public var alpha: Double
  /// The factor of C (unused when the node has no C).
  public var beta: Double

  /// The parameters of `alpha · op(A)·op(B) + beta · C`; by default a plain product, `A·B`.
  public init(transposeA: Bool = false, transposeB: Bool = false, alpha: Double = 1, beta: Double = 0) {
    self.transposeA = transposeA
    self.transposeB = transposeB
    self.alpha = alpha
    self.beta = beta
  }

  /// `AᵀB,α=1,β=1`.
  public var description: String {
    "\(transposeA ? "Aᵀ" : "A")\(transposeB ? "Bᵀ" : "B"),α=\(Gemm.number(alpha)),β=\(Gemm.number(beta))"
  }

  static func number(_ v: Double) -> String { v == v.rounded() && Swift.abs(v) < 1e15 ? "\(Int(v))" : "\(v)" }
}
