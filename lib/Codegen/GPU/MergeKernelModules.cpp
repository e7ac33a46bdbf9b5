//===- MergeKernelModules.cpp - one gpu.module for all kernels ------------===//

#include "attnc/Codegen/GPU/Passes.h"

#include "mlir/IR/SymbolTable.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNGPUMERGEKERNELMODULES
#include "attnc/Codegen/GPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace mlir::attn {
namespace {
constexpr llvm::StringLiteral kMergedModuleName = "attn_kernels";

/// Whether `module` holds kernels only (what gpu-kernel-outlining makes).
bool holdsKernelsOnly(gpu::GPUModuleOp module) {
  return llvm::all_of(module.getBody()->without_terminator(),
                      [](Operation &op) {
                        auto func = dyn_cast<gpu::GPUFuncOp>(op);
                        return func && func.isKernel();
                      });
}

struct AttnGpuMergeKernelModules
    : public impl::AttnGpuMergeKernelModulesBase<AttnGpuMergeKernelModules> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<gpu::GPUModuleOp> sources;
    for (auto gpuModule : module.getOps<gpu::GPUModuleOp>())
      if (holdsKernelsOnly(gpuModule) && !gpuModule.getBody()->empty())
        sources.push_back(gpuModule);
    if (sources.empty())
      return;
    if (module.lookupSymbol(kMergedModuleName)) {
      module.emitError("attn-gpu-merge-kernel-modules: the module already "
                       "has a symbol @")
          << kMergedModuleName;
      return signalPassFailure();
    }
    // Targets carry over where every source agrees on them.
    ArrayAttr targets = sources.front().getTargetsAttr();
    for (gpu::GPUModuleOp source : sources)
      if (source.getTargetsAttr() != targets)
        targets = nullptr;
    OpBuilder builder(sources.front());
    auto merged = gpu::GPUModuleOp::create(builder, sources.front().getLoc(),
                                           kMergedModuleName, targets);
    SymbolTable mergedSymbols(merged);
    // Old (module, kernel) -> new kernel name.
    DenseMap<std::pair<StringAttr, StringAttr>, StringAttr> renamed;
    for (gpu::GPUModuleOp source : sources) {
      SmallVector<gpu::GPUFuncOp> kernels(source.getOps<gpu::GPUFuncOp>());
      for (gpu::GPUFuncOp kernel : kernels) {
        StringAttr oldName = kernel.getNameAttr();
        // One kernel per outlined module: it takes the module's name.
        StringAttr newName = kernels.size() == 1
                                 ? source.getNameAttr()
                                 : builder.getStringAttr(source.getName() + "_" +
                                                         kernel.getName());
        kernel->moveBefore(merged.getBody(), merged.getBody()->end());
        kernel.setName(newName);
        // Insert renames on a clash and returns the name it took.
        renamed[{source.getNameAttr(), oldName}] =
            mergedSymbols.insert(kernel);
      }
    }
    WalkResult walk = module.walk([&](gpu::LaunchFuncOp launch) {
      auto it = renamed.find({launch.getKernelModuleName(),
                              launch.getKernelName()});
      if (it == renamed.end())
        return WalkResult::advance();
      launch.setKernelAttr(SymbolRefAttr::get(
          builder.getStringAttr(kMergedModuleName),
          {FlatSymbolRefAttr::get(it->second)}));
      return WalkResult::advance();
    });
    (void)walk;
    for (gpu::GPUModuleOp source : sources)
      source.erase();
  }
};
} // namespace
} // namespace mlir::attn
