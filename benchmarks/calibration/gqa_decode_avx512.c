// A hand-written AVX-512 GQA decode kernel for case 3 of benchmarks/run.py
// (Hq=32, Hkv=8, T=16384, D=128, bf16 Q/K/V, f32 output): what one core of
// this kind of CPU reaches on that shape with case 3's arithmetic, written
// with intrinsics rather than compiled by attnc. It is not part of attnc.
// run.py builds and times it in the same run as attnc's case 3, where the
// CPU has avx512_bf16, and reports it as row 3/hand.
//
//   clang-22 -O3 -march=native benchmarks/calibration/gqa_decode_avx512.c \
//       -o /tmp/gqa512 -lm && /tmp/gqa512 [iterations]
//
// The kernel has the structure of attnc's: per K/V head, the 4 query rows
// that share it, 64-key tiles with an online softmax in exp2, scores by
// vdpbf16ps along each key row with the 4 rows' partial sums added by one
// shuffle tree per key, probabilities rounded to bf16, and P.V by vdpbf16ps
// on key pairs of V (interleaved with vpunpck[lh]wd) in register blocks of
// 4 rows x 64 lanes. Per key it prefetches the next tile's K and V lines
// into L2 and the current V line into L1, as attnc does. Variants:
//   -DPREFETCH=0   no software prefetches
//   -DPV_LANES=32  P.V blocks of 4 x 32 lanes (attnc's), four passes over V
// Prints one JSON object: medians over the iterations (alternating with a
// sequential read of the same K/V), and the largest error of the output
// against a float64 reference computed from the same bf16 inputs.
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#ifndef __AVX512BF16__
#error "needs avx512_bf16 (build with -march=native on a CPU that has it)"
#endif
#ifndef PREFETCH
#define PREFETCH 1
#endif
#ifndef PV_LANES
#define PV_LANES 64
#endif

enum { HKV = 8, GROUP = 4, HQ = HKV * GROUP, KEYS = 16384, D = 128, TILE = 64 };
enum { PV_BLOCKS = PV_LANES / 16, PV_PASSES = D / PV_LANES };

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

// 2 MiB aligned and advised for transparent huge pages, as attn-run holds
// its inputs.
static void *allocate(size_t bytes) {
  bytes = (bytes + (2u << 20) - 1) & ~(size_t)((2u << 20) - 1);
  void *p = aligned_alloc(2u << 20, bytes);
#if defined(MADV_HUGEPAGE)
  if (p)
    madvise(p, bytes, MADV_HUGEPAGE);
#endif
  return p;
}

// 2^x for x <= 0 (and -inf): a degree-6 polynomial on the fraction, scaled
// by vscalefps.
static inline __m512 exp2_ps(__m512 x) {
  x = _mm512_max_ps(x, _mm512_set1_ps(-126.f));
  __m512 n = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 f = _mm512_sub_ps(x, n);
  static const float c[] = {1.540353e-4f, 1.333355e-3f, 9.618129e-3f, 5.550411e-2f,
                            2.402265e-1f, 6.931472e-1f, 1.0f};
  __m512 p = _mm512_set1_ps(c[0]);
  for (int i = 1; i < 7; ++i)
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(c[i]));
  return _mm512_scalef_ps(p, n);
}

// Per 128-bit lane: x0+x1, x2+x3, y0+y1, y2+y3.
static inline __m512 add_pairs(__m512 x, __m512 y) {
  return _mm512_add_ps(_mm512_shuffle_ps(x, y, 0x88), _mm512_shuffle_ps(x, y, 0xDD));
}

static inline __m512bh load_bf16(const uint16_t *p) {
  return (__m512bh)_mm512_loadu_si512((const void *)p);
}

// Prefetches line `line` (0-3) of key row `key`: of the K and V tiles `ahead`
// keys further on, into L2, and of this V tile, into L1.
static inline void prefetch_key(const uint16_t *keys, const uint16_t *values, int key,
                                int line, int64_t ahead) {
#if PREFETCH
  _mm_prefetch((const char *)(keys + (ahead + key) * D + 32 * line), _MM_HINT_T1);
  _mm_prefetch((const char *)(values + (ahead + key) * D + 32 * line), _MM_HINT_T1);
  _mm_prefetch((const char *)(values + key * D + 32 * line), _MM_HINT_T0);
#else
  (void)keys, (void)values, (void)key, (void)line, (void)ahead;
#endif
}

// out[hq][D] = softmax(q[hq] . K[hq / GROUP]^T * scale) V[hq / GROUP].
static void attend(const uint16_t *q, const uint16_t *k, const uint16_t *v, float scale,
                   float *out) {
  const float scale2 = scale * 1.4426950408889634f; // exp2 domain
  float scores[GROUP][TILE] __attribute__((aligned(64)));
  uint16_t probs[GROUP][TILE] __attribute__((aligned(64)));
  // Accumulators in the lane order of the interleaved V pairs: position
  // 16 b + l of a row holds element 32 (b / 2) + 8 (l / 4) + 4 (b % 2) + l % 4.
  float acc[GROUP][D] __attribute__((aligned(64)));
  for (int h = 0; h < HKV; ++h) {
    const uint16_t *qh = q + (size_t)h * GROUP * D;
    const uint16_t *kh = k + (size_t)h * KEYS * D, *vh = v + (size_t)h * KEYS * D;
    float max[GROUP], sum[GROUP], correction[GROUP];
    for (int r = 0; r < GROUP; ++r)
      max[r] = -INFINITY, sum[r] = 0;
    memset(acc, 0, sizeof acc);
    for (int64_t t0 = 0; t0 < KEYS; t0 += TILE) {
      const uint16_t *kt = kh + t0 * D, *vt = vh + t0 * D;
      int64_t ahead = t0 + TILE < KEYS ? TILE : 0;
      // Scores, a key at a time: 4 rows x 4 vdpbf16ps, then one tree adds
      // the 4 rows' 16 partial sums each into a vector of 4.
      for (int j = 0; j < TILE; ++j) {
        __m512 part[GROUP];
        for (int r = 0; r < GROUP; ++r)
          part[r] = _mm512_setzero_ps();
        for (int line = 0; line < 4; ++line) {
          __m512bh key = load_bf16(kt + j * D + 32 * line);
          prefetch_key(kt, vt, j, line, ahead);
          for (int r = 0; r < GROUP; ++r)
            part[r] = _mm512_dpbf16_ps(part[r], load_bf16(qh + r * D + 32 * line), key);
        }
        __m512 lanes = add_pairs(add_pairs(part[0], part[1]), add_pairs(part[2], part[3]));
        __m256 halves = _mm256_add_ps(_mm512_castps512_ps256(lanes),
                                      _mm512_extractf32x8_ps(lanes, 1));
        __m128 rows = _mm_add_ps(_mm256_castps256_ps128(halves),
                                 _mm256_extractf128_ps(halves, 1));
        float row[4];
        _mm_storeu_ps(row, _mm_mul_ps(rows, _mm_set1_ps(scale2)));
        for (int r = 0; r < GROUP; ++r)
          scores[r][j] = row[r];
      }
      // Online softmax per row; probabilities rounded to bf16.
      for (int r = 0; r < GROUP; ++r) {
        __m512 s[4];
        for (int i = 0; i < 4; ++i)
          s[i] = _mm512_load_ps(&scores[r][16 * i]);
        float tile_max = _mm512_reduce_max_ps(
            _mm512_max_ps(_mm512_max_ps(s[0], s[1]), _mm512_max_ps(s[2], s[3])));
        float new_max = tile_max > max[r] ? tile_max : max[r];
        correction[r] = exp2f(max[r] - new_max);
        max[r] = new_max;
        __m512 total = _mm512_setzero_ps();
        for (int i = 0; i < 4; ++i) {
          s[i] = exp2_ps(_mm512_sub_ps(s[i], _mm512_set1_ps(new_max)));
          total = _mm512_add_ps(total, s[i]);
        }
        sum[r] = sum[r] * correction[r] + _mm512_reduce_add_ps(total);
        _mm512_store_si512(&probs[r][0], (__m512i)_mm512_cvtne2ps_pbh(s[1], s[0]));
        _mm512_store_si512(&probs[r][32], (__m512i)_mm512_cvtne2ps_pbh(s[3], s[2]));
      }
      // P.V: register blocks of 4 rows x PV_LANES, a key pair at a time.
      for (int pass = 0; pass < PV_PASSES; ++pass) {
        __m512 block[GROUP][PV_BLOCKS];
        for (int r = 0; r < GROUP; ++r)
          for (int b = 0; b < PV_BLOCKS; ++b)
            block[r][b] = _mm512_mul_ps(_mm512_load_ps(&acc[r][PV_LANES * pass + 16 * b]),
                                        _mm512_set1_ps(correction[r]));
        for (int j = 0; j < TILE; j += 2) {
          const uint16_t *first = vt + j * D + PV_LANES * pass, *second = first + D;
          __m512bh pairs[PV_BLOCKS];
          for (int b = 0; b < PV_BLOCKS; b += 2) {
            __m512i x = _mm512_loadu_si512(first + 16 * b);
            __m512i y = _mm512_loadu_si512(second + 16 * b);
            pairs[b] = (__m512bh)_mm512_unpacklo_epi16(x, y);
            pairs[b + 1] = (__m512bh)_mm512_unpackhi_epi16(x, y);
          }
          for (int r = 0; r < GROUP; ++r) {
            int32_t word;
            memcpy(&word, &probs[r][j], sizeof word);
            __m512bh p = (__m512bh)_mm512_set1_epi32(word);
            for (int b = 0; b < PV_BLOCKS; ++b)
              block[r][b] = _mm512_dpbf16_ps(block[r][b], p, pairs[b]);
          }
        }
        for (int r = 0; r < GROUP; ++r)
          for (int b = 0; b < PV_BLOCKS; ++b)
            _mm512_store_ps(&acc[r][PV_LANES * pass + 16 * b], block[r][b]);
      }
    }
    for (int r = 0; r < GROUP; ++r)
      for (int p = 0; p < D; ++p) {
        int b = p / 16, l = p % 16;
        out[(h * GROUP + r) * D + 32 * (b / 2) + 8 * (l / 4) + 4 * (b % 2) + l % 4] =
            acc[r][p] / sum[r];
      }
  }
}

static float from_bf16(uint16_t x) {
  uint32_t bits = (uint32_t)x << 16;
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

static uint16_t to_bf16(float f) {
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  return (uint16_t)((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

// A normal sample (Box-Muller on rand()).
static float normal(void) {
  double u = (rand() + 1.0) / (RAND_MAX + 2.0), w = (rand() + 1.0) / (RAND_MAX + 2.0);
  return (float)(sqrt(-2 * log(u)) * cos(2 * M_PI * w));
}

// The largest |out - reference| over all heads, and the largest |reference|.
static void check(const uint16_t *q, const uint16_t *k, const uint16_t *v, float scale,
                  const float *out, double *max_error, double *max_value) {
  double *s = malloc(sizeof(double) * KEYS), *o = malloc(sizeof(double) * D);
  *max_error = *max_value = 0;
  for (int hq = 0; hq < HQ; ++hq) {
    const uint16_t *kh = k + (size_t)(hq / GROUP) * KEYS * D;
    const uint16_t *vh = v + (size_t)(hq / GROUP) * KEYS * D;
    double top = -INFINITY, total = 0;
    for (int t = 0; t < KEYS; ++t) {
      double dot = 0;
      for (int e = 0; e < D; ++e)
        dot += (double)from_bf16(q[hq * D + e]) * from_bf16(kh[(size_t)t * D + e]);
      s[t] = dot * scale;
      top = s[t] > top ? s[t] : top;
    }
    memset(o, 0, sizeof(double) * D);
    for (int t = 0; t < KEYS; ++t) {
      double p = exp(s[t] - top);
      total += p;
      for (int e = 0; e < D; ++e)
        o[e] += p * from_bf16(vh[(size_t)t * D + e]);
    }
    for (int e = 0; e < D; ++e) {
      double ref = o[e] / total, err = fabs(ref - out[hq * D + e]);
      *max_error = err > *max_error ? err : *max_error;
      *max_value = fabs(ref) > *max_value ? fabs(ref) : *max_value;
    }
  }
  free(s);
  free(o);
}

int main(int argc, char **argv) {
  int iterations = argc > 1 ? atoi(argv[1]) : 11;
  if (iterations < 1) {
    fprintf(stderr, "usage: %s [iterations >= 1]\n", argv[0]);
    return 2;
  }
  size_t kv_elements = (size_t)HKV * KEYS * D;
  uint16_t *q = allocate(HQ * D * sizeof(uint16_t));
  uint16_t *k = allocate(kv_elements * sizeof(uint16_t));
  uint16_t *v = allocate(kv_elements * sizeof(uint16_t));
  float *out = allocate(HQ * D * sizeof(float));
  double *times = malloc(sizeof(double) * 2 * iterations);
  if (!q || !k || !v || !out || !times) {
    fprintf(stderr, "out of memory\n");
    return 1;
  }
  srand((unsigned)time(NULL));
  for (int i = 0; i < HQ * D; ++i)
    q[i] = to_bf16(normal());
  for (size_t i = 0; i < kv_elements; ++i) {
    k[i] = to_bf16(normal());
    v[i] = to_bf16(normal());
  }
  const float scale = 0.08838834764831843f; // 1 / sqrt(128)

  // Alternating: the kernel, then a sequential read of the same K and V.
  // Integer adds, so that no bit pattern is read as a slow denormal.
  __m512i sink = _mm512_setzero_si512();
  const uint16_t *arrays[2] = {k, v};
  for (int i = 0; i < iterations; ++i) {
    double start = now_ms();
    attend(q, k, v, scale, out);
    times[i] = now_ms() - start;
    start = now_ms();
    __m512i a[4] = {sink, sink, sink, sink};
    for (int array = 0; array < 2; ++array)
      for (size_t e = 0; e < kv_elements; e += 128)
        for (int line = 0; line < 4; ++line)
          a[line] = _mm512_add_epi32(
              a[line], _mm512_loadu_si512(arrays[array] + e + 32 * line));
    sink = _mm512_add_epi32(_mm512_add_epi32(a[0], a[1]), _mm512_add_epi32(a[2], a[3]));
    times[iterations + i] = now_ms() - start;
  }
  qsort(times, iterations, sizeof(double), compare);
  qsort(times + iterations, iterations, sizeof(double), compare);
  double ms = times[iterations / 2], read_ms = times[iterations + iterations / 2];
  double bytes = 2.0 * kv_elements * sizeof(uint16_t);

  double max_error, max_value;
  check(q, k, v, scale, out, &max_error, &max_value);
  // bf16 probabilities: about 2^-9 relative error each.
  int ok = max_error <= 1e-2 * max_value;
  printf("{\"ms\": %.4f, \"gbs\": %.2f, \"read_ms\": %.4f, \"read_gbs\": %.2f, "
         "\"prefetch\": %d, \"pv_lanes\": %d, \"max_error\": %.3g, \"max_value\": %.3g, "
         "\"ok\": %s, \"sink\": %d}\n",
         ms, bytes / ms / 1e6, read_ms, bytes / read_ms / 1e6, PREFETCH, PV_LANES, max_error,
         max_value, ok ? "true" : "false", _mm512_reduce_add_epi32(sink));
  return ok ? 0 : 1;
}
