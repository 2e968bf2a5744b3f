// See sketch_mpi.h. Open MPI's handles are pointers to its predefined objects (MPI_COMM_WORLD is
// &ompi_mpi_comm_world, MPI_FLOAT &ompi_mpi_float, ...), so they are found with dlsym by name; this
// file knows Open MPI's ABI (libmpi.so.40, Open MPI 3 to 5), not MPICH's.
#define _GNU_SOURCE
#include "sketch_mpi.h"
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void *handle;
static void *lib;
static handle world, t_float, t_double, t_byte, op_sum, op_max, errors_return;
static int (*p_init)(int *, char ***);
static int (*p_initialized)(int *);
static int (*p_finalized)(int *);
static int (*p_rank)(handle, int *);
static int (*p_size)(handle, int *);
static int (*p_allreduce)(const void *, void *, int, handle, handle, handle);
static int (*p_allgather)(const void *, int, handle, void *, int, handle, handle);
static int (*p_barrier)(handle);
static int (*p_abort)(handle, int);
static int (*p_finalize)(void);
static int (*p_set_errhandler)(handle, handle);
static int (*p_error_string)(int, char *, int *);

#define IN_PLACE ((void *)1) /* Open MPI's MPI_IN_PLACE */

static int find(void **slot, const char *name, char *message, int capacity) {
  *slot = dlsym(lib, name);
  if (*slot) return 0;
  snprintf(message, capacity, "the MPI library has no symbol %s (Sketch needs Open MPI's libmpi.so.40)", name);
  return -1;
}

int sketch_mpi_load(const char *path, char *message, int capacity) {
  if (lib) return 0;
  // A library named by the caller or $SKETCH_MPI_LIBRARY is the only one tried.
  const char *given = path && *path ? path : getenv("SKETCH_MPI_LIBRARY");
  const char *tries[2] = {"libmpi.so.40", "libmpi.so"};
  if (given && *given) tries[0] = given, tries[1] = NULL;
  char first[512] = "";
  for (int i = 0; i < 2 && tries[i] && !lib; i++) {
    // RTLD_GLOBAL: Open MPI's components (loaded by libmpi itself) resolve their symbols from it.
    lib = dlopen(tries[i], RTLD_NOW | RTLD_GLOBAL);
    if (!lib && !first[0]) snprintf(first, sizeof first, "%s", dlerror());
  }
  if (!lib) {
    snprintf(message, capacity, "cannot load the MPI library (%s)", first);
    return -1;
  }
  struct { void **slot; const char *name; } symbols[] = {
    {(void **)&p_init, "MPI_Init"}, {(void **)&p_initialized, "MPI_Initialized"},
    {(void **)&p_finalized, "MPI_Finalized"}, {(void **)&p_rank, "MPI_Comm_rank"},
    {(void **)&p_size, "MPI_Comm_size"}, {(void **)&p_allreduce, "MPI_Allreduce"},
    {(void **)&p_allgather, "MPI_Allgather"}, {(void **)&p_barrier, "MPI_Barrier"},
    {(void **)&p_abort, "MPI_Abort"}, {(void **)&p_finalize, "MPI_Finalize"},
    {(void **)&p_set_errhandler, "MPI_Comm_set_errhandler"}, {(void **)&p_error_string, "MPI_Error_string"},
    {&world, "ompi_mpi_comm_world"}, {&t_float, "ompi_mpi_float"}, {&t_double, "ompi_mpi_double"},
    {&t_byte, "ompi_mpi_byte"}, {&op_sum, "ompi_mpi_op_sum"}, {&op_max, "ompi_mpi_op_max"},
    {&errors_return, "ompi_mpi_errors_return"},
  };
  for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++) {
    if (find(symbols[i].slot, symbols[i].name, message, capacity) != 0) {
      dlclose(lib);
      lib = NULL;
      return -1;
    }
  }
  return 0;
}

int sketch_mpi_init(void) {
  if (!lib) return -1;
  int done = 0;
  p_initialized(&done);
  if (!done) {
    int rc = p_init(NULL, NULL);
    if (rc != 0) return rc;
  }
  return p_set_errhandler(world, errors_return);
}

int sketch_mpi_rank(int *rank) { return lib ? p_rank(world, rank) : -1; }
int sketch_mpi_size(int *size) { return lib ? p_size(world, size) : -1; }

// MPI counts are int: a longer buffer goes in pieces of at most INT_MAX / 2 elements.
static int allreduce(void *values, int64_t count, handle type, size_t width, handle op) {
  if (!lib) return -1;
  const int64_t piece = INT_MAX / 2;
  for (int64_t at = 0; at < count; at += piece) {
    int n = (int)(count - at < piece ? count - at : piece);
    int rc = p_allreduce(IN_PLACE, (char *)values + at * width, n, type, op, world);
    if (rc != 0) return rc;
  }
  return 0;
}

int sketch_mpi_allreduce_sum_float(float *v, int64_t n) { return allreduce(v, n, t_float, sizeof(float), op_sum); }
int sketch_mpi_allreduce_max_float(float *v, int64_t n) { return allreduce(v, n, t_float, sizeof(float), op_max); }
int sketch_mpi_allreduce_sum_double(double *v, int64_t n) {
  return allreduce(v, n, t_double, sizeof(double), op_sum);
}

int sketch_mpi_allgather_float(const float *mine, float *all, int64_t count) {
  if (!lib) return -1;
  if (count > INT_MAX) return -1;
  return p_allgather(mine, (int)count, t_float, all, (int)count, t_float, world);
}

int sketch_mpi_allgather_bytes(const void *mine, void *all, int64_t count) {
  if (!lib) return -1;
  if (count > INT_MAX) return -1;
  return p_allgather(mine, (int)count, t_byte, all, (int)count, t_byte, world);
}

int sketch_mpi_barrier(void) { return lib ? p_barrier(world) : -1; }
int sketch_mpi_abort(int code) { return lib ? p_abort(world, code) : -1; }

int sketch_mpi_finalize(void) {
  if (!lib) return -1;
  int done = 0;
  p_finalized(&done);
  return done ? 0 : p_finalize();
}

void sketch_mpi_error_string(int code, char *message, int capacity) {
  if (!lib || code < 0) {
    snprintf(message, capacity, code == -1 ? "the MPI library is not loaded" : "MPI error %d", code);
    return;
  }
  char text[512];
  int length = 0;
  if (p_error_string(code, text, &length) != 0) length = snprintf(text, sizeof text, "MPI error %d", code);
  snprintf(message, capacity, "%.*s", length, text);
}
