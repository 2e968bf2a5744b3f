#ifndef SKETCH_POOL_H
#define SKETCH_POOL_H
#include <stdint.h>

/* The native backend's worker threads: generated code splits big loops and matrix products across
   them (Sources/Codegen/Native, docs/native.md, "The worker pool under contention"). One job at a
   time; a caller that finds the pool busy runs its job alone, chunk by chunk. */

/* A job: the half-open range [lo, hi) of its n items. */
typedef void (*sk_task_fn)(void* arg, int64_t lo, int64_t hi);

/* Runs fn over [0, n) cut into `chunks` contiguous ranges (chunk c is [n*c/chunks, n*(c+1)/chunks))
   and returns when all are done. The caller and the running workers claim the chunks (each its own
   share first, then what is left of the others'), so a descheduled worker delays nothing it has not
   started; the ranges depend on n and chunks (at most 1024) only. */
void sk_pool_parallel(sk_task_fn fn, void* arg, int64_t n, int64_t chunks);

/* Threads taking part, the caller included (1: no workers); started on first use. */
void sk_pool_set_threads(int threads);
int sk_pool_threads(void);

/* The CPUs this process may use: its affinity mask (sched_getaffinity), lowered to the cgroup CPU quota
   (v2 cpu.max, or v1 cpu.cfs_quota_us / cpu.cfs_period_us) rounded up; at least 1. */
int sk_pool_available_cpus(void);
/* The CPUs a cgroup v2 cpu.max text allows ("QUOTA PERIOD", rounded up), or 0 for "max" or bad text. */
int sk_pool_cpu_max_limit(const char* text);

/* Counters since the process started (for reports and tests; never reset). */
typedef struct {
  int64_t jobs;          /* parallel jobs posted to the workers */
  int64_t solo;          /* jobs run chunk by chunk by a caller that found the pool busy */
  int64_t caller_chunks; /* chunks of posted jobs the caller ran */
  int64_t worker_chunks; /* chunks of posted jobs a worker ran */
  int64_t late;          /* times a worker came to a job and found no chunk left */
  int64_t worker_sleeps; /* times a worker stopped spinning and slept on the futex */
  int64_t caller_sleeps; /* times the caller slept waiting for a worker's last chunk */
  int64_t spin_limit;    /* the longest spin, in pause iterations (SK_SPIN_US calibrated; 0 before the first job) */
  double pauses_per_us;  /* the calibration: pause iterations per microsecond */
} sk_pool_stats;
void sk_pool_get_stats(sk_pool_stats* out);

#endif
