import Foundation
import SketchRuntime

/// A named parameter holding a tensor that compiled functions read and update (Theano's `shared`).
///
/// The type (dtype and shape) is fixed at creation; assigning a value of another type is an error.
/// A shared variable may appear in any number of graphs (a training and a sampling function share
/// their weights this way).
public final class SharedVariable: Hashable, @unchecked Sendable, CustomStringConvertible {
  /// The name, shown in dumps and errors (and the display name of its graph nodes).
  public let name: String
  /// The dtype and shape, all dims fixed, set from the initial value and never changed.
  public let type: TensorType
  /// The value, or nil while a backend's buffer holds a newer one (see ``hold(by:)``).
  private var _value: Tensor?
  private var holder: SharedValueHolder?
  private var _version: UInt64 = 0
  private let lock = NSLock()

  /// A shared variable called `name` holding `value`, whose dtype and shape become the variable's type.
  public init(name: String, value: Tensor) {
    self.name = name
    self._value = value
    self.type = TensorType(value.dtype, value.shape.map { .fixed($0) })
  }

  /// The current value (copied out of the backend buffer that holds it, the first time it is read
  /// after an update there).
  public var value: Tensor { snapshot().value }

  /// The current value and its version, read together.
  public func snapshot() -> (value: Tensor, version: UInt64) {
    lock.lock()
    defer { lock.unlock() }
    if _value == nil { _value = holder!.read() }
    return (_value!, _version)
  }

  /// A number that changes at every assignment (``set(_:)`` or ``hold(by:)``): a backend that copied
  /// the value at version v still has the current value while the version is v.
  public var version: UInt64 {
    lock.lock()
    defer { lock.unlock() }
    return _version
  }

  /// Replaces the value; it must have the variable's dtype and shape.
  public func set(_ newValue: Tensor) throws {
    try check(newValue.dtype, newValue.shape)
    lock.lock()
    _value = newValue
    holder = nil
    _version &+= 1
    lock.unlock()
  }

  /// Throws unless a value of this dtype and shape can be assigned.
  public func check(_ dtype: DType, _ shape: [Int]) throws {
    guard dtype == type.dtype, type.accepts(shape) else {
      throw RuntimeError(
        "shared variable '\(name)' is \(type); cannot assign a \(dtype.shortName)\(shape) value")
    }
  }

  /// Records that `holder` (a native program's resident buffer) now has the variable's value, newer
  /// than any copy: the value is read from it only when someone asks. Returns the new version.
  public func hold(by holder: SharedValueHolder) -> UInt64 {
    lock.lock()
    defer { lock.unlock() }
    _value = nil
    self.holder = holder
    _version &+= 1
    return _version
  }

  /// Whether `holder` has the current value.
  public func isHeld(by holder: SharedValueHolder) -> Bool {
    lock.lock()
    defer { lock.unlock() }
    return self.holder === holder
  }

  /// Whether `a` and `b` are the same object (identity, not equal values).
  public static func == (a: SharedVariable, b: SharedVariable) -> Bool { a === b }
  /// Feeds the object's identity into `h`.
  public func hash(into h: inout Hasher) { h.combine(ObjectIdentifier(self)) }
  /// `shared W: f32[3,4]`: the name and the type.
  public var description: String { "shared \(name): \(type)" }
}

/// A place outside Swift that holds a shared variable's current value (a native program's buffer).
public protocol SharedValueHolder: AnyObject, Sendable {
  /// A copy of the value.
  func read() -> Tensor
}
