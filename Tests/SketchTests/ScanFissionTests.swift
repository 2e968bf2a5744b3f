import Codegen
import Foundation
import TestSupport
import XCTest

/// `scan-fission`: a loop whose carries form separate recurrences (stacked layers, each reading the
/// one below at the same step) runs as consecutive loops; the later loops' input products become
/// products of sequences, which `hoist-sequences` batches, and their weight gradients single GEMMs.
/// Values (outputs, final carries, gradients) agree with the pipeline without the pass, on the
/// interpreter and the native backend; the pass does not fire on mutual recurrences.
final class ScanFissionTests: XCTestCase {
  /// The shared cells and data.
  typealias F = ScanFixtures
  /// Steps, batch, input width, state width.
  let T = 5, B = 3, I = 2, H = 3

  /// The pipeline without `scan-fission` (every other pass runs, verified).
  let withoutFission = OptimizerOptions(disabled: ["scan-fission"], verify: true)
  /// The whole pipeline, verified after every pass.
  let withFission = OptimizerOptions(verify: true)

  /// Layer weights: W [in, 4H], U [H, 4H], b [4H].
  struct Layer {
    /// The input weights, recurrent weights and bias.
    let W, U, b: Var
    /// The three, as graph inputs.
    var inputs: [Var] { [W, U, b] }
  }

  /// The weight inputs of layer `l`, named `W<l>`, `U<l>`, `b<l>`.
  func layer(_ l: Int, inWidth: Int, gates: Int = 4) -> Layer {
    Layer(
      W: input("W\(l)", .float64, [.fixed(inWidth), .fixed(gates * H)]),
      U: input("U\(l)", .float64, [.fixed(H), .fixed(gates * H)]),
      b: input("b\(l)", .float64, [.fixed(gates * H)]))
  }

  /// Deterministic values for layer `l`'s weights.
  func layerArgs(_ l: Int, inWidth: Int, gates: Int = 4) -> [Tensor] {
    [
      F.rnd([inWidth, gates * H], UInt64(100 + 3 * l)), F.rnd([H, gates * H], UInt64(101 + 3 * l)),
      F.rnd([gates * H], UInt64(102 + 3 * l)),
    ]
  }

  /// A loop graph: its outputs (costs and gradients), inputs and arguments.
  struct Case {
    /// The outputs, in order.
    var outputs: [Var]
    /// The graph inputs, in order.
    var inputs: [Var]
    /// One argument per input.
    var args: [Tensor]
  }

  /// `depth` LSTM layers in one loop; layer l > 0 reads layer l-1's h of the same step. Outputs: the
  /// cost, the stacked top h, every final carry, and the gradients w.r.t. xs and every weight.
  func stackedLSTM(depth: Int = 3, reverse: Bool = false, mask: Bool = false) throws -> Case {
    let xs = input("xs", .float64, ["T", "B", .fixed(I)])
    let mk = input("mask", .float64, ["T", "B"])
    let layers = (0..<depth).map { layer($0, inWidth: $0 == 0 ? I : H) }
    let zero = broadcast(constant(0, .float64), to: [.dim(xs, 1), .n(H)])
    var carries: [(String, Var)] = []
    for l in 0..<depth { carries += [("h\(l)", zero), ("c\(l)", zero)] }
    let r = scan(sequenceList: [("x", xs)], carryList: carries, reverse: reverse, mask: mask ? mk : nil) { s in
      var inp = s["x"]
      var next: [String: Var] = [:]
      for (l, w) in layers.enumerated() {
        let (h, c) = F.lstmCell(x: inp, h: s["h\(l)"], c: s["c\(l)"], W: w.W, U: w.U, b: w.b, H: H)
        next["h\(l)"] = h
        next["c\(l)"] = c
        inp = h
      }
      return ScanStepResult(carries: next, outputs: ["top": inp])
    }
    let cost = (0..<depth).map { sum(r.final["c\($0)"]) }.reduce(sum(r["top"] * r["top"]), +)
    let weights = layers.flatMap(\.inputs)
    let grads = try grad(cost, wrt: [xs] + weights)
    let finals = (0..<depth).flatMap { [r.final["h\($0)"], r.final["c\($0)"]] }
    let m = Tensor(shape: [T, B], (0..<(T * B)).map { i in i / B < T - (i % B) ? 1.0 : 0.0 })
    let args =
      [F.rnd([T, B, I], 1, std: 1)] + (0..<depth).flatMap { layerArgs($0, inWidth: $0 == 0 ? I : H) }
      + (mask ? [m] : [])
    return Case(
      outputs: [cost, r["top"]] + finals + grads, inputs: [xs] + weights + (mask ? [mk] : []), args: args)
  }

  /// The outputs with and without `scan-fission`, on the interpreter and the native backend, agree
  /// (relative `tol`), and agree with the graph as built. The native runs take `SKETCH_MODE` when it
  /// is set (`debug` compares them with the interpreter at every call).
  func assertFissionKeepsValues(_ c: Case, tol: Double = 1e-10, file: StaticString = #filePath, line: UInt = #line)
    throws
  {
    let reference = try compile(inputs: c.inputs, outputs: c.outputs, mode: .interpreter, optimizer: .none)
      .call(c.args)
    let native: Mode? = ProcessInfo.processInfo.environment["SKETCH_MODE"] == nil ? .native : nil
    for mode in [Mode.interpreter, native] {
      for options in [withoutFission, withFission] {
        let f = try compile(inputs: c.inputs, outputs: c.outputs, mode: mode, optimizer: options)
        if mode != .interpreter { XCTAssertNotEqual(f.backend, .interpreter, file: file, line: line) }
        if case .fallback(let why) = f.backend { XCTFail("native backend fell back: \(why)", file: file, line: line) }
        let got = try f.call(c.args)
        let what = "\(f.mode), \(options == withFission ? "with" : "without") fission"
        XCTAssertEqual(got.count, reference.count, what, file: file, line: line)
        for (k, (a, b)) in zip(got, reference).enumerated() {
          XCTAssertEqual(a.shape, b.shape, "\(what): output \(k) shape", file: file, line: line)
          assertClose(a.doubles, b.doubles, tol: tol, atol: tol, "\(what): output \(k)", file: file, line: line)
        }
      }
    }
  }

  /// The optimized graph and report of a case (whole pipeline, verified).
  func optimizedCase(_ c: Case, _ options: OptimizerOptions? = nil) throws -> (
    graph: FunctionGraph, report: OptimizationReport
  ) {
    try optimized(c.outputs, inputs: c.inputs, options ?? withFission)
  }

  /// Products per step of each loop of `g` (forward loops, then reverse ones).
  func productsPerStep(_ g: FunctionGraph) -> [Int] {
    loops(g).map { countNodes($0.bodyGraph, isProduct) }
  }

  // MARK: - Stacked layers

  /// Three LSTM layers in one loop become three forward and three gradient loops of one product per step.
  func testThreeStackedLSTMLayersBecomeThreeLoops() throws {
    let c = try stackedLSTM()
    try assertFissionKeepsValues(c)
    let (off, offReport) = try optimizedCase(c, withoutFission)
    let (on, report) = try optimizedCase(c)
    XCTAssertEqual(productsPerStep(off), [5, 5], "without the pass: one loop forward, one backward")
    XCTAssertEqual(report.hits("split loops"), 4, "the forward loop twice, the gradient loop twice")
    XCTAssertEqual(
      loops(on).map(\.carryNames),
      [
        ["h0", "c0"], ["h1", "c1"], ["h2", "c2"], ["dh2", "dc2"], ["dh1", "dc1"], ["dh0", "dc0"],
      ])
    XCTAssertEqual(loops(on).map(\.reverse), [false, false, false, true, true, true])
    // Layers 1 and 2 read h0[t] and h1[t] as sequences: their input products are batched before
    // their loops (and the gradient loops' δ[t]·Wᵀ of the layer above), one product per step is left.
    XCTAssertEqual(productsPerStep(on), [1, 1, 1, 1, 1, 1])
    XCTAssertEqual(offReport.hits("batched products"), 1, "without the pass only x[t]·W0")
    XCTAssertEqual(report.hits("batched products"), 5, "x·W0, h0·W1, h1·W2, δ2·W2ᵀ, δ1·W1ᵀ")
    // Every weight gradient is one product after its loop.
    XCTAssertEqual(report.hits("accumulations moved out"), 9)
    XCTAssertEqual(offReport.hits("accumulations moved out"), 9, "as without the pass")
    XCTAssertEqual(loops(on).filter(\.reverse).flatMap(\.carryNames).count, 6, "no weight-gradient carry is left")
  }

  /// The pass alone (with scan-merge before it) splits the forward loop and the gradient loop; the
  /// values are those of the graph as built, in the interpreter.
  func testThePassAloneKeepsValues() throws {
    let c = try stackedLSTM(depth: 2)
    let options = onlyPasses("scan-merge", "scan-fission")
    try assertSameValues(c.outputs, inputs: c.inputs, c.args, options: options, tol: 1e-12)
    let (g, report) = try optimizedCase(c, options)
    XCTAssertEqual(report.hits("split loops"), 2)
    XCTAssertEqual(loops(g).count, 4)
  }

  // MARK: - Where it must not fire

  /// Layer 0 reads layer 1's h of the previous step (a feedback connection): one recurrence.
  func testMutualRecurrenceIsNotSplit() throws {
    let xs = input("xs", .float64, ["T", "B", .fixed(I)])
    let (l0, l1) = (layer(0, inWidth: I), layer(1, inWidth: H))
    let V = input("V", .float64, [.fixed(H), .fixed(4 * H)])
    let zero = broadcast(constant(0, .float64), to: [.dim(xs, 1), .n(H)])
    let r = scan(sequences: ["x": xs], carries: ["h0": zero, "c0": zero, "h1": zero, "c1": zero]) { s in
      let (h0, c0) = F.lstmCell(x: s["x"], h: s["h0"], c: s["c0"], W: l0.W, U: l0.U, b: l0.b + matmul(s["h1"], V), H: H)
      let (h1, c1) = F.lstmCell(x: h0, h: s["h1"], c: s["c1"], W: l1.W, U: l1.U, b: l1.b, H: H)
      return ScanStepResult(carries: ["h0": h0, "c0": c0, "h1": h1, "c1": c1], outputs: ["h": h1])
    }
    let cost = sum(r["h"] * r["h"])
    let ins = [xs] + l0.inputs + l1.inputs + [V]
    let outs = [cost] + (try grad(cost, wrt: ins))
    let (g, report) = try optimized(outs, inputs: ins, withFission)
    XCTAssertEqual(report.hits("split loops"), 0)
    XCTAssertEqual(loops(g).count, 2)
    let args =
      [F.rnd([T, B, I], 1, std: 1)] + layerArgs(0, inWidth: I) + layerArgs(1, inWidth: H) + [F.rnd([H, 4 * H], 7)]
    try assertFissionKeepsValues(Case(outputs: outs, inputs: ins, args: args))
  }

  /// Layer 1 reads layer 0's h of the previous step only (B reads A's carry: still two recurrences,
  /// split); with layer 0 also reading layer 1's carry (A reads B's carry) nothing splits.
  func testReadingTheOtherGroupsCarry() throws {
    for feedback in [false, true] {
      let xs = input("xs", .float64, ["T", "B", .fixed(I)])
      let W0 = input("W0", .float64, [.fixed(I), .fixed(H)])
      let U0 = input("U0", .float64, [.fixed(H), .fixed(H)])
      let W1 = input("W1", .float64, [.fixed(H), .fixed(H)])
      let U1 = input("U1", .float64, [.fixed(H), .fixed(H)])
      let zero = broadcast(constant(0, .float64), to: [.dim(xs, 1), .n(H)])
      let r = scan(sequences: ["x": xs], carries: ["a": zero, "b": zero]) { s in
        let ax = matmul(s["x"], W0) + matmul(s["a"], U0)
        let a = tanh(feedback ? ax + s["b"] * 0.5 : ax)
        let b = tanh(matmul(s["a"], W1) + matmul(s["b"], U1))
        return ScanStepResult(carries: ["a": a, "b": b], outputs: ["b": b])
      }
      let cost = sum(r["b"] * r["b"]) + sum(r.final["a"])
      let ins = [xs, W0, U0, W1, U1]
      let outs = [cost, r["b"], r.final["a"], r.final["b"]] + (try grad(cost, wrt: ins))
      let (g, report) = try optimized(outs, inputs: ins, withFission)
      XCTAssertEqual(report.hits("split loops"), feedback ? 0 : 2, "feedback \(feedback)")
      XCTAssertEqual(loops(g).count, feedback ? 2 : 4)
      let args = [
        F.rnd([T, B, I], 1, std: 1), F.rnd([I, H], 2), F.rnd([H, H], 3), F.rnd([H, H], 4), F.rnd([H, H], 5),
      ]
      try assertFissionKeepsValues(Case(outputs: outs, inputs: ins, args: args))
    }
  }

  /// B reads A's state only elementwise: no product to batch, so the loop stays one.
  func testNoProductToGainIsNotSplit() throws {
    let xs = input("xs", .float64, ["T", "B", .fixed(H)])
    let U = input("U", .float64, [.fixed(H), .fixed(H)])
    let zero = broadcast(constant(0, .float64), to: [.dim(xs, 1), .n(H)])
    let r = scan(sequences: ["x": xs], carries: ["a": zero, "b": zero]) { s in
      let a = tanh(matmul(s["a"], U) + s["x"])
      return ScanStepResult(carries: ["a": a, "b": tanh(s["b"] * 0.5 + a)], outputs: ["b": s["b"]])
    }
    let (g, report) = try optimized([r["b"]], inputs: [xs, U], withFission)
    XCTAssertEqual(report.hits("split loops"), 0)
    XCTAssertEqual(loops(g).count, 1)
  }

  // MARK: - Masks, direction, random draws, per-step outputs, step counts

  /// Masked and reverse stacks split the same way; every part keeps the direction and the mask.
  func testMaskedAndReverseStacks() throws {
    for (reverse, mask) in [(true, false), (false, true), (true, true)] {
      let c = try stackedLSTM(reverse: reverse, mask: mask)
      try assertFissionKeepsValues(c)
      let (g, report) = try optimizedCase(c)
      let what = "reverse \(reverse), mask \(mask)"
      XCTAssertEqual(report.hits("split loops"), 4, what)
      XCTAssertEqual(
        loops(g).map(\.reverse), [Bool](repeating: reverse, count: 3) + [Bool](repeating: !reverse, count: 3), what)
      XCTAssertEqual(productsPerStep(g), [1, 1, 1, 1, 1, 1], what)
      // Each forward loop has the mask's role (the gradient loops read it as a stored value).
      for l in loops(g) where l.reverse == reverse {
        XCTAssertEqual(
          l.maskIndex.map { l.sequenceNames[$0] }, mask ? "mask" : nil, "\(what): every loop keeps the mask")
      }
    }
  }

  /// A draw both groups read is drawn once, in A, and read by B; a draw only B reads is drawn in B.
  func testRandomDrawsStayWhereTheyAreDrawn() throws {
    let xs = input("xs", .float64, ["T", "B", .fixed(I)])
    let key = input("key", .int32, [2])
    let (l0, l1) = (layer(0, inWidth: I), layer(1, inWidth: H))
    let zero = broadcast(constant(0, .float64), to: [.dim(xs, 1), .n(H)])
    let r = scan(sequences: ["x": xs], carries: ["h0": zero, "c0": zero, "h1": zero, "c1": zero]) { s in
      let k = foldIn(key, s.index)
      let z = randomNormal(foldIn(k, 0), shape: [.dim(s["x"], 0), .n(H)], dtype: .float64) * 0.1
      let keep = (randomUniform(foldIn(k, 1), shape: [.dim(s["x"], 0), .n(H)], dtype: .float64) < 0.8).cast(.float64)
      let (h0, c0) = F.lstmCell(x: s["x"], h: s["h0"] + z, c: s["c0"], W: l0.W, U: l0.U, b: l0.b, H: H)
      let (h1, c1) = F.lstmCell(x: (h0 + z) * keep, h: s["h1"], c: s["c1"], W: l1.W, U: l1.U, b: l1.b, H: H)
      return ScanStepResult(carries: ["h0": h0, "c0": c0, "h1": h1, "c1": c1], outputs: ["h": h1])
    }
    let cost = sum(r["h"] * r["h"])
    let ins = [xs, key] + l0.inputs + l1.inputs
    let outs = [cost, r["h"]] + (try grad(cost, wrt: [xs] + l0.inputs + l1.inputs))
    let args =
      [F.rnd([T, B, I], 1, std: 1), Tensor(shape: [2], [Int32(7), 11])] + layerArgs(0, inWidth: I)
      + layerArgs(1, inWidth: H)
    try assertFissionKeepsValues(Case(outputs: outs, inputs: ins, args: args))
    let (off, _) = try optimized(outs, inputs: ins, withoutFission)
    let (on, report) = try optimized(outs, inputs: ins, withFission)
    XCTAssertEqual(report.hits("split loops"), 2)
    /// Random draws in a loop body.
    func draws(_ l: ScanSpec) -> Int {
      countNodes(l.bodyGraph) { if case .random = $0 { return true } else { return false } }
    }
    XCTAssertEqual(loops(on).map(draws).reduce(0, +), loops(off).map(draws).reduce(0, +), "no draw is made twice")
    // With the gradient, the forward loop stores the uniform draw (a per-step output of neither
    // group, so computed in A) and layer 1's loop reads it; without, layer 1's loop draws it.
    XCTAssertEqual(loops(on).filter { !$0.reverse }.map(draws), [2, 0])
    let fwd = [r["h"]]
    let (g, _) = try optimized(fwd, inputs: ins, withFission)
    XCTAssertEqual(
      loops(g).map(draws), [1, 1], "the normal in layer 0's loop (both read it), the uniform in layer 1's")
    try assertSameValues(fwd, inputs: ins, args, options: withFission, tol: 1e-12)
  }

  /// Per-step outputs of A's values, of B's, of both, and of the sequences alone.
  func testPerStepOutputsOfBothGroups() throws {
    let xs = input("xs", .float64, ["T", "B", .fixed(I)])
    let (W0, U0) = (input("W0", .float64, [.fixed(I), .fixed(H)]), input("U0", .float64, [.fixed(H), .fixed(H)]))
    let (W1, U1) = (input("W1", .float64, [.fixed(H), .fixed(H)]), input("U1", .float64, [.fixed(H), .fixed(H)]))
    let zero = broadcast(constant(0, .float64), to: [.dim(xs, 1), .n(H)])
    let r = scan(sequences: ["x": xs], carries: ["a": zero, "b": zero]) { s in
      let a = tanh(matmul(s["x"], W0) + matmul(s["a"], U0))
      let b = tanh(matmul(a, W1) + matmul(s["b"], U1))
      return ScanStepResult(
        carries: ["a": a, "b": b], outputs: ["a": a, "b": b, "ab": a * b + s["a"], "x2": s["x"] * 2.0])
    }
    let cost = sum(r["ab"]) + sum(r["b"] * r["b"]) + sum(r["a"])
    let ins = [xs, W0, U0, W1, U1]
    let outs = [cost, r["a"], r["b"], r["ab"], r["x2"], r.final["a"], r.final["b"]] + (try grad(cost, wrt: ins))
    let args = [
      F.rnd([T, B, I], 1, std: 1), F.rnd([I, H], 2), F.rnd([H, H], 3), F.rnd([H, H], 4), F.rnd([H, H], 5),
    ]
    try assertFissionKeepsValues(Case(outputs: outs, inputs: ins, args: args))
    // The forward loop alone (no gradient): A outputs a, x2 and what B reads; B outputs b and ab.
    let fwd = [r["a"], r["b"], r["ab"], r["x2"], r.final["a"], r.final["b"]]
    let options = onlyPasses("scan-prune", "scan-fission")
    try assertSameValues(fwd, inputs: ins, args, options: options, tol: 1e-12)
    let (g, _) = try optimized(fwd, inputs: ins, options)
    let ls = loops(g)
    XCTAssertEqual(ls.map(\.carryNames), [["a"], ["b"]])
    XCTAssertEqual(Set(ls[0].outputNames.filter { !$0.hasPrefix("split") }), ["a", "x2"])
    XCTAssertEqual(Set(ls[1].outputNames), ["ab", "b"])
  }

  /// A loop with a run-time step count and no sequences: both loops take the step count.
  func testRunTimeStepCount() throws {
    let steps = input("steps", .int32, [])
    let (U0, b0) = (input("U0", .float64, [.fixed(H), .fixed(H)]), input("b0", .float64, [.fixed(H)]))
    let (W1, U1) = (input("W1", .float64, [.fixed(H), .fixed(H)]), input("U1", .float64, [.fixed(H), .fixed(H)]))
    let start = constant(Tensor(shape: [B, H], (0..<(B * H)).map { Double($0) * 0.1 }))
    let r = scan(sequenceList: [], carryList: [("a", start), ("b", start)], steps: steps) { s in
      let a = tanh(matmul(s["a"], U0) + b0)
      let b = tanh(matmul(a, W1) + matmul(s["b"], U1))
      return ScanStepResult(carries: ["a": a, "b": b], outputs: ["b": b])
    }
    let cost = sum(r["b"] * r["b"]) + sum(r.final["a"])
    let ins = [steps, U0, b0, W1, U1]
    let outs = [cost, r["b"], r.final["a"]] + (try grad(cost, wrt: [U0, b0, W1, U1]))
    let args = [Tensor(scalar: Int32(T)), F.rnd([H, H], 2), F.rnd([H], 3), F.rnd([H, H], 4), F.rnd([H, H], 5)]
    try assertFissionKeepsValues(Case(outputs: outs, inputs: ins, args: args))
    let (g, report) = try optimized(outs, inputs: ins, withFission)
    XCTAssertEqual(report.hits("split loops"), 2)
    XCTAssertTrue(loops(g).allSatisfy(\.hasSteps))
    XCTAssertEqual(productsPerStep(g), [1, 1, 1, 1])
  }

  // MARK: - A Graves-style window

  /// Layer 0 and an attention window over a character sequence form one recurrence (layer 0 reads
  /// the window of the previous step, the window reads layer 0's h); layers 1 and 2 read h0[t] and
  /// the window w[t] of the same step. The loop becomes three: (layer 0, window), layer 1, layer 2.
  func testGravesWindowGraph() throws {
    let (K, U, C) = (2, 4, 3)  // window mixtures, characters, alphabet
    let xs = input("xs", .float64, ["T", .fixed(B), .fixed(I)])
    let chars = input("chars", .float64, [.fixed(B), .fixed(U), .fixed(C)])
    let layers = (0..<3).map { layer($0, inWidth: $0 == 0 ? I : H) }
    let Vw = (0..<3).map { input("Vw\($0)", .float64, [.fixed(C), .fixed(4 * H)]) }
    let Wk = input("Wk", .float64, [.fixed(H), .fixed(3 * K)])
    let positions = constant(Tensor(shape: [1, 1, U], (0..<U).map(Double.init)))
    let zero = constant(Tensor.zeros(.float64, [B, H]))
    let carries: [(String, Var)] = [
      ("h0", zero), ("c0", zero), ("kappa", constant(Tensor.zeros(.float64, [B, K]))),
      ("w", constant(Tensor.zeros(.float64, [B, C]))), ("h1", zero), ("c1", zero), ("h2", zero), ("c2", zero),
    ]
    let r = scan(sequenceList: [("x", xs)], carryList: carries) { s in
      let l = layers
      let (h0, c0) = F.lstmCell(
        x: s["x"], h: s["h0"], c: s["c0"], W: l[0].W, U: l[0].U, b: l[0].b + matmul(s["w"], Vw[0]), H: H)
      let p = exp(matmul(h0, Wk))  // [B, 3K]: alpha, beta, kappa increments
      let alpha = reshape(p[.all, 0..<K], [B, K, 1])
      let beta = reshape(p[.all, K..<(2 * K)], [B, K, 1])
      let kappa = s["kappa"] + p[.all, (2 * K)..<(3 * K)] * 0.1
      let d = reshape(kappa, [B, K, 1]) - positions
      let phi = sum(alpha * exp(-(beta * d * d)), axes: [1])  // [B, U]
      let w = sum(reshape(phi, [B, U, 1]) * chars, axes: [1])  // [B, C]
      let (h1, c1) = F.lstmCell(x: h0, h: s["h1"], c: s["c1"], W: l[1].W, U: l[1].U, b: l[1].b + matmul(w, Vw[1]), H: H)
      let (h2, c2) = F.lstmCell(x: h1, h: s["h2"], c: s["c2"], W: l[2].W, U: l[2].U, b: l[2].b + matmul(w, Vw[2]), H: H)
      return ScanStepResult(
        carries: ["h0": h0, "c0": c0, "kappa": kappa, "w": w, "h1": h1, "c1": c1, "h2": h2, "c2": c2],
        outputs: ["h": h2, "phi": phi])
    }
    let cost = sum(r["h"] * r["h"]) + sum(r["phi"]) * 0.1
    let weights = layers.flatMap(\.inputs) + Vw + [Wk]
    let ins = [xs, chars] + weights
    let outs = [cost, r["h"], r.final["kappa"], r.final["w"]] + (try grad(cost, wrt: [xs] + weights))
    let oneHot = Tensor(shape: [B, U, C], (0..<(B * U * C)).map { i in (i / C) % C == i % C ? 1.0 : 0.0 })
    let args =
      [F.rnd([T, B, I], 1, std: 1), oneHot] + (0..<3).flatMap { layerArgs($0, inWidth: $0 == 0 ? I : H) }
      + (0..<3).map { F.rnd([C, 4 * H], UInt64(40 + $0)) } + [F.rnd([H, 3 * K], 50)]
    try assertFissionKeepsValues(Case(outputs: outs, inputs: ins, args: args))
    let (g, report) = try optimized(outs, inputs: ins, withFission)
    XCTAssertEqual(report.hits("split loops"), 4)
    let forward = loops(g).filter { !$0.reverse }
    XCTAssertEqual(forward.map { Set($0.carryNames) }, [["h0", "c0", "kappa", "w"], ["h1", "c1"], ["h2", "c2"]])
    let (off, _) = try optimized(outs, inputs: ins, withoutFission)
    let perStep = productsPerStep(off).reduce(0, +)
    XCTAssertLessThan(productsPerStep(g).reduce(0, +), perStep, "h0·W, w·Vw of layers 1 and 2 batched")
  }

  // MARK: - Statistics

  /// `dump` (what `sketch dump-graph` prints) lists the pass with its count of split loops.
  func testStatisticsInTheDump() throws {
    let c = try stackedLSTM()
    let text = try dump(
      try FunctionGraph(inputs: c.inputs, outputs: c.outputs), stage: .optimized, options: withFission)
    let line = try XCTUnwrap(text.split(separator: "\n").first { $0.contains("scan-fission:") })
    XCTAssertTrue(line.contains("split loops ×4"), String(line))
    print(
      "figure, without fission:", try compile(inputs: c.inputs, outputs: c.outputs, optimizer: withoutFission).summary)
    print("figure, with fission:", try compile(inputs: c.inputs, outputs: c.outputs, optimizer: withFission).summary)
  }
}
