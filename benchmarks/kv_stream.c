// How fast one core streams GQA decode's K/V (case 3: 8 K/V heads x 16384
// keys x 128 bf16, 32 MiB each for K and V) in the orders a decode kernel can
// read them. It holds no attention math: per 64-byte line it does the
// multiply-adds that case 3's kernel does (4 query rows), so that the rates
// compare access orders and prefetches at case 3's arithmetic density.
//
//   clang-22 -O3 -march=native -mprefer-vector-width=512 benchmarks/kv_stream.c \
//       -o /tmp/kv_stream
//   /tmp/kv_stream [rounds]
//
// Orders, each timed in every round (alternating, after a 64 MiB flush;
// medians over rounds):
//   sequential        all of K, then all of V, line by line (a DRAM probe)
//   rows              per head and 64-key tile: the K rows, then the V rows,
//                     each row's 4 lines in turn (a P.V that reads V rows whole)
//   rows+prefetch     the same, with case 3's software prefetches: per key,
//                     the next tile's K and V rows into L2, the current V row
//                     into L1
//   pairs             V rows two at a time, their lines interleaved (as a
//                     vdpbf16ps P.V reads a key pair)
//   pairs-twice       pairs, in two passes of 2 query rows each (a P.V of
//                     2 x 128 register blocks: the second pass reads L1)
//   columns           as rows, but V in 4 passes of one line per row (a P.V
//                     of 4 register blocks of 32 lanes: case 3's kernel)
//   columns+prefetch  columns with case 3's prefetches (case 3's kernel order)
//
// Memory comes from 2 MiB-aligned, huge-page-advised allocations, as
// attn-run's inputs do.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

enum { HEADS = 8, KEYS = 16384, ROW_BYTES = 256, TILE = 64, LINES = 4, ROWS = 4 };
typedef float line_t __attribute__((vector_size(64)));

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static char *allocate(size_t bytes) {
  char *p = aligned_alloc(2u << 20, bytes);
  if (!p)
    return NULL;
#if defined(MADV_HUGEPAGE)
  madvise(p, bytes, MADV_HUGEPAGE);
#endif
  // Touched before any timing, and normal floats, so that no multiply-add
  // meets a denormal.
  float *values = (float *)p;
  for (size_t i = 0; i < bytes / sizeof(float); ++i)
    values[i] = 1.0f + (float)(i % 1024) / 1024;
  return p;
}

// The multiply-adds of query rows [first, first + count) on one line, into
// the accumulators of its position in the row.
static inline void madd_rows(line_t acc[ROWS], const char *line, const line_t q[ROWS],
                             int first, int count) {
  line_t x = *(const line_t *)line;
  for (int r = first; r < first + count; ++r)
    acc[r] += x * q[r];
}

static inline void madd(line_t acc[ROWS], const char *line, const line_t q[ROWS]) {
  madd_rows(acc, line, q, 0, ROWS);
}

enum order { SEQUENTIAL, ROW_ORDER, ROW_ORDER_PREFETCH, PAIRS, PAIRS_TWICE, COLUMNS, COLUMNS_PREFETCH, NUM_ORDERS };
static const char *const kNames[NUM_ORDERS] = {"sequential", "rows", "rows+prefetch", "pairs", "pairs-twice",
                                               "columns", "columns+prefetch"};

// Case 3's prefetches for key `t`: the next tile's K and V rows (clamped to
// the last key) into L2, the current V row into L1.
static inline void prefetch(const char *k, const char *v, int t) {
  int next = t + TILE < KEYS ? t + TILE : KEYS - 1;
  for (int l = 0; l < LINES; ++l) {
    __builtin_prefetch(k + (size_t)next * ROW_BYTES + 64 * l, 0, 2);
    __builtin_prefetch(v + (size_t)next * ROW_BYTES + 64 * l, 0, 2);
    __builtin_prefetch(v + (size_t)t * ROW_BYTES + 64 * l, 0, 3);
  }
}

__attribute__((noinline)) static float stream(enum order order, const char *K, const char *V) {
  line_t acc[LINES][ROWS] = {{{0}}}, q[ROWS];
  for (int r = 0; r < ROWS; ++r)
    for (int i = 0; i < 16; ++i)
      q[r][i] = 1.0f / (r + i + 1);
  if (order == SEQUENTIAL) {
    size_t bytes = (size_t)HEADS * KEYS * ROW_BYTES;
    for (size_t i = 0; i < bytes; i += 64)
      madd(acc[(i / 64) % LINES], K + i, q);
    for (size_t i = 0; i < bytes; i += 64)
      madd(acc[(i / 64) % LINES], V + i, q);
  } else {
    int prefetching = order == ROW_ORDER_PREFETCH || order == COLUMNS_PREFETCH;
    int columns = order == COLUMNS || order == COLUMNS_PREFETCH;
    for (int h = 0; h < HEADS; ++h) {
      const char *k = K + (size_t)h * KEYS * ROW_BYTES, *v = V + (size_t)h * KEYS * ROW_BYTES;
      for (int t0 = 0; t0 < KEYS; t0 += TILE) {
        for (int t = t0; t < t0 + TILE; ++t) {
          if (prefetching)
            prefetch(k, v, t);
          for (int l = 0; l < LINES; ++l)
            madd(acc[l], k + (size_t)t * ROW_BYTES + 64 * l, q);
        }
        if (order == PAIRS) {
          for (int t = t0; t < t0 + TILE; t += 2)
            for (int l = 0; l < LINES; ++l) {
              madd(acc[l], v + (size_t)t * ROW_BYTES + 64 * l, q);
              madd(acc[l], v + (size_t)(t + 1) * ROW_BYTES + 64 * l, q);
            }
        } else if (order == PAIRS_TWICE) {
          for (int half = 0; half < 2; ++half)
            for (int t = t0; t < t0 + TILE; t += 2)
              for (int l = 0; l < LINES; ++l) {
                madd_rows(acc[l], v + (size_t)t * ROW_BYTES + 64 * l, q, 2 * half, 2);
                madd_rows(acc[l], v + (size_t)(t + 1) * ROW_BYTES + 64 * l, q, 2 * half, 2);
              }
        } else if (columns) {
          for (int l = 0; l < LINES; ++l)
            for (int t = t0; t < t0 + TILE; ++t)
              madd(acc[l], v + (size_t)t * ROW_BYTES + 64 * l, q);
        } else {
          for (int t = t0; t < t0 + TILE; ++t)
            for (int l = 0; l < LINES; ++l)
              madd(acc[l], v + (size_t)t * ROW_BYTES + 64 * l, q);
        }
      }
    }
  }
  float sum = 0;
  for (int l = 0; l < LINES; ++l)
    for (int r = 0; r < ROWS; ++r)
      for (int i = 0; i < 16; ++i)
        sum += acc[l][r][i];
  return sum;
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 11;
  if (rounds < 1 || rounds > 1000) {
    fprintf(stderr, "kv_stream: rounds must be 1-1000, got '%s'\n", argv[1]);
    return 1;
  }
  size_t bytes = (size_t)HEADS * KEYS * ROW_BYTES, flushBytes = 64u << 20;
  char *K = allocate(bytes), *V = allocate(bytes), *flush = allocate(flushBytes);
  double *ms = malloc(sizeof(double) * rounds * NUM_ORDERS);
  if (!K || !V || !flush || !ms) {
    fprintf(stderr, "kv_stream: out of memory\n");
    return 1;
  }
  volatile float sink = 0;
  for (int i = 0; i < rounds; ++i)
    for (int j = 0; j < NUM_ORDERS; ++j) {
      int o = (i % 2) ? NUM_ORDERS - 1 - j : j;  // alternate the order of orders
      memset(flush, i + j, flushBytes);
      double start = now();
      sink += stream((enum order)o, K, V);
      ms[o * rounds + i] = now() - start;
    }
  printf("%-18s %9s %9s\n", "order", "ms", "GB/s");
  for (int o = 0; o < NUM_ORDERS; ++o) {
    qsort(ms + o * rounds, rounds, sizeof(double), cmp);
    double median = ms[o * rounds + rounds / 2];
    printf("%-18s %9.3f %9.1f\n", kNames[o], median, 2.0 * bytes / median / 1e6);
  }
  return 0;
}
