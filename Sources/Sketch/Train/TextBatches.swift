import Codegen
import Foundation

/// The texts of a dataset's lines as character ids, for the synthesis network's batches.
struct TextBatches {
  /// The character ids of each line of the dataset (by line index).
  let ids: [[Int32]]

  /// The lines' transcriptions encoded with `alphabet` (an error names the first unknown character).
  init(transcriptions: [String], alphabet: Alphabet, path: String) throws {
    ids = try transcriptions.enumerated().map { try alphabet.encode($1, what: "\(path): line \($0)'s text") }
  }

  /// The texts of the lines `indices` (a batch's columns): `chars` [B, U] int32 and `cmask` [B, U]
  /// float32, U the longest text (at least 1), each row's characters first and zeros after.
  func tensors(for indices: [Int]) -> (chars: Tensor, cmask: Tensor) {
    Self.tensors(indices.map { ids[$0] })
  }

  /// `chars` [B, U] and `cmask` [B, U] of these texts (U the longest, at least 1; padding zero).
  static func tensors(_ texts: [[Int32]]) -> (chars: Tensor, cmask: Tensor) {
    let U = Swift.max(1, texts.map(\.count).max() ?? 0)
    var chars = [Int32](repeating: 0, count: texts.count * U)
    var cmask = [Float](repeating: 0, count: texts.count * U)
    for (b, text) in texts.enumerated() {
      for (u, id) in text.enumerated() {
        chars[b * U + u] = id
        cmask[b * U + u] = 1
      }
    }
    return (Tensor(shape: [texts.count, U], chars), Tensor(shape: [texts.count, U], cmask))
  }
}
