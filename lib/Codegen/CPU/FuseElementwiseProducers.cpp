//===- FuseElementwiseProducers.cpp - elementwise producers into consumers ===//

#include "attnc/Codegen/CPU/LinalgCopies.h"
#include "attnc/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNFUSEELEMENTWISEPRODUCERS
#include "attnc/Codegen/CPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// The output rows of a contraction: its output's elements over its
/// innermost dimension.
int64_t getOutputRows(linalg::LinalgOp op) {
  auto type = cast<RankedTensorType>(op->getResult(0).getType());
  if (!type.hasStaticShape() || type.getRank() == 0)
    return 1;
  return type.getNumElements() / type.getShape().back();
}

struct FuseElementwiseProducersPass
    : attn::impl::AttnFuseElementwiseProducersBase<
          FuseElementwiseProducersPass> {
  using AttnFuseElementwiseProducersBase::AttnFuseElementwiseProducersBase;

  void runOnOperation() override {
    int64_t maxRows = maxRowsReadingInPlace;
    linalg::ControlFusionFn control = [maxRows](OpOperand *fused) {
      Operation *producer = fused->get().getDefiningOp();
      if (!producer || !producer->hasOneUse())
        return false;
      auto copy = dyn_cast<linalg::GenericOp>(producer);
      auto consumer = dyn_cast<linalg::LinalgOp>(fused->getOwner());
      if (copy && consumer && attn::isPermutationCopy(copy) &&
          consumer.getNumReductionLoops() > 0 &&
          getOutputRows(consumer) > maxRows)
        return false;
      return true;
    };
    RewritePatternSet patterns(&getContext());
    linalg::populateElementwiseOpsFusionPatterns(patterns, control);
    linalg::GenericOp::getCanonicalizationPatterns(patterns, &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
