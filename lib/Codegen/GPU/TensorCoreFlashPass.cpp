//===- TensorCoreFlashPass.cpp - attention to tensor-core kernels ---------===//
//
// Replaces each attn.attention configured by attn-gpu-configure-flash by a
// launch of the in-block FlashAttention kernel (TensorCoreFlash.cpp).
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/GPU/Passes.h"
#include "attnc/Codegen/GPU/TensorCoreFlash.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNGPUTENSORCOREFLASH
#include "attnc/Codegen/GPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
struct GpuTensorCoreFlashPass
    : attn::impl::AttnGpuTensorCoreFlashBase<GpuTensorCoreFlashPass> {
  void runOnOperation() override {
    SmallVector<std::pair<AttentionOp, codegen::GpuFlashConfigAttr>> ops;
    getOperation().walk([&](AttentionOp op) {
      if (auto config = op->getAttrOfType<codegen::GpuFlashConfigAttr>(
              codegen::kLoweringConfigAttrName))
        ops.push_back({op, config});
    });
    IRRewriter rewriter(&getContext());
    for (auto [op, config] : ops)
      if (failed(buildTensorCoreFlashKernel(rewriter, op, config)))
        return signalPassFailure();
  }
};
} // namespace
