#ifndef SKETCH_POOL_H
#define SKETCH_POOL_H
#include <stdint.h>

/* The native backend's worker threads: generated code splits big loops and matrix products across
   them (Sources/Codegen/Native, docs/native.md). One job at a time; a caller that finds the pool busy
   runs its job alone. */

/* A job: the half-open range [lo, hi) of its n items. */
typedef void (*sk_task_fn)(void* arg, int64_t lo, int64_t hi);

/* Runs fn over [0, n) split into as many contiguous parts as there are threads (the caller takes
   the first part) and returns when all are done. */
void sk_pool_parallel(sk_task_fn fn, void* arg, int64_t n);

/* Threads taking part, the caller included (1: no workers); started on first use. */
void sk_pool_set_threads(int threads);
int sk_pool_threads(void);

#endif
