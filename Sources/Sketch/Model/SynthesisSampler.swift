import Codegen

extension SynthesisModel {
  /// The writing graph (Graves 5.4-5.5): for texts `chars` [B, U] (int32) with `cmask` [B, U] (1 for
  /// a real character; real characters first), draws one point per row and step from `noise` [S, B, 4]
  /// (uniforms for the component and the pen, two standard normals), with the bias `bias` [B].
  ///
  /// Step s consumes the point drawn at step s-1 (zeros at s = 0, or the primer's last point), runs
  /// every layer and the window, and draws the next point: component k = min(#(cumsum(weights) < u₀),
  /// M-1), dx = μx + σx z₁, dy = μy + σy (ρ z₁ + √(1-ρ²) z₂), pen = u₃ < p. **Stop rule** (Graves:
  /// the window has passed the last character): with n real characters, the row stops at the first
  /// step where phi(n) > phi(u) for every u < n, compared in log space (`log phi(u) =
  /// logsumexp_k(alpha_hat - beta (kappa - u)²)`, unmasked at n); n = 0 stops at once. From that step
  /// on its strokes are zero, so `stopStep` [B] (int32) is the number of points kept, S if it never
  /// stops. Every row runs all S steps.
  ///
  /// **Priming** (5.5): with `prime` (strokes [P, B, 3], P ≥ 2, and lengths [B] int32 in 1...P), the
  /// texts hold the primer's text followed by the text to write; the network first reads the primer's
  /// points 0 ..< length-1 with teacher forcing (later steps leave a row's state as it is), and the
  /// first sampling step consumes point length-1.
  ///
  /// Returns the kept strokes [S, B, 3], the stop steps, and the window's trace phi [S, B, U] and
  /// kappa [S, B, K].
  func sampler(chars: Var, cmask: Var, noise: Var, bias: Var, prime: (strokes: Var, length: Var)? = nil)
    -> (strokes: Var, stopStep: Var, phi: Var, kappa: Var)
  {
    let dtype = cmask.dtype
    let C = text(chars, cmask: cmask)
    var carries = initialCarries(batchOf: chars, axis: 0, dtype: dtype)
    var first = broadcast(constant(0, dtype), to: [.dim(chars, 0), 3])
    if let prime {
      let read = prime.strokes[..<(-1)]
      let last = prime.length - 1
      let reading = arange(.dim(read, 0))[.all, .newAxis] < last[.newAxis, .all]  // [P-1, B]
      let r = scan(sequenceList: [("x", read)], carryList: carries, mask: reading) { s in
        ScanStepResult(carries: step(s["x"], s, text: C, cmask: cmask).next)
      }
      carries = carries.map { ($0.0, r.final[$0.0]) }
      let at = broadcast(last[.newAxis, .all, .newAxis], to: [1, .dim(chars, 0), 3])
      first = takeAlong(prime.strokes, at, axis: 0)[0]
    }
    let n = sum(cmask, axes: [1])  // real characters per row
    let M = mdn.components
    carries += [("x", first), ("done", broadcast(constant(0, dtype), to: [.dim(chars, 0)]))]
    let r = scan(sequenceList: [("noise", noise)], carryList: carries) { s in
      let (stepped, win, h) = step(s["x"], s, text: C, cmask: cmask)
      let y = matmul(h, param("readout/W")) + param("readout/b")
      let (mean, sigma, corr, weight, pen) = mdn.split(y, bias: bias)
      let u = s["noise"]
      let k = minimum(sum((cumsum(weight, axis: 1) < u[.all, 0..<1]).cast(.int32), axes: [1]), constant(Double(M - 1), .int32))
      let pick2 = broadcast(k[.all, .newAxis, .newAxis], to: [.dim(y, 0), 1, 2])
      let mu = takeAlong(mean, pick2, axis: 1)[.all, 0]  // [B, 2]
      let sg = takeAlong(sigma, pick2, axis: 1)[.all, 0]
      let rho = takeAlong(corr, k[.all, .newAxis], axis: 1)  // [B, 1]
      let (z1, z2) = (u[.all, 1..<2], u[.all, 2..<3])
      let dx = mu[.all, 0..<1] + sg[.all, 0..<1] * z1
      let dy = mu[.all, 1..<2] + sg[.all, 1..<2] * (rho * z1 + sqrt(1 - rho * rho) * z2)
      let x = concatenate([dx, dy, (u[.all, 3..<4] < pen).cast(dtype)], axis: 1)
      // The stop rule, on this step's window.
      let pos = arange(.dim(C, 1), dtype: dtype)
      let logPhi = logsumexp(
        win.alphaHat[.all, .all, .newAxis] - win.beta[.all, .all, .newAxis] * square(win.kappa[.all, .all, .newAxis] - pos),
        axes: [1])
      let logPhiN = logsumexp(win.alphaHat - win.beta * square(win.kappa - n[.all, .newAxis]), axes: [1])
      let before = select(pos[.newAxis, .all] < n[.all, .newAxis], logPhi, constant(-Double.infinity, dtype))
      let done = maximum(s["done"], (logPhiN > max(before, axes: [1])).cast(dtype))
      var next = stepped
      (next["x"], next["done"]) = (x, done)
      let outputs = ["x": x * (1 - done)[.all, .newAxis], "done": done, "phi": win.phi, "kappa": win.kappa]
      return ScanStepResult(carries: next, outputs: outputs)
    }
    return (r["x"], sum(1 - r["done"], axes: [0]).cast(.int32), r["phi"], r["kappa"])
  }
}
