//===- attn-fuzz.cpp - libFuzzer target over parse, verify, pipelines -----===//
//
// Each input is MLIR text. It is parsed and verified; a module that verifies
// and holds only ops attnc takes as input (func, arith, math, tensor, linalg,
// scf, attn) goes through attn-cpu-pipeline, tiled and reference, and through
// attn-opt's variant lowerings on their own. Diagnostics are expected and
// swallowed: the fuzzer looks for crashes, sanitizer reports and hangs.
//
// With --numeric, each function of a small enough module whose results are
// defined for every input is also compiled both ways, JIT-compiled and run on
// the same random inputs (attn-run --differential): a disagreement, or a
// function that only the reference lowering compiles, aborts with a report,
// so that libFuzzer saves the input as a finding.
//
// Usage: utils/fuzz.sh (builds build-fuzz, seeds the corpus from the tests).
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/Passes.h"
#include "attnc/Dialect/Attn/IR/AttnDialect.h"
#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"
#include "attnc/Pipelines/InputGuard.h"
#include "attnc/Pipelines/Pipelines.h"
#include "attnc/Target/CPU/Differential.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/Hashing.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

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

/// --numeric: run what compiles both ways and compare the numbers.
static bool numericMode = false;
/// What the numeric mode compared: inputs with a function it ran both ways,
/// and those functions.
static uint64_t numericInputs = 0, numericFunctions = 0;

static void printNumericCounts() {
  llvm::errs() << "attn-fuzz: numeric mode compared " << numericFunctions
               << " functions of " << numericInputs << " inputs\n";
}

extern "C" int LLVMFuzzerInitialize(int *argc, char ***argv) {
  // libFuzzer ignores flags that start with "--": they are the target's.
  for (int i = 1; i < *argc; ++i)
    if (std::strcmp((*argv)[i], "--numeric") == 0)
      numericMode = true;
  if (numericMode)
    std::atexit(printNumericCounts);
  return 0;
}

/// Modules the numeric mode runs: small, and with every result defined for
/// every input. Integer division and remainder (by zero), shifts (by the
/// bit width or more), float-to-integer conversions (out of range) give
/// poison, and indices that are not constants may leave their tensor: the
/// two pipelines may then legitimately differ, or crash.
static constexpr int64_t kMaxNumericPoints = int64_t(1) << 24;
static constexpr int64_t kMaxNumericElements = int64_t(1) << 16;

static bool isRunnable(ModuleOp module) {
  auto tooBig = [](Type type) {
    auto shaped = dyn_cast<ShapedType>(type);
    return shaped && shaped.getNumElements() > kMaxNumericElements;
  };
  auto constantIndices = [](ValueRange indices) {
    return llvm::all_of(indices,
                        [](Value v) { return matchPattern(v, m_Constant()); });
  };
  WalkResult walk = module.walk([&](Operation *op) {
    if (isa<arith::DivSIOp, arith::DivUIOp, arith::RemSIOp, arith::RemUIOp,
            arith::CeilDivSIOp, arith::CeilDivUIOp, arith::FloorDivSIOp,
            arith::ShLIOp, arith::ShRSIOp, arith::ShRUIOp, arith::FPToSIOp,
            arith::FPToUIOp, math::IPowIOp>(op))
      return WalkResult::interrupt();
    if (auto extract = dyn_cast<tensor::ExtractOp>(op);
        extract && !constantIndices(extract.getIndices()))
      return WalkResult::interrupt();
    if (auto insert = dyn_cast<tensor::InsertOp>(op);
        insert && !constantIndices(insert.getIndices()))
      return WalkResult::interrupt();
    if (auto slice = dyn_cast<OffsetSizeAndStrideOpInterface>(op);
        slice && (!slice.getOffsets().empty() || !slice.getSizes().empty() ||
                  !slice.getStrides().empty()))
      return WalkResult::interrupt();
    // Token ids that are computed rather than passed in may leave the table.
    if (auto gate = dyn_cast<attn::EmbeddingGateOp>(op);
        gate && !isa<BlockArgument>(gate.getIds()))
      return WalkResult::interrupt();
    if (llvm::any_of(op->getResultTypes(), tooBig))
      return WalkResult::interrupt();
    if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
      int64_t points = 1;
      for (int64_t range : linalgOp.getStaticLoopRanges()) {
        points = ShapedType::isDynamic(range) ? kMaxNumericPoints + 1
                                              : points * std::max<int64_t>(range, 1);
        if (points > kMaxNumericPoints)
          return WalkResult::interrupt();
      }
    }
    // Attention's points: every query against every key, along both head
    // dims; the product of its query and key sizes bounds them.
    if (isa<attn::AttnDialect>(op->getDialect())) {
      int64_t points = 1;
      for (Value operand : op->getOperands().take_front(2))
        if (auto shaped = dyn_cast<ShapedType>(operand.getType()))
          points *= std::max<int64_t>(shaped.getNumElements(), 1);
      if (points > kMaxNumericPoints)
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return !walk.wasInterrupted();
}

static const attn::CpuTarget &getHostTarget() {
  static attn::CpuTarget target = [] {
    std::string error;
    FailureOr<attn::CpuTarget> host = attn::CpuTarget::host(error);
    // On an AMX host the fuzzed kernels run tile instructions.
    if (failed(host) || failed(host->prepareProcess(error))) {
      llvm::errs() << "attn-fuzz: " << error << "\n";
      std::abort();
    }
    return *host;
  }();
  return target;
}

static llvm::TargetMachine &getHost() {
  static std::unique_ptr<llvm::TargetMachine> host = [] {
    std::string error;
    std::unique_ptr<llvm::TargetMachine> machine =
        attn::createJitTargetMachine(getHostTarget(), error);
    if (!machine) {
      llvm::errs() << "attn-fuzz: " << error << "\n";
      std::abort();
    }
    return machine;
  }();
  return *host;
}

/// Runs every function of `module` both ways on random inputs drawn from
/// `seed`; aborts with a report on a disagreement.
static void compareNumbers(ModuleOp module, uint64_t seed) {
  attn::CpuPipelineOptions options;
  getHostTarget().applyTo(options);
  SmallVector<func::FuncOp> funcs;
  module.walk([&](func::FuncOp func) {
    std::string error;
    if (!func.isExternal() && func.isPublic() &&
        attn::hasHostArraySignature(func, error))
      funcs.push_back(func);
  });
  bool compared = false;
  for (func::FuncOp func : funcs) {
    std::string name = func.getName().str();
    std::vector<attnc::runtime::NpyArray> inputs =
        attn::makeRandomInputs(func, seed);
    attn::DifferentialOutcome outcome = attn::runDifferential(
        module, name, inputs, options, /*numThreads=*/1, getHost());
    using Status = attn::DifferentialOutcome::Status;
    if (outcome.status == Status::OracleRejected)
      continue;
    if (!compared)
      ++numericInputs;
    compared = true;
    ++numericFunctions;
    if (outcome.status == Status::Agree)
      continue;
    llvm::errs() << "attn-fuzz: numeric finding in @" << name << " (seed "
                 << seed << "): ";
    if (outcome.status == Status::OptimizedRejected)
      llvm::errs() << "the reference lowering compiles and runs it, the tiled "
                      "pipeline does not: "
                   << outcome.error << "\n";
    for (auto [i, result] : llvm::enumerate(outcome.results))
      if (!result.agree)
        llvm::errs() << "result #" << i << " differs by "
                     << result.maxRelativeDifference << " (tolerance "
                     << outcome.tolerance << "): " << result.mismatch << "\n";
    std::abort();
  }
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
    pm.addNestedPass<func::FuncOp>(attn::createAttnLowerEmbeddingGate());
    pm.addNestedPass<func::FuncOp>(attn::createAttnLowerLatentAttention());
    pm.addNestedPass<func::FuncOp>(attn::createAttnLowerGroupedHeadAttention());
    pm.addNestedPass<func::FuncOp>(attn::createAttnFlashLowering());
    pm.addNestedPass<func::FuncOp>(attn::createAttnFuseTileProducers());
    attn::buildVectorizeTilesPipeline(pm.nest<func::FuncOp>(),
                                      attn::VectorizeTilesOptions());
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
  if (numericMode && isRunnable(*module))
    compareNumbers(*module, llvm::hash_value(StringRef(
                                reinterpret_cast<const char *>(data), size)));
  return 0;
}
