import CSketchScalar

/// The Philox-4x32-10 counter-based block function (Salmon, Moraes, Dror and Shaw, "Parallel Random
/// Numbers: As Easy as 1, 2, 3", SC 2011; the Random123 library).
///
/// A block maps a 64-bit key and a 128-bit counter to 128 pseudo-random bits, with no state. One round
/// with key `(k0, k1)` maps the counter words `(c0, c1, c2, c3)` to
///
///     (hi(M1 * c2) ^ c1 ^ k0,  lo(M1 * c2),  hi(M0 * c0) ^ c3 ^ k1,  lo(M0 * c0))
///
/// where `M0 = 0xD2511F53`, `M1 = 0xCD9E8D57` and `hi`/`lo` are the high and low 32 bits of the 64-bit
/// product. Ten rounds are applied; between consecutive rounds the key is bumped by the Weyl increments
/// `k0 += 0x9E3779B9`, `k1 += 0xBB67AE85` (mod 2^32), so the first round uses the key as given.
public enum Philox {
  /// The round multipliers `M0`, `M1`.
  public static let multipliers: (UInt32, UInt32) = (0xD251_1F53, 0xCD9E_8D57)
  /// The key increments applied between rounds (golden ratio and sqrt(3) - 1, in 32-bit fixed point).
  public static let weylIncrements: (UInt32, UInt32) = (0x9E37_79B9, 0xBB67_AE85)
  /// The number of rounds.
  public static let rounds = 10

  /// Philox-4x32-10 of `counter` under `key`: four 32-bit output words (`sk_philox` of
  /// CSketchScalar, the function generated C runs too).
  @inlinable
  public static func block(
    key: (UInt32, UInt32), counter: (UInt32, UInt32, UInt32, UInt32)
  ) -> (UInt32, UInt32, UInt32, UInt32) {
    var c = counter
    withUnsafeMutablePointer(to: &c) {
      $0.withMemoryRebound(to: UInt32.self, capacity: 4) { sk_philox(key.0, key.1, $0) }
    }
    return c
  }
}
