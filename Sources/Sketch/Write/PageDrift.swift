import Codegen
import Foundation

/// The slow drift of a hand down a page (`sketch write --drift AMOUNT`): from line to line the
/// baseline moves a little off its ruled place and the slant changes a little, as a seeded random
/// walk that stays within bounds.
///
/// At `amount` 1 (the default) the baseline's offset takes steps with a standard deviation of
/// ``offsetStep`` (0.3 mm) and stays within ±``offsetBound`` (1 mm); the slant takes steps of
/// ``slantStep`` (0.4 degrees) and stays within ±``slantBound`` (2 degrees); steps and bounds scale
/// with `amount`, and 0 turns the drift off. A step that would leave the bounds is reflected back
/// inside them. The first line starts at a random point of the walk's range, not at zero.
struct PageDrift: Equatable {
  static let offsetStep = 0.3
  static let offsetBound = 1.0
  static let slantStep = 0.4
  static let slantBound = 2.0
  /// The largest `--drift`.
  static let maxAmount = 5.0

  var amount = 1.0
  var seed: UInt64 = 0

  /// One line's drift: its baseline's offset (mm, positive downward) and its slant (degrees, positive
  /// leaning right, as upright writing turned clockwise).
  struct Value: Equatable {
    var offset: Double
    var slant: Double
  }

  /// The largest baseline offset the walk reaches (mm).
  var offsetLimit: Double { amount * Self.offsetBound }

  /// The drift of lines 0..<count (the same seed gives the same walk; a longer walk starts with a
  /// shorter one).
  func values(_ count: Int) -> [Value] {
    guard count > 0 else { return [] }
    guard amount > 0 else { return [Value](repeating: Value(offset: 0, slant: 0), count: count) }
    let key = RandomKey(seed: seed).fold(0x5041_4745)  // "PAGE"
    // Element k of the walk's draws depends on k alone (counter-based), so the walk of n lines is
    // the start of the walk of more lines.
    func normal(_ i: Int) -> Double { Random.standardNormal(key: key.fold(0), index: UInt64(i)) }
    let start = [Random.uniform64(key: key.fold(1), index: 0), Random.uniform64(key: key.fold(1), index: 1)]
    let (offsetBound, slantBound) = (amount * Self.offsetBound, amount * Self.slantBound)
    var offset = (2 * start[0] - 1) * offsetBound / 2
    var slant = (2 * start[1] - 1) * slantBound / 2
    var result: [Value] = []
    for k in 0..<count {
      if k > 0 {
        offset = Self.reflect(offset + amount * Self.offsetStep * normal(2 * k), within: offsetBound)
        slant = Self.reflect(slant + amount * Self.slantStep * normal(2 * k + 1), within: slantBound)
      }
      result.append(Value(offset: offset, slant: slant))
    }
    return result
  }

  /// `x` reflected at ±`bound` until it lies within them.
  static func reflect(_ x: Double, within bound: Double) -> Double {
    var x = x
    while abs(x) > bound { x = x > 0 ? 2 * bound - x : -2 * bound - x }
    return x
  }
}
