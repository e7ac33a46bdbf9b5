//===- CacheBlockContractions.cpp - panels of large contractions in L2 ----===//
//
// A contraction's register blocks (attn-vectorize-tiles) walk its output
// rows in the outermost loop and its whole reduction in the innermost, so
// the operand that does not follow the rows (a GEMM's weight) is read whole
// once per block of rows: from DRAM when it is larger than the cache. Tiled
// first along its reduction and its other loops, each tile reads a panel of
// that operand small enough to stay in L2 while every block of rows walks
// it, as GEMM libraries block their loops. A weight transposed before its
// matmul is transposed panel by panel inside those loops.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/LinalgCopies.h"
#include "attnc/Codegen/CPU/Passes.h"
#include "attnc/Codegen/CPU/RegisterTiles.h"

#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCACHEBLOCKCONTRACTIONS
#include "attnc/Codegen/CPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// Whether `producer` is a transposed copy used only by its consumer (a
/// weight that model IR transposes before its matmul): fused into the cache
/// tiles, each tile transposes its own panel while it is in cache, and the
/// whole transposed weight is never written out.
bool isTransposedCopyForOneUse(OpResult producer) {
  auto copy = dyn_cast<linalg::GenericOp>(producer.getOwner());
  if (!copy || !producer.hasOneUse() || !attn::isPermutationCopy(copy))
    return false;
  AffineMap in = copy.getMatchingIndexingMap(copy.getDpsInputOperand(0));
  AffineMap out = copy.getMatchingIndexingMap(copy.getDpsInitOperand(0));
  return !in.isIdentity() && out.isIdentity();
}

/// The largest divisor of `range` that is at most `limit` (at least 1):
/// tiles that divide their loop keep every tile static, as the register
/// blocks need.
int64_t largestDivisorUpTo(int64_t range, int64_t limit) {
  for (int64_t size = std::min(range, std::max<int64_t>(limit, 1)); size > 1;
       --size)
    if (range % size == 0)
      return size;
  return 1;
}

/// The cache tiles of `op` (0: not tiled), or nothing when blocking does not
/// pay. `op` must be a contraction with one reduction loop whose output has
/// rows as the register blocks take them (getOutputLoops). Inputs that the
/// rows do not index are the panel; the loops that index it other than the
/// rows are tiled: the reduction to `reductionTile`, the rest, from the
/// output's innermost dimension outwards, so that a panel tile takes at most
/// `panelBytes`.
std::optional<SmallVector<int64_t>>
chooseCacheTiles(linalg::LinalgOp op, int64_t reductionTile, int64_t panelBytes,
                 int64_t minRows) {
  if (op.getNumDpsInits() != 1 || op.getNumDpsInputs() < 2 ||
      op.hasDynamicShape() || op.getNumReductionLoops() != 1 ||
      !op.hasPureTensorSemantics())
    return std::nullopt;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned numLoops = ranges.size();
  unsigned reduction = 0;
  while (iterators[reduction] != utils::IteratorType::reduction)
    ++reduction;

  // The output's dimensions, innermost first, as loops (projected
  // permutations only); the rows are those of the register blocks.
  AffineMap outMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!outMap.isProjectedPermutation())
    return std::nullopt;
  SmallVector<unsigned> outLoops;
  for (AffineExpr e : llvm::reverse(outMap.getResults()))
    outLoops.push_back(cast<AffineDimExpr>(e).getPosition());
  std::optional<unsigned> rows = attn::getOutputLoops(op).row;
  if (!rows)
    return std::nullopt;
  unsigned rowLoop = *rows;

  // The panel: inputs whose elements every block of rows reads again.
  SmallVector<OpOperand *> panel;
  for (OpOperand *input : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(input);
    if (!map.isProjectedPermutation())
      return std::nullopt;
    if (!map.isFunctionOfDim(rowLoop) && map.isFunctionOfDim(reduction))
      panel.push_back(input);
  }
  if (panel.empty())
    return std::nullopt;
  // Rows that share the panel: the parallel loops no panel input indexes.
  auto indexesPanel = [&](unsigned loop) {
    return llvm::any_of(panel, [&](OpOperand *input) {
      return op.getMatchingIndexingMap(input).isFunctionOfDim(loop);
    });
  };
  int64_t sharingRows = 1;
  for (unsigned loop = 0; loop < numLoops; ++loop)
    if (iterators[loop] == utils::IteratorType::parallel && !indexesPanel(loop))
      sharingRows *= ranges[loop];
  if (sharingRows < minRows)
    return std::nullopt;

  // Bytes of the panel per element of the loops that index it.
  int64_t elementBytes = 0;
  for (OpOperand *input : panel) {
    Type element = getElementTypeOrSelf(input->get().getType());
    if (!element.isIntOrFloat())
      return std::nullopt;
    elementBytes += std::max<int64_t>(element.getIntOrFloatBitWidth() / 8, 1);
  }
  auto panelTileBytes = [&](ArrayRef<int64_t> tiles) {
    int64_t elements = 1;
    for (unsigned loop = 0; loop < numLoops; ++loop)
      if (indexesPanel(loop))
        elements *= tiles[loop] ? tiles[loop] : ranges[loop];
    return elements * elementBytes;
  };
  SmallVector<int64_t> tiles(numLoops, 0);
  if (panelTileBytes(tiles) <= panelBytes)
    return std::nullopt;

  // Panel loops outside the rows in the output (the heads of a per-head
  // projection [B, H, T, d]) split it into independent contractions, each
  // writing its own part of the output: taken one at a time, with the whole
  // reduction when one such panel fits.
  auto rowPosition = llvm::find(outLoops, rowLoop);
  for (unsigned loop : llvm::make_range(std::next(rowPosition), outLoops.end()))
    if (indexesPanel(loop) && ranges[loop] > 1)
      tiles[loop] = 1;
  if (llvm::any_of(tiles, [](int64_t t) { return t != 0; }) &&
      panelTileBytes(tiles) <= panelBytes)
    return tiles;

  // Otherwise the reduction is tiled, the panel's other loops fitted to
  // what is left of the budget.
  tiles.assign(numLoops, 0);
  tiles[reduction] = largestDivisorUpTo(ranges[reduction], reductionTile);
  int64_t budget =
      std::max<int64_t>(panelBytes / (elementBytes * tiles[reduction]), 1);
  for (unsigned loop : outLoops) {
    if (!indexesPanel(loop) || ranges[loop] == 1)
      continue;
    tiles[loop] = largestDivisorUpTo(ranges[loop], budget);
    budget = std::max<int64_t>(budget / tiles[loop], 1);
  }
  // Loops taken whole need no tile loop.
  for (unsigned loop = 0; loop < numLoops; ++loop)
    if (tiles[loop] == ranges[loop] && loop != reduction)
      tiles[loop] = 0;
  if (tiles[reduction] == ranges[reduction])
    tiles[reduction] = 0;
  if (llvm::all_of(tiles, [](int64_t t) { return t == 0; }))
    return std::nullopt;
  return tiles;
}

struct CacheBlockContractionsPass
    : attn::impl::AttnCacheBlockContractionsBase<CacheBlockContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (reductionTile < 1 || panelBytes < 1 || minRows < 1) {
      emitError(getOperation()->getLoc())
          << "attn-cache-block-contractions: reduction-tile, panel-bytes and "
             "min-rows must be positive";
      return signalPassFailure();
    }
    SmallVector<linalg::GenericOp> ops;
    // AMX tile ops (attn-x86-amx-tiles) block their own loops.
    getOperation()->walk([&](linalg::GenericOp op) {
      if (!op->hasAttr(attn::codegen::kAmxTileAttrName))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::GenericOp op : ops) {
      std::optional<SmallVector<int64_t>> tiles =
          chooseCacheTiles(op, reductionTile, panelBytes, minRows);
      if (!tiles)
        continue;
      // The panel loops outside, the reduction innermost: every tile of
      // the reduction walks all rows against one panel.
      SmallVector<int64_t> interchange;
      unsigned numLoops = tiles->size();
      for (unsigned loop = 0; loop < numLoops; ++loop)
        if (op.getIteratorTypesArray()[loop] == utils::IteratorType::parallel)
          interchange.push_back(loop);
      for (unsigned loop = 0; loop < numLoops; ++loop)
        if (op.getIteratorTypesArray()[loop] == utils::IteratorType::reduction)
          interchange.push_back(loop);
      scf::SCFTilingOptions tiling;
      tiling.setTileSizes(getAsIndexOpFoldResult(&getContext(), *tiles));
      tiling.setInterchange(interchange);
      tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
      // Decided before tiling: during it the untiled op still reads them.
      llvm::SmallPtrSet<Operation *, 2> transposedInputs;
      for (OpOperand *input : op.getDpsInputOperands())
        if (auto result = dyn_cast<OpResult>(input->get()))
          if (isTransposedCopyForOneUse(result))
            transposedInputs.insert(result.getOwner());
      scf::SCFTileAndFuseOptions options;
      options.setTilingOptions(tiling);
      options.setFusionControlFn(
          [&](tensor::ExtractSliceOp, OpResult producer, bool isDestination)
              -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
            if (isDestination || !transposedInputs.contains(producer.getOwner()))
              return std::nullopt;
            return scf::SCFTileAndFuseOptions::ControlFnResult{};
          });
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTileAndFuseResult> tiled =
          scf::tileConsumerAndFuseProducersUsingSCF(
              rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled)) {
        op.emitError("attn-cache-block-contractions: tiling failed");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, tiled->replacements.lookup(op->getResult(0)));
      // A fused transpose writes its panel into a slice of the whole
      // transposed weight's tensor.empty: it gets an empty tensor of the
      // panel's size, so that only a panel is ever allocated.
      for (Operation *fused : tiled->tiledAndFusedOps) {
        auto dps = dyn_cast<DestinationStyleOpInterface>(fused);
        if (!dps || fused == tiled->tiledAndFusedOps.front())
          continue;
        for (OpOperand &init : dps.getDpsInitsMutable()) {
          auto slice = init.get().getDefiningOp<tensor::ExtractSliceOp>();
          if (!slice || !slice.getSource().getDefiningOp<tensor::EmptyOp>() ||
              !slice.getType().hasStaticShape())
            continue;
          rewriter.setInsertionPoint(slice);
          rewriter.replaceOpWithNewOp<tensor::EmptyOp>(
              slice, slice.getType().getShape(),
              slice.getType().getElementType());
        }
      }
      // The untiled transposes, the slices of them that fusion replaced and
      // their whole-sized destinations.
      for (Operation *producer : tiled->fusedProducers) {
        for (Operation *user : llvm::make_early_inc_range(producer->getUsers()))
          if (isa<tensor::ExtractSliceOp>(user) && user->use_empty())
            rewriter.eraseOp(user);
        if (!producer->use_empty())
          continue;
        SmallVector<Value> operands = producer->getOperands();
        rewriter.eraseOp(producer);
        for (Value operand : operands)
          if (auto empty = operand.getDefiningOp<tensor::EmptyOp>())
            if (empty->use_empty())
              rewriter.eraseOp(empty);
      }
    }
  }
};

} // namespace
