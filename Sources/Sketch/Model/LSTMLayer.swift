import Codegen

/// One LSTM layer (no peepholes; gate order i, f, g, o along the 4D axis; weights stored [in, out]).
struct LSTMLayer {
  let W: Var  // [I, 4D]
  let U: Var  // [D, 4D]
  let b: Var  // [4D]
  var dim: Int { U.shape[0].fixedValue! }

  /// Runs the layer over `xs` [T, B, I] from zero states; returns the hidden states [T, B, D].
  ///
  /// The input projection `x·W + b` is one matmul over all steps before the loop; only `h·U` and the
  /// gate arithmetic run inside it.
  func callAsFunction(_ xs: Var, mask: Var? = nil) -> Var {
    let D = dim
    let inWidth = xs.shape[2].fixedValue.map { ShapeSpec.n($0) } ?? .dim(xs, 2)
    let gx = reshape(matmul(reshape(xs, [-1, inWidth]), W) + b, [.dim(xs, 0), .dim(xs, 1), .n(4 * D)])
    let zero = broadcast(constant(0, xs.dtype), to: [.dim(xs, 1), .n(D)])
    let r = scan(sequences: ["gx": gx], carries: ["h": zero, "c": zero], mask: mask) { s in
      let (h, c) = LSTMLayer.cell(s["gx"] + matmul(s["h"], U), c: s["c"], D: D)
      return ScanStepResult(carries: ["h": h, "c": c], outputs: ["h": h])
    }
    return r["h"]
  }

  /// The gate arithmetic of one step, from the pre-activations g [B, 4D] and the cell c [B, D].
  static func cell(_ g: Var, c: Var, D: Int) -> (h: Var, c: Var) {
    let all = SliceRange.all
    let i = sigmoid(g[all, 0..<D])
    let f = sigmoid(g[all, D..<(2 * D)])
    let gg = tanh(g[all, (2 * D)..<(3 * D)])
    let o = sigmoid(g[all, (3 * D)..<(4 * D)])
    let c2 = f * c + i * gg
    return (o * tanh(c2), c2)
  }
}
