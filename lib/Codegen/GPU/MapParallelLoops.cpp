//===- MapParallelLoops.cpp - parallel loops onto blocks and threads ------===//

#include "attnc/Codegen/GPU/Passes.h"

#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNGPUMAPPARALLELLOOPS
#include "attnc/Codegen/GPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace mlir::attn {
namespace {
/// Maps dimension d of a loop of `rank` onto `processors`, from the last
/// dimension backwards; the dimensions left over are sequential.
LogicalResult mapFromLast(scf::ParallelOp loop,
                          ArrayRef<gpu::Processor> processors) {
  MLIRContext *ctx = loop.getContext();
  unsigned rank = loop.getNumLoops();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(1, ctx);
  SmallVector<gpu::ParallelLoopDimMappingAttr> mapping;
  for (unsigned d = 0; d < rank; ++d) {
    unsigned fromLast = rank - 1 - d;
    gpu::Processor processor = fromLast < processors.size()
                                   ? processors[fromLast]
                                   : gpu::Processor::Sequential;
    mapping.push_back(
        gpu::ParallelLoopDimMappingAttr::get(ctx, processor, identity, identity));
  }
  return gpu::setMappingAttr(loop, mapping);
}

struct AttnGpuMapParallelLoops
    : public impl::AttnGpuMapParallelLoopsBase<AttnGpuMapParallelLoops> {
  using Base::Base;

  void runOnOperation() override {
    if (threadsX < 1 || threadsY < 1 || threadsX * threadsY > 1024) {
      emitError(getOperation()->getLoc())
          << "attn-gpu-map-parallel-loops: threads-x and threads-y must be "
             "positive with at most 1024 threads a block, got "
          << static_cast<int64_t>(threadsX) << " x "
          << static_cast<int64_t>(threadsY);
      return signalPassFailure();
    }
    SmallVector<scf::ParallelOp> outermost;
    getOperation()->walk([&](scf::ParallelOp loop) {
      if (!loop->getParentOfType<scf::ParallelOp>())
        outermost.push_back(loop);
    });
    for (scf::ParallelOp loop : outermost) {
      unsigned rank = loop.getNumLoops();
      SmallVector<int64_t> sizes(rank, 1);
      sizes[rank - 1] = threadsX;
      if (rank >= 2)
        sizes[rank - 2] = threadsY;
      auto [grid, block] =
          tileParallelLoop(loop, sizes, /*noMinMaxBounds=*/true);
      if (failed(mapFromLast(grid, {gpu::Processor::BlockX,
                                    gpu::Processor::BlockY,
                                    gpu::Processor::BlockZ})) ||
          failed(mapFromLast(block, {gpu::Processor::ThreadX,
                                     gpu::Processor::ThreadY}))) {
        loop.emitError("attn-gpu-map-parallel-loops: cannot map the loop");
        return signalPassFailure();
      }
      // Loops nested in a thread run sequentially.
      block.getBody()->walk([&](scf::ParallelOp inner) {
        SmallVector<gpu::Processor> none;
        (void)mapFromLast(inner, none);
      });
    }
  }
};
} // namespace
} // namespace mlir::attn
