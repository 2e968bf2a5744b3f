import Foundation

/// The text of the built-in dataset: the quoted usage examples of WordNet 3.0 (Debian's wordnet-base),
/// about 42,500 English sentences, joined into running text and cut into lines like IAM-OnDB's.
enum HersheyText {
  static let defaultWordNetFolder = "/usr/share/wordnet"
  static let files = ["data.noun", "data.verb", "data.adj", "data.adv"]

  /// The distinct usage examples of three words or more, in file order, as sentences (capitalised, with
  /// a full stop when they have no final punctuation; WordNet's `quotes' become 'quotes').
  static func wordNetSentences(folder: String = defaultWordNetFolder) throws -> [String] {
    var sentences: [String] = []
    var seen = Set<String>()
    for name in files {
      let path = folder + "/" + name
      guard fileKind(path).exists else {
        throw DataError(
          path, "missing WordNet data file",
          hint: "install Debian's wordnet-base (scripts/install-deps.sh), or pass --wordnet DIR")
      }
      for example in examples(inDataFile: try readFileBytes(path)) {
        guard example.utf8.lazy.filter({ $0 == 32 }).count >= 2, seen.insert(example).inserted else { continue }
        let text = sentence(example)
        if text.utf8.lazy.filter({ $0 == 32 }).count >= 2 { sentences.append(text) }
      }
    }
    guard sentences.count > 100 else {
      throw DataError(
        folder, "found only \(sentences.count) usage examples in WordNet's data files",
        hint: "reinstall Debian's wordnet-base")
    }
    return sentences
  }

  /// The double-quoted examples in the glosses (after '|') of a WordNet data file; the licence header
  /// lines (starting with two spaces) are skipped.
  static func examples(inDataFile bytes: [UInt8]) -> [String] {
    var found: [String] = []
    var lineStart = 0
    let quote = UInt8(ascii: "\"")
    bytes.withUnsafeBufferPointer { b in
      while lineStart < b.count {
        var lineEnd = lineStart
        while lineEnd < b.count && b[lineEnd] != 0x0A { lineEnd += 1 }
        if !(lineEnd - lineStart >= 2 && b[lineStart] == 0x20 && b[lineStart + 1] == 0x20) {
          var i = lineStart
          while i < lineEnd && b[i] != UInt8(ascii: "|") { i += 1 }
          while i < lineEnd {
            if b[i] == quote {
              var j = i + 1
              while j < lineEnd && b[j] != quote { j += 1 }
              if j < lineEnd {
                let text = String(decoding: UnsafeBufferPointer(rebasing: b[(i + 1)..<j]), as: UTF8.self)
                found.append(text)
              }
              i = j + 1
            } else {
              i += 1
            }
          }
        }
        lineStart = lineEnd + 1
      }
    }
    return found
  }

  /// A usage example as a sentence of printable ASCII: WordNet's `quotes' become 'quotes', its verse
  /// breaks " / " become commas, other characters become spaces, runs of spaces one space; the first
  /// letter is capitalised and a full stop added when there is no final punctuation.
  static func sentence(_ example: String) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(example.utf8.count + 1)
    for byte in example.utf8 {
      var c = byte == UInt8(ascii: "`") ? UInt8(ascii: "'") : byte
      if c < 32 || c >= 127 { c = 32 }
      if c == 32 && (bytes.isEmpty || bytes.last == 32) { continue }
      if c == 32 && bytes.count >= 2 && bytes[bytes.count - 1] == UInt8(ascii: "/") && bytes[bytes.count - 2] == 32 {
        bytes.removeLast(2)
        bytes.append(UInt8(ascii: ","))
      }
      bytes.append(c)
    }
    while bytes.last == 32 { bytes.removeLast() }
    if let first = bytes.first, first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z") { bytes[0] = first - 32 }
    if let last = bytes.last, ![UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "?")].contains(last) {
      bytes.append(UInt8(ascii: "."))
    }
    return String(decoding: bytes, as: UTF8.self)
  }

  /// `count` lines of running text (see ``RunningText``).
  static func lines(count: Int, from sentences: [String], random: inout RandomStream) -> [String] {
    var text = RunningText(sentences: sentences, random: random)
    let lines = (0..<count).map { _ in text.nextLine() }
    random = text.random
    return lines
  }
}

/// Running text cut into lines: the sentences in an order shuffled by the random stream, joined, and cut
/// at word boundaries into lines of about N(36, 9) characters (IAM-OnDB has about 6.6 words per line).
struct RunningText {
  let sentences: [String]
  private(set) var random: RandomStream
  private var order: [Int]
  private var position = 0
  private var words: [Substring] = []
  private var wordIndex = 0
  private var pending: Substring? = nil

  init(sentences: [String], random: RandomStream) {
    self.sentences = sentences
    self.random = random
    order = Array(sentences.indices)
    self.random.shuffle(&order)
  }

  private mutating func nextWord() -> Substring {
    while wordIndex >= words.count {
      if position >= order.count {
        random.shuffle(&order)
        position = 0
      }
      words = sentences[order[position]].split(separator: " ")
      position += 1
      wordIndex = 0
    }
    defer { wordIndex += 1 }
    return words[wordIndex]
  }

  /// Lines are at least this long (characters), whatever the drawn length.
  static let shortest = 12

  /// The next line: words while the line stays within its drawn length N(36, 9) (clamped to 12...66),
  /// and at least ``shortest`` characters.
  mutating func nextLine() -> String {
    let target = min(66, max(12, Int(random.normal(36, 9).rounded())))
    var line = String(pending ?? nextWord())
    pending = nil
    while true {
      let word = nextWord()
      if line.count >= RunningText.shortest && line.count + 1 + word.count > target {
        pending = word
        break
      }
      line += " " + word
    }
    return line
  }
}
