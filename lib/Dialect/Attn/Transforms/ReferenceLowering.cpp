//===- ReferenceLowering.cpp - attn.attention to linalg, the oracle -------===//
//
// Lowers every `attn.attention` through its AggregatedOpInterface: the
// obvious linalg ops that materialise the scores, mask them, take a safe
// softmax and contract with the value (lib/Dialect/Attn/IR/
// AggregatedOpInterfaceImpl.cpp). Kept forever as the oracle against which
// the tiled lowerings are tested.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNREFERENCELOWERING
#include "attnc/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace mlir::attn {
namespace {
struct AttnReferenceLowering
    : public impl::AttnReferenceLoweringBase<AttnReferenceLowering> {
  void runOnOperation() override {
    SmallVector<AttentionOp> ops;
    getOperation()->walk([&](AttentionOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (AttentionOp op : ops) {
      rewriter.setInsertionPoint(op);
      FailureOr<SmallVector<Value>> values = op.decomposeOperation(rewriter);
      if (failed(values)) {
        op.emitOpError("attn-reference-lowering: cannot decompose this op");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, *values);
    }
  }
};
} // namespace
} // namespace mlir::attn
