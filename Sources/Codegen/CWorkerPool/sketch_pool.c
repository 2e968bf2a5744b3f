#include "sketch_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#define SK_MAX_THREADS 64
/* How long an idle worker keeps looking for the next job before it sleeps: the gaps between the
   parallel loops of one training step are shorter than this. */
#define SK_SPIN_SECONDS 2e-4
static double spin_seconds = SK_SPIN_SECONDS;
static long spin_pauses = 2048;

static pthread_mutex_t sleep_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t submit = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_long generation, pending, sleepers;
static atomic_int wanted = 1, started;

static sk_task_fn job_fn;
static void* job_arg;
static int64_t job_n;
static int job_parts;
/* The generation each worker was started at (written before it starts). */
static long start_generation[SK_MAX_THREADS + 1];

static inline void pause_cpu(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static double now_seconds(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void run_part(int i) {
  if (i >= job_parts) return;
  int64_t lo = job_n * i / job_parts, hi = job_n * (i + 1) / job_parts;
  if (lo < hi) job_fn(job_arg, lo, hi);
}

static void* worker(void* p) {
  int i = (int)(intptr_t)p;
  long seen = start_generation[i];
  for (;;) {
    long spins = 0;
    double t0 = 0;
    while (atomic_load(&generation) == seen) {
      if (++spins < spin_pauses) { pause_cpu(); continue; }
      if (t0 == 0) t0 = now_seconds();
      if (now_seconds() - t0 < spin_seconds) { sched_yield(); continue; }
      pthread_mutex_lock(&sleep_lock);
      atomic_fetch_add(&sleepers, 1);
      while (atomic_load(&generation) == seen) pthread_cond_wait(&wake, &sleep_lock);
      atomic_fetch_sub(&sleepers, 1);
      pthread_mutex_unlock(&sleep_lock);
    }
    seen = atomic_load(&generation);
    run_part(i);
    atomic_fetch_sub(&pending, 1);
  }
  return 0;
}

void sk_pool_set_threads(int threads) {
  if (threads < 1) threads = 1;
  if (threads > SK_MAX_THREADS) threads = SK_MAX_THREADS;
  atomic_store(&wanted, threads);
}

int sk_pool_threads(void) { return atomic_load(&wanted); }

/* Starts workers up to wanted - 1 (they are never stopped; extra ones idle). Called with submit held. */
static int ensure_workers(void) {
  int want = atomic_load(&wanted) - 1;
  if (atomic_load(&started) >= want) return want;
  pthread_mutex_lock(&start_lock);
  const char* spin = getenv("SKETCH_POOL_SPIN_US");
  if (spin && atomic_load(&started) == 0) { spin_seconds = atof(spin) * 1e-6; spin_pauses = spin_seconds > 0 ? 2048 : 0; }
  while (atomic_load(&started) < want) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int next = atomic_load(&started) + 1;
    start_generation[next] = atomic_load(&generation);
    int rc = pthread_create(&t, &attr, worker, (void*)(intptr_t)next);
    pthread_attr_destroy(&attr);
    if (rc != 0) break;
    atomic_store(&started, next);
  }
  pthread_mutex_unlock(&start_lock);
  int have = atomic_load(&started);
  return have < want ? have : want;
}

void sk_pool_parallel(sk_task_fn fn, void* arg, int64_t n) {
  if (n <= 0) return;
  if (atomic_load(&wanted) < 2 || n < 2 || pthread_mutex_trylock(&submit) != 0) {
    fn(arg, 0, n);
    return;
  }
  int workers = ensure_workers();
  if (workers < 1) {
    pthread_mutex_unlock(&submit);
    fn(arg, 0, n);
    return;
  }
  job_fn = fn;
  job_arg = arg;
  job_n = n;
  job_parts = workers + 1 < n ? workers + 1 : (int)n;
  /* Every started worker checks in, also those without a part. */
  atomic_store(&pending, atomic_load(&started));
  atomic_fetch_add(&generation, 1);
  if (atomic_load(&sleepers) > 0) {
    pthread_mutex_lock(&sleep_lock);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&sleep_lock);
  }
  run_part(0);
  while (atomic_load(&pending) > 0) pause_cpu();
  pthread_mutex_unlock(&submit);
}
