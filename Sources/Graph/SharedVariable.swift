import Foundation
import Runtime

/// A named parameter holding a tensor that compiled functions read and update (Theano's `shared`).
///
/// The type (dtype and shape) is fixed at creation; assigning a value of another type is an error.
/// A shared variable may appear in any number of graphs (a training and a sampling function share
/// their weights this way).
public final class SharedVariable: Hashable, @unchecked Sendable, CustomStringConvertible {
  public let name: String
  public let type: TensorType
  private var _value: Tensor
  private let lock = NSLock()

  public init(name: String, value: Tensor) {
    self.name = name
    self._value = value
    self.type = TensorType(value.dtype, value.shape.map { .fixed($0) })
  }

  /// The current value.
  public var value: Tensor {
    lock.lock()
    defer { lock.unlock() }
    return _value
  }

  /// Replaces the value; it must have the variable's dtype and shape.
  public func set(_ newValue: Tensor) throws {
    guard newValue.dtype == type.dtype, type.accepts(newValue.shape) else {
      throw RuntimeError(
        "shared variable '\(name)' is \(type); cannot assign a \(newValue.dtype.shortName)\(newValue.shape) value")
    }
    lock.lock()
    _value = newValue
    lock.unlock()
  }

  public static func == (a: SharedVariable, b: SharedVariable) -> Bool { a === b }
  public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
  public var description: String { "shared \(name): \(type)" }
}
