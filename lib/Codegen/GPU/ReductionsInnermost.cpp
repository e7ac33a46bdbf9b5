//===- ReductionsInnermost.cpp - parallel loops of linalg ops first -------===//

#include "attnc/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNGPUREDUCTIONSINNERMOST
#include "attnc/Codegen/GPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace mlir::attn {
namespace {
struct AttnGpuReductionsInnermost
    : public impl::AttnGpuReductionsInnermostBase<AttnGpuReductionsInnermost> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> generics;
    getOperation()->walk([&](linalg::GenericOp op) { generics.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : generics) {
      // interchangeVector[i]: the old loop that becomes loop i.
      SmallVector<unsigned> parallel, reductions;
      for (auto [i, type] : llvm::enumerate(op.getIteratorTypesArray()))
        (type == utils::IteratorType::parallel ? parallel : reductions)
            .push_back(i);
      SmallVector<unsigned> order(parallel);
      llvm::append_range(order, reductions);
      if (llvm::equal(order, llvm::seq<unsigned>(0, order.size())))
        continue;
      rewriter.setInsertionPoint(op);
      if (failed(linalg::interchangeGenericOp(rewriter, op, order))) {
        op.emitError("attn-gpu-reductions-innermost: cannot interchange");
        return signalPassFailure();
      }
    }
  }
};
} // namespace
} // namespace mlir::attn
