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

  func validate() throws {
    func bad(_ s: String) -> ConfigError { ConfigError(message: s) }
    if depth < 1 { throw bad("--depth must be at least 1, got \(depth)") }
    if dim < 1 { throw bad("--dim must be at least 1, got \(dim)") }
    if mixDim < 1 { throw bad("--mix-dim must be at least 1, got \(mixDim)") }
    if skip && depth < 2 { throw bad("--skip needs --depth of at least 2 (as the original)") }
    if top && depth < 2 { throw bad("--top needs --depth of at least 2 (as the original)") }
    if !(0..<1).contains(dropout) { throw bad("--dropout must be in [0, 1), got \(dropout)") }
    if !(epsilon >= 0) { throw bad("--epsilon must be >= 0, got \(epsilon)") }
    if !(uniform >= 0) { throw bad("--uniform must be >= 0, got \(uniform)") }
  }

  func json() -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    return String(decoding: try! e.encode(self), as: UTF8.self)
  }

  static func fromJSON(_ s: String) throws -> ModelConfig {
    try JSONDecoder().decode(ModelConfig.self, from: Data(s.utf8))
  }
}

struct ConfigError: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}
