import Foundation

/// A written line measured for a page: its strokes in millimetres from its baseline, its start mark
/// dropped, slanted, and grouped by word from the attention window (for justification).
extension PageWriting {
  /// Marks at the start of a line that are not ink (``shape(_:slant:unit:)``): smaller than
  /// `startMark` of the line's height, or smaller than `startTick` of it and more than `startGap` of
  /// it left of the rest of the line.
  static let startMark = 0.05
  static let startTick = 0.25
  static let startGap = 0.5

  /// The larger side of the box around `stroke`.
  static func extent(_ stroke: [PagePoint]) -> Double {
    guard let x = stroke.first?.x, let y = stroke.first?.y else { return 0 }
    let xs = stroke.map(\.x)
    let ys = stroke.map(\.y)
    return Swift.max((xs.max() ?? x) - (xs.min() ?? x), (ys.max() ?? y) - (ys.min() ?? y))
  }

  /// A line's baseline: this quantile of its points' heights (most ink sits on or above the baseline;
  /// descenders are the lowest few points).
  static let baselineQuantile = 0.8

  /// A line as written, in millimetres: x from the line's own origin, y from its baseline (negative
  /// above it), slanted; each stroke's word group (words whose ink overlaps are one group).
  struct Shape {
    var strokes: [[PagePoint]]
    var group: [Int]
    var groups: [ClosedRange<Double>]
    var minX: Double
    var maxX: Double
    var ascent: Double
    var descent: Double
    var width: Double { maxX - minX }

    /// `pieces` one after the other on one baseline, each piece's ink `space` after the one before.
    static func joined(_ pieces: [Shape], space: Double) -> Shape {
      guard var line = pieces.first else {
        return Shape(strokes: [], group: [], groups: [0...0], minX: 0, maxX: 0, ascent: 0, descent: 0)
      }
      for piece in pieces.dropFirst() {
        let dx = line.maxX + space - piece.minX
        let groupBase = line.groups.count
        line.strokes += piece.strokes.map { $0.map { PagePoint($0.x + dx, $0.y) } }
        line.group += piece.group.map { $0 + groupBase }
        line.groups += piece.groups.map { ($0.lowerBound + dx)...($0.upperBound + dx) }
        line.maxX = piece.maxX + dx
        line.ascent = Swift.max(line.ascent, piece.ascent)
        line.descent = Swift.max(line.descent, piece.descent)
      }
      return line
    }

    /// The shape scaled by `f` about its origin and baseline.
    func scaled(_ f: Double) -> Shape {
      Shape(
        strokes: strokes.map { $0.map { PagePoint($0.x * f, $0.y * f) } }, group: group,
        groups: groups.map { ($0.lowerBound * f)...($0.upperBound * f) }, minX: minX * f, maxX: maxX * f,
        ascent: ascent * f, descent: descent * f)
    }
  }

  /// `line` in millimetres (`unit` mm per data unit) from its baseline, slanted by `slant` degrees
  /// (x moves right by tan(slant) times the height above the baseline), with its strokes grouped by
  /// word: a stroke belongs to the word of the character the window was on at its middle point (the
  /// window's largest weight; a space counts with the word before it), and words whose ink overlaps
  /// (a stroke reaching into the next word) make one group, so that justification never pulls a
  /// stroke away from the ink it touches.
  func shape(_ line: HandwritingWriter.Line, slant: Double, unit: Double) -> Shape {
    Self.shape(line, slant: slant, unit: unit, dataScale: dataScale)
  }

  /// ``shape(_:slant:unit:)`` of a model whose data scale is `dataScale`.
  static func shape(
    _ line: HandwritingWriter.Line, slant: Double, unit: Double, dataScale: (x: Double, y: Double)
  ) -> Shape {
    let data = WritingOutput.strokes(line.offsets, scale: dataScale)
    let ranges = WritingOutput.strokeRanges(line.offsets)
    let ys = data.flatMap { s in stride(from: 1, to: s.count, by: 2).map { s[$0] } }.sorted()
    let baseline = ys.isEmpty ? 0 : ys[Int(Double(ys.count - 1) * Self.baselineQuantile)]
    let shear = tan(slant * .pi / 180)
    var strokes = data.map { s in
      stride(from: 0, to: s.count - 1, by: 2).map { j -> PagePoint in
        let y = (s[j + 1] - baseline) * unit
        return PagePoint(s[j] * unit - y * shear, y)
      }
    }
    // A line's first point is where the pen is before the first letter: the model often draws a dot
    // or a short tick there and jumps to the first letter, which would leave a mark before every
    // line. Leading marks smaller than ``startMark`` of the line's height, or smaller than
    // ``startTick`` of it and more than ``startGap`` of it left of the rest of the ink, are dropped.
    let height = ((ys.last ?? 0) - (ys.first ?? 0)) * unit
    var first = 0
    while first < strokes.count - 1 {
      let size = Self.extent(strokes[first])
      let gap = strokes[(first + 1)...].flatMap { $0 }.map(\.x).min()! - strokes[first].map(\.x).max()!
      guard size < Self.startMark * height || (size < Self.startTick * height && gap > Self.startGap * height) else {
        break
      }
      first += 1
    }
    strokes.removeFirst(first)
    // Each character's word (spaces with the word before them), and each stroke's.
    let characters = Array(line.text)
    var wordOf = [Int](repeating: 0, count: Swift.max(characters.count, 1))
    var w = 0
    for (i, c) in characters.enumerated() {
      wordOf[i] = w
      if c == " " && i + 1 < characters.count && characters[i + 1] != " " { w += 1 }
    }
    let primerCharacters = line.windowText.count - line.text.count
    let strokeWord = ranges.dropFirst(first).map { r -> Int in
      let at = (r.lowerBound + r.upperBound - 1) / 2
      guard at < line.phi.count, let top = line.phi[at].indices.max(by: { line.phi[at][$0] < line.phi[at][$1] }) else {
        return 0
      }
      return wordOf[Swift.min(Swift.max(top - primerCharacters, 0), wordOf.count - 1)]
    }
    // Word extents, merged where they overlap.
    var extent: [Int: ClosedRange<Double>] = [:]
    for (s, word) in zip(strokes, strokeWord) where !s.isEmpty {
      let xs = s.map(\.x)
      let r = xs.min()!...xs.max()!
      extent[word] =
        extent[word].map { Swift.min($0.lowerBound, r.lowerBound)...Swift.max($0.upperBound, r.upperBound) } ?? r
    }
    var groups: [ClosedRange<Double>] = []
    var groupOf: [Int: Int] = [:]
    for word in extent.keys.sorted() {
      let r = extent[word]!
      if let last = groups.last, r.lowerBound < last.upperBound {
        groups[groups.count - 1] = Swift.min(last.lowerBound, r.lowerBound)...Swift.max(last.upperBound, r.upperBound)
      } else {
        groups.append(r)
      }
      groupOf[word] = groups.count - 1
    }
    let all = strokes.flatMap { $0 }
    return Shape(
      strokes: strokes, group: strokeWord.map { groupOf[$0] ?? 0 }, groups: groups.isEmpty ? [0...0] : groups,
      minX: all.map(\.x).min() ?? 0, maxX: all.map(\.x).max() ?? 0, ascent: -(all.map(\.y).min() ?? 0),
      descent: all.map(\.y).max() ?? 0)
  }
}
