import Codegen
import XCTest

/// Nodes made by operators find their call site from the call stack when an error is printed.
final class OperatorLocationTests: XCTestCase {
  func testOperatorErrorNamesTheUsersLine() throws {
    let a = input("a", .float32, [3])
    let b = input("b", .float32, [4])
    let line = #line + 1
    let z = a + b
    let text = "\(z.failure!)"
    XCTAssertTrue(text.contains("add"), text)
    XCTAssertTrue(text.contains("f32[3]") && text.contains("f32[4]"), text)
    XCTAssertTrue(text.hasPrefix("SketchTests/OperatorLocationTests.swift:\(line):"), text)
  }

  func testScopedOperatorsTakeTheScopeLine() throws {
    let a = input("a", .float32, [3])
    let line = #line + 1
    let z = withSourceLocation { a * input("c", .float32, [5]) }
    XCTAssertEqual(z.failure?.location.description, "SketchTests/OperatorLocationTests.swift:\(line)")
  }
}
