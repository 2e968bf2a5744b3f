import Codegen
import Foundation
import SketchFiles
import XCTest

@testable import Sketch

/// Issue 12, finding 12: every sample output is writable for any accepted size (pen.png is a plot of
/// fixed width), and sizes no image or sampling can hold are refused before any sampling.
final class ReliabilitySampleOutputTests: XCTestCase {
  private var folder = ""

  override func setUpWithError() throws { folder = try makeDataTestFolder("samples") }
  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

  func testLongSamplesArePlottedAtAFixedWidthAndWritten() throws {
    // `sketch sample --steps 600000 --grid 1`: pen.png was 1,200,000 pixels wide ("Invalid IHDR data");
    // the pen plot now bins the steps into its 800 columns.
    XCTAssertNoThrow(try SampleRenderer.requireDrawable(steps: 600_000, grid: 1))
    var steps = [(dx: Double, dy: Double, pen: Double)](repeating: (1, 0, 0), count: 600_000)
    steps[0].pen = 1
    steps[2_500].pen = 1
    steps[599_999].pen = 1
    let path = folder + "/pen.png"
    try SampleRenderer.penPlot([steps]).png().write(to: path)
    let image = try PNGImage.read(from: path)
    let size = SampleRenderer.penImageSize(count: 1)
    XCTAssertEqual([image.width, image.height], [size.width, size.height])
    XCTAssertEqual(size.width, 64 + 800 + 16)
    // Columns of 750 steps from x = 64, in the sample's row (y 34 to 58): steps 0, 2,500 and 599,999.
    XCTAssertEqual(image[64, 46].gray, 0)
    XCTAssertEqual(image[64 + 3, 46].gray, 0)
    XCTAssertEqual(image[64 + 799, 46].gray, 0)
    XCTAssertEqual(image[64 + 400, 40].gray, 255)
    XCTAssertEqual(image[64 + 400, 46].gray, 190, "the gray line of the sample's steps")
  }

  func testSizesNoImageCanHoldAreRefusedUpFront() throws {
    XCTAssertThrowsError(try SampleRenderer.requireDrawable(steps: 600, grid: 200)) {
      XCTAssertEqual(
        "\($0)",
        "--grid 200 makes sketch.png 200 x 160 pixels a side, more than an image can hold "
          + "(268435456 pixels); use a --grid of at most 102")
    }
    XCTAssertThrowsError(try SampleRenderer.requireDrawable(steps: 100_000_000, grid: 8)) {
      XCTAssertEqual(
        "\($0)",
        "--steps 100000000 with --grid 8 is 64 samples of 100000000 points, more than one sampling may draw "
          + "(67108864 points); use fewer steps or a smaller grid")
    }
    // As a user runs it: exit 64 before the model is even compiled, no output written.
    let model = folder + "/model.h5"
    let config = ModelConfig(depth: 1, dim: 4, mixDim: 2)
    try Checkpoint.write(
      Checkpoint.Contents(
        config: config,
        parameters: Dictionary(
          uniqueKeysWithValues: HandwritingModel.parameterShapes(config).map {
            ($0.0, Tensor.zeros(.float32, $0.1))
          }),
        optimizerState: [:], training: "{}", position: TrainingPosition(), experiment: "x"),
      to: model)
    let result = try SketchExecutable.run(
      ["sample", "--model", model, "--steps", "100000000", "--grid", "8", "-o", folder + "/out"],
      cache: folder + "/cache")
    XCTAssertTrue(result.exitedCleanly, result.output)
    XCTAssertEqual(result.status, 64, result.output)
    XCTAssertTrue(result.output.contains("more than one sampling may draw"), result.output)
    XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/out"))
  }
}
