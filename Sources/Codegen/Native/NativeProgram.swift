import CWorkerPool
import Foundation
import Graph
import Runtime

/// A function graph compiled to C and loaded: `run` plans the sizes, fills the buffers, calls the
/// generated `sk_main` and reads the outputs.
final class NativeProgram: @unchecked Sendable {
  typealias Entry = @convention(c) (
    UnsafeMutablePointer<UnsafeMutableRawPointer?>, UnsafePointer<Int64>,
    (@convention(c) (sk_task_fn?, UnsafeMutableRawPointer?, Int64) -> Void)?, Int64
  ) -> Int32

  let layout: NativeLayout
  let source: String
  let libraryPath: String
  /// Whether the library came from the compile cache (no cc run).
  let cached: Bool
  private let library: DynamicLibrary
  private let entry: Entry
  private var allocated: [UnsafeMutableRawPointer?]
  private var capacity: [Int]
  /// Buffers the generated code points elsewhere (views, reshapes): no storage.
  private let unallocated: Set<Int>
  /// The outer graph's intermediates, placed in one arena (see ``NativeArena``).
  private let arena: NativeArena
  private let planned: Set<Int>
  private var arenaMemory: UnsafeMutableRawPointer?
  private var arenaCapacity = 0
  private var arenaSizes: [Int] = []
  private var arenaOffsets: [Int] = []
  /// The arena's size for the last call, in bytes (for tests and `sketch bench`).
  private(set) var arenaBytes = 0
  private let lock = NSLock()
  /// The per-node timers when compiled with profiling (`SKETCH_PROFILE=1`).
  private var timers: (seconds: UnsafePointer<Double>, calls: UnsafePointer<Int64>)?

  init(graph: FunctionGraph, compiler: CCompiler = .shared, profile: Bool = NativeProfile.enabled, parts: Int? = nil) throws {
    layout = try NativeLayout(graph)
    let emitter = CEmitter(layout: layout, profile: profile)
    let sources = try emitter.emit(parts: parts ?? Self.parts(layout))
    source = sources.joined(separator: "\n")
    unallocated = emitter.unallocated
    arena = NativeArena(layout: layout, emitter: emitter)
    planned = Set(arena.lifetimes.map(\.id))
    // Verified before dlopen, checked after (CCompiler.load); a bad cache entry is rebuilt.
    let (lib, path, cached) = try compiler.load(sources)
    library = lib
    libraryPath = path
    self.cached = cached
    entry = unsafeBitCast(try lib.symbol("sk_main"), to: Entry.self)
    if profile {
      typealias Getter = @convention(c) () -> UnsafeRawPointer
      let seconds = unsafeBitCast(try lib.symbol("sk_profile_seconds"), to: Getter.self)()
      let calls = unsafeBitCast(try lib.symbol("sk_profile_calls"), to: Getter.self)()
      timers = (seconds.assumingMemoryBound(to: Double.self), calls.assumingMemoryBound(to: Int64.self))
    }
    allocated = Array(repeating: nil, count: layout.bufferCount)
    capacity = Array(repeating: 0, count: layout.bufferCount)
  }

  deinit {
    for p in allocated { p?.deallocate() }
    arenaMemory?.deallocate()
  }

  /// Translation units for a graph: one per core (at most 4) for big graphs, so that cc builds them
  /// side by side; one for small ones (a second process costs more than it saves).
  static func parts(_ layout: NativeLayout) -> Int {
    layout.bufferCount < 200 ? 1 : Swift.min(4, ProcessInfo.processInfo.activeProcessorCount)
  }

  /// Seconds and calls of every timed node so far, by buffer id (nil without profiling).
  func profile() -> [(id: Int, seconds: Double, calls: Int)]? {
    guard let (seconds, calls) = timers else { return nil }
    lock.lock()
    defer { lock.unlock() }
    return (0..<layout.bufferCount).compactMap { id in
      calls[id] > 0 ? (id, seconds[id], Int(calls[id])) : nil
    }
  }

  /// Runs the compiled function on `arguments`; the graph must be the one it was compiled from.
  func run(_ graph: FunctionGraph, arguments: [Tensor]) throws -> [Tensor] {
    try Interpreter.checkArguments(graph, arguments)
    let plan: ShapePlan
    do {
      plan = try ShapePlan(layout: layout, arguments: arguments)
    } catch let e as RuntimeError {
      // Sizes that do not fit: the interpreter, the reference for errors too, says exactly where.
      _ = try Interpreter.run(graph, arguments: arguments)
      throw e
    }
    // One call at a time per program: the buffers are kept from call to call (no page faults for
    // fresh memory on every call) and grown when a call needs more.
    lock.lock()
    defer { lock.unlock() }
    let sizes = arena.lifetimes.map { l in Swift.max(plan.shapes[l.id].reduce(1, *) * layout.dtype[l.id].byteSize, 8) }
    if sizes != arenaSizes {
      let placed = arena.place(sizes)
      (arenaSizes, arenaOffsets, arenaBytes) = (sizes, placed.offsets, placed.bytes)
      if placed.bytes > arenaCapacity {
        arenaMemory?.deallocate()
        arenaMemory = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(placed.bytes, 64), alignment: 64)
        arenaCapacity = placed.bytes
      }
    }
    for id in 0..<layout.bufferCount where !unallocated.contains(id) && !planned.contains(id) {
      let bytes = Swift.max(plan.shapes[id].reduce(1, *) * layout.dtype[id].byteSize, 8)
      if bytes > capacity[id] {
        allocated[id]?.deallocate()
        allocated[id] = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        capacity[id] = bytes
      }
    }
    // The generated code repoints entries (scan slots into sequences, reshapes at their inputs,
    // outputs into stacked results, carries trading buffers), so the allocations are kept apart from
    // the array it receives, and the outputs are read where its entries point at the end.
    var buffers: [UnsafeMutableRawPointer?] = allocated
    for (k, l) in arena.lifetimes.enumerated() { buffers[l.id] = arenaMemory! + arenaOffsets[k] }
    let g0 = layout.graphs[0]
    for (i, id) in g0.inputs.enumerated() { Self.fill(buffers[id]!, arguments[i]) }
    for (i, node) in g0.nodes.enumerated() {
      switch node.op {
      case .constant(let t): Self.fill(buffers[i]!, t)
      case .shared(let s): Self.fill(buffers[i]!, s.value)
      default: break
      }
    }
    // Leaves inside scan bodies (constants, shared variables made in a step).
    for g in 1..<layout.graphs.count {
      for (i, node) in layout.graphs[g].nodes.enumerated() {
        switch node.op {
        case .constant(let t): Self.fill(buffers[layout.id(g, i)]!, t)
        case .shared(let s): Self.fill(buffers[layout.id(g, i)]!, s.value)
        default: break
        }
      }
    }
    let threads = NativeThreads.enter()
    let rc = plan.params.withUnsafeBufferPointer { p in
      buffers.withUnsafeMutableBufferPointer { b in entry(b.baseAddress!, p.baseAddress!, sk_pool_parallel, Int64(threads)) }
    }
    NativeThreads.exit()
    if rc != 0 {
      // A run-time check failed in C; the interpreter gives the precise message.
      _ = try Interpreter.run(graph, arguments: arguments)
      throw RuntimeError("the native function stopped with code \(rc) where the interpreter did not; please report this")
    }
    return g0.outputs.map { Self.read(buffers[$0]!, dtype: layout.dtype[$0], shape: plan.shapes[$0]) }
  }

  static func fill(_ p: UnsafeMutableRawPointer, _ t: Tensor) {
    func copy<T>(_ a: [T]) { a.withUnsafeBytes { p.copyMemory(from: $0.baseAddress!, byteCount: $0.count) } }
    switch t.storage {
    case .float32(let a): if !a.isEmpty { copy(a) }
    case .float64(let a): if !a.isEmpty { copy(a) }
    case .int32(let a): if !a.isEmpty { copy(a) }
    case .bool(let a): if !a.isEmpty { copy(a.map { UInt8($0 ? 1 : 0) }) }
    }
  }

  static func read(_ p: UnsafeMutableRawPointer, dtype: DType, shape: [Int]) -> Tensor {
    let n = shape.reduce(1, *)
    func load<T: TensorScalar>(_: T.Type) -> [T] {
      Array(UnsafeBufferPointer(start: p.assumingMemoryBound(to: T.self), count: n))
    }
    switch dtype {
    case .float32: return Tensor(shape: shape, load(Float.self))
    case .float64: return Tensor(shape: shape, load(Double.self))
    case .int32: return Tensor(shape: shape, load(Int32.self))
    case .bool:
      let bytes = UnsafeBufferPointer(start: p.assumingMemoryBound(to: UInt8.self), count: n)
      return Tensor(shape: shape, bytes.map { $0 != 0 })
    }
  }
}

/// The threads native code runs on: as many as OpenBLAS was given (`OPENBLAS_NUM_THREADS`, `--threads`,
/// `BLAS.threads`; all cores by default). While native code runs, OpenBLAS itself is set to one thread
/// and the generated code splits big loops and products across the worker pool instead (OpenBLAS's
/// own threads would spin against the pool's); the setting is restored when no native code runs.
enum NativeThreads {
  private static let lock = NSLock()
  nonisolated(unsafe) private static var active = 0
  nonisolated(unsafe) private static var saved = 1

  static func enter() -> Int {
    lock.withLock {
      if active == 0 {
        saved = BLAS.threads
        if saved > 1 { BLAS.threads = 1 }
        sk_pool_set_threads(Int32(saved))
      }
      active += 1
      return saved
    }
  }

  static func exit() {
    lock.withLock {
      active -= 1
      if active == 0 && saved > 1 { BLAS.threads = saved }
    }
  }
}
