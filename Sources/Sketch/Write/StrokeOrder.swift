import Foundation

/// The order in which a plotter draws strokes, chosen to shorten its pen-up travel.
///
/// Lines of writing stay in reading order (a plot stopped half-way holds whole lines); inside each
/// line, a greedy nearest-neighbour tour: from where the pen is, draw next the stroke whose nearer end
/// is closest, reversed when that end is its last point. When the greedy tour of the whole page is not
/// shorter than the writing's own order, the writing's order is kept, so ordering never lengthens the
/// travel.
enum StrokeOrder {
  /// The pen-up travel in millimetres of drawing `strokes` in their order, starting at `start`: the
  /// distance from `start` to the first stroke and from each stroke's end to the next one's start (the
  /// way back home is not counted).
  static func travel(_ strokes: [[PagePoint]], from start: PagePoint) -> Double {
    var at = start
    var total = 0.0
    for s in strokes where !s.isEmpty {
      total += at.distance(to: s[0])
      at = s[s.count - 1]
    }
    return total
  }

  /// The strokes of `lines` in drawing order (line after line, each line's strokes greedily ordered,
  /// some reversed), from `start`; the writing's own order when that travels no more.
  static func order(_ lines: [[[PagePoint]]], from start: PagePoint) -> [[PagePoint]] {
    let original = lines.flatMap { $0 }
    var ordered: [[PagePoint]] = []
    var at = start
    for line in lines {
      let tour = greedy(line.filter { !$0.isEmpty }, from: at)
      ordered += tour
      if let last = tour.last?.last { at = last }
    }
    return travel(ordered, from: start) < travel(original, from: start) ? ordered : original
  }

  /// A greedy nearest-neighbour tour of `strokes` from `start`: each next stroke is the one with an end
  /// nearest the pen (ties: the earlier stroke, its first point), drawn from that end.
  static func greedy(_ strokes: [[PagePoint]], from start: PagePoint) -> [[PagePoint]] {
    var left = Array(strokes.indices)
    var at = start
    var tour: [[PagePoint]] = []
    while !left.isEmpty {
      var best = (slot: 0, reversed: false, distance: Double.infinity)
      for (slot, i) in left.enumerated() {
        let s = strokes[i]
        let head = at.distance(to: s[0])
        let tail = at.distance(to: s[s.count - 1])
        if head < best.distance { best = (slot, false, head) }
        if tail < best.distance { best = (slot, true, tail) }
      }
      let s = strokes[left.remove(at: best.slot)]
      let drawn = best.reversed ? Array(s.reversed()) : s
      tour.append(drawn)
      at = drawn[drawn.count - 1]
    }
    return tour
  }
}
