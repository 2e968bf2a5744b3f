import CHDF5
import SketchRuntime

/// Chunked gzip (deflate) storage for a dataset.
public struct HDF5Compression: Sendable, Hashable {
  /// The deflate level, 1 (fast) to 9 (small).
  public var level: Int
  /// The chunk shape; nil chooses one of about 1 MiB that keeps the trailing axes whole when possible.
  public var chunkShape: [Int]?

  public init(level: Int = 4, chunkShape: [Int]? = nil) {
    precondition((1...9).contains(level), "HDF5Compression: level must be 1...9, got \(level)")
    self.level = level
    self.chunkShape = chunkShape
  }

  /// Deflate level 4 with automatic chunks.
  public static let gzip = HDF5Compression()
}

/// The shape and element type of a stored dataset.
public struct HDF5DatasetInfo: Sendable, Hashable {
  public enum Element: Sendable, Hashable {
    case numeric(DType)
    case string
  }

  /// The dimensions (empty for a scalar dataset).
  public let shape: [Int]
  public let element: Element

  public init(shape: [Int], element: Element) {
    self.shape = shape
    self.element = element
  }

  /// The dtype a numeric dataset reads as; nil for strings.
  public var dtype: DType? {
    if case .numeric(let dtype) = element { return dtype }
    return nil
  }
}

extension HDF5File {
  // MARK: Tensors

  /// Writes `tensor` as a new dataset at `datasetPath`, creating missing parent groups.
  ///
  /// float32 is stored as IEEE F32LE, float64 as F64LE, int32 as STD I32LE and bool as a one-byte enum
  /// (FALSE = 0, TRUE = 1, base STD U8LE). With `compression`, the data is chunked and deflated
  /// (ignored for scalars and empty tensors).
  public func write(_ tensor: Tensor, to datasetPath: String, compression: HDF5Compression? = nil)
    throws
  {
    try requireWritable(datasetPath)
    let fileType = HDF5Library.fileType(tensor.dtype)
    defer { H5Tclose(fileType) }
    let memType = HDF5Library.memoryType(tensor.dtype)
    defer { H5Tclose(memType) }
    let dcpl = H5Pcreate(shim_H5P_DATASET_CREATE())
    defer { H5Pclose(dcpl) }
    if let compression, tensor.rank > 0, tensor.count > 0 {
      let chunk =
        compression.chunkShape ?? HDF5File.automaticChunk(tensor.shape, tensor.dtype.byteSize)
      guard chunk.count == tensor.rank, chunk.allSatisfy({ $0 > 0 }) else {
        throw error(
          datasetPath, "chunk shape \(chunk) does not fit the tensor shape \(tensor.shape)")
      }
      // A chunk may not exceed a fixed dimension.
      var dims = zip(chunk, tensor.shape).map { hsize_t(min($0, $1)) }
      H5Pset_chunk(dcpl, Int32(dims.count), &dims)
      H5Pset_deflate(dcpl, UInt32(compression.level))
    }
    let did = try createDataset(datasetPath, shape: tensor.shape, type: fileType, dcpl: dcpl)
    defer { H5Dclose(did) }
    if tensor.count == 0 { return }
    let status: herr_t
    switch tensor.storage {
    case .float32(let a):
      status = a.withUnsafeBytes {
        H5Dwrite(did, memType, H5S_ALL, H5S_ALL, hid_t(H5P_DEFAULT), $0.baseAddress)
      }
    case .float64(let a):
      status = a.withUnsafeBytes {
        H5Dwrite(did, memType, H5S_ALL, H5S_ALL, hid_t(H5P_DEFAULT), $0.baseAddress)
      }
    case .int32(let a):
      status = a.withUnsafeBytes {
        H5Dwrite(did, memType, H5S_ALL, H5S_ALL, hid_t(H5P_DEFAULT), $0.baseAddress)
      }
    case .bool(let a):
      let bytes = a.map { UInt8($0 ? 1 : 0) }
      status = bytes.withUnsafeBytes {
        H5Dwrite(did, memType, H5S_ALL, H5S_ALL, hid_t(H5P_DEFAULT), $0.baseAddress)
      }
    }
    if status < 0 { throw error(datasetPath, "writing the data failed", library: true) }
  }

  /// The shape and element type of the dataset at `datasetPath`, without reading its data.
  public func info(of datasetPath: String) throws -> HDF5DatasetInfo {
    let did = try openObject(datasetPath, expecting: .dataset)
    defer { H5Oclose(did) }
    let (shape, stored) = try describe(did, datasetPath)
    switch stored {
    case .numeric(let dtype): return HDF5DatasetInfo(shape: shape, element: .numeric(dtype))
    case .string: return HDF5DatasetInfo(shape: shape, element: .string)
    case .unsupported(let what): throw error(datasetPath, "holds \(what), which Sketch cannot read")
    }
  }

  /// The filters of the dataset at `datasetPath`'s pipeline that this HDF5 library lacks, as names such
  /// as "lzf (HDF5 filter 32000)" (to explain a failed read: chunks written through such a filter
  /// cannot be decoded here).
  public func unavailableFilters(of datasetPath: String) throws -> [String] {
    let did = try openObject(datasetPath, expecting: .dataset)
    defer { H5Oclose(did) }
    let dcpl = H5Dget_create_plist(did)
    guard dcpl >= 0 else { throw error(datasetPath, "cannot inspect the dataset", library: true) }
    defer { H5Pclose(dcpl) }
    var missing: [String] = []
    for index in 0..<max(0, H5Pget_nfilters(dcpl)) {
      var flags: UInt32 = 0
      var valueCount = 0
      var name = [CChar](repeating: 0, count: 64)
      var config: UInt32 = 0
      let filter = H5Pget_filter2(dcpl, UInt32(index), &flags, &valueCount, nil, name.count, &name, &config)
      guard filter >= 0, H5Zfilter_avail(filter) <= 0 else { continue }
      let known: [Int32: String] = [
        32000: "lzf", 32001: "blosc", 32004: "lz4", 32008: "bitshuffle", 32013: "zfp", 32015: "zstd", 307: "bzip2",
      ]
      let label = known[filter] ?? HDF5Library.string(from: name)
      missing.append("\(label.isEmpty ? "an unknown filter" : label) (HDF5 filter \(filter))")
    }
    _ = HDF5Library.takeErrorMessage()
    return missing
  }

  /// Reads the whole numeric dataset at `datasetPath` (floats of up to 4 bytes read as float32, wider
  /// floats as float64, integers as int32, FALSE/TRUE enums as bool).
  public func read(_ datasetPath: String) throws -> Tensor {
    try readTensor(datasetPath, start: nil, count: nil)
  }

  /// Reads the block of the dataset at `datasetPath` that starts at `start` and spans `count` elements
  /// along each axis (an HDF5 hyperslab), for streaming parts of large arrays.
  public func read(_ datasetPath: String, start: [Int], count: [Int]) throws -> Tensor {
    try readTensor(datasetPath, start: start, count: count)
  }

  // MARK: Strings

  /// Writes `strings` as a 1-D dataset of variable-length UTF-8 strings (each cut at an embedded NUL).
  public func write(strings: [String], to datasetPath: String) throws {
    try requireWritable(datasetPath)
    let fileType = HDF5Library.variableStringType()
    defer { H5Tclose(fileType) }
    let dcpl = H5Pcreate(shim_H5P_DATASET_CREATE())
    defer { H5Pclose(dcpl) }
    let did = try createDataset(datasetPath, shape: [strings.count], type: fileType, dcpl: dcpl)
    defer { H5Dclose(did) }
    if strings.isEmpty { return }
    let status = HDF5Library.writeStrings(strings) { memType, buffer in
      H5Dwrite(did, memType, H5S_ALL, H5S_ALL, hid_t(H5P_DEFAULT), buffer)
    }
    if status < 0 { throw error(datasetPath, "writing the strings failed", library: true) }
  }

  /// Reads a dataset of fixed- or variable-length strings (any rank, in row-major order).
  public func readStrings(_ datasetPath: String) throws -> [String] {
    let did = try openObject(datasetPath, expecting: .dataset)
    defer { H5Oclose(did) }
    let (shape, stored) = try describe(did, datasetPath)
    guard stored == .string else { throw error(datasetPath, "is not a string dataset") }
    let count = try plausibleCount(did, shape: shape, elementSize: 1, datasetPath)
    let fileType = H5Dget_type(did)
    defer { H5Tclose(fileType) }
    let space = H5Dget_space(did)
    defer { H5Sclose(space) }
    let strings = HDF5Library.readStrings(
      fileType: fileType, space: space, count: count
    ) { memType, buffer in
      H5Dread(did, memType, H5S_ALL, H5S_ALL, hid_t(H5P_DEFAULT), buffer)
    }
    guard let strings else { throw error(datasetPath, "reading the strings failed", library: true) }
    return strings
  }

  // MARK: Helpers

  /// Creates a dataset (and missing parents); the caller closes it with `H5Dclose`.
  private func createDataset(_ datasetPath: String, shape: [Int], type: hid_t, dcpl: hid_t) throws
    -> hid_t
  {
    let name = HDF5File.normalized(datasetPath)
    guard name != "." else { throw error(datasetPath, "a dataset needs a name") }
    if exists(name) { throw error(datasetPath, "already exists") }
    try requireParentGroups(datasetPath)
    var dims = shape.map { hsize_t($0) }
    let space =
      shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), &dims, nil)
    defer { H5Sclose(space) }
    let lcpl = HDF5Library.linkCreationList()
    defer { H5Pclose(lcpl) }
    let did = H5Dcreate2(id, name, type, space, lcpl, dcpl, hid_t(H5P_DEFAULT))
    guard did >= 0 else { throw error(datasetPath, "cannot create the dataset", library: true) }
    return did
  }

  /// The shape and stored element type of an open dataset.
  private func describe(_ did: hid_t, _ datasetPath: String) throws -> ([Int], HDF5Library.Stored) {
    let space = H5Dget_space(did)
    defer { H5Sclose(space) }
    let type = H5Dget_type(did)
    defer { H5Tclose(type) }
    guard space >= 0, type >= 0 else {
      throw error(datasetPath, "cannot inspect the dataset", library: true)
    }
    return (try HDF5File.shape(of: space), HDF5Library.classify(type))
  }

  static func shape(of space: hid_t) throws -> [Int] {
    let rank = Int(H5Sget_simple_extent_ndims(space))
    guard rank >= 0 else { return [] }
    var dims = [hsize_t](repeating: 0, count: rank)
    H5Sget_simple_extent_dims(space, &dims, nil)
    return dims.map { Int(clamping: $0) }
  }

  /// The number of elements of `shape` when the file could hold that many of `elementSize` bytes each;
  /// else an error (a damaged header can claim any size, and the read would allocate it): at most the
  /// file's size in bytes, or 1100 times it for a compressed dataset (deflate cannot do better than
  /// about 1032:1), plus 1 MiB.
  func plausibleCount(_ did: hid_t, shape: [Int], elementSize: Int, _ datasetPath: String) throws -> Int {
    var count = 1
    var overflow = false
    for dim in shape where !overflow { (count, overflow) = count.multipliedReportingOverflow(by: dim) }
    let (bytes, tooMany) = count.multipliedReportingOverflow(by: elementSize)
    let dcpl = H5Dget_create_plist(did)
    defer { if dcpl >= 0 { H5Pclose(dcpl) } }
    let ratio = dcpl >= 0 && H5Pget_nfilters(dcpl) > 0 ? 1100 : 1
    let limit = fileSize.multipliedReportingOverflow(by: ratio).partialValue &+ (1 << 20)
    guard !overflow, !tooMany, bytes >= 0, bytes <= max(limit, 1 << 20) else {
      throw error(
        datasetPath,
        "claims shape \(shape), more data than the \(fileSize)-byte file can hold; "
          + "the file is damaged")
    }
    return count
  }

  private func readTensor(_ datasetPath: String, start: [Int]?, count: [Int]?) throws -> Tensor {
    let did = try openObject(datasetPath, expecting: .dataset)
    defer { H5Oclose(did) }
    let (shape, stored) = try describe(did, datasetPath)
    let dtype: DType
    switch stored {
    case .numeric(let d): dtype = d
    case .string: throw error(datasetPath, "is a string dataset; read it with readStrings")
    case .unsupported(let what): throw error(datasetPath, "holds \(what), which Sketch cannot read")
    }
    var outShape = shape
    let fileSpace = H5Dget_space(did)
    defer { H5Sclose(fileSpace) }
    var memSpace = H5S_ALL
    defer { if memSpace != H5S_ALL { H5Sclose(memSpace) } }
    if let start, let count {
      guard start.count == shape.count, count.count == shape.count else {
        throw error(
          datasetPath, "hyperslab start \(start) / count \(count) does not match shape \(shape)")
      }
      for axis in shape.indices
      where start[axis] < 0 || count[axis] < 0 || start[axis] + count[axis] > shape[axis] {
        throw error(
          datasetPath, "hyperslab start \(start) count \(count) is outside shape \(shape)")
      }
      outShape = count
      if !shape.isEmpty && count.reduce(1, *) > 0 {
        var hStart = start.map { hsize_t($0) }
        var hCount = count.map { hsize_t($0) }
        guard H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &hStart, nil, &hCount, nil) >= 0 else {
          throw error(datasetPath, "cannot select the hyperslab", library: true)
        }
        memSpace = H5Screate_simple(Int32(hCount.count), &hCount, nil)
      }
    }
    _ = try plausibleCount(did, shape: shape, elementSize: dtype.byteSize, datasetPath)
    let n = outShape.reduce(1, *)
    let memType = HDF5Library.memoryType(dtype)
    defer { H5Tclose(memType) }
    let selection = memSpace == H5S_ALL ? H5S_ALL : fileSpace
    func load<T>(_ zero: T, as type: hid_t) throws -> [T] {
      var values = [T](repeating: zero, count: n)
      if n == 0 { return values }
      let status = values.withUnsafeMutableBytes {
        H5Dread(did, type, memSpace, selection, hid_t(H5P_DEFAULT), $0.baseAddress)
      }
      if status < 0 { throw error(datasetPath, "reading the data failed", library: true) }
      return values
    }
    switch dtype {
    case .float32: return Tensor(shape: outShape, try load(Float(0), as: memType))
    case .float64: return Tensor(shape: outShape, try load(Double(0), as: memType))
    case .bool: return Tensor(shape: outShape, try load(UInt8(0), as: memType).map { $0 != 0 })
    case .int32:
      guard HDF5File.integerMayExceedInt32(did) else {
        return Tensor(shape: outShape, try load(Int32(0), as: memType))
      }
      // Wider integers (h5py's default int64) are read as int64 and must fit in int32: HDF5 itself
      // would clip out-of-range values silently.
      let wide = try load(Int64(0), as: shim_H5T_NATIVE_INT64())
      guard let bad = wide.first(where: { Int32(exactly: $0) == nil }) else {
        return Tensor(shape: outShape, wide.map { Int32($0) })
      }
      throw error(datasetPath, "holds the integer \(bad), outside the int32 range Sketch reads")
    }
  }

  /// Whether an integer dataset's stored type can hold values outside Int32 (wider, or 4-byte unsigned).
  private static func integerMayExceedInt32(_ did: hid_t) -> Bool {
    let type = H5Dget_type(did)
    defer { H5Tclose(type) }
    let size = H5Tget_size(type)
    return size > 4 || (size == 4 && H5Tget_sign(type) == H5T_SGN_NONE)
  }

  /// A chunk shape of about 1 MiB: whole trailing axes, splitting the leading ones.
  static func automaticChunk(_ shape: [Int], _ elementSize: Int) -> [Int] {
    let target = max(1, (1 << 20) / elementSize)
    var chunk = shape.map { max(1, $0) }
    var inner = 1
    for axis in stride(from: shape.count - 1, through: 0, by: -1) {
      let dim = max(1, shape[axis])
      if inner * dim <= target {
        inner *= dim
      } else {
        chunk[axis] = max(1, target / inner)
        for outer in 0..<axis { chunk[outer] = 1 }
        break
      }
    }
    return chunk
  }
}
