// A hand-written AVX2 GQA decode kernel (case 3 of benchmarks/run.py: bf16
// K/V, f32 math, Hkv=8, T=16384, D=128, G query heads per K/V head), to
// calibrate what this kind of CPU reaches on that shape: it is not part of
// attnc and nothing runs it. docs/performance.md quotes its times.
//
//   clang-22 -O3 -march=native -DG=4 gqa_decode_avx2.c -o gqa -lm && ./gqa
//
// -DG=1 is case 3b; -DT=1024 keeps K/V in cache; -DPF=0 turns the prefetch
// of the next key tile off. Prints the best of N runs and the relative error
// of one head against a float64 reference.
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <time.h>
#ifndef T
#define T 16384
#endif
#define D 128
#define HKV 8
#ifndef KT
#define KT 64
#endif
#ifndef PF
#define PF KT
#endif
#ifndef G
#define G 4
#endif
#define NB (D/16)
static inline __m256 lo16(__m256i x) { return _mm256_castsi256_ps(_mm256_slli_epi32(x, 16)); }
static inline __m256 hi16(__m256i x) { return _mm256_castsi256_ps(_mm256_and_si256(x, _mm256_set1_epi32(0xffff0000))); }
static inline __m256 exp8(__m256 x) { // Cephes-style exp
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.f));
  __m256 fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504f)), _MM_FROUND_TO_NEAREST_INT|_MM_FROUND_NO_EXC);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  __m256 y = _mm256_set1_ps(1.9875691500E-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073E-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894E-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459E-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201E-1f));
  y = _mm256_fmadd_ps(y, _mm256_mul_ps(x, x), _mm256_add_ps(x, _mm256_set1_ps(1.f)));
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}
static inline float hmax(__m256 v) { __m128 a = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v,1)); a = _mm_max_ps(a, _mm_movehl_ps(a,a)); a = _mm_max_ss(a, _mm_movehdup_ps(a)); return _mm_cvtss_f32(a);}
static inline float hsum(__m256 v) { __m128 a = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v,1)); a = _mm_add_ps(a, _mm_movehl_ps(a,a)); a = _mm_add_ss(a, _mm_movehdup_ps(a)); return _mm_cvtss_f32(a);}
void kernel(const uint16_t *q /*[HKV*G][D] bf16*/, const uint16_t *K, const uint16_t *V, float *out) {
  for (int h = 0; h < HKV; ++h) {
    const __m256i *k = (const __m256i *)(K + (size_t)h*T*D), *v = (const __m256i *)(V + (size_t)h*T*D);
    __m256 qE[G][NB], qO[G][NB], aE[G][NB], aO[G][NB];
    float m[G], l[G];
    for (int g = 0; g < G; ++g) { m[g] = -INFINITY; l[g] = 0;
      for (int b = 0; b < NB; ++b) { __m256i x = _mm256_loadu_si256((const __m256i*)(q + (size_t)(h*G+g)*D + 16*b));
        qE[g][b] = lo16(x); qO[g][b] = hi16(x); aE[g][b] = aO[g][b] = _mm256_setzero_ps(); } }
    _Alignas(32) float s[G][KT];
    for (int t0 = 0; t0 < T; t0 += KT) {
      for (int j = 0; j < KT; j += 2) {
        const __m256i *k0 = k + (size_t)(t0+j)*NB, *k1 = k0 + NB;
#if PF > 0
        // One tile ahead; past the last tile these point beyond the array,
        // which a prefetch never faults on.
        { const char *pk = (const char*)(k0 + PF*NB), *pv = (const char*)(v + (size_t)(t0+j+PF)*NB);
          for (int c = 0; c < 512; c += 64) { _mm_prefetch(pk + c, _MM_HINT_T0); _mm_prefetch(pv + c, _MM_HINT_T0); } }
#endif
        __m256 a0[G], a1[G];
        for (int g = 0; g < G; ++g) a0[g] = a1[g] = _mm256_setzero_ps();
        for (int b = 0; b < NB; ++b) { __m256i x0 = _mm256_load_si256(k0+b), x1 = _mm256_load_si256(k1+b);
          __m256 e0 = lo16(x0), o0 = hi16(x0), e1 = lo16(x1), o1 = hi16(x1);
          for (int g = 0; g < G; ++g) { a0[g] = _mm256_fmadd_ps(e0, qE[g][b], a0[g]); a0[g] = _mm256_fmadd_ps(o0, qO[g][b], a0[g]);
            a1[g] = _mm256_fmadd_ps(e1, qE[g][b], a1[g]); a1[g] = _mm256_fmadd_ps(o1, qO[g][b], a1[g]); } }
        for (int g = 0; g < G; ++g) { s[g][j] = hsum(a0[g]) * 0.08838834764831843f; s[g][j+1] = hsum(a1[g]) * 0.08838834764831843f; }
      }
      for (int g = 0; g < G; ++g) {
        __m256 mx = _mm256_set1_ps(m[g]);
        for (int j = 0; j < KT; j += 8) mx = _mm256_max_ps(mx, _mm256_load_ps(&s[g][j]));
        float mn = hmax(mx); float corr = expf(m[g] - mn); m[g] = mn;
        __m256 sm = _mm256_setzero_ps(), mb = _mm256_set1_ps(mn);
        for (int j = 0; j < KT; j += 8) { __m256 p = exp8(_mm256_sub_ps(_mm256_load_ps(&s[g][j]), mb)); _mm256_store_ps(&s[g][j], p); sm = _mm256_add_ps(sm, p); }
        l[g] = l[g]*corr + hsum(sm);
        __m256 c = _mm256_set1_ps(corr);
        for (int b = 0; b < NB; ++b) { aE[g][b] = _mm256_mul_ps(aE[g][b], c); aO[g][b] = _mm256_mul_ps(aO[g][b], c); }
      }
      for (int b = 0; b < NB; ++b) {
        __m256 e[G], o[G];
        for (int g = 0; g < G; ++g) { e[g] = aE[g][b]; o[g] = aO[g][b]; }
        for (int j = 0; j < KT; ++j) { __m256i x = _mm256_load_si256(v + (size_t)(t0+j)*NB + b); __m256 ve = lo16(x), vo = hi16(x);
          for (int g = 0; g < G; ++g) { __m256 p = _mm256_broadcast_ss(&s[g][j]); e[g] = _mm256_fmadd_ps(p, ve, e[g]); o[g] = _mm256_fmadd_ps(p, vo, o[g]); } }
        for (int g = 0; g < G; ++g) { aE[g][b] = e[g]; aO[g][b] = o[g]; }
      }
    }
    for (int g = 0; g < G; ++g) { float *o = out + (size_t)(h*G+g)*D; float inv = 1.f / l[g];
      for (int b = 0; b < NB; ++b) { _Alignas(32) float e[8], od[8]; _mm256_store_ps(e, aE[g][b]); _mm256_store_ps(od, aO[g][b]);
        for (int i = 0; i < 8; ++i) { o[16*b+2*i] = e[i]*inv; o[16*b+2*i+1] = od[i]*inv; } } }
  }
}
static float bf(uint16_t x) { union { uint32_t u; float f; } c = { (uint32_t)x << 16 }; return c.f; }
int main(int argc, char **argv) {
  int iters = argc > 1 ? atoi(argv[1]) : 20;
  size_t n = (size_t)HKV*T*D;
  uint16_t *K = aligned_alloc(64, n*2), *V = aligned_alloc(64, n*2), *Q = aligned_alloc(64, HKV*G*D*2);
  for (size_t i = 0; i < n; ++i) { K[i] = 0x3f80 ^ (rand() & 0x80ff); V[i] = 0x3f80 ^ (rand() & 0x80ff); }
  for (int i = 0; i < HKV*G*D; ++i) Q[i] = 0x3f80 ^ (rand() & 0x80ff);
  float *O = aligned_alloc(64, HKV*G*D*4);
  double best = 1e9;
  for (int i = 0; i < iters; ++i) { struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a); kernel(Q, K, V, O); clock_gettime(CLOCK_MONOTONIC, &b);
    double ms = (b.tv_sec-a.tv_sec)*1e3 + (b.tv_nsec-a.tv_nsec)/1e6; if (ms < best) best = ms; }
  // check one head in float64
  int hh = 3, gg = G-1; const float sc = 0.08838834764831843f; double mx = -1e300, *sco = malloc(T*8), den = 0, ref[D] = {0}, err = 0, nrm = 0;
  for (int t = 0; t < T; ++t) { double s = 0; for (int d = 0; d < D; ++d) s += (double)bf(Q[(hh*G+gg)*D+d]) * bf(K[((size_t)hh*T+t)*D+d]); sco[t] = s*sc; if (sco[t] > mx) mx = sco[t]; }
  for (int t = 0; t < T; ++t) { double p = exp(sco[t]-mx); den += p; for (int d = 0; d < D; ++d) ref[d] += p * bf(V[((size_t)hh*T+t)*D+d]); }
  for (int d = 0; d < D; ++d) { double r = ref[d]/den, e = O[(hh*G+gg)*D+d] - r; err += e*e; nrm += r*r; }
  printf("G=%d KT=%d best %.3f ms  %.1f GB/s  relerr %.2e\n", G, KT, best, 2.0*n*2/best/1e6, sqrt(err/nrm));
}
