import Graph
import SketchRuntime

/// Weight-gradient accumulation leaves the loop as one product after it.
///
/// A gradient loop adds each step's weight gradient to a carry: `dk ← dk + h[t-1]ᵀ·δ[t]`. When a
/// carry is only ever added to like this, the two factors become per-step outputs instead (or are
/// read from the sequence they already are), and after the loop one product over all steps gives
/// the sum: `Σ_t h[t-1]ᵀ·δ[t] = Hᵀ·Δ` with H and Δ flattened to `[T·B, ·]`. Terms of the sum that
/// are not such products (or are, wrapped in an accumulating slice update of zeros) stay in the
/// carry; a carry left with nothing to add is removed.
enum HoistAccumulations {
  static let pass = Pass("hoist-accumulations", "move weight-gradient accumulations out of loops as one GEMM (Hᵀ·Δ)") {
    g, ctx in try transformLoops(g, &ctx, hoistLoop)
  }

  /// One product term `Aᵀ·B` of an accumulation, possibly added into a slice of zeros.
  struct Term {
    var a: Int
    /// The second factor, or nil for a sum over axes of `a` (a bias gradient, Σ_t Σ_b δ[t]).
    var b: Int?
    var slice: (zeros: Int, ranges: [SliceRange])?
    var sumAxes: [Int] = []
    var keepDims = false
  }

  static func hoistLoop(_ e: GraphEditor, _ loop: Loop, _ ctx: inout PassContext) throws {
    let body = loop.body
    let variant = loop.variant
    let users = loop.bodyUsers
    func product(_ p: Int) -> (Int, Int)? {
      guard case .matmul(true, false) = body.nodes[p].op else { return nil }
      let (a, b) = (body.nodes[p].inputs[0], body.nodes[p].inputs[1])
      guard body.nodes[a].type.rank == 2, body.nodes[b].type.rank == 2, variant[a], variant[b] else { return nil }
      return (a, b)
    }
    var hoisted: [Int: [Term]] = [:]  // carry → terms moved out
    var remaining: [Int: [Int]] = [:]  // carry → terms kept in the loop
    for j in 0..<loop.nC {
      let n = body.outputs[j]
      let slot = loop.carrySlot(j)
      guard case .binary(.add) = body.nodes[n].op, body.nodes[n].type.dtype.isFloatingPoint,
        users[slot] == [n], users[n].isEmpty, body.outputs.filter({ $0 == n }).count == 1
      else { continue }
      let ins = body.nodes[n].inputs
      guard ins.filter({ $0 == slot }).count == 1 else { continue }
      let sum = ins[0] == slot ? ins[1] : ins[0]
      var terms: [Int] = []
      var stack = [sum]
      while let t = stack.popLast() {
        if case .binary(.add) = body.nodes[t].op, body.nodes[t].type == body.nodes[sum].type {
          stack.append(contentsOf: body.nodes[t].inputs.reversed())
        } else {
          terms.append(t)
        }
      }
      var moved: [Term] = []
      var kept: [Int] = []
      for t in terms {
        if let (a, b) = product(t) {
          moved.append(Term(a: a, b: b))
        } else if case .reduce(.sum, let axes, let keep) = body.nodes[t].op, variant[body.nodes[t].inputs[0]] {
          moved.append(Term(a: body.nodes[t].inputs[0], b: nil, sumAxes: axes, keepDims: keep))
        } else if case .updateSlice(let ranges, true) = body.nodes[t].op, let (a, b) = product(body.nodes[t].inputs[1]),
          case let z = body.nodes[t].inputs[0], !variant[z], isZeros(body, z), body.nodes[z].type.fixedCount != nil
        {
          moved.append(Term(a: a, b: b, slice: (z, ranges)))
        } else {
          kept.append(t)
        }
      }
      guard !moved.isEmpty else { continue }
      hoisted[j] = moved
      remaining[j] = kept
    }
    guard !hoisted.isEmpty else { return }

    // The new body: factors as per-step outputs (sequence slices are read from their sequence).
    let b = GraphEditor(body)
    let nC = loop.nC
    var perStep = Array(body.outputs[nC...])
    var names = loop.outputNames
    var stacked: [Int: Int] = [:]  // body node → per-step output index (relative), or sequence via -1 - i
    func stackedIndex(_ v: Int) -> Int {
      if let k = stacked[v] { return k }
      if let i = (0..<loop.nS).first(where: { loop.sequenceSlot($0) == v }) {
        stacked[v] = -1 - i
      } else if let k = perStep.firstIndex(of: v) {
        stacked[v] = k
      } else {
        perStep.append(v)
        names.append("factor\(perStep.count - 1)" + (body.nodes[v].name.map { ":\($0)" } ?? ""))
        stacked[v] = perStep.count - 1
      }
      return stacked[v]!
    }
    var keptCarries: [Int] = []
    var newCarryOutputs: [Int] = []
    for j in 0..<nC {
      guard let kept = remaining[j] else {
        keptCarries.append(j)
        newCarryOutputs.append(body.outputs[j])
        continue
      }
      for t in hoisted[j]! {
        _ = stackedIndex(t.a)
        if let b = t.b { _ = stackedIndex(b) }
      }
      if kept.isEmpty { continue }
      var s = loop.carrySlot(j)
      for t in kept {
        s = try b.add(.binary(.add), [s, t], type: body.nodes[body.outputs[j]].type, location: body.nodes[t].location)
      }
      keptCarries.append(j)
      newCarryOutputs.append(s)
    }
    b.inputs =
      [loop.indexSlot] + (0..<loop.nS).map(loop.sequenceSlot) + keptCarries.map(loop.carrySlot)
      + (0..<loop.nK).map(loop.constantSlot)
    b.setOutputs(newCarryOutputs + perStep)
    var l = loop
    l.carries = keptCarries.map { loop.carries[$0] }
    l.carryNames = keptCarries.map { loop.carryNames[$0] }
    l.outputNames = names
    let m = try l.add(to: e, body: b.finish())

    // Outside: the final carries, plus one product per moved term.
    let proj = loop.projections(e)
    let removed = nC - keptCarries.count
    var memo: [Int: Int] = [:]
    for (k, readers) in proj.sorted(by: { $0.key < $1.key }) {
      var value: Int
      if k < nC {
        value = keptCarries.contains(k) ? try Loop.element(e, m, keptCarries.firstIndex(of: k)!) : loop.carries[k]
        for t in hoisted[k] ?? [] {
          let p = try stackedProduct(e, m, loop, t, stacked: stacked, keptCarries: keptCarries.count)
          var add = p
          if let (z, ranges) = t.slice {
            guard let zo = try loop.copyOut(z, e, variant, &memo) else {
              throw OptimizerError("hoist-accumulations: zeros vary")
            }
            add = try e.add(.updateSlice(ranges, accumulate: true), [zo, p], location: body.nodes[z].location)
          }
          value = try e.add(.binary(.add), [value, add], type: e.type(readers[0]), location: loop.spec.location)
          ctx.count("accumulations moved out")
        }
      } else {
        value = try Loop.element(e, m, k - removed)
      }
      for r in readers { e.replace(r, with: value) }
    }
    ctx.count("carries removed", removed)
  }

  /// `Σ_t A[t]ᵀ·B[t]` as one product of the stacked factors flattened to `[T·B, ·]`.
  static func stackedProduct(_ e: GraphEditor, _ m: Int, _ loop: Loop, _ t: Term, stacked: [Int: Int], keptCarries: Int)
    throws -> Int
  {
    func stack(_ v: Int) throws -> Int {
      let k = stacked[v]!
      return k < 0 ? loop.sequences[-1 - k] : try Loop.element(e, m, keptCarries + k)
    }
    func flat(_ x: Int) throws -> Int {
      let d = e.type(x).shape[2]
      if let n = d.fixedValue { return try e.add(.reshape([.infer, .fixed(n)]), [x], location: loop.spec.location) }
      return try e.add(.reshape([.infer, .dimOf(input: 1, axis: 2)]), [x, x], location: loop.spec.location)
    }
    guard let tb = t.b else {
      // Σ_t sum(a[t], axes) = sum(A, [0] + axes shifted past the time axis).
      let axes = [0] + t.sumAxes.map { $0 + 1 }
      let loc = loop.spec.location
      let stacked = try stack(t.a)
      guard t.keepDims else { return try e.add(.reduce(.sum, axes: axes, keepDims: false), [stacked], location: loc) }
      let s = try e.add(.reduce(.sum, axes: axes, keepDims: true), [stacked], location: loc)
      let dims = e.type(s).shape.dropFirst().compactMap(\.fixedValue)
      guard dims.count == e.type(s).rank - 1 else { throw OptimizerError("hoist-accumulations: symbolic bias shape") }
      return try e.add(.reshape(dims.map { .fixed($0) }), [s], location: loc)
    }
    let a = try flat(try stack(t.a))
    let b = try flat(try stack(tb))
    return try e.add(.matmul(transposeA: true, transposeB: false), [a, b], location: loop.spec.location)
  }

  /// True when body node `z` is all zeros (a constant, or a broadcast of one).
  static func isZeros(_ body: FunctionGraph, _ z: Int) -> Bool {
    if case .constant(let t) = body.nodes[z].op { return t.doubles.allSatisfy { $0 == 0 } }
    return isBroadcast(body.nodes[z].op) && isZeros(body, body.nodes[z].inputs[0])
  }
}
