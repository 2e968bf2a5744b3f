import Codegen
import Foundation

/// `sketch bench --synthesis`: config S of docs/synthesis.md, the shapes of the JAX reference's
/// `bench_synthesis.py` (L = 3, D = 400, K = 10, M = 20, batch 32, 600 steps, 40 characters, an
/// alphabet of 64): one training step on synthetic data (dx, dy normal, pen lifts with probability
/// 0.05, uniform characters, full masks) and the sampler writing 64 lines of 600 steps.
extension Bench {
  /// The sizes of config S.
  static let synthesisSizes = (L: 3, D: 400, K: 10, M: 20, B: 32, T: 600, U: 40, A: 64)

  func runSynthesis() throws -> [String: Any] {
    let s = Bench.synthesisSizes
    let config = ModelConfig(
      depth: s.L, dim: s.D, mixDim: s.M, uniform: 0.08, synthesis: true, window: s.K,
      alphabet: (0..<UInt32(s.A)).map { 32 + $0 })
    guard case .synthesis(let model) = Network(config: config, seed: 0) else { fatalError("config S is a synthesis config") }
    let graphs = try TrainingGraphs(network: .synthesis(model), rule: .adam(learningRate: 1e-3), maxGrad: 10)
    var result: [String: Any] = [
      "config": "S", "backend": backend, "depth": s.L, "dim": s.D, "window": s.K, "mix": s.M, "batch": s.B,
      "steps": s.T, "characters": s.U, "alphabet": s.A, "machine": Bench.cpuModel(),
      "cores": ProcessInfo.processInfo.processorCount, "blas_threads": BLAS.threads,
      "cpus_available": BLAS.availableCPUs, "busy": busy,
    ]
    if backend == "native" {
      let (cold, warm) = try graphs.train.measureNativeCompile()
      result["compile_cold_s"] = cold
      result["compile_warm_s"] = warm
    }
    let key = RandomKey(seed: 1)
    var xs = Random.normal(key: key, shape: [s.T + 1, s.B, 3]).array(Float.self)
    let pen = Random.uniform(key: key.fold(1), shape: [s.T + 1, s.B]).array(Float.self)
    for i in 0..<pen.count { xs[i * 3 + 2] = pen[i] < 0.05 ? 1 : 0 }
    let chars = Bench.characters(batch: s.B, length: s.U, alphabet: s.A, seed: 2)
    let args = [
      Tensor(shape: [s.T + 1, s.B, 3], xs), Tensor.filled(1, dtype: .float32, shape: [s.T, s.B]), chars,
      Tensor.filled(1, dtype: .float32, shape: [s.B, s.U]), key.tensor,
    ]
    let trainTimes = try Bench.time(repeats) { _ = try graphs.train.call(args) }
    result["train_step_s"] = Bench.median(trainTimes)
    result.merge(try Bench.memory(of: graphs.train, arguments: args)) { $1 }
    result["train_step_min_s"] = trainTimes.min()!
    let flops = Bench.synthesisMatmulFlops(batch: s.B, steps: s.T)
    result["matmul_gflop"] = flops.total / 1e9
    result["gflops"] = flops.total / 1e9 / Bench.median(trainTimes)
    if sampleSteps > 0 {
      let sampler = try compileSynthesisSampler(model: model)
      let sampleChars = Bench.characters(batch: sampleBatch, length: s.U, alphabet: s.A, seed: 3)
      let sampleArgs = [
        sampleChars, Tensor.filled(1, dtype: .float32, shape: [sampleBatch, s.U]),
        synthesisNoise(steps: sampleSteps, batch: sampleBatch, seed: 4),
        Tensor.filled(0, dtype: .float32, shape: [sampleBatch]),
      ]
      let st = try Bench.time(Swift.min(repeats, 3)) { _ = try sampler.call(sampleArgs) }
      result["sample_s"] = Bench.median(st)
      result["sample_shape"] = "\(sampleBatch)x\(sampleSteps)"
      let forward = Bench.synthesisMatmulFlops(batch: sampleBatch, steps: sampleSteps).forward
      result["sample_gflops"] = forward / 1e9 / Bench.median(st)
      if profile, let p = sampler.nativeProfile { FileHandle.standardError.write(Data("sampler, \(p.report())\n".utf8)) }
    }
    if profile, let p = graphs.train.nativeProfile {
      FileHandle.standardError.write(Data("training step, \(p.report())\n".utf8))
    }
    return result
  }

  /// Character ids [batch, length], uniform over the alphabet, deterministic per seed.
  static func characters(batch: Int, length: Int, alphabet: Int, seed: UInt64) -> Tensor {
    let u = Random.uniform(key: RandomKey(seed: seed), shape: [batch, length]).array(Float.self)
    return Tensor(shape: [batch, length], u.map { Swift.min(Int32(alphabet - 1), Int32($0 * Float(alphabet))) })
  }

  /// The matmul FLOPs (2mkn per product) of one synthesis training step at config S's sizes, forward
  /// and backward, counted as the JAX reference counts them (its algorithmic minimum): per layer the
  /// input and recurrent products and their gradients (no gradient for the strokes), the window's
  /// projection and contraction, and the readout from every layer.
  static func synthesisMatmulFlops(batch B: Int, steps T: Int) -> (forward: Double, total: Double) {
    let s = synthesisSizes
    let (G, Y, N) = (Double(4 * s.D), Double(6 * s.M + 1), Double(T * B))
    let (D, K, U, A) = (Double(s.D), Double(s.K), Double(s.U), Double(s.A))
    var forward = 0.0
    var backward = 0.0
    for l in 0..<s.L {
      let I = l == 0 ? 3 + A : 3 + D + A
      forward += 2 * N * I * G + 2 * N * D * G
      backward += 2 * N * I * G + 2 * N * D * G + 2 * N * G * D + 2 * N * G * (I - 3)
    }
    forward += 2 * N * D * 3 * K + 2 * N * U * A + 2 * N * Double(s.L) * D * Y
    backward += 2 * (2 * N * D * 3 * K) + 2 * N * U * A + 2 * (2 * N * Double(s.L) * D * Y)
    return (forward, forward + backward)
  }
}
