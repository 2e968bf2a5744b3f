#define _GNU_SOURCE
#include "sketch_pool.h"

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* How the pool works (docs/native.md, "The worker pool under contention"):
   - A job of C chunks is posted with a generation g (64 bits, never reused) in one of two slots (its
     fields under a sequence stamp, so a worker that reads a slot being rewritten sees so). Each chunk c
     has a claim word: the generation that last took it. Whoever runs takes a chunk by raising its claim
     word to g (compare-and-swap), so every chunk runs once per job and a worker that is not running
     holds nothing but the chunk it is in.
   - Participant p (the caller 0, worker i) first takes the chunks of its own share [C p/P, C (p+1)/P),
     in order (so consecutive loops give each thread the same part of the data, as a static split
     does), then those left of the others' shares, from their ends. A worker that comes late finds
     nothing and goes back to waiting. The caller returns when the chunks done (a futex word) reach C.
   - Waiting (a worker for the next job, the caller for a worker's last chunk) spins for at most a
     budget (pause iterations calibrated once against the clock; a worker spins on pause for the first
     SK_PAUSE_US of it, then on sched_yield), then sleeps on a futex. Each waiter doubles its budget (up
     to the limit) when the wait was shorter than the limit, and halves it (down to 1/64 of it) when it
     was longer or when the worker came late; so a worker that is often descheduled, or jobs far apart,
     spin little. */

/* Threads at most, and chunks of one job at most (one claim word each). */
#define SK_MAX_THREADS 64
#define SK_MAX_CHUNKS 1024
/* The longest spin of an idle worker before it sleeps (SKETCH_POOL_SPIN_US overrides; 0: never spin)
   and of the caller waiting for a worker's last chunk; the gaps between the parallel loops of a
   training step or a sampler step are mostly shorter. */
#define SK_SPIN_US 200.0
/* The part of a worker's spin on pause, before it spins on sched_yield. */
#define SK_PAUSE_US 20.0

static pthread_mutex_t submit = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;

/* A posted job: its fields, valid while stamp is the job's generation (0 while they are written). */
typedef struct {
  _Atomic uint64_t stamp;
  _Atomic(sk_task_fn) fn;
  _Atomic(void*) arg;
  _Atomic int64_t n, chunks;
  atomic_int parts;
} job_slot;
static job_slot slots[2];
static _Atomic uint64_t claims[SK_MAX_CHUNKS];
/* The generation of the last posted job, and its low half: the futex word of the idle workers. */
static _Atomic uint64_t current;
static atomic_uint posted;
static atomic_int sleepers;
/* Chunks done of the current job (futex word of the caller) and whether the caller sleeps on it. */
static atomic_int done;
static atomic_int caller_waiting;
static atomic_int wanted = 1, started;

/* The spin limit in pause iterations, and the caller's current budget (the workers keep their own). */
static long spin_limit = -1, pause_limit;
static double spin_limit_us, pauses_per_us;
static atomic_long caller_budget;

static atomic_llong n_jobs, n_solo, n_caller_chunks, n_worker_chunks, n_late, n_worker_sleeps, n_caller_sleeps;

static inline void pause_cpu(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return 1e6 * (double)t.tv_sec + 1e-3 * (double)t.tv_nsec;
}

static void futex_wait(atomic_uint* word, unsigned value) {
  syscall(SYS_futex, (unsigned*)word, FUTEX_WAIT_PRIVATE, value, NULL, NULL, 0);
}

static void futex_wake(atomic_uint* word, int count) {
  syscall(SYS_futex, (unsigned*)word, FUTEX_WAKE_PRIVATE, count, NULL, NULL, 0);
}

/* Pause iterations per microsecond, the fastest of three runs of 20,000 (pause takes 10 to 150
   cycles depending on the CPU); sets the spin limit. Called once, with start_lock held. */
static void calibrate(void) {
  double best = 0;
  for (int r = 0; r < 3; r++) {
    double t0 = now_us();
    for (int i = 0; i < 20000; i++) pause_cpu();
    double dt = now_us() - t0;
    if (dt > 0 && 20000 / dt > best) best = 20000 / dt;
  }
  pauses_per_us = best > 0 ? best : 100;
  double us = SK_SPIN_US;
  const char* env = getenv("SKETCH_POOL_SPIN_US");
  if (env) us = atof(env) < 0 ? 0 : atof(env);
  spin_limit_us = us;
  spin_limit = (long)(us * pauses_per_us);
  pause_limit = (long)(SK_PAUSE_US * pauses_per_us);
  atomic_store(&caller_budget, spin_limit);
}

static inline long halve(long budget) { return budget / 2 > spin_limit / 64 ? budget / 2 : spin_limit / 64; }
static inline long twice(long budget) { return budget * 2 + 1 < spin_limit ? budget * 2 + 1 : spin_limit; }

static inline int64_t chunk_lo(int64_t n, int64_t chunks, int64_t c) { return n * c / chunks; }

/* A job as one participant read it. */
typedef struct {
  uint64_t g;
  sk_task_fn fn;
  void* arg;
  int64_t n, chunks;
  int parts;
} job_view;

/* Reads job g's slot; 0 when it holds another job (g is over: its slot is being reused). */
static int read_job(uint64_t g, job_view* j) {
  job_slot* s = &slots[g & 1];
  if (atomic_load_explicit(&s->stamp, memory_order_acquire) != g) return 0;
  j->g = g;
  j->fn = atomic_load_explicit(&s->fn, memory_order_relaxed);
  j->arg = atomic_load_explicit(&s->arg, memory_order_relaxed);
  j->n = atomic_load_explicit(&s->n, memory_order_relaxed);
  j->chunks = atomic_load_explicit(&s->chunks, memory_order_relaxed);
  j->parts = atomic_load_explicit(&s->parts, memory_order_relaxed);
  atomic_thread_fence(memory_order_acquire);
  return atomic_load_explicit(&s->stamp, memory_order_relaxed) == g;
}

/* Takes chunk c for job g: its claim word goes from an earlier generation to g. A claim can succeed
   only while g runs (g's chunks are all claimed before a later job is posted). */
static inline int claim(int64_t c, uint64_t g) {
  uint64_t v = atomic_load_explicit(&claims[c], memory_order_relaxed);
  while (v < g)
    if (atomic_compare_exchange_weak(&claims[c], &v, g)) return 1;
  return 0;
}

/* Runs chunk c if it can take it. */
static inline int run_chunk(const job_view* j, int64_t c) {
  if (!claim(c, j->g)) return 0;
  j->fn(j->arg, chunk_lo(j->n, j->chunks, c), chunk_lo(j->n, j->chunks, c + 1));
  return 1;
}

/* Participant p's part of job j: its own share in order, then what is left of the others' shares
   from their ends. Returns the chunks it ran. */
static int take_chunks(const job_view* j, int p) {
  int mine = 0, parts = j->parts;
  int64_t lo = j->chunks * p / parts, hi = j->chunks * (p + 1) / parts;
  for (int64_t c = lo; c < hi; c++) mine += run_chunk(j, c);
  for (int k = 1; k < parts; k++) {
    int q = (p + k) % parts;
    int64_t qlo = j->chunks * q / parts, qhi = j->chunks * (q + 1) / parts;
    for (int64_t c = qhi - 1; c >= qlo; c--)
      if (atomic_load_explicit(&claims[c], memory_order_relaxed) < j->g) mine += run_chunk(j, c);
  }
  return mine;
}

static void* worker(void* p) {
  int i = (int)(intptr_t)p;
  unsigned seen = atomic_load(&posted);
  long budget = spin_limit;
  for (;;) {
    /* Wait for a job after `seen`: spin on pause (SK_PAUSE_US at most), then on sched_yield (another
       thread of this CPU runs meanwhile) until the budget is spent, then sleep. */
    double t0 = now_us(), budget_us = (double)budget / pauses_per_us;
    long pauses = budget < pause_limit ? budget : pause_limit;
    for (long s = 0; atomic_load(&posted) == seen; s++) {
      if (s < pauses) { pause_cpu(); continue; }
      if (now_us() - t0 < budget_us) { sched_yield(); continue; }
      atomic_fetch_add(&sleepers, 1);
      if (atomic_load(&posted) == seen) {
        atomic_fetch_add(&n_worker_sleeps, 1);
        futex_wait(&posted, seen);
      }
      atomic_fetch_sub(&sleepers, 1);
    }
    double waited = now_us() - t0;
    /* The newest job (`current` is set before `posted`, so the next wait is for a later one). */
    uint64_t g = atomic_load(&current);
    seen = (unsigned)g;
    job_view j;
    if (!read_job(g, &j) || i >= j.parts) continue;
    int mine = take_chunks(&j, i);
    if (mine) {
      atomic_fetch_add(&n_worker_chunks, mine);
      if (atomic_fetch_add(&done, mine) + mine == j.chunks && atomic_load(&caller_waiting))
        futex_wake((atomic_uint*)&done, 1);
    } else {
      atomic_fetch_add(&n_late, 1);
    }
    /* Spinning pays when jobs come within the limit and this worker gets a chunk of them. */
    budget = (mine && waited < spin_limit_us) ? twice(budget) : halve(budget);
  }
  return 0;
}

void sk_pool_set_threads(int threads) {
  if (threads < 1) threads = 1;
  if (threads > SK_MAX_THREADS) threads = SK_MAX_THREADS;
  atomic_store(&wanted, threads);
}

int sk_pool_threads(void) { return atomic_load(&wanted); }

/* Starts workers up to wanted - 1 (they are never stopped; extra ones sleep). Called with submit held;
   returns the workers to invite. */
static int ensure_workers(void) {
  int want = atomic_load(&wanted) - 1;
  if (atomic_load(&started) >= want && spin_limit >= 0) return want;
  pthread_mutex_lock(&start_lock);
  if (spin_limit < 0) calibrate();
  while (atomic_load(&started) < want) {
    pthread_t t;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int next = atomic_load(&started) + 1;
    int rc = pthread_create(&t, &attr, worker, (void*)(intptr_t)next);
    pthread_attr_destroy(&attr);
    if (rc != 0) break;
    atomic_store(&started, next);
  }
  pthread_mutex_unlock(&start_lock);
  int have = atomic_load(&started);
  return have < want ? have : want;
}

/* The job's chunks one after another on the calling thread (the same ranges as on the pool). */
static void run_alone(sk_task_fn fn, void* arg, int64_t n, int64_t chunks) {
  for (int64_t c = 0; c < chunks; c++) fn(arg, chunk_lo(n, chunks, c), chunk_lo(n, chunks, c + 1));
}

void sk_pool_parallel(sk_task_fn fn, void* arg, int64_t n, int64_t chunks) {
  if (n <= 0) return;
  if (chunks > n) chunks = n;
  if (chunks > SK_MAX_CHUNKS) chunks = SK_MAX_CHUNKS;
  if (chunks < 2 || atomic_load(&wanted) < 2) {
    run_alone(fn, arg, n, chunks < 1 ? 1 : chunks);
    return;
  }
  if (pthread_mutex_trylock(&submit) != 0) {
    atomic_fetch_add(&n_solo, 1);
    run_alone(fn, arg, n, chunks);
    return;
  }
  int workers = ensure_workers();
  if (workers < 1) {
    pthread_mutex_unlock(&submit);
    run_alone(fn, arg, n, chunks);
    return;
  }
  uint64_t g = atomic_load(&current) + 1;
  job_slot* slot = &slots[g & 1];
  atomic_store_explicit(&slot->stamp, 0, memory_order_relaxed);
  atomic_thread_fence(memory_order_release);
  atomic_store_explicit(&slot->fn, fn, memory_order_relaxed);
  atomic_store_explicit(&slot->arg, arg, memory_order_relaxed);
  atomic_store_explicit(&slot->n, n, memory_order_relaxed);
  atomic_store_explicit(&slot->chunks, chunks, memory_order_relaxed);
  atomic_store_explicit(&slot->parts, workers + 1, memory_order_relaxed);
  atomic_store_explicit(&slot->stamp, g, memory_order_release);
  atomic_store(&done, 0);
  atomic_store(&current, g);
  atomic_store(&posted, (unsigned)g);
  int asleep = atomic_load(&sleepers);
  if (asleep > 0) futex_wake(&posted, asleep < chunks - 1 ? asleep : (int)chunks - 1);
  atomic_fetch_add(&n_jobs, 1);
  job_view j = {g, fn, arg, n, chunks, workers + 1};
  int mine = take_chunks(&j, 0);
  atomic_fetch_add(&n_caller_chunks, mine);
  if (atomic_fetch_add(&done, mine) + mine < chunks) {
    /* Workers hold the last chunks: spin within the budget, then sleep until the last one ends. */
    long budget = atomic_load(&caller_budget), s = 0;
    double t0 = now_us();
    while (atomic_load(&done) < chunks && s < budget) { pause_cpu(); s++; }
    if (atomic_load(&done) < chunks) {
      atomic_fetch_add(&n_caller_sleeps, 1);
      atomic_store(&caller_waiting, 1);
      for (int d; (d = atomic_load(&done)) < chunks;) futex_wait((atomic_uint*)&done, (unsigned)d);
      atomic_store(&caller_waiting, 0);
    }
    atomic_store(&caller_budget, now_us() - t0 < spin_limit_us ? twice(budget) : halve(budget));
  }
  pthread_mutex_unlock(&submit);
}

int sk_pool_cpu_max_limit(const char* text) {
  long long quota = 0, period = 0;
  if (!text || sscanf(text, "%lld %lld", &quota, &period) != 2 || quota <= 0 || period <= 0) return 0;
  long long cpus = (quota + period - 1) / period;
  return cpus > INT_MAX ? INT_MAX : (int)cpus;
}

/* The first line of a file (at most size - 1 bytes), or 0 when it cannot be read. */
static int read_line(const char* path, char* buf, int size) {
  FILE* f = fopen(path, "r");
  if (!f) return 0;
  int ok = fgets(buf, size, f) != 0;
  fclose(f);
  return ok;
}

/* The tightest CPU quota of the process's cgroup and its ancestors (0: none found). */
static int cgroup_limit(void) {
  char line[4096], path[4096 + 64], text[128];
  int limit = 0;
  /* cgroup v2: "0::/path" in /proc/self/cgroup; cpu.max from that folder up to the root. */
  FILE* f = fopen("/proc/self/cgroup", "r");
  char v2[4096] = "", v1[4096] = "";
  if (f) {
    while (fgets(line, sizeof line, f)) {
      line[strcspn(line, "\n")] = 0;
      if (strncmp(line, "0::", 3) == 0) snprintf(v2, sizeof v2, "%s", line + 3);
      char* c = strchr(line, ':');
      char* d = c ? strchr(c + 1, ':') : 0;
      if (c && d && d - c - 1 >= 3 && strstr(c + 1, "cpu") == c + 1 && (c[4] == ':' || c[4] == ','))
        snprintf(v1, sizeof v1, "%s", d + 1);
    }
    fclose(f);
  }
  for (int version = 2; version >= 1; version--) {
    char* rel = version == 2 ? v2 : v1;
    for (;;) {
      int here = 0;
      if (version == 2) {
        snprintf(path, sizeof path, "/sys/fs/cgroup%s/cpu.max", strcmp(rel, "/") == 0 ? "" : rel);
        if (read_line(path, text, sizeof text)) here = sk_pool_cpu_max_limit(text);
      } else {
        char quota[64], period[64];
        snprintf(path, sizeof path, "/sys/fs/cgroup/cpu%s/cpu.cfs_quota_us", strcmp(rel, "/") == 0 ? "" : rel);
        int ok = read_line(path, quota, sizeof quota);
        snprintf(path, sizeof path, "/sys/fs/cgroup/cpu%s/cpu.cfs_period_us", strcmp(rel, "/") == 0 ? "" : rel);
        if (ok && read_line(path, period, sizeof period)) {
          quota[strcspn(quota, "\n")] = 0;
          snprintf(text, sizeof text, "%s %s", quota, period);
          here = sk_pool_cpu_max_limit(text);
        }
      }
      if (here > 0 && (limit == 0 || here < limit)) limit = here;
      char* slash = strrchr(rel, '/');
      if (!slash || rel[0] == 0 || strcmp(rel, "/") == 0) break;
      if (slash == rel) rel[1] = 0; else *slash = 0;
    }
  }
  return limit;
}

int sk_pool_available_cpus(void) {
  int cpus = 0;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = CPU_COUNT(&set);
  if (cpus < 1) cpus = (int)sysconf(_SC_NPROCESSORS_ONLN);
  if (cpus < 1) cpus = 1;
  int limit = cgroup_limit();
  return limit > 0 && limit < cpus ? limit : cpus;
}

void sk_pool_get_stats(sk_pool_stats* out) {
  out->jobs = atomic_load(&n_jobs);
  out->solo = atomic_load(&n_solo);
  out->caller_chunks = atomic_load(&n_caller_chunks);
  out->worker_chunks = atomic_load(&n_worker_chunks);
  out->late = atomic_load(&n_late);
  out->worker_sleeps = atomic_load(&n_worker_sleeps);
  out->caller_sleeps = atomic_load(&n_caller_sleeps);
  out->spin_limit = spin_limit < 0 ? 0 : spin_limit;
  out->pauses_per_us = pauses_per_us;
}
