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
        throw DataError(path, "missing WordNet data file",
          hint: "install Debian's wordnet-base (scripts/install-deps.sh), or pass --wordnet DIR")
      }
      for example in examples(inDataFile: try readFileBytes(path)) {
        let words = example.split(separator: " ")
        guard words.count >= 3, seen.insert(example).inserted else { continue }
        sentences.append(sentence(words.joined(separator: " ")))
      }
    }
    guard sentences.count > 100 else {
      throw DataError(folder, "found only \(sentences.count) usage examples in WordNet's data files",
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

  /// A usage example as a sentence of printable ASCII.
  static func sentence(_ example: String) -> String {
    var text = example.replacingOccurrences(of: "`", with: "'")
    text = String(text.unicodeScalars.map { $0.isASCII && $0.value >= 32 && $0.value < 127 ? Character($0) : " " })
    text = text.split(separator: " ").joined(separator: " ")
    if let first = text.first, first.isLowercase { text = first.uppercased() + text.dropFirst() }
    if let last = text.last, !".!?".contains(last) { text += "." }
    return text
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

  /// The next line: at least one word, and words while the line stays within its drawn length.
  mutating func nextLine() -> String {
    let target = min(80, max(8, Int(random.normal(36, 9).rounded())))
    var line = String(pending ?? nextWord())
    pending = nil
    while true {
      let word = nextWord()
      if line.count + 1 + word.count > target {
        pending = word
        break
      }
      line += " " + word
    }
    return line
  }
}
