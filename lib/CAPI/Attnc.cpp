//===- Attnc.cpp - C API of the attnc attention compiler ------------------===//

#include "attnc-c/Attnc.h"

#include "attnc/Codegen/CPU/Passes.h"
#include "attnc/Codegen/GPU/Passes.h"
#include "attnc/Dialect/Attn/IR/AttnDialect.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"
#include "attnc/Target/CPU/CpuTarget.h"
#include "attnc/Target/CPU/EmitLibrary.h"
#include "attnc/Target/CPU/JitRunner.h"
#include "attnc/Target/GPU/EmitGpuKernels.h"
#include "attnc/Pipelines/InputGuard.h"
#include "attnc/Pipelines/Pipelines.h"

#include "mlir/CAPI/IR.h"
#include "mlir/CAPI/Registration.h"
#include "mlir/CAPI/Support.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Target/TargetMachine.h"

#include <cstring>
#include <mutex>

using namespace mlir;

MLIR_DEFINE_CAPI_DIALECT_REGISTRATION(Attn, attn, mlir::attn::AttnDialect)

void attncRegisterDialects(MlirDialectRegistry registry) {
  attn::registerCompilerDialects(*unwrap(registry));
}

void attncRegisterPasses(void) {
  // The global registry rejects a second registration of a name.
  static std::once_flag once;
  std::call_once(once, [] {
    attn::registerAttnPasses();
    attn::registerAttnCodegenCPUPasses();
    attn::registerAttnCodegenGPUPasses();
    attn::registerPipelines();
  });
}

MlirLogicalResult attncRunCpuPipeline(MlirModule module, bool reference,
                                      bool threads) {
  ModuleOp op = unwrap(module);
  // The host's target, as attnc --mcpu=native and the JIT compile for.
  std::string error;
  FailureOr<attn::CpuTarget> target = attn::CpuTarget::host(error);
  if (failed(target)) {
    emitError(op.getLoc()) << error;
    return mlirLogicalResultFailure();
  }
  PassManager pm(op.getContext());
  attn::CpuPipelineOptions options;
  options.reference = reference;
  options.threads = threads;
  target->applyTo(options);
  attn::buildCpuPipeline(pm, options);
  return wrap(pm.run(op));
}

MlirLogicalResult attncEmitLibrary(MlirModule module, MlirStringRef outputPath,
                                   MlirStringRef headerPath, AttncEmitKind kind,
                                   bool threads) {
  attn::EmitLibraryOptions options;
  // Indexed by AttncEmitKind.
  static constexpr attn::EmitKind kinds[] = {
      attn::EmitKind::Shared, attn::EmitKind::Object, attn::EmitKind::LlvmIr,
      attn::EmitKind::Mlir};
  if (kind < ATTNC_EMIT_SHARED || kind > ATTNC_EMIT_MLIR) {
    emitError(unwrap(module).getLoc()) << "unknown AttncEmitKind " << kind;
    return mlirLogicalResultFailure();
  }
  options.kind = kinds[kind];
  options.threads = threads;
  options.headerPath = unwrap(headerPath).str();
  std::string error;
  FailureOr<attn::CpuTarget> target = attn::CpuTarget::host(error);
  if (failed(target)) {
    emitError(unwrap(module).getLoc()) << error;
    return mlirLogicalResultFailure();
  }
  options.target = *target;
  return wrap(attn::emitCpuLibrary(unwrap(module), unwrap(outputPath), options));
}

namespace {
/// Diagnostics collected as text, as compilers print them
/// (file:line:col: error: message), for the entry points that report into
/// a caller's buffer.
class TextDiagnostics {
public:
  explicit TextDiagnostics(MLIRContext *context)
      : stream(text), handler(context, [this](Diagnostic &diag) {
          print(diag.getLocation());
          stream << (diag.getSeverity() == DiagnosticSeverity::Error
                         ? ": error: "
                         : ": note: ")
                 << diag << "\n";
          for (Diagnostic &note : diag.getNotes()) {
            print(note.getLocation());
            stream << ": note: " << note << "\n";
          }
          return success();
        }) {}

  std::string text;
  llvm::raw_string_ostream stream;

private:
  void print(Location loc) {
    if (auto file = dyn_cast<FileLineColLoc>(loc))
      stream << file.getFilename().getValue() << ":" << file.getLine() << ":"
             << file.getColumn();
    else
      stream << loc;
  }

  ScopedDiagnosticHandler handler;
};

/// Copies `message` into the caller's buffer (truncated, NUL-terminated)
/// and returns `code`.
int report(const std::string &message, int code, char *errorBuffer,
           size_t errorBufferSize) {
  if (errorBuffer && errorBufferSize > 0) {
    size_t n = std::min(message.size(), errorBufferSize - 1);
    std::memcpy(errorBuffer, message.data(), n);
    errorBuffer[n] = '\0';
  }
  return code;
}

/// Parses `source` (named "attnc-input" in diagnostics) into `context`.
OwningOpRef<ModuleOp> parseSource(const char *source, size_t sourceLength,
                                  MLIRContext *context) {
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(StringRef(source, sourceLength),
                                           "attnc-input"),
      llvm::SMLoc());
  return attn::parseModule(sourceMgr, context);
}
} // namespace

int attncCompileSharedLibrary(const char *source, size_t sourceLength,
                              const char *outputPath, const char *headerPath,
                              bool threads, char *errorBuffer,
                              size_t errorBufferSize) {
  if (!source || !outputPath)
    return report(
        "attncCompileSharedLibrary: source and outputPath are required", 2,
        errorBuffer, errorBufferSize);
  DialectRegistry registry;
  attn::registerCompilerDialects(registry);
  MLIRContext context(registry);
  TextDiagnostics diagnostics(&context);
  auto fail = [&]() {
    return report(diagnostics.text, 1, errorBuffer, errorBufferSize);
  };
  OwningOpRef<ModuleOp> module = parseSource(source, sourceLength, &context);
  if (!module)
    return fail();
  attn::EmitLibraryOptions options;
  options.kind = attn::EmitKind::Shared;
  options.threads = threads;
  if (headerPath)
    options.headerPath = headerPath;
  std::string targetError;
  FailureOr<attn::CpuTarget> target = attn::CpuTarget::host(targetError);
  if (failed(target))
    return report(targetError, 1, errorBuffer, errorBufferSize);
  options.target = *target;
  if (failed(attn::emitCpuLibrary(*module, outputPath, options)))
    return fail();
  return report("", 0, errorBuffer, errorBufferSize);
}

int attncCompileGpuKernels(const char *source, size_t sourceLength,
                           const char *chip, const char *format,
                           const char *cudaPath, const char *outputPath,
                           const char *descriptorPath, char *errorBuffer,
                           size_t errorBufferSize) {
  if (!source || !chip || !format || !outputPath)
    return report("attncCompileGpuKernels: source, chip, format and "
                  "outputPath are required",
                  2, errorBuffer, errorBufferSize);
  attn::EmitGpuOptions options;
  std::optional<attn::GpuBinaryKind> kind =
      attn::GpuTarget::parseBinaryKind(format);
  if (!kind)
    return report("attncCompileGpuKernels: format must be ptx, cubin or "
                  "fatbin, got '" + std::string(format) + "'",
                  2, errorBuffer, errorBufferSize);
  options.kind = *kind;
  std::string error;
  FailureOr<attn::GpuTarget> target = attn::GpuTarget::lookup(
      chip, /*ptxVersion=*/0, cudaPath ? cudaPath : "", options.kind, error);
  if (failed(target))
    return report(error, 1, errorBuffer, errorBufferSize);
  options.target = *target;
  if (descriptorPath)
    options.descriptorPath = descriptorPath;
  DialectRegistry registry;
  attn::registerCompilerDialects(registry);
  MLIRContext context(registry);
  TextDiagnostics diagnostics(&context);
  OwningOpRef<ModuleOp> module = parseSource(source, sourceLength, &context);
  if (!module || failed(attn::emitGpuKernels(*module, outputPath, options)))
    return report(diagnostics.text, 1, errorBuffer, errorBufferSize);
  return report("", 0, errorBuffer, errorBufferSize);
}

/// The context, module and target machine outlive the compiled code, whose
/// signature lives in the context.
struct AttncJitFunction {
  std::unique_ptr<MLIRContext> context;
  OwningOpRef<ModuleOp> module;
  func::FuncOp func;
  std::unique_ptr<llvm::TargetMachine> host;
  std::unique_ptr<attn::JitFunction> compiled;
  std::vector<attnc::runtime::NpyArray> results;
};

int attncJitCompile(const char *source, size_t sourceLength,
                    const char *function, bool reference, unsigned numThreads,
                    AttncJitFunction **result, char *errorBuffer,
                    size_t errorBufferSize) {
  if (!source || !function || !result)
    return report("attncJitCompile: source, function and result are required",
                  2, errorBuffer, errorBufferSize);
  *result = nullptr;
  auto jit = std::make_unique<AttncJitFunction>();
  DialectRegistry registry;
  attn::registerCompilerDialects(registry);
  jit->context = std::make_unique<MLIRContext>(registry);
  TextDiagnostics diagnostics(jit->context.get());
  auto fail = [&](const std::string &message) {
    return report(diagnostics.text + message, 1, errorBuffer, errorBufferSize);
  };
  jit->module = parseSource(source, sourceLength, jit->context.get());
  if (!jit->module)
    return fail("");
  jit->func = jit->module->lookupSymbol<func::FuncOp>(function);
  if (!jit->func || jit->func.isExternal())
    return fail("no function @" + std::string(function) + " in the source");
  std::string error;
  if (failed(attn::checkStaticShapes(jit->func)))
    return fail("");
  if (!attn::hasHostArraySignature(jit->func, error))
    return fail(error);
  // The host's target, as attn-run and attnc --mcpu=native compile for.
  FailureOr<attn::CpuTarget> target = attn::CpuTarget::host(error);
  if (failed(target))
    return fail(error);
  jit->host = attn::createJitTargetMachine(*target, error);
  if (!jit->host || failed(target->prepareProcess(error)))
    return fail(error);
  attn::CpuPipelineOptions options;
  options.reference = reference;
  options.threads = numThreads > 1;
  target->applyTo(options);
  jit->compiled = attn::JitFunction::compile(*jit->module, function, options,
                                             std::max(numThreads, 1u),
                                             *jit->host, error);
  if (!jit->compiled)
    return fail(error);
  *result = jit.release();
  return report("", 0, errorBuffer, errorBufferSize);
}

size_t attncJitGetNumInputs(const AttncJitFunction *function) {
  return function ? function->compiled->getType().getNumInputs() : 0;
}

size_t attncJitGetNumResults(const AttncJitFunction *function) {
  return function ? function->compiled->getType().getNumResults() : 0;
}

int attncJitCall(AttncJitFunction *function, const AttncArray *inputs,
                 size_t numInputs, unsigned iterations, double *medianMs,
                 double *minMs, char *errorBuffer, size_t errorBufferSize) {
  auto fail = [&](const std::string &message) {
    return report(message, 1, errorBuffer, errorBufferSize);
  };
  if (!function || (numInputs > 0 && !inputs))
    return report("attncJitCall: function and inputs are required", 2,
                  errorBuffer, errorBufferSize);
  // The inputs as attn-run reads them, checked the same way.
  std::vector<attnc::runtime::NpyArray> arrays(numInputs);
  for (size_t i = 0; i < numInputs; ++i) {
    const AttncArray &in = inputs[i];
    if (!in.dtype || in.rank < 0 || (in.rank > 0 && !in.shape))
      return fail("input #" + std::to_string(i) +
                  ": dtype, rank and shape are required");
    arrays[i].descr = in.dtype;
    arrays[i].shape.assign(in.shape, in.shape + in.rank);
    if (llvm::any_of(arrays[i].shape, [](int64_t d) { return d < 0; }))
      return fail("input #" + std::to_string(i) + ": negative dimension");
    size_t bytes = arrays[i].getNumElements() *
                   attnc::runtime::getNpyItemSize(arrays[i].descr);
    if (bytes > 0 && !in.data)
      return fail("input #" + std::to_string(i) + ": no data");
    const char *data = static_cast<const char *>(in.data);
    arrays[i].data.assign(data, data + bytes);
  }
  std::string error;
  if (!attn::checkHostArguments(function->func, arrays, {}, error))
    return fail(error);
  function->results.clear();
  std::unique_ptr<attn::JitResults> results;
  if (!function->compiled->call(arrays, results, error))
    return fail(error);
  if (iterations > 0) {
    attn::CallTimes times;
    if (!function->compiled->time(arrays, iterations, results, times, error))
      return fail(error);
    if (medianMs)
      *medianMs = times.median;
    if (minMs)
      *minMs = times.min;
  }
  for (unsigned i = 0; i < results->size(); ++i)
    function->results.push_back(results->toArray(i));
  return report("", 0, errorBuffer, errorBufferSize);
}

AttncArray attncJitGetResult(const AttncJitFunction *function, size_t index) {
  if (!function || index >= function->results.size())
    return AttncArray{nullptr, 0, nullptr, nullptr};
  const attnc::runtime::NpyArray &array = function->results[index];
  return AttncArray{array.descr.c_str(),
                    static_cast<intptr_t>(array.shape.size()),
                    array.shape.data(), array.data.data()};
}

void attncJitDestroy(AttncJitFunction *function) { delete function; }
