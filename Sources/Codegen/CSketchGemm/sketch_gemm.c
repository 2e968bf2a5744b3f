/* The float32 matrix product of generated code on processors with AVX-512 (docs/native.md,
   "Products"): GotoBLAS/BLIS blocking (blocks of B packed into panels of 32 columns, blocks of A into
   panels of 8 rows) and an 8 x 32 register-blocked micro-kernel of AVX-512 FMAs, with the packing of a
   loop's constant operand kept across the loop's steps. Built once with the executable (the
   functions that use AVX-512 carry their target attribute; the processor is asked at run time), and
   handed to each generated library, which calls it for every float32 product chunk. Products too
   small for the micro-kernel, and every product on a processor without AVX-512, go to OpenBLAS.

   Why by hand: Debian's OpenBLAS 0.3.21 must run its Haswell (AVX2) kernels on this project's
   processors (OPENBLAS_CORETYPE=Haswell), and these cores run 512-bit FMAs at twice the rate of
   256-bit ones. Every element of C is one chain of FMAs over k in order (k in blocks that depend on
   k alone), whatever the blocking of rows and columns: the result does not depend on how a product
   is cut across threads. */
#include "sketch_gemm.h"
#include <immintrin.h>
#include <stdlib.h>

void cblas_sgemm(int, int, int, int, int, int, float, const float*, int, const float*, int, float, float*, int);

/* Tuned for an AVX-512 core: with gcc 12's generic tuning (what the package build gets, having no
   -march or -mtune) the same code ran at 60% of the speed (docs/native.md, "Products"). */
#define SK_AVX512 __attribute__((target("avx512f,tune=icelake-server")))

#define SK_MR 8
#define SK_NR 32
/* k in blocks of at most SK_KC, all of one size (400 stays one block: C is written once, not read
   back for a second block); B in blocks of SK_NC columns (A is packed again for each). */
#define SK_KC 512
#define SK_MC 128
#define SK_NC 2048
/* Per thread (of each loaded library): the packed blocks, grown to the largest needed. */
static _Thread_local float* sk_gemm_pa;
static _Thread_local float* sk_gemm_pb;
static _Thread_local int64_t sk_gemm_pa_n, sk_gemm_pb_n;
static float* sk_gemm_buffer(float** p, int64_t* have, int64_t need) {
  if (*have >= need) return *p;
  free(*p);
  *p = (float*)aligned_alloc(64, (size_t)((need * 4 + 63) / 64 * 64));
  *have = *p ? need : 0;
  return *p;
}
/* op(A)[i0 .. i0+mc, p0 .. p0+kc] as panels of SK_MR rows, k-major (rows past mc are zeros). */
SK_AVX512 static void sk_pack_a(int ta, const float* A, int lda, int i0, int mc, int p0, int kc, float* restrict P) {
  for (int ip = 0; ip < mc; ip += SK_MR) {
    float* restrict d = P + (int64_t)ip * kc;
    const int rows = mc - ip < SK_MR ? mc - ip : SK_MR;
    if (!ta) {
      for (int r = 0; r < SK_MR; r++) {
        if (r < rows) {
          const float* s = A + (int64_t)(i0 + ip + r) * lda + p0;
          for (int kk = 0; kk < kc; kk++) d[kk * SK_MR + r] = s[kk];
        } else {
          for (int kk = 0; kk < kc; kk++) d[kk * SK_MR + r] = 0;
        }
      }
    } else {
      for (int kk = 0; kk < kc; kk++) {
        const float* s = A + (int64_t)(p0 + kk) * lda + i0 + ip;
        for (int r = 0; r < SK_MR; r++) d[kk * SK_MR + r] = r < rows ? s[r] : 0;
      }
    }
  }
}
/* op(B)[p0 .. p0+kc, j0 .. j0+nc] as panels of SK_NR columns, k-major (columns past nc are zeros). */
SK_AVX512 static void sk_pack_b(int tb, const float* B, int ldb, int p0, int kc, int j0, int nc, float* restrict P) {
  for (int jp = 0; jp < nc; jp += SK_NR) {
    float* restrict d = P + (int64_t)jp * kc;
    const int cols = nc - jp < SK_NR ? nc - jp : SK_NR;
    if (!tb) {
      const __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
      const __mmask16 m1 = cols >= 32 ? 0xFFFF : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
      for (int kk = 0; kk < kc; kk++) {
        const float* s = B + (int64_t)(p0 + kk) * ldb + j0 + jp;
        _mm512_store_ps(d + kk * SK_NR, _mm512_maskz_loadu_ps(m0, s));
        _mm512_store_ps(d + kk * SK_NR + 16, _mm512_maskz_loadu_ps(m1, s + 16));
      }
    } else {
      for (int c = 0; c < SK_NR; c++) {
        if (c < cols) {
          const float* s = B + (int64_t)(j0 + jp + c) * ldb + p0;
          for (int kk = 0; kk < kc; kk++) d[kk * SK_NR + c] = s[kk];
        } else {
          for (int kk = 0; kk < kc; kk++) d[kk * SK_NR + c] = 0;
        }
      }
    }
  }
}
#define SK_ROW(r) __m512 x##r = _mm512_setzero_ps(), y##r = _mm512_setzero_ps();
#define SK_FMA(r) { const __m512 ar = _mm512_set1_ps(a[r]); \
  x##r = _mm512_fmadd_ps(ar, b0, x##r); y##r = _mm512_fmadd_ps(ar, b1, y##r); }
#define SK_PUT(r) if (r < rows) { float* c = C + (int64_t)r * ldc; \
  __m512 u = alpha == 1 ? x##r : _mm512_mul_ps(_mm512_set1_ps(alpha), x##r); \
  __m512 v = alpha == 1 ? y##r : _mm512_mul_ps(_mm512_set1_ps(alpha), y##r); \
  if (!first) { u = _mm512_add_ps(u, _mm512_maskz_loadu_ps(m0, c)); v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m1, c + 16)); } \
  else if (beta != 0) { \
    u = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(m0, c), u); \
    v = _mm512_fmadd_ps(_mm512_set1_ps(beta), _mm512_maskz_loadu_ps(m1, c + 16), v); } \
  _mm512_mask_storeu_ps(c, m0, u); _mm512_mask_storeu_ps(c + 16, m1, v); }
/* C[rows x cols] (+)= alpha a b over kc: a is an A panel (kc x 8), b a B panel (kc x 32). The first
   block of k writes alpha a b + beta C (C is not read when beta is 0); the later ones add to C. */
SK_AVX512 static inline void sk_kernel_8x32(int kc, const float* restrict a, const float* restrict b, float* C, int ldc,
                                  int rows, int cols, float alpha, float beta, int first) {
  SK_ROW(0) SK_ROW(1) SK_ROW(2) SK_ROW(3) SK_ROW(4) SK_ROW(5) SK_ROW(6) SK_ROW(7)
  for (int kk = 0; kk < kc; kk++, a += SK_MR, b += SK_NR) {
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
    SK_FMA(0) SK_FMA(1) SK_FMA(2) SK_FMA(3) SK_FMA(4) SK_FMA(5) SK_FMA(6) SK_FMA(7)
  }
  const __mmask16 m0 = cols >= 16 ? 0xFFFF : (__mmask16)((1u << cols) - 1);
  const __mmask16 m1 = cols >= 32 ? 0xFFFF : cols > 16 ? (__mmask16)((1u << (cols - 16)) - 1) : 0;
  SK_PUT(0) SK_PUT(1) SK_PUT(2) SK_PUT(3) SK_PUT(4) SK_PUT(5) SK_PUT(6) SK_PUT(7)
}
#undef SK_ROW
#undef SK_FMA
#undef SK_PUT
/* The blocked product. B comes packed over all of k (`full`: panels of SK_NR columns, panel j at
   full + j * SK_NR * k) or is packed here block by block into pb; A is packed block by block into pa. */
SK_AVX512 static void sk_sgemm_blocked(int ta, int tb, int m, int n, int k, float alpha, const float* A, int lda,
                             const float* B, int ldb, float beta, float* C, int ldc, const float* full,
                             float* pa, float* pb) {
  for (int jc = 0; jc < n; jc += SK_NC) {
    const int nc = n - jc < SK_NC ? n - jc : SK_NC;
    const int kblocks = (k + SK_KC - 1) / SK_KC, kcb = (k + kblocks - 1) / kblocks;
    for (int pc = 0; pc < k; pc += kcb) {
      const int kc = k - pc < kcb ? k - pc : kcb;
      const float* bp;
      int64_t step;  /* the kc x SK_NR block of the panel at column jc + jr is at bp + jr * step */
      if (full) {
        bp = full + (int64_t)jc * k + (int64_t)pc * SK_NR;
        step = k;
      } else {
        sk_pack_b(tb, B, ldb, pc, kc, jc, nc, pb);
        bp = pb;
        step = kc;
      }
      for (int ic = 0; ic < m; ic += SK_MC) {
        const int mc = m - ic < SK_MC ? m - ic : SK_MC;
        sk_pack_a(ta, A, lda, ic, mc, pc, kc, pa);
        for (int jr = 0; jr < nc; jr += SK_NR) {
          for (int ir = 0; ir < mc; ir += SK_MR) {
            sk_kernel_8x32(kc, pa + (int64_t)ir * kc, bp + (int64_t)jr * step, C + (int64_t)(ic + ir) * ldc + jc + jr,
                           ldc, mc - ir < SK_MR ? mc - ir : SK_MR, nc - jr < SK_NR ? nc - jr : SK_NR, alpha, beta, pc == 0);
          }
        }
      }
    }
  }
}
/* Operands B of products in a loop body that are the loop's constants (the weights of a recurrent
   product), packed once per loop run and thread: an entry is valid for the loop run that packed it
   (its generation, from sk_gemm_loop_start), since a loop's constants do not change while it runs. */
typedef struct { const float* B; int64_t gen; int tb, ldb, k, n; float* P; int64_t cap; } sk_gemm_packed;
static _Thread_local sk_gemm_packed sk_gemm_cache[8];
SK_AVX512 static const float* sk_gemm_pack_cached(int tb, const float* B, int ldb, int k, int n, int64_t gen) {
  sk_gemm_packed* e = &sk_gemm_cache[(((uintptr_t)B >> 6) ^ (uintptr_t)tb) & 7];
  if (e->P && e->B == B && e->gen == gen && e->tb == tb && e->ldb == ldb && e->k == k && e->n == n) return e->P;
  const int64_t need = (int64_t)((n + SK_NR - 1) / SK_NR * SK_NR) * k;
  if (!sk_gemm_buffer(&e->P, &e->cap, need)) { e->B = 0; return 0; }
  sk_pack_b(tb, B, ldb, 0, k, 0, n, e->P);
  e->B = B; e->gen = gen; e->tb = tb; e->ldb = ldb; e->k = k; e->n = n;
  return e->P;
}

static int64_t sk_gemm_generation = 0;

int64_t sk_gemm_loop_start(void) { return __atomic_add_fetch(&sk_gemm_generation, 1, __ATOMIC_RELAXED); }

int sk_gemm_has_avx512(void) {
  static int known = -1;
  if (known < 0) known = __builtin_cpu_supports("avx512f") ? 1 : 0;
  return known;
}

void sk_gemm_f32(int ta, int tb, int m, int n, int k, float alpha, const float* A, int lda, const float* B, int ldb,
                 float beta, float* C, int ldc, int64_t constant) {
  const int kcs = k < SK_KC ? k : SK_KC, ncs = n < SK_NC ? n : SK_NC, mcs = m < SK_MC ? m : SK_MC;
  /* B transposed is packed element by element (about a cycle each, against M/25 cycles of FMAs per
     element of B): with fewer than 256 rows of A and no packing kept, OpenBLAS's is the faster. */
  const int own = sk_gemm_has_avx512() && m >= SK_MR && n >= 16 && k >= 16 && (!tb || m >= 256 || constant >= 0);
  float* pa = own ? sk_gemm_buffer(&sk_gemm_pa, &sk_gemm_pa_n, (int64_t)((mcs + SK_MR - 1) / SK_MR * SK_MR) * kcs) : 0;
  const float* full = pa && constant >= 0 ? sk_gemm_pack_cached(tb, B, ldb, k, n, constant) : 0;
  float* pb = pa && !full ? sk_gemm_buffer(&sk_gemm_pb, &sk_gemm_pb_n, (int64_t)((ncs + SK_NR - 1) / SK_NR * SK_NR) * kcs) : 0;
  if (!full && !pb) {
    cblas_sgemm(101, ta ? 112 : 111, tb ? 112 : 111, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  sk_sgemm_blocked(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc, full, pa, pb);
}
