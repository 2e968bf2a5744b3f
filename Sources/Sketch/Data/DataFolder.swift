import Foundation

/// Where Sketch keeps per-user data: `$XDG_DATA_HOME/sketch`, else `~/.local/share/sketch`.
public enum DataFolder {
  /// The folder for `environment` (the process environment by default).
  public static func path(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") { return xdg + "/sketch" }
    let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
    return home + "/.local/share/sketch"
  }
}

/// The built-in dataset: what training uses when the user gives no data. It is generated on first use
/// (`sketch data hershey` with the defaults) into the data folder and reused after.
public enum BuiltinDataset {
  /// The file name, versioned with the generator so that a changed generator makes a new file.
  public static var fileName: String { "hershey-v\(HersheyGenerator.version)-seed0.h5" }

  /// The path of the built-in dataset in `folder`.
  public static func path(in folder: String = DataFolder.path()) -> String { folder + "/" + fileName }

  /// The built-in dataset's path, generating it first when it is missing or unreadable.
  public static func ensure(folder: String = DataFolder.path(), quiet: Bool = false) throws -> String {
    let file = path(in: folder)
    if fileKind(file).exists, (try? StrokeDataset(path: file)) != nil { return file }
    do {
      try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    } catch {
      throw DataError(
        folder, "cannot create the data folder (\(error.localizedDescription))",
        hint: "set XDG_DATA_HOME to a writable folder, or give a dataset file")
    }
    if !quiet { printError("creating the built-in handwriting dataset in \(file) (once; a few seconds to a minute)") }
    var generator = HersheyGenerator()
    generator.quiet = quiet
    generator.commandLine = "built-in dataset (sketch data hershey defaults)"
    let summary = try generator.run(output: file)
    if !quiet { printError(summary.report(output: file, kind: "generated lines")) }
    return file
  }

  /// The dataset to train on: `userPath` when given (it must exist), else the built-in dataset.
  public static func resolve(_ userPath: String?, quiet: Bool = false) throws -> String {
    if let userPath {
      guard fileKind(userPath).exists else {
        throw DataError(
          userPath, "no such dataset file",
          hint: "make one with `sketch data iam|hershey|svg`, or leave it out to use the built-in dataset")
      }
      return userPath
    }
    return try ensure(quiet: quiet)
  }
}
