// The MPI calls that Sketch's data-parallel training makes, on Open MPI's libmpi found at run time
// (dlopen): no MPI header or library is needed to build, and MPI's C types stay inside sketch_mpi.c.
// Every call returns 0 on success, else an MPI error code (sketch_mpi_error_string describes it), or
// -1 when the library is not loaded. Errors return to the caller (MPI_ERRORS_RETURN on the world).
#ifndef SKETCH_MPI_H
#define SKETCH_MPI_H
#include <stdint.h>

/// Loads libmpi: `path`, else $SKETCH_MPI_LIBRARY, else libmpi.so.40 then libmpi.so; 0 when
/// loaded, else -1 with the reason in `message` (`capacity` bytes).
int sketch_mpi_load(const char *path, char *message, int capacity);
/// MPI_Init (once), then MPI_ERRORS_RETURN on MPI_COMM_WORLD.
int sketch_mpi_init(void);
/// This process's rank in MPI_COMM_WORLD.
int sketch_mpi_rank(int *rank);
/// The number of processes in MPI_COMM_WORLD.
int sketch_mpi_size(int *size);
/// In-place sum of `count` floats over every rank (MPI_Allreduce, MPI_SUM).
int sketch_mpi_allreduce_sum_float(float *values, int64_t count);
/// In-place maximum of `count` floats over every rank (MPI_Allreduce, MPI_MAX).
int sketch_mpi_allreduce_max_float(float *values, int64_t count);
/// In-place sum of `count` doubles over every rank.
int sketch_mpi_allreduce_sum_double(double *values, int64_t count);
/// Every rank's `count` floats, in rank order, into `all` (size x count floats; MPI_Allgather).
int sketch_mpi_allgather_float(const float *mine, float *all, int64_t count);
/// Every rank's `count` bytes, in rank order, into `all` (MPI_Allgather of MPI_BYTE).
int sketch_mpi_allgather_bytes(const void *mine, void *all, int64_t count);
/// MPI_Barrier on the world.
int sketch_mpi_barrier(void);
/// MPI_Abort on the world with `code`: the whole job stops.
int sketch_mpi_abort(int code);
/// MPI_Finalize (once).
int sketch_mpi_finalize(void);
/// The text of MPI error `code` into `message` (`capacity` bytes).
void sketch_mpi_error_string(int code, char *message, int capacity);

#endif
