import CWorkerPool
import Foundation
import TestSupport
import XCTest

@testable import Codegen

/// The worker pool under contention (docs/native.md, "The worker pool under contention"): native
/// functions with parallel loops and products give the same bits while busy threads saturate the cores,
/// and when called from several threads at once; no call deadlocks (each is bounded by a time-out);
/// the thread count follows the CPUs the process may use. No test asserts a wall-clock time.
final class NativeWorkerPoolTests: XCTestCase {
  /// A private compile cache.
  var dir: URL!
  /// OpenBLAS's thread count before the test (the tests set their own).
  var savedThreads = 1

  override func setUpWithError() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent("sketch-pool-\(UUID().uuidString)")
    savedThreads = BLAS.threads
  }

  override func tearDownWithError() throws {
    BLAS.threads = savedThreads
    try? FileManager.default.removeItem(at: dir)
  }

  /// Threads that spin on arithmetic until stopped: the cores saturated for the duration of a test.
  final class Spinners: @unchecked Sendable {
    /// Guards `running` and `sink`.
    private let lock = NSLock()
    /// Whether the threads keep spinning.
    private var running = true
    /// Where the threads leave their sums (so the loops are not optimised away).
    private var sink = 0.0
    /// Left by each thread when it stops.
    private let stopped = DispatchGroup()

    /// Starts `count` spinning threads.
    init(_ count: Int) {
      for _ in 0..<count {
        stopped.enter()
        let t = Thread { [self] in
          var x = 0.0
          while isRunning { for i in 0..<200_000 { x += Double(i & 7) * 1e-9 } }
          lock.withLock { sink += x }
          stopped.leave()
        }
        t.start()
      }
    }

    /// Whether the threads should keep spinning.
    var isRunning: Bool { lock.withLock { running } }

    /// Stops the threads and waits for them.
    func stop() {
      lock.withLock { running = false }
      stopped.wait()
    }
  }

  /// Results and errors gathered from several threads.
  final class Results: @unchecked Sendable {
    /// Guards the arrays.
    private let lock = NSLock()
    /// The outputs' bits of each call, with a label.
    private(set) var bits: [(label: String, bits: [[UInt32]])] = []
    /// Errors thrown by calls.
    private(set) var errors: [String] = []

    /// Records one call's outputs.
    func add(_ label: String, _ outputs: [Tensor]) { lock.withLock { bits.append((label, outputs.map(bitsOf))) } }
    /// Records an error.
    func fail(_ e: Error) { lock.withLock { errors.append("\(e)") } }
  }

  /// Runs `body` on a thread of its own and fails the test if it has not ended after `seconds` (a deadlock).
  func within(_ seconds: Double, _ body: @escaping @Sendable () -> Void) {
    let done = DispatchSemaphore(value: 0)
    let t = Thread {
      body()
      done.signal()
    }
    t.stackSize = 8 << 20
    t.start()
    if done.wait(timeout: .now() + seconds) == .timedOut {
      XCTFail("the calls did not end within \(seconds) s: a deadlock in the worker pool?")
    }
  }

  /// A function with parallel products and loops: a big product (split by column blocks), a
  /// contraction of 3 (the small-k loop), tanh over the sum and a row-wise softmax and sum.
  func productsGraph() throws -> (FunctionGraph, [Tensor]) {
    let x = input("x", .float32, ["N", 400])
    let w = input("w", .float32, [400, 1200])
    let p = input("p", .float32, ["N", 3])
    let q = input("q", .float32, [3, 1200])
    let h = tanh(matmul(x, w) + matmul(p, q))
    let s = softmax(h, axis: 1)
    let r = sum(s * h, axes: [1])
    let g = try FunctionGraph(inputs: [x, w, p, q], outputs: [h, s, r])
    let key = RandomKey(seed: 7)
    let args = [
      Random.normal(key: key, shape: [512, 400]), Random.normal(key: key.fold(1), shape: [400, 1200], std: 0.05),
      Random.normal(key: key.fold(2), shape: [512, 3]), Random.normal(key: key.fold(3), shape: [3, 1200]),
    ]
    return (g, args)
  }

  /// A function of elementwise loops only (exp, sigmoid, tanh over 1M elements): the same bits on any
  /// thread count.
  func loopsGraph() throws -> (FunctionGraph, [Tensor]) {
    let x = input("x", .float32, ["N", 512])
    let y = exp(x * 0.25) * sigmoid(x) + tanh(x * 1.5)
    let g = try FunctionGraph(inputs: [x], outputs: [y, y * x])
    return (g, [Random.normal(key: RandomKey(seed: 9), shape: [2048, 512])])
  }

  /// The outputs' bits of one quiet call.
  func reference(_ p: NativeProgram, _ g: FunctionGraph, _ args: [Tensor]) throws -> [[UInt32]] {
    try p.run(g, arguments: args).map(bitsOf)
  }

  /// Runs `program` `times` times while busy threads saturate every core; what the calls gave.
  private func runWhileBusy(_ program: NativeProgram, _ g: FunctionGraph, _ args: [Tensor], times: Int) -> Results {
    let results = Results()
    let spinners = Spinners(ProcessInfo.processInfo.activeProcessorCount)
    within(300) {
      for _ in 0..<times {
        do { results.add("busy", try program.run(g, arguments: args)) } catch { results.fail(error) }
      }
    }
    spinners.stop()
    return results
  }

  /// Parallel products and loops while busy threads saturate the cores: the bits of a quiet call.
  func testSameBitsWhileBusyThreadsSaturateTheCores() throws {
    BLAS.threads = 4
    let (g, args) = try productsGraph()
    let program = try NativeProgram(graph: g, compiler: CCompiler(cacheDirectory: dir))
    let expected = try reference(program, g, args)
    let jobsBefore = WorkerPool.counters["jobs"]!
    let results = runWhileBusy(program, g, args, times: 12)
    XCTAssertEqual(results.errors, [])
    XCTAssertEqual(results.bits.count, 12)
    for r in results.bits { XCTAssertTrue(r.bits == expected, "a call under load gave other bits") }
    XCTAssertGreaterThan(WorkerPool.counters["jobs"]!, jobsBefore, "no loop went to the pool")
  }

  /// Elementwise loops give the bits of a one-thread run with four threads, also under load.
  func testLoopsGiveTheBitsOfOneThreadUnderLoad() throws {
    let (g, args) = try loopsGraph()
    let program = try NativeProgram(graph: g, compiler: CCompiler(cacheDirectory: dir))
    BLAS.threads = 1
    let expected = try reference(program, g, args)
    BLAS.threads = 4
    let results = runWhileBusy(program, g, args, times: 8)
    XCTAssertEqual(results.errors, [])
    XCTAssertEqual(results.bits.count, 8)
    for r in results.bits { XCTAssertTrue(r.bits == expected, "four threads under load gave other bits than one") }
  }

  /// Two functions called from four threads at once (each also from two threads at once: calls of one
  /// function are serialized), with busy threads beside them: every call gives its function's bits.
  func testConcurrentCallsFromSeveralThreads() throws {
    BLAS.threads = 3
    let (g1, a1) = try productsGraph()
    let (g2, a2) = try loopsGraph()
    let p1 = try NativeProgram(graph: g1, compiler: CCompiler(cacheDirectory: dir))
    let p2 = try NativeProgram(graph: g2, compiler: CCompiler(cacheDirectory: dir))
    let expected = ["products": try reference(p1, g1, a1), "loops": try reference(p2, g2, a2)]
    let solosBefore = WorkerPool.counters["solo"]!
    let results = Results()
    let spinners = Spinners(1)
    within(300) {
      DispatchQueue.concurrentPerform(iterations: 4) { i in
        for _ in 0..<6 {
          do {
            if i % 2 == 0 {
              results.add("products", try p1.run(g1, arguments: a1))
            } else {
              results.add("loops", try p2.run(g2, arguments: a2))
            }
          } catch {
            results.fail(error)
          }
        }
      }
    }
    spinners.stop()
    XCTAssertEqual(results.errors, [])
    XCTAssertEqual(results.bits.count, 24)
    for r in results.bits {
      XCTAssertTrue(r.bits == expected[r.label]!, "a concurrent call of \(r.label) gave other bits")
    }
    // Whether a caller found the pool busy depends on the schedule; the counter only never goes down.
    XCTAssertGreaterThanOrEqual(WorkerPool.counters["solo"]!, solosBefore)
  }

  /// The thread count of `sketch` under `taskset -c 0` is 1, and all CPUs available without it;
  /// OPENBLAS_NUM_THREADS sets it.
  func testThreadCountFollowsTheAffinityMask() throws {
    let taskset = ["/usr/bin/taskset", "/bin/taskset"].first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let taskset else { throw XCTSkip("taskset (util-linux) is not installed") }
    let sketch = try SketchProcess.executable().path
    /// The JSON report of `sketch bench --report-threads` run as `command`, with `environment` added.
    func report(_ command: [String], _ environment: [String: String] = [:]) throws -> [String: Any] {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: command[0])
      p.arguments = Array(command.dropFirst()) + ["bench", "--report-threads", "--json"]
      var env = ProcessInfo.processInfo.environment
      for k in ["OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS", "OMP_NUM_THREADS"] { env[k] = nil }
      env.merge(environment) { $1 }
      p.environment = env
      let out = Pipe()
      p.standardOutput = out
      p.standardError = FileHandle.nullDevice
      try p.run()
      let data = out.fileHandleForReading.readDataToEndOfFile()
      p.waitUntilExit()
      XCTAssertEqual(p.terminationStatus, 0)
      return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }
    let pinned = try report([taskset, "-c", "0", sketch])
    XCTAssertEqual(pinned["threads"] as? Int, 1)
    XCTAssertEqual(pinned["cpus_available"] as? Int, 1)
    XCTAssertEqual(pinned["threads_from_environment"] as? Bool, false)
    // The environment is OpenBLAS's own setting (which OpenBLAS caps at the affinity mask).
    let given = try report([sketch], ["OPENBLAS_NUM_THREADS": "1"])
    XCTAssertEqual(given["threads"] as? Int, 1)
    XCTAssertEqual(given["threads_from_environment"] as? Bool, true)
    let free = try report([sketch])
    XCTAssertEqual(free["cpus_available"] as? Int, BLAS.availableCPUs)
    XCTAssertEqual(free["threads"] as? Int, BLAS.availableCPUs)
  }

  /// `sketch bench --threads N --report-threads` reports N whatever the affinity.
  func testThreadsOptionOverridesTheAffinityMask() throws {
    let taskset = ["/usr/bin/taskset", "/bin/taskset"].first { FileManager.default.isExecutableFile(atPath: $0) }
    guard let taskset else { throw XCTSkip("taskset (util-linux) is not installed") }
    let result = try SketchExecutable.run(["bench", "--threads", "3", "--report-threads", "--json"], timeout: 60)
    XCTAssertTrue(result.exitedCleanly, result.output)
    XCTAssertTrue(result.output.contains("\"threads\":3"), result.output)
    // And pinned to one CPU, through taskset as the program with sketch's path after it.
    let p = Process()
    p.executableURL = URL(fileURLWithPath: taskset)
    p.arguments = [
      "-c", "0", try SketchProcess.executable().path, "bench", "--threads", "3", "--report-threads", "--json",
    ]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    XCTAssertTrue(text.contains("\"threads\":3") && text.contains("\"cpus_available\":1"), text)
  }

  /// cgroup v2 `cpu.max`: "QUOTA PERIOD" allows QUOTA / PERIOD CPUs rounded up; "max" and bad text no limit.
  func testCPUQuotaText() {
    XCTAssertEqual(sk_pool_cpu_max_limit("max 100000\n"), 0)
    XCTAssertEqual(sk_pool_cpu_max_limit("200000 100000\n"), 2)
    XCTAssertEqual(sk_pool_cpu_max_limit("150000 100000"), 2)
    XCTAssertEqual(sk_pool_cpu_max_limit("50000 100000"), 1)
    XCTAssertEqual(sk_pool_cpu_max_limit("-1 100000"), 0)
    XCTAssertEqual(sk_pool_cpu_max_limit("garbage"), 0)
    XCTAssertEqual(sk_pool_cpu_max_limit(""), 0)
    XCTAssertGreaterThanOrEqual(BLAS.availableCPUs, 1)
    XCTAssertLessThanOrEqual(BLAS.availableCPUs, ProcessInfo.processInfo.processorCount)
  }
}

/// The bit patterns of a float32 tensor's elements.
private func bitsOf(_ t: Tensor) -> [UInt32] { t.array(Float.self).map(\.bitPattern) }
