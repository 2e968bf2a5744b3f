/// The element type of a tensor.
///
/// Sketch computes in `float32` (training, the native backend) and `float64` (gradient checks, reference
/// values). `int32` holds indices and counts; `bool` holds masks and comparison results.
public enum DType: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
  /// 32-bit IEEE 754 floating point (C `float`).
  case float32
  /// 64-bit IEEE 754 floating point (C `double`).
  case float64
  /// 32-bit signed integer (C `int32_t`).
  case int32
  /// Boolean, stored as one byte holding 0 or 1 (C `uint8_t`).
  case bool

  /// Bytes per element, as stored (bool is one byte).
  public var byteSize: Int {
    switch self {
    case .float32, .int32: return 4
    case .float64: return 8
    case .bool: return 1
    }
  }

  /// Whether the dtype is `float32` or `float64`.
  public var isFloatingPoint: Bool { self == .float32 || self == .float64 }

  /// The short name used in dumps and error messages (`f32`, `f64`, `i32`, `bool`).
  public var shortName: String {
    switch self {
    case .float32: return "f32"
    case .float64: return "f64"
    case .int32: return "i32"
    case .bool: return "bool"
    }
  }

  /// The name of the element type in generated C.
  public var cName: String {
    switch self {
    case .float32: return "float"
    case .float64: return "double"
    case .int32: return "int32_t"
    case .bool: return "uint8_t"
    }
  }

  /// The case name (`float32`, `float64`, `int32`, `bool`), which is also the raw value.
  public var description: String { rawValue }
}
