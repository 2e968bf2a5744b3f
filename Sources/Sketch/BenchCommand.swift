import ArgumentParser
import Codegen
import Foundation

/// `sketch bench`: times the training step and the sampler on synthetic data (the benchmark model of docs/native.md).
struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Time the training step and the sampler on synthetic data (medians over repeated calls).",
    discussion: """
      Configurations: A = 1x400, batch 32, 300 steps; B = 3x400, 32, 300; C = 1x900, 56, 600; 20 mixtures. \
      --synthesis: config S of the synthesis network (3x400, window of 10, 20 mixtures, batch 32, 600 steps, \
      40 characters, an alphabet of 64; the sampler writes 64 lines of 600 steps).
      """)

  @Option(help: "A, B or C (overrides the sizes).") var config: String?
  @Flag(help: "Time the synthesis network instead, at config S (docs/synthesis.md).") var synthesis = false
  @Option(help: "native or interpreter.") var backend = "native"
  @Option(
    help: "Threads for products, big loops and OpenBLAS (default: OPENBLAS_NUM_THREADS, else the CPUs available).")
  var threads: Int?
  @Flag(help: "Print one JSON object instead of a table.") var json = false
  @Option(help: "Recurrent layers.") var depth = 1
  @Option(help: "State size.") var dim = 64
  @Option(help: "Batch size.") var batch = 32
  @Option(help: "Time steps.") var steps = 100
  @Option(name: .customLong("mix-dim"), help: "Mixture components.") var mixDim = 20
  @Option(help: "Timed calls after one warm-up call.") var repeats = 5
  @Option(name: .customLong("sample-steps"), help: "Sampler steps (0 to skip).") var sampleSteps = 600
  @Option(name: .customLong("sample-batch"), help: "Sampler batch.") var sampleBatch = 64
  @Flag(
    name: .customLong("tiny-scan"),
    help: "Instead: the per-step overhead of a scan with a tiny body (100,000 steps, batch 1, 8 units).")
  var tinyScan = false
  @Flag(help: "Time every node of the native code (SKETCH_PROFILE=1) and print where the time goes (stderr).")
  var profile = false
  @Option(help: "Busy-looping processes (sh) to run beside the measurement, to see it under contention.")
  var busy = 0
  @Flag(
    name: .customLong("report-threads"),
    help: "Only print the thread count native code would use and the CPUs this process may use, then exit.")
  var reportThreads = false

  func validate() throws {
    guard Mode(rawValue: backend) == .native || Mode(rawValue: backend) == .interpreter else {
      throw ValidationError("--backend must be native or interpreter")
    }
    if let c = config, !["A", "B", "C"].contains(c) { throw ValidationError("--config must be A, B or C") }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    if busy < 0 || busy > 64 { throw ValidationError("--busy must be between 0 and 64") }
    if synthesis && (config != nil || tinyScan) { throw ValidationError("--synthesis times config S; leave out --config and --tiny-scan") }
  }

  func run() throws {
    setenv("SKETCH_MODE", backend, 1)
    if profile { setenv("SKETCH_PROFILE", "1", 1) }
    if let threads { BLAS.threads = threads }
    if reportThreads { return try printThreads() }
    let spinners = try Bench.startBusy(busy)
    defer { Bench.stopBusy(spinners) }
    if tinyScan { return try runTinyScan() }
    if synthesis { return try report(finished(try runSynthesis())) }
    var (depth, dim, batch, steps, mixDim) = (self.depth, self.dim, self.batch, self.steps, self.mixDim)
    switch config {
    case "A": (depth, dim, batch, steps, mixDim) = (1, 400, 32, 300, 20)
    case "B": (depth, dim, batch, steps, mixDim) = (3, 400, 32, 300, 20)
    case "C": (depth, dim, batch, steps, mixDim) = (1, 900, 56, 600, 20)
    default: break
    }
    let model = HandwritingModel(config: ModelConfig(depth: depth, dim: dim, mixDim: mixDim, uniform: 0.08), seed: 0)
    let graphs = try TrainingGraphs(model: model, rule: .adam(learningRate: 1e-3), maxGrad: 10)
    var result: [String: Any] = [
      "config": config ?? "custom", "backend": backend, "depth": depth, "dim": dim, "batch": batch, "steps": steps,
      "mix": mixDim, "machine": Bench.cpuModel(), "cores": ProcessInfo.processInfo.processorCount,
      "blas_threads": BLAS.threads, "cpus_available": BLAS.availableCPUs, "busy": busy,
    ]
    if backend == "native" {
      let (cold, warm) = try graphs.train.measureNativeCompile()
      result["compile_cold_s"] = cold
      result["compile_warm_s"] = warm
    }
    let key = RandomKey(seed: 1)
    var xs = Random.normal(key: key, shape: [steps + 1, batch, 3]).array(Float.self)
    let pen = Random.uniform(key: key.fold(1), shape: [steps + 1, batch]).array(Float.self)
    for i in 0..<pen.count { xs[i * 3 + 2] = pen[i] < 0.05 ? 1 : 0 }
    let x = Tensor(shape: [steps + 1, batch, 3], xs)
    let mask = Tensor.filled(1, dtype: .float32, shape: [steps, batch])
    let trainTimes = try Bench.time(repeats) { _ = try graphs.train(x, mask, key.tensor) }
    result["train_step_s"] = Bench.median(trainTimes)
    result["train_step_min_s"] = trainTimes.min()!
    // The training step's memory, before the sampler and the product reference's own operands are made.
    result.merge(try Bench.memory(of: graphs.train, arguments: [x, mask, key.tensor])) { $1 }
    if sampleSteps > 0 {
      let sampler = try compileSampler(model: model, steps: sampleSteps, batch: sampleBatch)
      let st = try Bench.time(Swift.min(repeats, 3)) { _ = try sampler(key.tensor, Tensor(scalar: Float(0))) }
      result["sample_s"] = Bench.median(st)
      result["sample_shape"] = "\(sampleBatch)x\(sampleSteps)"
      if profile, let p = sampler.nativeProfile {
        FileHandle.standardError.write(Data("sampler, \(p.report())\n".utf8))
      }
    }
    if profile, let p = graphs.train.nativeProfile {
      FileHandle.standardError.write(Data("training step, \(p.report())\n".utf8))
    }
    let flops = Bench.matmulFlops(L: depth, D: dim, B: batch, T: steps, M: mixDim)
    let bound = Bench.productReference(L: depth, D: dim, B: batch, T: steps, M: mixDim)
    result["matmul_gflop"] = flops / 1e9
    result["product_reference_s"] = bound
    result["gflops"] = flops / 1e9 / Bench.median(trainTimes)
    result["fraction_of_product_reference"] = bound / Bench.median(trainTimes)
    try report(finished(result))
  }

  /// The peak RSS so far (MB) and, from the memory plan of `function` for `arguments`: its arena, the
  /// bytes live at its peak, and the bytes stored for the gradient (what BPTT must keep: the lower
  /// bound of a training step that does not recompute).
  static func memory(of function: Function, arguments: [Tensor]) throws -> [String: Any] {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let plan = try function.memoryPlan(arguments: arguments)
    let mb = { (bytes: Int) in Double(bytes) / 1_048_576 }
    return [
      "train_peak_rss_mb": Double(usage.ru_maxrss) / 1024, "train_arena_mb": mb(plan.arenaBytes),
      "train_peak_live_mb": mb(plan.peakLiveBytes), "bptt_stored_mb": mb(plan.storedForGradientBytes),
    ]
  }

  /// `result` with the peak RSS and the worker pool's counters.
  func finished(_ result: [String: Any]) -> [String: Any] {
    var result = result
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    result["peak_rss_mb"] = Double(usage.ru_maxrss) / 1024
    for (k, v) in WorkerPool.counters { result["pool_" + k] = v }
    return result
  }

  /// Prints `result` as a table, or as one JSON object with `--json`.
  func report(_ result: [String: Any]) throws {
    if json {
      let data = try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys])
      print(String(decoding: data, as: UTF8.self))
      return
    }
    for k in result.keys.sorted() {
      let v = result[k]!
      print(
        "\(k.padding(toLength: 24, withPad: " ", startingAt: 0)) \(v is Double ? String(format: "%.4g", v as! Double) : "\(v)")"
      )
    }
  }

  /// `--report-threads`: the thread count native code would use, the CPUs available (affinity and
  /// cgroup quota) and the cores of the machine.
  func printThreads() throws {
    let report: [String: Any] = [
      "threads": WorkerPool.threads, "cpus_available": BLAS.availableCPUs,
      "cores": ProcessInfo.processInfo.processorCount, "threads_from_environment": BLAS.threadsFromEnvironment,
    ]
    if json {
      let data = try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys])
      print(String(decoding: data, as: UTF8.self))
    } else {
      for k in report.keys.sorted() { print("\(k.padding(toLength: 24, withPad: " ", startingAt: 0)) \(report[k]!)") }
    }
  }

  /// `--busy N`: N processes looping in `sh`, started before the measurement (each checks every
  /// 100,000 turns that this process still runs, so none outlives a killed bench).
  static func startBusy(_ count: Int) throws -> [Process] {
    try (0..<count).map { _ in
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/bin/sh")
      let check = "kill -0 \(getpid()) 2>/dev/null || exit"
      p.arguments = ["-c", "i=0; while :; do i=$((i + 1)); [ $i -lt 100000 ] || { \(check); i=0; }; done"]
      p.standardInput = FileHandle.nullDevice
      try p.run()
      return p
    }
  }

  /// Ends the processes of `startBusy`.
  static func stopBusy(_ processes: [Process]) {
    for p in processes {
      p.terminate()
      p.waitUntilExit()
    }
  }

  /// h = tanh(h·U + x[t]) over 100,000 steps, batch 1, 8 units: what a step costs beyond its arithmetic.
  func runTinyScan() throws {
    let T = 100_000
    let xs = input("xs", .float32, ["T", 1, 8])
    let U = shared(Random.uniform(key: RandomKey(seed: 1), shape: [8, 8], low: -0.3, high: 0.3), name: "U")
    let r = scan(sequences: ["x": xs], carries: ["h": constant(Tensor.zeros(.float32, [1, 8]))]) { s in
      let h = tanh(matmul(s["h"], U) + s["x"])
      return ScanStepResult(carries: ["h": h])
    }
    let f = try compile(inputs: [xs], outputs: [r.final["h"]])
    let x = Random.normal(key: RandomKey(seed: 2), shape: [T, 1, 8])
    let times = try Bench.time(Swift.min(repeats, 3)) { _ = try f(x) }
    let ns = Bench.median(times) / Double(T) * 1e9
    if json {
      print("{\"backend\":\"\(backend)\",\"tiny_scan_steps\":\(T),\"ns_per_step\":\(ns)}")
    } else {
      print(String(format: "tiny scan (%d steps, batch 1, 8 units), %@: %.0f ns per step", T, backend, ns))
    }
  }

  static func time(_ repeats: Int, _ body: () throws -> Void) rethrows -> [Double] {
    var times: [Double] = []
    for i in 0...repeats {
      let s = Date()
      try body()
      if i > 0 { times.append(Date().timeIntervalSince(s)) }
    }
    return times
  }

  static func median(_ v: [Double]) -> Double {
    let s = v.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
  }

  /// The matmul FLOPs of one training step (forward and backward), as docs/native.md counts them.
  static func matmulFlops(L: Int, D: Int, B: Int, T: Int, M: Int) -> Double {
    let K = Double(6 * M + 1)
    let (d, b, t) = (Double(D), Double(B), Double(T))
    var total = 0.0
    for l in 0..<L {
      let i = l == 0 ? 3.0 : d
      total += 2 * t * b * i * 4 * d + 2 * t * b * d * 4 * d  // forward
      total += 2 * t * b * i * 4 * d + 2 * t * b * d * 4 * d + 2 * t * b * 4 * d * d  // dW, dU, dh
      if l > 0 { total += 2 * t * b * 4 * d * i }  // dx
    }
    return total + 3 * 2 * t * b * d * K  // readout forward and backward
  }

  /// The time the step's matmuls take as products on their own at their shapes (the recurrent products
  /// per step [B, D]·[D, 4D], the time-batched ones [T·B, D]·[D, 4D] and the readout): a reference, not
  /// a bound, since products in a loop keep their weights packed across steps (docs/native.md).
  static func productReference(L: Int, D: Int, B: Int, T: Int, M: Int) -> Double {
    // The best of OpenBLAS (its own threads) and the native backend's product (a compiled matmul: the
    // executable's kernel split across the worker pool), in GFLOP/s at [m x k] x [k x n].
    func gflops(_ m: Int, _ k: Int, _ n: Int) -> Double {
      let a = [Float](repeating: 0.01, count: m * k)
      let b = [Float](repeating: 0.02, count: k * n)
      var c = [Float](repeating: 0, count: m * n)
      let reps = Swift.max(3, Int(2e9 / Double(2 * m * k * n)))
      var times: [Double] = []
      for _ in 0..<reps {
        let s = Date()
        BLAS.gemm(transA: false, transB: false, m: m, n: n, k: k, alpha: 1, a: a, b: b, beta: 0, c: &c)
        times.append(Date().timeIntervalSince(s))
      }
      var best = median(times)
      let x = input("a", .float32, [.fixed(m), .fixed(k)])
      let y = input("b", .float32, [.fixed(k), .fixed(n)])
      if let product = try? compile(inputs: [x, y], outputs: [matmul(x, y)], mode: .native) {
        let args = [Tensor(shape: [m, k], a), Tensor(shape: [k, n], b)]
        _ = try? product.call(args)
        times = []
        for _ in 0..<reps {
          let s = Date()
          _ = try? product.call(args)
          times.append(Date().timeIntervalSince(s))
        }
        best = Swift.min(best, median(times))
      }
      return 2 * Double(m * k * n) / best / 1e9
    }
    let (d, b, t) = (Double(D), Double(B), Double(T))
    let recurrent = Double(L) * 2 * (2 * t * b * d * 4 * d)
    let batched = matmulFlops(L: L, D: D, B: B, T: T, M: M) - recurrent - 3 * 2 * t * b * d * Double(6 * M + 1)
    let readout = 3 * 2 * t * b * d * Double(6 * M + 1)
    return
      (recurrent / gflops(B, D, 4 * D) + batched / gflops(T * B, D, 4 * D)
      + readout / gflops(T * B, D, 6 * M + 1)) / 1e9
  }

  static func cpuModel() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
    for line in text.split(separator: "\n") where line.hasPrefix("model name") {
      return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
        ?? "unknown CPU"
    }
    return "unknown CPU"
  }
}
