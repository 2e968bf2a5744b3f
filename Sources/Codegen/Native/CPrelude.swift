import CSketchScalar

/// The C code every generated library starts with: the scalar maths the interpreter runs too (Philox,
/// the random streams of docs/random.md, the float32 polynomials), BLAS prototypes and the generic
/// strided loops.
enum CPrelude {
  /// Per-node timers (`SKETCH_PROFILE`): seconds and calls of every node, read by the host through
  /// `sk_profile_seconds` / `sk_profile_calls` (a scan's time includes its body's nodes).
  static func profiler(nodes: Int) -> String {
    #"""
    #include <time.h>
    static double sk_prof_s[\#(max(nodes, 1))];
    static int64_t sk_prof_n[\#(max(nodes, 1))];
    static int sk_timed(int k, int (*f)(void**, const int64_t*), void** B, const int64_t* P) {
      struct timespec a, b;
      clock_gettime(CLOCK_MONOTONIC, &a);
      int rc = f(B, P);
      clock_gettime(CLOCK_MONOTONIC, &b);
      sk_prof_s[k] += (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
      sk_prof_n[k]++;
      return rc;
    }
    const double* sk_profile_seconds(void) { return sk_prof_s; }
    const int64_t* sk_profile_calls(void) { return sk_prof_n; }

    """#
  }

  /// The scalar functions shared with the interpreter (CSketchScalar's sketch_scalar.h, its exact
  /// text), then the rest.
  static let text = String(cString: sk_scalar_source()) + rest + "\n" + CGemmKernel.text + products

  private static let rest = #"""
    #include <stdlib.h>

    /* OpenBLAS is already loaded by the host process; CblasRowMajor = 101, NoTrans = 111, Trans = 112. */
    void cblas_sgemm(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);
    void cblas_dgemm(int, int, int, int, int, int, double, const double*, int, const double*, int, double, double*, int);

    #define SK_MAXR 16

    /* A failure found at run time (Graph's KernelFailure: the code is its raw value): the failing node's
       buffer id and two numbers for the message, read by the host through sk_error() (unit 0). */
    extern double sk_err[3] __attribute__((visibility("hidden")));
    static inline int sk_fail(int64_t node, int code, double a, double b) {
      sk_err[0] = (double)node; sk_err[1] = a; sk_err[2] = b; return code;
    }

    /* The worker threads (Sources/Codegen/CWorkerPool), set by sk_main for the whole library: par runs
       a task over n items cut into a number of chunks (at least 2). */
    typedef void (*sk_task_fn)(void*, int64_t, int64_t);
    typedef void (*sk_parallel_fn)(sk_task_fn, void*, int64_t, int64_t);
    extern sk_parallel_fn sk_par_impl __attribute__((visibility("hidden")));
    extern int64_t sk_threads __attribute__((visibility("hidden")));
    /* The least work (elements x cost per element, see Kernel.cost) of one chunk of a split loop. A
       fork/join with spinning workers costs about 1.5 us on the 2-core test machine, and a unit about
       0.055 ns (a vectorized tanh loop), so a chunk (about 11 us) loses some 10 per cent at most to it
       (docs/native.md, "The worker pool under contention"); loops are split from two chunks. */
    #ifndef SK_CHUNK_WORK
    #define SK_CHUNK_WORK 200000.0
    #endif
    /* Chunks per thread at most: more than one, so that a thread that starts late leaves chunks to the
       others; products 2 (each chunk of a product packs the whole shared operand again). */
    #ifndef SK_CHUNKS_PER_THREAD
    #define SK_CHUNKS_PER_THREAD 4
    #endif
    #ifndef SK_GEMM_CHUNKS_PER_THREAD
    #define SK_GEMM_CHUNKS_PER_THREAD 2
    #endif
    /* Flops of a matrix product per unit of work. */
    #define SK_FLOPS_PER_WORK 10.0
    /* Runs f over [0, n) whose work is `work`: alone, or in chunks of SK_CHUNK_WORK at least (per_thread
       per thread at most) across the threads. The chunks depend on n, work and the thread count only,
       never on the schedule. */
    static inline void sk_parallel_by(sk_task_fn f, void* a, int64_t n, double work, int64_t per_thread) {
      int64_t chunks = sk_threads > 1 && sk_par_impl && work >= 2 * SK_CHUNK_WORK ? (int64_t)(work / SK_CHUNK_WORK) : 1;
      if (chunks > per_thread * sk_threads) chunks = per_thread * sk_threads;
      if (chunks > n) chunks = n;
      if (chunks > 1) sk_par_impl(f, a, n, chunks); else f(a, 0, n);
    }
    /* A loop: sk_parallel_by with SK_CHUNKS_PER_THREAD. */
    static inline void sk_parallel(sk_task_fn f, void* a, int64_t n, double work) {
      sk_parallel_by(f, a, n, work, SK_CHUNKS_PER_THREAD);
    }
    """#

  /// The products: `sk_sgemm` and `sk_dgemm` split a product across the threads; float32 chunks run
  /// the executable's kernel (``CGemmKernel``), float64 ones OpenBLAS.
  private static let products = #"""
    /* C = alpha op(A) op(B) + beta C, row-major, split across the threads by blocks of 8 rows when C is
       tall (each part packs only its rows of A, and all of B, which is the smaller), else by blocks of
       16 columns (or of 8 rows when C is narrow). */
    #define SK_GEMM(T, NAME, BLAS) \
    typedef struct { int ta, tb, m, n, k, lda, ldb, ldc, rows, constant; T alpha, beta; const T* A; const T* B; T* C; } NAME##_job; \
    static void NAME##_part(void* v, int64_t lo, int64_t hi) { \
      const NAME##_job* j = (const NAME##_job*)v; \
      if (j->rows) { \
        int r0 = (int)(lo * 8), r1 = (int)(hi * 8 < j->m ? hi * 8 : j->m); \
        BLAS(101, j->ta ? 112 : 111, j->tb ? 112 : 111, r1 - r0, j->n, j->k, j->alpha, \
          j->ta ? j->A + r0 : j->A + (int64_t)r0 * j->lda, j->lda, j->B, j->ldb, j->beta, j->C + (int64_t)r0 * j->ldc, j->ldc, j->constant); \
      } else { \
        int c0 = (int)(lo * 16), c1 = (int)(hi * 16 < j->n ? hi * 16 : j->n); \
        BLAS(101, j->ta ? 112 : 111, j->tb ? 112 : 111, j->m, c1 - c0, j->k, j->alpha, j->A, j->lda, \
          j->tb ? j->B + (int64_t)c0 * j->ldb : j->B + c0, j->ldb, j->beta, j->C + c0, j->ldc, j->constant); \
      } \
    } \
    static void NAME(int ta, int tb, int m, int n, int k, T alpha, const T* A, int lda, const T* B, int ldb, T beta, T* C, int ldc, int constant) { \
      NAME##_job j = {ta, tb, m, n, k, lda, ldb, ldc, 0, constant, alpha, beta, A, B, C}; \
      const double work = 2.0 * m * n * k / SK_FLOPS_PER_WORK; \
      if (sk_threads > 1 && work >= 2 * SK_CHUNK_WORK) { \
        if (m > n && m >= 16 * sk_threads) { j.rows = 1; sk_parallel_by(NAME##_part, &j, (m + 7) / 8, work, SK_GEMM_CHUNKS_PER_THREAD); return; } \
        if (n >= 32 * sk_threads) { sk_parallel_by(NAME##_part, &j, (n + 15) / 16, work, SK_GEMM_CHUNKS_PER_THREAD); return; } \
        if (m >= 16 * sk_threads) { j.rows = 1; sk_parallel_by(NAME##_part, &j, (m + 7) / 8, work, SK_GEMM_CHUNKS_PER_THREAD); return; } \
      } \
      BLAS(101, ta ? 112 : 111, tb ? 112 : 111, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, constant); \
    }
    SK_GEMM(float, sk_sgemm, sk_sgemm_cpu)
    SK_GEMM(double, sk_dgemm, sk_dgemm_cpu)

    /* Row-major strides of dims. */
    static inline void sk_strides(int r, const int64_t* d, int64_t* s) {
      int64_t acc = 1;
      for (int i = r - 1; i >= 0; i--) { s[i] = acc; acc *= d[i]; }
    }
    /* Strides of an input of rank ri read under broadcasting into an output of rank ro (0 where it stretches). */
    static inline void sk_bstrides(int ro, const int64_t* od, int ri, const int64_t* id, int64_t* st) {
      int64_t s[SK_MAXR]; sk_strides(ri, id, s);
      for (int i = 0; i < ro; i++) {
        int j = i - (ro - ri);
        st[i] = (j < 0 || id[j] == 1) ? 0 : s[j];
      }
      (void)od;
    }
    /* The same for a view of rank ri with its own strides ist. */
    static inline void sk_vstrides(int ro, int ri, const int64_t* id, const int64_t* ist, int64_t* st) {
      for (int i = 0; i < ro; i++) {
        int j = i - (ro - ri);
        st[i] = (j < 0 || id[j] == 1) ? 0 : ist[j];
      }
    }
    /* out[i] = in[base + Σ idx·st] over the odometer of dims (any element size). */
    #define SK_GATHER(T, NAME) \
    static void NAME(T* out, const T* in, int r, const int64_t* dims, const int64_t* st, int64_t base) { \
      int64_t n = 1; for (int i = 0; i < r; i++) n *= dims[i]; \
      if (n == 0) return; \
      if (r == 0) { out[0] = in[base]; return; } \
      int64_t ix[SK_MAXR] = {0}; int64_t off = base; int64_t inner = dims[r - 1], ist = st[r - 1]; \
      for (int64_t i = 0; i < n; i += inner) { \
        for (int64_t k = 0; k < inner; k++) out[i + k] = in[off + k * ist]; \
        for (int d = r - 2; d >= 0; d--) { ix[d]++; off += st[d]; if (ix[d] < dims[d]) break; off -= st[d] * dims[d]; ix[d] = 0; } \
      } \
    }
    #define SK_SCATTER(T, NAME, OP) \
    static void NAME(T* out, const T* in, int r, const int64_t* dims, const int64_t* ost, int64_t base, const int64_t* ist) { \
      int64_t n = 1; for (int i = 0; i < r; i++) n *= dims[i]; \
      if (n == 0) return; \
      int64_t ix[SK_MAXR] = {0}; int64_t o = base, s = 0; \
      for (int64_t i = 0; i < n; i++) { \
        OP; \
        for (int d = r - 1; d >= 0; d--) { ix[d]++; o += ost[d]; s += ist[d]; if (ix[d] < dims[d]) break; o -= ost[d] * dims[d]; s -= ist[d] * dims[d]; ix[d] = 0; } \
      } \
    }
    SK_GATHER(float, sk_gather_f32)
    SK_GATHER(double, sk_gather_f64)
    SK_GATHER(int32_t, sk_gather_i32)
    SK_GATHER(uint8_t, sk_gather_u8)
    SK_SCATTER(float, sk_set_f32, out[o] = in[s])
    SK_SCATTER(double, sk_set_f64, out[o] = in[s])
    SK_SCATTER(int32_t, sk_set_i32, out[o] = in[s])
    SK_SCATTER(uint8_t, sk_set_u8, out[o] = in[s])
    SK_SCATTER(float, sk_add_f32, out[o] += in[s])
    SK_SCATTER(double, sk_add_f64, out[o] += in[s])
    SK_SCATTER(int32_t, sk_add_i32, out[o] = (int32_t)((uint32_t)out[o] + (uint32_t)in[s]))
    SK_SCATTER(uint8_t, sk_add_u8, out[o] = out[o] || in[s])

    /* Reduction over axes: accumulators in double (like the interpreter), row by row over the last
       axis: when it is kept, the row is added into a row of accumulators (a loop the compiler vectorizes);
       when it is reduced, into one local accumulator. The outer axes go through an odometer. */
    #define SK_REDUCE(T, NAME, INIT, STEP, FINISH) \
    static void NAME(T* out, const T* in, int r, const int64_t* dims, const int64_t* ost, int64_t nout) { \
      double* acc = (double*)malloc(sizeof(double) * (nout > 0 ? nout : 1)); \
      for (int64_t j = 0; j < nout; j++) acc[j] = INIT; \
      int64_t n = 1; for (int i = 0; i < r; i++) n *= dims[i]; \
      if (r == 0) { double v = (double)in[0]; STEP(acc[0], v); } \
      else if (n > 0) { \
        const int64_t inner = dims[r - 1], os = ost[r - 1]; \
        int64_t ix[SK_MAXR] = {0}; int64_t o = 0; \
        for (int64_t i = 0; i < n; i += inner) { \
          const T* restrict row = in + i; \
          if (os == 0) { double a = acc[o]; for (int64_t k = 0; k < inner; k++) { double v = (double)row[k]; STEP(a, v); } acc[o] = a; } \
          else if (os == 1) { double* restrict ar = acc + o; for (int64_t k = 0; k < inner; k++) { double v = (double)row[k]; STEP(ar[k], v); } } \
          else { for (int64_t k = 0; k < inner; k++) { double v = (double)row[k]; STEP(acc[o + k * os], v); } } \
          for (int d = r - 2; d >= 0; d--) { ix[d]++; o += ost[d]; if (ix[d] < dims[d]) break; o -= ost[d] * dims[d]; ix[d] = 0; } \
        } \
      } \
      for (int64_t j = 0; j < nout; j++) { double a = acc[j]; FINISH; } \
      free(acc); \
    }
    #define SK_SUM_STEP(A, v) A += v
    #define SK_MAX_STEP(A, v) A = (v != v || A != A) ? NAN : (v > A ? v : A)
    #define SK_MIN_STEP(A, v) A = (v != v || A != A) ? NAN : (v < A ? v : A)
    SK_REDUCE(float, sk_sum_f32, 0, SK_SUM_STEP, out[j] = (float)a)
    SK_REDUCE(double, sk_sum_f64, 0, SK_SUM_STEP, out[j] = a)
    SK_REDUCE(int32_t, sk_sum_i32, 0, SK_SUM_STEP, out[j] = (int32_t)(int64_t)a)
    SK_REDUCE(float, sk_max_f32, -INFINITY, SK_MAX_STEP, out[j] = (float)a)
    SK_REDUCE(double, sk_max_f64, -INFINITY, SK_MAX_STEP, out[j] = a)
    SK_REDUCE(int32_t, sk_max_i32, -INFINITY, SK_MAX_STEP, out[j] = isinf(a) ? (a > 0 ? 2147483647 : (-2147483647 - 1)) : (int32_t)a)
    SK_REDUCE(float, sk_min_f32, INFINITY, SK_MIN_STEP, out[j] = (float)a)
    SK_REDUCE(double, sk_min_f64, INFINITY, SK_MIN_STEP, out[j] = a)
    SK_REDUCE(int32_t, sk_min_i32, INFINITY, SK_MIN_STEP, out[j] = isinf(a) ? (a > 0 ? 2147483647 : (-2147483647 - 1)) : (int32_t)a)

    /* argmax along one axis: outer x n x inner. */
    #define SK_ARGMAX(T, NAME) \
    static void NAME(int32_t* out, const T* in, int64_t outer, int64_t n, int64_t inner) { \
      for (int64_t o = 0; o < outer; o++) for (int64_t k = 0; k < inner; k++) { \
        double best = -INFINITY; int32_t arg = -1; \
        for (int64_t j = 0; j < n; j++) { \
          double v = (double)in[(o * n + j) * inner + k]; \
          if (arg < 0 || (best == best && (v > best || v != v))) { best = v; arg = (int32_t)j; } \
        } \
        out[o * inner + k] = arg < 0 ? 0 : arg; \
      } \
    }
    SK_ARGMAX(float, sk_argmax_f32)
    SK_ARGMAX(double, sk_argmax_f64)
    SK_ARGMAX(int32_t, sk_argmax_i32)

    /* categorical: rows of K (unnormalised) probabilities, inverse CDF with one uniform per row. */
    #define SK_CATEGORICAL(T, NAME) \
    static void NAME(int32_t* out, const T* p, int64_t rows, int64_t K, const int32_t* key) { \
      for (int64_t n = 0; n < rows; n++) { \
        double total = 0; for (int64_t j = 0; j < K; j++) total += (double)p[n * K + j]; \
        double target = sk_uniform64(key, (uint64_t)n) * total, run = 0; int32_t c = 0; \
        for (int64_t j = 0; j < K - 1; j++) { run += (double)p[n * K + j]; if (run < target) c++; } \
        out[n] = c; \
      } \
    }
    SK_CATEGORICAL(float, sk_categorical_f32)
    SK_CATEGORICAL(double, sk_categorical_f64)
    """#
}
