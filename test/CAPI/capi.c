/* The C API end to end: register attn and attnc's passes in a context, parse
 * attention IR, run attn-cpu-pipeline by name through MLIR's own pass-pipeline
 * C API, then compile a fresh copy into a shared library with a header.
 * With SOURCE and LOWERED paths, it also writes an attention of head dim 64
 * to SOURCE and what attncRunCpuPipeline (for the host) makes of it to
 * LOWERED, for comparison with `attnc --mcpu=native`. */
#include "attnc-c/Attnc.h"
#include "mlir-c/RegisterEverything.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *kSource =
    "func.func @attend(%q: tensor<1x2x3x8xf32>, %k: tensor<1x2x5x8xf32>,\n"
    "                  %v: tensor<1x2x5x8xf32>) -> tensor<1x2x3x8xf32> {\n"
    "  %init = tensor.empty() : tensor<1x2x3x8xf32>\n"
    "  %o = attn.attention queries(%q : tensor<1x2x3x8xf32>)\n"
    "         keys(%k : tensor<1x2x5x8xf32>) values(%v : tensor<1x2x5x8xf32>)\n"
    "         outs(%init : tensor<1x2x3x8xf32>) scale(0.35355339 : f32)\n"
    "         indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,\n"
    "                          affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,\n"
    "                          affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,\n"
    "                          affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]\n"
    "         -> tensor<1x2x3x8xf32>\n"
    "  return %o : tensor<1x2x3x8xf32>\n"
    "}\n";

/* Wide enough that the host's vector width shows in the kernel. */
static const char *kWideSource =
    "func.func @wide(%q: tensor<1x4x16x64xf32>, %k: tensor<1x4x64x64xf32>,\n"
    "                %v: tensor<1x4x64x64xf32>) -> tensor<1x4x16x64xf32> {\n"
    "  %init = tensor.empty() : tensor<1x4x16x64xf32>\n"
    "  %o = attn.attention queries(%q : tensor<1x4x16x64xf32>)\n"
    "         keys(%k : tensor<1x4x64x64xf32>) values(%v : tensor<1x4x64x64xf32>)\n"
    "         outs(%init : tensor<1x4x16x64xf32>) scale(0.125 : f32)\n"
    "         indexing_maps = [affine_map<(b, h, s, t, d, e) -> (b, h, s, d)>,\n"
    "                          affine_map<(b, h, s, t, d, e) -> (b, h, t, d)>,\n"
    "                          affine_map<(b, h, s, t, d, e) -> (b, h, t, e)>,\n"
    "                          affine_map<(b, h, s, t, d, e) -> (b, h, s, e)>]\n"
    "         -> tensor<1x4x16x64xf32>\n"
    "  return %o : tensor<1x4x16x64xf32>\n"
    "}\n";

/* @attend of kSource in float64: softmax(q k^T * scale) v per head. */
static void referenceAttention(const float *q, const float *k, const float *v,
                               double *o) {
  const double scale = 0.35355339;
  for (int h = 0; h < 2; ++h)
    for (int s = 0; s < 3; ++s) {
      double scores[5], max = -INFINITY, sum = 0;
      for (int t = 0; t < 5; ++t) {
        double dot = 0;
        for (int d = 0; d < 8; ++d)
          dot += (double)q[(h * 3 + s) * 8 + d] * k[(h * 5 + t) * 8 + d];
        scores[t] = dot * scale;
        max = scores[t] > max ? scores[t] : max;
      }
      for (int t = 0; t < 5; ++t) {
        scores[t] = exp(scores[t] - max);
        sum += scores[t];
      }
      for (int e = 0; e < 8; ++e) {
        double acc = 0;
        for (int t = 0; t < 5; ++t)
          acc += scores[t] * v[(h * 5 + t) * 8 + e];
        o[(h * 3 + s) * 8 + e] = acc / sum;
      }
    }
}

/* The JIT entry points: @attend compiled for the host and called on
 * seeded inputs, against referenceAttention; then a wrong shape. */
static void checkJit(void) {
  char errors[1024];
  AttncJitFunction *jit = NULL;
  int status = attncJitCompile(kSource, strlen(kSource), "attend", false, 1, &jit,
                               errors, sizeof errors);
  printf("jit compiled: %d\n", status == 0 && jit != NULL);
  if (status != 0) {
    printf("%s\n", errors);
    return;
  }
  printf("jit inputs: %zu results: %zu\n", attncJitGetNumInputs(jit),
         attncJitGetNumResults(jit));
  float q[48], k[80], v[80];
  unsigned seed = 12345;
  float *arrays[] = {q, k, v};
  int counts[] = {48, 80, 80};
  for (int a = 0; a < 3; ++a)
    for (int i = 0; i < counts[a]; ++i) {
      seed = seed * 1103515245u + 12345u;
      arrays[a][i] = (float)((seed >> 8) % 2001) / 1000.0f - 1.0f;
    }
  int64_t qShape[] = {1, 2, 3, 8}, kvShape[] = {1, 2, 5, 8};
  AttncArray inputs[] = {{"<f4", 4, qShape, q}, {"<f4", 4, kvShape, k},
                         {"<f4", 4, kvShape, v}};
  double median = -1;
  status = attncJitCall(jit, inputs, 3, 3, &median, NULL, errors, sizeof errors);
  printf("jit call status: %d timed: %d\n", status, median > 0);
  AttncArray out = attncJitGetResult(jit, 0);
  double expected[48], maxError = 0;
  referenceAttention(q, k, v, expected);
  for (int i = 0; i < 48 && out.data; ++i) {
    double diff = fabs(((const float *)out.data)[i] - expected[i]);
    maxError = diff > maxError ? diff : maxError;
  }
  printf("jit result: %s rank %ld, max error below 1e-5: %d\n",
         out.dtype ? out.dtype : "none", (long)out.rank,
         out.data != NULL && maxError < 1e-5);
  /* A key of the wrong length is refused before the call. */
  inputs[1].shape = qShape;
  status = attncJitCall(jit, inputs, 3, 0, NULL, NULL, errors, sizeof errors);
  printf("jit bad shape status: %d\n%s\n", status, errors);
  attncJitDestroy(jit);
}

static void printToFile(MlirStringRef s, void *user) {
  fwrite(s.data, 1, s.length, (FILE *)user);
}

static void print(MlirStringRef s, void *user) {
  (void)user;
  fwrite(s.data, 1, s.length, stdout);
}

static MlirModule parse(MlirContext ctx) {
  MlirModule module = mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(kSource));
  if (mlirModuleIsNull(module)) {
    fprintf(stderr, "parse failed\n");
    exit(1);
  }
  return module;
}

/* attncCompileGpuKernels: kSource's @attend as PTX for sm_80 with its
 * launch descriptor in DIR, then an unknown chip. */
static int checkGpu(const char *dir) {
  char errors[4096], ptx[1024], json[1024];
  snprintf(ptx, sizeof ptx, "%s/attend.ptx", dir);
  snprintf(json, sizeof json, "%s/attend.json", dir);
  int status = attncCompileGpuKernels(kSource, strlen(kSource), "sm_80", "ptx", NULL,
                                      ptx, json, errors, sizeof errors);
  printf("gpu compile status: %d%s%s\n", status, status ? "\n" : "",
         status ? errors : "");
  /* Failures write nothing. */
  snprintf(ptx, sizeof ptx, "%s/refused.ptx", dir);
  snprintf(json, sizeof json, "%s/refused.json", dir);
  status = attncCompileGpuKernels(kSource, strlen(kSource), "sm_75", "ptx", NULL, ptx,
                                  json, errors, sizeof errors);
  printf("gpu bad chip status: %d\n%s\n", status, errors);
  status = attncCompileGpuKernels(kSource, strlen(kSource), "sm_80", "sass", NULL, ptx,
                                  json, errors, sizeof errors);
  printf("gpu bad format status: %d\n%s\n", status, errors);
  status = attncCompileGpuKernels("func.func @f(", 13, "sm_80", "ptx", NULL, ptx, json,
                                  errors, sizeof errors);
  printf("gpu bad source status: %d\n%s", status, errors);
  return 0;
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "--gpu") == 0)
    return checkGpu(argv[2]);
  if (argc != 2 && argc != 4) {
    fprintf(stderr, "usage: %s OUTPUT.so [SOURCE.mlir LOWERED.mlir]\n", argv[0]);
    return 2;
  }
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  attncRegisterDialects(registry);
  MlirContext ctx = mlirContextCreateWithRegistry(registry, false);
  mlirDialectRegistryDestroy(registry);
  attncRegisterPasses();
  attncRegisterPasses(); /* twice is harmless */

  MlirDialect attn = mlirDialectHandleLoadDialect(mlirGetDialectHandle__attn__(), ctx);
  MlirStringRef ns = mlirDialectGetNamespace(attn);
  printf("dialect: %.*s\n", (int)ns.length, ns.data);

  /* The named pipeline, through MLIR's C API. */
  MlirModule module = parse(ctx);
  MlirPassManager pm = mlirPassManagerCreate(ctx);
  MlirOpPassManager opm = mlirPassManagerGetAsOpPassManager(pm);
  MlirLogicalResult parsed = mlirParsePassPipeline(
      opm, mlirStringRefCreateFromCString("builtin.module(attn-cpu-pipeline)"), print, NULL);
  printf("pipeline parsed: %d\n", mlirLogicalResultIsSuccess(parsed));
  MlirLogicalResult ran = mlirPassManagerRunOnOp(pm, mlirModuleGetOperation(module));
  printf("pipeline ran: %d\n", mlirLogicalResultIsSuccess(ran));
  MlirOperation first = mlirBlockGetFirstOperation(mlirModuleGetBody(module));
  while (!mlirOperationIsNull(first)) {
    MlirIdentifier name = mlirOperationGetName(first);
    MlirStringRef s = mlirIdentifierStr(name);
    printf("lowered op: %.*s\n", (int)s.length, s.data);
    first = mlirOperationGetNextInBlock(first);
  }
  mlirPassManagerDestroy(pm);
  mlirModuleDestroy(module);

  /* A library with a C entry point and a header. */
  module = parse(ctx);
  char header[4096];
  snprintf(header, sizeof header, "%s.h", argv[1]);
  MlirLogicalResult emitted = attncEmitLibrary(
      module, mlirStringRefCreateFromCString(argv[1]),
      mlirStringRefCreateFromCString(header), ATTNC_EMIT_SHARED, false);
  printf("library emitted: %d\n", mlirLogicalResultIsSuccess(emitted));
  mlirModuleDestroy(module);

  /* attncRunCpuPipeline compiles for the host, as attnc --mcpu=native. */
  if (argc == 4) {
    FILE *source = fopen(argv[2], "w");
    FILE *lowered = fopen(argv[3], "w");
    if (!source || !lowered) {
      fprintf(stderr, "cannot write %s or %s\n", argv[2], argv[3]);
      return 1;
    }
    fputs(kWideSource, source);
    fclose(source);
    MlirModule wide =
        mlirModuleCreateParse(ctx, mlirStringRefCreateFromCString(kWideSource));
    MlirLogicalResult hostRan = attncRunCpuPipeline(wide, false, false);
    printf("host pipeline ran: %d\n", mlirLogicalResultIsSuccess(hostRan));
    mlirOperationPrint(mlirModuleGetOperation(wide), printToFile, lowered);
    fclose(lowered);
    mlirModuleDestroy(wide);
  }

  /* The all-in-one entry reports errors as text. */
  char errors[1024];
  int status = attncCompileSharedLibrary("func.func @f(", 13, argv[1], NULL, false,
                                         errors, sizeof errors);
  printf("bad source status: %d\n%s\n", status, errors);
  checkJit();
  mlirContextDestroy(ctx);
  return 0;
}
