import Foundation

/// How `sketch write --file` lays out pages: the page, the size and spacing of the writing, the
/// alignment, the drift, and the longest line the model is asked to write.
struct PageSettings: Equatable {
  /// The page and its margins (its `lineHeight` is not used: see ``lineHeight``).
  var page = PlotterPage()
  /// The height in mm of the calibration line's ink (ascenders to descenders); it sets the one scale
  /// of every line.
  var lineHeight = 8.0
  /// Baseline to baseline, in line heights.
  var lineSpacing = 1.2
  /// Extra space before a paragraph (not at the top of a page), in line heights.
  var paragraphSpacing = 0.6
  /// The indent of a paragraph's first line in mm (left and justified text).
  var indent = 0.0
  var alignment = PageLayout.Alignment.left
  var drift = PageDrift()
  /// The most characters of one written line (the model writes lines of about the length it was
  /// trained on well; the shipped model's were up to 600 points, about 25 characters).
  var maxCharacters = 30

  static let defaultLineHeight = 8.0
  static let defaultMaxCharacters = 30

  /// The width of a line in mm: a paragraph's first line is indented (unless centred).
  func width(firstOfParagraph: Bool) -> Double { page.usable.width - indent(firstOfParagraph: firstOfParagraph) }

  /// The indent of a line in mm.
  func indent(firstOfParagraph: Bool) -> Double { firstOfParagraph && alignment != .center ? indent : 0 }
}

/// Whole pages of handwriting: the text wrapped to the width between the margins, written by the
/// model line by line in one style, measured, rewrapped and rewritten where a line runs past the
/// right margin, aligned, drifted and paginated (`sketch write --file`).
///
/// 1. A calibration line (``calibrationText``, else the text's first words when the model lacks its
///    characters) is written first, with `--style`/`--prime`'s primer if given. Its ink height sets
///    the scale (it is `lineHeight` mm high) and its width per character the wrap's first estimate.
///    Without a primer it is the primer of every line of the page ("carried" style: one hand on all
///    pages).
/// 2. The paragraphs are wrapped greedily to the width with that estimate (times
///    ``wrapAllowance``). A line longer than ``PageSettings/maxCharacters`` is written in pieces of
///    about equal length, cut between words (the model writes long lines badly), set one after the
///    other on one baseline, the calibration line's median word gap apart. All pieces are written in
///    one batch, each primed with the same primer.
/// 3. Each line is measured (slanted by its drift). Where a line is wider than its room, its
///    paragraph is rewrapped from that line on with the estimate that line showed, and the changed
///    pieces are written again (pieces already written are kept), for up to ``maxRounds`` rounds; a
///    line still too wide after that (a single word wider than the line) is written smaller, and
///    reported. No line runs past the right margin.
/// 4. Lines are aligned (justified by their word groups: ``shape(_:slant:unit:)``) and paginated.
struct PageWriting {
  let writer: HandwritingWriter
  let settings: PageSettings
  let bias: Double
  let seed: UInt64
  /// The model's data scale (digitiser units per model unit).
  let dataScale: (x: Double, y: Double)

  /// Written first: it sets the scale and, without a primer, the style (lowercase letters with
  /// ascenders and descenders, the shape of most text).
  static let calibrationText = "the quick brown fox jumps over"
  /// The wrap estimates a line's width as its characters times the measured width per character
  /// times this (writing varies from line to line; fewer lines need a second draw).
  static let wrapAllowance = 1.05
  /// The most pieces written in one batch.
  static let batchSize = 32
  /// Rounds of rewrapping and rewriting before an overflowing line is written smaller.
  static let maxRounds = 6
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

  /// One line of the pages.
  struct PageLine {
    /// The block (paragraph, or part after a hard line break) the line is in, and its k there.
    var block: Int
    var index: Int
    /// The first line of a paragraph (indented, with the paragraph spacing above it).
    var firstOfParagraph: Bool
    var text: String
    /// The line as written: one or more pieces of at most ``PageSettings/maxCharacters`` characters,
    /// set one after the other a word space apart.
    var segments: [HandwritingWriter.Line]
    /// The page (0-based) and the strokes placed on it (mm from the page's top-left corner).
    var page = 0
    var strokes: [[PagePoint]] = []
    /// Set when the line was written smaller to fit (the factor).
    var shrunk: Double? = nil
  }

  struct Result {
    var lines: [PageLine]
    var pageCount: Int
    /// The calibration line and the scale it set (mm per data unit).
    var calibration: HandwritingWriter.Line
    var unit: Double
    /// The space set between the pieces of a line (mm): the calibration line's median word gap.
    var wordSpace: Double
    /// Rewrites after measuring, and other things the user should know.
    var notes: [String]

    /// The placed lines of page `p`, each a list of strokes.
    func page(_ p: Int) -> [[[PagePoint]]] { lines.filter { $0.page == p }.map(\.strokes) }
  }

  /// Writes `paragraphs` (words) on pages, in the style of `primer` (nil: carried from the
  /// calibration line).
  func write(_ paragraphs: [PageLayout.Block], primer: HandwritingWriter.Primer?) throws -> Result {
    guard !paragraphs.isEmpty else { throw WriteError("--file: the file has no text") }
    let starts = paragraphs.map(\.startsParagraph)
    func width(_ p: Int, _ k: Int) -> Double { settings.width(firstOfParagraph: k == 0 && starts[p]) }
    var notes: [String] = []
    let words = paragraphs.map { PageLayout.splitLongWords($0.words, maxCharacters: settings.maxCharacters) }
    for cut in words.flatMap(\.cut) {
      notes.append("the word \"\(cut)\" is longer than \(settings.maxCharacters) characters: written in pieces")
    }
    let text = words.map(\.words)
    for paragraph in text { _ = try writer.encode(paragraph.joined(separator: " ")) }

    // 1. Calibration: the scale, the first estimate of a character's width, the word space.
    let calibrationText =
      (try? writer.encode(Self.calibrationText)) != nil
      ? Self.calibrationText
      : PageLayout.segments(text[0], maxCharacters: settings.maxCharacters).first.map {
        text[0][$0].joined(separator: " ")
      }!
    let calibration = try writer.write([calibrationText], bias: bias, seed: seed, primer: primer)[0]
    let measured = shape(calibration, slant: 0, unit: 1)
    guard measured.ascent + measured.descent > 0, measured.width > 0 else {
      throw WriteError("the calibration line \"\(calibrationText)\" was written without ink; try another --seed")
    }
    let unit = settings.lineHeight / (measured.ascent + measured.descent)
    let measuredCharacter = measured.width * unit / Double(calibrationText.count)
    let gaps = zip(measured.groups, measured.groups.dropFirst()).map { ($1.lowerBound - $0.upperBound) * unit }
      .filter { $0 > 0 }.sorted()
    let wordSpace = gaps.isEmpty ? measuredCharacter : gaps[gaps.count / 2]
    let linePrimer = primer ?? HandwritingWriter.Primer(offsets: calibration.offsets, text: calibration.text)

    // 2-3. Wrap, write, measure; rewrap and rewrite what runs past the margin.
    var estimate = [Double](repeating: measuredCharacter * Self.wrapAllowance, count: text.count)
    var ranges = text.indices.map { p in
      PageLayout.wrap(text[p], characterWidth: estimate[p], maxCharacters: .max, width: { width(p, $0) })
    }
    // A line's pieces, as word ranges of its paragraph.
    func pieces(_ p: Int, _ r: Range<Int>) -> [Range<Int>] {
      PageLayout.segments(Array(text[p][r]), maxCharacters: settings.maxCharacters).map {
        ($0.lowerBound + r.lowerBound)..<($0.upperBound + r.lowerBound)
      }
    }
    var cache: [String: HandwritingWriter.Line] = [:]
    func key(_ p: Int, _ r: Range<Int>) -> String { "\(p):\(r.lowerBound):\(r.upperBound)" }
    var rewritten = 0
    var shapes: [[Shape]] = []
    for round in 0..<Self.maxRounds {
      let missing = text.indices.flatMap { p in ranges[p].flatMap { pieces(p, $0) }.map { (p, $0) } }
        .filter { cache[key($0.0, $0.1)] == nil }
      if round > 0 { rewritten += missing.count }
      if !missing.isEmpty {
        // In batches of at most ``batchSize`` pieces (each batch's trace is steps x pieces x characters).
        for start in stride(from: 0, to: missing.count, by: Self.batchSize) {
          let batch = Array(missing[start..<Swift.min(start + Self.batchSize, missing.count)])
          let lines = try writer.write(
            batch.map { text[$0.0][$0.1].joined(separator: " ") }, bias: bias,
            seed: seed &+ UInt64(round + 1) &* 0x1_0000 &+ UInt64(start), primer: linePrimer)
          for (m, line) in zip(batch, lines) { cache[key(m.0, m.1)] = line }
        }
      }
      shapes = measure(
        text.indices.map { p in ranges[p].map { r in pieces(p, r).map { cache[key(p, $0)]! } } }, unit: unit,
        wordSpace: wordSpace)
      var changed = false
      for p in text.indices {
        guard
          let j = ranges[p].indices.first(where: {
            shapes[p][$0].width > width(p, $0) + 1e-9 && ranges[p][$0].count > 1
          })
        else { continue }
        let written = text[p][ranges[p][j]].joined(separator: " ").count
        estimate[p] = Swift.max(estimate[p], shapes[p][j].width / Double(written) * Self.wrapAllowance)
        let rest = PageLayout.wrap(
          Array(text[p][ranges[p][j].lowerBound...]), characterWidth: estimate[p], maxCharacters: .max,
          width: { width(p, $0 + j) })
        let start = ranges[p][j].lowerBound
        ranges[p] = Array(ranges[p][..<j]) + rest.map { ($0.lowerBound + start)..<($0.upperBound + start) }
        changed = true
      }
      if !changed { break }
    }
    if rewritten > 0 {
      notes.append("\(rewritten) pieces of lines were written again after rewrapping lines wider than the page")
    }

    // 4. Shrink what still overflows, align, paginate, place.
    var lines: [PageLine] = []
    var flat: [Shape] = []
    for p in text.indices {
      for (j, r) in ranges[p].enumerated() {
        var line = PageLine(
          block: p, index: j, firstOfParagraph: j == 0 && starts[p], text: text[p][r].joined(separator: " "),
          segments: pieces(p, r).map { cache[key(p, $0)]! })
        var shape = shapes[p][j]
        let room = width(p, j)
        if shape.width > room {
          let f = room / shape.width * (1 - 1e-9)
          shape = shape.scaled(f)
          line.shrunk = f
          notes.append(
            "\"\(line.text)\" is \(PageLayout.mm(shapes[p][j].width)) mm wide once written, and a line holds "
              + "\(PageLayout.mm(room)) mm: written at " + String(format: "%.1f", f * 100) + "% of the size")
        }
        lines.append(line)
        flat.append(shape)
      }
    }
    let drift = settings.drift.values(lines.count)
    let boxes = zip(lines, flat).enumerated().map { k, pair in
      PageLayout.LineBox(
        ascent: pair.1.ascent, descent: pair.1.descent, startsParagraph: pair.0.firstOfParagraph && k > 0,
        offset: drift[k].offset)
    }
    let placements: [PageLayout.Placement]
    do {
      placements = try PageLayout.paginate(
        boxes, height: settings.page.height, margin: settings.page.margin,
        pitch: settings.lineSpacing * settings.lineHeight,
        paragraphGap: settings.paragraphSpacing * settings.lineHeight)
    } catch let misfit as PageLayout.Misfit {
      throw WriteError(misfit.description)
    }
    let paragraphEnds = Set(lines.indices.filter { $0 + 1 == lines.count || lines[$0 + 1].index == 0 })
    for k in lines.indices {
      let shape = flat[k]
      let first = lines[k].firstOfParagraph
      let shift = PageLayout.shifts(
        shape.groups, left: settings.page.margin + settings.indent(firstOfParagraph: first),
        width: settings.width(firstOfParagraph: first),
        alignment: settings.alignment, last: paragraphEnds.contains(k))
      lines[k].page = placements[k].page
      lines[k].strokes = zip(shape.strokes, shape.group).map { stroke, g in
        stroke.map { PagePoint($0.x + shift[g], $0.y + placements[k].baseline) }
      }
    }
    return Result(
      lines: lines, pageCount: (placements.last?.page ?? 0) + 1, calibration: calibration, unit: unit,
      wordSpace: wordSpace, notes: notes)
  }

  /// The shapes of `lines` (per paragraph, each line its pieces), the k-th line of the whole text
  /// slanted by its drift, its pieces `wordSpace` apart.
  func measure(_ lines: [[[HandwritingWriter.Line]]], unit: Double, wordSpace: Double) -> [[Shape]] {
    let drift = settings.drift.values(lines.map(\.count).reduce(0, +))
    var k = 0
    return lines.map { paragraph in
      paragraph.map { pieces in
        defer { k += 1 }
        return Shape.joined(pieces.map { shape($0, slant: drift[k].slant, unit: unit) }, space: wordSpace)
      }
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
