//===- DecomposeAggregates.cpp - linalg.softmax and friends to generics --===//
//
// Model IR that keeps non-attention work in aggregate linalg ops
// (linalg.softmax: a softmax that attn-raise-attention did not take, or
// one that is not part of attention) is decomposed through the ops' own
// AggregatedOpInterface into the generics the rest of the CPU pipeline
// compiles.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/AttnDialect.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNDECOMPOSEAGGREGATES
#include "attnc/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace mlir::attn {
namespace {
struct AttnDecomposeAggregates
    : public impl::AttnDecomposeAggregatesBase<AttnDecomposeAggregates> {
  void runOnOperation() override {
    // attn.attention is an aggregate too, but its decomposition is the
    // reference lowering: it is left to the flash or reference lowering.
    SmallVector<linalg::AggregatedOpInterface> aggregates;
    getOperation()->walk([&](linalg::AggregatedOpInterface op) {
      if (!isa<AttnDialect>(op->getDialect()))
        aggregates.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::AggregatedOpInterface op : aggregates) {
      rewriter.setInsertionPoint(op);
      FailureOr<SmallVector<Value>> values = op.decomposeOperation(rewriter);
      if (failed(values)) {
        op->emitError("attn-decompose-aggregates: cannot decompose this op");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, *values);
    }
  }
};
} // namespace
} // namespace mlir::attn
