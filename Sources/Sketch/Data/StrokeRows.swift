/// The stroke convention of Sketch's data files and how point lists become rows.
///
/// A line of handwriting is a list of strokes (pen-down traces), each a list of points. Sketch stores it
/// as rows `(dx, dy, pen)`: row `k` is the move from point `k` to point `k + 1` of the line (strokes
/// concatenated), and `pen` is 1 when point `k + 1` is the last point of its stroke (the pen is lifted
/// after it), else 0. The first point is the origin and is not stored, so a line of `n` points has
/// `n - 1` rows, and the last row always has `pen = 1`. A stroke of one point (a dot) is a row with
/// `pen = 1` reached from a row with `pen = 1`. A dot that is the line's first stroke cannot be told
/// apart from the origin, so leading one-point strokes are dropped (the origin moves to the next point).
///
/// The original notebook (udibr/sketch, Fuel layout) stored the other convention: its row `k` is the
/// same move but its flag marks point `k + 1` as the *first* point of a stroke, i.e. the flag says the
/// move itself was made with the pen up. ``fromFirstPointConvention(_:count:)`` converts.
enum StrokeRows {
  /// Rows from absolute points and stroke-end flags (`ends[k]`: point `k` ends its stroke; the last
  /// point always does). `points` is interleaved x, y. Returns rows interleaved dx, dy, pen.
  static func rows(points: [Double], ends: [Bool]) -> [Float] {
    let n = ends.count
    precondition(points.count == 2 * n, "StrokeRows.rows: \(points.count / 2) points, \(n) flags")
    var first = 0
    while first < n - 1 && ends[first] { first += 1 }
    guard n - first >= 2 else { return [] }
    var rows: [Float] = []
    rows.reserveCapacity(3 * (n - first - 1))
    for k in (first + 1)..<n {
      rows.append(Float(points[2 * k] - points[2 * k - 2]))
      rows.append(Float(points[2 * k + 1] - points[2 * k - 1]))
      rows.append(k == n - 1 || ends[k] ? 1 : 0)
    }
    return rows
  }

  /// Rows from strokes of absolute points (each stroke interleaved x, y; empty strokes are ignored).
  static func rows(strokes: [[Double]]) -> [Float] {
    var points: [Double] = []
    var ends: [Bool] = []
    for stroke in strokes where stroke.count >= 2 {
      points += stroke
      let count = stroke.count / 2
      ends += [Bool](repeating: false, count: count - 1) + [true]
    }
    return rows(points: points, ends: ends)
  }

  /// How many leading rows of a first-point-convention sequence are lost in conversion (moves away
  /// from leading one-point strokes), given its flags (`flags[k]` = pen column of row `k`).
  static func firstPointDroppedRows(flags: [Float]) -> Int {
    // flags[k] == 1 means point k + 1 starts a stroke, i.e. point k ends one; point 0 ends a stroke
    // when flags[0] == 1. Leading points that end their stroke are one-point strokes.
    var dropped = 0
    while dropped < flags.count && flags[dropped] == 1 { dropped += 1 }
    return min(dropped, flags.count)
  }

  /// Converts `count` rows of the first-point convention (interleaved dx, dy, flag) to Sketch's rows.
  static func fromFirstPointConvention(_ old: [Float], count: Int) -> [Float] {
    guard count > 0 else { return [] }
    // Points p0...p_count; ends[k] for k < count is old flag k; the last point ends its stroke.
    var ends = [Bool](repeating: false, count: count + 1)
    for k in 0..<count { ends[k] = old[3 * k + 2] != 0 }
    ends[count] = true
    var first = 0
    while first < count && ends[first] { first += 1 }
    guard count - first >= 1 else { return [] }
    var rows: [Float] = []
    rows.reserveCapacity(3 * (count - first))
    for k in (first + 1)...count {
      rows.append(old[3 * (k - 1)])
      rows.append(old[3 * (k - 1) + 1])
      rows.append(ends[k] ? 1 : 0)
    }
    return rows
  }

  /// Strokes of absolute points (interleaved x, y) from rows, starting at (0, 0); `scale` multiplies
  /// dx and dy (the stored standard deviations, to get back source units).
  static func strokes(rows: [Float], count: Int, scale: (Double, Double) = (1, 1)) -> [[Double]] {
    var strokes: [[Double]] = []
    var current: [Double] = [0, 0]
    var x = 0.0
    var y = 0.0
    for k in 0..<count {
      x += Double(rows[3 * k]) * scale.0
      y += Double(rows[3 * k + 1]) * scale.1
      current.append(x)
      current.append(y)
      if rows[3 * k + 2] != 0 {
        strokes.append(current)
        current = []
      }
    }
    if !current.isEmpty { strokes.append(current) }
    return strokes
  }

  /// The number of strokes in a line given its pen values in order: each stroke ends at a point whose
  /// pen is lifted, and a last one may end unfinished (a line cut short).
  static func strokeCount(pens: [Double]) -> Int {
    let lifts = pens.filter { $0 > 0.5 }.count
    return lifts + (pens.last.map { $0 > 0.5 ? 0 : 1 } ?? 0)
  }
}
