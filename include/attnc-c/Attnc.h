/*===- Attnc.h - C API of the attnc attention compiler ----------*- C -*-===*\
|*                                                                            *|
|* Register the attn dialect, its passes and pipelines with an MLIR context,  *|
|* run attn-cpu-pipeline, and compile a module into an object or shared       *|
|* library with a C entry point per function. libAttncCAPI also exports       *|
|* MLIR's core C API (mlir-c/IR.h, Pass.h, RegisterEverything.h), so a client *|
|* needs no other MLIR library.                                               *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef ATTNC_C_ATTNC_H
#define ATTNC_C_ATTNC_H

#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "mlir-c/Support.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// mlirGetDialectHandle__attn__(): the attn dialect, for
/// mlirDialectHandleInsertDialect / mlirDialectHandleLoadDialect.
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Attn, attn);

/// Inserts attn and every dialect, interface extension and LLVM IR
/// translation attnc's pipelines produce into `registry`.
MLIR_CAPI_EXPORTED void attncRegisterDialects(MlirDialectRegistry registry);

/// Registers attnc's passes (attn-*) and named pipelines (attn-cpu-pipeline)
/// with the global registry, for mlirParsePassPipeline and
/// mlirOpPassManagerAddPipeline. Upstream passes: mlirRegisterAllPasses.
MLIR_CAPI_EXPORTED void attncRegisterPasses(void);

/// Runs attn-cpu-pipeline (tiled, or the reference lowering) on `module`,
/// for the host CPU (its widest vectors and bf16 dot products), as
/// `attnc --mcpu=native` compiles. The named pipeline parsed from text
/// ("attn-cpu-pipeline") takes its target from its options instead.
MLIR_CAPI_EXPORTED MlirLogicalResult attncRunCpuPipeline(MlirModule module,
                                                        bool reference,
                                                        bool threads);

/// What attncEmitLibrary writes.
typedef enum {
  ATTNC_EMIT_SHARED = 0,
  ATTNC_EMIT_OBJECT = 1,
  ATTNC_EMIT_LLVM_IR = 2,
  ATTNC_EMIT_MLIR = 3,
} AttncEmitKind;

/// Lowers `module` in place for the host CPU (as attncRunCpuPipeline) and
/// writes `outputPath` (and, for objects and shared libraries, a C header
/// at `headerPath` unless it is empty).
/// Diagnostics go to the context's handlers; nothing is written on failure.
MLIR_CAPI_EXPORTED MlirLogicalResult
attncEmitLibrary(MlirModule module, MlirStringRef outputPath,
                 MlirStringRef headerPath, AttncEmitKind kind, bool threads);

/// All in one, for clients without MLIR types (the Python package): parses
/// `source` (MLIR text), compiles it into a shared library at `outputPath`
/// with a header at `headerPath` (may be NULL). Returns 0 on success;
/// otherwise non-zero, with the diagnostics in `errorBuffer` (truncated,
/// NUL-terminated).
MLIR_CAPI_EXPORTED int attncCompileSharedLibrary(const char *source,
                                                 size_t sourceLength,
                                                 const char *outputPath,
                                                 const char *headerPath,
                                                 bool threads, char *errorBuffer,
                                                 size_t errorBufferSize);

/// Compiles `source` (MLIR text) for an NVIDIA GPU, as `attnc
/// --target=nvptx` does: `chip` (sm_80, sm_86, sm_89, sm_90, sm_90a),
/// `format` ("ptx", "cubin" or "fatbin"), the CUDA toolkit at `cudaPath`
/// (NULL: $CUDA_HOME, else /usr/local/cuda). Writes the kernels to
/// `outputPath` and the launch descriptor (JSON) to `descriptorPath` (NULL:
/// the output with .json added): both or neither. Returns 0 on success;
/// otherwise non-zero with the diagnostics in `errorBuffer`.
MLIR_CAPI_EXPORTED int attncCompileGpuKernels(
    const char *source, size_t sourceLength, const char *chip,
    const char *format, const char *cudaPath, const char *outputPath,
    const char *descriptorPath, char *errorBuffer, size_t errorBufferSize);

/// A dense C-order array: its NumPy type string ("<f4" f32, "<f8" f64,
/// "<f2" f16, "<u2" bf16 as raw bits, "<i4", "<i8", "|b1" one byte per
/// boolean), rank, shape and first element.
typedef struct {
  const char *dtype;
  intptr_t rank;
  const int64_t *shape;
  const void *data;
} AttncArray;

/// One function JIT-compiled for the host: attn-run's runner (attn-cpu-
/// pipeline for the host's target, LLVM's JIT at -O3), with the last call's
/// results.
typedef struct AttncJitFunction AttncJitFunction;

/// Parses `source` (MLIR text) and JIT-compiles its function `function`
/// for the host, through the tiled pipeline (or the reference lowering),
/// with `numThreads` OpenMP threads (1: none). Returns 0 and sets `*result`
/// on success; otherwise non-zero, with the diagnostics in `errorBuffer`
/// (truncated, NUL-terminated).
MLIR_CAPI_EXPORTED int attncJitCompile(const char *source, size_t sourceLength,
                                       const char *function, bool reference,
                                       unsigned numThreads,
                                       AttncJitFunction **result,
                                       char *errorBuffer,
                                       size_t errorBufferSize);

/// Number of inputs and results of a compiled function.
MLIR_CAPI_EXPORTED size_t attncJitGetNumInputs(const AttncJitFunction *function);
MLIR_CAPI_EXPORTED size_t attncJitGetNumResults(const AttncJitFunction *function);

/// Calls the function on `inputs`, checked against its arguments in number,
/// dtype and shape first; with `iterations` > 0, then times as many more
/// calls and writes their median and minimum wall-clock times in
/// milliseconds to `medianMs` and `minMs` (either may be NULL). Returns 0 on
/// success; otherwise non-zero with the reason in `errorBuffer`.
MLIR_CAPI_EXPORTED int attncJitCall(AttncJitFunction *function,
                                    const AttncArray *inputs, size_t numInputs,
                                    unsigned iterations, double *medianMs,
                                    double *minMs, char *errorBuffer,
                                    size_t errorBufferSize);

/// Result `index` of the last successful call, dense in C order; valid
/// until the next call or attncJitDestroy. A null `data` where there is no
/// such result.
MLIR_CAPI_EXPORTED AttncArray attncJitGetResult(const AttncJitFunction *function,
                                                size_t index);

/// Frees a compiled function and its results.
MLIR_CAPI_EXPORTED void attncJitDestroy(AttncJitFunction *function);

#ifdef __cplusplus
}
#endif

#endif // ATTNC_C_ATTNC_H
