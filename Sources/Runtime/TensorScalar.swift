import CSketchScalar
import RealModule

/// A Swift type that can be the element of a ``Tensor``: Float, Double, Int32 or Bool.
public protocol TensorScalar: Sendable, Hashable {
  /// The dtype of a tensor whose elements have this type.
  static var dtype: DType { get }
  /// The elements of `storage` when it holds this type.
  static func elements(of storage: TensorStorage) -> [Self]?
  /// Storage holding `elements`, in the case of this type.
  static func storage(_ elements: [Self]) -> TensorStorage
  /// Conversion used by `Tensor.cast` and test helpers (bool: 0 or 1).
  init(converting value: Double)
  /// The value converted to Double (bool: 0 or 1).
  var doubleValue: Double { get }
}

/// A floating-point element type: the kernels of the interpreter are generic over it.
public protocol TensorFloat: TensorScalar, Real, BinaryFloatingPoint {
  /// The functions whose formulas both backends share (CSketchScalar's sketch_scalar.h): ``FastMath``
  /// for float32 exp, log, tanh and sigmoid, libm for float64.
  static func kernelExp(_ x: Self) -> Self
  /// The natural logarithm (float32 ``FastMath/log(_:)``, float64 libm's `log`).
  static func kernelLog(_ x: Self) -> Self
  /// The hyperbolic tangent (float32 ``FastMath/tanh(_:)``, float64 libm's `tanh`).
  static func kernelTanh(_ x: Self) -> Self
  /// The logistic function 1 / (1 + e^-x), computed from e^-|x| so that it never overflows
  /// (float32 ``FastMath/sigmoid(_:)``, float64 `sk_sigmoid` with libm's `exp`).
  static func kernelSigmoid(_ x: Self) -> Self
  /// softplus, log(1 + e^x) without overflow: `x + log1p(e^-x)` for x > 0, else `log1p(e^x)` (libm's
  /// exp and log1p in both dtypes: `sk_softplusf`, `sk_softplus`).
  static func kernelSoftplus(_ x: Self) -> Self
  /// pow with numpy's semantics (a negative base with an integral exponent is defined).
  static func kernelPow(_ a: Self, _ b: Self) -> Self
}

/// Float as a tensor element: the float32 dtype, with ``FastMath``'s exp, log, tanh and sigmoid.
extension Float: TensorFloat {
  @inlinable public static func kernelExp(_ x: Float) -> Float { FastMath.exp(x) }
  @inlinable public static func kernelLog(_ x: Float) -> Float { FastMath.log(x) }
  @inlinable public static func kernelTanh(_ x: Float) -> Float { FastMath.tanh(x) }
  @inlinable public static func kernelSigmoid(_ x: Float) -> Float { FastMath.sigmoid(x) }
  @inlinable public static func kernelSoftplus(_ x: Float) -> Float { sk_softplusf(x) }
  @inlinable public static func kernelPow(_ a: Float, _ b: Float) -> Float { sk_powf(a, b) }
  public static var dtype: DType { .float32 }
  public static func elements(of storage: TensorStorage) -> [Float]? {
    if case .float32(let a) = storage { return a }
    return nil
  }
  public static func storage(_ elements: [Float]) -> TensorStorage { .float32(elements) }
  public init(converting value: Double) { self = Float(value) }
  public var doubleValue: Double { Double(self) }
}

/// Double as a tensor element: the float64 dtype, with libm's exp, log and tanh.
extension Double: TensorFloat {
  @inlinable public static func kernelExp(_ x: Double) -> Double { Double.exp(x) }
  @inlinable public static func kernelLog(_ x: Double) -> Double { Double.log(x) }
  @inlinable public static func kernelTanh(_ x: Double) -> Double { Double.tanh(x) }
  @inlinable public static func kernelSigmoid(_ x: Double) -> Double { sk_sigmoid(x) }
  @inlinable public static func kernelSoftplus(_ x: Double) -> Double { sk_softplus(x) }
  @inlinable public static func kernelPow(_ a: Double, _ b: Double) -> Double { sk_pow(a, b) }
  public static var dtype: DType { .float64 }
  public static func elements(of storage: TensorStorage) -> [Double]? {
    if case .float64(let a) = storage { return a }
    return nil
  }
  public static func storage(_ elements: [Double]) -> TensorStorage { .float64(elements) }
  public init(converting value: Double) { self = value }
  public var doubleValue: Double { self }
}

/// Int32 as a tensor element: the int32 dtype (indices and counts).
extension Int32: TensorScalar {
  public static var dtype: DType { .int32 }
  public static func elements(of storage: TensorStorage) -> [Int32]? {
    if case .int32(let a) = storage { return a }
    return nil
  }
  public static func storage(_ elements: [Int32]) -> TensorStorage { .int32(elements) }
  /// Truncates toward zero like C; values outside the Int32 range saturate.
  public init(converting value: Double) { self = sk_f2i(value) }
  public var doubleValue: Double { Double(self) }
}

/// Bool as a tensor element: the bool dtype (masks and comparison results).
extension Bool: TensorScalar {
  public static var dtype: DType { .bool }
  public static func elements(of storage: TensorStorage) -> [Bool]? {
    if case .bool(let a) = storage { return a }
    return nil
  }
  public static func storage(_ elements: [Bool]) -> TensorStorage { .bool(elements) }
  public init(converting value: Double) { self = value != 0 }
  public var doubleValue: Double { self ? 1 : 0 }
}
