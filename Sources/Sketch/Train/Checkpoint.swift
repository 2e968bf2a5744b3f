import Codegen
import Foundation

/// Where training stands: saved with the parameters so `--model continue` resumes exactly.
struct TrainingPosition: Codable, Equatable {
  /// Epochs completed.
  var epoch = 0
  /// Batches completed within the current epoch.
  var batchInEpoch = 0
  /// Optimizer steps taken in total.
  var step = 0
  /// The seed of the data order and dropout.
  var seed: UInt64 = 0
}

/// The model file: an HDF5 file that h5py users can read.
///
/// Layout: `/params/<module path>` (float32 datasets, e.g. `/params/transition/layer0/W`),
/// `/optimizer/<state>/<module path>` and `/optimizer/t`; root attributes `format` ("sketch-model"),
/// `version` (1), `config` (the model's JSON), `training` (options JSON), `position` (JSON), `experiment`.
/// Written under a temporary name and renamed, so a crash never leaves a half-written model.
enum Checkpoint {
  static let format = "sketch-model"
  static let version = 1

  struct Contents {
    var config: ModelConfig
    var parameters: [String: Tensor]
    var optimizerState: [String: Tensor]
    var training: String
    var position: TrainingPosition
    var experiment: String
  }

  static func write(_ c: Contents, to path: String) throws {
    let f = try HDF5File.create(path)
    do {
      try f.setAttribute("format", .string(format))
      try f.setAttribute("version", .int(version))
      try f.setAttribute("config", .string(c.config.json()))
      try f.setAttribute("training", .string(c.training))
      try f.setAttribute("experiment", .string(c.experiment))
      let pos = String(decoding: try JSONEncoder().encode(c.position), as: UTF8.self)
      try f.setAttribute("position", .string(pos))
      for (name, t) in c.parameters.sorted(by: { $0.key < $1.key }) { try f.write(t, to: "params/\(name)") }
      for (name, t) in c.optimizerState.sorted(by: { $0.key < $1.key }) { try f.write(t, to: name) }
      try f.commit()
    } catch {
      f.discard()
      throw error
    }
  }

  static func read(_ path: String) throws -> Contents {
    guard FileManager.default.fileExists(atPath: path) else {
      throw ConfigError(message: "no model file at \(path)")
    }
    let f: HDF5File
    do {
      f = try HDF5File.open(path)
    } catch {
      throw ConfigError(message: "\(path) is not a Sketch model file (not readable as HDF5: \(error))")
    }
    defer { try? f.close() }
    guard (try? f.stringAttribute("format")) == format else {
      throw ConfigError(message: "\(path) is an HDF5 file but not a Sketch model (no format=\"\(format)\" attribute)")
    }
    let v = try f.intAttribute("version")
    guard v == version else {
      throw ConfigError(message: "\(path) is a version \(v) model file; this sketch reads version \(version)")
    }
    let config = try ModelConfig.fromJSON(try f.stringAttribute("config"))
    var params: [String: Tensor] = [:]
    for (name, _) in HandwritingModel.parameterShapes(config) {
      guard f.exists("params/\(name)") else { throw ConfigError(message: "\(path) has no parameter '\(name)'") }
      params[name] = try f.read("params/\(name)")
    }
    try HandwritingModel.validate(values: params, config: config)
    var opt: [String: Tensor] = [:]
    if f.exists("optimizer") {
      for name in try datasets(in: f, under: "optimizer") { opt[name] = try f.read(name) }
    }
    let position = try JSONDecoder().decode(TrainingPosition.self, from: Data(try f.stringAttribute("position").utf8))
    return Contents(
      config: config, parameters: params, optimizerState: opt, training: try f.stringAttribute("training"),
      position: position, experiment: try f.stringAttribute("experiment"))
  }

  /// Paths of every dataset below a group.
  static func datasets(in f: HDF5File, under group: String) throws -> [String] {
    var out: [String] = []
    for m in try f.members(of: group) {
      let p = "\(group)/\(m)"
      if case .group = try f.kind(of: p) { out += try datasets(in: f, under: p) } else { out.append(p) }
    }
    return out
  }
}
