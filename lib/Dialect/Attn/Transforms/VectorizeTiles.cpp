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
#include "mlir/Dialect/Affine/ViewLikeInterfaceUtils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
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
  // Contractions with fewer output rows than a block (P.V of a decode tile:
  // one query row, or a GQA group) take wider blocks, so that a block keeps
  // about rows x lanes accumulators: 1 x 16 leaves two FMA chains per key,
  // which wait on the FMA latency.
  int64_t rowExtent = rowLoop ? ranges[*rowLoop] : 1;
  int64_t blockLanes = lanes;
  if (rowExtent < rows)
    blockLanes = llvm::bit_floor(static_cast<uint64_t>(rows * lanes / rowExtent));
  if (laneLoop)
    sizes[*laneLoop] = isContraction
                           ? chooseLaneTile(ranges[*laneLoop], blockLanes)
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

namespace {
/// Dot products along the innermost dimension,
/// `multi_reduction<add>(a * b, acc) [last]` over rows of N elements, become
/// FMAs into `lanes`-wide partial sums, chunk by chunk for all rows at once,
/// and one horizontal sum per row at the end:
///
///   p = a[..., 0:L] * b[..., 0:L]; p = fma(a[..., L:2L], b[..., L:2L], p); ...
///   multi_reduction<add>(p, acc) [last]
///
/// instead of N multiplies, a tree of N/L - 1 vector adds and a horizontal
/// sum per row. Decode scores are such dots (a key row against each query row
/// of a tile). Walking the chunks in the outer loop lets each chunk of the
/// key, widened from bf16 once, meet every query row while it is in a
/// register. The summation order changes as under LLVM's reassociation of a
/// reduction.
struct DotReductionToFMAs
    : public OpRewritePattern<vector::MultiDimReductionOp> {
  // Ahead of the upstream lowering of the same reduction.
  DotReductionToFMAs(MLIRContext *ctx, int64_t lanes)
      : OpRewritePattern(ctx, /*benefit=*/2), lanes(lanes) {}

  LogicalResult matchAndRewrite(vector::MultiDimReductionOp reduction,
                                PatternRewriter &rewriter) const override {
    if (reduction.getKind() != vector::CombiningKind::ADD)
      return failure();
    auto mul = reduction.getSource().getDefiningOp<arith::MulFOp>();
    VectorType type = reduction.getSourceVectorType();
    int64_t rank = type.getRank();
    if (!mul || type.isScalable() || reduction.getReductionDims().size() != 1 ||
        reduction.getReductionDims()[0] != rank - 1)
      return failure();
    int64_t size = type.getShape().back();
    if (lanes <= 0 || size <= lanes || size % lanes != 0)
      return failure();
    Location loc = reduction.getLoc();
    SmallVector<int64_t> offsets(rank, 0), sizes(type.getShape()),
        strides(rank, 1);
    sizes.back() = lanes;
    auto chunk = [&](Value v, int64_t i) -> Value {
      offsets.back() = i * lanes;
      return vector::ExtractStridedSliceOp::create(rewriter, loc, v, offsets,
                                                   sizes, strides);
    };
    Value partial = arith::MulFOp::create(rewriter, loc, chunk(mul.getLhs(), 0),
                                          chunk(mul.getRhs(), 0));
    for (int64_t i = 1; i < size / lanes; ++i)
      partial = math::FmaOp::create(rewriter, loc, chunk(mul.getLhs(), i),
                                    chunk(mul.getRhs(), i), partial);
    rewriter.replaceOpWithNewOp<vector::MultiDimReductionOp>(
        reduction, partial, reduction.getAcc(), reduction.getReductionMask(),
        vector::CombiningKind::ADD);
    return success();
  }

  int64_t lanes;
};
} // namespace

/// Prefetches, in a register tile's loop, the rows that the same tile of the
/// next key tile will read: decode key loops stream K and V from memory once,
/// and the hardware prefetchers alone leave the loads waiting on DRAM while
/// the tile computes. `input` is the register tile's slice of a key tile
/// that attn-flash-lowering marked as streamed along `dim` of a function
/// argument (kStreamedKeyTileAttrName); one prefetch per cache line of the
/// slice's innermost row. Slices of more than one row are left alone.
/// `buffers` caches one read-only buffer per argument.
static void prefetchNextKeyTile(RewriterBase &rewriter, Value input,
                                unsigned dim, DenseMap<Value, Value> &buffers) {
  auto inner = input.getDefiningOp<tensor::ExtractSliceOp>();
  auto outer =
      inner ? inner.getSource().getDefiningOp<tensor::ExtractSliceOp>() : nullptr;
  if (!outer)
    return;
  auto argument = dyn_cast<BlockArgument>(outer.getSource());
  if (!argument || !isa<FunctionOpInterface>(argument.getOwner()->getParentOp()))
    return;
  ArrayRef<int64_t> innerSizes = inner.getStaticSizes();
  if (ShapedType::isDynamicShape(innerSizes) ||
      llvm::any_of(innerSizes.drop_back(), [](int64_t s) { return s != 1; }))
    return;
  auto sourceType = cast<RankedTensorType>(argument.getType());
  std::optional<int64_t> tileSize =
      getConstantIntValue(outer.getMixedSizes()[dim]);
  unsigned elementBytes = sourceType.getElementTypeBitWidth() / 8;
  if (!sourceType.hasStaticShape() || dim >= sourceType.getRank() ||
      !tileSize || elementBytes == 0)
    return;

  Location loc = inner.getLoc();
  Value &buffer = buffers[argument];
  if (!buffer) {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(argument.getOwner());
    buffer = bufferization::ToBufferOp::create(
        rewriter, loc,
        MemRefType::get(sourceType.getShape(), sourceType.getElementType()),
        argument, /*readOnly=*/true);
  }
  // The row's position in the argument: the register tile's slice composed
  // with the key tile's, then moved one key tile ahead and clamped to the
  // last row (a prefetch is only a hint, but its address must stay inside
  // the buffer).
  SmallVector<OpFoldResult> offsets, sizes, strides;
  if (failed(affine::mergeOffsetsSizesAndStrides(
          rewriter, loc, outer, inner, outer.getDroppedDims(), offsets, sizes,
          strides)))
    return;
  AffineExpr s0 = rewriter.getAffineSymbolExpr(0);
  offsets[dim] = affine::makeComposedFoldedAffineMin(
      rewriter, loc,
      AffineMap::get(0, 1,
                     {s0 + *tileSize, rewriter.getAffineConstantExpr(
                                          sourceType.getDimSize(dim) - 1)},
                     rewriter.getContext()),
      {offsets[dim]});
  SmallVector<Value> indices =
      getValueOrCreateConstantIndexOp(rewriter, loc, offsets);
  constexpr int64_t kCacheLineBytes = 64;
  int64_t lineElements = std::max<int64_t>(1, kCacheLineBytes / elementBytes);
  Value last = indices.back();
  for (int64_t e = 0; e < innerSizes.back(); e += lineElements) {
    indices.back() = e == 0 ? last
                            : arith::AddIOp::create(
                                  rewriter, loc, last,
                                  arith::ConstantIndexOp::create(rewriter, loc, e));
    memref::PrefetchOp::create(rewriter, loc, buffer, indices,
                               /*isWrite=*/false, /*localityHint=*/3,
                               /*isDataCache=*/true);
  }
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
    DenseMap<Value, Value> buffers;
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
      auto streamed =
          op->getAttrOfType<DenseI64ArrayAttr>(kStreamedKeyTileAttrName);
      rewriter.replaceOp(op, tiled->replacements);
      for (Operation *tiledOp : tiled->tiledOps) {
        if (prefetch && streamed) {
          rewriter.setInsertionPoint(tiledOp);
          for (auto [input, dim] : llvm::zip(
                   cast<linalg::LinalgOp>(tiledOp).getDpsInputOperands(),
                   streamed.asArrayRef()))
            if (dim >= 0)
              prefetchNextKeyTile(rewriter, input->get(), dim, buffers);
        }
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

    // Dot products become FMAs along the row and one horizontal sum per row:
    // rewrite and lower their reductions before the patterns below could
    // make them contracts.
    RewritePatternSet dotPatterns(ctx);
    dotPatterns.add<DotReductionToFMAs>(ctx, lanes);
    vector::populateVectorMultiReductionLoweringPatterns(
        dotPatterns, vector::VectorMultiReductionLowering::InnerReduction);
    (void)applyOpPatternsGreedily(
        dotReductions, std::move(dotPatterns),
        GreedyRewriteConfig().setStrictness(
            GreedyRewriteStrictness::ExistingAndNewOps));

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
