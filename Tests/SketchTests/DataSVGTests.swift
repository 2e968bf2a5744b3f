import Codegen
import Foundation
import XCTest

@testable import Sketch

/// The SVG importer: path commands, curves, several paths, transforms, broken files.
final class DataSVGTests: XCTestCase {
  private var folder = ""

  override func setUpWithError() throws { folder = try makeDataTestFolder("svg") }
  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

  func strokes(_ body: String, tolerance: Double = 0.1) throws -> [[Double]] {
    let document = "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"100\">\(body)</svg>"
    return try SVGDrawing.strokes(fromSVG: Array(document.utf8), tolerance: tolerance)
  }

  func testAbsoluteAndRelativeCommandsAndSeveralPaths() throws {
    // Absolute M L H V Z; relative m l h v z; implicit line-tos after M and m; numbers run together.
    let result = try strokes(
      """
      <path d="M10,20 L30 20 H40 V25 Z M 50 50 60 50"/>
      <path d="m1 1 l2 0 h3 v-4 z m10-1-2.5.5"/>
      <g transform="translate(100 0) scale(2)"><polyline points="1,1 2,3"/><line x1="0" y1="0" x2="1" y2="0"/></g>
      <defs><path d="M0 0 L 9 9"/></defs>
      """)
    XCTAssertEqual(
      result,
      [
        [10, 20, 30, 20, 40, 20, 40, 25, 10, 20],
        [50, 50, 60, 50],
        [1, 1, 3, 1, 6, 1, 6, -3, 1, 1],
        [11, 0, 8.5, 0.5],
        [102, 2, 104, 6],
        [100, 0, 102, 0],
      ])
  }

  func testCurvesAreFlattenedWithinTheTolerance() throws {
    let tolerance = 0.05
    // A cubic, a smooth cubic (reflected control), a quadratic and a smooth quadratic, relative and absolute.
    let result = try strokes(
      "<path d=\"M0 0 C 0 10 20 10 20 0 s 20 -10 20 0 Q 50 20 60 0 t 20 0\"/>", tolerance: tolerance)
    XCTAssertEqual(result.count, 1)
    let points = stride(from: 0, to: result[0].count, by: 2).map { (result[0][$0], result[0][$0 + 1]) }
    func cubic(_ p: [(Double, Double)], _ t: Double) -> (Double, Double) {
      let s = 1 - t
      let a = s * s * s
      let b = 3 * s * s * t
      let c = 3 * s * t * t
      let d = t * t * t
      return (a * p[0].0 + b * p[1].0 + c * p[2].0 + d * p[3].0, a * p[0].1 + b * p[1].1 + c * p[2].1 + d * p[3].1)
    }
    func quadratic(_ p: [(Double, Double)], _ t: Double) -> (Double, Double) {
      let s = 1 - t
      return (
        s * s * p[0].0 + 2 * s * t * p[1].0 + t * t * p[2].0, s * s * p[0].1 + 2 * s * t * p[1].1 + t * t * p[2].1
      )
    }
    let pieces: [(Double) -> (Double, Double)] = [
      { cubic([(0, 0), (0, 10), (20, 10), (20, 0)], $0) },
      { cubic([(20, 0), (20, -10), (40, -10), (40, 0)], $0) },  // s: reflected (20, 10) about (20, 0)
      { quadratic([(40, 0), (50, 20), (60, 0)], $0) },
      { quadratic([(60, 0), (70, -20), (80, 0)], $0) },  // t: reflected (50, 20) about (60, 0)
    ]
    // The ends of the pieces are hit exactly.
    for end in [(0.0, 0.0), (20, 0), (40, 0), (60, 0), (80, 0)] {
      XCTAssertTrue(points.contains { $0 == end }, "\(end) missing")
    }
    XCTAssertEqual(points.last!.0, 80)
    // Every point lies on the curve, and the polyline stays within the tolerance of the curve.
    let curve = pieces.flatMap { piece in (0...400).map { piece(Double($0) / 400) } }
    func distance(_ p: (Double, Double), _ a: (Double, Double), _ b: (Double, Double)) -> Double {
      let dx = b.0 - a.0
      let dy = b.1 - a.1
      let t = max(0, min(1, ((p.0 - a.0) * dx + (p.1 - a.1) * dy) / max(dx * dx + dy * dy, 1e-12)))
      return ((p.0 - a.0 - t * dx) * (p.0 - a.0 - t * dx) + (p.1 - a.1 - t * dy) * (p.1 - a.1 - t * dy)).squareRoot()
    }
    for p in points {
      XCTAssertLessThan((1..<curve.count).map { distance(p, curve[$0 - 1], curve[$0]) }.min()!, 0.002)
    }
    for c in curve {
      let nearest = (1..<points.count).map { distance(c, points[$0 - 1], points[$0]) }.min()!
      XCTAssertLessThanOrEqual(nearest, tolerance * 1.01)
    }
    // A coarser tolerance gives fewer points.
    XCTAssertLessThan(try strokes("<path d=\"M0 0 C 0 10 20 10 20 0\"/>", tolerance: 2)[0].count, result[0].count)
  }

  func testImportAndBrokenFiles() throws {
    try writeDataFixture(
      "<svg><path d=\"M0 0 L10 0 L10 10\"/><path d=\"m20 20 c0 5 5 5 5 0\"/></svg>", to: folder + "/in/a.svg")
    try writeDataFixture("<svg><polygon points=\"0,0 4,0 4,3\"/></svg>", to: folder + "/in/sub/b.svg")
    try writeDataFixture("<svg><path d=\"M0 0 L10</svg>", to: folder + "/in/broken-xml.svg")
    try writeDataFixture("<svg><path d=\"M0 0 L10\"/></svg>", to: folder + "/in/short-args.svg")
    try writeDataFixture("<svg><path d=\"M0 0 A 5 5 0 0 1 10 0\"/></svg>", to: folder + "/in/arc.svg")
    try writeDataFixture("<svg><path d=\"M0 0 X 5\"/></svg>", to: folder + "/in/unknown.svg")
    try writeDataFixture("<svg><text>hi</text></svg>", to: folder + "/in/empty.svg")
    try writeDataFixture("<html/>", to: folder + "/in/html.svg")
    try writeDataFixture(
      "<svg><g transform=\"shear(2)\"><path d=\"M0 0 L1 1\"/></g></svg>", to: folder + "/in/transform.svg")

    let output = folder + "/svg.h5"
    let summary = try SVGImporter(input: folder + "/in", output: output, tolerance: 0.25, seed: 1, quiet: true).run()
    XCTAssertEqual(summary.written, 2)
    let reasons = Dictionary(
      uniqueKeysWithValues: summary.skipped.map {
        (($0.path as NSString).lastPathComponent, $0.reason)
      })
    XCTAssertEqual(reasons.count, 7)
    XCTAssertTrue(reasons["broken-xml.svg"]!.contains("malformed XML, line 1"), reasons["broken-xml.svg"]!)
    XCTAssertTrue(reasons["short-args.svg"]!.contains("the 'L' command needs 2 numbers"), reasons["short-args.svg"]!)
    XCTAssertTrue(reasons["arc.svg"]!.contains("arcs ('A') are not supported"), reasons["arc.svg"]!)
    XCTAssertTrue(reasons["unknown.svg"]!.contains("unknown path command 'X'"), reasons["unknown.svg"]!)
    XCTAssertTrue(reasons["empty.svg"]!.contains("no drawable elements"), reasons["empty.svg"]!)
    XCTAssertTrue(reasons["html.svg"]!.contains("not <svg>"), reasons["html.svg"]!)
    XCTAssertTrue(reasons["transform.svg"]!.contains("unknown transform 'shear'"), reasons["transform.svg"]!)
    XCTAssertTrue(reasons["arc.svg"]!.contains("line 1"), "errors give the line: \(reasons["arc.svg"]!)")

    let dataset = try StrokeDataset(path: output)
    let sources = try XCTUnwrap(try dataset.sources())
    XCTAssertEqual(Set(sources), ["a.svg", "sub/b.svg"])
    let std = try XCTUnwrap(dataset.std)
    let b = try XCTUnwrap(sources.firstIndex(of: "sub/b.svg"))
    let rows = try dataset.rows(b)
    let expected: [Float] = [4, 0, 0, 0, 3, 0, -4, -3, 1]  // polygon: closed back to its start
    for k in 0..<3 {
      XCTAssertEqual(Double(rows[3 * k]), Double(expected[3 * k]) / std.x, accuracy: 1e-6)
      XCTAssertEqual(Double(rows[3 * k + 1]), Double(expected[3 * k + 1]) / std.y, accuracy: 1e-6)
      XCTAssertEqual(rows[3 * k + 2], expected[3 * k + 2])
    }
    let a = try XCTUnwrap(sources.firstIndex(of: "a.svg"))
    let aRows = try dataset.rows(a)
    XCTAssertEqual(aRows[3 * 1 + 2], 1, "the first path ends a stroke")
    XCTAssertEqual(Double(aRows[3 * 2]), 10 / std.x, accuracy: 1e-6, "pen-up move to the second path")
    XCTAssertEqual(aRows.last, 1)

    // Only broken files: a clear error and no output.
    try FileManager.default.removeItem(atPath: folder + "/in/a.svg")
    try FileManager.default.removeItem(atPath: folder + "/in/sub")
    try FileManager.default.createDirectory(atPath: folder + "/out", withIntermediateDirectories: true)
    XCTAssertThrowsError(
      try SVGImporter(input: folder + "/in", output: folder + "/out/svg.h5", quiet: true).run()
    ) { error in
      XCTAssertTrue("\(error)".contains("no usable drawings among 7 .svg files"), "\(error)")
    }
    XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder + "/out"), [])
  }
}
