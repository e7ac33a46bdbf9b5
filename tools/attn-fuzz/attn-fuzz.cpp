//===- attn-fuzz.cpp - libFuzzer target over parse, verify, pipelines -----===//
//
// Each input is MLIR text. It is parsed and verified; a module that verifies
// and holds only ops attnc takes as input (func, arith, math, tensor, linalg,
// scf, attn) goes through attn-cpu-pipeline, tiled and reference, and through
// attn-opt's variant lowerings on their own. Diagnostics are expected and
// swallowed: the fuzzer looks for crashes, sanitizer reports and hangs.
//
// Usage: utils/fuzz.sh (builds build-fuzz, seeds the corpus from the tests).
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/AttnDialect.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"
#include "attnc/Pipelines/InputGuard.h"
#include "attnc/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdint>

using namespace mlir;

/// The pipelines unroll small vectors fully and allocate whole tensors: a
/// fuzzer-made tensor<99999999x...> would measure memory, not find bugs.
static constexpr int64_t kMaxElements = int64_t(1) << 22;

static bool isPipelineInput(ModuleOp module) {
  bool ok = true;
  module.walk([&](Operation *op) {
    StringRef ns = op->getDialect() ? op->getDialect()->getNamespace() : "";
    if (!isa<ModuleOp>(op) &&
        !llvm::is_contained({"func", "arith", "math", "tensor", "linalg",
                             "scf", "attn"},
                            ns))
      ok = false;
    for (Type type : op->getResultTypes())
      if (auto shaped = dyn_cast<ShapedType>(type))
        if (!shaped.hasStaticShape() || shaped.getNumElements() > kMaxElements)
          ok = false;
    for (Region &region : op->getRegions())
      for (Block &block : region)
        for (BlockArgument arg : block.getArguments())
          if (auto shaped = dyn_cast<ShapedType>(arg.getType()))
            if (!shaped.hasStaticShape() ||
                shaped.getNumElements() > kMaxElements)
              ok = false;
    return ok ? WalkResult::advance() : WalkResult::interrupt();
  });
  return ok;
}

static const DialectRegistry &getRegistry() {
  static DialectRegistry *registry = [] {
    auto *r = new DialectRegistry();
    attn::registerCompilerDialects(*r);
    return r;
  }();
  return *registry;
}

/// Runs `build`'s passes on a clone of `module`; failures are expected.
template <typename BuildFn>
static void runOnClone(MLIRContext &context, ModuleOp module, BuildFn build) {
  OwningOpRef<ModuleOp> clone(module.clone());
  PassManager pm(&context);
  build(pm);
  (void)pm.run(*clone);
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  MLIRContext context(getRegistry(), MLIRContext::Threading::DISABLED);
  context.allowUnregisteredDialects(false);
  ScopedDiagnosticHandler swallow(&context, [](Diagnostic &) { return success(); });

  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          StringRef(reinterpret_cast<const char *>(data), size), "fuzz-input"),
      llvm::SMLoc());
  // Like the tools, inputs that crash MLIR 22's own parsers are rejected
  // before parsing (docs/hardening.md).
  OwningOpRef<ModuleOp> module = attn::parseModule(sourceMgr, &context);
  if (!module || failed(verify(*module)) || !isPipelineInput(*module))
    return 0;

  runOnClone(context, *module, [](OpPassManager &pm) {
    pm.addPass(attn::createAttnLowerEmbeddingGate());
    pm.addPass(attn::createAttnLowerLatentAttention());
    pm.addPass(attn::createAttnLowerGroupedHeadAttention());
    pm.addPass(attn::createAttnFlashLowering());
    pm.addPass(attn::createAttnFuseTileProducers());
    pm.addPass(attn::createAttnVectorizeTiles());
  });
  runOnClone(context, *module, [](OpPassManager &pm) {
    attn::CpuPipelineOptions options;
    attn::buildCpuPipeline(pm, options);
  });
  runOnClone(context, *module, [](OpPassManager &pm) {
    attn::CpuPipelineOptions options;
    options.reference = true;
    attn::buildCpuPipeline(pm, options);
  });
  return 0;
}
