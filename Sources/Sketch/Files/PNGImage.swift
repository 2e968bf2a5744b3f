import CPNG
import SketchRuntime

/// A failure to write or read a PNG file: the path and libpng's message.
public struct PNGError: Error, CustomStringConvertible, Sendable {
  public let path: String
  public let message: String

  public init(path: String, message: String) {
    self.path = path
    self.message = message
  }

  public var description: String { "PNG file '\(path)': \(message)" }
}

/// An 8-bit grayscale or RGB image with anti-aliased stroke drawing, written through libpng.
///
/// Pixel `(x, y)` is column `x` of row `y` (row 0 at the top) and covers the square
/// `[x, x + 1) x [y, y + 1)`; its center is `(x + 0.5, y + 0.5)`. Drawing coordinates use the same
/// continuous space, so a line through `y = 3.5` is centered on row 3.
public struct PNGImage: Sendable, Hashable {
  /// The channel layout of the pixels.
  public enum Format: Sendable, Hashable {
    case gray, rgb

    /// Bytes per pixel.
    public var channels: Int { self == .gray ? 1 : 3 }
  }

  /// An 8-bit RGB color (gray when the three channels are equal).
  public struct Color: Sendable, Hashable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(r: UInt8, g: UInt8, b: UInt8) {
      self.r = r
      self.g = g
      self.b = b
    }

    public init(gray: UInt8) { self.init(r: gray, g: gray, b: gray) }

    public static let black = Color(gray: 0)
    public static let white = Color(gray: 255)

    /// The gray level stored for this color in a grayscale image (Rec. 601 luma, rounded).
    public var gray: UInt8 {
      let luma: Double = 0.299 * Double(r) + 0.587 * Double(g) + 0.114 * Double(b)
      return UInt8(luma.rounded())
    }
  }

  public let width: Int
  public let height: Int
  public let format: Format
  /// Row-major pixels, `format.channels` bytes each (RGB interleaved), no row padding.
  public var pixels: [UInt8]

  /// An image filled with `background`.
  public init(width: Int, height: Int, format: Format = .gray, background: Color = .white) {
    precondition(width > 0 && height > 0, "PNGImage: size must be positive, got \(width)x\(height)")
    self.width = width
    self.height = height
    self.format = format
    switch format {
    case .gray:
      pixels = [UInt8](repeating: background.gray, count: width * height)
    case .rgb:
      pixels = [UInt8](repeating: 0, count: width * height * 3)
      for i in 0..<(width * height) {
        pixels[3 * i] = background.r
        pixels[3 * i + 1] = background.g
        pixels[3 * i + 2] = background.b
      }
    }
  }

  /// An image holding `pixels` (row-major, `format.channels` bytes per pixel).
  public init(width: Int, height: Int, format: Format, pixels: [UInt8]) {
    precondition(width > 0 && height > 0, "PNGImage: size must be positive, got \(width)x\(height)")
    precondition(
      pixels.count == width * height * format.channels,
      "PNGImage: \(pixels.count) bytes do not fill \(width)x\(height) \(format)")
    self.width = width
    self.height = height
    self.format = format
    self.pixels = pixels
  }

  /// The color of pixel `(x, y)`; setting it on a grayscale image stores the color's gray level.
  public subscript(x: Int, y: Int) -> Color {
    get {
      precondition(contains(x: x, y: y), "PNGImage: pixel (\(x), \(y)) outside \(width)x\(height)")
      let i = (y * width + x) * format.channels
      return format == .gray
        ? Color(gray: pixels[i]) : Color(r: pixels[i], g: pixels[i + 1], b: pixels[i + 2])
    }
    set {
      precondition(contains(x: x, y: y), "PNGImage: pixel (\(x), \(y)) outside \(width)x\(height)")
      let i = (y * width + x) * format.channels
      if format == .gray {
        pixels[i] = newValue.gray
      } else {
        pixels[i] = newValue.r
        pixels[i + 1] = newValue.g
        pixels[i + 2] = newValue.b
      }
    }
  }

  /// Whether `(x, y)` is a pixel of the image.
  public func contains(x: Int, y: Int) -> Bool {
    x >= 0 && x < width && y >= 0 && y < height
  }

  /// Mixes `color` into pixel `(x, y)` with weight `coverage` (0...1): `old + (color - old) * coverage`,
  /// rounded. Pixels outside the image are ignored.
  public mutating func blend(x: Int, y: Int, color: Color, coverage: Double) {
    guard contains(x: x, y: y), coverage > 0 else { return }
    let a = min(1, coverage)
    func mix(_ old: UInt8, _ ink: UInt8) -> UInt8 {
      UInt8((Double(old) + (Double(ink) - Double(old)) * a).rounded())
    }
    let i = (y * width + x) * format.channels
    if format == .gray {
      pixels[i] = mix(pixels[i], color.gray)
    } else {
      pixels[i] = mix(pixels[i], color.r)
      pixels[i + 1] = mix(pixels[i + 1], color.g)
      pixels[i + 2] = mix(pixels[i + 2], color.b)
    }
  }

  // MARK: Drawing

  /// Draws an anti-aliased straight stroke of the given width with round caps (see ``drawPolyline``).
  public mutating func drawLine(
    from start: (x: Double, y: Double), to end: (x: Double, y: Double), width: Double,
    color: Color = .black
  ) {
    drawPolyline([start, end], width: width, color: color)
  }

  /// Draws an anti-aliased stroke through `points` (round caps and joins; one point draws a dot).
  ///
  /// A pixel's coverage is the overlap of the pixel's unit extent across the stroke,
  /// `[d - 0.5, d + 0.5]`, with the stroke's cross-section `[-width/2, width/2]`, where `d` is the
  /// distance from the pixel center to the nearest segment: 1 inside a wide stroke, `width` at the
  /// center of a hairline. Each pixel is blended once with its largest coverage over all segments,
  /// so joins are not darkened twice.
  public mutating func drawPolyline(
    _ points: [(x: Double, y: Double)], width: Double, color: Color = .black
  ) {
    guard let first = points.first, width > 0 else { return }
    let r = width / 2
    let reach = r + 0.5
    var minX = first.x
    var maxX = first.x
    var minY = first.y
    var maxY = first.y
    for p in points {
      minX = min(minX, p.x)
      maxX = max(maxX, p.x)
      minY = min(minY, p.y)
      maxY = max(maxY, p.y)
    }
    let x0 = max(0, Int((minX - reach).rounded(.down)))
    let x1 = min(self.width - 1, Int((maxX + reach).rounded(.up)))
    let y0 = max(0, Int((minY - reach).rounded(.down)))
    let y1 = min(height - 1, Int((maxY + reach).rounded(.up)))
    guard x0 <= x1, y0 <= y1 else { return }
    let boxWidth = x1 - x0 + 1
    var coverage = [Double](repeating: 0, count: boxWidth * (y1 - y0 + 1))
    let segments =
      points.count == 1 ? [(first, first)] : (1..<points.count).map { (points[$0 - 1], points[$0]) }
    for (a, b) in segments {
      let sx0 = max(x0, Int((min(a.x, b.x) - reach).rounded(.down)))
      let sx1 = min(x1, Int((max(a.x, b.x) + reach).rounded(.up)))
      let sy0 = max(y0, Int((min(a.y, b.y) - reach).rounded(.down)))
      let sy1 = min(y1, Int((max(a.y, b.y) + reach).rounded(.up)))
      guard sx0 <= sx1, sy0 <= sy1 else { continue }
      for y in sy0...sy1 {
        for x in sx0...sx1 {
          let d = PNGImage.distance(Double(x) + 0.5, Double(y) + 0.5, a, b)
          let c = max(0, min(d + 0.5, r) - max(d - 0.5, -r))
          let k = (y - y0) * boxWidth + (x - x0)
          if c > coverage[k] { coverage[k] = c }
        }
      }
    }
    for y in y0...y1 {
      for x in x0...x1 {
        blend(x: x, y: y, color: color, coverage: coverage[(y - y0) * boxWidth + (x - x0)])
      }
    }
  }

  /// The distance from `(px, py)` to the segment `a`-`b`.
  static func distance(
    _ px: Double, _ py: Double, _ a: (x: Double, y: Double), _ b: (x: Double, y: Double)
  ) -> Double {
    let dx = b.x - a.x
    let dy = b.y - a.y
    let lengthSquared = dx * dx + dy * dy
    var t = 0.0
    if lengthSquared > 0 {
      t = max(0, min(1, ((px - a.x) * dx + (py - a.y) * dy) / lengthSquared))
    }
    let ex = px - (a.x + t * dx)
    let ey = py - (a.y + t * dy)
    return (ex * ex + ey * ey).squareRoot()
  }

  // MARK: Files

  /// libpng's format code: PNG_FORMAT_GRAY (0) or PNG_FORMAT_RGB (PNG_FORMAT_FLAG_COLOR, 2).
  private static func pngFormat(_ format: Format) -> UInt32 {
    format == .gray ? UInt32(PNG_FORMAT_GRAY) : UInt32(PNG_FORMAT_FLAG_COLOR)
  }

  /// The largest width or height written: libpng refuses images wider or taller than 1,000,000
  /// pixels (its default user limit, "Invalid IHDR data").
  public static let maxDimension = 1_000_000

  /// Writes the image as an 8-bit PNG at `path`, atomically (a temporary file renamed into place).
  /// An image wider or taller than ``maxDimension`` is refused before anything is written.
  public func write(to path: String) throws {
    guard width <= Self.maxDimension, height <= Self.maxDimension else {
      throw PNGError(
        path: path,
        message: "the image is \(width)x\(height) pixels; PNG files are limited to "
          + "\(Self.maxDimension) pixels a side")
    }
    try AtomicFile.write(to: path) { temporary in
      var image = png_image()
      image.version = UInt32(PNG_IMAGE_VERSION)
      image.width = UInt32(width)
      image.height = UInt32(height)
      image.format = PNGImage.pngFormat(format)
      let ok = pixels.withUnsafeBytes { buffer in
        png_image_write_to_file(&image, temporary, 0, buffer.baseAddress, 0, nil)
      }
      let message = PNGImage.message(of: image)
      png_image_free(&image)
      guard ok != 0 else { throw PNGError(path: path, message: message) }
    }
  }

  /// The image as the bytes of an 8-bit PNG file (for a server's response; ``write(to:)`` for files).
  public func encoded() throws -> [UInt8] {
    guard width <= Self.maxDimension, height <= Self.maxDimension else {
      throw PNGError(path: "(in memory)", message: "the image is \(width)x\(height) pixels; PNG is limited to \(Self.maxDimension) a side")
    }
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    image.width = UInt32(width)
    image.height = UInt32(height)
    image.format = PNGImage.pngFormat(format)
    // The first call measures (no buffer), the second writes into a buffer of that size.
    var size = 0
    var ok = pixels.withUnsafeBytes { png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, 0, nil) }
    var bytes = [UInt8](repeating: 0, count: size)
    if ok != 0 {
      ok = bytes.withUnsafeMutableBytes { out in
        pixels.withUnsafeBytes { png_image_write_to_memory(&image, out.baseAddress, &size, 0, $0.baseAddress, 0, nil) }
      }
    }
    let message = PNGImage.message(of: image)
    png_image_free(&image)
    guard ok != 0 else { throw PNGError(path: "(in memory)", message: message) }
    return Array(bytes.prefix(size))
  }

  /// Reads a PNG file, converting it to `format` (libpng's simplified API; alpha is composited on black).
  public static func read(from path: String, format: Format = .gray) throws -> PNGImage {
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    guard png_image_begin_read_from_file(&image, path) != 0 else {
      let message = PNGImage.message(of: image)
      png_image_free(&image)
      throw PNGError(path: path, message: message)
    }
    image.format = pngFormat(format)
    let width = Int(image.width)
    let height = Int(image.height)
    var pixels = [UInt8](repeating: 0, count: width * height * format.channels)
    let ok = pixels.withUnsafeMutableBytes { buffer in
      png_image_finish_read(&image, nil, buffer.baseAddress, 0, nil)
    }
    guard ok != 0 else {
      let message = PNGImage.message(of: image)
      png_image_free(&image)
      throw PNGError(path: path, message: message)
    }
    return PNGImage(width: width, height: height, format: format, pixels: pixels)
  }

  /// libpng's message from a `png_image` (its fixed 64-byte buffer).
  private static func message(of image: png_image) -> String {
    withUnsafeBytes(of: image.message) { raw in
      let text = String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      return text.isEmpty ? "libpng reported an error" : text
    }
  }
}
