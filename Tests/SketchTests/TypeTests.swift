import Codegen
import Testing

/// Static types: dims, broadcasting rules and type descriptions (Swift Testing).
@Suite struct TypeTests {
  @Test func dimLiterals() {
    let t = TensorType(.float32, ["T", 3])
    #expect(t.description == "f32[T,3]")
    #expect(t.shape[0] == .symbol("T"))
    #expect(t.fixedCount == nil)
    #expect(TensorType(.int32, [2, 3]).fixedCount == 6)
  }

  @Test func acceptsConcreteShapes() {
    let t = TensorType(.float64, ["B", 4])
    #expect(t.accepts([7, 4]))
    #expect(!t.accepts([7, 5]))
    #expect(!t.accepts([7]))
  }

  @Test(arguments: [
    ([Dim]([3, 1]), [Dim]([1, 4]), [Dim]([3, 4])),
    ([Dim](["T", "B", 8]), [Dim]([8]), [Dim](["T", "B", 8])),
    ([Dim]([1]), [Dim](["N"]), [Dim](["N"])),
  ])
  func staticBroadcasting(a: [Dim], b: [Dim], expected: [Dim]) {
    let x = input("x", .float32, a)
    let y = input("y", .float32, b)
    #expect((x + y).shape == expected)
  }

  @Test func mismatchedFixedDimsFail() {
    let z = input("x", .float32, [3]) + input("y", .float32, [4])
    #expect(z.failure != nil)
    #expect(z.failure?.message.contains("do not broadcast") == true)
  }
}
