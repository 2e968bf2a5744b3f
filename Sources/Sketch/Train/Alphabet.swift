import Codegen
import Foundation
import SketchFiles

/// The characters a synthesis model reads: Unicode code points, sorted, a character's id its index.
struct Alphabet: Equatable {
  /// The code points, sorted, without repeats.
  let codePoints: [UInt32]
  /// The id of each code point.
  private let ids: [UInt32: Int32]

  /// The alphabet of these code points (sorted and unique: a model file's or a dataset's, validated).
  init(codePoints: [UInt32]) {
    self.codePoints = codePoints
    ids = Dictionary(uniqueKeysWithValues: codePoints.enumerated().map { ($1, Int32($0)) })
  }

  /// The sorted unique code points of `texts`.
  static func computed(from texts: [String]) -> Alphabet {
    Alphabet(codePoints: Set(texts.flatMap { $0.unicodeScalars.map(\.value) }).sorted())
  }

  /// The alphabet of the dataset at `path` with transcriptions `texts`: the one the file stores under
  /// the name `alphabet` (a dataset or a root attribute of int32 code points), else computed from
  /// the texts. (The one place that decides; a stored alphabet must cover the texts.)
  static func of(datasetAt path: String, texts: [String]) throws -> Alphabet {
    guard let stored = try storedCodePoints(path) else { return computed(from: texts) }
    let alphabet = Alphabet(codePoints: stored)
    for (line, text) in texts.enumerated() { _ = try alphabet.encode(text, what: "\(path): line \(line)'s text") }
    return alphabet
  }

  /// The code points stored in the dataset file under `alphabet`, validated; nil when it has none.
  static func storedCodePoints(_ path: String) throws -> [UInt32]? {
    let f = try HDF5File.open(path)
    defer { try? f.close() }
    let values: [Double]
    if f.exists("alphabet") {
      values = try f.read("alphabet").doubles
    } else if (try f.attributeNames()).contains("alphabet") {
      values = try f.intsAttribute("alphabet").map(Double.init)
    } else {
      return nil
    }
    let points = values.compactMap { UInt32(exactly: $0) }
    guard points.count == values.count, points.allSatisfy({ Unicode.Scalar($0) != nil }), !points.isEmpty,
      zip(points, points.dropFirst()).allSatisfy({ $0 < $1 })
    else {
      throw DataError(
        path, "the stored 'alphabet' is not a sorted list of distinct Unicode code points",
        hint: "re-create the dataset with `sketch data`")
    }
    return points
  }

  /// The number of characters.
  var count: Int { codePoints.count }

  /// The ids of `text`'s characters; an error naming `what` and the first character not in the alphabet.
  func encode(_ text: String, what: String) throws -> [Int32] {
    try text.unicodeScalars.map { s in
      guard let id = ids[s.value] else {
        throw DataError(
          "",
          "\(what) has the character \(String(reflecting: String(s))) "
            + "(U+\(String(s.value, radix: 16, uppercase: true))), which is not in the model's alphabet of \(count) characters",
          hint: "train a new synthesis model on this dataset (its alphabet is taken from the dataset)")
      }
      return id
    }
  }

  /// The text of these ids.
  func decode(_ ids: [Int32]) -> String {
    String(String.UnicodeScalarView(ids.compactMap { Unicode.Scalar(codePoints[Int($0)]) }))
  }
}
