import CSketchScalar

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The key of a random stream: the 64-bit Philox key `(k0, k1)`.
///
/// A graph holds keys as int32 tensors of shape `[2]` with the bit patterns of `k0` and `k1`.
public struct RandomKey: Hashable, Sendable, CustomStringConvertible {
  /// The key's first 32-bit word (an int32 key tensor's element 0, as a bit pattern).
  public var k0: UInt32
  /// The key's second 32-bit word (element 1).
  public var k1: UInt32

  /// The key `(k0, k1)`.
  public init(k0: UInt32, k1: UInt32) {
    self.k0 = k0
    self.k1 = k1
  }

  /// The key of a seed: `k0` is the low 32 bits, `k1` the high 32 bits.
  public init(seed: UInt64) {
    self.init(k0: UInt32(truncatingIfNeeded: seed), k1: UInt32(truncatingIfNeeded: seed >> 32))
  }

  /// The key held by an int32 tensor of shape `[2]` (bit patterns of `k0`, `k1`).
  public init(tensor: Tensor) {
    precondition(
      tensor.dtype == .int32 && tensor.shape == [2],
      "RandomKey: a key is an int32 tensor of shape [2], got \(tensor.dtype) \(tensor.shape)")
    let words = tensor.array(Int32.self)
    self.init(k0: UInt32(bitPattern: words[0]), k1: UInt32(bitPattern: words[1]))
  }

  /// This key as an int32 tensor of shape `[2]`.
  public var tensor: Tensor {
    Tensor(shape: [2], [Int32(bitPattern: k0), Int32(bitPattern: k1)])
  }

  /// A new key derived from this one and `data`: the first two words of the Philox block with this
  /// key and counter `(lo32(data), hi32(data), 0, 1)`.
  public func fold(_ data: UInt64) -> RandomKey {
    var out: (UInt32, UInt32) = (0, 0)
    withUnsafeMutablePointer(to: &out) {
      $0.withMemoryRebound(to: UInt32.self, capacity: 2) { sk_fold_k(k0, k1, data, $0) }
    }
    return RandomKey(k0: out.0, k1: out.1)
  }

  /// `RandomKey(0xK0, 0xK1)`, the words in lowercase hex.
  public var description: String {
    "RandomKey(0x\(String(k0, radix: 16)), 0x\(String(k1, radix: 16)))"
  }
}

/// Random tensors from a counter-based generator, specified so that the generated C reproduces every
/// value bit for bit. (The same text is in docs/random.md.)
///
/// **Block.** `Philox.block(key:counter:)` is Philox-4x32-10 (see ``Philox``). Element `i` (its row-major
/// index as a UInt64) of a draw with key `(k0, k1)` uses the block with counter
/// `(lo32(i), hi32(i), 0, 0)`; its output words are `w0, w1, w2, w3`. `RandomKey.fold(d)` uses counter
/// `(lo32(d), hi32(d), 0, 1)` and takes `(w0, w1)` as the new key, so folds never collide with draws.
///
/// **Uniform.** float32: `u = Float(w0 >> 8) * 2^-24` (in [0, 1)); float64:
/// `u = Double(((UInt64(w0) << 32) | UInt64(w1)) >> 11) * 2^-53`. Both are exact. The element is
/// `low + (high - low) * u`, with `low` and `high` first rounded to the dtype and every operation done
/// in the dtype (a C compiler must not fuse it into an FMA: compile with `-ffp-contract=off`).
///
/// **Normal.** `u1 = (Double(w0) + 1) * 2^-32` (in (0, 1]), `u2 = Double(w1) * 2^-32`, then
/// `z = sqrt(-2 * log(u1)) * cos(2 * pi * u2)` in Double with the C library's `log`, `cos` and `sqrt`
/// (glibc on Linux; `2 * pi` is evaluated first), and the element is `mean + std * z` in Double, rounded
/// once to the dtype (float32: one `Float(...)` conversion at the end).
///
/// **Bernoulli.** Element `i` is true when `uniform64(i) < p[i]`, with `p[i]` converted to Double.
///
/// **Categorical.** For probabilities of shape `[..., K]` (nonnegative, not necessarily normalised),
/// row `n` (row-major over the leading axes) uses `u = uniform64(n)` and
/// `target = u * s`, where `s` is the row sum accumulated in Double from left to right. The result is
/// the number of `j` in `0..<K-1` whose running sum `p[0] + ... + p[j]` (Double, left to right) is
/// `< target`, so it lies in `0...K-1`. The result is int32 with the shape of the leading axes.
public enum Random {
  // MARK: Per-element functions (CSketchScalar's, which generated C runs too)

  /// The four Philox words of element `index` under `key`: counter `(lo32(index), hi32(index), 0, 0)`.
  @inlinable
  public static func words(key: RandomKey, index: UInt64) -> (UInt32, UInt32, UInt32, UInt32) {
    Philox.block(
      key: (key.k0, key.k1),
      counter: (UInt32(truncatingIfNeeded: index), UInt32(truncatingIfNeeded: index >> 32), 0, 0))
  }

  /// The float32 uniform in [0, 1) of element `index`: `Float(w0 >> 8) * 2^-24`.
  @inlinable
  public static func uniform32(key: RandomKey, index: UInt64) -> Float { sk_uniform32_k(key.k0, key.k1, index) }

  /// The float64 uniform in [0, 1) of element `index`: the top 53 bits of `w0:w1`, times 2^-53.
  @inlinable
  public static func uniform64(key: RandomKey, index: UInt64) -> Double { sk_uniform64_k(key.k0, key.k1, index) }

  /// The standard normal of element `index` (Box-Muller on `w0`, `w1`, in Double with libm).
  @inlinable
  public static func standardNormal(key: RandomKey, index: UInt64) -> Double { sk_normal_k(key.k0, key.k1, index) }

  /// Element `index` of a uniform draw on [low, high) in `T` (`low + (high - low) * u`, in `T`).
  @inlinable
  public static func uniformElement<T: TensorFloat>(
    _: T.Type = T.self, key: RandomKey, index: UInt64, low: T, high: T
  ) -> T {
    let u: T =
      T.dtype == .float32
      ? T(uniform32(key: key, index: index)) : T(uniform64(key: key, index: index))
    return low + (high - low) * u
  }

  /// Element `index` of a normal draw: `mean + std * z` in Double, rounded once to `T`.
  @inlinable
  public static func normalElement<T: TensorFloat>(
    _: T.Type = T.self, key: RandomKey, index: UInt64, mean: Double, std: Double
  ) -> T {
    T(mean + std * standardNormal(key: key, index: index))
  }

  /// Element `index` of a Bernoulli draw: `uniform64(index) < probability`.
  @inlinable
  public static func bernoulliElement(key: RandomKey, index: UInt64, probability: Double) -> Bool {
    uniform64(key: key, index: index) < probability
  }

  /// Row `row` of a categorical draw over the `K` weights `probabilities` (see the type's summary).
  public static func categoricalRow<C: Collection>(
    key: RandomKey, row: UInt64, probabilities: C
  ) -> Int32 where C.Element == Double {
    precondition(!probabilities.isEmpty, "Random.categorical: a row needs at least one category")
    var total = 0.0
    for p in probabilities { total += p }
    let target = uniform64(key: key, index: row) * total
    var running = 0.0
    var count: Int32 = 0
    var j = 0
    let last = probabilities.count - 1
    for p in probabilities {
      if j == last { break }
      running += p
      if running < target { count += 1 }
      j += 1
    }
    return count
  }

  // MARK: Tensor draws

  /// A float32 or float64 tensor of `shape` with elements uniform on [low, high).
  public static func uniform(
    key: RandomKey, shape: [Int], dtype: DType = .float32, low: Double = 0, high: Double = 1
  ) -> Tensor {
    let n = elementCount(shape, "uniform")
    switch dtype {
    case .float32:
      let lo = Float(low)
      let hi = Float(high)
      return Tensor(
        shape: shape,
        (0..<n).map { uniformElement(Float.self, key: key, index: UInt64($0), low: lo, high: hi) })
    case .float64:
      return Tensor(
        shape: shape,
        (0..<n).map {
          uniformElement(Double.self, key: key, index: UInt64($0), low: low, high: high)
        })
    default:
      preconditionFailure("Random.uniform: dtype must be float32 or float64, got \(dtype)")
    }
  }

  /// A float32 or float64 tensor of `shape` with normal elements of the given mean and standard deviation.
  public static func normal(
    key: RandomKey, shape: [Int], dtype: DType = .float32, mean: Double = 0, std: Double = 1
  ) -> Tensor {
    let n = elementCount(shape, "normal")
    switch dtype {
    case .float32:
      return Tensor(
        shape: shape,
        (0..<n).map { normalElement(Float.self, key: key, index: UInt64($0), mean: mean, std: std) }
      )
    case .float64:
      return Tensor(
        shape: shape,
        (0..<n).map {
          normalElement(Double.self, key: key, index: UInt64($0), mean: mean, std: std)
        })
    default:
      preconditionFailure("Random.normal: dtype must be float32 or float64, got \(dtype)")
    }
  }

  /// A bool tensor of the shape of `probabilities`: element `i` is true with probability `p[i]`.
  public static func bernoulli(key: RandomKey, probabilities: Tensor) -> Tensor {
    let p = probabilities.doubles
    return Tensor(
      shape: probabilities.shape,
      p.indices.map { bernoulliElement(key: key, index: UInt64($0), probability: p[$0]) })
  }

  /// An int32 tensor of shape `probabilities.shape.dropLast()`: one category index per row of the
  /// last axis, drawn in proportion to the (nonnegative, unnormalised) weights.
  public static func categorical(key: RandomKey, probabilities: Tensor) -> Tensor {
    precondition(
      probabilities.rank >= 1 && probabilities.shape.last! >= 1,
      "Random.categorical: probabilities need a nonempty last axis, got \(probabilities.shape)")
    let k = probabilities.shape.last!
    let p = probabilities.doubles
    let rows = p.count / k
    let result = (0..<rows).map { n in
      categoricalRow(key: key, row: UInt64(n), probabilities: p[(n * k)..<((n + 1) * k)])
    }
    return Tensor(shape: Array(probabilities.shape.dropLast()), result)
  }

  private static func elementCount(_ shape: [Int], _ what: String) -> Int {
    precondition(shape.allSatisfy { $0 >= 0 }, "Random.\(what): negative dimension in \(shape)")
    return shape.reduce(1, *)
  }
}
