import CSketchMPI
import Foundation

/// A failed MPI call, or MPI missing where `--distributed` needs it; says what to do.
struct MPIError: Error, CustomStringConvertible {
  let description: String
}

/// The collective operations data-parallel training needs, over the processes of one job.
protocol Communicator: AnyObject {
  /// This process's rank (0 ..< size).
  var rank: Int { get }
  /// The number of processes.
  var size: Int { get }
  /// Sums `values` element by element over every rank, in place (the library's reduction order).
  func sum(_ values: inout [Float]) throws
  /// The element-wise maximum of `values` over every rank, in place.
  func max(_ values: inout [Float]) throws
  /// Sums `values` over every rank, in place.
  func sum(_ values: inout [Double]) throws
  /// Every rank's `values` (all of one length), concatenated in rank order.
  func gather(_ values: [Float]) throws -> [Float]
  /// Every rank's `bytes` (all of one length), concatenated in rank order.
  func gather(bytes: [UInt8]) throws -> [UInt8]
  /// Waits until every rank has called it (MPI_Barrier).
  func barrier() throws
  /// Stops every process of the job with `code` (MPI_Abort); does not return.
  func abort(_ code: Int32) -> Never
}

/// The processes of an MPI job (`mpirun -np N sketch train --distributed ...`), through Open MPI's
/// libmpi loaded at run time (Sources/Runtime/CSketchMPI): Sketch builds and runs without MPI, and
/// only `--distributed` needs it. Errors of MPI calls are returned (MPI_ERRORS_RETURN) and thrown
/// as ``MPIError`` naming the call and this rank.
final class MPIWorld: Communicator {
  let rank: Int
  let size: Int
  /// Ends this rank when a call waits too long for the others (nil: MPI waits as long as it takes).
  var watchdog: CollectiveWatchdog?

  /// The environment variables an MPI launcher sets in the processes it starts.
  static let launcherVariables = ["OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"]

  /// Loads libmpi and initialises MPI; a clear error when it is not installed or the process was not
  /// started by `mpirun`.
  static func start(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> MPIWorld {
    var message = [CChar](repeating: 0, count: 1024)
    if sketch_mpi_load(nil, &message, Int32(message.count)) != 0 {
      throw MPIError(
        description: "--distributed needs Open MPI, and \(cText(message)). Install it "
          + "(`apt-get install openmpi-bin libopenmpi-dev`, or `bash scripts/install-deps.sh`), or set "
          + "SKETCH_MPI_LIBRARY to the path of libmpi.so.40; without --distributed, sketch trains in one process")
    }
    guard launcherVariables.contains(where: { environment[$0] != nil }) else {
      throw MPIError(
        description: "--distributed trains with the processes that mpirun starts: run `mpirun -np N sketch train "
          + "--distributed ...` (this process was not started by mpirun; without --distributed it trains alone)")
    }
    try check(sketch_mpi_init(), "MPI_Init", rank: nil)
    var r: Int32 = 0
    var n: Int32 = 0
    try check(sketch_mpi_rank(&r), "MPI_Comm_rank", rank: nil)
    try check(sketch_mpi_size(&n), "MPI_Comm_size", rank: Int(r))
    return MPIWorld(rank: Int(r), size: Int(n))
  }

  private init(rank: Int, size: Int) {
    self.rank = rank
    self.size = size
  }

  private static func check(_ rc: Int32, _ call: String, rank: Int?) throws {
    guard rc != 0 else { return }
    var text = [CChar](repeating: 0, count: 512)
    sketch_mpi_error_string(rc, &text, Int32(text.count))
    let who = rank.map { "rank \($0)" } ?? "this process"
    throw MPIError(
      description: "\(call) failed on \(who): \(cText(text)) (a rank died or the network failed; "
        + "the last checkpoint stays loadable: resume with --model continue, with any number of ranks)")
  }

  private func check(_ rc: Int32, _ call: String) throws { try Self.check(rc, call, rank: rank) }

  /// Runs the MPI call `call` under the watchdog, and throws its error.
  private func guarded(_ call: String, _ body: () -> Int32) throws {
    let rc = watchdog.map { $0.around(call, body) } ?? body()
    try check(rc, call)
  }

  func sum(_ values: inout [Float]) throws {
    try guarded("MPI_Allreduce") {
      values.withUnsafeMutableBufferPointer { sketch_mpi_allreduce_sum_float($0.baseAddress, Int64($0.count)) }
    }
  }

  func max(_ values: inout [Float]) throws {
    try guarded("MPI_Allreduce") {
      values.withUnsafeMutableBufferPointer { sketch_mpi_allreduce_max_float($0.baseAddress, Int64($0.count)) }
    }
  }

  func sum(_ values: inout [Double]) throws {
    try guarded("MPI_Allreduce") {
      values.withUnsafeMutableBufferPointer { sketch_mpi_allreduce_sum_double($0.baseAddress, Int64($0.count)) }
    }
  }

  func gather(_ values: [Float]) throws -> [Float] { try gathered(values, sketch_mpi_allgather_float) }

  func gather(bytes: [UInt8]) throws -> [UInt8] {
    try gathered(bytes) { sketch_mpi_allgather_bytes($0, $1, $2) }
  }

  /// Every rank's `values`, in rank order (MPI_Allgather through `call`: mine, all, count).
  private func gathered<T: Numeric>(
    _ values: [T], _ call: (UnsafePointer<T>?, UnsafeMutablePointer<T>?, Int64) -> Int32
  ) throws -> [T] {
    var all = [T](repeating: 0, count: values.count * size)
    try guarded("MPI_Allgather") {
      values.withUnsafeBufferPointer { mine in
        all.withUnsafeMutableBufferPointer { call(mine.baseAddress, $0.baseAddress, Int64(mine.count)) }
      }
    }
    return all
  }

  func barrier() throws { try guarded("MPI_Barrier") { sketch_mpi_barrier() } }

  func abort(_ code: Int32) -> Never {
    fflush(nil)
    _ = sketch_mpi_abort(code)
    exit(code)
  }

  /// MPI_Finalize, at the end of a run that every rank finished.
  func finish() { _ = sketch_mpi_finalize() }
}

/// The text of a NUL-terminated C string in `buffer` (UTF-8).
private func cText(_ buffer: [CChar]) -> String {
  String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
