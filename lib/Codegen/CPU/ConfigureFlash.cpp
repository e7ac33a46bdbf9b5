//===- ConfigureFlash.cpp - the CPU's choices for the flash lowering ------===//
//
// Sets each attn.attention's lowering_config to the CPU target's choices
// (attn-cpu-pipeline's options, from the CpuTarget): tile sizes, split-KV,
// the row threshold of outer-product score blocks, bf16 products, prefetch
// marks, AMX tiles. attn-flash-lowering reads them and makes no choice of
// its own.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/Passes.h"
#include "attnc/Codegen/IR/CodegenDialect.h"
#include "attnc/Dialect/Attn/IR/AttnOps.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCPUCONFIGUREFLASH
#include "attnc/Codegen/CPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
struct CpuConfigureFlashPass
    : attn::impl::AttnCpuConfigureFlashBase<CpuConfigureFlashPass> {
  using Base::Base;

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    auto config = attn::codegen::FlashConfigAttr::getChecked(
        [&] { return emitError(func.getLoc()) << "attn-cpu-configure-flash: "; },
        &getContext(), static_cast<int64_t>(queryTile),
        static_cast<int64_t>(keyTile), static_cast<int64_t>(kvSplits),
        static_cast<int64_t>(minOuterProductRows), static_cast<bool>(bf16Dot),
        bf16Dot && bf16Probabilities, static_cast<bool>(prefetch),
        bf16Dot && bf16Probabilities && amx);
    if (!config)
      return signalPassFailure();
    // A configuration already set (by hand, or by an earlier pass) stays.
    func.walk([&](attn::AttentionOp op) {
      if (!op->hasAttr(attn::codegen::kLoweringConfigAttrName))
        op->setAttr(attn::codegen::kLoweringConfigAttrName, config);
    });
  }
};
} // namespace
