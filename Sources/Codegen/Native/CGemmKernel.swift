/// How generated code runs its float32 products: through the executable's kernel
/// (`Sources/Codegen/CSketchGemm`: packed panels and an AVX-512 micro-kernel, OpenBLAS where it does
/// not apply), handed to each library when it is loaded (`sk_set_gemm`), or OpenBLAS's `cblas_sgemm`
/// when none was handed over or the code is built with `-DSK_GEMM_BLAS` (in `SKETCH_CFLAGS`, to
/// compare the two). The kernel is compiled once with the executable, not into every library, so it
/// adds nothing to the compile time of a function.
///
/// A product in a loop body whose B operand is a constant of the loop passes the generation of the
/// loop run (`sk_gemm_gen`, set from `sk_gemm_loop_start` when a loop starts), so that the kernel
/// packs B once per run and thread instead of at every step.
enum CGemmKernel {
  static let text = #"""
    typedef void (*sk_gemm_fn)(int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int,
                               int64_t);
    typedef int64_t (*sk_loop_fn)(void);
    extern sk_gemm_fn sk_gemm_impl __attribute__((visibility("hidden")));
    extern sk_loop_fn sk_loop_impl __attribute__((visibility("hidden")));
    /* The generation of the loop run going on: packings of loop constants made in it stay valid. */
    extern int64_t sk_gemm_gen __attribute__((visibility("hidden")));
    static inline void sk_loop_starts(void) {
      if (sk_loop_impl) __atomic_store_n(&sk_gemm_gen, sk_loop_impl(), __ATOMIC_RELAXED);
    }
    /* cblas_sgemm's arguments, and whether B is a constant of the loop this product runs in. */
    static inline void sk_sgemm_cpu(int order, int tA, int tB, int m, int n, int k, float alpha, const float* A, int lda,
                                    const float* B, int ldb, float beta, float* C, int ldc, int constant) {
    #ifndef SK_GEMM_BLAS
      if (sk_gemm_impl) {
        sk_gemm_impl(tA == 112, tB == 112, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc,
                     constant ? __atomic_load_n(&sk_gemm_gen, __ATOMIC_RELAXED) : -1);
        return;
      }
    #endif
      (void)constant;
      cblas_sgemm(order, tA, tB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
    }
    static inline void sk_dgemm_cpu(int order, int tA, int tB, int m, int n, int k, double alpha, const double* A,
                                    int lda, const double* B, int ldb, double beta, double* C, int ldc, int constant) {
      (void)constant;
      cblas_dgemm(order, tA, tB, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
    }

    """#

  /// The definitions of unit 0, and `sk_set_gemm`, which the host calls once after loading.
  static let definitions = """
    sk_gemm_fn sk_gemm_impl = 0;
    sk_loop_fn sk_loop_impl = 0;
    int64_t sk_gemm_gen = 0;
    void sk_set_gemm(sk_gemm_fn gemm, sk_loop_fn loop) { sk_gemm_impl = gemm; sk_loop_impl = loop; }

    """
}
