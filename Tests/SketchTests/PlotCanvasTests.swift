import Foundation
import SketchFiles
import XCTest

@testable import Sketch

/// The plots (PlotCanvas): nice ticks, Hershey text drawn where a label is, and the three plots made
/// with it (loss.png and loss.svg, pen.png, the attention image), by size, ink in the axis region and
/// labels as SVG text.
final class PlotCanvasTests: XCTestCase {
  /// Whether any pixel of the box x0..<x1, y0..<y1 is darker than 128.
  func ink(_ image: PNGImage, _ x0: Int, _ x1: Int, _ y0: Int, _ y1: Int) -> Bool {
    for y in Swift.max(0, y0)..<Swift.min(image.height, y1) {
      for x in Swift.max(0, x0)..<Swift.min(image.width, x1) where image[x, y].gray < 128 { return true }
    }
    return false
  }

  func testTicksAreNiceNumbersCoveringTheRange() {
    XCTAssertEqual(PlotAxis.niceStep(10), 2)
    XCTAssertEqual(PlotAxis.niceStep(0.37), 0.05, accuracy: 1e-12)
    XCTAssertEqual(PlotAxis.niceStep(2_600), 500)
    let cases: [(Double, Double)] = [(0, 500), (-321.9, 37.9), (0.126, 0.13), (3, 3), (-1.073, 0.126), (1, 987_654)]
    for (lo, hi) in cases {
      let axis = PlotAxis.linear(lo, hi, label: "v")
      XCTAssertLessThanOrEqual(axis.ticks.first!, lo, "\(lo)...\(hi): \(axis.ticks)")
      XCTAssertGreaterThanOrEqual(axis.ticks.last!, hi, "\(lo)...\(hi): \(axis.ticks)")
      XCTAssertTrue((3...11).contains(axis.ticks.count), "\(lo)...\(hi): \(axis.ticks)")
      XCTAssertEqual(axis.tickLabels.count, axis.ticks.count)
      let step = axis.ticks[1] - axis.ticks[0]
      let mantissa = step / Foundation.pow(10, Foundation.log10(step).rounded(.down))
      XCTAssertTrue([1, 2, 5].contains { Swift.abs(mantissa - $0) < 1e-6 }, "step \(step)")
      for (a, b) in zip(axis.ticks, axis.ticks.dropFirst()) { XCTAssertEqual(b - a, step, accuracy: step * 1e-9) }
    }
    XCTAssertEqual(PlotAxis.linear(0, 500, label: "").tickLabels, ["0", "100", "200", "300", "400", "500"])
    XCTAssertEqual(PlotAxis.linear(-1.073, 0.126, label: "").tickLabels.first, "-1.2")
    XCTAssertEqual(PlotAxis.linear(0, 3, label: "", minimumStep: 1).ticks, [0, 1, 2, 3])
    // Values spanning two decades or more, all positive, get a logarithmic axis at powers of ten.
    let log = PlotAxis.fitting([3_000, 900, 45, 2.5], label: "")
    XCTAssertTrue(log.log)
    XCTAssertEqual(log.ticks, [1, 10, 100, 1_000, 10_000])
    XCTAssertEqual(log.fraction(100), 0.5, accuracy: 1e-12)
    XCTAssertFalse(PlotAxis.fitting([30, 2], label: "").log, "one decade: linear")
    XCTAssertFalse(PlotAxis.fitting([300, -2], label: "").log, "negative values: linear")
  }

  func testTextIsDrawnInTheHersheyFontWhereTheLabelIs() throws {
    XCTAssertNotNil(PlotCanvas.font, "futural.jhf from hershey-fonts-data (scripts/install-deps.sh)")
    var canvas = PlotCanvas(width: 100, height: 100)
    // futural's I is one stroke 21 units high, 8 wide: at size 21 (one unit a pixel) centred on (50, 50).
    canvas.text("I", at: (50, 50), size: 21, anchor: .middle)
    XCTAssertEqual(PlotCanvas.strokes("I", size: 21).width, 8)
    let image = canvas.png()
    XCTAssertEqual(image[50, 50].gray, 0)
    XCTAssertEqual(image[50, 41].gray, 0)
    XCTAssertEqual(image[50, 59].gray, 0)
    XCTAssertEqual(image[55, 50].gray, 255)
    XCTAssertEqual(image[50, 63].gray, 255)
    // A word ends where its width says, anchored at its end; vertical text runs upward from its point.
    var word = PlotCanvas(width: 200, height: 200)
    let w = PlotCanvas.strokes("batch", size: 10).width
    XCTAssertGreaterThan(w, 30)
    word.text("batch", at: (150, 40), size: 10, anchor: .end)
    word.text("sample", at: (40, 150), size: 10, vertical: true)
    let img = word.png()
    XCTAssertTrue(ink(img, Int(150 - w), 150, 34, 46))
    XCTAssertFalse(ink(img, 152, 200, 0, 200))
    XCTAssertTrue(ink(img, 34, 46, 100, 150), "upward from (40, 150)")
    XCTAssertFalse(ink(img, 0, 30, 0, 200))
    XCTAssertFalse(ink(img, 34, 46, 152, 200))
  }

  func testLossPlotHasAxesLabelsAndALegendInPNGAndSVG() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loss-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let log = try MetricsLog(path: dir.appendingPathComponent("metrics.jsonl").path)
    for step in stride(from: 10, through: 500, by: 10) {
      try log.record(["step": step, "train_cost": 400 - 0.7 * Double(step)])
      if step % 100 == 0 { try log.record(["step": step, "test_sequence_log_likelihood": 38 - 0.72 * Double(step)]) }
    }
    let plot = log.lossCurve()
    let image = plot.png()
    XCTAssertEqual([image.width, image.height], [640, 400])
    // The frame is 84...624 x 34...348: tick numbers below it, the y label left of the tick numbers,
    // the title above, the curve inside.
    XCTAssertTrue(ink(image, 84, 624, 352, 368), "x tick numbers")
    XCTAssertTrue(ink(image, 270, 370, 372, 400), "the x label 'batch'")
    XCTAssertTrue(ink(image, 10, 40, 120, 260), "the vertical y label")
    XCTAssertTrue(ink(image, 44, 80, 34, 348), "y tick numbers")
    XCTAssertTrue(ink(image, 200, 520, 4, 30), "the title")
    XCTAssertFalse(ink(image, 0, 640, 0, 2), "nothing at the very top")
    XCTAssertTrue(ink(image, 500, 616, 42, 80), "the legend at the top right")
    let svg = plot.svg()
    for label in ["batch", "NLL per sequence (nats)", "train cost", "test NLL", "500", ">0<"] {
      XCTAssertTrue(svg.contains(label), label)
    }
    XCTAssertTrue(svg.contains("<text") && svg.contains("rotate(-90"), svg)
    XCTAssertEqual(svg.components(separatedBy: "<circle ").count - 1, 5 + 1, "5 test points and the legend's key")
    // An empty log (a run saved before any metric) still draws its axes.
    let empty = try MetricsLog(path: dir.appendingPathComponent("empty.jsonl").path).lossCurve().png()
    XCTAssertTrue(ink(empty, 84, 624, 352, 368))
  }

  func testPenPlotAndAttentionPlot() throws {
    var a = [(dx: Double, dy: Double, pen: Double)](repeating: (1, 0, 0), count: 400)
    a[99].pen = 1
    a[399].pen = 1
    let b = [(dx: Double, dy: Double, pen: Double)](repeating: (1, 0, 0), count: 200)
    let pen = SampleRenderer.penPlot([a, b]).png()
    XCTAssertEqual([pen.width, pen.height], [SampleRenderer.penImageSize(count: 2).width, 34 + 2 * 24 + 52])
    XCTAssertEqual(pen.width, 64 + 800 + 16)
    // Step 99 of 400 is at x = 64 + 99 / 400 * 800 (columns of 2 pixels), in the first row (34...58).
    XCTAssertEqual(pen[64 + 198, 46].gray, 0)
    XCTAssertEqual(pen[64 + 196, 40].gray, 255)
    XCTAssertEqual(pen[64 + 196, 46].gray, 190, "the gray line of the sample's steps")
    XCTAssertEqual(pen[64 + 198, 66].gray, 255, "the second sample never lifts")
    XCTAssertEqual(pen[64 + 198, 70].gray, 190, "the gray line of the second sample's 200 steps")
    XCTAssertEqual(pen[64 + 402, 70].gray, 255, "past the second sample's 200 steps")
    XCTAssertTrue(ink(pen, 64, 864, 86, 100), "step numbers under the axis")
    XCTAssertTrue(ink(pen, 40, 60, 40, 52), "sample number 1")
    // 600,000 steps fit the same width (a column holds 750 steps).
    var long = [(dx: Double, dy: Double, pen: Double)](repeating: (1, 0, 0), count: 600_000)
    long[2_500].pen = 1
    XCTAssertNoThrow(try SampleRenderer.requireDrawable(steps: 600_000, grid: 1))
    let wide = SampleRenderer.penPlot([long]).png()
    XCTAssertEqual(wide.width, 880)
    XCTAssertEqual(wide[64 + 3, 46].gray, 0, "step 2,500 in column 3")

    let phi: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0], [0, 0, 2]]
    let canvas = WritingOutput.attention(phi, points: 3, text: "a c")
    let image = canvas.png()
    XCTAssertEqual([image.width, image.height], [64 + 300 + 16, 34 + 36 + 52])
    XCTAssertEqual(image[314, 64].gray, 0, "phi[2][2] is the largest")
    XCTAssertEqual(image[114, 52].gray, 255, "phi[0][1] is 0")
    XCTAssertEqual(Double(image[214, 40].gray), 191, accuracy: 2, "phi[1][0] is a quarter of the largest")
    for row in [40, 64] { XCTAssertTrue(ink(image, 44, 60, row - 5, row + 5), "the character of row \(row)") }
    XCTAssertTrue(ink(image, 150, 300, 92, 122), "the x label 'point'")
    let svg = canvas.svg()
    for label in [">a<", ">_<", ">c<", ">point<", ">character<"] { XCTAssertTrue(svg.contains(label), label) }
  }
}
