/// A glyph of a Hershey font in the .jhf format: integer coordinates, y growing downward (baseline
/// y = 9, x-height top y = 0, capital top y = -12), left and right bounds, and strokes of points.
struct JHFGlyph: Equatable {
  var number: Int
  var left: Int
  var right: Int
  /// Pen-down polylines, each a list of (x, y).
  var strokes: [[JHFPoint]]
}

struct JHFPoint: Equatable {
  var x: Int
  var y: Int
}

/// Parses Hershey fonts in James Hurt's .jhf format (Debian's hershey-fonts-data).
///
/// One glyph per line: columns 0-4 a glyph number, columns 5-7 the count N of coordinate pairs
/// including the bounds pair, then the left and right bounds, then N - 1 pairs. Each value is
/// `ord(c) - ord('R')`; the pair " R" lifts the pen. A glyph too long for one line continues on the
/// next (older copies of the files wrap at 72 columns). In the ASCII fonts, glyph k is chr(32 + k).
enum JHFFont {
  struct ParseError: Error, CustomStringConvertible {
    var line: Int
    var message: String
    var description: String { "line \(line): \(message)" }
  }

  static func parse(_ text: String) throws -> [JHFGlyph] {
    let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map {
      Array($0.utf8.filter { $0 != 0x0D })
    }
    var glyphs: [JHFGlyph] = []
    var index = 0
    while index < lines.count {
      var line = lines[index]
      let lineNumber = index + 1
      index += 1
      if line.allSatisfy({ $0 == 0x20 }) { continue }
      guard line.count >= 10 else { throw ParseError(line: lineNumber, message: "too short for a glyph") }
      guard let number = Int(String(decoding: line[0..<5], as: UTF8.self).trimmingSpaces),
        let count = Int(String(decoding: line[5..<8], as: UTF8.self).trimmingSpaces), count >= 1
      else {
        throw ParseError(line: lineNumber, message: "columns 0-7 must hold the glyph number and pair count")
      }
      // Join continuation lines until all pairs are present.
      while line.count < 8 + 2 * count && index < lines.count {
        line += lines[index]
        index += 1
      }
      guard line.count >= 8 + 2 * count else {
        throw ParseError(line: lineNumber, message: "the count says \(count) pairs, found \((line.count - 8) / 2)")
      }
      func value(_ byte: UInt8) throws -> Int {
        guard byte >= 0x20 && byte < 0x7F else {
          throw ParseError(line: lineNumber, message: "byte \(byte) is not a coordinate character")
        }
        return Int(byte) - Int(UInt8(ascii: "R"))
      }
      var strokes: [[JHFPoint]] = []
      var current: [JHFPoint] = []
      for pair in 1..<count {
        let a = line[8 + 2 * pair]
        let b = line[9 + 2 * pair]
        if a == 0x20 && b == UInt8(ascii: "R") {
          if !current.isEmpty { strokes.append(current) }
          current = []
        } else {
          current.append(JHFPoint(x: try value(a), y: try value(b)))
        }
      }
      if !current.isEmpty { strokes.append(current) }
      glyphs.append(
        JHFGlyph(number: number, left: try value(line[8]), right: try value(line[9]), strokes: strokes))
    }
    return glyphs
  }
}

extension String {
  fileprivate var trimmingSpaces: String {
    var s = Substring(self)
    while s.first == " " { s.removeFirst() }
    while s.last == " " { s.removeLast() }
    return String(s)
  }
}
