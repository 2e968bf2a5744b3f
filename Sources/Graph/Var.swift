import Foundation
import SketchRuntime

/// A symbolic tensor: the result of an op applied to other variables (Theano's Variable + Apply).
///
/// Variables are immutable once made (apart from their display name). They remember the line that
/// created them, so that errors point at user code. A variable whose op did not type-check is *failed*:
/// `failure` holds the error, and everything built from it fails with the same error.
public final class Var: @unchecked Sendable, CustomStringConvertible {
  /// The op that computes this variable from ``inputs``.
  public let op: Op
  /// The op's operands, in order (empty for inputs, constants and shared variables).
  public let inputs: [Var]
  /// The static dtype and shape (for a failed variable, a placeholder type).
  public let type: TensorType
  /// Where the variable was made in the user's code.
  public let location: SourceLocation
  /// The first graph error in this variable or its ancestors.
  public let failure: GraphError?
  /// A process-unique number, increasing in creation order.
  public let id: Int
  private var _name: String?
  private static let counter = Counter()

  init(op: Op, inputs: [Var], type: TensorType, location: SourceLocation, failure: GraphError?, name: String?) {
    self.op = op
    self.inputs = inputs
    self.type = type
    self.location = location
    self.failure = failure
    self._name = name
    self.id = Var.counter.next()
  }

  /// A display name (used in dumps and error messages).
  public var name: String? {
    get { _name }
    set { _name = newValue }
  }

  /// Sets the display name and returns self, for chaining: `let h = tanh(a).named("h")`.
  @discardableResult
  public func named(_ n: String) -> Var {
    _name = n
    return self
  }

  /// The element type (``type``'s dtype).
  public var dtype: DType { type.dtype }
  /// The static dims, one per axis (``type``'s shape).
  public var shape: [Dim] { type.shape }
  /// The number of axes (0 for a scalar).
  public var rank: Int { type.rank }

  /// The shared variable behind a `shared(...)` node.
  public var sharedVariable: SharedVariable? {
    if case .shared(let s) = op { return s }
    return nil
  }

  /// Throws the graph error of this variable, if any.
  public func check() throws {
    if let failure { throw failure }
  }

  /// `'name' f32[T,3] (made at file:line)`, for error messages.
  public var operandDescription: String {
    let n = name.map { "'\($0)' " } ?? ""
    return "\(n)\(op.name) \(type) made at \(location)"
  }

  /// `Var(h: f32[B,128])`: the display name (or the op's name) and the type.
  public var description: String { "Var(\(name ?? op.name): \(type))" }
}

final class Counter: @unchecked Sendable {
  private var value = 0
  private let lock = NSLock()
  func next() -> Int {
    lock.lock()
    defer { lock.unlock() }
    value += 1
    return value
  }
}
