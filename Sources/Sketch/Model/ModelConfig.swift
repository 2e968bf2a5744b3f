import Foundation

/// The architecture of the handwriting model, as the original command line sets it (and `--synthesis`,
/// `--window`, `--peepholes`).
///
/// In a model file's `config` JSON, the keys of the prediction model's original flags are required;
/// `peepholes`, `synthesis`, `window` and `alphabet` are written only when they are used, and a file
/// without them is a prediction model without peepholes (every model file written before them).
struct ModelConfig: Codable, Equatable {
  /// Recurrent layers.
  var depth = 3
  /// State size of each layer.
  var dim = 700
  /// Mixture components.
  var mixDim = 20
  /// GRU transitions instead of LSTM.
  var gru = false
  /// The input feeds every layer, and every layer's states feed the readout.
  var skip = false
  /// The input feeds every layer; only the top layer feeds the readout.
  var top = false
  /// Dropout rate on each layer's output states (training only).
  var dropout = 0.0
  /// The epsilon of the mixture-density cost.
  var epsilon = 1e-5
  /// Uniform initialisation in [-u, u] when > 0; else orthogonal blocks scaled as Glorot.
  var uniform = 0.0
  /// LSTM peephole connections (Graves 2013, eqs. 7-11): diagonal weights, zero-initialised.
  var peepholes = false
  /// The synthesis network (Graves section 5: a soft window over a text) instead of the prediction one.
  var synthesis = false
  /// Gaussians in the synthesis network's window (K).
  var window = 10
  /// The synthesis network's alphabet as Unicode code points, sorted (character id = index); nil for
  /// the prediction network.
  var alphabet: [UInt32]? = nil

  /// The keys of the `config` JSON.
  enum CodingKeys: String, CodingKey {
    case depth, dim, mixDim, gru, skip, top, dropout, epsilon, uniform, peepholes, synthesis, window, alphabet
  }

  /// The default configuration with the given fields (the memberwise form the tests use).
  init(
    depth: Int = 3, dim: Int = 700, mixDim: Int = 20, gru: Bool = false, skip: Bool = false, top: Bool = false,
    dropout: Double = 0.0, epsilon: Double = 1e-5, uniform: Double = 0.0, peepholes: Bool = false,
    synthesis: Bool = false, window: Int = 10, alphabet: [UInt32]? = nil
  ) {
    (self.depth, self.dim, self.mixDim, self.gru, self.skip, self.top) = (depth, dim, mixDim, gru, skip, top)
    (self.dropout, self.epsilon, self.uniform, self.peepholes) = (dropout, epsilon, uniform, peepholes)
    (self.synthesis, self.window, self.alphabet) = (synthesis, window, alphabet)
  }

  /// Decodes a `config` JSON: the original keys are required, the later ones default when absent.
  init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    depth = try c.decode(Int.self, forKey: .depth)
    dim = try c.decode(Int.self, forKey: .dim)
    mixDim = try c.decode(Int.self, forKey: .mixDim)
    gru = try c.decode(Bool.self, forKey: .gru)
    skip = try c.decode(Bool.self, forKey: .skip)
    top = try c.decode(Bool.self, forKey: .top)
    dropout = try c.decode(Double.self, forKey: .dropout)
    epsilon = try c.decode(Double.self, forKey: .epsilon)
    uniform = try c.decode(Double.self, forKey: .uniform)
    peepholes = try c.decodeIfPresent(Bool.self, forKey: .peepholes) ?? false
    synthesis = try c.decodeIfPresent(Bool.self, forKey: .synthesis) ?? false
    window = try c.decodeIfPresent(Int.self, forKey: .window) ?? 10
    alphabet = try c.decodeIfPresent([UInt32].self, forKey: .alphabet)
  }

  /// Encodes the `config` JSON; a prediction model without peepholes has exactly the original keys.
  func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(depth, forKey: .depth)
    try c.encode(dim, forKey: .dim)
    try c.encode(mixDim, forKey: .mixDim)
    try c.encode(gru, forKey: .gru)
    try c.encode(skip, forKey: .skip)
    try c.encode(top, forKey: .top)
    try c.encode(dropout, forKey: .dropout)
    try c.encode(epsilon, forKey: .epsilon)
    try c.encode(uniform, forKey: .uniform)
    if peepholes { try c.encode(peepholes, forKey: .peepholes) }
    if synthesis {
      try c.encode(synthesis, forKey: .synthesis)
      try c.encode(window, forKey: .window)
      try c.encodeIfPresent(alphabet, forKey: .alphabet)
    }
  }

  /// Width of the readout: 6M + 1.
  var readoutWidth: Int { 6 * mixDim + 1 }
  /// Gates per layer: 4 for LSTM (i, f, g, o), 3 for GRU (z, r, n).
  var gates: Int { gru ? 3 : 4 }

  /// The number of characters of the synthesis network's alphabet (0 for the prediction network).
  var alphabetSize: Int { alphabet?.count ?? 0 }

  /// The width of layer l's input: the strokes (3), the previous layer's states, or both with skip/top.
  func inputWidth(layer l: Int) -> Int {
    if l == 0 { return 3 }
    return (skip || top) ? dim + 3 : dim
  }

  /// The layers whose states feed the readout.
  var readoutLayers: [Int] { skip ? Array(0..<depth) : [depth - 1] }

  /// The largest sizes accepted (a model file's config is checked against them before any shape is
  /// computed from it).
  static let maxDepth = 64
  static let maxDim = 65_536
  static let maxMixDim = 4_096
  /// The most Gaussians in the synthesis window.
  static let maxWindow = 1_024
  /// The most characters in a synthesis alphabet.
  static let maxAlphabet = 65_536

  /// Throws a ``ConfigError`` naming the first setting out of range, as its command-line flag
  /// (`--depth`), or with `field` true as its key in a model file's `config` JSON (`depth`).
  func validate(field: Bool = false) throws {
    func bad(_ flag: String, _ key: String, _ s: String) -> ConfigError {
      ConfigError(message: (field ? key : flag) + " " + s)
    }
    if !(1...Self.maxDepth).contains(depth) {
      throw bad("--depth", "depth", "must be in 1...\(Self.maxDepth), got \(depth)")
    }
    if !(1...Self.maxDim).contains(dim) { throw bad("--dim", "dim", "must be in 1...\(Self.maxDim), got \(dim)") }
    if !(1...Self.maxMixDim).contains(mixDim) {
      throw bad("--mix-dim", "mixDim", "must be in 1...\(Self.maxMixDim), got \(mixDim)")
    }
    if skip && depth < 2 { throw bad("--skip", "skip", "needs a depth of at least 2 (as the original)") }
    if top && depth < 2 { throw bad("--top", "top", "needs a depth of at least 2 (as the original)") }
    if !(0..<1).contains(dropout) { throw bad("--dropout", "dropout", "must be in [0, 1), got \(dropout)") }
    if !(0...1).contains(epsilon) { throw bad("--epsilon", "epsilon", "must be in [0, 1], got \(epsilon)") }
    if !(0...10).contains(uniform) { throw bad("--uniform", "uniform", "must be in [0, 10], got \(uniform)") }
    if peepholes && gru { throw bad("--peepholes", "peepholes", "is for LSTM layers; it cannot be used with --GRU") }
    guard synthesis else { return }
    if !(1...Self.maxWindow).contains(window) {
      throw bad("--window", "window", "must be in 1...\(Self.maxWindow), got \(window)")
    }
    // The synthesis network has one form: LSTM layers, the input and the window feeding every layer,
    // every layer feeding the readout.
    for (on, flag, key) in [(gru, "--GRU", "gru"), (skip, "--skip", "skip"), (top, "--top", "top")] where on {
      throw bad(flag, key, "cannot be used with --synthesis (its layers are LSTMs, all fed the input and the window)")
    }
    if dropout != 0 { throw bad("--dropout", "dropout", "cannot be used with --synthesis, got \(dropout)") }
    guard let a = alphabet else {
      throw ConfigError(message: (field ? "alphabet" : "the alphabet") + " is missing (a synthesis model needs one)")
    }
    if !(1...Self.maxAlphabet).contains(a.count) {
      throw ConfigError(message: "alphabet must have 1...\(Self.maxAlphabet) characters, got \(a.count)")
    }
    if let bad = a.first(where: { Unicode.Scalar($0) == nil }) {
      throw ConfigError(message: "alphabet holds \(bad), which is not a Unicode code point")
    }
    if zip(a, a.dropFirst()).contains(where: { $0 >= $1 }) {
      throw ConfigError(message: "alphabet must be sorted code points without repeats")
    }
  }

  func json() -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    return String(decoding: try! e.encode(self), as: UTF8.self)
  }
}

struct ConfigError: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}
