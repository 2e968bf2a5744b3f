import Foundation

/// A point in font units (x to the right, y downward).
struct FontPoint {
  var x: Double
  var y: Double

  init(_ x: Double, _ y: Double) {
    self.x = x
    self.y = y
  }

  func distance(to other: FontPoint) -> Double {
    ((x - other.x) * (x - other.x) + (y - other.y) * (y - other.y)).squareRoot()
  }
}

/// A glyph of the `scripts` font prepared for writing connected cursive.
struct ScriptGlyph {
  enum Kind { case lower, upper, digit, punctuation }

  var character: Character
  var kind: Kind
  /// The advance bounds in font units (letters: the font's; digits and punctuation: the ink extent plus
  /// a margin of 1 on each side, since the font's advance is tabular).
  var left: Double
  var right: Double
  /// The body strokes in drawing order. A lowercase letter's strokes are already joined into one.
  var strokes: [[FontPoint]]
  /// Strokes drawn after the body: the dots of i and j, the crosses of t and x.
  var marks: [[FontPoint]]
  /// The body starts with a lead-in near the join point (left, 4), so it can continue the stroke of
  /// the letter before.
  var joinsIn: Bool
  /// The body starts at the top of a bowl (a, c, d, g, o, q): it can be reached by a connector that
  /// runs over the top.
  var entersOverTop: Bool
  /// The body ends near the join point (right, 4), so the next letter can continue it.
  var joinsOut: Bool
}

/// The `scripts` Hershey font turned into cursive-ready glyphs for the printable ASCII characters.
struct ScriptFont {
  /// Glyphs by ASCII code - 32 (nil: no glyph; the space is handled by the writer).
  let glyphs: [ScriptGlyph?]

  /// The y of the join points of the `scripts` letters.
  static let joinY = 4.0

  init(jhf: [JHFGlyph]) throws {
    guard jhf.count >= 95 else {
      throw DataError("", "the font has \(jhf.count) glyphs, expected at least 95 (printable ASCII)")
    }
    var glyphs: [ScriptGlyph?] = [nil]
    for k in 1..<95 {
      glyphs.append(ScriptFont.prepare(jhf[k], character: Character(Unicode.Scalar(UInt8(32 + k)))))
    }
    self.glyphs = glyphs
  }

  /// The glyph of `character`, or nil (space, or outside printable ASCII).
  func glyph(_ character: Character) -> ScriptGlyph? {
    guard let ascii = character.asciiValue, ascii > 32, ascii < 127 else { return nil }
    return glyphs[Int(ascii) - 32]
  }

  static func prepare(_ glyph: JHFGlyph, character: Character) -> ScriptGlyph? {
    var strokes = glyph.strokes.map { $0.map { FontPoint(Double($0.x), Double($0.y)) } }
    guard !strokes.isEmpty else { return nil }
    let kind: ScriptGlyph.Kind =
      character.isLowercase ? .lower : character.isUppercase ? .upper : character.isNumber ? .digit : .punctuation
    strokes = removeDoubledStrokes(strokes)

    var marks: [[FontPoint]] = []
    switch character {
    case "i", "j":
      // The dot is drawn first in the font; it becomes a mark.
      if strokes.count >= 2 { marks = [strokes.removeFirst()] }
    case "t", "x":
      if strokes.count >= 2 { marks = [strokes.removeLast()] }
    case "-":
      // The font's hyphen is a wide minus sign; write a short one at mid x-height.
      strokes = [[FontPoint(0, 4.5), FontPoint(4.5, 4.5)]]
    default: break
    }
    if kind == .lower && strokes.count > 1 {
      // Inside a lowercase letter the pen does not lift: each stroke continues from the end of the one
      // before (in the script font that mostly retraces a stem).
      strokes = [strokes.flatMap { $0 }]
    }

    var left = Double(glyph.left)
    var right = Double(glyph.right)
    if kind == .digit || kind == .punctuation {
      let xs = strokes.flatMap { $0.map(\.x) }
      left = xs.min()! - 1
      right = xs.max()! + 1
    }
    let start = strokes.first!.first!
    let end = strokes.last!.last!
    let isLetter = kind == .lower || kind == .upper
    let overTop = "acdgoq".contains(character)
    return ScriptGlyph(
      character: character, kind: kind, left: left, right: right, strokes: strokes, marks: marks,
      joinsIn: kind == .lower && !overTop && start.distance(to: FontPoint(left, joinY)) <= 5.5,
      entersOverTop: overTop,
      joinsOut: isLetter && end.distance(to: FontPoint(right, joinY)) <= 3)
  }

  /// Drops strokes that retrace strokes already kept (the font draws the thick parts of digits and
  /// punctuation as doubled lines): every point within 1.6 units of a kept stroke.
  static func removeDoubledStrokes(_ strokes: [[FontPoint]]) -> [[FontPoint]] {
    var kept: [[FontPoint]] = []
    for stroke in strokes {
      let retraces =
        !kept.isEmpty && stroke.count >= 2
        && stroke.allSatisfy { point in kept.contains { distance(from: point, to: $0) <= 1.6 } }
      if !retraces { kept.append(stroke) }
    }
    return kept
  }

  /// The distance from `p` to a polyline.
  static func distance(from p: FontPoint, to polyline: [FontPoint]) -> Double {
    guard polyline.count > 1 else { return p.distance(to: polyline[0]) }
    var best = Double.infinity
    for i in 1..<polyline.count {
      let a = polyline[i - 1]
      let b = polyline[i]
      let dx = b.x - a.x
      let dy = b.y - a.y
      let length2 = dx * dx + dy * dy
      var t = length2 > 0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / length2 : 0
      t = max(0, min(1, t))
      best = min(best, p.distance(to: FontPoint(a.x + t * dx, a.y + t * dy)))
    }
    return best
  }
}
