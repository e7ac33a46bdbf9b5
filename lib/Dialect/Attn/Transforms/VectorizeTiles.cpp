//===- VectorizeTiles.cpp - register tiling and vectorization -------------===//
//
// The tile-level linalg ops of the flash lowering have small static shapes.
// Contractions are tiled to register blocks (rows x lanes outputs, one
// reduction step at a time) and everything else to whole rows, then each tile
// is vectorized by linalg::vectorize. Math on vectors is approximated by
// polynomials so that it stays vectorized.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNVECTORIZETILES
#include "attnc/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

/// A two-input reduction whose reduction loops are the innermost dimension of
/// every input that walks them: a dot product along contiguous rows (decode
/// scores), or a row reduction against a broadcast operand (the sum of
/// squares of a norm, x - mean with the mean constant along the row).
static bool isDotContraction(linalg::LinalgOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumReductionLoops() == 0)
    return false;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  bool anyAlongRow = false;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    bool walksReduction = llvm::any_of(map.getResults(), [&](AffineExpr e) {
      auto dim = dyn_cast<AffineDimExpr>(e);
      return dim && iterators[dim.getPosition()] == utils::IteratorType::reduction;
    });
    if (!walksReduction)
      continue;
    auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
    if (!last || iterators[last.getPosition()] != utils::IteratorType::reduction)
      return false;
    anyAlongRow = true;
  }
  return anyAlongRow;
}

/// Output columns of a contraction's register block. Blocks must divide the
/// range so that every tile is static, and their width must be a power of
/// two: LLVM keeps a loop-carried vector<4x24xf32> (or 4x12) accumulator as
/// scalars and repacks it every step, which made 24-row packed tiles (MLRA,
/// GQA groups of 24) four times slower than 32-row ones.
static int64_t chooseLaneTile(int64_t range, int64_t lanes) {
  int64_t size = llvm::PowerOf2Ceil(std::max<int64_t>(lanes, 1));
  while (size > 1 && (size > range || range % size != 0))
    size /= 2;
  return size;
}

/// Tile sizes for `op`: register blocks for contractions, whole reductions
/// for dot products, rows otherwise.
static SmallVector<int64_t> chooseTileSizes(linalg::LinalgOp op, int64_t rows,
                                            int64_t lanes) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned numLoops = ranges.size();
  SmallVector<int64_t> sizes(numLoops, 1);
  // The loop that walks the output's innermost dimension is the vector one.
  AffineMap outMap = op.getIndexingMapMatchingResult(op->getResult(0));
  std::optional<unsigned> laneLoop, rowLoop;
  for (int r = outMap.getNumResults() - 1; r >= 0; --r) {
    auto dim = dyn_cast<AffineDimExpr>(outMap.getResult(r));
    if (!dim)
      continue;
    if (!laneLoop)
      laneLoop = dim.getPosition();
    else if (!rowLoop && ranges[dim.getPosition()] > 1)
      rowLoop = dim.getPosition();
  }
  bool isContraction = llvm::any_of(iterators, [](utils::IteratorType t) {
    return t == utils::IteratorType::reduction;
  }) && op.getNumDpsInputs() == 2;
  // Rows of other ops are cut to at most kMaxRowLanes: much wider vectors
  // (a 512-wide bf16 conversion) make LLVM's instruction selection take
  // minutes.
  constexpr int64_t kMaxRowLanes = 64;
  if (laneLoop)
    sizes[*laneLoop] = isContraction
                           ? chooseLaneTile(ranges[*laneLoop], lanes)
                           : std::min(kMaxRowLanes, ranges[*laneLoop]);
  // Narrower blocks take more rows, so that a block keeps about
  // rows x lanes accumulators.
  if (isContraction && rowLoop) {
    int64_t blockRows = rows;
    if (laneLoop && sizes[*laneLoop] < lanes)
      blockRows = rows * lanes / std::max<int64_t>(sizes[*laneLoop], 1);
    sizes[*rowLoop] = std::min({blockRows, 2 * rows, ranges[*rowLoop]});
  }
  // Dot products: one output row at a time, all lanes, whole reductions.
  if (isContraction && isDotContraction(op)) {
    for (unsigned i = 0; i < numLoops; ++i)
      sizes[i] = iterators[i] == utils::IteratorType::reduction ? ranges[i] : 1;
    // Loops that only the second input walks (the query rows of a decode
    // score tile) are taken whole, so that a row of the first input (a key,
    // widened from bf16 once) meets every query row in one tile.
    constexpr int64_t kDotRows = 8;
    AffineMap first = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
    for (unsigned i = 0; i < numLoops; ++i)
      if (iterators[i] == utils::IteratorType::parallel &&
          !first.isFunctionOfDim(i))
        sizes[i] = std::min(kDotRows, ranges[i]);
  }
  // Register blocks must divide the loop so that every tile is static.
  for (unsigned i = 0; i < numLoops; ++i)
    while (ranges[i] % sizes[i] != 0)
      --sizes[i];
  return sizes;
}

namespace mlir::attn {
namespace {
struct AttnVectorizeTiles
    : public impl::AttnVectorizeTilesBase<AttnVectorizeTiles> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && op.getNumDpsInits() == 1 &&
          !op.hasDynamicShape() && op.getNumLoops() > 0)
        ops.push_back(op);
    });
    IRRewriter rewriter(ctx);
    SmallVector<Operation *> dotReductions;
    for (linalg::LinalgOp op : ops) {
      SmallVector<int64_t> sizes = chooseTileSizes(op, rows, lanes);
      rewriter.setInsertionPoint(op);
      scf::SCFTilingOptions options;
      options.setTileSizes(getAsIndexOpFoldResult(ctx, sizes));
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled)) {
        op->emitError("attn-vectorize-tiles: tiling failed");
        return signalPassFailure();
      }
      // Classify before the op is replaced (and freed).
      bool dot = isDotContraction(op);
      rewriter.replaceOp(op, tiled->replacements);
      for (Operation *tiledOp : tiled->tiledOps) {
        // Tiling offsets linalg.index with affine.apply, which the vectorizer
        // does not take (the gate's gather by token id): make it arith.
        SmallVector<Operation *> applies;
        tiledOp->walk([&](affine::AffineApplyOp apply) {
          applies.push_back(apply);
        });
        if (!applies.empty()) {
          RewritePatternSet affinePatterns(ctx);
          populateAffineToStdConversionPatterns(affinePatterns);
          (void)applyOpPatternsGreedily(applies, std::move(affinePatterns));
        }
        rewriter.setInsertionPoint(tiledOp);
        FailureOr<linalg::VectorizationResult> vectorized =
            linalg::vectorize(rewriter, tiledOp, /*inputVectorSizes=*/{},
                              /*inputScalableVecDims=*/{},
                              /*vectorizeNDExtract=*/true);
        if (failed(vectorized))
          continue; // Left scalar; later lowering handles it.
        rewriter.replaceOp(tiledOp, vectorized->replacements);
        if (dot)
          for (Value v : vectorized->replacements)
            if (Operation *def = v.getDefiningOp())
              def->getParentRegion()->walk([&](vector::MultiDimReductionOp r) {
                dotReductions.push_back(r);
              });
      }
    }

    // Dot products stay a multiply and a horizontal sum along the row: lower
    // their reductions before the patterns below could make them contracts.
    RewritePatternSet dotPatterns(ctx);
    vector::populateVectorMultiReductionLoweringPatterns(
        dotPatterns, vector::VectorMultiReductionLowering::InnerReduction);
    (void)applyOpPatternsGreedily(dotReductions, std::move(dotPatterns));

    // Register blocks become vector.contract (broadcast FMAs); math stays
    // vectorized; fold the vector IR the tiles produced.
    RewritePatternSet patterns(ctx);
    populateMathPolynomialApproximationPatterns(patterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorReductionToContractPatterns(patterns);
    vector::populateSinkVectorOpsPatterns(patterns);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace
} // namespace mlir::attn
