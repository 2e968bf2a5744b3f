import Codegen
import Foundation
import SketchFiles
import TestSupport
import XCTest

@testable import Sketch

/// Issue 12, "Also": byte-mutated and truncated model files, datasets, IAM-OnDB XML and SVG files never
/// crash the process. Each case runs the built `sketch` binary on the mutated file (a child process,
/// so a trap or a signal is seen, not suffered) and must end with a clean error (a status and a
/// message) or a valid result, within a time limit. Fixed seed, a few hundred cases.
final class FuzzTests: XCTestCase {
  private var folder = ""

  override func setUpWithError() throws { folder = try makeDataTestFolder("fuzz") }
  /// SKETCH_FUZZ_KEEP=1 keeps the mutated files (to reproduce a failure by hand).
  override func tearDownWithError() throws {
    if ProcessInfo.processInfo.environment["SKETCH_FUZZ_KEEP"] == nil {
      try? FileManager.default.removeItem(atPath: folder)
    }
  }

  /// A number in 0..<n from the fixed sequence (SplitMix64, TestSupport's SeededGenerator).
  static func below(_ random: inout SeededGenerator, _ n: Int) -> Int { Int(random.next() % UInt64(max(n, 1))) }

  static func mutate(_ bytes: [UInt8], _ random: inout SeededGenerator) -> [UInt8] {
    var out = bytes
    func position() -> Int { below(&random, 2) == 0 ? below(&random, min(4096, out.count)) : below(&random, out.count) }
    switch below(&random, 6) {
    case 0:
      for _ in 0..<(1 + below(&random, 8)) { out[position()] = UInt8(truncatingIfNeeded: random.next()) }
    case 1:
      for _ in 0..<(1 + below(&random, 4)) { out[position()] ^= UInt8(1) << UInt8(below(&random, 8)) }
    case 2:
      let start = position()
      let value: UInt8 = below(&random, 2) == 0 ? 0xFF : 0x00
      for i in start..<min(out.count, start + 1 + below(&random, 16)) { out[i] = value }
    case 3:
      let start = position()
      let block = Array(out[start..<min(out.count, start + 1 + below(&random, 64))])
      out.insert(contentsOf: block, at: position())
    default:
      out = Array(out.prefix(below(&random, out.count)))
    }
    return out
  }

  struct Case {
    var name: String
    var arguments: [String]
    /// Checks a run that exited 0 (nil: fine, else what is wrong).
    var validate: () -> String?
  }

  /// Runs the cases two at a time (the cores of CI); collects a line per failing case.
  final class Runner: @unchecked Sendable {
    let cases: [Case]
    let folder: String
    var failures: [String] = []
    var next = 0
    let lock = NSLock()

    init(_ cases: [Case], folder: String) {
      self.cases = cases
      self.folder = folder
    }

    func run() -> [String] {
      DispatchQueue.concurrentPerform(iterations: 2) { _ in
        while let index = lock.withLock({ () -> Int? in
          defer { next += 1 }
          return next < cases.count ? next : nil
        }) {
          if let problem = check(cases[index]) {
            let c = cases[index]
            lock.withLock { failures.append("\(c.name) (\(c.arguments.joined(separator: " "))): \(problem)") }
          }
        }
      }
      return failures
    }

    /// What is wrong with a run of `c`, or nil.
    func check(_ c: Case) -> String? {
      let result: SketchExecutable.Result
      do {
        result = try SketchExecutable.run(c.arguments, in: folder, cache: folder + "/cache", timeout: 120)
      } catch {
        return "\(error)"
      }
      var problem: String?
      if result.timedOut {
        problem = "did not finish in 120 s"
      } else if let signal = result.signal {
        problem = "killed by signal \(signal)"
      } else if !result.exitedCleanly {
        problem = "trapped"
      } else if result.status == 0 {
        problem = c.validate()
      } else if result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
        problem = "exit \(result.status!) without a message"
      }
      return problem.map { $0 + "\n" + result.output.suffix(1500) }
    }
  }

  private func write(_ bytes: [UInt8], _ name: String) throws -> String {
    let path = folder + "/" + name
    try FileManager.default.createDirectory(
      atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
  }

  /// A dataset written by Sketch's importers is readable and finite.
  private func validDataset(_ path: String) -> String? {
    do {
      // sketch's own output, read in this many-threaded process: no forked probe (see HDF5Probe).
      let data = try HDF5Probe.trusting { try StrokeDataset(path: path) }
      for index in 0..<data.count where try !data.rows(index).allSatisfy(\.isFinite) {
        return "line \(index) not finite"
      }
      _ = try data.transcriptions()
      return nil
    } catch {
      return "exit 0 but the output is unreadable: \(error)"
    }
  }

  func testMutatedFilesNeverCrashTheProcess() throws {
    _ = try SketchExecutable.path()
    // A fixed seed in CI; SKETCH_FUZZ_SEED explores others by hand.
    let seed = ProcessInfo.processInfo.environment["SKETCH_FUZZ_SEED"].flatMap { UInt64($0) } ?? 12
    var random = SeededGenerator(seed: seed)
    var cases: [Case] = []

    // Model files: `sketch sample` loads, compiles (from the cache after the first) and draws 1 step.
    let config = ModelConfig(depth: 1, dim: 4, mixDim: 2)
    var parameters: [String: Tensor] = [:]
    for (k, (name, shape)) in HandwritingModel.parameterShapes(config).enumerated() {
      let n = shape.reduce(1, *)
      parameters[name] = Tensor(shape: shape, (0..<n).map { Float(($0 * 7 + k) % 11) / 50 - 0.1 })
    }
    let modelPath = folder + "/model.h5"
    try Checkpoint.write(
      Checkpoint.Contents(
        config: config, parameters: parameters,
        optimizerState: [
          "optimizer/t": Tensor(shape: [], [Float(3)]), "optimizer/m/readout/b": parameters["readout/b"]!,
        ],
        training: "{}", position: TrainingPosition(epoch: 1, batchInEpoch: 2, step: 3, seed: 4), experiment: "fuzz"),
      to: modelPath)
    let model = [UInt8](try Data(contentsOf: URL(fileURLWithPath: modelPath)))
    cases.append(
      Case(
        name: "model (unmutated)",
        arguments: [
          "sample", "--model", modelPath, "--steps", "1", "--grid", "1",
          "-o", folder + "/samples-seed",
        ]
      ) { nil })
    for i in 0..<80 {
      let path = try write(Self.mutate(model, &random), "models/\(i).h5")
      let out = folder + "/samples-\(i)"
      cases.append(
        Case(name: "model \(i)", arguments: ["sample", "--model", path, "--steps", "1", "--grid", "1", "-o", out]) {
          FileManager.default.fileExists(atPath: out + "/pen.png") ? nil : "exit 0 but no pen.png"
        })
    }

    // Datasets: `sketch data show --png` reads every line and draws some.
    var records: [StrokeRecord] = []
    for line in 0..<6 {
      var rows: [Float] = []
      for k in 0..<(10 + line) {
        rows += [Float(k % 5) - 2, Float((k * 3) % 7) - 3, k % 4 == 3 ? 1 : 0]
      }
      rows += [1, 1, 1]
      records.append(StrokeRecord(rows: rows, transcription: "line \(line)", source: "fuzz \(line)"))
    }
    let datasetPath = folder + "/d.h5"
    _ = try StrokeDatasetWriter.write(
      records, to: datasetPath,
      description: StrokeDatasetDescription(kind: "svg", units: "test", maxPoints: 0, seed: 1))
    let dataset = [UInt8](try Data(contentsOf: URL(fileURLWithPath: datasetPath)))
    for i in 0..<120 {
      let path = try write(Self.mutate(dataset, &random), "datasets/\(i).h5")
      cases.append(
        Case(name: "dataset \(i)", arguments: ["data", "show", path, "--png", folder + "/show-\(i).png"]) { nil })
    }

    // IAM-OnDB XML and SVG: 6 folders of 25 mutated files each, imported together (a broken file is
    // skipped, so one import sees many); the output, when written, must be a valid dataset.
    let xml = Array(
      iamXML([[(1073, 1058), (1075, 1060), (1080, 1064)], [(1100, 1040)], [(1110, 1062), (1120, 1071)]]).utf8)
    let svg = Array(
      """
      <?xml version="1.0" encoding="UTF-8"?>
      <!DOCTYPE svg>
      <svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">
        <g transform="translate(5 5) scale(1.5)">
          <path d="M10,20 C 20 0 40 0 50 20 S 80 40 90 20 Q 95 10 99 20 T 10 10 Z"/>
          <polyline points="1,1 2,3 5,8"/><circle cx="50" cy="50" r="10"/>
        </g>
        <rect x="1" y="2" width="30" height="20" transform="rotate(30 10 10) skewX(10)"/>
        <line x1="0" y1="0" x2="100" y2="100"/><ellipse cx="20" cy="30" rx="5" ry="8"/>
      </svg>
      """.utf8)
    for (kind, seed, suffix) in [("iam", xml, "xml"), ("svg", svg, "svg")] {
      for batch in 0..<6 {
        let root = folder + "/\(kind)-\(batch)"
        for i in 0..<25 {
          // IAM-OnDB names (form-line.xml) so that the importer reads them as lines.
          _ = try write(
            Self.mutate(seed, &random), "\(kind)-\(batch)/a\(batch)-\(String(format: "%03d", i))u-01.\(suffix)")
        }
        let out = folder + "/\(kind)-\(batch).h5"
        cases.append(
          Case(name: "\(kind) batch \(batch)", arguments: ["data", kind, root, "-o", out, "--max-points", "0"]) {
            self.validDataset(out)
          })
      }
    }

    XCTAssertEqual(cases.count, 1 + 80 + 120 + 12)  // 500 mutated files
    let failures = Runner(cases, folder: folder).run()
    XCTAssertTrue(
      failures.isEmpty, "\(failures.count) of \(cases.count) runs failed:\n" + failures.joined(separator: "\n\n"))
  }
}
