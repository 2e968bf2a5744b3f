/// exp, tanh and sigmoid for float32 as branch-free polynomials that a C compiler vectorizes.
///
/// The native backend emits the same operations in the same order (`CPrelude`: `sk_expf`, `sk_tanhf`,
/// `sk_sigmoidf`, compiled without FMA contraction), so both backends give the same bits. float64 keeps
/// libm. Accuracy against glibc's libm is checked by `FastMathTests` (see docs/native.md for the
/// measured maximum errors).
///
/// - exp: Cephes' expf. `n = round(x·log2(e))` (the 1.5·2^23 shifter, its integer read from the
///   bits), `r = x − n·ln2` in two parts, a degree-6
///   polynomial for e^r, scaled by 2^n in two halves (so results down to 2^-149 are exact scalings);
///   +inf above 88.7228, 0 below -103.97, NaN stays NaN.
/// - tanh: an odd degree-9 polynomial (Cephes' tanhf) for |x| < 0.625, else `1 − 2/(e^{2|x|} + 1)`
///   with the sign of x.
/// - sigmoid: `e = exp(−|x|)`; `1/(1 + e)` for x ≥ 0, `e/(1 + e)` for x < 0 (one division of the
///   chosen numerator).
/// - log: Cephes' logf. x = m·2^e with m in [0.5, 1) read from the bits (subnormals scaled by 2^23
///   first), m < √½ doubled, a degree-8 polynomial in t = m − 1, e·ln2 added in two parts; −inf at 0,
///   +inf at +inf, NaN below 0 and for NaN.
public enum FastMath {
  @inlinable
  public static func exp(_ x: Float) -> Float {
    let hi: Float = 88.72283
    let lo: Float = -103.97208
    let xc = x < lo ? lo : (x > hi ? hi : x)  // NaN passes through and stays NaN
    let m = xc * 1.442_695_04 + 12_582_912
    let n = m - 12_582_912
    let k = Int32(bitPattern: m.bitPattern) &- 0x4B40_0000
    let r = (xc - n * 0.693_359_375) - n * -2.121_944_40e-4
    var p: Float = 1.987_569_150_0e-4
    p = p * r + 1.398_199_950_7e-3
    p = p * r + 8.333_451_907_3e-3
    p = p * r + 4.166_579_589_4e-2
    p = p * r + 1.666_666_545_9e-1
    p = p * r + 5.000_000_120_1e-1
    let y = (p * (r * r) + r) + 1
    let k1 = k >> 1
    let k2 = k &- k1
    let s1 = Float(bitPattern: UInt32(bitPattern: k1 &+ 127) << 23)
    let s2 = Float(bitPattern: UInt32(bitPattern: k2 &+ 127) << 23)
    let v = (y * s1) * s2
    return x > hi ? .infinity : (x < lo ? 0 : v)
  }

  @inlinable
  public static func log(_ x: Float) -> Float {
    let tiny: Float = 1.175_494_35e-38
    let xn = x < tiny ? x * 8_388_608 : x
    let eadj: Float = x < tiny ? -23 : 0
    let u = xn.bitPattern
    let eb = Float(Int32(bitPattern: (u >> 23) & 0xff))
    let m = Float(bitPattern: (u & 0x007f_ffff) | 0x3f00_0000)
    let fe0 = (eb - 126) + eadj
    let fe = m < 0.707_106_78 ? fe0 - 1 : fe0
    let t = m < 0.707_106_78 ? (m + m) - 1 : m - 1
    let z = t * t
    var p: Float = 7.037_683_629_2e-2
    p = p * t - 1.151_461_031_0e-1
    p = p * t + 1.167_699_874_0e-1
    p = p * t - 1.242_014_084_6e-1
    p = p * t + 1.424_932_278_7e-1
    p = p * t - 1.666_805_766_5e-1
    p = p * t + 2.000_071_476_5e-1
    p = p * t - 2.499_999_399_3e-1
    p = p * t + 3.333_333_117_4e-1
    var y = (p * t) * z
    y = y + fe * -2.121_944_40e-4
    y = y + z * -0.5
    var r = t + y
    r = r + fe * 0.693_359_375
    let r1 = x >= 0 ? r : .nan
    let r2 = x == 0 ? -.infinity : r1
    return x == .infinity ? .infinity : r2
  }

  @inlinable
  public static func tanh(_ x: Float) -> Float {
    let z = x * x
    var p: Float = -5.704_988_727_45e-3
    p = p * z + 2.063_908_879_54e-2
    p = p * z - 5.373_971_555_31e-2
    p = p * z + 1.333_144_220_36e-1
    p = p * z - 3.333_328_194_22e-1
    let small = (p * z) * x + x
    let ax = Swift.abs(x)
    let e = exp(ax + ax)
    let big = 1 - 2 / (e + 1)
    let signed = x < 0 ? -big : big
    return ax < 0.625 ? small : signed
  }

  @inlinable
  public static func sigmoid(_ x: Float) -> Float {
    let e = exp(-Swift.abs(x))
    let d = 1 + e
    return (x >= 0 ? 1 : e) / d
  }
}
