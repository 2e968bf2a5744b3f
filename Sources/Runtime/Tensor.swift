/// The contiguous elements of a tensor, in row-major order.
public enum TensorStorage: Sendable, Hashable {
  /// float32 elements.
  case float32([Float])
  /// float64 elements.
  case float64([Double])
  /// int32 elements.
  case int32([Int32])
  /// bool elements.
  case bool([Bool])

  /// The dtype of the elements (the case).
  public var dtype: DType {
    switch self {
    case .float32: return .float32
    case .float64: return .float64
    case .int32: return .int32
    case .bool: return .bool
    }
  }

  /// The number of elements.
  public var count: Int {
    switch self {
    case .float32(let a): return a.count
    case .float64(let a): return a.count
    case .int32(let a): return a.count
    case .bool(let a): return a.count
    }
  }
}

/// An n-dimensional array value: a dtype, a shape and contiguous row-major storage.
///
/// `Tensor` is a value type with copy-on-write storage (Swift arrays). A rank-0 tensor is a scalar.
public struct Tensor: Sendable, Hashable, CustomStringConvertible {
  /// The size of each axis, outermost first (empty for a scalar); every size is at least 0.
  public let shape: [Int]
  /// The elements in row-major order; their count is the product of `shape`.
  public private(set) var storage: TensorStorage

  /// Wraps `storage`; its element count must be the product of `shape`.
  public init(shape: [Int], storage: TensorStorage) {
    precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative dimension in shape \(shape)")
    precondition(
      storage.count == shape.reduce(1, *),
      "Tensor: \(storage.count) elements do not fill shape \(shape)")
    self.shape = shape
    self.storage = storage
  }

  /// A tensor of the given shape holding `elements` (row-major).
  public init<T: TensorScalar>(shape: [Int], _ elements: [T]) {
    self.init(shape: shape, storage: T.storage(elements))
  }

  /// A vector.
  public init<T: TensorScalar>(_ elements: [T]) {
    self.init(shape: [elements.count], storage: T.storage(elements))
  }

  /// A rank-0 tensor.
  public init<T: TensorScalar>(scalar: T) {
    self.init(shape: [], storage: T.storage([scalar]))
  }

  /// A tensor of `dtype` whose elements are `values` converted (bool: nonzero is true).
  public init(shape: [Int], dtype: DType, values: [Double]) {
    switch dtype {
    case .float32: self.init(shape: shape, values.map { Float($0) })
    case .float64: self.init(shape: shape, values)
    case .int32: self.init(shape: shape, values.map { Int32(converting: $0) })
    case .bool: self.init(shape: shape, values.map { $0 != 0 })
    }
  }

  /// A tensor of `dtype` and `shape` with every element equal to `value`.
  public static func filled(_ value: Double, dtype: DType, shape: [Int]) -> Tensor {
    Tensor(shape: shape, dtype: dtype, values: [Double](repeating: value, count: shape.reduce(1, *)))
  }

  /// A tensor of `dtype` and `shape` with every element 0 (bool: false).
  public static func zeros(_ dtype: DType, _ shape: [Int]) -> Tensor { filled(0, dtype: dtype, shape: shape) }

  /// The element type.
  public var dtype: DType { storage.dtype }
  /// The number of axes (0 for a scalar).
  public var rank: Int { shape.count }
  /// The number of elements: the product of `shape` (1 for a scalar).
  public var count: Int { storage.count }
  /// Whether the tensor has rank 0.
  public var isScalar: Bool { shape.isEmpty }

  /// Row-major strides in elements.
  public var strides: [Int] { Tensor.strides(for: shape) }

  /// The row-major strides, in elements, of a contiguous tensor of `shape` (the last axis has stride 1).
  public static func strides(for shape: [Int]) -> [Int] {
    var s = [Int](repeating: 1, count: shape.count)
    var acc = 1
    for i in stride(from: shape.count - 1, through: 0, by: -1) {
      s[i] = acc
      acc *= shape[i]
    }
    return s
  }

  /// The elements as `T`; `nil` when the dtype is another one.
  public func elements<T: TensorScalar>(_: T.Type = T.self) -> [T]? { T.elements(of: storage) }

  /// The elements as `T`, trapping on a dtype mismatch (a programming error inside Sketch).
  public func array<T: TensorScalar>(_: T.Type = T.self) -> [T] {
    guard let a = T.elements(of: storage) else {
      preconditionFailure("Tensor.array: asked for \(T.dtype), tensor holds \(dtype)")
    }
    return a
  }

  /// Every element converted to Double (bool: 0 or 1).
  public var doubles: [Double] {
    switch storage {
    case .float32(let a): return a.map { Double($0) }
    case .float64(let a): return a
    case .int32(let a): return a.map { Double($0) }
    case .bool(let a): return a.map { $0 ? 1 : 0 }
    }
  }

  /// The single element of a tensor with one element, as Double.
  public var scalarValue: Double {
    precondition(count == 1, "Tensor.scalarValue: tensor of shape \(shape) has \(count) elements")
    return doubles[0]
  }

  /// The same elements converted to `dtype` (float to int truncates toward zero, like C).
  public func cast(to dtype: DType) -> Tensor {
    if dtype == self.dtype { return self }
    switch (storage, dtype) {
    case (.float64(let a), .float32): return Tensor(shape: shape, a.map { Float($0) })
    case (.float32(let a), .float64): return Tensor(shape: shape, a.map { Double($0) })
    default: return Tensor(shape: shape, dtype: dtype, values: doubles)
    }
  }

  /// The same elements with another shape of equal element count.
  public func reshaped(_ newShape: [Int]) -> Tensor {
    Tensor(shape: newShape, storage: storage)
  }

  /// Replaces the storage, keeping the shape (the element count must not change).
  public mutating func withMutableStorage<R>(_ body: (inout TensorStorage) throws -> R) rethrows -> R {
    let n = storage.count
    let r = try body(&storage)
    precondition(storage.count == n && shape.reduce(1, *) == n, "Tensor: storage size changed")
    return r
  }

  /// `Tensor<f32>[2, 3][0.0, 1.0, ...]`: the dtype's short name, the shape and the first 8 elements at most.
  public var description: String {
    let values = doubles
    let shown = values.prefix(8).map { dtype.isFloatingPoint ? "\($0)" : "\(Int($0))" }
    let more = values.count > 8 ? ", ..." : ""
    return "Tensor<\(dtype.shortName)>\(shape)[\(shown.joined(separator: ", "))\(more)]"
  }
}
