import ArgumentParser
import Codegen
import Foundation
import SketchFiles

/// `sketch train`: the original sketch.py command line.
struct Train: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Train the handwriting model (the original sketch.py flags and defaults).",
    discussion: """
      Creates a folder named after the experiment (e.g. handwriting-3X700m20d0r14b56e15G10) holding \
      model.h5 (parameters, optimizer state, config, position), metrics.jsonl, loss.png and loss.svg \
      (labelled plots), samples/ and, at the end, sketch.png, pen.png and sketch.svg. A folder that \
      holds a run is never replaced silently: continue it with --model continue, or replace it with \
      --overwrite. Ctrl-C, SIGTERM and \
      SIGHUP save and exit. See docs/reliability.md for what is guaranteed. With --synthesis it trains \
      Graves' synthesis network on a dataset with transcriptions (the built-in one has them); --graves \
      is Graves' own recipe (peepholes, derivative clipping, his RMSprop).
      """)

  @Option(help: "Name for this experiment.") var name = "handwriting"
  @Option(help: "Number of training epochs to do.") var epochs = 500
  @Option(name: [.customLong("bs"), .customLong("batch-size")], help: "Size of each mini-batch.") var batchSize = 56
  @Option(
    name: [.customLong("lr"), .customLong("learning-rate")],
    help: "Learning rate. (default: 0.0001, Graves' 0.0001 with --graves)")
  var learningRateFlag: Double?
  @Option(help: "RNN state dimension.") var dim = 700
  @Option(name: .customLong("mix-dim"), help: "Number of gaussian mixtures.") var mixDim = 20
  @Option(
    name: .customLong("model"), help: "Start from an old model (an experiment folder or model file), or 'continue'.")
  var oldModel: String?
  @Flag(help: "Replace the run already in the experiment folder (its model, metrics and samples).")
  var overwrite = false
  @Option(name: .customLong("max-length"), help: "Maximal number of steps in a single sequence.") var maxLength = 600
  @Flag(name: .customLong("GRU"), help: "Use GRU transitions instead of LSTM.") var gru = false
  @Option(name: [.customShort("d"), .customLong("dropout")], help: "Dropout on the recurrent outputs; 0 for none.")
  var dropout = 0.0
  @Option(help: "Number of recurrent layers to be stacked.") var depth = 3
  @Option(name: [.customShort("G"), .customLong("max-grad")], help: "Maximal gradient norm (step clipping).")
  var maxGrad = 10.0
  @Option(
    name: .customLong("step-method"),
    help: "The step rule. (default: adam; graves-rmsprop with --graves)")
  var stepMethodFlag: StepMethod?
  @Option(help: "Epsilon of the mixture of gaussians.") var epsilon = 1e-5
  @Flag(help: "Just generate a sample from --model without training.") var sample = false
  @Flag(help: "Send the input to all layers, and use all layers' states for the readout.") var skip = false
  @Flag(help: "Send the input to all layers; use only the top layer's states for the readout.") var top = false
  @Option(
    name: [.customShort("u"), .customLong("uniform")], help: "Uniform initialisation width; 0 for orthogonal/Glorot.")
  var uniform = 0.0
  @Flag(help: "Train the synthesis network (Graves section 5: handwriting of a given text) on the lines' texts.")
  var synthesis = false
  @Option(help: "Gaussians in the synthesis network's soft window over the text (with --synthesis).")
  var window = 10
  @Flag(help: "LSTM peephole connections (Graves): the gates read the cell.") var peepholes = false
  @Flag(
    name: .customLong("derivative-clipping"),
    help: "Graves' derivative clipping: the outputs' derivatives to [-100, 100], the LSTM gates' to [-10, 10].")
  var derivativeClipping = false
  @Flag(
    help: "Graves' recipe: --peepholes, --derivative-clipping, --step-method graves-rmsprop and his learning rate.")
  var graves = false

  @Option(help: "The dataset (HDF5). Default: the built-in dataset, made on first use.") var data: String?
  @Option(help: "Seed of initialisation, data order, dropout and samples.") var seed: UInt64 = 0
  @Option(help: "Folder in which the experiment folder is made.") var output = "."
  @Option(name: .customLong("max-batches"), help: "Stop after this many batches in total (a quick run).")
  var maxBatches: Int?
  @Option(name: .customLong("test-every"), help: "Evaluate the test split every N batches.") var testEvery = 100
  @Option(name: .customLong("sample-every"), help: "Draw samples every N batches.") var sampleEvery = 100
  @Option(name: .customLong("save-every"), help: "Save the model every N batches.") var saveEvery = 100
  @Option(name: .customLong("test-batches"), help: "Test batches per evaluation (default: all; 0 for none).")
  var testBatches: Int?
  @Option(help: "Samples per side of the sample grid.") var grid = 8
  @Option(
    help:
      "Threads for products and big loops of the native code, and for OpenBLAS (default: OPENBLAS_NUM_THREADS, else the CPUs available)."
  )
  var threads: Int?
  @Flag(
    help:
      "Data-parallel training over the processes of `mpirun -np N sketch train --distributed ...` (Open MPI, found at run time; docs/distributed.md)."
  )
  var distributed = false
  @Flag(
    name: .customLong("fixed-reduction"),
    help:
      "Sum the ranks' gradients in rank order (an all-gather) instead of MPI_Allreduce's order: the same parameters bit for bit as one process with --shards N."
  )
  var fixedReduction = false
  @Option(
    help:
      "Compute each batch as N shards in this process, summed in shard order (what N ranks with --fixed-reduction compute)."
  )
  var shards: Int?
  @Option(
    name: .customLong("mpi-timeout"),
    help:
      "With --distributed: stop the job when a rank has waited this many seconds for the others in one MPI call (a rank that hangs)."
  )
  var mpiTimeout = 600.0

  /// The learning rate: `--lr`, else Graves' with `--graves`, else 1e-4.
  var learningRate: Double { learningRateFlag ?? (graves ? StepMethod.gravesLearningRate : 1e-4) }
  /// The step method: `--step-method`, else graves-rmsprop with `--graves`, else adam.
  var stepMethod: StepMethod { stepMethodFlag ?? (graves ? .gravesRMSprop : .adam) }
  /// Whether the training graph clips derivatives (`--derivative-clipping` or `--graves`).
  var clipsDerivatives: Bool { derivativeClipping || graves }

  /// The architecture the flags give (a synthesis model's alphabet comes from the data or model file).
  var modelConfig: ModelConfig {
    ModelConfig(
      depth: depth, dim: dim, mixDim: mixDim, gru: gru, skip: skip, top: top, dropout: dropout, epsilon: epsilon,
      uniform: uniform, peepholes: peepholes || graves, synthesis: synthesis, window: synthesis ? window : 10)
  }

  var experimentName: String {
    ExperimentName.make(
      name: name, model: modelConfig, learningRate: learningRate, batchSize: batchSize, maxLength: maxLength,
      maxGrad: maxGrad, stepMethod: stepMethod, derivativeClipping: clipsDerivatives)
  }

  func validate() throws {
    var config = modelConfig
    if synthesis { config.alphabet = [32] }  // a placeholder: the real one is checked when it is known
    do { try config.validate() } catch { throw ValidationError("\(error)") }
    if !synthesis && window != 10 { throw ValidationError("--window is the synthesis window; give --synthesis too") }
    try ExperimentName.validate(name: name)
    try FlagCheck.atLeast(epochs, 1, "--epochs")
    try FlagCheck.atLeast(batchSize, 1, "--bs")
    try FlagCheck.atLeast(maxLength, 2, "--max-length")
    if let threads { try FlagCheck.atLeast(threads, 1, "--threads") }
    if let maxBatches { try FlagCheck.atLeast(maxBatches, 1, "--max-batches") }
    try FlagCheck.atLeast(testEvery, 1, "--test-every")
    try FlagCheck.atLeast(sampleEvery, 1, "--sample-every")
    try FlagCheck.atLeast(saveEvery, 1, "--save-every")
    if let testBatches { try FlagCheck.atLeast(testBatches, 0, "--test-batches", "0 evaluates nothing") }
    try FlagCheck.atLeast(grid, 1, "--grid")
    if stepMethod == .adadelta {
      try FlagCheck.finite(learningRate, "--lr", 0...Double.greatestFiniteMagnitude, "adadelta does not use it")
    } else {
      try FlagCheck.finite(learningRate, "--lr", 0...Double.greatestFiniteMagnitude, aboveLower: true)
    }
    try FlagCheck.finite(
      maxGrad, "-G/--max-grad", 0...Double.greatestFiniteMagnitude, aboveLower: true,
      "the largest total gradient norm; clipping cannot be turned off")
    // --epsilon, --uniform, --dropout and the sizes: ModelConfig.validate above (also for model files).
    if sample && (oldModel == nil || oldModel == "continue") {
      throw ValidationError("--sample needs --model NAME (an experiment folder or model file)")
    }
    if let shards { try FlagCheck.atLeast(shards, 1, "--shards") }
    try FlagCheck.finite(mpiTimeout, "--mpi-timeout", 0...Double.greatestFiniteMagnitude, aboveLower: true)
    if distributed && shards != nil {
      throw ValidationError("--shards emulates ranks in one process; under mpirun give --distributed alone")
    }
    if fixedReduction && !distributed && shards == nil {
      throw ValidationError(
        "--fixed-reduction orders the sum of the ranks' gradients; give --distributed (or --shards N) too")
    }
    if sample && (distributed || shards != nil) {
      throw ValidationError("--sample draws in one process; leave out --distributed and --shards")
    }
    if let shards, batchSize < shards { throw ValidationError("--bs \(batchSize) is smaller than --shards \(shards)") }
    if overwrite && oldModel == "continue" {
      throw ValidationError("--overwrite replaces the run that --model continue would continue; give one of them")
    }
  }

  func run() throws {
    guard distributed else {
      try train(parallel: shards.map { DataParallel(world: nil, shards: $0, fixedOrder: fixedReduction) })
      return
    }
    let world = try MPIWorld.start()
    world.watchdog = CollectiveWatchdog(limit: mpiTimeout, rank: world.rank)
    let ranks = DistributedRun(world: world)
    do {
      if batchSize < world.size {
        throw ValidationError(
          "--bs \(batchSize) is smaller than the number of ranks (\(world.size)): every rank needs lines")
      }
      if threads == nil { BLAS.threads = ranks.defaultThreads }
      try train(parallel: DataParallel(world: world, shards: world.size, fixedOrder: fixedReduction))
      world.finish()
    } catch let e as ExitCode {
      world.finish()
      throw e
    } catch {
      ranks.stop(error)
    }
  }

  /// The run, in one process or (with `parallel`) as one shard (or all shards) of data-parallel training.
  private func train(parallel: DataParallel?) throws {
    if let threads { BLAS.threads = threads }
    let writes = parallel?.writes ?? true
    let folder = URL(fileURLWithPath: output).appendingPathComponent(experimentName)
    if sample {
      try Sample.draw(model: oldModel!, output: nil, steps: maxLength, grid: grid, seed: seed, bias: 0)
      return
    }
    let continuing = oldModel == "continue"
    let flags = TrainingSettings(
      name: name, epochs: epochs, batchSize: batchSize, learningRate: learningRate, maxLength: maxLength,
      maxGrad: maxGrad, stepMethod: stepMethod, seed: seed, data: "", maxBatches: maxBatches, testEvery: testEvery,
      sampleEvery: sampleEvery, saveEvery: saveEvery, testBatches: testBatches, threads: BLAS.threads,
      derivativeClipping: clipsDerivatives ? true : nil)
    var settings = flags
    var config = modelConfig
    var start: Checkpoint.Contents?
    var source: BatchSource?
    if !continuing {
      // What can fail is checked before the folder is claimed, which with --overwrite removes the earlier run.
      settings.data = absolutePath(try data.map(Self.checkedPath) ?? defaultDatasetPath())
      if let old = oldModel {
        start = try Checkpoint.read(Sample.modelFile(old))
        print("starting from model \(old)")
      }
      if synthesis {
        // A model to start from keeps its alphabet (the data's texts must fit it); else the data's.
        config.alphabet = try start?.config.alphabet ?? SynthesisData.alphabet(settings.data).codePoints
      }
      if let start { try Trainer.checkArchitecture(of: start, matches: config) }
      source = try openBatches(settings, alphabet: SynthesisData.alphabet(of: config))
    }
    // Rank 0 alone claims the folder (the others only read the model file they resume).
    let runFolder =
      writes ? try RunFolder.claim(folder, mode: continuing ? .resume : (overwrite ? .overwrite : .fresh)) : nil
    for p in runFolder?.removedTemporaries ?? [] { print("removed \(p), left by a run that was killed") }
    Interrupts.install()
    var resume: Checkpoint.Contents?
    if continuing {
      resume = try Checkpoint.read(folder.appendingPathComponent("model.h5").path)
      if synthesis { config.alphabet = resume!.config.alphabet }
      let recorded = try TrainingSettings.fromJSON(resume!.training)
      settings = recorded
      settings.epochs = epochs
      settings.maxBatches = maxBatches
      settings.threads = flags.threads
      settings.data = try ContinuedRun.dataset(recorded: recorded, flag: data) { print($0) }
      if settings.data != recorded.data || data != nil { settings.dataIdentity = nil }
      for note in ContinuedRun.differences(flags: flags, recorded: recorded) { print(note) }
      print("continuing \(experimentName) at epoch \(resume!.position.epoch + 1), step \(resume!.position.step)")
      try Trainer.checkArchitecture(of: resume!, matches: config)
      source = try openBatches(settings, alphabet: SynthesisData.alphabet(of: config))
    }
    if synthesis, let batches = source as? DatasetBatches { SynthesisData.warnings(batches).forEach { print($0) } }
    if settings.dataIdentity == nil { settings.dataIdentity = try DatasetIdentity.of(settings.data) }
    print("Running experiment \(experimentName) on \(settings.data)")
    fflush(nil)
    let trainer = try Trainer(
      settings: settings, config: config, experiment: experimentName, folder: folder, resume: resume, start: start,
      parallel: parallel)
    trainer.sampleGrid = grid
    if let parallel {
      let kind = parallel.world == nil ? "shards in this process" : "MPI ranks"
      let order =
        parallel.world == nil
        ? "added in shard order" : (parallel.fixedOrder ? "added in rank order" : "summed by MPI_Allreduce")
      print(
        "data-parallel: \(parallel.shards) \(kind), each batch of \(settings.batchSize) cut into shards; gradients \(order)"
      )
    }
    if writes, synthesis, let batches = source as? DatasetBatches {
      try StyleSamples.writeIfMissing(folder: folder, dataset: batches.train.dataset)
    }
    let outcome = try withExtendedLifetime(runFolder) { try trainer.run(source: source!) }
    if case .stoppedOnNaN = outcome { throw ExitCode(3) }
    if outcome == .interrupted { throw ExitCode(Interrupts.exitStatus) }
  }

  static func checkedPath(_ p: String) throws -> String {
    guard FileManager.default.fileExists(atPath: p) else {
      throw ValidationError("no dataset at \(p); make one with `sketch data hershey -o FILE` or `sketch data iam`")
    }
    return p
  }
}

extension StepMethod: ExpressibleByArgument {}
