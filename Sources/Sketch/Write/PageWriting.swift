import Foundation

/// How `sketch write --file` lays out pages: the page, the size and spacing of the writing, the
/// alignment, the drift, and the longest line the model is asked to write.
struct PageSettings: Equatable {
  /// The page and its margins (its `lineHeight` is not used: see ``lineHeight``).
  var page = PlotterPage()
  /// The height in mm of the calibration line's ink (ascenders to descenders); it sets the one scale
  /// of every line.
  var lineHeight = PageSettings.defaultLineHeight
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
  var maxCharacters = PageSettings.defaultMaxCharacters

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
///    other on one baseline, the calibration line's median word gap apart. The pieces are written in
///    batches, each primed with the same primer.
/// 3. Each line is measured (slanted by its drift). Where a line is wider than its room, its
///    paragraph is rewrapped from that line on with the estimate that line showed, and the changed
///    pieces are written again (pieces already written are kept), for up to ``maxRounds`` rounds; a
///    line still too wide after that (a single word wider than the line) is written smaller, and
///    reported. No line runs past the right margin.
/// 4. Lines are aligned (justified by their word groups: ``shape(_:slant:unit:)``, in
///    PageLineShape.swift) and paginated.
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
    /// The word groups found in the line's ink (at most its words; words whose ink overlaps are one).
    var wordGroups = 0
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
        line.wordGroups = shape.groups.count
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
}
