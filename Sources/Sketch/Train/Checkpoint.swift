import Codegen
import Foundation
import SketchFiles

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
/// `version` (1), `config` (the model's JSON), `training` (options JSON), `position` (JSON), `experiment`,
/// `data_std` (the training data's deviations of dx and dy, when known).
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
    /// The deviations of dx and dy the training data was divided by (to draw in the data's units);
    /// nil in files written before it was recorded.
    var scale: (x: Double, y: Double)? = nil
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
      if let scale = c.scale { try f.setAttribute("data_std", .doubles([scale.x, scale.y])) }
      for (name, t) in c.parameters.sorted(by: { $0.key < $1.key }) { try f.write(t, to: "params/\(name)") }
      for (name, t) in c.optimizerState.sorted(by: { $0.key < $1.key }) { try f.write(t, to: name) }
      try f.commit()
    } catch {
      f.discard()
      throw error
    }
  }

  /// Reads a model file. Everything read is validated before it is used, with an error naming the file
  /// and the field: the config (valid JSON, sizes in range), every parameter's shape (checked before
  /// its data is read), the optimizer state (no dataset larger than the file can hold) and the
  /// position (no negative counts). It is all read first in a child process (``HDF5Probe``), so that
  /// a damaged file that would crash libhdf5 is refused instead (`dryRun: false` skips that).
  static func read(_ path: String, dryRun: Bool = true) throws -> Contents {
    if dryRun, let size = try? InputFile.requireRegular(path) {
      do {
        try HDF5Probe.dryRun(path, size: size) { _ = try Checkpoint.read(path, dryRun: false) }
      } catch let error as HDF5Error {
        throw ConfigError(message: "\(path): \(error.message)")
      }
    }
    let f: HDF5File
    do {
      f = try HDF5File.open(path)
    } catch let error as HDF5Error where error.message == "no such file" {
      throw ConfigError(message: "no model file at \(path)")
    } catch let error as HDF5Error where error.message.hasSuffix("not a regular file") {
      throw ConfigError(message: "\(path) \(error.message); give a model file or an experiment folder")
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
    let config: ModelConfig = try decode(try f.stringAttribute("config"), field: "config", path: path)
    do {
      try config.validate(field: true)
    } catch let error as ConfigError {
      throw ConfigError(message: "\(path): the 'config' attribute is invalid: \(error.message)")
    }
    var params: [String: Tensor] = [:]
    for (name, shape) in Network.parameterShapes(config) {
      guard f.exists("params/\(name)") else { throw ConfigError(message: "\(path) has no parameter '\(name)'") }
      let stored = try f.info(of: "params/\(name)")
      guard stored.shape == shape else {
        throw ConfigError(
          message: "\(path): parameter '\(name)' is \(stored.shape) in the file; its 'config' "
            + "needs \(shape)")
      }
      params[name] = try f.read("params/\(name)")
    }
    do {
      try HandwritingModel.validate(values: params, config: config)
    } catch let error as ConfigError {
      throw ConfigError(message: "\(path): \(error.message)")
    }
    var opt: [String: Tensor] = [:]
    if f.exists("optimizer") {
      for name in try datasets(in: f, under: "optimizer") { opt[name] = try f.read(name) }
    }
    let position: TrainingPosition = try decode(try f.stringAttribute("position"), field: "position", path: path)
    for (field, value) in [("epoch", position.epoch), ("batchInEpoch", position.batchInEpoch), ("step", position.step)]
    where value < 0 {
      throw ConfigError(
        message: "\(path): the 'position' attribute has \(field) \(value); it cannot be negative "
          + "(the file is damaged)")
    }
    let std = (try? f.doublesAttribute("data_std")) ?? []
    let scale = std.count == 2 && std.allSatisfy({ $0.isFinite && $0 > 0 }) ? (x: std[0], y: std[1]) : nil
    return Contents(
      config: config, parameters: params, optimizerState: opt, training: try f.stringAttribute("training"),
      position: position, experiment: try f.stringAttribute("experiment"), scale: scale)
  }

  /// The JSON attribute `field` of the model file at `path`, decoded; an error names both.
  private static func decode<T: Decodable>(_ text: String, field: String, path: String) throws -> T {
    do {
      return try JSONDecoder().decode(T.self, from: Data(text.utf8))
    } catch let error as DecodingError {
      let detail: String
      switch error {
      case .dataCorrupted(let c): detail = "not valid JSON (\(c.debugDescription))"
      case .keyNotFound(let key, _): detail = "no '\(key.stringValue)' key"
      case .typeMismatch(_, let c), .valueNotFound(_, let c):
        detail = "'\(c.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type"
      @unknown default: detail = "\(error)"
      }
      throw ConfigError(message: "\(path): the '\(field)' attribute is not valid: \(detail)")
    }
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
