import Foundation

/// Writes a line of text as handwriting with a Hershey font: connected cursive (letters joined) or print
/// (each letter its own strokes), as the font's ``WritingStyle`` says, with the per-line and per-letter
/// variation of ``HandStyle`` (docs/data.md), sampled like a digitiser.
struct HersheyWriter {
  /// The prepared glyphs of the style to write in.
  let font: HandFont

  /// The pen-down strokes of `text` in digitiser units (integers, y downward), each interleaved x, y.
  func write(_ text: String, style: HandStyle, random: inout RandomStream) -> [[Double]] {
    let laid = layout(text, style: style, random: &random)
    var sampled: [[Double]] = []
    var travelled = 0.0
    for stroke in laid {
      var path = resample(stroke, spacing: HersheyWriter.spacing)
      path = smooth(path, sigma: style.roundingSigma, spacing: HersheyWriter.spacing)
      // The pen's speed follows the intended (rounded) path; the noise is a tremor on top of it.
      let speed = Digitiser.speed(along: path, style: style, travelled: &travelled)
      addNoise(&path, style: style, random: &random)
      path = path.map { transform($0, style: style) }
      let points = Digitiser.sample(path, speed: speed, step: style.step)
      sampled.append(points.flatMap { [($0.x * 10).rounded(), ($0.y * 10).rounded()] })
    }
    return sampled
  }

  /// Dots and crosses are delayed to the end of the word only when the pen jumps back at most this far
  /// (font units); longer delayed jumps would be outliers of many standard deviations.
  static let delayReach = 90.0

  /// The arc-length spacing of the dense paths (font units).
  static let spacing = 0.3

  // MARK: Layout

  /// The strokes of the line in font units before smoothing, noise and the line transforms.
  func layout(_ text: String, style: HandStyle, random: inout RandomStream) -> [[FontPoint]] {
    var strokes: [[FontPoint]] = []
    var open: [FontPoint]? = nil
    var openJoins = false
    func lift() {
      if let stroke = open { strokes.append(stroke) }
      open = nil
      openJoins = false
    }
    var x = 0.0
    var drift = 0.0
    let fallback = font.glyph("?")
    for (w, word) in text.split(separator: " ").enumerated() {
      if w > 0 { x += max(4, 16 * style.wordSpace * random.normal(1, 0.15)) }
      let glyphs = word.compactMap { font.glyph($0) ?? fallback }
      let wordEnd = x + glyphs.reduce(0) { $0 + ($1.right - $1.left) * style.xStretch * style.spacing }
      var deferred: [[FontPoint]] = []
      lift()
      for glyph in glyphs {
        let scale = min(1.3, max(0.7, random.normal(1, style.letterScaleSD)))
        let shear = random.normal(0, style.letterShearSD)
        let width = min(1.3, max(0.7, random.normal(1, style.letterWidthSD)))
        drift = 0.7 * drift + random.normal(0, style.driftSD)
        let spacing = style.spacing * random.normal(1, style.spacingSD)
        let origin = x
        let shift = drift
        func place(_ p: FontPoint) -> FontPoint {
          let v = (p.y - 9) * scale
          let u = (p.x - glyph.left) * style.xStretch * width * scale - v * shear
          return FontPoint(origin + u, 9 + v + shift)
        }
        let body = glyph.strokes.map { $0.map(place) }

        // The first body stroke: continue the open stroke or start a new one.
        if var current = open, openJoins, glyph.kind == .lower {
          if glyph.joinsIn && random.chance(style.joinProbability) {
            current += body[0]
            open = current
          } else if glyph.entersOverTop && random.chance(style.connectorProbability) {
            current += connector(from: current.last!, to: body[0][0]) + body[0]
            open = current
          } else {
            strokes.append(current)
            open = body[0]
          }
        } else {
          if let current = open { strokes.append(current) }
          open = body[0]
        }
        // Further strokes (capitals, digits, punctuation): join across small gaps.
        for stroke in body.dropFirst() {
          if let current = open, current.last!.distance(to: stroke[0]) < style.joinGap * scale {
            open = current + stroke
          } else {
            if let current = open { strokes.append(current) }
            open = stroke
          }
        }
        openJoins = glyph.joinsOut
        for mark in glyph.marks.map({ $0.map(place) }) {
          if wordEnd - mark[0].x <= HersheyWriter.delayReach && random.chance(style.delayProbability) {
            deferred.append(mark)
          } else {
            if let current = open { strokes.append(current) }
            strokes.append(mark)
            open = nil
            openJoins = false
          }
        }
        x += (glyph.right - glyph.left) * style.xStretch * width * scale * spacing
      }
      lift()
      strokes += deferred
    }
    lift()
    return strokes
  }

  /// A connector from the end of a letter up and over the top into a bowl that starts at `b`.
  private func connector(from a: FontPoint, to b: FontPoint) -> [FontPoint] {
    let c = FontPoint(b.x + 0.5, min(a.y, b.y) - 5)
    return (1..<8).map { i in
      let t = Double(i) / 8
      let s = 1 - t
      return FontPoint(s * s * a.x + 2 * s * t * c.x + t * t * b.x, s * s * a.y + 2 * s * t * c.y + t * t * b.y)
    }
  }

  // MARK: Shaping

  /// The polyline resampled at equal arc-length `spacing` (first and last points kept).
  func resample(_ points: [FontPoint], spacing: Double) -> [FontPoint] {
    guard points.count > 1 else { return points }
    var result = [points[0]]
    var carry = 0.0
    for i in 1..<points.count {
      let a = points[i - 1]
      let b = points[i]
      let length = a.distance(to: b)
      guard length > 0 else { continue }
      var t = spacing - carry
      while t <= length {
        result.append(FontPoint(a.x + (b.x - a.x) * t / length, a.y + (b.y - a.y) * t / length))
        t += spacing
      }
      carry = length - (t - spacing)
    }
    if let last = result.last, last.distance(to: points.last!) > 1e-9 { result.append(points.last!) }
    return result
  }

  /// Gaussian smoothing along the path (corner rounding); the ends stay in place (point reflection).
  func smooth(_ points: [FontPoint], sigma: Double, spacing: Double) -> [FontPoint] {
    let n = points.count
    guard n > 2 else { return points }
    let s = sigma / spacing
    let radius = Int((3 * s).rounded(.up))
    var weights = [Double](repeating: 0, count: 2 * radius + 1)
    for k in -radius...radius { weights[k + radius] = exp(-Double(k * k) / (2 * s * s)) }
    let total = weights.reduce(0, +)
    var result = points
    let first = points[0]
    let last = points[n - 1]
    for i in 1..<(n - 1) {
      var x = 0.0
      var y = 0.0
      for k in -radius...radius {
        let j = i + k
        let p: FontPoint
        if j < 0 {
          let m = points[min(n - 1, -j)]
          p = FontPoint(2 * first.x - m.x, 2 * first.y - m.y)
        } else if j >= n {
          let m = points[max(0, 2 * (n - 1) - j)]
          p = FontPoint(2 * last.x - m.x, 2 * last.y - m.y)
        } else {
          p = points[j]
        }
        x += weights[k + radius] * p.x
        y += weights[k + radius] * p.y
      }
      result[i] = FontPoint(x / total, y / total)
    }
    return result
  }

  /// Adds low-pass random displacements: a cubic B-spline through independent normal knots spaced one
  /// correlation length apart, scaled so that its standard deviation is the style's amplitude.
  func addNoise(_ points: inout [FontPoint], style: HandStyle, random: inout RandomStream) {
    guard !points.isEmpty else { return }
    var lengths = [0.0]
    for i in 1..<points.count { lengths.append(lengths[i - 1] + points[i - 1].distance(to: points[i])) }
    let knotSpacing = style.noiseCorrelation
    let knots = Int(lengths.last! / knotSpacing) + 4
    // The B-spline's variance for unit knots averages 0.55 over a knot interval.
    let amplitude = style.noiseAmplitude / 0.55.squareRoot()
    var kx: [Double] = []
    var ky: [Double] = []
    for _ in 0..<knots {
      kx.append(random.normal() * amplitude)
      ky.append(random.normal() * amplitude)
    }
    for i in points.indices {
      let u = lengths[i] / knotSpacing + 1
      let k = Int(u)
      let t = u - Double(k)
      let s = 1 - t
      let b0 = s * s * s / 6
      let b1 = (3 * t * t * t - 6 * t * t + 4) / 6
      let b2 = (-3 * t * t * t + 3 * t * t + 3 * t + 1) / 6
      let b3 = t * t * t / 6
      points[i].x += b0 * kx[k - 1] + b1 * kx[k] + b2 * kx[k + 1] + b3 * kx[k + 2]
      points[i].y += b0 * ky[k - 1] + b1 * ky[k] + b2 * ky[k + 1] + b3 * ky[k + 2]
    }
  }

  /// Slant, rotation about the line's start on the baseline, and the baseline's sine wave.
  func transform(_ p: FontPoint, style: HandStyle) -> FontPoint {
    let slanted = FontPoint(p.x + style.slant * (9 - p.y), p.y)
    let c = cos(style.rotation)
    let s = sin(style.rotation)
    let dy = slanted.y - 9
    let rotated = FontPoint(c * slanted.x - s * dy, 9 + s * slanted.x + c * dy)
    return FontPoint(
      rotated.x,
      rotated.y + style.sineAmplitude * sin(2 * .pi * rotated.x / style.sineWavelength + style.sinePhase))
  }
}

/// Samples a path like a digitiser: equal time steps, with the pen's speed falling in curves (the
/// two-thirds power law), near stroke ends, and varying slowly.
enum Digitiser {
  /// The relative pen speed at each point of `path` (font units): (1 + 10 curvature)^(-1/3), slower
  /// within about 1.5 units of the stroke's ends, times the style's slow variation. `travelled` carries
  /// the pen travel across strokes so that the slow variation continues from stroke to stroke.
  static func speed(along path: [FontPoint], style: HandStyle, travelled: inout Double) -> [Double] {
    let n = path.count
    guard n > 1 else { return [Double](repeating: 1, count: n) }
    var segment = [Double](repeating: 0, count: n)
    var arc = [Double](repeating: 0, count: n)
    for i in 1..<n {
      segment[i] = path[i - 1].distance(to: path[i])
      arc[i] = arc[i - 1] + segment[i]
    }
    let total = arc[n - 1]
    var curvature = [Double](repeating: 0, count: n)
    for i in 1..<(n - 1) {
      let ax = path[i].x - path[i - 1].x
      let ay = path[i].y - path[i - 1].y
      let bx = path[i + 1].x - path[i].x
      let by = path[i + 1].y - path[i].y
      let angle = abs(atan2(ax * by - ay * bx, ax * bx + ay * by))
      let local = (segment[i] + segment[i + 1]) / 2
      curvature[i] = local > 1e-9 ? angle / local : 0
    }
    var speed = [Double](repeating: 1, count: n)
    for i in 0..<n {
      var sum = 0.0
      var count = 0.0
      for j in max(0, i - 2)...min(n - 1, i + 2) {
        sum += curvature[j]
        count += 1
      }
      let kappa = sum / count
      let toEnd = min(arc[i], total - arc[i])
      let ends = 1 - 0.45 * exp(-toEnd / 1.5)
      let slow =
        1 + style.speedVariation
        * sin(2 * .pi * (travelled + arc[i]) / style.speedWavelength + style.speedPhase)
      speed[i] = pow(1 + 10 * kappa, -1.0 / 3) * ends * slow
    }
    travelled += total
    return speed
  }

  /// Samples `path` at equal time steps: between samples the pen travels `step` x its speed.
  static func sample(_ path: [FontPoint], speed: [Double], step: Double) -> [FontPoint] {
    let n = path.count
    guard n > 1 else { return path }
    var samples = [path[0]]
    var time = 0.0
    var next = 1.0
    for i in 1..<n {
      let rate = step * (speed[i - 1] + speed[i]) / 2
      let dt = path[i - 1].distance(to: path[i]) / max(rate, 1e-6)
      while time + dt >= next {
        let t = (next - time) / dt
        samples.append(
          FontPoint(path[i - 1].x + (path[i].x - path[i - 1].x) * t, path[i - 1].y + (path[i].y - path[i - 1].y) * t))
        next += 1
      }
      time += dt
    }
    if let last = samples.last, last.distance(to: path[n - 1]) > 1e-6 { samples.append(path[n - 1]) }
    return samples
  }
}
