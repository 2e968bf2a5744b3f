import Foundation

/// A 2-D affine transform `(a, b, c, d, e, f)`: x' = a x + c y + e, y' = b x + d y + f (SVG's matrix).
struct Affine {
  var a = 1.0, b = 0.0, c = 0.0, d = 1.0, e = 0.0, f = 0.0

  static let identity = Affine()

  func apply(_ x: Double, _ y: Double) -> (Double, Double) { (a * x + c * y + e, b * x + d * y + f) }

  /// `self` after `other` (other is applied first).
  func then(_ other: Affine) -> Affine {
    Affine(
      a: other.a * a + other.b * c, b: other.a * b + other.b * d, c: other.c * a + other.d * c,
      d: other.c * b + other.d * d, e: other.e * a + other.f * c + e, f: other.e * b + other.f * d + f)
  }

  /// Parses an SVG `transform` attribute: matrix, translate, scale, rotate, skewX, skewY.
  static func parse(_ text: String) throws -> Affine {
    var result = Affine.identity
    var rest = Substring(text)
    while true {
      rest = rest.drop { $0 == " " || $0 == "," || $0 == "\t" || $0 == "\n" || $0 == "\r" }
      if rest.isEmpty { return result }
      guard let open = rest.firstIndex(of: "("), let close = rest.firstIndex(of: ")"), open < close else {
        throw SVGError("transform \"\(text)\" is malformed")
      }
      let name = rest[..<open].trimmingCharacters(in: .whitespaces)
      var numbers = NumberScanner(rest[rest.index(after: open)..<close])
      var values: [Double] = []
      while let value = try numbers.number() { values.append(value) }
      rest = rest[rest.index(after: close)...]
      func need(_ counts: Set<Int>) throws {
        guard counts.contains(values.count) else {
          throw SVGError(
            "\(name)(...) in transform \"\(text)\" takes \(counts.sorted().map(String.init).joined(separator: " or ")) numbers"
          )
        }
      }
      let step: Affine
      switch name {
      case "matrix":
        try need([6])
        step = Affine(a: values[0], b: values[1], c: values[2], d: values[3], e: values[4], f: values[5])
      case "translate":
        try need([1, 2])
        step = Affine(e: values[0], f: values.count > 1 ? values[1] : 0)
      case "scale":
        try need([1, 2])
        step = Affine(a: values[0], d: values.count > 1 ? values[1] : values[0])
      case "rotate":
        try need([1, 3])
        let angle = values[0] * .pi / 180
        let rotation = Affine(a: cos(angle), b: sin(angle), c: -sin(angle), d: cos(angle))
        if values.count == 3 {
          step = Affine(e: values[1], f: values[2]).then(rotation).then(Affine(e: -values[1], f: -values[2]))
        } else {
          step = rotation
        }
      case "skewX":
        try need([1])
        step = Affine(c: tan(values[0] * .pi / 180))
      case "skewY":
        try need([1])
        step = Affine(b: tan(values[0] * .pi / 180))
      default:
        throw SVGError("unknown transform '\(name)' in \"\(text)\"")
      }
      result = result.then(step)
    }
  }
}

/// A problem in an SVG file.
struct SVGError: Error, CustomStringConvertible {
  var message: String
  init(_ message: String) { self.message = message }
  var description: String { message }
}

/// Reads SVG numbers: signs, decimals, exponents, and numbers run together (`1.5.5` is 1.5, .5).
struct NumberScanner {
  private let bytes: [UInt8]
  private(set) var position = 0

  init<S: StringProtocol>(_ text: S) { bytes = Array(text.utf8) }

  mutating func skipSeparators() {
    while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ",")].contains(bytes[position]) {
      position += 1
    }
  }

  /// The next character if it is a letter (a path command), without consuming it.
  mutating func peekCommand() -> Character? {
    skipSeparators()
    guard position < bytes.count else { return nil }
    let c = bytes[position]
    return (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) ? Character(Unicode.Scalar(c)) : nil
  }

  mutating func take() { position += 1 }

  var atEnd: Bool {
    mutating get {
      skipSeparators()
      return position >= bytes.count
    }
  }

  /// The next number, nil when the next token is not a number (or at the end).
  mutating func number() throws -> Double? {
    skipSeparators()
    let start = position
    func digits() -> Int {
      let from = position
      while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 { position += 1 }
      return position - from
    }
    if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
      position += 1
    }
    var count = digits()
    if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
      position += 1
      count += digits()
    }
    guard count > 0 else {
      position = start
      return nil
    }
    if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
      let mark = position
      position += 1
      if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
        position += 1
      }
      if digits() == 0 { position = mark }
    }
    let text = String(decoding: bytes[start..<position], as: UTF8.self)
    guard let value = Double(text), value.isFinite else { throw SVGError("bad number '\(text)'") }
    return value
  }
}

/// Turns SVG path data into strokes of points, flattening curves to within a tolerance.
struct SVGPathFlattener {
  var transform: Affine
  /// Largest distance between a curve and the polyline that replaces it (output units).
  var tolerance: Double
  /// The most points the path data may produce (the rest of the file's ``StrokeLimits/pointsPerFile``);
  /// checked after every command, so a tiny tolerance or a huge scale cannot exhaust memory.
  var budget = StrokeLimits.pointsPerFile

  /// The subpaths of path data `d` (each interleaved x, y, transformed).
  func strokes(_ d: String) throws -> [[Double]] {
    var scanner = NumberScanner(d)
    var strokes: [[Double]] = []
    var current: [Double] = []
    var (x, y) = (0.0, 0.0)
    var (startX, startY) = (0.0, 0.0)
    var lastControl: (Double, Double)? = nil
    var lastCommand: Character = " "
    var command: Character? = nil
    func emit(_ px: Double, _ py: Double) {
      let (tx, ty) = transform.apply(px, py)
      current.append(tx)
      current.append(ty)
    }
    var finished = 0
    func finish() {
      if !current.isEmpty { strokes.append(current) }
      finished += current.count / 2
      current = []
    }
    func args(_ n: Int, _ name: Character) throws -> [Double] {
      var values: [Double] = []
      for _ in 0..<n {
        guard let value = try scanner.number() else {
          throw SVGError("the '\(name)' command needs \(n) numbers (path data \"\(d.prefix(60))\")")
        }
        values.append(value)
      }
      return values
    }
    while !scanner.atEnd {
      if let letter = scanner.peekCommand() {
        scanner.take()
        command = letter
      } else if command == nil {
        throw SVGError("path data must start with a command (M), found \"\(d.prefix(20))\"")
      }
      guard let name = command else { break }
      let relative = name.isLowercase
      let (ox, oy) = relative ? (x, y) : (0, 0)
      switch name.uppercased() {
      case "M":
        let v = try args(2, name)
        finish()
        (x, y) = (ox + v[0], oy + v[1])
        (startX, startY) = (x, y)
        emit(x, y)
        command = relative ? "l" : "L"  // further pairs are line-tos
        lastControl = nil
      case "L":
        let v = try args(2, name)
        if current.isEmpty { emit(x, y) }
        (x, y) = (ox + v[0], oy + v[1])
        emit(x, y)
        lastControl = nil
      case "H":
        let v = try args(1, name)
        if current.isEmpty { emit(x, y) }
        x = (relative ? x : 0) + v[0]
        emit(x, y)
        lastControl = nil
      case "V":
        let v = try args(1, name)
        if current.isEmpty { emit(x, y) }
        y = (relative ? y : 0) + v[0]
        emit(x, y)
        lastControl = nil
      case "C", "S":
        var v: [Double]
        if name.uppercased() == "C" {
          v = try args(6, name)
          v = [ox + v[0], oy + v[1], ox + v[2], oy + v[3], ox + v[4], oy + v[5]]
        } else {
          let w = try args(4, name)
          let reflected = "CcSs".contains(lastCommand) ? lastControl.map { (2 * x - $0.0, 2 * y - $0.1) } : nil
          let (c1x, c1y) = reflected ?? (x, y)
          v = [c1x, c1y, ox + w[0], oy + w[1], ox + w[2], oy + w[3]]
        }
        if current.isEmpty { emit(x, y) }
        cubic((x, y), (v[0], v[1]), (v[2], v[3]), (v[4], v[5]), &current)
        lastControl = (v[2], v[3])
        (x, y) = (v[4], v[5])
      case "Q", "T":
        var control: (Double, Double)
        var end: (Double, Double)
        if name.uppercased() == "Q" {
          let v = try args(4, name)
          control = (ox + v[0], oy + v[1])
          end = (ox + v[2], oy + v[3])
        } else {
          let v = try args(2, name)
          control = "QqTt".contains(lastCommand) ? lastControl.map { (2 * x - $0.0, 2 * y - $0.1) } ?? (x, y) : (x, y)
          end = (ox + v[0], oy + v[1])
        }
        if current.isEmpty { emit(x, y) }
        // A quadratic is the cubic with controls 2/3 of the way to its control point.
        cubic(
          (x, y), (x + 2 * (control.0 - x) / 3, y + 2 * (control.1 - y) / 3),
          (end.0 + 2 * (control.0 - end.0) / 3, end.1 + 2 * (control.1 - end.1) / 3), end, &current)
        lastControl = control
        (x, y) = end
      case "Z":
        if !current.isEmpty {
          emit(startX, startY)
          finish()
        }
        (x, y) = (startX, startY)
        command = nil
        lastControl = nil
      case "A":
        throw SVGError(
          "elliptical arcs ('\(name)') are not supported; convert them to curves (e.g. with "
            + "Inkscape's Path > Object to Path, or svgo --convert-arcs) first")
      default:
        throw SVGError("unknown path command '\(name)' (supported: M L H V C S Q T Z)")
      }
      lastCommand = name
      if finished + current.count / 2 > budget { throw SVGError(StrokeLimits.tooManyPoints) }
      if name.uppercased() == "Z" {
        // After Z, numbers without a command are an error; a new command must follow.
        if (try? scanner.number()) != nil { throw SVGError("numbers after 'Z' without a command") }
      }
    }
    finish()
    return strokes
  }

  /// Appends the flattened cubic Bézier (start excluded) after transforming its control points.
  func cubic(
    _ p0: (Double, Double), _ p1: (Double, Double), _ p2: (Double, Double), _ p3: (Double, Double),
    _ out: inout [Double]
  ) {
    let q0 = transform.apply(p0.0, p0.1)
    let q1 = transform.apply(p1.0, p1.1)
    let q2 = transform.apply(p2.0, p2.1)
    let q3 = transform.apply(p3.0, p3.1)
    subdivide(q0, q1, q2, q3, depth: 0, &out)
  }

  private func subdivide(
    _ p0: (Double, Double), _ p1: (Double, Double), _ p2: (Double, Double), _ p3: (Double, Double),
    depth: Int, _ out: inout [Double]
  ) {
    // The curve lies within the hull of its controls: flat when both inner controls are near the chord.
    if depth >= 18 || max(distanceToSegment(p1, p0, p3), distanceToSegment(p2, p0, p3)) <= tolerance {
      out.append(p3.0)
      out.append(p3.1)
      return
    }
    func mid(_ a: (Double, Double), _ b: (Double, Double)) -> (Double, Double) { ((a.0 + b.0) / 2, (a.1 + b.1) / 2) }
    let a = mid(p0, p1)
    let b = mid(p1, p2)
    let c = mid(p2, p3)
    let d = mid(a, b)
    let e = mid(b, c)
    let m = mid(d, e)
    subdivide(p0, a, d, m, depth: depth + 1, &out)
    subdivide(m, e, c, p3, depth: depth + 1, &out)
  }

  private func distanceToSegment(_ p: (Double, Double), _ a: (Double, Double), _ b: (Double, Double)) -> Double {
    let dx = b.0 - a.0
    let dy = b.1 - a.1
    let length2 = dx * dx + dy * dy
    var t = length2 > 0 ? ((p.0 - a.0) * dx + (p.1 - a.1) * dy) / length2 : 0
    t = max(0, min(1, t))
    let ex = p.0 - (a.0 + t * dx)
    let ey = p.1 - (a.1 + t * dy)
    return (ex * ex + ey * ey).squareRoot()
  }
}
