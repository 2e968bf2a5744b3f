import CSketchScalar

/// exp, tanh, sigmoid and log for float32 as branch-free polynomials that a C compiler vectorizes.
///
/// The functions are the C functions of `CSketchScalar/include/sketch_scalar.h` (`sk_expf`,
/// `sk_logf`, `sk_tanhf`, `sk_sigmoidf`): the interpreter calls them here, and the same header is the
/// prelude of every generated C library, so both backends give the same bits by construction (the
/// header documents each formula). float64 keeps libm. Accuracy against glibc's libm is checked by
/// `FastMathTests` (docs/native.md has the measured maximum errors).
public enum FastMath {
  /// e^x in float32 (`sk_expf`): +inf above 88.7228, 0 below -103.97, NaN for NaN.
  @inlinable public static func exp(_ x: Float) -> Float { sk_expf(x) }
  /// The natural logarithm of `x` in float32 (`sk_logf`): -inf at 0, NaN below 0.
  @inlinable public static func log(_ x: Float) -> Float { sk_logf(x) }
  /// The hyperbolic tangent of `x` in float32, in [-1, 1] (`sk_tanhf`).
  @inlinable public static func tanh(_ x: Float) -> Float { sk_tanhf(x) }
  /// The logistic function 1 / (1 + e^-x) in float32, in [0, 1] (`sk_sigmoidf`).
  @inlinable public static func sigmoid(_ x: Float) -> Float { sk_sigmoidf(x) }
}
