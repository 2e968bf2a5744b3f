import CHDF5
import SketchRuntime

/// The value of an HDF5 attribute.
///
/// Written as: Double a scalar F64LE, Int a scalar I64LE, String a scalar variable-length UTF-8 string,
/// arrays 1-D. When read, any float type gives `.double`/`.doubles`, any integer type `.int`/`.ints`, and
/// fixed- or variable-length strings `.string`/`.strings`; a scalar dataspace gives the scalar case, a
/// simple one (of any rank, flattened) the array case.
public enum HDF5Attribute: Sendable, Hashable {
  case double(Double)
  case int(Int)
  case string(String)
  case doubles([Double])
  case ints([Int])
  case strings([String])

  /// The value as a Double: a double, an int, or a one-element array of either.
  public var doubleValue: Double? {
    switch self {
    case .double(let x): return x
    case .int(let x): return Double(x)
    case .doubles(let a) where a.count == 1: return a[0]
    case .ints(let a) where a.count == 1: return Double(a[0])
    default: return nil
    }
  }

  /// The value as an Int: an int or a one-element int array.
  public var intValue: Int? {
    switch self {
    case .int(let x): return x
    case .ints(let a) where a.count == 1: return a[0]
    default: return nil
    }
  }

  /// The value as a String: a string or a one-element string array.
  public var stringValue: String? {
    switch self {
    case .string(let s): return s
    case .strings(let a) where a.count == 1: return a[0]
    default: return nil
    }
  }

  /// The value as [Double]: doubles, ints, or a scalar of either.
  public var doublesValue: [Double]? {
    switch self {
    case .doubles(let a): return a
    case .ints(let a): return a.map(Double.init)
    case .double(let x): return [x]
    case .int(let x): return [Double(x)]
    default: return nil
    }
  }

  /// The value as [Int]: ints or a scalar int.
  public var intsValue: [Int]? {
    switch self {
    case .ints(let a): return a
    case .int(let x): return [x]
    default: return nil
    }
  }

  /// The value as [String]: strings or a scalar string.
  public var stringsValue: [String]? {
    switch self {
    case .strings(let a): return a
    case .string(let s): return [s]
    default: return nil
    }
  }
}

extension HDF5File {
  /// Sets the attribute `name` on the object at `objectPath` (the root group by default), replacing any
  /// attribute of that name.
  public func setAttribute(_ name: String, _ value: HDF5Attribute, on objectPath: String = "/")
    throws
  {
    try requireWritable(objectPath)
    let oid = try openObject(objectPath)
    defer { H5Oclose(oid) }
    let place = "\(HDF5File.display(objectPath))@\(name)"
    if H5Aexists(oid, name) > 0, H5Adelete(oid, name) < 0 {
      throw error(place, "cannot replace the attribute", library: true)
    }
    let count: Int?
    let fileType: hid_t
    switch value {
    case .double: (count, fileType) = (nil, H5Tcopy(shim_H5T_IEEE_F64LE()))
    case .int: (count, fileType) = (nil, H5Tcopy(shim_H5T_STD_I64LE()))
    case .string: (count, fileType) = (nil, HDF5Library.variableStringType())
    case .doubles(let a): (count, fileType) = (a.count, H5Tcopy(shim_H5T_IEEE_F64LE()))
    case .ints(let a): (count, fileType) = (a.count, H5Tcopy(shim_H5T_STD_I64LE()))
    case .strings(let a): (count, fileType) = (a.count, HDF5Library.variableStringType())
    }
    defer { H5Tclose(fileType) }
    var dims = [hsize_t(count ?? 0)]
    let space = count == nil ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, &dims, nil)
    defer { H5Sclose(space) }
    let aid = H5Acreate2(oid, name, fileType, space, hid_t(H5P_DEFAULT), hid_t(H5P_DEFAULT))
    guard aid >= 0 else { throw error(place, "cannot create the attribute", library: true) }
    defer { H5Aclose(aid) }
    let status: herr_t
    switch value {
    case .double(let x):
      status = withUnsafeBytes(of: x) { H5Awrite(aid, shim_H5T_NATIVE_DOUBLE(), $0.baseAddress) }
    case .int(let x):
      status = withUnsafeBytes(of: Int64(x)) {
        H5Awrite(aid, shim_H5T_NATIVE_INT64(), $0.baseAddress)
      }
    case .string(let s): status = HDF5Library.writeStrings([s]) { H5Awrite(aid, $0, $1) }
    case .doubles(let a):
      status =
        a.isEmpty
        ? 0 : a.withUnsafeBytes { H5Awrite(aid, shim_H5T_NATIVE_DOUBLE(), $0.baseAddress) }
    case .ints(let a):
      let wide = a.map { Int64($0) }
      status =
        wide.isEmpty
        ? 0 : wide.withUnsafeBytes { H5Awrite(aid, shim_H5T_NATIVE_INT64(), $0.baseAddress) }
    case .strings(let a):
      status = a.isEmpty ? 0 : HDF5Library.writeStrings(a) { H5Awrite(aid, $0, $1) }
    }
    if status < 0 { throw error(place, "writing the attribute failed", library: true) }
  }

  /// The attribute `name` of the object at `objectPath` (the root group by default).
  public func attribute(_ name: String, of objectPath: String = "/") throws -> HDF5Attribute {
    let oid = try openObject(objectPath)
    defer { H5Oclose(oid) }
    let place = "\(HDF5File.display(objectPath))@\(name)"
    guard H5Aexists(oid, name) > 0 else { throw error(place, "no such attribute") }
    let aid = H5Aopen(oid, name, hid_t(H5P_DEFAULT))
    guard aid >= 0 else { throw error(place, "cannot open the attribute", library: true) }
    defer { H5Aclose(aid) }
    let type = H5Aget_type(aid)
    defer { H5Tclose(type) }
    let space = H5Aget_space(aid)
    defer { H5Sclose(space) }
    let spaceClass = H5Sget_simple_extent_type(space)
    let isScalar = spaceClass == H5S_SCALAR
    let count = spaceClass == H5S_NULL ? 0 : Int(H5Sget_simple_extent_npoints(space))
    // A damaged header can claim any count; an attribute's elements are stored in the file.
    guard count >= 0, count <= max(fileSize, 0) &+ (1 << 20), !(isScalar && count != 1) else {
      throw error(place, "claims \(count) elements, more than the \(fileSize)-byte file can hold; the file is damaged")
    }
    func load<T>(_ zero: T, _ memType: hid_t) throws -> [T] {
      var values = [T](repeating: zero, count: count)
      if count == 0 { return values }
      let status = values.withUnsafeMutableBytes { H5Aread(aid, memType, $0.baseAddress) }
      if status < 0 { throw error(place, "reading the attribute failed", library: true) }
      return values
    }
    switch H5Tget_class(type) {
    case H5T_FLOAT:
      let values = try load(0.0, shim_H5T_NATIVE_DOUBLE())
      return isScalar ? .double(values[0]) : .doubles(values)
    case H5T_INTEGER:
      let values = try load(Int64(0), shim_H5T_NATIVE_INT64()).map { Int($0) }
      return isScalar ? .int(values[0]) : .ints(values)
    case H5T_STRING:
      let strings = HDF5Library.readStrings(fileType: type, space: space, count: count) {
        H5Aread(aid, $0, $1)
      }
      guard let strings else { throw error(place, "reading the attribute failed", library: true) }
      return isScalar ? .string(strings[0]) : .strings(strings)
    default:
      throw error(place, "has a type Sketch cannot read (not a number or a string)")
    }
  }

  /// The names of the attributes of the object at `objectPath`, sorted by name.
  public func attributeNames(of objectPath: String = "/") throws -> [String] {
    let oid = try openObject(objectPath)
    defer { H5Oclose(oid) }
    var info = H5O_info_t()
    guard H5Oget_info2(oid, &info, UInt32(H5O_INFO_NUM_ATTRS)) >= 0 else {
      throw error(objectPath, "cannot inspect the object", library: true)
    }
    var names: [String] = []
    for index in 0..<info.num_attrs {
      let length = H5Aget_name_by_idx(
        oid, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, hid_t(H5P_DEFAULT))
      guard length >= 0 else {
        throw error(objectPath, "cannot read an attribute name", library: true)
      }
      var buffer = [CChar](repeating: 0, count: Int(length) + 1)
      H5Aget_name_by_idx(
        oid, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, hid_t(H5P_DEFAULT))
      names.append(HDF5Library.string(from: buffer))
    }
    return names
  }

  // MARK: Typed getters

  /// The attribute as a Double (see ``HDF5Attribute/doubleValue``), or an error naming its actual type.
  public func doubleAttribute(_ name: String, of objectPath: String = "/") throws -> Double {
    try typed(name, objectPath, "a number") { $0.doubleValue }
  }

  /// The attribute as an Int (see ``HDF5Attribute/intValue``).
  public func intAttribute(_ name: String, of objectPath: String = "/") throws -> Int {
    try typed(name, objectPath, "an integer") { $0.intValue }
  }

  /// The attribute as a String (see ``HDF5Attribute/stringValue``).
  public func stringAttribute(_ name: String, of objectPath: String = "/") throws -> String {
    try typed(name, objectPath, "a string") { $0.stringValue }
  }

  /// The attribute as [Double] (see ``HDF5Attribute/doublesValue``).
  public func doublesAttribute(_ name: String, of objectPath: String = "/") throws -> [Double] {
    try typed(name, objectPath, "numbers") { $0.doublesValue }
  }

  /// The attribute as [Int] (see ``HDF5Attribute/intsValue``).
  public func intsAttribute(_ name: String, of objectPath: String = "/") throws -> [Int] {
    try typed(name, objectPath, "integers") { $0.intsValue }
  }

  private func typed<T>(
    _ name: String, _ objectPath: String, _ expected: String, _ convert: (HDF5Attribute) -> T?
  ) throws -> T {
    let value = try attribute(name, of: objectPath)
    guard let converted = convert(value) else {
      throw error("\(HDF5File.display(objectPath))@\(name)", "expected \(expected), found \(value)")
    }
    return converted
  }
}
