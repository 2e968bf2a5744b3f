import CSketchGemm
import CWorkerPool
import Foundation
import Graph
import SketchRuntime

/// A function graph compiled to C and loaded: `run` plans the sizes, fills the buffers, calls the
/// generated `sk_main` and reads the outputs.
final class NativeProgram: @unchecked Sendable {
  typealias Entry =
    @convention(c) (
      UnsafeMutablePointer<UnsafeMutableRawPointer?>, UnsafePointer<Int64>,
      (@convention(c) (sk_task_fn?, UnsafeMutableRawPointer?, Int64, Int64) -> Void)?, Int64
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
  /// The buffers of shared variables (every graph's `.shared` leaves), kept across calls: a variable
  /// is copied in only when its version changed since, and an update is written straight into them
  /// (no copy out until Swift reads the value; see ``SharedVariable/hold(by:)``).
  private let resident: [Int: ResidentBuffer]
  /// Per shared variable, the ids of its resident buffers.
  private let residentIDs: [ObjectIdentifier: [Int]]
  /// The per-node timers when compiled with profiling (`SKETCH_PROFILE=1`).
  private var timers: (seconds: UnsafePointer<Double>, calls: UnsafePointer<Int64>)?

  init(graph: FunctionGraph, compiler: CCompiler = .shared, profile: Bool = NativeProfile.enabled, parts: Int? = nil)
    throws
  {
    layout = try NativeLayout(graph)
    let emitter = CEmitter(layout: layout, profile: profile)
    let sources = try emitter.emit(parts: parts ?? Self.parts(layout))
    source = sources.joined(separator: "\n")
    unallocated = emitter.unallocated
    arena = NativeArena(layout: layout)
    planned = Set(arena.lifetimes.map(\.id))
    // Verified before dlopen, checked after (CCompiler.load); a bad cache entry is rebuilt.
    let (lib, path, cached) = try compiler.load(sources)
    library = lib
    libraryPath = path
    self.cached = cached
    entry = unsafeBitCast(try lib.symbol("sk_main"), to: Entry.self)
    // The executable's float32 product (Sources/Codegen/CSketchGemm), for the library's products.
    typealias SetGemm = @convention(c) (sk_gemm_fn_t?, sk_loop_fn_t?) -> Void
    unsafeBitCast(try lib.symbol("sk_set_gemm"), to: SetGemm.self)(sk_gemm_f32, sk_gemm_loop_start)
    if profile {
      typealias Getter = @convention(c) () -> UnsafeRawPointer
      let seconds = unsafeBitCast(try lib.symbol("sk_profile_seconds"), to: Getter.self)()
      let calls = unsafeBitCast(try lib.symbol("sk_profile_calls"), to: Getter.self)()
      timers = (seconds.assumingMemoryBound(to: Double.self), calls.assumingMemoryBound(to: Int64.self))
    }
    var allocated = [UnsafeMutableRawPointer?](repeating: nil, count: layout.bufferCount)
    var capacity = Array(repeating: 0, count: layout.bufferCount)
    var resident: [Int: ResidentBuffer] = [:]
    var residentIDs: [ObjectIdentifier: [Int]] = [:]
    for g in layout.graphs.indices {
      for (i, node) in layout.graphs[g].nodes.enumerated() {
        guard case .shared(let v) = node.op else { continue }
        let id = layout.id(g, i)
        let r = ResidentBuffer(v)
        resident[id] = r
        residentIDs[ObjectIdentifier(v), default: []].append(id)
        allocated[id] = r.pointer
        capacity[id] = Int.max  // never reallocated: a shared variable's shape is fixed
      }
    }
    precondition(planned.isDisjoint(with: resident.keys), "NativeProgram: a shared variable placed in the arena")
    (self.allocated, self.capacity, self.resident, self.residentIDs) = (allocated, capacity, resident, residentIDs)
  }

  deinit {
    // Resident buffers belong to their ResidentBuffer (a shared variable may still read from one).
    for (id, p) in allocated.enumerated() where resident[id] == nil { p?.deallocate() }
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
  /// Returns the first `returning` outputs (all by default); `updates` pairs later outputs with the
  /// shared variables they are assigned to after the call: the value is written into this program's
  /// buffer of the variable and stays there until Swift reads it.
  func run(
    _ graph: FunctionGraph, arguments: [Tensor], returning: Int? = nil,
    updates: [(output: Int, variable: SharedVariable)] = []
  ) throws -> [Tensor] {
    try Interpreter.checkArguments(graph, arguments)
    // Sizes that do not fit are reported by the ops' shape rule, as the interpreter reports them.
    let plan = try ShapePlan(layout: layout, arguments: arguments)
    // One call at a time per program: the buffers are kept from call to call (no page faults for
    // fresh memory on every call) and grown when a call needs more.
    lock.lock()
    defer { lock.unlock() }
    let sizes = arena.lifetimes.map { l in MemoryPlan.bufferBytes(plan.shapes[l.id].reduce(1, *), layout.dtype[l.id]) }
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
    // Constants of every graph (scan bodies included); shared variables only when changed.
    for g in layout.graphs.indices {
      for (i, node) in layout.graphs[g].nodes.enumerated() {
        if case .constant(let t) = node.op { Self.fill(buffers[layout.id(g, i)]!, t) }
      }
    }
    for (_, r) in resident { r.refresh() }
    let threads = NativeThreads.enter()
    let rc = plan.params.withUnsafeBufferPointer { p in
      buffers.withUnsafeMutableBufferPointer { b in
        entry(b.baseAddress!, p.baseAddress!, sk_pool_parallel, Int64(threads))
      }
    }
    NativeThreads.exit()
    if rc != 0 { throw failure(rc) }
    let results = g0.outputs.prefix(returning ?? g0.outputs.count).map {
      Self.read(buffers[$0]!, dtype: layout.dtype[$0], shape: plan.shapes[$0])
    }
    // Updates after every output is read (they are assigned after the call). All are checked first.
    for (k, v) in updates { try v.check(layout.dtype[g0.outputs[k]], plan.shapes[g0.outputs[k]]) }
    // An update whose value is a variable's own buffer (w := v) is read before any buffer changes.
    let pointers = Set(resident.values.map(\.pointer))
    var direct: [(output: Int, variable: SharedVariable)] = []
    for (k, v) in updates {
      let source = buffers[g0.outputs[k]]!
      if pointers.contains(source), !(resident[g0.outputs[k]]?.variable === v) {
        try v.set(Self.read(source, dtype: layout.dtype[g0.outputs[k]], shape: plan.shapes[g0.outputs[k]]))
      } else {
        direct.append((k, v))
      }
    }
    for (k, v) in direct {
      let source = buffers[g0.outputs[k]]!
      guard let ids = residentIDs[ObjectIdentifier(v)] else {
        // The function does not read the variable: no buffer of it here.
        try v.set(Self.read(source, dtype: layout.dtype[g0.outputs[k]], shape: plan.shapes[g0.outputs[k]]))
        continue
      }
      let holder = resident[ids[0]]!
      if source == holder.pointer { continue }  // v := v leaves the value as it is
      holder.write(from: source)
      holder.version = v.hold(by: holder)
      for id in ids.dropFirst() { resident[id]!.copy(from: holder) }
    }
    return results
  }

  /// The error of a failed call: the code's message (``KernelFailure``) at the node that failed, in
  /// the interpreter's form.
  private func failure(_ rc: Int32) -> RuntimeError {
    let err = errorInfo()
    let id = Int(err[0])
    guard let f = KernelFailure(rawValue: rc), (0..<layout.bufferCount).contains(id) else {
      return RuntimeError("the native function stopped with code \(rc); please report this")
    }
    let g = layout.base.lastIndex { $0 <= id }!
    let node = layout.graphs[g].nodes[id - layout.base[g]]
    return RuntimeError(
      "\(node.location): \(node.op.name)\(node.name.map { " '\($0)'" } ?? ""): \(f.message(node.op, err[1], err[2]))")
  }

  private func errorInfo() -> [Double] {
    typealias Getter = @convention(c) () -> UnsafePointer<Double>
    guard let sym = try? library.symbol("sk_error") else { return [-1, 0, 0] }
    let p = unsafeBitCast(sym, to: Getter.self)()
    return [p[0], p[1], p[2]]
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

/// A native program's buffer of a shared variable, kept across calls (see ``NativeProgram/run``). It
/// owns its memory, so a variable can read its value from it after the program is gone.
final class ResidentBuffer: SharedValueHolder, @unchecked Sendable {
  let variable: SharedVariable
  let pointer: UnsafeMutableRawPointer
  let bytes: Int
  /// The variable's version this buffer holds (nil: never filled).
  var version: UInt64?
  private let lock = NSLock()

  init(_ v: SharedVariable) {
    variable = v
    bytes = Swift.max(v.type.shape.map { $0.fixedValue ?? 0 }.reduce(1, *) * v.type.dtype.byteSize, 8)
    pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
  }

  deinit { pointer.deallocate() }

  /// Copies the variable's value in unless this buffer has it already.
  func refresh() {
    if variable.isHeld(by: self) { return }
    if let version, version == variable.version { return }
    let (value, v) = variable.snapshot()
    lock.withLock { NativeProgram.fill(pointer, value) }
    version = v
  }

  func write(from source: UnsafeRawPointer) {
    lock.withLock { pointer.copyMemory(from: source, byteCount: bytes) }
  }

  /// The same value as `other` (another buffer of the variable in the same program).
  func copy(from other: ResidentBuffer) {
    lock.withLock { pointer.copyMemory(from: other.pointer, byteCount: bytes) }
    version = other.version
  }

  func read() -> Tensor {
    lock.withLock {
      NativeProgram.read(pointer, dtype: variable.type.dtype, shape: variable.type.shape.map { $0.fixedValue ?? 0 })
    }
  }
}

/// The threads native code runs on: as many as OpenBLAS was given (`OPENBLAS_NUM_THREADS`, `--threads`,
/// `BLAS.threads`; by default the CPUs the process may use, `BLAS.availableCPUs`). While native code
/// runs, OpenBLAS itself is set to one thread and the generated code splits big loops and products
/// across the worker pool instead (OpenBLAS's own threads would spin against the pool's); the setting
/// is restored when no native code runs.
enum NativeThreads {
  /// Guards `active` and `saved`.
  private static let lock = NSLock()
  /// Native calls running now.
  nonisolated(unsafe) private static var active = 0
  /// OpenBLAS's thread count before the first of them.
  nonisolated(unsafe) private static var saved = 1

  /// The thread count a native call starting now uses.
  static var configured: Int { lock.withLock { active > 0 ? saved : BLAS.threads } }

  /// Starts a native call: returns its thread count (OpenBLAS set to one thread meanwhile).
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

  /// Ends a native call (OpenBLAS's setting restored after the last).
  static func exit() {
    lock.withLock {
      active -= 1
      if active == 0 && saved > 1 { BLAS.threads = saved }
    }
  }
}
