import Foundation

/// A point in font units (x to the right, y downward).
typealias FontPoint = PlanePoint

/// A glyph of a Hershey font prepared for handwriting.
struct HandGlyph {
  /// Lowercase and uppercase letters, digits, and everything else.
  enum Kind { case lower, upper, digit, punctuation }

  /// The character the glyph draws.
  var character: Character
  /// The kind of character (letters join, digits and punctuation do not).
  var kind: Kind
  /// The advance bounds in font units (letters: the font's; digits and punctuation: the ink extent plus
  /// a margin of 1 on each side, since the font's advance is tabular).
  var left: Double
  var right: Double
  /// The body strokes in drawing order. In a connected style a lowercase letter's strokes are already
  /// joined into one.
  var strokes: [[FontPoint]]
  /// Strokes drawn after the body: the dots of i and j, the crosses of t (and of x in connected styles).
  var marks: [[FontPoint]]
  /// The body starts with a lead-in near the join point (left, 4), so it can continue the stroke of
  /// the letter before (connected styles only).
  var joinsIn: Bool
  /// The body starts at the top of a bowl (a, c, d, g, o, q): it can be reached by a connector that
  /// runs over the top (connected styles only).
  var entersOverTop: Bool
  /// The body ends near the join point (right, 4), so the next letter can continue it (connected styles
  /// only).
  var joinsOut: Bool
}

/// A Hershey font turned into pen-ready glyphs for the printable ASCII characters, in one of the
/// ``WritingStyle``s: doubled lines and serifs removed, punctuation on the baseline, short hyphen.
struct HandFont {
  /// The style the glyphs were prepared for.
  let style: WritingStyle
  /// Glyphs by ASCII code - 32 (nil: no glyph; the space is handled by the writer).
  let glyphs: [HandGlyph?]

  /// The y of the join points of the script fonts' letters.
  static let joinY = 4.0

  /// Prepares the 95 ASCII glyphs of a parsed .jhf font for `style`.
  init(jhf: [JHFGlyph], style: WritingStyle) throws {
    guard jhf.count >= 95 else {
      throw DataError("", "the font has \(jhf.count) glyphs, expected at least 95 (printable ASCII)")
    }
    var glyphs: [HandGlyph?] = [nil]
    for k in 1..<95 {
      glyphs.append(HandFont.prepare(jhf[k], character: Character(Unicode.Scalar(UInt8(32 + k))), style: style))
    }
    self.style = style
    self.glyphs = glyphs
  }

  /// The glyph of `character`, or nil (space, or outside printable ASCII).
  func glyph(_ character: Character) -> HandGlyph? {
    guard let ascii = character.asciiValue, ascii > 32, ascii < 127 else { return nil }
    return glyphs[Int(ascii) - 32]
  }

  /// The pen-down strokes of a .jhf glyph as drawn once: doubled lines (and serifs, for styles that
  /// drop them) removed.
  static func cleanStrokes(_ glyph: JHFGlyph, style: WritingStyle) -> [[FontPoint]] {
    var strokes = glyph.strokes.map { $0.map { FontPoint(Double($0.x), Double($0.y)) } }
    strokes = GlyphCleanup.removeDoubledStrokes(strokes)
    if style.dropsSerifs { strokes = GlyphCleanup.removeSerifs(strokes) }
    return strokes
  }

  /// One glyph prepared for writing (nil when the font has no ink for it).
  static func prepare(_ glyph: JHFGlyph, character: Character, style: WritingStyle) -> HandGlyph? {
    var strokes = cleanStrokes(glyph, style: style)
    guard !strokes.isEmpty else { return nil }
    let kind: HandGlyph.Kind =
      character.isLowercase ? .lower : character.isUppercase ? .upper : character.isNumber ? .digit : .punctuation

    var marks: [[FontPoint]] = []
    switch character {
    case "i", "j":
      // The dot is drawn first in the fonts; it becomes a mark.
      if strokes.count >= 2 { marks = [strokes.removeFirst()] }
    case "t":
      if strokes.count >= 2 { marks = [strokes.removeLast()] }
    case "x" where style.connected:
      // The script x is a joined stroke and a cross, unless its last stroke is the exit (scriptc).
      if strokes.count >= 2, strokes.last!.last!.distance(to: FontPoint(Double(glyph.right), joinY)) > 3 {
        marks = [strokes.removeLast()]
      }
    case "-":
      // The fonts' hyphen is a wide minus sign; write a short one at mid x-height.
      let middle = style.connected ? 4.5 : 2.0
      strokes = [[FontPoint(0, middle), FontPoint(style.connected ? 4.5 : 6, middle)]]
    case ".", ",", ":", ";":
      strokes = onBaseline(strokes)
    default: break
    }
    if style.connected && kind == .lower && strokes.count > 1 {
      // Inside a lowercase letter the pen does not lift: each stroke continues from the end of the one
      // before (in the script fonts that mostly retraces a stem).
      strokes = [strokes.flatMap { $0 }]
    }

    var left = Double(glyph.left)
    var right = Double(glyph.right)
    if kind == .digit || kind == .punctuation {
      let xs = (strokes + marks).flatMap { $0.map(\.x) }
      left = xs.min()! - 1
      right = xs.max()! + 1
    }
    let start = strokes.first!.first!
    let end = strokes.last!.last!
    let isLetter = kind == .lower || kind == .upper
    let overTop = style.connected && "acdgoq".contains(character)
    return HandGlyph(
      character: character, kind: kind, left: left, right: right, strokes: strokes, marks: marks,
      joinsIn: style.connected && kind == .lower && !overTop && start.distance(to: FontPoint(left, joinY)) <= 5.5,
      entersOverTop: overTop,
      joinsOut: style.connected && isLetter && end.distance(to: FontPoint(right, joinY)) <= 3)
  }

  /// The strokes of `. , : ;` with the lowest one moved so that its top is at y = 7 (a dot then sits on
  /// the baseline, y = 9, and a comma's tail hangs below it); `futural` draws them 3 units too high.
  static func onBaseline(_ strokes: [[FontPoint]]) -> [[FontPoint]] {
    guard let lowest = strokes.indices.max(by: { strokes[$0].map(\.y).min()! < strokes[$1].map(\.y).min()! })
    else { return strokes }
    let shift = 7 - strokes[lowest].map(\.y).min()!
    var moved = strokes
    moved[lowest] = strokes[lowest].map { FontPoint($0.x, $0.y + shift) }
    return moved
  }
}
