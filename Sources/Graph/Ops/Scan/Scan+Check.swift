import SketchRuntime

extension ScanSpec {
  /// The number of steps of a loop for operands of these shapes, after the run-time checks both
  /// backends make: every sequence (the mask too) as long as the loop, a masked carry with the mask's
  /// batch axis first, at least one step. `steps` is the step count when the loop has one.
  public func stepCount(steps: Int?, sequences: [[Int]], carries: [[Int]]) throws -> Int {
    let T = steps ?? sequences.first?.first ?? 0
    for (i, (n, s)) in zip(sequenceNames, sequences).enumerated() where s.first != T {
      let what = i == maskIndex ? "the mask" : "sequence '\(n)'"
      throw RuntimeError("\(what) has \(s.first ?? 0) steps but the scan runs \(T) (scan at \(location))")
    }
    if let maskIndex, maskIndex < sequences.count {
      let m = sequences[maskIndex]
      for (n, c) in zip(carryNames, carries) where c.isEmpty || c[0] != m[1] {
        throw RuntimeError(
          "the mask is \(m) (batch size \(m[1])) but carry '\(n)' is \(c); "
            + "a masked carry needs the batch axis first (scan at \(location))")
      }
    }
    guard T > 0 else { throw KernelFailure.emptyScan.error(.scan(self), Double(T)) }
    return T
  }

  /// Carry `j` changed shape in a step (`step`: which one, as the backend knows it).
  public func carryShapeError(_ j: Int, start: [Int], after: [Int], step: String) -> RuntimeError {
    RuntimeError(
      "carry '\(carryNames[j])' has shape \(start) at the start but \(after) after \(step) (scan at \(location))")
  }
}
