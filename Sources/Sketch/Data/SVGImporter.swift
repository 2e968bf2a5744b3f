import Codegen
import Foundation

/// One SVG drawing as strokes.
enum SVGDrawing {
  /// The strokes of an SVG document (each interleaved x, y in the root's user units, y downward), in
  /// document order: `path`, `polyline`, `polygon`, `line`, `rect`, `circle` and `ellipse` elements,
  /// with the `transform`s of the element and its groups. Elements inside `defs`, `clipPath`, `mask`,
  /// `symbol`, `pattern`, `marker` and `metadata` are not drawn.
  static func strokes(fromSVG bytes: [UInt8], tolerance: Double) throws -> [[Double]] {
    let root: MarkupElement
    do {
      root = try MarkupParser.parse(bytes)
    } catch let error as XMLSyntaxError {
      throw SVGError("malformed XML, \(error)")
    }
    guard root.localName == "svg" else { throw SVGError("the root element is <\(root.name)>, not <svg>") }
    var strokes: [[Double]] = []
    var count = 0
    try visit(root, transform: .identity, tolerance: tolerance, into: &strokes, count: &count)
    guard !strokes.isEmpty else {
      throw SVGError("no drawable elements (path, polyline, polygon, line, rect, circle, ellipse)")
    }
    return strokes
  }

  private static let hidden: Set<Substring> = [
    "defs", "clipPath", "mask", "symbol", "pattern", "marker", "metadata",
    "title", "desc", "style", "script",
  ]

  /// Appends the strokes of `element` and its children; `count` counts the file's points so far.
  /// (Recursion is bounded: the XML reader refuses nesting deeper than ``StrokeLimits/xmlDepth``.)
  private static func visit(
    _ element: MarkupElement, transform parent: Affine, tolerance: Double,
    into strokes: inout [[Double]], count: inout Int
  ) throws {
    guard !hidden.contains(element.localName) else { return }
    var transform = parent
    if let text = element.attribute("transform") {
      do {
        transform = parent.then(try Affine.parse(text))
      } catch let error as SVGError {
        throw SVGError("line \(element.line): \(error.message)")
      }
    }
    let flattener = SVGPathFlattener(
      transform: transform, tolerance: tolerance, budget: StrokeLimits.pointsPerFile - count)
    let before = strokes.count
    func number(_ name: String, _ fallback: Double? = nil) throws -> Double {
      guard let text = element.attribute(name) else {
        if let fallback { return fallback }
        throw SVGError("line \(element.line): <\(element.name)> has no '\(name)' attribute")
      }
      var scanner = NumberScanner(text.replacingOccurrences(of: "px", with: ""))
      guard let value = try scanner.number(), scanner.atEnd else {
        throw SVGError("line \(element.line): <\(element.name)> has \(name)=\"\(text)\", not a number")
      }
      return value
    }
    func points(_ closed: Bool) throws -> [[Double]] {
      var scanner = NumberScanner(element.attribute("points") ?? "")
      var values: [Double] = []
      while let value = try scanner.number() { values.append(value) }
      guard scanner.atEnd, values.count % 2 == 0 else {
        throw SVGError("line \(element.line): the points of <\(element.name)> are not pairs of numbers")
      }
      var d = ""
      for k in stride(from: 0, to: values.count, by: 2) { d += (k == 0 ? "M" : "L") + "\(values[k]) \(values[k + 1]) " }
      if closed && !values.isEmpty { d += "Z" }
      return d.isEmpty ? [] : try flattener.strokes(d)
    }
    do {
      switch element.localName {
      case "path":
        guard let d = element.attribute("d") else { throw SVGError("<path> has no 'd' attribute") }
        strokes += try flattener.strokes(d)
      case "polyline": strokes += try points(false)
      case "polygon": strokes += try points(true)
      case "line":
        strokes += try flattener.strokes(
          "M\(try number("x1", 0)) \(try number("y1", 0)) L\(try number("x2", 0)) \(try number("y2", 0))")
      case "rect":
        let (x, y, w, h) = (try number("x", 0), try number("y", 0), try number("width"), try number("height"))
        strokes += try flattener.strokes("M\(x) \(y) H\(x + w) V\(y + h) H\(x) Z")
      case "circle", "ellipse":
        let cx = try number("cx", 0)
        let cy = try number("cy", 0)
        let rx = element.localName == "circle" ? try number("r") : try number("rx")
        let ry = element.localName == "circle" ? rx : try number("ry")
        // Four cubic quarter arcs (control distance 0.5523 of the radius).
        let k = 0.552_284_749_8
        strokes += try flattener.strokes(
          "M\(cx + rx) \(cy) C\(cx + rx) \(cy + k * ry) \(cx + k * rx) \(cy + ry) \(cx) \(cy + ry) "
            + "C\(cx - k * rx) \(cy + ry) \(cx - rx) \(cy + k * ry) \(cx - rx) \(cy) "
            + "C\(cx - rx) \(cy - k * ry) \(cx - k * rx) \(cy - ry) \(cx) \(cy - ry) "
            + "C\(cx + k * rx) \(cy - ry) \(cx + rx) \(cy - k * ry) \(cx + rx) \(cy) Z")
      default: break
      }
      let added = strokes[before...]
      // Finite and within the importers' limits after transforms (scale(1e300), huge numbers).
      try StrokeLimits.check(Array(added)) { SVGError("\($0) after transforms") }
      count += added.reduce(0) { $0 + $1.count / 2 }
      guard count <= StrokeLimits.pointsPerFile else { throw SVGError(StrokeLimits.tooManyPoints) }
    } catch let error as SVGError where !error.message.hasPrefix("line ") {
      throw SVGError("line \(element.line): <\(element.name)>: \(error.message)")
    }
    for child in element.children {
      try visit(child, transform: transform, tolerance: tolerance, into: &strokes, count: &count)
    }
  }
}

/// `sketch data svg`: a folder of SVG drawings to a stroke dataset file, one sequence per file.
struct SVGImporter {
  var input: String
  var output: String
  var tolerance = 0.5
  var maxPoints = 0
  var seed = 0
  var quiet = false
  var commandLine = ""

  func run() throws -> ImportSummary {
    guard tolerance > 0, tolerance.isFinite else {
      throw DataError("--tolerance", "must be a positive number, got \(tolerance)")
    }
    let folder = try ImportInput(input, what: "a folder of .svg files (or a .tar.gz of one)")
    let files = filesUnder(folder.root, suffixes: [".svg"])
    guard !files.isEmpty else { throw DataError(input, "no .svg files found", hint: "give a folder of .svg files") }
    try requireOutputFile(output, inputs: files + [input])
    var summary = ImportSummary()
    summary.files = files.count
    let progress = ProgressReporter("importing SVG drawings", total: files.count, quiet: quiet)
    let outcomes: [Result<StrokeRecord, SVGError>] = parallelMap(files) { path in
      defer { progress.advance() }
      do {
        let strokes = try SVGDrawing.strokes(fromSVG: try readFileBytes(path), tolerance: tolerance)
        return .success(
          StrokeRecord(
            rows: StrokeRows.rows(strokes: strokes), transcription: "",
            source: relativePath(path, to: folder.root)))
      } catch let error as SVGError {
        progress.note("skipping \(path): \(error.message)")
        return .failure(error)
      } catch {
        progress.note("skipping \(path): \(error)")
        return .failure(SVGError("\(error)"))
      }
    }
    progress.finish()
    var records: [StrokeRecord] = []
    for (path, outcome) in zip(files, outcomes) {
      switch outcome {
      case .failure(let error): summary.skipped.append((path, error.message))
      case .success(let record):
        if record.count < 1 {
          summary.tooShort += 1
        } else if maxPoints > 0 && record.count > maxPoints {
          summary.tooLong += 1
        } else {
          records.append(record)
        }
      }
    }
    guard !records.isEmpty else {
      let first = summary.skipped.first.map { " (first: \($0.path): \($0.reason))" } ?? ""
      throw DataError(input, "no usable drawings among \(files.count) .svg files\(first); nothing written")
    }
    let written = try StrokeDatasetWriter.write(
      records, to: output,
      description: StrokeDatasetDescription(
        kind: "svg", units: "SVG user units of each file's root (y grows downward)", maxPoints: maxPoints,
        seed: seed,
        attributes: [
          ("created_by", .string(commandLine)), ("tolerance", .double(tolerance)),
          ("skipped_files", .int(summary.skipped.count)),
        ]))
    summary.written = written.count
    summary.train = written.train
    summary.test = written.test
    summary.std = written.std
    summary.paddedLength = written.paddedLength
    return summary
  }
}
