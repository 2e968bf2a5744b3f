import SketchRuntime

/// Parameter initialisers: tensors drawn deterministically from a `RandomKey` (Philox), so that a
/// seed gives the same parameters on every machine and backend.
///
/// Fans follow the convention of `x · W` weights: for a shape `[in, out]`, fan-in is `in` and fan-out
/// `out`; for a higher rank `[k₁, …, in, out]` both are multiplied by the receptive field `k₁⋯`; a
/// vector `[n]` has fan-in and fan-out `n`.
public enum Initializer {
  /// The fan-in and fan-out of a weight of `shape` (see ``Initializer``).
  public static func fans(_ shape: [Int]) -> (fanIn: Int, fanOut: Int) {
    switch shape.count {
    case 0: return (1, 1)
    case 1: return (shape[0], shape[0])
    default:
      let receptive = shape.dropLast(2).reduce(1, *)
      return (shape[shape.count - 2] * receptive, shape[shape.count - 1] * receptive)
    }
  }

  /// Elements uniform in `[-width, width)`.
  public static func uniform(_ shape: [Int], width: Double, dtype: DType = .float32, key: RandomKey) -> Tensor {
    Random.uniform(key: key, shape: shape, dtype: dtype, low: -width, high: width)
  }

  /// Glorot (Xavier) uniform: elements uniform in `±gain·√(6 / (fanIn + fanOut))`, of variance
  /// `gain² · 2 / (fanIn + fanOut)`.
  public static func glorotUniform(_ shape: [Int], gain: Double = 1, dtype: DType = .float32, key: RandomKey)
    -> Tensor
  {
    let (fanIn, fanOut) = fans(shape)
    return uniform(shape, width: gain * (6 / Double(fanIn + fanOut)).squareRoot(), dtype: dtype, key: key)
  }

  /// Glorot (Xavier) normal: elements normal with mean 0 and standard deviation
  /// `gain·√(2 / (fanIn + fanOut))` (not truncated, as PyTorch's `xavier_normal_`).
  public static func glorotNormal(_ shape: [Int], gain: Double = 1, dtype: DType = .float32, key: RandomKey)
    -> Tensor
  {
    let (fanIn, fanOut) = fans(shape)
    return Random.normal(key: key, shape: shape, dtype: dtype, std: gain * (2 / Double(fanIn + fanOut)).squareRoot())
  }

  /// A random orthogonal matrix times `gain` (Saxe et al.): for `[n, m]`, orthonormal columns when
  /// `n >= m` (`QᵀQ = gain²·I`), else orthonormal rows (`QQᵀ = gain²·I`).
  ///
  /// It is the Gram-Schmidt orthonormalisation (the Q of a QR decomposition) of Gaussian draws, which
  /// is uniformly distributed over orthogonal matrices. A shape of rank above 2 is treated as the
  /// matrix `[k₁⋯, last]`.
  public static func orthogonal(_ shape: [Int], gain: Double = 1, dtype: DType = .float32, key: RandomKey)
    -> Tensor
  {
    precondition(shape.count >= 2, "Initializer.orthogonal: the shape \(shape) must have rank 2 or more")
    let (n, m) = (shape.dropLast().reduce(1, *), shape[shape.count - 1])
    let tall = n >= m
    let (rows, cols) = tall ? (n, m) : (m, n)
    let q = orthonormalVectors(count: cols, length: rows, key: key)
    var out = [Double](repeating: 0, count: n * m)
    for i in 0..<n {
      for j in 0..<m { out[i * m + j] = gain * (tall ? q[j * rows + i] : q[i * rows + j]) }
    }
    return Tensor(shape: shape, dtype: dtype, values: out)
  }

  /// Orthogonal blocks scaled as Glorot (the handwriting model's initialiser): the columns of
  /// `[in, k·blockWidth]` are split into k blocks; each is an orthogonal matrix (orthonormal columns
  /// when `in >= blockWidth`, else orthonormal rows; Gram-Schmidt of Gaussian draws from
  /// `key.fold(block)`) scaled so that its entries have Glorot's variance `2 / (in + blockWidth)`.
  public static func orthogonalGlorot(_ shape: [Int], blockWidth: Int, dtype: DType = .float32, key: RandomKey)
    -> Tensor
  {
    precondition(
      shape.count == 2 && blockWidth > 0 && shape[1] % blockWidth == 0,
      "Initializer.orthogonalGlorot: the shape \(shape) must be [in, k * blockWidth] (blockWidth \(blockWidth))")
    let (n, m) = (shape[0], shape[1])
    var out = [Double](repeating: 0, count: n * m)
    for blk in 0..<(m / blockWidth) {
      let w = blockWidth
      let tall = n >= w
      let (rows, cols) = tall ? (n, w) : (w, n)
      let q = orthonormalVectors(count: cols, length: rows, key: key.fold(UInt64(blk)))
      // Unit vectors have entry variance 1/rows; scale to 2/(n + w).
      let scale = (2.0 * Double(rows) / Double(n + w)).squareRoot()
      for i in 0..<n {
        for c in 0..<w {
          let v = tall ? q[c * rows + i] : q[i * rows + c]
          out[i * m + blk * w + c] = v * scale
        }
      }
    }
    return Tensor(shape: shape, dtype: dtype, values: out)
  }

  /// `count` orthonormal vectors of `length` (row-major `[count, length]`, float64): modified
  /// Gram-Schmidt of standard normal draws from `key`.
  static func orthonormalVectors(count: Int, length: Int, key: RandomKey) -> [Double] {
    precondition(count <= length, "\(count) orthonormal vectors need a length of at least \(count), got \(length)")
    var q = Random.normal(key: key, shape: [count, length], dtype: .float64).array(Double.self)
    for j in 0..<count {
      for k in 0..<j {
        var dot = 0.0
        for r in 0..<length { dot += q[j * length + r] * q[k * length + r] }
        for r in 0..<length { q[j * length + r] -= dot * q[k * length + r] }
      }
      var norm = 0.0
      for r in 0..<length { norm += q[j * length + r] * q[j * length + r] }
      norm = norm.squareRoot()
      for r in 0..<length { q[j * length + r] /= norm }
    }
    return q
  }
}
