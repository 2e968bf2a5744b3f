import ArgumentParser
import Codegen
import Foundation

/// `sketch mpi-bench`: times the all-reduce of a gradient buffer across the ranks of an MPI job.
struct MPIBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "mpi-bench",
    abstract: "Time MPI_Allreduce of one step's gradients across the ranks of `mpirun -np N sketch mpi-bench`.",
    discussion: """
      The buffer holds the parameter count of a configuration (A, B, C of `sketch bench`, or D, the \
      default 3x700 model of `sketch train`) or --floats floats. Each repetition starts after a barrier, so \
      the time is the reduction's, not the wait for a slower rank; the slowest rank's time counts. Rank 0 \
      prints the median and the bus bandwidth 2(N-1)/N x bytes / time (docs/distributed.md).
      """)

  @Option(help: "A, B, C or D: the buffer holds that model's parameter count.") var config = "D"
  @Option(help: "Floats per all-reduce (overrides --config).") var floats: Int?
  @Option(help: "Timed repetitions (after 3 untimed ones).") var repeats = 30

  func validate() throws {
    if let floats { try FlagCheck.atLeast(floats, 1, "--floats") }
    try FlagCheck.atLeast(repeats, 1, "--repeats")
    guard Self.sizes[config] != nil else { throw ValidationError("--config is A, B, C or D, got \(config)") }
  }

  /// The layers and width of each configuration (20 mixtures each).
  static let sizes: [String: (depth: Int, dim: Int)] = ["A": (1, 400), "B": (3, 400), "C": (1, 900), "D": (3, 700)]

  /// The parameter count of a benchmark configuration (nil for an unknown name).
  static func parameterCount(_ config: String) -> Int? {
    guard let s = sizes[config] else { return nil }
    // Uniform initialisation: the count without the orthogonal initialiser's work.
    let model = Network(config: ModelConfig(depth: s.depth, dim: s.dim, mixDim: 20, uniform: 0.08), seed: 0)
    return model.parameters.map { $0.variable.sharedVariable!.value.shape.reduce(1, *) }.reduce(0, +)
  }

  func run() throws {
    let world = try MPIWorld.start()
    let ranks = DistributedRun(world: world)
    do {
      guard let n = floats ?? Self.parameterCount(config) else { throw ValidationError("unknown --config \(config)") }
      var buffer = [Float](repeating: 1, count: n)
      var times: [Double] = []
      for i in 0..<(repeats + 3) {
        try world.barrier()
        let t0 = Date()
        try world.sum(&buffer)
        var t = [Float(Date().timeIntervalSince(t0))]
        try world.max(&t)
        if i >= 3 { times.append(Double(t[0])) }
      }
      let median = Bench.median(times)
      let bus = 2 * Double(world.size - 1) / Double(world.size) * Double(4 * n) / median
      print(
        String(
          format: "%d ranks, %d floats (%.1f MB): all-reduce median %.3f ms, min %.3f ms; bus bandwidth %.2f GB/s",
          world.size, n, Double(4 * n) / 1e6, median * 1e3, times.min()! * 1e3, bus / 1e9))
      world.finish()
    } catch {
      ranks.stop(error)
    }
  }
}
