// Machine ceilings, measured in the same run as the benchmarks: one-thread
// f32 FMA throughput, bf16 dot throughput (vdpbf16ps, only where the CPU has
// avx512_bf16), AMX bf16 tile products (tdpbf16ps, only where the CPU has
// amx_bf16 and Linux grants AMX tile state) and DRAM read bandwidth (from huge pages, as attn-run holds
// its inputs, and from 4 KiB pages). Built with -march=native and
// -mprefer-vector-width=512 (AVX-512 CPUs otherwise get 256-bit FMAs); prints one
// JSON object.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif
#if defined(__AVX512BF16__) || defined(__AMX_BF16__)
#include <immintrin.h>
#endif
#if defined(__AMX_TILE__) && defined(__AMX_BF16__) && defined(__linux__)
#define AMX_PROBE 1
#include <sys/syscall.h>
#include <unistd.h>
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

#ifdef AMX_PROBE
// The tile configuration of ldtilecfg, palette 1.
struct tile_config {
  unsigned char palette, start_row, reserved[14];
  unsigned short colsb[16];
  unsigned char rows[16];
};

// Four independent 16 x 16 f32 accumulators, each tdpbf16ps multiplying
// two of four operand tiles held in registers (a 2 x 2 block, as attnc's
// kernels use them, without their loads): the tile unit's throughput.
// Returns -1 where Linux refuses the process AMX tile state.
__attribute__((noinline)) static float amx_probe(long iters) {
  // arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)
  if (syscall(SYS_arch_prctl, 0x1023, 18) != 0)
    return -1;
  static struct tile_config config __attribute__((aligned(64)));
  static unsigned short ones[16 * 32] __attribute__((aligned(64)));
  static float out[16 * 16] __attribute__((aligned(64)));
  config.palette = 1;
  for (int t = 0; t < 8; ++t) {
    config.rows[t] = 16;
    config.colsb[t] = 64;
  }
  for (int i = 0; i < 16 * 32; ++i)
    ones[i] = 0x3f80; // bf16 1.0
  _tile_loadconfig(&config);
  _tile_zero(0);
  _tile_zero(1);
  _tile_zero(2);
  _tile_zero(3);
  _tile_loadd(4, ones, 64);
  _tile_loadd(5, ones, 64);
  _tile_loadd(6, ones, 64);
  _tile_loadd(7, ones, 64);
  for (long n = 0; n < iters; ++n) {
    _tile_dpbf16ps(0, 4, 6);
    _tile_dpbf16ps(1, 4, 7);
    _tile_dpbf16ps(2, 5, 6);
    _tile_dpbf16ps(3, 5, 7);
  }
  _tile_stored(0, out, 64);
  _tile_release();
  return out[0];
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

  double amx_gflops = 0;
#ifdef AMX_PROBE
  long amx_iters = 1000000;
  for (int r = 0; r < REPS && amx_gflops >= 0; ++r) {
    double t0 = now();
    float result = amx_probe(amx_iters);
    t[r] = now() - t0;
    if (result < 0)
      amx_gflops = -1;
    sink += result;
  }
  // One tdpbf16ps: 16 x 16 outputs, 32 multiply-adds each.
  if (amx_gflops == 0)
    amx_gflops = 4.0 * 16 * 16 * 32 * 2 * amx_iters / median_seconds(t) / 1e9;
  else
    amx_gflops = 0;
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
  printf("{\"fma_gflops\": %.1f, \"bf16_gflops\": %.1f, \"amx_gflops\": %.1f, "
         "\"dram_read_gbs\": %.1f, \"dram_read_4k_pages_gbs\": %.1f, "
         "\"vector_lanes\": %d, \"sink\": %g}\n",
         fma_gflops, bf16_gflops, amx_gflops, read_gbs[1], read_gbs[0], LANES,
         sink);
  return 0;
}
