//===- ConfigureFlash.cpp - the GPU's choices for the tensor-core kernel --===//
//
// Sets the lowering_config of each attn.attention that the tensor-core
// FlashAttention kernel computes: warps per block and the key tile that
// fits shared memory. Ops the kernel does not take stay unconfigured and
// take the portable path; a remark says why.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/GPU/Passes.h"
#include "attnc/Codegen/GPU/TensorCoreFlash.h"

#include <algorithm>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNGPUCONFIGUREFLASH
#include "attnc/Codegen/GPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {
struct GpuConfigureFlashPass
    : attn::impl::AttnGpuConfigureFlashBase<GpuConfigureFlashPass> {
  using Base::Base;

  void runOnOperation() override {
    WalkResult walk = getOperation().walk([&](AttentionOp op) {
      // A configuration already set (by hand, or by an earlier pass) stays.
      if (op->hasAttr(codegen::kLoweringConfigAttrName))
        return WalkResult::advance();
      std::string reason;
      if (failed(checkTensorCoreFlash(op, reason))) {
        if (remarks)
          op.emitRemark() << "portable GPU path (not the tensor-core kernel): "
                        << reason;
        return WalkResult::advance();
      }
      int64_t tile = keyTile;
      if (tile == 0) {
        for (int64_t candidate : {64, 32, 16}) {
          tile = candidate;
          if (getTensorCoreFlashSharedMemory(op, tile, stages) <=
              kGpuStaticSharedMemoryBytes)
            break;
        }
      }
      int64_t bytes = getTensorCoreFlashSharedMemory(op, tile, stages);
      if (bytes > kGpuStaticSharedMemoryBytes) {
        if (remarks)
          op.emitRemark() << "portable GPU path (not the tensor-core kernel): "
                        << stages << " stages of " << tile
                        << "-key tiles need " << bytes
                        << " bytes of shared memory, more than "
                        << kGpuStaticSharedMemoryBytes;
        return WalkResult::advance();
      }
      // No more warps than the packed rows fill.
      int64_t rowWarps = llvm::divideCeil(getTensorCoreFlashRows(op), 16);
      int64_t blockWarps = std::max<int64_t>(1, std::min<int64_t>(warps, rowWarps));
      // Too few blocks for the GPU (a decode step): the keys are split
      // among more, each split keeping at least 4 key tiles.
      int64_t splits = kvSplits;
      if (splits == 0) {
        int64_t blocks = getTensorCoreFlashBlocks(op, blockWarps);
        AttentionDims dims = op.getAttentionDims();
        int64_t keyTiles = llvm::divideCeil(dims.extents[dims.keyPosDim], tile);
        splits = std::clamp<int64_t>(llvm::divideCeil(targetBlocks, blocks), 1,
                                     std::max<int64_t>(1, keyTiles / 4));
      }
      auto config = codegen::GpuFlashConfigAttr::getChecked(
          [&] { return op.emitOpError("attn-gpu-configure-flash: "); },
          op.getContext(), blockWarps, tile, static_cast<int64_t>(stages),
          splits);
      if (!config)
        return WalkResult::interrupt();
      op->setAttr(codegen::kLoweringConfigAttrName, config);
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
