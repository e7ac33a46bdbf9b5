//===- FuseTileProducers.cpp - compute tile operands inside the tile loop -===//
//
// A key tile of the flash loop reads a slice of K, V or the latent. When that
// operand is computed in the same function by linalg ops (EG-MLA's embedding
// gate: up-projection, gather-multiply, norm), the producers are tiled into
// the loop with the upstream tile-and-fuse driver, so that the gated latent
// is computed one key tile at a time in cache and never written to memory.
//
// Fusion must not add work: a producer is fused only when the loop nest reads
// each of its elements at most once. Prefill's query tiles each re-read every
// key tile, so there the producer stays outside.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNFUSETILEPRODUCERS
#include "attnc/Codegen/CPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
/// extract_slice(expand_shape(x)) -> extract_slice(x), when the expansion only
/// adds unit dimensions (the lowerings give a latent [B, T, D] a unit head
/// dimension). Upstream's bubbling patterns leave rank-reducing slices alone,
/// and those are what the flash lowering takes.
struct SliceOfUnitDimExpansion : OpRewritePattern<tensor::ExtractSliceOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tensor::ExtractSliceOp slice,
                                PatternRewriter &rewriter) const override {
    auto expand = slice.getSource().getDefiningOp<tensor::ExpandShapeOp>();
    if (!expand || !slice.hasUnitStride() ||
        !expand.getSrcType().hasStaticShape())
      return failure();
    ArrayRef<int64_t> expandedShape = expand.getResultType().getShape();
    SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
    SmallVector<OpFoldResult> sizes = slice.getMixedSizes();
    SmallVector<OpFoldResult> sourceOffsets, sourceSizes;
    for (ReassociationIndices group : expand.getReassociationIndices()) {
      // The one dimension of the group that is not a unit one (or the first).
      int64_t kept = group.front();
      for (int64_t dim : group) {
        if (expandedShape[dim] != 1) {
          if (expandedShape[kept] != 1 && kept != dim)
            return failure(); // A real split of a dimension.
          kept = dim;
        }
      }
      sourceOffsets.push_back(offsets[kept]);
      sourceSizes.push_back(sizes[kept]);
    }
    // The slice's type must be the new sizes with unit dimensions dropped.
    SmallVector<int64_t> staticSizes;
    for (OpFoldResult size : sourceSizes) {
      std::optional<int64_t> value = getConstantIntValue(size);
      if (!value)
        return failure();
      if (*value != 1)
        staticSizes.push_back(*value);
    }
    SmallVector<int64_t> resultSizes;
    for (int64_t size : slice.getType().getShape())
      if (size != 1)
        resultSizes.push_back(size);
    if (staticSizes != resultSizes ||
        slice.getType().getRank() > static_cast<int64_t>(sourceSizes.size()))
      return failure();
    SmallVector<OpFoldResult> strides(sourceSizes.size(),
                                      rewriter.getIndexAttr(1));
    rewriter.replaceOpWithNewOp<tensor::ExtractSliceOp>(
        slice, slice.getType(), expand.getSrc(), sourceOffsets, sourceSizes,
        strides);
    return success();
  }
};
} // namespace

/// Marks a slice whose producer could not be tiled, so it is not retried.
static constexpr llvm::StringLiteral kRejectedAttr = "attn.unfused";

/// The loops between `slice` and the region that defines its source,
/// outermost first; empty when the slice is not inside a loop there.
static SmallVector<LoopLikeOpInterface> loopsAround(tensor::ExtractSliceOp slice) {
  SmallVector<LoopLikeOpInterface> loops;
  Region *sourceRegion = slice.getSource().getParentRegion();
  for (Operation *parent = slice->getParentOp(); parent;
       parent = parent->getParentOp()) {
    if (!sourceRegion->isAncestor(parent->getParentRegion()))
      break;
    if (auto loop = dyn_cast<LoopLikeOpInterface>(parent))
      loops.push_back(loop);
    if (parent->getParentRegion() == sourceRegion)
      break;
  }
  std::reverse(loops.begin(), loops.end());
  return loops;
}

/// How many times the loops run their body, when that is known statically.
static std::optional<int64_t> staticTripCount(ArrayRef<LoopLikeOpInterface> loops) {
  int64_t trips = 1;
  for (LoopLikeOpInterface loop : loops) {
    std::optional<SmallVector<OpFoldResult>> lbs = loop.getLoopLowerBounds();
    std::optional<SmallVector<OpFoldResult>> ubs = loop.getLoopUpperBounds();
    std::optional<SmallVector<OpFoldResult>> steps = loop.getLoopSteps();
    if (!lbs || !ubs || !steps)
      return std::nullopt;
    for (auto [lb, ub, step] : llvm::zip_equal(*lbs, *ubs, *steps)) {
      std::optional<int64_t> l = getConstantIntValue(lb);
      std::optional<int64_t> u = getConstantIntValue(ub);
      std::optional<int64_t> s = getConstantIntValue(step);
      if (!l || !u || !s || *s <= 0)
        return std::nullopt;
      trips *= std::max<int64_t>(0, llvm::divideCeil(*u - *l, *s));
    }
  }
  return trips;
}

/// True when every user of `producer` is a static slice inside loops, and
/// together they read no element twice: the fused producer then computes
/// exactly what the unfused one did.
static bool readsEachElementOnce(OpResult producer) {
  auto type = dyn_cast<RankedTensorType>(producer.getType());
  if (!type || !type.hasStaticShape())
    return false;
  int64_t elementsRead = 0;
  for (Operation *user : producer.getUsers()) {
    auto slice = dyn_cast<tensor::ExtractSliceOp>(user);
    if (!slice || !slice.getType().hasStaticShape())
      return false;
    SmallVector<LoopLikeOpInterface> loops = loopsAround(slice);
    std::optional<int64_t> trips = staticTripCount(loops);
    if (!trips)
      return false;
    elementsRead += *trips * slice.getType().getNumElements();
  }
  return elementsRead <= type.getNumElements();
}

/// A slice whose source is computed by an op that can be tiled, and whose
/// fusion computes nothing twice. Slices outside loops (the remainder key
/// tile) are fused too, so that no part of the producer stays whole.
static tensor::ExtractSliceOp findFusibleSlice(Operation *root) {
  tensor::ExtractSliceOp found;
  root->walk([&](tensor::ExtractSliceOp slice) {
    if (slice->hasAttr(kRejectedAttr))
      return WalkResult::advance();
    auto producer = dyn_cast<OpResult>(slice.getSource());
    if (!producer || !isa<TilingInterface>(producer.getOwner()) ||
        !isa<linalg::LinalgOp>(producer.getOwner()))
      return WalkResult::advance();
    // A whole-operand slice gains nothing, and its fused form is sliced
    // again (rank reduction): only proper slices.
    if (slice.getType().getNumElements() >=
            cast<RankedTensorType>(producer.getType()).getNumElements() ||
        !readsEachElementOnce(producer))
      return WalkResult::advance();
    found = slice;
    return WalkResult::interrupt();
  });
  return found;
}

namespace mlir::attn {
namespace {
struct AttnFuseTileProducers
    : public impl::AttnFuseTileProducersBase<AttnFuseTileProducers> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    Operation *root = getOperation();
    IRRewriter rewriter(ctx);

    // Slices of reshaped operands become reshapes of slices, so that the
    // slice meets the producer.
    RewritePatternSet patterns(ctx);
    tensor::populateBubbleUpExtractSliceOpPatterns(patterns);
    patterns.add<SliceOfUnitDimExpansion>(ctx);
    // Fused producers write into slices of their old destination: make those
    // tile-sized empties, so the full operand is never allocated.
    tensor::populateFoldTensorEmptyPatterns(patterns);
    FrozenRewritePatternSet bubbleUp(std::move(patterns));

    // Every fusion removes a proper slice of a producer; the bound only
    // guards against a pattern that would undo one.
    constexpr int kMaxFusions = 1000;
    for (int fusions = 0; fusions < kMaxFusions; ++fusions) {
      (void)applyPatternsGreedily(root, bubbleUp);
      // The score and value contractions of absorbed MLA read the same
      // latent tile: one slice, so the fused producer runs once per tile.
      DominanceInfo dominance;
      eliminateCommonSubExpressions(rewriter, dominance, root);

      tensor::ExtractSliceOp slice = findFusibleSlice(root);
      if (!slice)
        break;
      auto producer = cast<OpResult>(slice.getSource());
      // The producers' destinations are never loop-carried here, so the
      // slice-level swap suffices (scf::tileAndFuseProducerOfSlice would also
      // thread destinations through the loops, and outside a loop it makes
      // the tile write into the untiled result).
      rewriter.setInsertionPoint(slice);
      FailureOr<TilingResult> tiled =
          tensor::replaceExtractSliceWithTiledProducer(rewriter, slice,
                                                       producer);
      if (failed(tiled) || tiled->tiledValues.size() != 1) {
        slice->setAttr(kRejectedAttr, rewriter.getUnitAttr());
        continue;
      }
      Value tile = tiled->tiledValues.front();
      if (tile.getType() != slice.getType()) {
        // The slice dropped unit dimensions that the tile keeps.
        auto tileType = cast<RankedTensorType>(tile.getType());
        SmallVector<OpFoldResult> zeros(tileType.getRank(),
                                        rewriter.getIndexAttr(0));
        SmallVector<OpFoldResult> ones(tileType.getRank(),
                                       rewriter.getIndexAttr(1));
        SmallVector<OpFoldResult> sizes =
            getAsIndexOpFoldResult(rewriter.getContext(), tileType.getShape());
        tile = tensor::ExtractSliceOp::create(rewriter, slice.getLoc(),
                                              slice.getType(), tile, zeros,
                                              sizes, ones);
      }
      rewriter.replaceOp(slice, tile);
      Operation *producerOp = producer.getOwner();
      if (producerOp->use_empty())
        rewriter.eraseOp(producerOp);
    }
    root->walk([](tensor::ExtractSliceOp slice) {
      slice->removeAttr(kRejectedAttr);
    });
  }
};
} // namespace
} // namespace mlir::attn
