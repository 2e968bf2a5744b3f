/* The float32 products of the benchmark models at their shapes, on one core: Debian's OpenBLAS
   (cblas_sgemm, the Haswell kernels the environment selects), BLIS (bli_sgemm, its own configuration),
   oneDNN (a matmul primitive with the weights reordered once into its blocked layout, outside the
   timing) and Sketch's kernel (Sources/Codegen/CSketchGemm/sketch_gemm.c, compiled in: once per call,
   as outside a loop, and with B kept packed, as a loop constant). Run by scripts/bench-products.sh;
   the table is in docs/native.md, "Products". Each figure is the best of 5 batches of calls. */
#include <blis.h>
#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sketch_gemm.h"

/* cblas_sgemm is declared by blis.h too (BLIS has a CBLAS layer); OpenBLAS comes first in the link
   order, so the name is OpenBLAS's. */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

#define CHECK(x) do { dnnl_status_t s_ = (x); if (s_ != dnnl_success) { fprintf(stderr, "%s: %d\n", #x, s_); exit(1); } } while (0)

typedef struct { const char* what; int ta, tb, m, k, n; } shape;

int main(void) {
  const shape shapes[] = {
    {"A, B per step: h U (sampler)", 0, 0, 64, 400, 1600},
    {"A, B per step: h U (training)", 0, 0, 32, 400, 1600},
    {"A, B per step: dG U^T", 0, 1, 32, 1600, 400},
    {"A, B: x W over all steps", 0, 0, 9600, 400, 1600},
    {"A, B: dW = h^T dG", 1, 0, 400, 9600, 1600},
    {"readout y = h V", 0, 0, 9600, 400, 121},
    {"C per step: h U", 0, 0, 56, 900, 3600},
    {"C per step: dG U^T", 0, 1, 56, 3600, 900},
    {"C: dW = h^T dG", 1, 0, 900, 33600, 3600},
  };
  dnnl_engine_t engine;
  dnnl_stream_t stream;
  CHECK(dnnl_engine_create(&engine, dnnl_cpu, 0));
  CHECK(dnnl_stream_create(&stream, engine, dnnl_stream_default_flags));
  printf("| product | shape | OpenBLAS | BLIS | oneDNN (weights reordered once) | Sketch | Sketch, B kept packed |\n");
  printf("|---|---|---|---|---|---|---|\n");
  fflush(stdout);
  for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
    const shape q = shapes[s];
    const int m = q.m, k = q.k, n = q.n, lda = q.ta ? m : k, ldb = q.tb ? k : n;
    float* A = aligned_alloc(64, sizeof(float) * ((size_t)m * k + 16));
    float* B = aligned_alloc(64, sizeof(float) * ((size_t)k * n + 16));
    float* C = aligned_alloc(64, sizeof(float) * ((size_t)m * n + 16));
    for (size_t i = 0; i < (size_t)m * k; i++) A[i] = (float)((i * 7919) % 1000) / 1000.f - 0.5f;
    for (size_t i = 0; i < (size_t)k * n; i++) B[i] = (float)((i * 104729) % 1000) / 1000.f - 0.5f;
    const double flop = 2.0 * m * n * k;
    const int reps = (int)(2e9 / flop) + 1;
    double best[5] = {1e9, 1e9, 1e9, 1e9, 1e9};

    /* oneDNN: src [m, k], weights [k, n], dst [m, n], with strides for the transposes. */
    dnnl_memory_desc_t src_md, wei_md, wei_any, dst_md;
    dnnl_dims_t sd = {m, k}, wd = {k, n}, dd = {m, n};
    dnnl_dims_t ss = {q.ta ? 1 : k, q.ta ? m : 1}, ws = {q.tb ? 1 : n, q.tb ? k : 1}, ds = {n, 1};
    CHECK(dnnl_memory_desc_init_by_strides(&src_md, 2, sd, dnnl_f32, ss));
    CHECK(dnnl_memory_desc_init_by_strides(&wei_md, 2, wd, dnnl_f32, ws));
    CHECK(dnnl_memory_desc_init_by_tag(&wei_any, 2, wd, dnnl_f32, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_strides(&dst_md, 2, dd, dnnl_f32, ds));
    dnnl_matmul_desc_t md;
    CHECK(dnnl_matmul_desc_init(&md, &src_md, &wei_any, NULL, &dst_md));
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &md, NULL, engine, NULL));
    const dnnl_memory_desc_t* wei_blocked = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    dnnl_memory_t src_m, wei_user, wei_m, dst_m;
    CHECK(dnnl_memory_create(&src_m, &src_md, engine, A));
    CHECK(dnnl_memory_create(&wei_user, &wei_md, engine, B));
    CHECK(dnnl_memory_create(&wei_m, wei_blocked, engine, DNNL_MEMORY_ALLOCATE));
    CHECK(dnnl_memory_create(&dst_m, &dst_md, engine, C));
    dnnl_primitive_desc_t rpd;
    dnnl_primitive_t reorder, matmul;
    CHECK(dnnl_reorder_primitive_desc_create(&rpd, &wei_md, engine, wei_blocked, engine, NULL));
    CHECK(dnnl_primitive_create(&reorder, rpd));
    dnnl_exec_arg_t rargs[2] = {{DNNL_ARG_FROM, wei_user}, {DNNL_ARG_TO, wei_m}};
    CHECK(dnnl_primitive_execute(reorder, stream, 2, rargs));
    CHECK(dnnl_primitive_create(&matmul, pd));
    dnnl_exec_arg_t margs[3] = {{DNNL_ARG_SRC, src_m}, {DNNL_ARG_WEIGHTS, wei_m}, {DNNL_ARG_DST, dst_m}};

    const int64_t gen = sk_gemm_loop_start();
    for (int round = 0; round < 5; round++) {
      for (int v = 0; v < 5; v++) {
        const double t0 = now();
        for (int r = 0; r < reps; r++) {
          switch (v) {
          case 0: cblas_sgemm(CblasRowMajor, q.ta ? CblasTrans : CblasNoTrans, q.tb ? CblasTrans : CblasNoTrans, m, n, k, 1, A, lda, B, ldb, 0, C, n); break;
          case 1: {
            float one = 1, zero = 0;
            bli_sgemm(q.ta ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, q.tb ? BLIS_TRANSPOSE : BLIS_NO_TRANSPOSE, m, n, k,
                      &one, A, lda, 1, B, ldb, 1, &zero, C, n, 1);  /* the stored (row-major) matrices */
            break;
          }
          case 2: CHECK(dnnl_primitive_execute(matmul, stream, 3, margs)); CHECK(dnnl_stream_wait(stream)); break;
          case 3: sk_gemm_f32(q.ta, q.tb, m, n, k, 1, A, lda, B, ldb, 0, C, n, -1); break;
          case 4: sk_gemm_f32(q.ta, q.tb, m, n, k, 1, A, lda, B, ldb, 0, C, n, gen); break;
          }
        }
        const double t = (now() - t0) / reps;
        if (t < best[v]) best[v] = t;
      }
    }
    printf("| %s | [%dx%d]%s x [%dx%d]%s |", q.what, m, k, q.ta ? " (A^T)" : "", k, n, q.tb ? " (B^T)" : "");
    for (int v = 0; v < 5; v++) printf(" %.0f GFLOP/s (%.3f ms) |", flop / best[v] / 1e9, best[v] * 1e3);
    printf("\n");
    fflush(stdout);
    dnnl_primitive_destroy(matmul);
    dnnl_primitive_destroy(reorder);
    dnnl_primitive_desc_destroy(rpd);
    dnnl_primitive_desc_destroy(pd);
    dnnl_memory_destroy(src_m);
    dnnl_memory_destroy(wei_user);
    dnnl_memory_destroy(wei_m);
    dnnl_memory_destroy(dst_m);
    free(A);
    free(B);
    free(C);
  }
  dnnl_stream_destroy(stream);
  dnnl_engine_destroy(engine);
  return 0;
}
