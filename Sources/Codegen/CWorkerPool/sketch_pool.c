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
   - A job is posted as a ticket, one 64-bit word: generation (bits 32-63), chunk count (16-31) and the
     next chunk to take (0-15). The caller and the workers take chunks by fetch-add on it, so whoever
     runs does the work; a worker that comes late finds no chunk and goes back to waiting. The caller
     returns when the chunks done (a futex word) reach the count.
   - Waiting (a worker for the next job, the caller for a worker's last chunk) spins for at most a
     budget (pause iterations calibrated once against the clock; a worker spins on pause for the first
     SK_PAUSE_US of it, then on sched_yield), then sleeps on a futex. Each waiter doubles its budget (up to the limit) when the wait was
     shorter than the limit, and halves it (down to 1/64 of it) when it was longer or when the worker
     came late; so a worker that is often descheduled, or jobs far apart, spin little. */

#define SK_MAX_THREADS 64
/* The ticket's chunk fields are 16 bits; each participant overshoots the count by one at most. */
#define SK_MAX_CHUNKS 4096
/* The longest spin of an idle worker before it sleeps (SKETCH_POOL_SPIN_US overrides; 0: never spin)
   and of the caller waiting for a worker's last chunk; the gaps between the parallel loops of a
   training step or a sampler step are mostly shorter. */
#define SK_SPIN_US 200.0
/* The part of a worker's spin on pause, before it spins on sched_yield. */
#define SK_PAUSE_US 20.0

static pthread_mutex_t submit = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t start_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint64_t ticket;
/* The generation of the last posted job (futex word of the idle workers) and their sleeping count. */
static atomic_uint posted;
static atomic_int sleepers;
/* Chunks done of the current job (futex word of the caller) and whether the caller sleeps on it. */
static atomic_int done;
static atomic_int caller_waiting;
/* Workers invited to the current job (workers 1...invited take part; more may be started and idle). */
static atomic_int invited;
static atomic_int wanted = 1, started;

/* The current job, written before its ticket is posted and stable until its last chunk is done. */
static sk_task_fn job_fn;
static void* job_arg;
static int64_t job_n;

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

/* Takes and runs chunks of the posted job until none is left; returns how many it ran and sets *t to
   the last ticket taken (its chunk count is the job's). */
static int take_chunks(uint64_t* t) {
  int mine = 0;
  sk_task_fn fn = 0;
  void* arg = 0;
  int64_t n = 0;
  for (;;) {
    uint64_t v = atomic_fetch_add(&ticket, 1);
    int64_t c = (int64_t)(v & 0xffff), chunks = (int64_t)((v >> 16) & 0xffff);
    *t = v;
    if (c >= chunks) return mine;
    /* A valid chunk: the job cannot end (nor its fields change) before this one is counted done. */
    if (!fn) { fn = job_fn; arg = job_arg; n = job_n; }
    fn(arg, chunk_lo(n, chunks, c), chunk_lo(n, chunks, c + 1));
    mine++;
  }
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
    /* The job it woke for: the next wait is for a later one (the ticket may already be newer than
       `posted`; a worker that took it waits for `posted` to catch up, so it comes to each job twice at most). */
    seen = atomic_load(&posted);
    if (i > atomic_load(&invited)) continue;
    uint64_t t;
    int mine = take_chunks(&t);
    if (mine) {
      int chunks = (int)((t >> 16) & 0xffff);
      atomic_fetch_add(&n_worker_chunks, mine);
      if (atomic_fetch_add(&done, mine) + mine == chunks && atomic_load(&caller_waiting))
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
  job_fn = fn;
  job_arg = arg;
  job_n = n;
  atomic_store(&done, 0);
  atomic_store(&invited, workers);
  unsigned g = atomic_load(&posted) + 1;
  atomic_store(&ticket, ((uint64_t)g << 32) | ((uint64_t)chunks << 16));
  atomic_store(&posted, g);
  int asleep = atomic_load(&sleepers);
  if (asleep > 0) futex_wake(&posted, asleep < chunks - 1 ? asleep : (int)chunks - 1);
  atomic_fetch_add(&n_jobs, 1);
  uint64_t t;
  int mine = take_chunks(&t);
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
