import Codegen
import Foundation
import SketchFiles
import XCTest

@testable import Sketch

/// Issue 12, finding 12: every sample output is writable for any accepted size (pen.png wraps long
/// samples into bands), and sizes no image can hold are refused before any sampling.
final class ReliabilitySampleOutputTests: XCTestCase {
  private var folder = ""

  override func setUpWithError() throws { folder = try makeDataTestFolder("samples") }
  override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: folder) }

  func testLongSamplesWrapIntoBandsAndAreWritten() throws {
    // `sketch sample --steps 600000 --grid 1`: pen.png was 1,200,000 pixels wide ("Invalid IHDR data").
    XCTAssertNoThrow(try SampleRenderer.requireDrawable(steps: 600_000, grid: 1))
    let size = SampleRenderer.penImageSize(count: 1, steps: 600_000)
    XCTAssertEqual(size.width, 4_000)
    XCTAssertEqual(size.stepsPerBand, 2_000)
    XCTAssertEqual(size.bandHeight, 4)
    XCTAssertEqual(size.height, 300 * 4)
    var steps = [(dx: Double, dy: Double, pen: Double)](repeating: (1, 0, 0), count: 600_000)
    steps[0].pen = 1
    steps[2_500].pen = 1
    steps[599_999].pen = 1
    let path = folder + "/pen.png"
    try SampleRenderer.penImage([steps]).write(to: path)
    let image = try PNGImage.read(from: path)
    XCTAssertEqual([image.width, image.height], [4_000, 1_200])
    XCTAssertEqual(image[0, 0].gray, 0)
    XCTAssertEqual(image[2, 0].gray, 255)
    // Step 2,500 is step 500 of the second band (rows 4-5); the last step ends the last band.
    XCTAssertEqual(image[1_000, 4].gray, 0)
    XCTAssertEqual(image[1_001, 5].gray, 0)
    XCTAssertEqual(image[1_000, 0].gray, 255)
    XCTAssertEqual(image[3_999, 1_197].gray, 0)
  }

  func testSizesNoImageCanHoldAreRefusedUpFront() throws {
    XCTAssertThrowsError(try SampleRenderer.requireDrawable(steps: 600, grid: 200)) {
      XCTAssertEqual(
        "\($0)",
        "--grid 200 makes sketch.png 200 x 160 pixels a side, more than an image can hold "
          + "(268435456 pixels); use a --grid of at most 102")
    }
    XCTAssertThrowsError(try SampleRenderer.requireDrawable(steps: 100_000_000, grid: 8)) {
      XCTAssertTrue("\($0)".hasPrefix("--steps 100000000 with --grid 8 makes pen.png 4000x"), "\($0)")
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
    XCTAssertTrue(result.output.contains("makes pen.png"), result.output)
    XCTAssertFalse(FileManager.default.fileExists(atPath: folder + "/out"))
  }
}
