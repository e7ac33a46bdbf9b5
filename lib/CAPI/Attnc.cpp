//===- Attnc.cpp - C API of the attnc attention compiler ------------------===//

#include "attnc-c/Attnc.h"

#include "attnc/Codegen/CPU/Passes.h"
#include "attnc/Dialect/Attn/IR/AttnDialect.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"
#include "attnc/Target/CPU/EmitLibrary.h"
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

int attncCompileSharedLibrary(const char *source, size_t sourceLength,
                              const char *outputPath, const char *headerPath,
                              bool threads, char *errorBuffer,
                              size_t errorBufferSize) {
  std::string errors;
  auto report = [&](int code) {
    if (errorBuffer && errorBufferSize > 0) {
      size_t n = std::min(errors.size(), errorBufferSize - 1);
      std::memcpy(errorBuffer, errors.data(), n);
      errorBuffer[n] = '\0';
    }
    return code;
  };
  if (!source || !outputPath) {
    errors = "attncCompileSharedLibrary: source and outputPath are required";
    return report(2);
  }
  DialectRegistry registry;
  attn::registerCompilerDialects(registry);
  MLIRContext context(registry);
  llvm::raw_string_ostream errorStream(errors);
  // Diagnostics as compilers print them: file:line:col: error: message.
  auto printLocation = [&](Location loc) {
    if (auto file = dyn_cast<FileLineColLoc>(loc))
      errorStream << file.getFilename().getValue() << ":" << file.getLine()
                  << ":" << file.getColumn();
    else
      errorStream << loc;
  };
  ScopedDiagnosticHandler collect(&context, [&](Diagnostic &diag) {
    printLocation(diag.getLocation());
    errorStream << (diag.getSeverity() == DiagnosticSeverity::Error ? ": error: "
                                                                    : ": note: ")
                << diag << "\n";
    for (Diagnostic &note : diag.getNotes()) {
      printLocation(note.getLocation());
      errorStream << ": note: " << note << "\n";
    }
    return success();
  });
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(StringRef(source, sourceLength),
                                           "attnc-input"),
      llvm::SMLoc());
  OwningOpRef<ModuleOp> module = attn::parseModule(sourceMgr, &context);
  if (!module)
    return report(1);
  attn::EmitLibraryOptions options;
  options.kind = attn::EmitKind::Shared;
  options.threads = threads;
  if (headerPath)
    options.headerPath = headerPath;
  std::string targetError;
  FailureOr<attn::CpuTarget> target = attn::CpuTarget::host(targetError);
  if (failed(target)) {
    errors = targetError;
    return report(1);
  }
  options.target = *target;
  if (failed(attn::emitCpuLibrary(*module, outputPath, options)))
    return report(1);
  return report(0);
}
