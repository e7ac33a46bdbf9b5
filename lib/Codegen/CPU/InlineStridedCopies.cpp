//===- InlineStridedCopies.cpp - strided memref.copy as vectorizable loops -===//
//
// The LLVM lowering of memref.copy emits a memcpy where both sides are
// contiguous, and otherwise a call of the runtime's memrefCopy, which walks
// the memref descriptors and copies element by element. Bufferization
// leaves such copies where a tensor is inserted into a slice of a larger
// one: a decode step's KV cache concatenated with the new token copies the
// whole cache into a strided slice that way. As linalg.copy they become
// loops (convert-linalg-to-loops) that LLVM vectorizes.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/Passes.h"

#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNINLINESTRIDEDCOPIES
#include "attnc/Codegen/CPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
struct InlineStridedCopiesPass
    : attn::impl::AttnInlineStridedCopiesBase<InlineStridedCopiesPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<memref::CopyOp> copies;
    getOperation()->walk([&](memref::CopyOp copy) {
      auto source = dyn_cast<MemRefType>(copy.getSource().getType());
      auto target = dyn_cast<MemRefType>(copy.getTarget().getType());
      if (!source || !target || !source.hasStaticShape() ||
          !target.hasStaticShape())
        return;
      if (!contiguous && memref::isStaticShapeAndContiguousRowMajor(source) &&
          memref::isStaticShapeAndContiguousRowMajor(target))
        return;
      copies.push_back(copy);
    });
    IRRewriter rewriter(&getContext());
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                  copy.getTarget());
    }
  }
};
} // namespace
