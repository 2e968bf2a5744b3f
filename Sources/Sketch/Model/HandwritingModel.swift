import Codegen

/// The handwriting prediction network of Graves (2013) as udibr/sketch builds it: stacked recurrent
/// layers (LSTM or GRU), optional skip connections, and a mixture-density readout.
///
/// Parameters are shared variables named by module path: `transition/layer{l}/W` `[I, gates*D]`,
/// `transition/layer{l}/U` `[D, gates*D]`, `transition/layer{l}/b`, `readout/W` `[R, 6M+1]`, `readout/b`.
/// Blocks' LSTM has peepholes; this one (like the JAX reference of docs/native.md) has them only with
/// `config.peepholes`: `transition/layer{l}/peephole` `[3D]` (i | f | o), listed after the readout so
/// that the other parameters are initialised as without them.
struct HandwritingModel {
  let config: ModelConfig
  /// Graves' derivative clipping in the training graph: the readout's derivatives clamped to
  /// [-100, 100], each LSTM gate pre-activation's to [-10, 10] (a training setting, not architecture).
  var derivativeClipping = false
  /// Parameters in a fixed order (layers bottom-up, then the readout).
  let parameters: [(name: String, variable: Var)]
  let mdn: MixtureDensity

  static func parameterShapes(_ c: ModelConfig) -> [(String, [Int])] {
    var s: [(String, [Int])] = []
    for l in 0..<c.depth {
      s.append(("transition/layer\(l)/W", [c.inputWidth(layer: l), c.gates * c.dim]))
      s.append(("transition/layer\(l)/U", [c.dim, c.gates * c.dim]))
      s.append(("transition/layer\(l)/b", [c.gates * c.dim]))
    }
    s.append(("readout/W", [c.readoutLayers.count * c.dim, c.readoutWidth]))
    s.append(("readout/b", [c.readoutWidth]))
    if c.peepholes && !c.gru { for l in 0..<c.depth { s.append(("transition/layer\(l)/peephole", [3 * c.dim])) } }
    return s
  }

  /// A freshly initialised model (biases zero; weights per `config.uniform`), deterministic per seed.
  init(config: ModelConfig, seed: UInt64) {
    self.init(config: config, values: initialValues(Self.parameterShapes(config), config: config, seed: seed))
  }

  /// A model holding the given parameter values (checked by `validate(values:)` first when untrusted).
  init(config: ModelConfig, values: [String: Tensor]) {
    self.config = config
    self.parameters = Self.parameterShapes(config).map { name, _ in (name, shared(values[name]!, name: name)) }
    self.mdn = MixtureDensity(components: config.mixDim, epsilon: config.epsilon)
  }

  /// A model over existing variables (tests build it on float64 inputs).
  init(config: ModelConfig, variables: [Var]) {
    self.config = config
    self.parameters = zip(Self.parameterShapes(config), variables).map { ($0.0, $1) }
    self.mdn = MixtureDensity(components: config.mixDim, epsilon: config.epsilon)
  }

  /// Checks that `values` has every parameter of `config` with the right shape.
  static func validate(values: [String: Tensor], config: ModelConfig) throws {
    for (name, shape) in Network.parameterShapes(config) {
      guard let t = values[name] else { throw ConfigError(message: "the model file has no parameter '\(name)'") }
      guard t.shape == shape, t.dtype == .float32 else {
        throw ConfigError(
          message: "parameter '\(name)' is \(t.dtype)\(t.shape) in the file; the config needs float32\(shape)")
      }
    }
  }

  /// The parameter named `name`.
  func param(_ name: String) -> Var { parameters.first { $0.name == name }!.variable }

  /// Layer l, with its peepholes when the config has them and the derivative clipping when it is on.
  func layer(_ l: Int) -> RecurrentLayer {
    RecurrentLayer(
      W: param("transition/layer\(l)/W"), U: param("transition/layer\(l)/U"), b: param("transition/layer\(l)/b"),
      gru: config.gru, peephole: config.peepholes && !config.gru ? param("transition/layer\(l)/peephole") : nil,
      clipDerivatives: derivativeClipping)
  }

  /// The training graph for strokes x [T+1, B, 3] (inputs x[:-1], targets x[1:]) and mask [T, B]:
  /// the cost `sum(mask * nll) / B`, the per-step NLL [T, B] and the readout [T*B, 6M+1].
  /// With `dropoutKey` (int32[2]) and `config.dropout > 0`, each layer's states are dropped out.
  func cost(strokes x: Var, mask: Var?, dropoutKey: Var? = nil) -> (cost: Var, nll: Var, readout: Var) {
    let inputs = x[..<(-1)]
    let targets = x[1...]
    var states: [Var] = []
    for l in 0..<config.depth {
      var inp = inputs
      if l > 0 { inp = (config.skip || config.top) ? concatenate([inputs, states[l - 1]], axis: 2) : states[l - 1] }
      var hs = layer(l)(inp, mask: mask)
      if let key = dropoutKey, config.dropout > 0 {
        let keep = 1 - config.dropout
        let drop = bernoulli(foldIn(key, Int32(l)), fill(like: hs, keep)).cast(hs.dtype)
        hs = hs * drop / keep
      }
      states.append(hs)
    }
    let readIn = concatenate(config.readoutLayers.map { states[$0] }, axis: 2)
    let R = config.readoutLayers.count * config.dim
    var y = matmul(reshape(readIn, [-1, .n(R)]), param("readout/W")) + param("readout/b")
    if derivativeClipping { y = clipGradient(y, -100, 100) }
    let nll = reshape(mdn.negativeLogLikelihood(y, reshape(targets, [-1, 3])), [.dim(inputs, 0), .dim(inputs, 1)])
    let weighted = mask.map { nll * $0 } ?? nll
    return (sum(weighted) / size(x, axes: [1]), nll, y)
  }
}
