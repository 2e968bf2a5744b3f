import Foundation

/// The architecture of the handwriting model, as the original command line sets it.
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

  /// Width of the readout: 6M + 1.
  var readoutWidth: Int { 6 * mixDim + 1 }
  /// Gates per layer: 4 for LSTM (i, f, g, o), 3 for GRU (z, r, n).
  var gates: Int { gru ? 3 : 4 }

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
