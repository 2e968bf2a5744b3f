import Codegen
import Foundation

/// Writing text with a trained synthesis model: text to character ids, the sampler run on a batch of
/// lines, and Graves' stop rule with guards, so that a line whose window never reaches the end, stalls
/// on a character or loops back is drawn again with the next seed.
struct HandwritingWriter {
  /// A line as written: its offsets (dx, dy, pen; normalised units of the model), the stop step, the
  /// window's trace phi [steps][characters], and how many draws it took.
  struct Line {
    var text: String
    /// The characters the window read, one per column of phi: a primer's text (and a space), then `text`.
    var windowText = ""
    var offsets: [(dx: Double, dy: Double, pen: Double)]
    var phi: [[Double]]
    var draws: Int
    /// Why the earlier draws were refused, one entry per refused draw.
    var refusals: [String]
  }

  /// A primer (Graves 5.5): strokes in the model's normalised offsets and the text they show.
  struct Primer {
    var offsets: [(dx: Double, dy: Double, pen: Double)]
    var text: String
  }

  let model: SynthesisModel
  /// The model's characters; a character's id is its index.
  let alphabet: [Character]
  /// Points per character of the step budget: a line of n characters may take up to
  /// `stepsPerCharacter · (n + 1)` steps before it counts as not reaching its end.
  var stepsPerCharacter = 40
  /// The fewest points per character a line may have: a window that races past the text (it jumped to
  /// the end instead of reading it) writes fewer.
  var minPointsPerCharacter = 3
  /// The longest run of steps the window may stay on one character before the draw counts as stalled.
  var maxStepsOnOneCharacter = 120
  /// Draws per line before giving up (the last draw is kept, and reported).
  var maxDraws = 4
  private let sampler: Function
  private let primedSampler: Function

  /// `mode` chooses the backend (nil: `SKETCH_MODE`, else native).
  init(model: SynthesisModel, alphabet: [Character], mode: Mode? = nil) throws {
    self.model = model
    self.alphabet = alphabet
    let chars = input("chars", .int32, ["B", "U"])
    let cmask = input("cmask", .float32, ["B", "U"])
    let noise = input("noise", .float32, ["S", "B", 4])
    let bias = input("bias", .float32, ["B"])
    let px = input("prime", .float32, ["P", "B", 3])
    let plen = input("primeLength", .int32, ["B"])
    let plain = model.sampler(chars: chars, cmask: cmask, noise: noise, bias: bias)
    sampler = try compile(
      inputs: [chars, cmask, noise, bias], outputs: [plain.strokes, plain.stopStep, plain.phi], mode: mode)
    let primed = model.sampler(chars: chars, cmask: cmask, noise: noise, bias: bias, prime: (px, plen))
    primedSampler = try compile(
      inputs: [chars, cmask, noise, bias, px, plen], outputs: [primed.strokes, primed.stopStep, primed.phi], mode: mode)
  }

  /// The ids of `text`'s characters; a character outside the alphabet is an error that lists them.
  func encode(_ text: String) throws -> [Int32] {
    let index = Dictionary(alphabet.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { a, _ in a })
    let unknown = Set(text.filter { index[$0] == nil })
    guard unknown.isEmpty else {
      let listed = unknown.sorted().map { "'\($0)'" }.joined(separator: ", ")
      throw WriteError(
        "the model cannot write \(listed): it knows only \(alphabet.count) characters: \"\(String(alphabet))\"; "
          + "leave them out or replace them")
    }
    return text.map { index[$0]! }
  }

  /// Writes each of `lines` (one batch), drawing with noise from `seed` (a line's k-th draw uses
  /// `seed + k`), with Graves' bias.
  func write(_ lines: [String], bias: Double, seed: UInt64, primer: Primer? = nil) throws -> [Line] {
    let ids = try lines.map(encode)
    // The primer's text precedes each line's, with a space between them (when the model knows one),
    // so that the first word written is not joined to the primer's last.
    let primerText = primer.map { $0.text + ($0.text.last == " " || !alphabet.contains(" ") ? "" : " ") } ?? ""
    let primerIds = try encode(primerText)
    var result = [Line?](repeating: nil, count: lines.count)
    var refusals = [[String]](repeating: [], count: lines.count)
    var pending = Array(lines.indices)
    for draw in 0..<maxDraws where !pending.isEmpty {
      let drawn = try sample(
        pending.map { primerIds + ids[$0] }, rows: pending, primer: primer, bias: bias, seed: seed &+ UInt64(draw))
      var still: [Int] = []
      for (row, i) in pending.enumerated() {
        var line = drawn[row]
        line.text = lines[i]
        line.windowText = primerText + lines[i]
        line.draws = draw + 1
        let problem = check(line, characters: primerIds.count + ids[i].count, primerCharacters: primerIds.count)
        if let problem, draw + 1 < maxDraws {
          refusals[i].append(problem)
          still.append(i)
        } else {
          if let problem { refusals[i].append(problem + " (kept: last draw)") }
          line.refusals = refusals[i]
          result[i] = line
        }
      }
      pending = still
    }
    return result.map { $0! }
  }

  /// Why a draw is refused, or nil: the window did not pass the end within the budget, passed it
  /// too soon, stayed too long on one character, or went back by two characters or more.
  func check(_ line: Line, characters n: Int, primerCharacters: Int) -> String? {
    let budget = stepsPerCharacter * (n - primerCharacters + 1)
    if line.offsets.count >= budget {
      return "the window did not reach the end of the text within \(budget) points"
    }
    let least = minPointsPerCharacter * (n - primerCharacters)
    if line.offsets.count < least {
      return "the window passed the end of the text after \(line.offsets.count) points (fewer than \(least))"
    }
    var furthest = -1
    var run = 0
    var last = -1
    for (s, row) in line.phi.prefix(line.offsets.count).enumerated() {
      guard let at = row.indices.max(by: { row[$0] < row[$1] }) else { continue }
      if at < furthest - 1 { return "the window went back from character \(furthest) to \(at) at point \(s)" }
      run = at == last ? run + 1 : 1
      if run > maxStepsOnOneCharacter { return "the window stayed on character \(at) for \(run) points" }
      (last, furthest) = (at, Swift.max(furthest, at))
    }
    return nil
  }

  /// One draw for each text (ids, primer text first when primed) of the lines `rows`: strokes kept up
  /// to the stop step.
  private func sample(_ texts: [[Int32]], rows: [Int], primer: Primer?, bias: Double, seed: UInt64) throws -> [Line] {
    let B = texts.count
    let U = Swift.max(1, texts.map(\.count).max() ?? 1)
    let S = stepsPerCharacter * (U + 1)
    var chars = [Int32](repeating: 0, count: B * U)
    var cmask = [Float](repeating: 0, count: B * U)
    for (b, t) in texts.enumerated() {
      for (u, c) in t.enumerated() { (chars[b * U + u], cmask[b * U + u]) = (c, 1) }
    }
    // Each line's noise comes from its own key (seed, line), as a prefix of one stream, so a line's
    // draw does not depend on the batch around it.
    var noise = [Float](repeating: 0, count: S * B * 4)
    for (b, line) in rows.enumerated() {
      let key = RandomKey(seed: seed).fold(UInt64(line))
      let uniform = Random.uniform(key: key.fold(0), shape: [S, 2]).array(Float.self)
      let normal = Random.normal(key: key.fold(1), shape: [S, 2]).array(Float.self)
      for t in 0..<S {
        let k = (t * B + b) * 4
        (noise[k], noise[k + 1], noise[k + 2], noise[k + 3]) =
          (uniform[t * 2], normal[t * 2], normal[t * 2 + 1], uniform[t * 2 + 1])
      }
    }
    var args = [
      Tensor(shape: [B, U], chars), Tensor(shape: [B, U], cmask), Tensor(shape: [S, B, 4], noise),
      Tensor(shape: [B], [Float](repeating: Float(bias), count: B)),
    ]
    let out: [Tensor]
    if let primer {
      // At least two points, so that the teacher-forced part is never empty (its first point is a
      // pen-up move of zero length, which the network reads as a new stroke starting here).
      let points = [(dx: 0.0, dy: 0.0, pen: 1.0)] + primer.offsets
      let P = points.count
      var px = [Float](repeating: 0, count: P * B * 3)
      for (t, p) in points.enumerated() {
        for b in 0..<B { (px[(t * B + b) * 3], px[(t * B + b) * 3 + 1], px[(t * B + b) * 3 + 2]) = (Float(p.dx), Float(p.dy), Float(p.pen)) }
      }
      args += [Tensor(shape: [P, B, 3], px), Tensor(shape: [B], [Int32](repeating: Int32(P), count: B))]
      out = try primedSampler.call(args)
    } else {
      out = try sampler.call(args)
    }
    let strokes = SampleRenderer.sequences(out[0])
    let stops = out[1].array(Int32.self)
    let phi = out[2].doubles
    return (0..<B).map { b in
      let kept = Int(stops[b])
      let rows = (0..<S).map { s in Array(phi[((s * B + b) * U)..<((s * B + b) * U + U)]) }
      return Line(text: "", offsets: Array(strokes[b].prefix(kept)), phi: rows, draws: 1, refusals: [])
    }
  }
}

/// A request `sketch write` cannot carry out, with what to do instead.
struct WriteError: Error, CustomStringConvertible {
  let description: String
  init(_ message: String) { description = message }
}
