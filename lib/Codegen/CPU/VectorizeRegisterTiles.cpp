//===- VectorizeRegisterTiles.cpp - vectorize register tiles --------------===//
//
// The register tiles that attn-tile-register-blocks made are statically
// shaped linalg ops; each becomes vector IR through upstream's
// linalg::vectorize. The reductions of tiles marked as reducing along rows
// are marked in turn for attn-lower-row-reductions.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNVECTORIZEREGISTERTILES
#include "attnc/Codegen/CPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace mlir::attn {
namespace {
struct AttnVectorizeRegisterTiles
    : public impl::AttnVectorizeRegisterTilesBase<AttnVectorizeRegisterTiles> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    SmallVector<linalg::LinalgOp> tiles;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && op.getNumDpsInits() == 1 &&
          !op.hasDynamicShape() && op.getNumLoops() > 0 &&
          !op->hasAttr(codegen::kAmxTileAttrName))
        tiles.push_back(op);
    });
    IRRewriter rewriter(ctx);
    for (linalg::LinalgOp tile : tiles) {
      // Tiling offsets linalg.index with affine.apply, which the vectorizer
      // does not take (the gate's gather by token id): make it arith.
      SmallVector<Operation *> applies;
      tile->walk([&](affine::AffineApplyOp apply) { applies.push_back(apply); });
      if (!applies.empty()) {
        RewritePatternSet affinePatterns(ctx);
        populateAffineToStdConversionPatterns(affinePatterns);
        (void)applyOpPatternsGreedily(applies, std::move(affinePatterns));
      }
      bool reducesAlongRows = tile->hasAttr(codegen::kRowReductionAttrName);
      rewriter.setInsertionPoint(tile);
      FailureOr<linalg::VectorizationResult> vectorized =
          linalg::vectorize(rewriter, tile, /*inputVectorSizes=*/{},
                            /*inputScalableVecDims=*/{},
                            /*vectorizeNDExtract=*/true);
      if (failed(vectorized)) {
        // Left scalar; later lowering handles it.
        tile->removeAttr(codegen::kRowReductionAttrName);
        continue;
      }
      rewriter.replaceOp(tile, vectorized->replacements);
      if (reducesAlongRows)
        for (Value v : vectorized->replacements)
          if (Operation *def = v.getDefiningOp())
            def->getParentRegion()->walk([&](vector::MultiDimReductionOp r) {
              r->setAttr(codegen::kRowReductionAttrName, UnitAttr::get(ctx));
            });
    }
  }
};
} // namespace
} // namespace mlir::attn
