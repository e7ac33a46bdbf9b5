//===- ParallelizeOuterOps.cpp - parallel chunks of ops outside tile loops -===//
//
// With threads, only `scf.forall` loops run in parallel. The attention's tile
// loops are such loops, but the linalg ops around them (MLA's absorption of
// the queries into the latent space and up-projection of the output: 8.4M
// multiply-adds each over a 16 MiB weight) ran on one thread. This pass
// tiles each large one into an `scf.forall` of a few chunks along a parallel
// dimension, with upstream SCF tiling; attn-vectorize-tiles then sees the
// chunk ops as it saw the whole ones.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/TilingInterface.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNPARALLELIZEOUTEROPS
#include "attnc/Codegen/CPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

/// The tile sizes that split `op` into `chunks` equal parallel tiles along
/// its outermost parallel dimension that `chunks` divides (0: untiled), or
/// none. Equal tiles keep every chunk statically shaped for the vectorizer.
static std::optional<SmallVector<int64_t>>
chooseChunkTileSizes(linalg::LinalgOp op, int64_t chunks) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (auto [dim, range] : llvm::enumerate(ranges)) {
    if (iterators[dim] != utils::IteratorType::parallel ||
        ShapedType::isDynamic(range) || range < chunks || range % chunks != 0)
      continue;
    SmallVector<int64_t> sizes(ranges.size(), 0);
    sizes[dim] = range / chunks;
    return sizes;
  }
  return std::nullopt;
}

namespace {
struct AttnParallelizeOuterOps
    : public mlir::attn::impl::AttnParallelizeOuterOpsBase<
          AttnParallelizeOuterOps> {
  using Base::Base;

  void runOnOperation() override {
    if (chunks < 1 || minIterations < 1) {
      emitError(getOperation()->getLoc())
          << "attn-parallelize-outer-ops: chunks and min-iterations must be "
             "positive, got chunks="
          << static_cast<int64_t>(chunks)
          << " min-iterations=" << static_cast<int64_t>(minIterations);
      return signalPassFailure();
    }
    if (chunks == 1)
      return;
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (!op.hasPureTensorSemantics() || op.hasDynamicShape() ||
          op->getParentOfType<LoopLikeOpInterface>() ||
          !isa<TilingInterface>(op.getOperation()))
        return;
      uint64_t iterations = 1;
      for (int64_t range : op.getStaticLoopRanges())
        iterations =
            llvm::SaturatingMultiply(iterations, static_cast<uint64_t>(range));
      if (iterations >= static_cast<uint64_t>(minIterations))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::LinalgOp op : ops) {
      std::optional<SmallVector<int64_t>> sizes =
          chooseChunkTileSizes(op, chunks);
      if (!sizes)
        continue;
      scf::SCFTilingOptions options;
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      options.setTileSizes(getAsIndexOpFoldResult(&getContext(), *sizes));
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled)) {
        op->emitError("attn-parallelize-outer-ops: tiling failed");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, tiled->replacements);
    }
  }
};
} // namespace
