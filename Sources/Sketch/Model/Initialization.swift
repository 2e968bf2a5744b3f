import Codegen

/// Parameter initialisation, deterministic for a seed (Philox draws).
enum Initialization {
  /// Uniform in [-width, width].
  static func uniform(_ shape: [Int], width: Double, key: RandomKey) -> Tensor {
    Random.uniform(key: key, shape: shape, dtype: .float32, low: -width, high: width)
  }

  /// Orthogonal blocks scaled as Glorot: the columns of `[in, k*blockWidth]` are split into k blocks;
  /// each block is an orthogonal matrix (orthonormal columns when in >= blockWidth, else orthonormal
  /// rows; Gram-Schmidt of Gaussian draws) scaled so its entries have Glorot's variance
  /// 2 / (in + blockWidth).
  static func orthogonalGlorot(_ shape: [Int], blockWidth: Int, key: RandomKey) -> Tensor {
    precondition(shape.count == 2 && shape[1] % blockWidth == 0)
    let (n, m) = (shape[0], shape[1])
    var out = [Double](repeating: 0, count: n * m)
    for blk in 0..<(m / blockWidth) {
      let w = blockWidth
      let tall = n >= w
      let (rows, cols) = tall ? (n, w) : (w, n)  // orthonormalise `cols` vectors of length `rows`
      var q = Random.normal(key: key.fold(UInt64(blk)), shape: [cols, rows], dtype: .float64).array(Double.self)
      for j in 0..<cols {
        for k in 0..<j {
          var dot = 0.0
          for r in 0..<rows { dot += q[j * rows + r] * q[k * rows + r] }
          for r in 0..<rows { q[j * rows + r] -= dot * q[k * rows + r] }
        }
        var norm = 0.0
        for r in 0..<rows { norm += q[j * rows + r] * q[j * rows + r] }
        norm = norm.squareRoot()
        for r in 0..<rows { q[j * rows + r] /= norm }
      }
      // Unit vectors have entry variance 1/rows; scale to 2/(n + w).
      let scale = (2.0 * Double(rows) / Double(n + w)).squareRoot()
      for i in 0..<n {
        for c in 0..<w {
          let v = tall ? q[c * rows + i] : q[i * rows + c]
          out[i * m + blk * w + c] = v * scale
        }
      }
    }
    return Tensor(shape: shape, out.map { Float($0) })
  }
}
