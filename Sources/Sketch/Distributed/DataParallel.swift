import Codegen
import Foundation

/// Synchronous data-parallel training: every global batch is cut into `shards` column ranges, one per
/// MPI rank (or all of them in this process with `--shards N`), each shard's gradients are computed
/// by the split step's gradient function, summed over the shards into one flat buffer, and the
/// apply function clips and steps identically on every rank.
///
/// The sum: by default `MPI_Allreduce` (its order is the MPI library's); with `fixedOrder`, every
/// rank gathers all the shards' buffers and adds them in shard order, so the parameters are the same
/// bit for bit as a one-process run with `--shards N` (which adds its shards in that order too).
final class DataParallel {
  /// The other processes (nil: every shard is computed here, `--shards N`).
  let world: Communicator?
  /// How many shards each global batch is cut into (the number of ranks, or `--shards`).
  let shards: Int
  /// Whether the shards' gradients are added in shard order (`--fixed-reduction`).
  let fixedOrder: Bool
  /// Whether some rank asked to stop (Ctrl-C, SIGTERM) during the last step: every rank stops after
  /// the same step.
  private(set) var stopRequested = false
  /// The seconds the last step spent in the sum across ranks (waiting for the slowest rank included).
  private(set) var lastReduceSeconds = 0.0

  init(world: Communicator?, shards: Int, fixedOrder: Bool) {
    self.world = world
    self.shards = world?.size ?? shards
    self.fixedOrder = fixedOrder
  }

  /// This process's rank (0 without MPI).
  var rank: Int { world?.rank ?? 0 }
  /// Whether this process writes the run's files (rank 0 alone).
  var writes: Bool { rank == 0 }
  /// The shards this process computes.
  var localShards: [Int] { world.map { [$0.rank] } ?? Array(0..<shards) }

  /// The columns of a batch of `batch` lines that shard `s` of `n` takes (contiguous, sizes differing
  /// by at most one; empty when the batch has fewer lines than shards).
  static func columns(shard s: Int, of n: Int, batch: Int) -> Range<Int> { (s * batch / n)..<((s + 1) * batch / n) }

  /// One optimizer step on the global batch `b`: the outputs of the fused step ([cost, gradient norm,
  /// step norm, readout min, readout max, parameter norms..., gradient norms...]) for the whole batch.
  /// `interrupted` is this rank's stop request, combined with the others' into ``stopRequested``.
  func step(_ b: StrokeBatch, key: RandomKey, graphs: TrainingGraphs, interrupted: Bool) throws -> [Tensor] {
    guard let split = graphs.split else {
      throw TrainingError(description: "internal: data-parallel training needs the split training step")
    }
    let total = b.strokes.shape[1]
    let width = 1 + split.sizes.reduce(0, +)
    var extremes: [Float] = [-.infinity, -.infinity, interrupted ? 1 : 0]  // -min, max, stop
    var partials: [[Float]] = []
    for s in localShards {
      let cols = Self.columns(shard: s, of: shards, batch: total)
      guard !cols.isEmpty else {
        partials.append([Float](repeating: 0, count: width))
        continue
      }
      let shardKey = shards > 1 ? key.fold(UInt64(s)) : key
      let weight = Tensor(scalar: Float(cols.count) / Float(total))
      let out = try split.gradient.call(try graphs.arguments(b.columns(cols)) + [shardKey.tensor, weight])
      var flat = [Float]()
      flat.reserveCapacity(width)
      flat.append(Float(out[0].scalarValue))
      for g in out[3...] { flat.append(contentsOf: g.array(Float.self)) }
      partials.append(flat)
      extremes[0] = Swift.max(extremes[0], -Float(out[1].scalarValue))
      extremes[1] = Swift.max(extremes[1], Float(out[2].scalarValue))
    }
    var sum = Self.addInOrder(partials)
    if let world {
      let t0 = Date()
      defer { lastReduceSeconds = Date().timeIntervalSince(t0) }
      if fixedOrder {
        let all = try world.gather(sum)
        sum = Self.addInOrder((0..<world.size).map { Array(all[($0 * width)..<(($0 + 1) * width)]) })
      } else {
        try world.sum(&sum)
      }
      try world.max(&extremes)
    }
    stopRequested = extremes[2] > 0
    var grads: [Tensor] = []
    var at = 1
    for (shape, n) in zip(split.shapes, split.sizes) {
      grads.append(Tensor(shape: shape, Array(sum[at..<(at + n)])))
      at += n
    }
    let r = try split.apply.call(grads)
    return [Tensor(scalar: sum[0]), r[0], r[1], Tensor(scalar: -extremes[0]), Tensor(scalar: extremes[1])]
      + r[2...]
  }

  /// The element-wise sum of equally long buffers, added in their order (((p0 + p1) + p2) + ...).
  static func addInOrder(_ parts: [[Float]]) -> [Float] {
    guard var sum = parts.first else { return [] }
    for p in parts.dropFirst() {
      sum.withUnsafeMutableBufferPointer { s in
        p.withUnsafeBufferPointer { q in for i in 0..<s.count { s[i] += q[i] } }
      }
    }
    return sum
  }

  /// Sums `values` over the ranks (the test evaluation's totals); unchanged without MPI.
  func sum(_ values: [Double]) throws -> [Double] {
    var v = values
    try world?.sum(&v)
    return v
  }

  /// Rank 0's `value` on every rank.
  func fromRankZero(_ value: Double) throws -> Double { try sum([rank == 0 ? value : 0])[0] }

  /// Checks that every rank's parameters equal rank 0's (a checksum of their bits, gathered); an error
  /// naming the ranks that differ, which stops the job.
  func checkParameters(_ values: [Tensor], step: Int) throws {
    guard let world else { return }
    let mine = Self.checksum(values)
    let bytes = try world.gather(bytes: withUnsafeBytes(of: mine.littleEndian) { Array($0) })
    let sums = (0..<world.size).map { r in
      bytes[(8 * r)..<(8 * r + 8)].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }
    if let message = Self.mismatch(sums, step: step) { throw TrainingError(description: message) }
  }

  /// FNV-1a (64 bits) over the bits of every value, in order.
  static func checksum(_ values: [Tensor]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for t in values {
      for x in t.array(Float.self) {
        var bits = x.bitPattern
        for _ in 0..<4 {
          h = (h ^ UInt64(bits & 0xff)) &* 0x0000_0100_0000_01b3
          bits >>= 8
        }
      }
    }
    return h
  }

  /// The message for ranks whose checksum differs from rank 0's (nil when all agree).
  static func mismatch(_ sums: [UInt64], step: Int) -> String? {
    let differing = sums.indices.filter { sums[$0] != sums[0] }
    guard !differing.isEmpty else { return nil }
    let list = differing.map { "rank \($0) (\(String(sums[$0], radix: 16)))" }.joined(separator: ", ")
    return "step \(step): the parameters of \(list) differ from rank 0's (\(String(sums[0], radix: 16))); "
      + "the ranks diverged (a different build, thread count or processor on some machine?). Training stopped; "
      + "the last checkpoint was written before the divergence was seen: resume it with --model continue"
  }
}

extension StrokeBatch {
  /// The lines `cols` of the batch (the same padded length).
  func columns(_ cols: Range<Int>) -> StrokeBatch {
    func take<T: TensorScalar>(_ t: Tensor, _: T.Type, axis: Int) -> Tensor {
      let a = t.array(T.self)
      let outer = t.shape[..<axis].reduce(1, *)
      let n = t.shape[axis]
      let inner = t.shape[(axis + 1)...].reduce(1, *)
      var out: [T] = []
      out.reserveCapacity(outer * cols.count * inner)
      for o in 0..<outer {
        out.append(contentsOf: a[((o * n + cols.lowerBound) * inner)..<((o * n + cols.upperBound) * inner)])
      }
      var shape = t.shape
      shape[axis] = cols.count
      return Tensor(shape: shape, out)
    }
    var s = StrokeBatch(strokes: take(strokes, Float.self, axis: 1), mask: take(mask, Float.self, axis: 1))
    if let chars { s.chars = take(chars, Int32.self, axis: 0) }
    if let cmask { s.cmask = take(cmask, Float.self, axis: 0) }
    return s
  }
}
