import Codegen
import Foundation
import SketchFiles

/// `sketch data iam`: IAM-OnDB lineStrokes (archive or folder) to a stroke dataset file.
struct IAMImporter {
  var input: String
  var output: String
  var ascii: String? = nil
  var maxPoints = 1200
  var seed = 0
  var quiet = false
  var commandLine = ""

  func run() throws -> ImportSummary {
    let strokes = try ImportInput(input, what: "lineStrokes-all.tar.gz or the folder it unpacks to")
    let files = filesUnder(strokes.root, suffixes: [".xml"])
    guard !files.isEmpty else {
      throw DataError(
        input, "no .xml files found",
        hint: "give lineStrokes-all.tar.gz from IAM-OnDB or the folder it unpacks to")
    }
    var transcriptions: [String: [String]]? = nil
    var inputs = files + [input]
    if let ascii {
      let folder = try ImportInput(ascii, what: "ascii-all.tar.gz or the folder it unpacks to")
      inputs += [ascii] + filesUnder(folder.root, suffixes: [".txt"])
      transcriptions = try IAMFormat.transcriptions(under: folder.root)
      if transcriptions!.isEmpty {
        throw DataError(
          ascii, "no transcription files (.txt with a 'CSR:' section) found",
          hint: "give ascii-all.tar.gz from IAM-OnDB or the folder it unpacks to")
      }
    }

    try requireOutputFile(output, inputs: inputs)
    var summary = ImportSummary()
    summary.files = files.count
    let progress = ProgressReporter("importing IAM-OnDB", total: files.count, quiet: quiet)
    enum Outcome {
      case line(StrokeRecord)
      case skipped(String)
    }
    let outcomes: [Outcome] = parallelMap(files) { path in
      defer { progress.advance() }
      let source = relativePath(path, to: strokes.root)
      do {
        let lineStrokes = try IAMFormat.strokes(fromXML: try readFileBytes(path))
        var text = ""
        if let transcriptions, let (form, line) = IAMFormat.formAndLine(ofFile: path),
          let lines = transcriptions[form], line <= lines.count
        {
          text = lines[line - 1]
        }
        return .line(StrokeRecord(rows: StrokeRows.rows(strokes: lineStrokes), transcription: text, source: source))
      } catch let error as DataError {
        progress.note("skipping \(path): \(error.message)")
        return .skipped(error.message)
      } catch {
        progress.note("skipping \(path): \(error)")
        return .skipped("\(error)")
      }
    }
    progress.finish()

    var records: [StrokeRecord] = []
    for (path, outcome) in zip(files, outcomes) {
      switch outcome {
      case .skipped(let reason): summary.skipped.append((path, reason))
      case .line(let record):
        if record.count < 1 {
          summary.tooShort += 1
        } else if maxPoints > 0 && record.count > maxPoints {
          summary.tooLong += 1
        } else {
          if transcriptions != nil && record.transcription.isEmpty { summary.untranscribed += 1 }
          records.append(record)
        }
      }
    }
    guard !records.isEmpty else {
      throw DataError(
        input,
        "no usable lines among \(files.count) .xml files "
          + "(\(summary.skipped.count) unusable, \(summary.tooLong) longer than \(maxPoints) points, "
          + "\(summary.tooShort) too short); nothing written",
        hint: summary.tooLong > 0 ? "raise --max-points" : "check that these are IAM-OnDB lineStrokes files")
    }
    var attributes: [(String, HDF5Attribute)] = [("created_by", .string(commandLine))]
    if let ascii { attributes.append(("transcription_source", .string(ascii))) }
    attributes.append(("skipped_files", .int(summary.skipped.count)))
    let written = try StrokeDatasetWriter.write(
      records, to: output,
      description: StrokeDatasetDescription(
        kind: "iam-ondb", units: "IAM-OnDB whiteboard units (y grows downward)", maxPoints: maxPoints,
        seed: seed, attributes: attributes))
    summary.written = written.count
    summary.train = written.train
    summary.test = written.test
    summary.std = written.std
    summary.paddedLength = written.paddedLength
    return summary
  }
}
