import Foundation

/// Turns a Hershey glyph's strokes into lines a pen draws once: the fonts draw thick parts as doubled
/// (or tripled) lines about one unit apart, and `timesi` adds serifs.
enum GlyphCleanup {
  /// Ink within this distance (font units) of other ink, running the same way, is a doubled line.
  static let tolerance = 1.6

  /// The arc-length spacing of the dense copies the tests are made on (font units).
  static let step = 0.25

  /// A doubled part of a stroke is cut only when it is longer than this (font units); shorter ones are
  /// cusps and junctions, where a letter's strokes meet at a shallow angle.
  static let shortestCut = 4.0

  /// Removes doubled lines, in three steps:
  ///
  /// 1. A stroke lying wholly within ``tolerance`` of the others is dropped (the shortest first).
  /// 2. A stroke with the same ends as a kept one and a length within 25 % of it (a wedge drawn as its
  ///    outline, like the `!` of the script fonts) is dropped.
  /// 3. A part of a stroke that runs along an earlier kept stroke for more than ``shortestCut`` units and
  ///    meets the rest of its stroke where the earlier stroke ends (a thickening line that goes on to
  ///    draw something new, like the exit of `scriptc`'s n) is cut; what remains continues the stroke
  ///    it starts from, or is a stroke of its own.
  static func removeDoubledStrokes(_ strokes: [[FontPoint]]) -> [[FontPoint]] {
    var alive = Array(strokes.indices)
    for i in strokes.indices.sorted(by: { length(strokes[$0]) < length(strokes[$1]) }) {
      let others = alive.filter { $0 != i }.map { strokes[$0] }
      if !others.isEmpty && densify(strokes[i]).allSatisfy({ isNear($0, direction: nil, to: others) }) {
        alive.removeAll { $0 == i }
      }
    }
    var kept: [[FontPoint]] = []
    for stroke in alive.map({ strokes[$0] }) {
      if isOutline(of: stroke, in: kept) { continue }
      kept += cutDoubledParts(of: stroke, kept: &kept)
    }
    return kept
  }

  /// Whether `stroke` shares both ends (within 1 unit) with a kept stroke of about its length.
  private static func isOutline(of stroke: [FontPoint], in kept: [[FontPoint]]) -> Bool {
    guard stroke.count > 1 else { return false }
    return kept.contains { other in
      other.count > 1 && other[0].distance(to: stroke[0]) <= 1 && other.last!.distance(to: stroke.last!) <= 1
        && abs(length(other) - length(stroke)) <= 0.25 * length(other)
    }
  }

  /// Step 3 of ``removeDoubledStrokes(_:)`` for one stroke: the pieces to add as new strokes (a piece
  /// that starts at the end of the last kept stroke is appended to it in `kept` instead).
  private static func cutDoubledParts(of stroke: [FontPoint], kept: inout [[FontPoint]]) -> [[FontPoint]] {
    guard !kept.isEmpty, stroke.count > 1 else { return [stroke] }
    let dense = densify(stroke)
    let n = dense.count
    let doubled = dense.indices.map { isNear(dense[$0], direction: direction(dense, at: $0), to: kept) }
    let ends = kept.filter { $0.count > 1 }.flatMap { [$0[0], $0.last!] }
    func nearAnEnd(_ p: FontPoint) -> Bool { ends.contains { $0.distance(to: p) <= tolerance + 0.4 } }
    var pieces: [[FontPoint]] = []
    var current: [FontPoint] = []
    var cut = false
    var i = 0
    while i < n {
      var j = i
      while j < n && doubled[j] == doubled[i] { j += 1 }
      let bounds = (i > 0 ? [dense[i - 1]] : []) + (j < n ? [dense[j]] : [])
      if doubled[i] && length(Array(dense[max(0, i - 1)..<min(n, j + 1)])) > shortestCut
        && bounds.allSatisfy(nearAnEnd)
      {
        cut = true
        if !current.isEmpty { pieces.append(current) }
        current = []
      } else {
        if current.isEmpty && i > 0 { current = [dense[i - 1]] }
        current += dense[i..<j]
      }
      i = j
    }
    if !current.isEmpty { pieces.append(current) }
    guard cut else { return [stroke] }
    var added: [[FontPoint]] = []
    for piece in pieces where piece.count > 1 && length(piece) >= 0.6 {
      if added.isEmpty, let last = kept.last, last.count > 1, last.last!.distance(to: piece[0]) <= 1 {
        kept[kept.count - 1] += piece.dropFirst()
      } else {
        added.append(piece)
      }
    }
    return added
  }

  /// Drops serifs: straight horizontal strokes of at most 8 units at the cap line, x-height line,
  /// baseline or descender line (y = -12, -5, 0, 9, 16) that another stroke crosses in their middle
  /// 40 %, and half serifs: such strokes of at most 5 units at the cap or x-height line that end on the
  /// end of another stroke (the flags at the top of `timesi`'s ascenders).
  static func removeSerifs(_ strokes: [[FontPoint]]) -> [[FontPoint]] {
    strokes.indices.filter { i in
      let stroke = strokes[i]
      guard stroke.count >= 2 else { return true }
      let a = stroke[0]
      let b = stroke.last!
      let size = length(stroke)
      guard a.y == b.y, [-12, -5, 0, 9, 16].contains(a.y), size <= 8, abs(size - a.distance(to: b)) < 1e-9 else {
        return true
      }
      let others = strokes.indices.filter { $0 != i }.map { strokes[$0] }
      let dense = densify(stroke)
      let middle = dense[(dense.count * 3 / 10)...(dense.count * 7 / 10)]
      if middle.contains(where: { isNear($0, direction: nil, to: others, within: 0.8) }) { return false }
      let ends = others.filter { $0.count > 1 }.flatMap { [$0[0], $0.last!] }
      let half = size <= 5 && [-12, -5, 0].contains(a.y)
      return !(half && [a, b].contains { p in ends.contains { $0.distance(to: p) <= 0.8 } })
    }.map { strokes[$0] }
  }

  /// For each stroke, the fraction of its length that runs along another stroke as a second line: within
  /// ``tolerance`` of it, in a direction within 30 degrees of its own, but not on it (0.3 or more away;
  /// the pen going back over its own line, as the script fonts do inside a letter, is not a second
  /// line). A doubled line is close to 1; strokes that only meet or cross (at a junction, a cusp, a
  /// narrow wedge) stay well below.
  static func alongFractions(_ strokes: [[FontPoint]]) -> [Double] {
    strokes.indices.map { k in
      let points = densify(strokes[k])
      guard points.count > 1 else { return 0 }
      let others = strokes.indices.filter { $0 != k }.map { strokes[$0] }
      var along = 0.0
      for i in points.indices.dropFirst()
      where isNear(points[i], direction: direction(points, at: i), to: others)
        && !isNear(points[i], direction: nil, to: others, within: 0.3)
      {
        along += points[i].distance(to: points[i - 1])
      }
      return along / max(1e-9, length(points))
    }
  }

  // MARK: Geometry

  /// The polyline with points at most ``step`` apart along it (its own points kept).
  static func densify(_ stroke: [FontPoint]) -> [FontPoint] {
    guard stroke.count > 1 else { return stroke }
    var out = [stroke[0]]
    for (a, b) in zip(stroke, stroke.dropFirst()) {
      let pieces = max(1, Int((a.distance(to: b) / step).rounded(.up)))
      for t in 1...pieces {
        let f = Double(t) / Double(pieces)
        out.append(FontPoint(a.x + (b.x - a.x) * f, a.y + (b.y - a.y) * f))
      }
    }
    return out
  }

  /// The length of a polyline.
  static func length(_ stroke: [FontPoint]) -> Double {
    zip(stroke, stroke.dropFirst()).reduce(0) { $0 + $1.0.distance(to: $1.1) }
  }

  /// The direction of a polyline at point `i` (central difference).
  private static func direction(_ points: [FontPoint], at i: Int) -> FontPoint {
    let a = points[max(0, i - 1)]
    let b = points[min(points.count - 1, i + 1)]
    return FontPoint(b.x - a.x, b.y - a.y)
  }

  /// Whether two directions are within about 30 degrees of each other, either way round.
  private static func parallel(_ u: FontPoint, _ v: FontPoint) -> Bool {
    let norms = (u.x * u.x + u.y * u.y).squareRoot() * (v.x * v.x + v.y * v.y).squareRoot()
    return norms > 0 && abs(u.x * v.x + u.y * v.y) / norms > 0.85
  }

  /// Whether `p` lies within `within` of one of `strokes`; with a direction, only where the stroke runs
  /// within 30 degrees of it.
  static func isNear(_ p: FontPoint, direction: FontPoint?, to strokes: [[FontPoint]], within: Double = tolerance)
    -> Bool
  {
    for stroke in strokes {
      guard stroke.count > 1 else {
        if direction == nil && p.distance(to: stroke[0]) <= within { return true }
        continue
      }
      for (a, b) in zip(stroke, stroke.dropFirst()) where distance(from: p, toSegment: a, b) <= within {
        if let direction {
          if parallel(direction, FontPoint(b.x - a.x, b.y - a.y)) { return true }
        } else {
          return true
        }
      }
    }
    return false
  }

  /// The distance from `p` to the segment from `a` to `b`.
  static func distance(from p: FontPoint, toSegment a: FontPoint, _ b: FontPoint) -> Double {
    let dx = b.x - a.x
    let dy = b.y - a.y
    let length2 = dx * dx + dy * dy
    let t = length2 > 0 ? max(0, min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / length2)) : 0
    return p.distance(to: FontPoint(a.x + t * dx, a.y + t * dy))
  }
}
