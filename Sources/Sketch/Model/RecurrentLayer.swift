import Codegen

/// One recurrent layer: LSTM (gates i, f, g, o; optional peepholes) or GRU (gates z, r, n).
///
/// Weights are stored `[in, gates*D]` (the code computes `x·W`). The input projection `x·W + b` of all
/// steps is one matmul before the loop; only the recurrent matmul and the gate arithmetic run inside.
struct RecurrentLayer {
  let W: Var  // [I, gates*D]
  let U: Var  // [D, gates*D]
  let b: Var  // [gates*D]
  let gru: Bool
  /// The LSTM's diagonal peephole weights [3D] (columns i | f | o), or nil for none.
  var peephole: Var? = nil
  /// Graves' derivative clipping: the gradients of the gate pre-activations clamped to [-10, 10].
  var clipDerivatives = false
  var dim: Int { U.shape[0].fixedValue! }

  /// The states [T, B, D] over inputs xs [T, B, I], from zero initial states.
  func callAsFunction(_ xs: Var, mask: Var? = nil) -> Var {
    let D = dim
    let G = gru ? 3 : 4
    let inWidth = xs.shape[2].fixedValue.map { ShapeSpec.n($0) } ?? .dim(xs, 2)
    let gx = reshape(matmul(reshape(xs, [-1, inWidth]), W) + b, [.dim(xs, 0), .dim(xs, 1), .n(G * D)])
    let zero = broadcast(constant(0, xs.dtype), to: [.dim(xs, 1), .n(D)])
    if gru {
      let r = scan(sequences: ["gx": gx], carries: ["h": zero], mask: mask) { s in
        let h = gruStep(s["gx"], h: s["h"])
        return ScanStepResult(carries: ["h": h], outputs: ["h": h])
      }
      return r["h"]
    }
    let r = scan(sequences: ["gx": gx], carries: ["h": zero, "c": zero], mask: mask) { s in
      let (h, c) = lstmStep(s["gx"], h: s["h"], c: s["c"])
      return ScanStepResult(carries: ["h": h, "c": c], outputs: ["h": h])
    }
    return r["h"]
  }

  /// One LSTM step from the input projection gx [B, 4D] and the previous states.
  func lstmStep(_ gx: Var, h: Var, c: Var) -> (h: Var, c: Var) {
    lstmCell(gx + matmul(h, U), c: c, dim: dim, peephole: peephole, clipDerivatives: clipDerivatives)
  }

  /// One GRU step: z, r = σ(x·W + h·U), n = tanh(x·Wn + (r∘h)·Un), h' = (1 − z)∘n + z∘h.
  func gruStep(_ gx: Var, h: Var) -> Var {
    let D = dim
    let all = SliceRange.all
    let gh = matmul(h, U[all, 0..<(2 * D)])
    let z = sigmoid(gx[all, 0..<D] + gh[all, 0..<D])
    let r = sigmoid(gx[all, D..<(2 * D)] + gh[all, D..<(2 * D)])
    let n = tanh(gx[all, (2 * D)..<(3 * D)] + matmul(r * h, U[all, (2 * D)..<(3 * D)]))
    return (1 - z) * n + z * h
  }
}

/// The LSTM cell from its pre-activations g [B, 4D] (i, f, g, o) and the previous cell c [B, D]:
/// `c' = f∘c + i∘tanh(g_g)`, `h' = o∘tanh(c')`. With `peephole` p [3D] (Graves 2013, eqs. 7-11), the
/// i and f gates also read `p_i∘c`, `p_f∘c` and the o gate `p_o∘c'`. With `clipDerivatives`, each
/// gate's pre-activation passes through `clipGradient(·, -10, 10)` (Graves' derivative clipping).
func lstmCell(_ g: Var, c: Var, dim D: Int, peephole: Var? = nil, clipDerivatives: Bool = false) -> (h: Var, c: Var) {
  let all = SliceRange.all
  let clip = { (x: Var) in clipDerivatives ? clipGradient(x, -10, 10) : x }
  if let p = peephole {
    let i = sigmoid(clip(g[all, 0..<D] + c * p[0..<D]))
    let f = sigmoid(clip(g[all, D..<(2 * D)] + c * p[D..<(2 * D)]))
    let u = tanh(clip(g[all, (2 * D)..<(3 * D)]))
    let c2 = f * c + i * u
    let o = sigmoid(clip(g[all, (3 * D)..<(4 * D)] + c2 * p[(2 * D)..<(3 * D)]))
    return (o * tanh(c2), c2)
  }
  let g = clip(g)
  let i = sigmoid(g[all, 0..<D])
  let f = sigmoid(g[all, D..<(2 * D)])
  let u = tanh(g[all, (2 * D)..<(3 * D)])
  let o = sigmoid(g[all, (3 * D)..<(4 * D)])
  let c2 = f * c + i * u
  return (o * tanh(c2), c2)
}
