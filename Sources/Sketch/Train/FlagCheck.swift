import ArgumentParser
import Foundation

/// Up-front checks of numeric flags: each failure is a usage error (exit 64) naming the flag, the
/// value given and the accepted range.
enum FlagCheck {
  /// `value` must be at least `minimum`.
  static func atLeast(_ value: Int, _ minimum: Int, _ flag: String, _ why: String = "") throws {
    guard value >= minimum else {
      throw ValidationError("\(flag) must be at least \(minimum)\(why.isEmpty ? "" : " (\(why))"), got \(value)")
    }
  }

  /// `value` must be finite and in `range`; with `aboveLower`, strictly above its lower end.
  static func finite(
    _ value: Double, _ flag: String, _ range: ClosedRange<Double>, aboveLower: Bool = false, _ why: String = ""
  ) throws {
    guard value.isFinite, range.contains(value), !(aboveLower && value == range.lowerBound) else {
      let lower = "\(aboveLower ? ">" : ">=") \(number(range.lowerBound))"
      let bounds =
        range.upperBound == .greatestFiniteMagnitude
        ? lower : (aboveLower ? "in (" : "in [") + "\(number(range.lowerBound)), \(number(range.upperBound))]"
      throw ValidationError(
        "\(flag) must be a finite number \(bounds)\(why.isEmpty ? "" : " (\(why))"), got \(number(value))")
    }
  }

  private static func number(_ x: Double) -> String { x.isFinite ? String(format: "%g", x) : "\(x)" }
}
