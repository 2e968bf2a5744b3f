import Foundation

/// What `--model continue` takes from the run it continues, and what it tells the user.
enum ContinuedRun {
  /// The dataset to continue on. With `--data`, that file (a warning when it is not the one the run
  /// recorded); else the recorded file, which must still exist and be the same file (its identity).
  static func dataset(recorded: TrainingSettings, flag: String?, warn: (String) -> Void) throws -> String {
    if let flag {
      let path = absolutePath(flag)
      let identity = try DatasetIdentity.of(path)
      if !recorded.data.isEmpty && (path != recorded.data || (recorded.dataIdentity.map { $0 != identity } ?? false)) {
        warn(
          "warning: --data \(path) is not the dataset this run was trained on (\(recorded.data)"
            + "\(recorded.dataIdentity.map { ", \($0)" } ?? "")); continuing on \(path) (\(identity))")
      }
      return path
    }
    let path = recorded.data
    guard !path.isEmpty else { throw ContinuedRunError(description: "the run records no dataset; pass --data FILE") }
    if !path.hasPrefix("/") {
      warn("warning: this run recorded its dataset as the relative path \(path); reading \(absolutePath(path))")
    }
    guard FileManager.default.fileExists(atPath: path) else {
      throw ContinuedRunError(
        description: "this run was trained on \(absolutePath(path)), which no longer exists; "
          + "pass --data FILE to continue on another dataset")
    }
    if let recordedIdentity = recorded.dataIdentity {
      let now = try DatasetIdentity.of(path)
      guard now == recordedIdentity else {
        throw ContinuedRunError(
          description: "the dataset \(path) has changed since this run started (it was \(recordedIdentity), "
            + "it is \(now)); pass --data \(path) to continue on it anyway")
      }
    }
    return absolutePath(path)
  }

  /// Notes for the flags whose values differ from the run being continued. The run keeps its recorded
  /// seed and schedules (so it continues exactly); the thread count is taken from the flags, and a
  /// different one changes results in rounding (see docs/reliability.md).
  static func differences(flags: TrainingSettings, recorded: TrainingSettings) -> [String] {
    var kept: [(flag: String, recorded: String, given: String)] = []
    func compare<T: Equatable>(_ flag: String, _ key: KeyPath<TrainingSettings, T>, _ show: (T) -> String) {
      if flags[keyPath: key] != recorded[keyPath: key] {
        kept.append((flag, show(recorded[keyPath: key]), show(flags[keyPath: key])))
      }
    }
    compare("--seed", \.seed) { "\($0)" }
    compare("--test-every", \.testEvery) { "\($0)" }
    compare("--sample-every", \.sampleEvery) { "\($0)" }
    compare("--save-every", \.saveEvery) { "\($0)" }
    compare("--test-batches", \.testBatches) { $0.map { "\($0)" } ?? "all" }
    var notes: [String] = []
    if !kept.isEmpty {
      notes.append(
        "note: the run being continued keeps its " + kept.map { "\($0.flag) \($0.recorded)" }.joined(separator: ", ")
          + " (the flags give " + kept.map { "\($0.flag) \($0.given)" }.joined(separator: ", ")
          + "); start a new run to change them")
    }
    if let was = recorded.threads, let now = flags.threads, was != now {
      notes.append(
        "note: this run was trained with \(was) threads and continues with \(now): results will differ in "
          + "rounding from a run that keeps one thread count (pass --threads \(was) to continue it exactly)")
    }
    return notes
  }
}

struct ContinuedRunError: Error, CustomStringConvertible {
  let description: String
}
