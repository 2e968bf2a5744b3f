import Foundation

/// The layout of whole pages of writing (`sketch write --file`), as pure functions over text and
/// measured boxes, so that it is tested without a model: the text split into paragraphs of words,
/// greedy word wrap by an estimated width per character, the horizontal placing of a line's words
/// (left, centred, justified) and the pagination of lines by their measured ascent and descent.
///
/// Lengths are millimetres; y runs downward from the top of the page, as on a ``PlotterPage``.
enum PageLayout {
  /// How a line sits between the margins.
  enum Alignment: String, CaseIterable {
    /// The ink starts at the left margin (a paragraph's first line after its indent).
    case left
    /// The ink is centred between the margins.
    case center
    /// The spaces between words are stretched so that the ink spans the whole width; a paragraph's
    /// last line (and a line of one word) is set left.
    case justify
  }

  /// A run of words set as lines: a paragraph, or what follows a hard line break inside one.
  struct Block: Equatable {
    var words: [String]
    /// A paragraph's first block: its first line is indented and has the paragraph spacing above it.
    var startsParagraph = true
  }

  /// The blocks of `text`: paragraphs are separated by blank lines (lines holding only spaces or tabs
  /// count as blank; "\r\n" is a newline), a single newline inside a paragraph is a space, runs of
  /// spaces and tabs are one space, and a line that ends with a backslash or with two spaces ends a
  /// line of writing there (a hard line break, as in Markdown: "With love,\" then "Tom").
  static func paragraphs(_ text: String) -> [Block] {
    var result: [Block] = []
    var current = Block(words: [])
    func end(startsNext: Bool) {
      if !current.words.isEmpty { result.append(current) }
      current = Block(words: [], startsParagraph: startsNext || current.words.isEmpty && current.startsParagraph)
    }
    // "\r\n" is one Character, a newline like "\n".
    for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
      var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
      if words.isEmpty {
        end(startsNext: true)
        continue
      }
      var hardBreak = line.hasSuffix("  ")
      if words[words.count - 1].hasSuffix("\\") {
        hardBreak = true
        words[words.count - 1].removeLast()
        if words[words.count - 1].isEmpty { words.removeLast() }
      }
      current.words += words
      if hardBreak { end(startsNext: false) }
    }
    end(startsNext: true)
    return result
  }

  /// Words longer than `maxCharacters` cut into pieces of at most that many characters (the model
  /// writes lines of a bounded length), with the words that were cut.
  static func splitLongWords(_ words: [String], maxCharacters: Int) -> (words: [String], cut: [String]) {
    var out: [String] = []
    var cut: [String] = []
    for word in words {
      guard word.count > maxCharacters else {
        out.append(word)
        continue
      }
      cut.append(word)
      var rest = Substring(word)
      while !rest.isEmpty {
        out.append(String(rest.prefix(maxCharacters)))
        rest = rest.dropFirst(maxCharacters)
      }
    }
    return (out, cut)
  }

  /// Greedy word wrap of `words` into lines (ranges of word indices): each line takes words while
  /// its text (the words joined by single spaces) is at most `maxCharacters` long and its estimated
  /// width, `characterWidth` per character (spaces included), is at most `width(k)` (the width of
  /// the k-th line; a first line may be indented). A line holds at least one word, however long.
  static func wrap(
    _ words: [String], characterWidth: Double, maxCharacters: Int, width: (Int) -> Double
  ) -> [Range<Int>] {
    var lines: [Range<Int>] = []
    var start = 0
    while start < words.count {
      var end = start + 1
      var characters = words[start].count
      while end < words.count {
        let next = characters + 1 + words[end].count
        guard next <= maxCharacters, Double(next) * characterWidth <= width(lines.count) else { break }
        characters = next
        end += 1
      }
      lines.append(start..<end)
      start = end
    }
    return lines
  }

  /// A line's words (`words`) cut into the fewest pieces (ranges of word indices) of at most
  /// `maxCharacters` characters each (words joined by single spaces), as even as they can be: the
  /// longest piece is as short as it can be with that many pieces. A word longer than
  /// `maxCharacters` is a piece of its own.
  static func segments(_ words: [String], maxCharacters: Int) -> [Range<Int>] {
    let n = words.count
    guard n > 0 else { return [] }
    // The length of words i..<j joined by spaces.
    var offsets = [0]
    for w in words { offsets.append(offsets.last! + w.count) }
    func length(_ i: Int, _ j: Int) -> Int { offsets[j] - offsets[i] + (j - i - 1) }
    // best[j]: (pieces, longest piece) of the best cut of words 0..<j; from[j]: where its last piece starts.
    var best = [(pieces: Int, longest: Int)](repeating: (Int.max, Int.max), count: n + 1)
    var from = [Int](repeating: 0, count: n + 1)
    best[0] = (0, 0)
    for j in 1...n {
      for i in stride(from: j - 1, through: 0, by: -1) {
        let l = length(i, j)
        guard l <= maxCharacters || i == j - 1 else { break }
        guard best[i].pieces != Int.max else { continue }
        let candidate = (pieces: best[i].pieces + 1, longest: Swift.max(best[i].longest, l))
        if candidate.pieces < best[j].pieces
          || (candidate.pieces == best[j].pieces && candidate.longest < best[j].longest)
        {
          best[j] = candidate
          from[j] = i
        }
      }
    }
    var cuts: [Range<Int>] = []
    var j = n
    while j > 0 {
      cuts.append(from[j]..<j)
      j = from[j]
    }
    return cuts.reversed()
  }

  /// The horizontal shift of each of a line's word groups (their ink's extents `words`, in order, in
  /// the line's own x) that places the line in `[left, left + width]` with `alignment`; `last`: the
  /// line ends its paragraph (justified text sets it left).
  ///
  /// Left moves the ink's leftmost point to `left`; center puts the ink's middle at the middle of the
  /// width; justify moves the first group to `left` and each later group k by `k · gap` more, with the
  /// one gap that brings the rightmost ink of the line exactly to `left + width` (groups keep their
  /// order; a group whose ink reaches further right than a later one's is accounted for).
  static func shifts(
    _ words: [ClosedRange<Double>], left: Double, width: Double, alignment: Alignment, last: Bool
  ) -> [Double] {
    guard let minX = words.map(\.lowerBound).min(), let maxX = words.map(\.upperBound).max() else { return [] }
    let base = left - minX
    switch alignment {
    case .left:
      return words.map { _ in base }
    case .center:
      return words.map { _ in base + (width - (maxX - minX)) / 2 }
    case .justify:
      guard !last, words.count > 1 else { return words.map { _ in base } }
      // The rightmost ink after the shifts is max_k(upper_k + base + k·gap): the smallest of the gaps
      // that bring each group to the right edge brings the line exactly there and none past it.
      let right = left + width
      let gap = words.indices.dropFirst().map { k in (right - (words[k].upperBound + base)) / Double(k) }.min()!
      return words.indices.map { base + Double($0) * Swift.max(gap, 0) }
    }
  }

  /// A written line's vertical extent: its ink above and below its baseline (mm), whether it starts a
  /// paragraph, and its baseline's drift (mm, downward).
  struct LineBox: Equatable {
    var ascent: Double
    var descent: Double
    var startsParagraph: Bool
    var offset = 0.0
  }

  /// Where a line goes: its page (0-based) and its baseline's y on it (drift included).
  struct Placement: Equatable {
    var page: Int
    var baseline: Double
  }

  /// A layout that cannot be made, with how to fix it.
  struct Misfit: Error, CustomStringConvertible {
    let description: String
  }

  /// The lines on pages of `height` with `margin`: baselines `pitch` apart, `paragraphGap` more before
  /// a paragraph's first line (not at the top of a page). Every page's first baseline is at the same
  /// height, low enough that the tallest ascent (drift included) of any line stays below the top
  /// margin; a line goes to the next page when its ink would reach below the bottom margin. A line
  /// taller than the room between the margins is a ``Misfit``.
  static func paginate(_ lines: [LineBox], height: Double, margin: Double, pitch: Double, paragraphGap: Double)
    throws -> [Placement]
  {
    guard !lines.isEmpty else { return [] }
    let bottom = height - margin
    let first = margin + Swift.max(0, lines.map { $0.ascent - $0.offset }.max()!)
    var placements: [Placement] = []
    var page = 0
    var grid = first  // the baseline without drift
    for (k, line) in lines.enumerated() {
      if k > 0 { grid += pitch + (line.startsParagraph ? paragraphGap : 0) }
      if grid + line.offset + line.descent > bottom + 1e-9 {
        page += 1
        grid = first
        guard grid + line.offset + line.descent <= bottom + 1e-9 else {
          let tall = line.ascent + line.descent
          throw Misfit(
            description: "line \(k + 1)'s writing is \(mm(tall)) mm tall, and a page holds \(mm(bottom - margin)) mm "
              + "between its margins (\(mm(first - margin)) mm above the first baseline for the tallest line); give a "
              + "smaller --line-height, a smaller --margin or a taller --page-height")
        }
      }
      placements.append(Placement(page: page, baseline: grid + line.offset))
    }
    return placements
  }

  static func mm(_ x: Double) -> String { String(format: "%g", (x * 10).rounded() / 10) }
}
