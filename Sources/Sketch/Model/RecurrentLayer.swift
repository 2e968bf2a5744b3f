import Codegen

/// One recurrent layer: LSTM (no peepholes; gates i, f, g, o) or GRU (gates z, r, n).
///
/// Weights are stored `[in, gates*D]` (the code computes `x·W`). The input projection `x·W + b` of all
/// steps is one matmul before the loop; only the recurrent matmul and the gate arithmetic run inside.
struct RecurrentLayer {
  let W: Var  // [I, gates*D]
  let U: Var  // [D, gates*D]
  let b: Var  // [gates*D]
  let gru: Bool
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
    let D = dim
    let g = gx + matmul(h, U)
    let all = SliceRange.all
    let i = sigmoid(g[all, 0..<D])
    let f = sigmoid(g[all, D..<(2 * D)])
    let u = tanh(g[all, (2 * D)..<(3 * D)])
    let o = sigmoid(g[all, (3 * D)..<(4 * D)])
    let c2 = f * c + i * u
    return (o * tanh(c2), c2)
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
