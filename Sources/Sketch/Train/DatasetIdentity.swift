import Codegen
import Foundation
import SketchFiles

/// What identifies a dataset file in a run's settings, so that `--model continue` notices a file
/// that was replaced: its size and a hash (FNV-1a, 64 bits) of its first and last MiB, where HDF5
/// keeps its superblock and metadata. Cheap for any size; not a hash of every byte.
struct DatasetIdentity: Codable, Equatable, CustomStringConvertible {
  var size: Int
  var hash: String

  static let sampledBytes = 1 << 20

  static func of(_ path: String) throws -> DatasetIdentity {
    var info = stat()
    guard stat(path, &info) == 0 else {
      throw DatasetIdentityError(description: "cannot read the dataset \(path): \(String(cString: strerror(errno)))")
    }
    guard (info.st_mode & S_IFMT) == S_IFREG else {
      throw DatasetIdentityError(description: "the dataset \(path) is not a regular file")
    }
    let size = Int(info.st_size)
    guard let file = FileHandle(forReadingAtPath: path) else {
      throw DatasetIdentityError(description: "cannot open the dataset \(path)")
    }
    defer { try? file.close() }
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ data: Data) {
      for b in data {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01b3
      }
    }
    mix((try file.read(upToCount: sampledBytes)) ?? Data())
    if size > sampledBytes {
      try file.seek(toOffset: UInt64(max(sampledBytes, size - sampledBytes)))
      mix((try file.read(upToCount: sampledBytes)) ?? Data())
    }
    return DatasetIdentity(size: size, hash: String(format: "%016llx", h))
  }

  var description: String { "\(size) bytes, hash \(hash)" }
}

struct DatasetIdentityError: Error, CustomStringConvertible {
  let description: String
}

/// The absolute form of a path given on the command line (relative to the current directory).
func absolutePath(_ path: String) -> String {
  URL(fileURLWithPath: path).standardizedFileURL.path
}
