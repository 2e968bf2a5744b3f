import ArgumentParser
import Codegen
import Foundation

/// The process side of `mpirun -np N sketch train --distributed`: the ranks other than 0 print
/// nothing on stdout (their errors still go to stderr, named by rank), a failure on any rank stops the
/// whole job (MPI_Abort), and each rank's default thread count shares the machine with the ranks on it.
struct DistributedRun {
  let world: MPIWorld

  /// Silences stdout on the ranks other than 0.
  init(world: MPIWorld) {
    self.world = world
    if world.rank != 0 {
      fflush(nil)
      let null = open("/dev/null", O_WRONLY | O_CLOEXEC)
      if null >= 0 {
        _ = dup2(null, 1)
        _ = close(null)
      }
    }
  }

  /// The CPUs available divided among the ranks on this machine (OMPI_COMM_WORLD_LOCAL_SIZE), at least 1.
  var defaultThreads: Int {
    let local = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init) ?? 1
    return Swift.max(1, BLAS.availableCPUs / Swift.max(local, 1))
  }

  /// Prints `error` on stderr, named by rank, and stops every rank of the job.
  func stop(_ error: Error) -> Never {
    let text = (error as? ValidationError)?.message ?? "\(error)"
    FileHandle.standardError.write(Data("sketch train, rank \(world.rank) of \(world.size): error: \(text)\n".utf8))
    world.abort(1)
  }
}
