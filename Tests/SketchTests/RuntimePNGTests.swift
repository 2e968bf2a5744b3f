import CPNG
import Foundation
import SketchFiles
import SketchRuntime
import XCTest

/// Writes images through `PNGImage` and reads them back with libpng's simplified API directly.
final class RuntimePNGTests: XCTestCase {
  private var directory = ""

  override func setUpWithError() throws {
    directory = try makeRuntimeTestDirectory("png")
  }

  override func tearDownWithError() throws {
    try? FileManager.default.removeItem(atPath: directory)
  }

  /// Reads a PNG with png_image_begin_read_from_file / png_image_finish_read (not through PNGImage).
  private func readWithLibpng(_ path: String, rgb: Bool) throws -> (
    width: Int, height: Int, bytes: [UInt8]
  ) {
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    guard png_image_begin_read_from_file(&image, path) != 0 else {
      png_image_free(&image)
      throw PNGError(path: path, message: "begin_read failed")
    }
    image.format = rgb ? UInt32(PNG_FORMAT_FLAG_COLOR) : UInt32(PNG_FORMAT_GRAY)
    var bytes = [UInt8](repeating: 0, count: Int(image.width) * Int(image.height) * (rgb ? 3 : 1))
    let ok = bytes.withUnsafeMutableBytes {
      png_image_finish_read(&image, nil, $0.baseAddress, 0, nil)
    }
    guard ok != 0 else {
      png_image_free(&image)
      throw PNGError(path: path, message: "finish_read failed")
    }
    return (Int(image.width), Int(image.height), bytes)
  }

  func testGrayImageRoundTripThroughLibpng() throws {
    var image = PNGImage(width: 7, height: 5)
    XCTAssertEqual(image.pixels, [UInt8](repeating: 255, count: 35))
    for y in 0..<5 { for x in 0..<7 { image[x, y] = .init(gray: UInt8(x * 30 + y * 7)) } }
    XCTAssertEqual(image[3, 2], .init(gray: 104))
    let path = directory + "/gray.png"
    try image.write(to: path)
    let back = try readWithLibpng(path, rgb: false)
    XCTAssertEqual(back.width, 7)
    XCTAssertEqual(back.height, 5)
    let expected: [UInt8] = (0..<35).map { (i: Int) -> UInt8 in UInt8((i % 7) * 30 + (i / 7) * 7) }
    XCTAssertEqual(back.bytes, expected)
    XCTAssertEqual(try PNGImage.read(from: path), image)
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory), ["gray.png"])
  }

  func testRGBImageRoundTripThroughLibpng() throws {
    var image = PNGImage(width: 3, height: 2, format: .rgb, background: .init(r: 10, g: 20, b: 30))
    image[0, 0] = .init(r: 255, g: 0, b: 0)
    image[2, 1] = .init(r: 0, g: 128, b: 255)
    let path = directory + "/rgb.png"
    try image.write(to: path)
    let back = try readWithLibpng(path, rgb: true)
    XCTAssertEqual(
      back.bytes, [255, 0, 0, 10, 20, 30, 10, 20, 30, 10, 20, 30, 10, 20, 30, 0, 128, 255])
    XCTAssertEqual(try PNGImage.read(from: path, format: .rgb), image)
    // Gray conversion of a color uses Rec. 601 luma: 0.299 * 255 = 76.2 -> 76.
    var gray = PNGImage(width: 1, height: 1)
    gray[0, 0] = .init(r: 255, g: 0, b: 0)
    XCTAssertEqual(gray.pixels, [76])
  }

  func testWriteErrorNamesThePathAndTheMissingFolder() {
    let path = directory + "/missing-dir/x.png"
    XCTAssertThrowsError(try PNGImage(width: 2, height: 2).write(to: path)) { error in
      let text = "\(error)"
      XCTAssertTrue(text.contains(path), text)
      XCTAssertTrue(text.contains("the folder '\(directory)/missing-dir' does not exist"), text)
      XCTAssertFalse(text.contains(".tmp-"), text)
    }
  }

  func testHorizontalLineInksExactlyItsRow() {
    var image = PNGImage(width: 16, height: 10)
    // Centered on row 5 (y = 5.5), width 1, from the center of pixel 2 to the center of pixel 12.
    image.drawLine(from: (2.5, 5.5), to: (12.5, 5.5), width: 1)
    for y in 0..<10 {
      for x in 0..<16 {
        let expected: UInt8 = (y == 5 && (2...12).contains(x)) ? 0 : 255
        XCTAssertEqual(image[x, y].r, expected, "pixel (\(x), \(y))")
      }
    }
  }

  func testLineOnPixelBoundarySplitsInkBetweenRows() {
    var image = PNGImage(width: 12, height: 8)
    // y = 4.0 is the edge between rows 3 and 4: each row's center is 0.5 away, so half covered.
    image.drawLine(from: (3.5, 4), to: (8.5, 4), width: 1)
    for x in 4...8 {
      XCTAssertEqual(image[x, 3].r, 128, "x \(x)")  // 255 * 0.5 = 127.5, rounded half up
      XCTAssertEqual(image[x, 4].r, 128, "x \(x)")
      XCTAssertEqual(image[x, 2].r, 255)
      XCTAssertEqual(image[x, 5].r, 255)
    }
  }

  func testThickDiagonalStrokeCoversItsBandOnly() {
    var image = PNGImage(width: 40, height: 40)
    image.drawPolyline([(5, 5), (35, 35)], width: 4)
    for y in 0..<40 {
      for x in 0..<40 {
        let (cx, cy) = (Double(x) + 0.5, Double(y) + 0.5)
        // Distance from the pixel center to the segment (5,5)-(35,35).
        let t = max(0, min(1, ((cx - 5) + (cy - 5)) / 60))
        let ex: Double = cx - 5 - 30 * t
        let ey: Double = cy - 5 - 30 * t
        let d = (ex * ex + ey * ey).squareRoot()
        let value = image[x, y].r
        if d <= 1.5 { XCTAssertEqual(value, 0, "(\(x), \(y)) d \(d)") }  // fully inside the 2-px radius
        if d >= 2.5 { XCTAssertEqual(value, 255, "(\(x), \(y)) d \(d)") }  // beyond radius + half a pixel
        if d > 1.5 && d < 2.5 {
          // Partial coverage 2.5 - d, so the value is 255 * (d - 1.5).
          XCTAssertEqual(Double(value), 255 * (d - 1.5), accuracy: 0.51, "(\(x), \(y)) d \(d)")
        }
      }
    }
  }

  func testPolylineJoinsAreInkedOnceAndDotsWork() {
    var image = PNGImage(width: 20, height: 20)
    let gray = PNGImage.Color(gray: 100)
    // Two segments of width 2 meeting at (10.5, 10.5). Pixel (11, 10) is half covered by each
    // (center at distance 1 from both); blended once it is 255 + (100 - 255) * 0.5 = 177.5 -> 178
    // (blending twice would give 139).
    image.drawPolyline([(2.5, 10.5), (10.5, 10.5), (10.5, 2.5)], width: 2, color: gray)
    XCTAssertEqual(image[11, 10].r, 178)
    XCTAssertEqual(image[10, 10].r, 100)
    XCTAssertEqual(image[5, 10].r, 100)
    XCTAssertEqual(image[5, 9].r, 178)
    XCTAssertEqual(image[10, 5].r, 100)
    XCTAssertEqual(image[5, 5].r, 255)
    // A single point draws a dot of the given width.
    var dot = PNGImage(width: 9, height: 9)
    dot.drawPolyline([(4.5, 4.5)], width: 3)
    XCTAssertEqual(dot[4, 4].r, 0)
    XCTAssertEqual(dot[3, 4].r, 0)  // distance 1 <= radius 1.5 - 0.5
    XCTAssertEqual(dot[2, 4].r, 255)  // distance 2 = radius + 0.5
    // Inked: the 3x3 block (its corners, at distance 1.41, partly).
    XCTAssertEqual(dot.pixels.filter { $0 < 255 }.count, 9)
    // Strokes partly outside the image are clipped without trapping.
    var edge = PNGImage(width: 4, height: 4)
    edge.drawLine(from: (-10, 1.5), to: (30, 1.5), width: 1)
    XCTAssertEqual((0..<4).map { edge[$0, 1].r }, [0, 0, 0, 0])
  }
}
