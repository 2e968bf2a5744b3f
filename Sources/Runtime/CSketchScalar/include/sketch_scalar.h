/* The scalar maths of Sketch, in one place: the interpreter calls these functions from Swift (through
   the CSketchScalar module), and the same text starts every generated C library (Codegen's prelude
   reads it from `sk_scalar_source()`), so both backends compute the same bits by construction.

   - Philox-4x32-10 and the random streams of docs/random.md (uniform, normal, fold);
   - float32 exp, log, tanh and sigmoid as branch-free polynomials that a C compiler vectorizes
     (Cephes' expf, logf and tanhf), without FMA contraction;
   - the C/numpy semantics of pow, int32 division and float-to-int32 conversion.

   Accuracy against glibc's libm is checked by FastMathTests; docs/native.md has the measured errors. */
#ifndef SKETCH_SCALAR_H
#define SKETCH_SCALAR_H
#include <stdint.h>
#include <string.h>
#include <math.h>
#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif

/* Philox-4x32-10 (Salmon et al., SC 2011; Random123): ten rounds over the counter c under the key
   (k0, k1), the key bumped by the Weyl increments between rounds. */
static inline void sk_philox(uint32_t k0, uint32_t k1, uint32_t c[4]) {
  for (int r = 0; r < 10; r++) {
    if (r > 0) { k0 += 0x9E3779B9u; k1 += 0xBB67AE85u; }
    uint64_t p0 = (uint64_t)0xD2511F53u * c[0], p1 = (uint64_t)0xCD9E8D57u * c[2];
    uint32_t n0 = (uint32_t)(p1 >> 32) ^ c[1] ^ k0, n1 = (uint32_t)p1;
    uint32_t n2 = (uint32_t)(p0 >> 32) ^ c[3] ^ k1, n3 = (uint32_t)p0;
    c[0] = n0; c[1] = n1; c[2] = n2; c[3] = n3;
  }
}
/* The words of element i of a draw: counter (lo32(i), hi32(i), 0, 0). */
static inline void sk_words_k(uint32_t k0, uint32_t k1, uint64_t i, uint32_t w[4]) {
  w[0] = (uint32_t)i; w[1] = (uint32_t)(i >> 32); w[2] = 0; w[3] = 0;
  sk_philox(k0, k1, w);
}
static inline float sk_uniform32_k(uint32_t k0, uint32_t k1, uint64_t i) {
  uint32_t w[4]; sk_words_k(k0, k1, i, w); return (float)(w[0] >> 8) * 0x1p-24f;
}
static inline double sk_uniform64_k(uint32_t k0, uint32_t k1, uint64_t i) {
  uint32_t w[4]; sk_words_k(k0, k1, i, w); return (double)((((uint64_t)w[0] << 32) | w[1]) >> 11) * 0x1p-53;
}
/* Box-Muller on w0, w1 in double with libm. */
static inline double sk_normal_k(uint32_t k0, uint32_t k1, uint64_t i) {
  uint32_t w[4]; sk_words_k(k0, k1, i, w);
  double u1 = ((double)w[0] + 1) * 0x1p-32, u2 = (double)w[1] * 0x1p-32;
  double twopi = 2 * M_PI;
  return sqrt(-2 * log(u1)) * cos(twopi * u2);
}
/* A new key from (k0, k1) and d: the first two words of the block with counter (lo32(d), hi32(d), 0, 1). */
static inline void sk_fold_k(uint32_t k0, uint32_t k1, uint64_t d, uint32_t out[2]) {
  uint32_t c[4] = {(uint32_t)d, (uint32_t)(d >> 32), 0, 1};
  sk_philox(k0, k1, c);
  out[0] = c[0]; out[1] = c[1];
}
/* The same with the key as generated code holds it: an int32 tensor of two elements. */
static inline float sk_uniform32(const int32_t* key, uint64_t i) { return sk_uniform32_k((uint32_t)key[0], (uint32_t)key[1], i); }
static inline double sk_uniform64(const int32_t* key, uint64_t i) { return sk_uniform64_k((uint32_t)key[0], (uint32_t)key[1], i); }
static inline double sk_normal(const int32_t* key, uint64_t i) { return sk_normal_k((uint32_t)key[0], (uint32_t)key[1], i); }
static inline void sk_fold(const int32_t* key, uint64_t d, int32_t* out) {
  uint32_t o[2]; sk_fold_k((uint32_t)key[0], (uint32_t)key[1], d, o);
  out[0] = (int32_t)o[0]; out[1] = (int32_t)o[1];
}

/* float32 exp: Cephes' expf. n = round(x·log2 e) with the 1.5·2^23 shifter (|n| < 2^22), its integer
   read from the bits of m (no float-to-int conversion, which would keep gcc from vectorizing);
   r = x − n·ln2 in two parts; a degree-6 polynomial for e^r, scaled by 2^n in two halves (so results
   down to 2^-149 are exact scalings); +inf above 88.7228, 0 below -103.97, NaN stays NaN. */
static inline __attribute__((always_inline)) float sk_pow2i(int32_t k) { uint32_t u = (uint32_t)(k + 127) << 23; float f; memcpy(&f, &u, 4); return f; }
static inline __attribute__((always_inline)) float sk_expf(float x) {
  const float hi = 88.72283f, lo = -103.97208f;
  float xc = x < lo ? lo : (x > hi ? hi : x); /* NaN passes through and stays NaN */
  float m = xc * 1.44269504f + 12582912.0f;
  float n = m - 12582912.0f;
  int32_t k; memcpy(&k, &m, 4); k -= 0x4B400000;
  float r = (xc - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = (p * (r * r) + r) + 1.0f;
  int32_t k1 = k >> 1, k2 = k - k1;
  float v = (y * sk_pow2i(k1)) * sk_pow2i(k2);
  return x > hi ? INFINITY : (x < lo ? 0.0f : v);
}
/* float32 log: Cephes' logf. x = m·2^e with m in [0.5, 1) read from the bits (subnormals scaled by
   2^23 first), m < √½ doubled, a degree-8 polynomial in t = m − 1, e·ln2 added in two parts; −inf at
   0, +inf at +inf, NaN below 0 and for NaN. */
static inline __attribute__((always_inline)) float sk_logf(float x) {
  float xn = x < 1.17549435e-38f ? x * 8388608.0f : x;
  float eadj = x < 1.17549435e-38f ? -23.0f : 0.0f;
  uint32_t u; memcpy(&u, &xn, 4);
  int32_t eb = (int32_t)((u >> 23) & 0xffu);
  uint32_t mb = (u & 0x007fffffu) | 0x3f000000u;
  float m; memcpy(&m, &mb, 4);
  float fe0 = ((float)eb - 126.0f) + eadj;
  float fe = m < 0.70710678f ? fe0 - 1.0f : fe0;
  float t = m < 0.70710678f ? (m + m) - 1.0f : m - 1.0f;
  float z = t * t;
  float p = 7.0376836292e-2f;
  p = p * t - 1.1514610310e-1f;
  p = p * t + 1.1676998740e-1f;
  p = p * t - 1.2420140846e-1f;
  p = p * t + 1.4249322787e-1f;
  p = p * t - 1.6668057665e-1f;
  p = p * t + 2.0000714765e-1f;
  p = p * t - 2.4999993993e-1f;
  p = p * t + 3.3333331174e-1f;
  float y = (p * t) * z;
  y = y + fe * -2.12194440e-4f;
  y = y + z * -0.5f;
  float r = t + y;
  r = r + fe * 0.693359375f;
  /* flat selects (nested ones keep gcc from vectorizing) */
  float r1 = x >= 0 ? r : NAN;
  float r2 = x == 0 ? -INFINITY : r1;
  return x == INFINITY ? INFINITY : r2;
}
/* float32 tanh: an odd degree-9 polynomial (Cephes' tanhf) for |x| < 0.625, else 1 − 2/(e^{2|x|} + 1)
   with the sign of x. */
static inline __attribute__((always_inline)) float sk_tanhf(float x) {
  float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  float small = (p * z) * x + x;
  float ax = fabsf(x);
  float e = sk_expf(ax + ax);
  float big = 1.0f - 2.0f / (e + 1.0f);
  float sgn = x < 0 ? -big : big;
  return ax < 0.625f ? small : sgn;
}
/* float32 sigmoid: e = exp(−|x|); 1/(1 + e) for x ≥ 0, e/(1 + e) for x < 0 (one division). */
static inline __attribute__((always_inline)) float sk_sigmoidf(float x) {
  float e = sk_expf(-fabsf(x));
  float d = 1.0f + e;
  return (x >= 0 ? 1.0f : e) / d;
}
/* float64 sigmoid with libm's exp, never of a large positive number. */
static inline double sk_sigmoid(double x) {
  if (x >= 0) return 1 / (1 + exp(-x));
  double e = exp(x);
  return e / (1 + e);
}
/* softplus log(1 + e^x) without overflow: x + log1p(e^-x) for x > 0 (libm's exp and log1p). */
static inline float sk_softplusf(float x) { return x > 0 ? x + log1pf(expf(-x)) : log1pf(expf(x)); }
static inline double sk_softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

/* float to int32 as C would truncate, NaN to 0 and saturating outside the range. */
static inline int32_t sk_f2i(double v) {
  if (v != v) return 0;
  if (v >= 2147483647.0) return 2147483647;
  if (v <= -2147483648.0) return (-2147483647 - 1);
  return (int32_t)v;
}
/* pow with numpy's semantics: a negative base with an integral exponent is defined. */
static inline float sk_powf(float a, float b) {
  if (a < 0 && roundf(b) == b) { float r = powf(-a, b); return roundf(b / 2) == b / 2 ? r : -r; }
  if (a < 0) return NAN;
  return powf(a, b);
}
static inline double sk_pow(double a, double b) {
  if (a < 0 && round(b) == b) { double r = pow(-a, b); return round(b / 2) == b / 2 ? r : -r; }
  if (a < 0) return NAN;
  return pow(a, b);
}
/* int32 division truncating toward zero; x/0 is 0 and INT32_MIN/-1 is INT32_MIN (no trap). */
static inline int32_t sk_idiv(int32_t a, int32_t b) {
  if (b == 0) return 0;
  if (a == (-2147483647 - 1) && b == -1) return a;
  return a / b;
}
#endif
