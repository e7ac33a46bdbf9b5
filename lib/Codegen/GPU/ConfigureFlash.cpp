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
      // Warps per 16 rows: one per part of a value wider than 256. Rows per
      // block: no more than the packed rows fill; 16 where the queries are
      // staged in shared memory.
      int64_t valueSplit = getTensorCoreFlashValueSplit(op);
      bool staged = tensorCoreFlashStagesQueries(op);
      int64_t rowGroups =
          std::clamp<int64_t>(llvm::divideCeil(getTensorCoreFlashRows(op), 16),
                              1, std::max<int64_t>(1, warps / valueSplit));
      if (staged)
        rowGroups = 1;
      int64_t rowsPerBlock = 16 * rowGroups;
      int64_t limit =
          staged ? kGpuWideSharedMemoryBytes : kGpuStaticSharedMemoryBytes;
      int64_t tile = keyTile;
      if (tile == 0) {
        for (int64_t candidate : {64, 32, 16}) {
          tile = candidate;
          if (getTensorCoreFlashSharedMemory(op, tile, stages, rowsPerBlock) <=
              limit)
            break;
        }
      }
      int64_t bytes =
          getTensorCoreFlashSharedMemory(op, tile, stages, rowsPerBlock);
      if (bytes > limit) {
        if (remarks)
          op.emitRemark() << "portable GPU path (not the tensor-core kernel): "
                          << stages << " stages of " << tile
                          << "-key tiles need " << bytes
                          << " bytes of shared memory, more than " << limit;
        return WalkResult::advance();
      }
      // Too few blocks for the GPU (a decode step): the keys are split
      // among more, each split keeping at least 4 key tiles.
      int64_t splits = kvSplits;
      if (splits == 0) {
        int64_t blocks = getTensorCoreFlashBlocks(op, rowsPerBlock);
        AttentionDims dims = op.getAttentionDims();
        int64_t keyTiles = llvm::divideCeil(dims.extents[dims.keyPosDim], tile);
        splits = std::clamp<int64_t>(llvm::divideCeil(targetBlocks, blocks), 1,
                                     std::max<int64_t>(1, keyTiles / 4));
      }
      auto config = codegen::GpuFlashConfigAttr::getChecked(
          [&] { return op.emitOpError("attn-gpu-configure-flash: "); },
          op.getContext(), rowGroups * valueSplit, valueSplit, tile,
          static_cast<int64_t>(stages), splits);
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
