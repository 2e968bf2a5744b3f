import Codegen
import Foundation

/// Graves' handwriting synthesis network (arXiv:1308.0850, section 5, eqs 46-54), written with the
/// library's ops as a user would write it: L LSTM layers (gates i, f, g, o; no peepholes), a soft
/// window of K Gaussians over the text after layer 0, skip connections from the input and the window
/// to every layer, a readout from every layer, and the prediction network's mixture-density cost.
///
/// Per step t, with `x_t` the input point, `kappa_{-1} = 0`, `w_{-1} = 0` and zero LSTM states:
/// layer 0 reads `[x_t, w_{t-1}]`; the window `p = h⁰_t·Wʷ + bʷ` gives `alpha = exp(p[0..<K])`,
/// `beta = exp(p[K..<2K])`, `kappa_t = kappa_{t-1} + exp(p[2K..<3K])` and
/// `phi[b, u] = cmask[b, u] · Σ_k alpha exp(-beta (kappa - u)²)` over the 0-based character positions
/// `u` (no kappa scale), and `w_t = Σ_u phi[b, u] · onehot(chars[b, u])`; layer l > 0 reads
/// `[x_t, hˡ⁻¹_t, w_t]`; the readout reads `[h⁰_t, ..., hᴸ⁻¹_t]`.
///
/// Parameters are shared variables named `transition/layer{l}/W` `[3 + A (+ D for l > 0), 4D]`,
/// `transition/layer{l}/U` `[D, 4D]`, `transition/layer{l}/b` `[4D]`, `window/W` `[D, 3K]`,
/// `window/b` `[3K]` (columns alpha | beta | kappa), `readout/W` `[L·D, 6M+1]`, `readout/b`; with
/// peepholes, then `transition/layer{l}/peephole` `[3D]` (i | f | o) for every layer.
struct SynthesisModel {
  let depth: Int
  let dim: Int
  let window: Int
  let alphabet: Int
  /// LSTM peephole connections (``lstmCell(_:c:dim:peephole:clipDerivatives:)``).
  let peepholes: Bool
  let mdn: MixtureDensity
  /// Parameters in a fixed order (layers bottom-up, the window, the readout, then any peepholes).
  let parameters: [(name: String, variable: Var)]
  /// Graves' derivative clipping in the training graph: the readout's derivatives clamped to
  /// [-100, 100], each LSTM gate pre-activation's to [-10, 10].
  var derivativeClipping = false

  /// The untrained window's speed in characters per point: the kappa columns of `window/b` start at
  /// its log (the others at 0). Handwriting takes about 25 points per character (the built-in
  /// dataset 24, IAM-OnDB 25 to 30); a bias of 0 would move the window one character per point, past
  /// the end of any text within a few dozen points, where phi, and with it kappa's gradient,
  /// vanishes, so that the window never learns to read (Graves' kappa has no scale; implementations
  /// that divide the increments by 25 start at this speed too).
  static let initialCharactersPerPoint = 1.0 / 25

  /// The initial value of `window/b` for K components: alpha and beta columns 0, kappa columns
  /// log(``initialCharactersPerPoint``).
  static func initialWindowBias(window K: Int) -> Tensor {
    Tensor(shape: [3 * K], [Float](repeating: 0, count: 2 * K) + [Float](repeating: Float(log(initialCharactersPerPoint)), count: K))
  }

  /// The parameters' names and shapes.
  static func parameterShapes(
    depth L: Int, dim D: Int, window K: Int, mixture M: Int, alphabet A: Int, peepholes: Bool = false
  ) -> [(String, [Int])] {
    var s: [(String, [Int])] = []
    for l in 0..<L {
      s.append(("transition/layer\(l)/W", [3 + A + (l > 0 ? D : 0), 4 * D]))
      s.append(("transition/layer\(l)/U", [D, 4 * D]))
      s.append(("transition/layer\(l)/b", [4 * D]))
    }
    s += [("window/W", [D, 3 * K]), ("window/b", [3 * K]), ("readout/W", [L * D, 6 * M + 1]), ("readout/b", [6 * M + 1])]
    if peepholes { for l in 0..<L { s.append(("transition/layer\(l)/peephole", [3 * D])) } }
    return s
  }

  /// The parameters' names and shapes for a synthesis config (its alphabet gives A).
  static func parameterShapes(_ c: ModelConfig) -> [(String, [Int])] {
    parameterShapes(
      depth: c.depth, dim: c.dim, window: c.window, mixture: c.mixDim, alphabet: c.alphabetSize, peepholes: c.peepholes)
  }

  /// A model over existing variables, in the order of `parameterShapes`.
  init(
    depth: Int, dim: Int, window: Int, mixture: Int, alphabet: Int, epsilon: Double, peepholes: Bool = false,
    variables: [Var]
  ) {
    (self.depth, self.dim, self.window, self.alphabet, self.peepholes) = (depth, dim, window, alphabet, peepholes)
    mdn = MixtureDensity(components: mixture, epsilon: epsilon)
    let shapes = Self.parameterShapes(
      depth: depth, dim: dim, window: window, mixture: mixture, alphabet: alphabet, peepholes: peepholes)
    parameters = zip(shapes, variables).map { ($0.0, $1) }
  }

  /// A model of a synthesis `config` holding `values` (shared variables named as the parameters).
  init(config c: ModelConfig, values: [String: Tensor]) {
    let variables = Self.parameterShapes(c).map { name, _ in shared(values[name]!, name: name) }
    self.init(
      depth: c.depth, dim: c.dim, window: c.window, mixture: c.mixDim, alphabet: c.alphabetSize, epsilon: c.epsilon,
      peepholes: c.peepholes, variables: variables)
    configuration = c
  }

  /// The architecture: the config the model was made from, else one with its sizes (and no alphabet's
  /// code points, which a model over variables does not know).
  var config: ModelConfig {
    configuration
      ?? ModelConfig(
        depth: depth, dim: dim, mixDim: mdn.components, epsilon: mdn.epsilon, peepholes: peepholes, synthesis: true,
        window: window)
  }

  /// The config the model was made from (nil for a model over variables).
  private var configuration: ModelConfig? = nil

  /// The parameter named `name`.
  func param(_ name: String) -> Var { parameters.first { $0.name == name }!.variable }

  /// One LSTM step of layer l on its input row `x` [B, I].
  func lstm(_ l: Int, _ x: Var, h: Var, c: Var) -> (h: Var, c: Var) {
    let g = matmul(x, param("transition/layer\(l)/W")) + matmul(h, param("transition/layer\(l)/U"))
      + param("transition/layer\(l)/b")
    let p = peepholes ? param("transition/layer\(l)/peephole") : nil
    return lstmCell(g, c: c, dim: dim, peephole: p, clipDerivatives: derivativeClipping)
  }

  /// The window at one step: from layer 0's output h⁰ [B, D] and the previous kappa [B, K], the log
  /// weights `alpha_hat` and the widths `beta` [B, K], the new kappa, phi [B, U] and w [B, A], over
  /// the one-hot text `C` [B, U, A] (padding rows zero) and `cmask` [B, U].
  func attend(_ h0: Var, kappa: Var, text C: Var, cmask: Var)
    -> (alphaHat: Var, beta: Var, kappa: Var, phi: Var, w: Var)
  {
    let K = window
    let p = matmul(h0, param("window/W")) + param("window/b")
    let alphaHat = p[.all, 0..<K]
    let beta = exp(p[.all, K..<(2 * K)])
    let kappa2 = kappa + exp(p[.all, (2 * K)...])
    let u = arange(.dim(C, 1), dtype: h0.dtype)  // character positions 0..<U
    let phi =
      sum(exp(alphaHat[.all, .all, .newAxis] - beta[.all, .all, .newAxis] * square(kappa2[.all, .all, .newAxis] - u)), axes: [1])
      * cmask
    let w = sum(phi[.all, .all, .newAxis] * C, axes: [1])
    return (alphaHat, beta, kappa2, phi, w)
  }

  /// The carries of the recurrence, zeros of `dtype` for a batch of `like`'s size on `axis` (kappa, w,
  /// then hˡ, cˡ).
  func initialCarries(batchOf like: Var, axis: Int = 1, dtype: DType) -> [(String, Var)] {
    let zeros = { (n: Int) in broadcast(constant(0, dtype), to: [.dim(like, axis), n]) }
    var carries: [(String, Var)] = [("kappa", zeros(window)), ("w", zeros(alphabet))]
    for l in 0..<depth { carries += [("h\(l)", zeros(dim)), ("c\(l)", zeros(dim))] }
    return carries
  }

  /// One step of the network on the input point x [B, 3]: the new carries, the window, and each
  /// layer's output, concatenated [B, L·D] (the readout's input).
  func step(_ x: Var, _ s: ScanStep, text C: Var, cmask: Var)
    -> (next: [String: Var], window: (alphaHat: Var, beta: Var, kappa: Var, phi: Var, w: Var), h: Var)
  {
    var next: [String: Var] = [:]
    let (h0, c0) = lstm(0, concatenate([x, s["w"]], axis: 1), h: s["h0"], c: s["c0"])
    let win = attend(h0, kappa: s["kappa"], text: C, cmask: cmask)
    (next["h0"], next["c0"], next["kappa"], next["w"]) = (h0, c0, win.kappa, win.w)
    var below = h0
    for l in 1..<Swift.max(depth, 1) where l < depth {
      let (h, c) = lstm(l, concatenate([x, below, win.w], axis: 1), h: s["h\(l)"], c: s["c\(l)"])
      (next["h\(l)"], next["c\(l)"]) = (h, c)
      below = h
    }
    return (next, win, concatenate((0..<depth).map { next["h\($0)"]! }, axis: 1))
  }

  /// The one-hot text [B, U, A] of `chars` [B, U], with the padding (`cmask` 0) rows zero.
  func text(_ chars: Var, cmask: Var) -> Var {
    oneHot(chars, depth: alphabet, dtype: cmask.dtype) * cmask[.all, .all, .newAxis]
  }

  /// The training graph for strokes x [T+1, B, 3] (inputs x[:-1], targets x[1:]), stroke mask [T, B],
  /// characters [B, U] (int32) and char mask [B, U]: the cost `sum(mask · nll) / B`, the per-step NLL
  /// [T, B], the window's trace phi [T, B, U], kappa [T, B, K], w [T, B, A], and the readout
  /// [T·B, 6M+1] (whose derivatives are clipped to [-100, 100] with `derivativeClipping`).
  func cost(strokes x: Var, mask: Var?, chars: Var, cmask: Var)
    -> (cost: Var, nll: Var, phi: Var, kappa: Var, w: Var, readout: Var)
  {
    let inputs = x[..<(-1)]
    let C = text(chars, cmask: cmask)
    let r = scan(sequenceList: [("x", inputs)], carryList: initialCarries(batchOf: x, dtype: x.dtype), mask: mask) { s in
      let (next, win, h) = step(s["x"], s, text: C, cmask: cmask)
      return ScanStepResult(carries: next, outputs: ["phi": win.phi, "kappa": win.kappa, "w": win.w, "h": h])
    }
    var y = matmul(reshape(r["h"], [-1, depth * dim]), param("readout/W")) + param("readout/b")
    if derivativeClipping { y = clipGradient(y, -100, 100) }
    let nll = reshape(mdn.negativeLogLikelihood(y, reshape(x[1...], [-1, 3])), [.dim(inputs, 0), .dim(inputs, 1)])
    let weighted = mask.map { nll * $0 } ?? nll
    return (sum(weighted) / size(x, axes: [1]), nll, r["phi"], r["kappa"], r["w"], y)
  }
}
