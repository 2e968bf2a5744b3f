import Codegen

/// A sequential stream of random numbers drawn from Runtime's Philox generator: draw `k` of a stream uses
/// element index `k` under the stream's key, so a stream is fully determined by (seed, stream id) and
/// independent streams can run in parallel (one per generated line, one per epoch, ...).
struct RandomStream {
  let key: RandomKey
  private(set) var counter: UInt64 = 0

  /// The stream `id` of `seed` (the seed's key folded with the id).
  init(seed: UInt64, stream id: UInt64 = 0) {
    key = RandomKey(seed: seed).fold(id)
  }

  /// A stream derived from this one's key and `id`, independent of this stream's draws.
  func substream(_ id: UInt64) -> RandomStream {
    RandomStream(key: key.fold(id))
  }

  private init(key: RandomKey) { self.key = key }

  /// Uniform on [0, 1).
  mutating func uniform() -> Double {
    defer { counter &+= 1 }
    return Random.uniform64(key: key, index: counter)
  }

  /// Uniform on [low, high).
  mutating func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * uniform() }

  /// Standard normal.
  mutating func normal() -> Double {
    defer { counter &+= 1 }
    return Random.standardNormal(key: key, index: counter)
  }

  /// Normal with the given mean and standard deviation.
  mutating func normal(_ mean: Double, _ sd: Double) -> Double { mean + sd * normal() }

  /// True with probability `p`.
  mutating func chance(_ p: Double) -> Bool { uniform() < p }

  /// Uniform integer in 0..<n (n > 0).
  mutating func below(_ n: Int) -> Int { min(n - 1, Int(uniform() * Double(n))) }

  /// Shuffles `array` in place (Fisher-Yates).
  mutating func shuffle<T>(_ array: inout [T]) {
    guard array.count > 1 else { return }
    for i in stride(from: array.count - 1, to: 0, by: -1) {
      let j = below(i + 1)
      if i != j { array.swapAt(i, j) }
    }
  }
}
