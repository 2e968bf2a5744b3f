import ArgumentParser
import Codegen
import Foundation

/// `sketch bench`: times the training step and the sampler on synthetic data, like shared/peers.
struct Bench: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Time the training step and the sampler on synthetic data (medians over repeated calls).")

  @Option(help: "A (1x400, batch 32, 300 steps), B (3x400, 32, 300) or C (1x900, 56, 600), as shared/peers; overrides the sizes.")
  var config: String?
  @Option(help: "Recurrent layers.") var depth = 1
  @Option(help: "State size.") var dim = 64
  @Option(help: "Batch size.") var batch = 32
  @Option(help: "Time steps.") var steps = 100
  @Option(name: .customLong("mix-dim"), help: "Mixture components.") var mixDim = 20
  @Option(help: "Timed calls after one warm-up call.") var repeats = 5
  @Option(name: .customLong("sample-steps"), help: "Sampler steps (0 to skip).") var sampleSteps = 100
  @Option(name: .customLong("sample-batch"), help: "Sampler batch.") var sampleBatch = 64

  func run() throws {
    var (depth, dim, batch, steps, mixDim) = (self.depth, self.dim, self.batch, self.steps, self.mixDim)
    switch config {
    case "A": (depth, dim, batch, steps, mixDim) = (1, 400, 32, 300, 20)
    case "B": (depth, dim, batch, steps, mixDim) = (3, 400, 32, 300, 20)
    case "C": (depth, dim, batch, steps, mixDim) = (1, 900, 56, 600, 20)
    case nil: break
    default: throw ValidationError("--config must be A, B or C")
    }
    let config = ModelConfig(depth: depth, dim: dim, mixDim: mixDim, uniform: 0.08)
    let model = HandwritingModel(config: config, seed: 0)
    var opt = Optimizer(method: .adam, learningRate: 1e-3, maxGrad: 10)
    let t0 = Date()
    let graphs = try TrainingGraphs(model: model, optimizer: &opt)
    let build = Date().timeIntervalSince(t0)
    let key = RandomKey(seed: 1)
    var xs = Random.normal(key: key, shape: [steps + 1, batch, 3]).array(Float.self)
    let pen = Random.uniform(key: key.fold(1), shape: [steps + 1, batch]).array(Float.self)
    for i in 0..<pen.count { xs[i * 3 + 2] = pen[i] < 0.05 ? 1 : 0 }
    let x = Tensor(shape: [steps + 1, batch, 3], xs)
    let mask = Tensor.filled(1, dtype: .float32, shape: [steps, batch])
    var times: [Double] = []
    var first = 0.0
    for i in 0...repeats {
      let s = Date()
      _ = try graphs.train(x, mask, key.tensor)
      if i > 0 { times.append(Date().timeIntervalSince(s)) } else { first = Date().timeIntervalSince(s) }
    }
    let cpu = ProcessInfo.processInfo.processorCount
    print("machine: \(Bench.cpuModel()), \(cpu) cores; mode \(Mode.default.rawValue); BLAS threads \(BLAS.threads)")
    print("model: \(depth)x\(dim), mix \(mixDim), batch \(batch), \(steps) steps; graph build + compile \(String(format: "%.2f", build)) s")
    print(String(format: "train step: median %.3f s (min %.3f, max %.3f) over %d calls", Bench.median(times),
      times.min()!, times.max()!, times.count))
    print(String(format: "first call (optimize + emit + cc or cache + run): %.3f s; compile part about %.3f s", first,
      Swift.max(0, first - Bench.median(times))))
    if sampleSteps > 0 {
      let sampler = try compileSampler(model: model, steps: sampleSteps, batch: sampleBatch)
      var st: [Double] = []
      for i in 0...Swift.min(repeats, 3) {
        let s = Date()
        _ = try sampler(key.tensor, Tensor(scalar: Float(0)))
        if i > 0 { st.append(Date().timeIntervalSince(s)) }
      }
      print(String(format: "sampler %d x %d steps: median %.3f s over %d calls", sampleBatch, sampleSteps, Bench.median(st), st.count))
    }
  }

  static func median(_ v: [Double]) -> Double {
    let s = v.sorted()
    return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
  }

  static func cpuModel() -> String {
    guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
    for line in text.split(separator: "\n") where line.hasPrefix("model name") {
      return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
    }
    return "unknown CPU"
  }
}
