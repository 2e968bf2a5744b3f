import ArgumentParser
import Foundation

/// The experiment naming of udibr/sketch: `{name}-{depth}X{dim}m{mix}d{int(dropout*10)}r{shnum(lr)}b{bs}e{shnum(eps)}`
/// then `-L{max_length}` if not 600, `g` for GRU, `G{max_grad}` (%g) if not 5, the step method if not
/// adam, `D` for skip, `T` for top, `u{int(uniform*100)}` if uniform > 0; then Sketch's own: `P` for
/// peepholes, `C` for derivative clipping, and `-synthesisK{window}` for the synthesis network.
enum ExperimentName {
  /// The longest `--name` in UTF-8 bytes (the suffix adds under 80; a folder name may have 255).
  static let maxNameBytes = 100
  /// The characters besides letters and digits that `--name` may hold.
  static let nameSymbols: Set<Character> = [".", "_", "-", "+", "=", ",", "@"]

  /// Checks that `--name` makes one plain folder inside `--output`: letters, digits and a few
  /// symbols, not starting with "." (no "..", "/", newlines or hidden folders), at most 100 bytes.
  static func validate(name: String) throws {
    let ok =
      !name.isEmpty && name.utf8.count <= maxNameBytes && !name.hasPrefix(".")
      && name.allSatisfy { $0.isLetter || $0.isNumber || nameSymbols.contains($0) }
    guard ok else {
      throw ValidationError(
        "--name must be 1 to \(maxNameBytes) bytes of letters, digits and \(nameSymbols.sorted().map(String.init).joined(separator: " ")), "
          + "not starting with '.' (it names a folder inside --output); got \(String(reflecting: name))")
    }
  }

  /// "0" for x <= 0, else the first digit of x in %e notation followed by -floor(log10 x):
  /// 1e-3 gives "13", 3e-4 gives "34", 100 gives "1-2".
  static func shnum(_ x: Double) -> String {
    if x <= 0 { return "0" }
    let first = String(format: "%e", x).prefix(1)
    return "\(first)\(Int(-Foundation.floor(Foundation.log10(x))))"
  }

  static func make(
    name: String, model c: ModelConfig, learningRate: Double, batchSize: Int, maxLength: Int, maxGrad: Double,
    stepMethod: StepMethod, derivativeClipping: Bool = false
  ) -> String {
    var s =
      "\(name)-\(c.depth)X\(c.dim)m\(c.mixDim)d\(Int(c.dropout * 10))r\(shnum(learningRate))b\(batchSize)e\(shnum(c.epsilon))"
    if maxLength != 600 { s += "-L\(maxLength)" }
    if c.gru { s += "g" }
    if maxGrad != 5 { s += "G" + String(format: "%g", maxGrad) }
    if stepMethod != .adam { s += stepMethod.rawValue }
    if c.skip { s += "D" }
    if c.top { s += "T" }
    if c.uniform > 0 { s += "u\(Int(c.uniform * 100))" }
    if c.peepholes { s += "P" }
    if derivativeClipping { s += "C" }
    if c.synthesis { s += "-synthesisK\(c.window)" }
    return s
  }
}
