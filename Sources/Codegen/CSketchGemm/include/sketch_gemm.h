#ifndef SKETCH_GEMM_H
#define SKETCH_GEMM_H
#include <stdint.h>

/* C = alpha op(A) op(B) + beta C, float32, row-major (op transposes when ta / tb is 1), with AVX-512
   when the processor has it and the product fills the micro-kernel, else OpenBLAS. `constant` is the
   generation of the loop run in which B is a constant of the loop (from sk_gemm_loop_start: B is then
   packed once per run and thread), or -1. */
void sk_gemm_f32(int ta, int tb, int m, int n, int k, float alpha, const float* A, int lda, const float* B, int ldb,
                 float beta, float* C, int ldc, int64_t constant);

/* The two as function pointers (what a generated library is handed). */
typedef void (*sk_gemm_fn_t)(int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int,
                             int64_t);
typedef int64_t (*sk_loop_fn_t)(void);

/* A new generation for a loop run that starts (every earlier packing of a loop constant is stale). */
int64_t sk_gemm_loop_start(void);

/* Whether this processor runs the AVX-512 kernel. */
int sk_gemm_has_avx512(void);

#endif
