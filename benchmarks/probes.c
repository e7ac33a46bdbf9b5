// Machine ceilings, measured in the same run as the benchmarks: one-thread
// f32 FMA throughput, bf16 dot throughput (vdpbf16ps, only where the CPU has
// avx512_bf16) and DRAM read bandwidth (from huge pages, as attn-run holds
// its inputs, and from 4 KiB pages). Built with -march=native and
// -mprefer-vector-width=512 (AVX-512 CPUs otherwise get 256-bit FMAs); prints one
// JSON object.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#ifdef __AVX512BF16__
#include <immintrin.h>
#endif

#ifdef __AVX512F__
#define LANES 16
#else
#define LANES 8
#endif
typedef float vf __attribute__((vector_size(4 * LANES)));
typedef double vd __attribute__((vector_size(4 * LANES)));

// Independent chains: enough to cover FMA latency times FMA ports, few
// enough to stay in registers (16 on AVX2).
#define CHAINS 12
#define REPS 7

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

__attribute__((noinline)) static float fma_probe(long iters, float seed) {
  vf acc[CHAINS], x, y;
  for (int l = 0; l < LANES; ++l) { x[l] = 1.0000001f; y[l] = 0.9999999f * seed; }
  for (int i = 0; i < CHAINS; ++i) acc[i] = x * (float)i;
  for (long n = 0; n < iters; ++n)
#pragma clang loop unroll(full)
    for (int i = 0; i < CHAINS; ++i) acc[i] = __builtin_elementwise_fma(acc[i], x, y);
  float s = 0;
  for (int i = 0; i < CHAINS; ++i)
    for (int l = 0; l < LANES; ++l) s += acc[i][l];
  return s;
}

#ifdef __AVX512BF16__
__attribute__((noinline)) static float bf16_probe(long iters) {
  __m512 acc[CHAINS];
  __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = (__m512bh)_mm512_set1_epi16(0x3f80);
  for (int i = 0; i < CHAINS; ++i) acc[i] = _mm512_setzero_ps();
  for (long n = 0; n < iters; ++n)
    for (int i = 0; i < CHAINS; ++i) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
  float s = 0;
  for (int i = 0; i < CHAINS; ++i) s += _mm512_reduce_add_ps(acc[i]);
  return s;
}
#endif

__attribute__((noinline)) static double read_probe(const double *p, size_t n) {
  const int w = LANES / 2;
  vd s0 = {0}, s1 = {0}, s2 = {0}, s3 = {0};
  for (size_t i = 0; i < n; i += 4 * w) {
    s0 += *(const vd *)(p + i);
    s1 += *(const vd *)(p + i + w);
    s2 += *(const vd *)(p + i + 2 * w);
    s3 += *(const vd *)(p + i + 3 * w);
  }
  vd s = s0 + s1 + s2 + s3;
  double r = 0;
  for (int l = 0; l < w; ++l) r += s[l];
  return r;
}

static double median_seconds(double *t) {
  qsort(t, REPS, sizeof(double), cmp);
  return t[REPS / 2];
}

int main(void) {
  double t[REPS], sink = 0;
  long iters = 10000000;
  for (int r = 0; r < REPS; ++r) {
    double t0 = now();
    sink += fma_probe(iters, 1.0f + r);
    t[r] = now() - t0;
  }
  double fma_gflops = 2.0 * CHAINS * LANES * iters / median_seconds(t) / 1e9;

  double bf16_gflops = 0;
#ifdef __AVX512BF16__
  for (int r = 0; r < REPS; ++r) {
    double t0 = now();
    sink += bf16_probe(iters);
    t[r] = now() - t0;
  }
  // One vdpbf16ps lane does two multiply-adds: 4 FLOPs.
  bf16_gflops = 4.0 * CHAINS * 16 * iters / median_seconds(t) / 1e9;
#endif

  // Read from memory held as attn-run holds its inputs (attnc::runtime::
  // allocateArrayData: 2 MiB aligned, advised for transparent huge pages),
  // and, for comparison, from 4 KiB pages.
  size_t bytes = (size_t)1 << 30, n = bytes / sizeof(double);
  double read_gbs[2];
  for (int huge = 1; huge >= 0; --huge) {
    double *p = aligned_alloc(huge ? (size_t)2 << 20 : 64, bytes);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (huge)
      (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
    for (size_t i = 0; i < n; ++i) p[i] = (double)(i & 1023);
    for (int r = 0; r < REPS; ++r) {
      double t0 = now();
      sink += read_probe(p, n);
      t[r] = now() - t0;
    }
    read_gbs[huge] = bytes / median_seconds(t) / 1e9;
    free(p);
  }
  printf("{\"fma_gflops\": %.1f, \"bf16_gflops\": %.1f, \"dram_read_gbs\": %.1f, "
         "\"dram_read_4k_pages_gbs\": %.1f, \"vector_lanes\": %d, \"sink\": %g}\n",
         fma_gflops, bf16_gflops, read_gbs[1], read_gbs[0], LANES, sink);
  return 0;
}
