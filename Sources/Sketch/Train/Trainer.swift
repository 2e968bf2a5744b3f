import Codegen
import Foundation
import SketchFiles

/// How a training run ended.
enum TrainingOutcome: Equatable {
  case finished
  case interrupted
  case stoppedOnNaN(step: Int)
}

/// The training loop of `sketch train`: batches, monitoring, checkpoints, samples; for the prediction
/// network or (with `config.synthesis`) the synthesis network.
final class Trainer {
  let settings: TrainingSettings
  let model: Network
  let experiment: String
  let folder: URL
  private let graphs: TrainingGraphs
  private(set) var position: TrainingPosition
  /// The metrics file (nil on the ranks other than 0 of a data-parallel run, which write nothing).
  private let log: MetricsLog?
  /// Data-parallel training (MPI ranks, or `--shards`); nil for the fused one-process step.
  let parallel: DataParallel?
  /// Whether this process writes the run's files: checkpoints, metrics, samples, plots (rank 0).
  var writes: Bool { parallel?.writes ?? true }
  /// The position of the model file on disk (nil before the first save of a new run).
  private(set) var savedPosition: TrainingPosition?
  /// The step of the last test evaluation logged (so an epoch's end on a --test-every step logs it once).
  private var lastTestStep: Int?
  private let output: (String) -> Void
  var sampleGrid = 8
  var sampleSteps: Int
  /// The sampler, compiled (and optimized, emitted, built) once for a grid and length and reused at
  /// every sampling interval; it reads the parameters where the training function keeps them.
  private var sampler: (batch: Int, steps: Int, function: Function)?
  /// How many times the sampler was compiled (for tests).
  private(set) var samplerBuilds = 0
  /// The deviations the training data's offsets were divided by (set from the batch source by `run`),
  /// saved with the model so that `sketch write` draws in the data's units.
  var dataScale: (x: Double, y: Double)? = nil
  /// The texts a synthesis run writes at the sampling intervals (set from the batch source by `run`;
  /// when empty, the alphabet itself is written).
  var sampleTexts: [String] = []
  /// The compiled synthesis sampler (compiled once; any number of texts and steps).
  private var synthesisSampler: Function?

  /// A run in `folder` (created if needed). With `resume`, parameters, optimizer state and position
  /// come from it (`--model continue`); with `start`, only parameters (`--model NAME`).
  init(
    settings: TrainingSettings, config: ModelConfig, experiment: String, folder: URL,
    resume: Checkpoint.Contents? = nil, start: Checkpoint.Contents? = nil, parallel: DataParallel? = nil,
    output: @escaping (String) -> Void = {
      print($0)
      fflush(nil)
    }
  ) throws {
    try config.validate()
    self.settings = settings
    self.experiment = experiment
    self.folder = folder
    self.output = output
    self.parallel = parallel
    self.sampleSteps = settings.maxLength
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    if let from = resume ?? start {
      try Self.checkArchitecture(of: from, matches: config)
      model = Network(config: config, values: from.parameters).clippingDerivatives(settings.clipsDerivatives)
    } else {
      model = Network(config: config, seed: settings.seed).clippingDerivatives(settings.clipsDerivatives)
    }
    graphs = try TrainingGraphs(
      network: model, rule: settings.stepMethod.rule(learningRate: settings.learningRate), maxGrad: settings.maxGrad,
      split: parallel != nil)
    position = resume?.position ?? TrainingPosition(seed: settings.seed)
    if let resume {
      for v in graphs.optimizerState {
        let name = v.sharedVariable!.name
        guard let t = resume.optimizerState[name] else {
          throw ConfigError(
            message: "the model file has no optimizer state '\(name)'; resume with the same --step-method")
        }
        try v.sharedVariable!.set(t)
      }
    }
    log =
      parallel?.writes ?? true
      ? try MetricsLog(path: folder.appendingPathComponent("metrics.jsonl").path, resumeAt: resume?.position.step)
      : nil
    savedPosition = resume?.position
    lastTestStep = log?.testCurve.last?.0
    if let parallel, parallel.world != nil {  // every rank must take the same decisions as rank 0
      let step = try parallel.fromRankZero(Double(lastTestStep ?? -1))
      lastTestStep = step < 0 ? nil : Int(step)
    }
    if let log, log.droppedOnResume > 0 {
      output(
        "metrics.jsonl: dropped \(log.droppedOnResume) lines after step \(position.step) (a partial line, "
          + "or records of steps after the last save, which are recomputed)")
    }
  }

  /// A model file can start or continue a run only with the architecture the flags give.
  static func checkArchitecture(of file: Checkpoint.Contents, matches config: ModelConfig) throws {
    guard file.config == config else {
      throw ConfigError(
        message: "the model file's architecture \(file.config.json()) differs from the flags \(config.json())")
    }
  }

  var modelPath: String { folder.appendingPathComponent("model.h5").path }

  /// Saves parameters, optimizer state and position (atomically).
  func save() throws {
    guard writes else {
      savedPosition = position
      return
    }
    var params: [String: Tensor] = [:]
    for (n, v) in model.parameters { params[n] = v.sharedVariable!.value }
    var opt: [String: Tensor] = [:]
    for v in graphs.optimizerState { opt[v.sharedVariable!.name] = v.sharedVariable!.value }
    try Checkpoint.write(
      .init(
        config: model.config, parameters: params, optimizerState: opt, training: settings.json(),
        position: position, experiment: experiment, scale: dataScale), to: modelPath)
    savedPosition = position
    if let log {
      let loss = log.lossCurve()
      try loss.png().write(to: folder.appendingPathComponent("loss.png").path)
      try AtomicFile.write(data: Array(loss.svg().utf8), to: folder.appendingPathComponent("loss.svg").path)
    }
  }

  /// The mean per-sequence NLL (the original's test_sequence_log_likelihood) and the NLL per point.
  func evaluate(_ batches: [StrokeBatch]) throws -> (perSequence: Double, perPoint: Double) {
    var total = 0.0
    var points = 0.0
    var sequences = 0
    let ranks = parallel?.world?.size ?? 1
    let rank = parallel?.rank ?? 0
    for (i, b) in batches.enumerated() where i % ranks == rank {  // the test batches dealt out to the ranks
      let r = try graphs.testCost(b)
      total += r[0].scalarValue
      points += r[1].scalarValue
      sequences += b.strokes.shape[1]
    }
    if let parallel, ranks > 1 {
      let t = try parallel.sum([total, points, Double(sequences)])
      (total, points, sequences) = (t[0], t[1], Int(t[2]))
    }
    return (total / Double(Swift.max(sequences, 1)), total / Swift.max(points, 1))
  }

  /// Draws a grid of samples into `dir` (sketch.png, pen.png, sketch.svg, with a suffix); a synthesis
  /// run writes `sampleTexts` instead (``writeTexts(to:suffix:seed:bias:)``).
  func writeSamples(to dir: URL, suffix: String = "", seed: UInt64 = 0, bias: Double = 0) throws {
    guard writes else { return }
    guard case .prediction(var model) = model else {
      try writeTexts(to: dir, suffix: suffix, seed: settings.seed &+ seed, bias: bias)
      return
    }
    model.derivativeClipping = false
    let n = sampleGrid * sampleGrid
    if sampler == nil || sampler!.batch != n || sampler!.steps != sampleSteps {
      sampler = (n, sampleSteps, try compileSampler(model: model, steps: sampleSteps, batch: n))
      samplerBuilds += 1
    }
    let sampler = sampler!.function
    let strokes = try sampler(RandomKey(seed: seed).tensor, Tensor(scalar: Float(bias)))[0]
    try writeSampleFiles(strokes, grid: sampleGrid, to: dir, suffix: suffix)
  }

  /// The synthesis network writes `sampleTexts` (one row each, `sampleSteps` steps at most, noise from
  /// the host's Philox generator for `seed`), each row cut at its stop step: sketch.png, pen.png,
  /// sketch.svg and sketch.txt (each row's stop step and text), with a suffix, into `dir`.
  func writeTexts(to dir: URL, suffix: String = "", seed: UInt64 = 0, bias: Double = 0) throws {
    guard case .synthesis(let model) = model, let points = model.config.alphabet else { return }
    let alphabet = Alphabet(codePoints: points)
    let texts = sampleTexts.isEmpty ? [alphabet.decode((0..<Int32(alphabet.count)).map { $0 })] : sampleTexts
    if synthesisSampler == nil {
      synthesisSampler = try compileSynthesisSampler(model: model)
      samplerBuilds += 1
    }
    let ids = try texts.map { try alphabet.encode($0, what: "the sample text \(String(reflecting: $0))") }
    let (chars, cmask) = TextBatches.tensors(ids)
    let noise = synthesisNoise(steps: sampleSteps, batch: texts.count, seed: seed)
    let biases = Tensor(shape: [texts.count], [Float](repeating: Float(bias), count: texts.count))
    let out = try synthesisSampler!(chars, cmask, noise, biases)
    let stops = out[1].array(Int32.self).map(Int.init)
    try writeSampleFiles(out[0], grid: 1, to: dir, suffix: suffix, lengths: stops)
    let listing = zip(stops, texts).map { "\($0)\t\($1)\n" }.joined()
    try AtomicFile.write(data: Array(listing.utf8), to: dir.appendingPathComponent("sketch\(suffix).txt").path)
  }

  /// Trains until the epochs (or `maxBatches`) are done, Ctrl-C, or a NaN.
  func run(source: BatchSource) throws -> TrainingOutcome {
    let start = Date()
    sampleTexts = source.sampleTexts
    dataScale = source.scale
    var testSet = try source.testBatches()
    if let k = settings.testBatches { testSet = Array(testSet.prefix(k)) }
    let samplesDir = folder.appendingPathComponent("samples")
    let tty = isatty(1) == 1
    var recent: [Double] = []
    // The terminal's progress line is redrawn at most 10 times a second: a tiny model trains hundreds
    // of batches a second, and a terminal (or mpirun's forwarding of a rank's output) that cannot keep
    // up would block the writer.
    var lastRedraw = Date.distantPast
    while position.epoch < settings.epochs {
      let batches = try source.trainBatches(epoch: position.epoch)
      while position.batchInEpoch < batches.count {
        if let m = settings.maxBatches, position.step >= m { return try finish(.finished, tty) }
        if parallel?.stopRequested ?? interruptRequested { return try finish(.interrupted, tty) }
        let b = try batches.load(position.batchInEpoch)
        let key = RandomKey(seed: settings.seed).fold(UInt64(position.step))
        let t0 = Date()
        let r =
          try parallel?.step(b, key: key, graphs: graphs, interrupted: interruptRequested)
          ?? graphs.trainStep(b, key: key.tensor)
        let cost = r[0].scalarValue
        if !cost.isFinite || !r[1].scalarValue.isFinite {
          output(
            "\nstep \(position.step): the cost is \(cost) (gradient norm \(r[1].scalarValue)); stopping. "
              + lastGoodModel + " " + Trainer.nanAdvice)
          try record([
            "step": position.step, "event": "nan", "train_cost": cost, "total_gradient_norm": r[1].scalarValue,
            "train_cost_text": cost.isNaN ? "nan" : "\(cost)",
          ])
          return .stoppedOnNaN(step: position.step)
        }
        position.step += 1
        position.batchInEpoch += 1
        recent.append(Date().timeIntervalSince(t0))
        if recent.count > 20 { recent.removeFirst() }
        if position.step % 10 == 0 || position.step == 1 {
          var fields: [String: Any] = [
            "step": position.step, "epoch": position.epoch, "batch": position.batchInEpoch,
            "train_cost": cost, "total_gradient_norm": r[1].scalarValue, "total_step_norm": r[2].scalarValue,
            "readout_min": r[3].scalarValue, "readout_max": r[4].scalarValue,
            "seconds": Date().timeIntervalSince(start),
          ]
          if let parallel, parallel.world != nil { fields["allreduce_seconds"] = parallel.lastReduceSeconds }
          let names = graphs.parameterNames
          for (i, n) in names.enumerated() {
            fields["norm/\(n)"] = r[5 + i].scalarValue
            fields["grad_norm/\(n)"] = r[5 + names.count + i].scalarValue
          }
          try record(fields)
        }
        if position.step % settings.testEvery == 0 { try test(testSet, tty) }
        if position.step % settings.saveEvery == 0 { try checkedSave() }
        if position.step % settings.sampleEvery == 0 {
          try writeSamples(to: samplesDir, suffix: String(format: "-%06d", position.step))
        }
        let rate = Double(recent.count) / Swift.max(recent.reduce(0, +), 1e-9)
        var remaining = batches.count - position.batchInEpoch + (settings.epochs - position.epoch - 1) * batches.count
        if let m = settings.maxBatches { remaining = Swift.min(remaining, m - position.step) }
        let left = Double(remaining)
        let line = String(
          format: "epoch %d  batch %d/%d  step %d  cost %.3f  %.2f batches/s  ETA %@",
          position.epoch + 1, position.batchInEpoch, batches.count, position.step, cost, rate,
          Trainer.duration(left / Swift.max(rate, 1e-9)) as NSString)
        if tty {
          if Date().timeIntervalSince(lastRedraw) >= 0.1 || position.batchInEpoch == batches.count {
            FileHandle.standardOutput.write(Data(("\r\u{1B}[K" + line).utf8))
            lastRedraw = Date()
          }
        } else if position.step % 10 == 0 {
          output(line)
        }
      }
      position.epoch += 1
      position.batchInEpoch = 0
      if lastTestStep != position.step { try test(testSet, tty) }
      try checkedSave()
    }
    return try finish(.finished, tty)
  }

  private func test(_ testSet: [StrokeBatch], _ tty: Bool) throws {
    guard !testSet.isEmpty else { return }
    let (seq, point) = try evaluate(testSet)
    try record([
      "step": position.step, "epoch": position.epoch, "test_sequence_log_likelihood": seq, "test_nll_per_point": point,
    ])
    lastTestStep = position.step
    output(
      String(
        format: "%@step %d: test_sequence_log_likelihood %.3f  (%.4f nats per point)", tty ? "\n" : "", position.step,
        seq, point))
  }

  private func finish(_ outcome: TrainingOutcome, _ tty: Bool) throws -> TrainingOutcome {
    if savedPosition != position { try checkedSave() }
    try writeSamples(to: folder)
    output(
      "\(tty ? "\n" : "")\(outcome == .interrupted ? "interrupted (\(Interrupts.signalName)): " : "")saved \(modelPath) and \(folder.appendingPathComponent("sketch.png").path)"
    )
    return outcome
  }

  /// Where the last good model is, for messages when training stops.
  var lastGoodModel: String {
    guard let saved = savedPosition else {
      return
        "No model was saved yet (the first save was due at step \(settings.saveEvery), or at the end of the epoch)."
    }
    return "The last good model is \(modelPath) (saved at step \(saved.step))."
  }

  static let nanAdvice =
    "A NaN in the first steps usually means the data holds NaN or huge values "
    + "(look at it with `sketch data show`); later, try a lower --lr or -G/--max-grad."

  /// ``save()``, with an error that says what was kept when it fails (a full disk, say).
  private func checkedSave() throws {
    if let parallel {  // before a checkpoint is written: every rank still holds rank 0's parameters
      try parallel.checkParameters(model.parameters.map { $0.variable.sharedVariable!.value }, step: position.step)
    }
    do { try save() } catch {
      throw TrainingError(description: "step \(position.step): could not save the model: \(error). \(lastGoodModel)")
    }
  }

  /// Appends a metrics record, with an error that says what was kept when it fails.
  private func record(_ fields: [String: Any]) throws {
    guard let log else { return }
    do { try log.record(fields) } catch {
      throw TrainingError(description: "step \(position.step): \(error); training stopped. \(lastGoodModel)")
    }
  }

  static func duration(_ s: Double) -> String {
    guard s.isFinite else { return "?" }
    let t = Int(s)
    return t >= 3600 ? "\(t / 3600)h\(t % 3600 / 60)m" : (t >= 60 ? "\(t / 60)m\(t % 60)s" : "\(t)s")
  }
}

/// Writes sketch.png (a grid of samples at one scale), pen.png and sketch.svg into `dir`; with
/// `lengths`, sample b keeps only its first `lengths[b]` points (a synthesis row's stop step).
func writeSampleFiles(_ strokes: Tensor, grid: Int, to dir: URL, suffix: String = "", lengths: [Int]? = nil) throws {
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  var seqs = SampleRenderer.sequences(strokes)
  if let lengths { seqs = zip(seqs, lengths).map { Array($0.prefix(Swift.max($1, 0))) } }
  try SampleRenderer.grid(seqs, columns: grid, cell: SampleRenderer.cell).write(
    to: dir.appendingPathComponent("sketch\(suffix).png").path)
  try SampleRenderer.penPlot(seqs).png().write(to: dir.appendingPathComponent("pen\(suffix).png").path)
  let svg = SampleRenderer.svg(seqs, columns: grid, cell: SampleRenderer.cell)
  try AtomicFile.write(data: Array(svg.utf8), to: dir.appendingPathComponent("sketch\(suffix).svg").path)
}

/// Training stopped by a failure that is not the model's (a file that cannot be written).
struct TrainingError: Error, CustomStringConvertible {
  let description: String
}
