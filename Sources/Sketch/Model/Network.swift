import Codegen

/// The network a model file or `sketch train` describes: the prediction network (``HandwritingModel``)
/// or, with `config.synthesis`, the synthesis network (``SynthesisModel``).
enum Network {
  /// The prediction network (Graves section 4).
  case prediction(HandwritingModel)
  /// The synthesis network (Graves section 5).
  case synthesis(SynthesisModel)

  /// The parameters' names and shapes for `config`, in the model's order.
  static func parameterShapes(_ config: ModelConfig) -> [(String, [Int])] {
    config.synthesis ? SynthesisModel.parameterShapes(config) : HandwritingModel.parameterShapes(config)
  }

  /// A freshly initialised network, deterministic per seed.
  init(config: ModelConfig, seed: UInt64) {
    self.init(config: config, values: initialValues(Self.parameterShapes(config), config: config, seed: seed))
  }

  /// A network holding the given parameter values (every parameter of `config`, checked before).
  init(config: ModelConfig, values: [String: Tensor]) {
    self = config.synthesis
      ? .synthesis(SynthesisModel(config: config, values: values))
      : .prediction(HandwritingModel(config: config, values: values))
  }

  /// The architecture.
  var config: ModelConfig {
    switch self {
    case .prediction(let m): return m.config
    case .synthesis(let m): return m.config
    }
  }

  /// The parameters in a fixed order.
  var parameters: [(name: String, variable: Var)] {
    switch self {
    case .prediction(let m): return m.parameters
    case .synthesis(let m): return m.parameters
    }
  }

  /// The prediction network, or nil for the synthesis network.
  var prediction: HandwritingModel? {
    if case .prediction(let m) = self { return m }
    return nil
  }

  /// The synthesis network, or nil for the prediction network.
  var synthesisModel: SynthesisModel? {
    if case .synthesis(let m) = self { return m }
    return nil
  }

  /// The same network with Graves' derivative clipping on or off in its training graph.
  func clippingDerivatives(_ on: Bool) -> Network {
    switch self {
    case .prediction(var m):
      m.derivativeClipping = on
      return .prediction(m)
    case .synthesis(var m):
      m.derivativeClipping = on
      return .synthesis(m)
    }
  }
}

/// Initial values for parameters of `shapes`: vectors (biases, peepholes) zero, except the synthesis
/// window's bias (``SynthesisModel/initialWindowBias(window:)``); matrices uniform in
/// [-u, u] with `config.uniform` u > 0, else orthogonal blocks scaled as Glorot (blocks of the state
/// width for the transitions, the whole width otherwise). Parameter k draws from the seed's key folded
/// with k.
func initialValues(_ shapes: [(String, [Int])], config: ModelConfig, seed: UInt64) -> [String: Tensor] {
  let key = RandomKey(seed: seed)
  var values: [String: Tensor] = [:]
  for (k, (name, shape)) in shapes.enumerated() {
    if config.synthesis && name == "window/b" {
      values[name] = SynthesisModel.initialWindowBias(window: config.window)
    } else if shape.count == 1 {
      values[name] = Tensor.zeros(.float32, shape)
    } else if config.uniform > 0 {
      values[name] = Initializer.uniform(shape, width: config.uniform, key: key.fold(UInt64(k)))
    } else {
      let block = name.hasPrefix("transition") ? config.dim : shape[1]
      values[name] = Initializer.orthogonalGlorot(shape, blockWidth: block, key: key.fold(UInt64(k)))
    }
  }
  return values
}
