import ArgumentParser
import Foundation
import XCTest

@testable import Sketch

/// Issue 12, findings 6, 13 (--bias) and 14 (--name): every numeric flag and the name are checked
/// before anything runs; a bad one is a usage error (exit 64) that names the flag and the value.
final class ReliabilityFlagTests: XCTestCase {
  /// The exit status and message of parsing `sketch train ARGS` (the command is never run).
  func refusal<C: ParsableCommand>(
    _ command: C.Type, _ args: [String], file: StaticString = #filePath, line: UInt = #line
  )
    -> (Int32, String)
  {
    do {
      _ = try command.parseAsRoot(args)
      XCTFail("\(args) was accepted", file: file, line: line)
      return (0, "")
    } catch {
      return (command.exitCode(for: error).rawValue, command.message(for: error))
    }
  }

  func assertUsageError(_ args: [String], _ expected: [String], file: StaticString = #filePath, line: UInt = #line) {
    assertUsageError(Train.self, args, expected, file: file, line: line)
  }

  func assertUsageError<C: ParsableCommand>(
    _ command: C.Type, _ args: [String], _ expected: [String], file: StaticString = #filePath, line: UInt = #line
  ) {
    let (status, message) = refusal(command, args, file: file, line: line)
    XCTAssertEqual(status, 64, "\(args): \(message)", file: file, line: line)
    for e in expected {
      XCTAssertTrue(message.contains(e), "\(args): '\(e)' not in: \(message)", file: file, line: line)
    }
  }

  func testCountsAndPeriodsMustBePositive() {
    assertUsageError(["--save-every", "0"], ["--save-every must be at least 1, got 0"])
    assertUsageError(["--test-every", "0"], ["--test-every must be at least 1, got 0"])
    assertUsageError(["--sample-every", "0"], ["--sample-every must be at least 1, got 0"])
    assertUsageError(["--test-batches=-1"], ["--test-batches must be at least 0", "got -1"])
    assertUsageError(["--grid", "0"], ["--grid must be at least 1, got 0"])
    assertUsageError(["--epochs", "0"], ["--epochs must be at least 1, got 0"])
    assertUsageError(["--max-batches", "0"], ["--max-batches must be at least 1, got 0"])
    assertUsageError(["--threads", "0"], ["--threads must be at least 1, got 0"])
    XCTAssertNoThrow(try Train.parseAsRoot(["--test-batches", "0", "--save-every", "1", "--grid", "1"]))
  }

  func testRealFlagsMustBeFiniteAndInRange() {
    assertUsageError(["--lr", "inf"], ["--lr must be a finite number > 0, got inf"])
    assertUsageError(["--lr", "0"], ["--lr must be a finite number > 0, got 0"])
    assertUsageError(["--lr", "nan", "--step-method", "adadelta"], ["--lr must be a finite number >= 0", "got nan"])
    assertUsageError(["--epsilon", "inf"], ["--epsilon must be in [0, 1], got inf"])
    assertUsageError(["--epsilon", "nan"], ["--epsilon must be in [0, 1], got nan"])
    assertUsageError(["--uniform", "inf"], ["--uniform must be in [0, 10]", "got inf"])
    assertUsageError(["--uniform", "1e30"], ["--uniform", "got 1e+30"])
    assertUsageError(["--max-grad", "nan"], ["-G/--max-grad must be a finite number > 0", "got nan"])
    assertUsageError(
      ["--max-grad", "0"], ["-G/--max-grad must be a finite number > 0", "clipping cannot be turned off", "got 0"])
    assertUsageError(["--dropout", "nan"], ["--dropout must be in [0, 1)"])
    XCTAssertNoThrow(try Train.parseAsRoot(["--lr", "0", "--step-method", "adadelta", "-u", "0.08", "-G", "1"]))
  }

  func testSampleBiasMustBeFinite() {
    assertUsageError(
      Sample.self, ["--model", "m.h5", "--bias", "inf"], ["--bias must be a finite number in [0, 100]", "got inf"])
    assertUsageError(Sample.self, ["--model", "m.h5", "--bias", "nan"], ["--bias", "got nan"])
    XCTAssertNoThrow(try Sample.parseAsRoot(["--model", "m.h5", "--bias", "2.5"]))
  }

  func testNameMakesOnePlainFolder() {
    for bad in ["../../x", "a/b", "..", ".hidden", "line\nbreak", "tab\there", "", String(repeating: "n", count: 300)] {
      assertUsageError(["--name", bad], ["--name must be 1 to 100 bytes", "got \(String(reflecting: bad))"])
    }
    for good in ["handwriting", "run-2.lr_3e-4+skip", "écriture", String(repeating: "n", count: 100)] {
      XCTAssertNoThrow(try Train.parseAsRoot(["--name", good]), good)
    }
  }

  func testOverwriteAndContinueExcludeEachOther() {
    assertUsageError(["--overwrite", "--model", "continue"], ["--overwrite", "--model continue"])
  }
}
