//===- PrefetchStreamedTiles.cpp - software prefetch of K/V tiles ---------===//
//
// The key loop of attn-flash-lowering streams K and V tiles from memory:
// register tiles that read a streamed tile prefetch the same lines of the
// next key tile into L2, and a decode step's score tile also prefetches its
// own tile's V rows into L1 for the P.V that follows.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/PrefetchStreamedTiles.h"
#include "attnc/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Affine/ViewLikeInterfaceUtils.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/SmallBitVector.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNPREFETCHSTREAMEDTILES
#include "attnc/Codegen/CPU/Passes.h.inc"

/// Which lines a prefetch asks for, and into which cache.
enum class PrefetchTarget {
  /// The next key tile's, into L2 (locality 2: prefetcht1 on x86). A
  /// decode key step's K and V tiles are each about half of a 32 KiB L1:
  /// prefetched into L1 one tile ahead, they evict the tiles being read
  /// before their P.V reads them (docs/performance.md, "Measured and
  /// dropped").
  NextTileIntoL2,
  /// The key tile's own, into L1 (locality 3): the V rows that the key
  /// step's P.V reads column block by column block after its scores, brought
  /// from L2 while the scores compute.
  ThisTileIntoL1,
};

/// Whether the register tiles of `op` (tile `sizes`) read each element of
/// `input` once: every loop that does not index it (the lanes of a score
/// block for its K, the rows of a P.V block for its V) has one tile. A K/V
/// tile that several register tiles share (MLA's 128 absorbed heads) is
/// read from cache after the first, and prefetching it again for each would
/// only take load slots from the compute.
bool readsTileOnce(linalg::LinalgOp op, ArrayRef<int64_t> sizes,
                   OpOperand &input) {
  AffineMap map = op.getMatchingIndexingMap(&input);
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (unsigned d = 0; d < ranges.size(); ++d)
    if (!map.isFunctionOfDim(d) && sizes[d] != 0 && sizes[d] < ranges[d])
      return false;
  return true;
}

/// The offsets of a point at `offsets` in `slice`'s result, in the
/// coordinates of the slice's source (upstream's composition of slices).
static FailureOr<SmallVector<OpFoldResult>>
offsetsInSource(RewriterBase &rewriter, Location loc,
                tensor::ExtractSliceOp slice, ArrayRef<OpFoldResult> offsets) {
  SmallVector<OpFoldResult> ones(offsets.size(), rewriter.getIndexAttr(1));
  SmallVector<OpFoldResult> combined, sizes, strides;
  if (failed(affine::mergeOffsetsSizesAndStrides(
          rewriter, loc, slice.getMixedOffsets(), slice.getMixedSizes(),
          slice.getMixedStrides(), slice.getDroppedDims(), offsets, ones, ones,
          combined, sizes, strides)))
    return failure();
  return combined;
}


/// Prefetches, in a register tile's loop, the lines that the same tile of
/// the next key tile will read (or, for ThisTileIntoL1, of this one): decode
/// key loops stream K and V from memory once, and the hardware prefetchers
/// alone leave the loads waiting on DRAM while the tile computes. `input` is
/// the register tile's slice of a key tile that attn-flash-lowering marked
/// as streamed along `dim` of a function argument
/// (kStreamedKeyTileAttrName). Two slice shapes occur:
///
/// * one row (a dot product's key row, or a P.V block's V row): one prefetch
///   per cache line of the row;
/// * one column of R rows, stepped along the row by the reduction loop (the
///   K operand of a score block, [R, 1] at column c): the block's R rows of
///   the next tile hold N = R x (lines per row) lines, and step c prefetches
///   lines c*m .. c*m+m-1 (mod N), m = ceil(N / row length), so that the
///   reduction loop covers every line and spreads the prefetches over it.
///
/// The next tile's row is clamped to the argument's last row: a prefetch is
/// only a hint, but its address must stay inside the buffer. Other slices
/// are left alone. `buffers` caches one read-only buffer per argument.
static void prefetchKeyTile(RewriterBase &rewriter, Value input,
                     tensor::ExtractSliceOp outer, unsigned dim,
                     PrefetchTarget target, DenseMap<Value, Value> &buffers) {
  // The register tile's slice of the key tile `outer`, through the slices of
  // its splits (splitToWholeBlocks) if there are any; all keep every
  // dimension. The offsets are composed into the key tile's.
  auto inner = input.getDefiningOp<tensor::ExtractSliceOp>();
  if (!inner || inner.getDroppedDims().any())
    return;
  SmallVector<OpFoldResult> innerOffsets = inner.getMixedOffsets();
  for (Value source = inner.getSource(); source != outer.getResult();) {
    auto part = source.getDefiningOp<tensor::ExtractSliceOp>();
    if (!part || part.getDroppedDims().any())
      return;
    FailureOr<SmallVector<OpFoldResult>> inPart =
        offsetsInSource(rewriter, inner.getLoc(), part, innerOffsets);
    if (failed(inPart))
      return;
    innerOffsets = std::move(*inPart);
    source = part.getSource();
  }
  // The key tile may be a slice of slices of the argument (MLRA's block of
  // the latent): those that keep every dimension are composed below.
  SmallVector<tensor::ExtractSliceOp> enclosing;
  Value source = outer.getSource();
  while (auto slice = source.getDefiningOp<tensor::ExtractSliceOp>()) {
    if (slice.getDroppedDims().any())
      return;
    enclosing.push_back(slice);
    source = slice.getSource();
  }
  auto argument = dyn_cast<BlockArgument>(source);
  if (!argument || !isa<FunctionOpInterface>(argument.getOwner()->getParentOp()))
    return;
  auto sourceType = cast<RankedTensorType>(argument.getType());
  std::optional<int64_t> tileSize =
      dim < outer.getMixedSizes().size()
          ? getConstantIntValue(outer.getMixedSizes()[dim])
          : std::nullopt;
  unsigned elementBytes = sourceType.getElementTypeBitWidth() / 8;
  ArrayRef<int64_t> innerSizes = inner.getStaticSizes();
  ArrayRef<int64_t> rowLengths = outer.getType().getShape();
  if (!sourceType.hasStaticShape() || dim >= sourceType.getRank() ||
      !tileSize || elementBytes == 0 || ShapedType::isDynamicShape(innerSizes) ||
      ShapedType::isDynamicShape(rowLengths) || innerSizes.empty() ||
      innerSizes.size() != rowLengths.size())
    return;
  int64_t rank = innerSizes.size();
  auto onlyOnes = [](ArrayRef<int64_t> sizes) {
    return llvm::all_of(sizes, [](int64_t s) { return s == 1; });
  };
  constexpr int64_t kCacheLineBytes = 64;
  int64_t lineElements = std::max<int64_t>(1, kCacheLineBytes / elementBytes);
  // The prefetched lines as offsets in the key tile: (row, column) pairs
  // relative to the slice's own offsets.
  Location loc = inner.getLoc();
  MLIRContext *ctx = rewriter.getContext();
  AffineExpr s0 = rewriter.getAffineSymbolExpr(0);
  SmallVector<SmallVector<OpFoldResult>> lineOffsets;
  if (onlyOnes(innerSizes.drop_back())) {
    for (int64_t e = 0; e < innerSizes.back(); e += lineElements) {
      lineOffsets.push_back(innerOffsets);
      lineOffsets.back().back() = affine::makeComposedFoldedAffineApply(
          rewriter, loc, s0 + e, {innerOffsets.back()});
    }
  } else if (rank >= 2 && innerSizes.back() == 1 &&
             onlyOnes(innerSizes.drop_back(2))) {
    int64_t rows = innerSizes[rank - 2], rowLength = rowLengths.back();
    int64_t linesPerRow = llvm::divideCeil(rowLength, lineElements);
    int64_t lines = rows * linesPerRow;
    int64_t perStep = llvm::divideCeil(lines, rowLength);
    OpFoldResult column = innerOffsets.back();
    for (int64_t j = 0; j < perStep; ++j) {
      AffineExpr line = (s0 * perStep + j) % lines;
      lineOffsets.push_back(innerOffsets);
      lineOffsets.back()[rank - 2] = affine::makeComposedFoldedAffineApply(
          rewriter, loc,
          AffineMap::get(0, 2, rewriter.getAffineSymbolExpr(1) +
                                   line.floorDiv(linesPerRow)),
          {column, innerOffsets[rank - 2]});
      lineOffsets.back().back() = affine::makeComposedFoldedAffineApply(
          rewriter, loc, (line % linesPerRow) * lineElements, {column});
    }
  } else {
    return;
  }

  Value &buffer = buffers[argument];
  if (!buffer) {
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPointToStart(argument.getOwner());
    buffer = bufferization::ToBufferOp::create(
        rewriter, loc,
        MemRefType::get(sourceType.getShape(), sourceType.getElementType()),
        argument, /*readOnly=*/true);
  }
  // Lines of one row (the same offsets but the innermost) share its clamped
  // position.
  SmallVector<std::pair<ArrayRef<OpFoldResult>, OpFoldResult>> clampedRows;
  for (ArrayRef<OpFoldResult> offsetsInTile : lineOffsets) {
    // The line's position in the argument: composed with the key tile's
    // slice, then, for the next tile, moved one key tile ahead and clamped
    // to the last row.
    FailureOr<SmallVector<OpFoldResult>> inArgument =
        offsetsInSource(rewriter, loc, outer, offsetsInTile);
    for (tensor::ExtractSliceOp slice : enclosing)
      if (succeeded(inArgument))
        inArgument = offsetsInSource(rewriter, loc, slice, *inArgument);
    if (failed(inArgument))
      return;
    SmallVector<OpFoldResult> offsets = std::move(*inArgument);
    bool nextTile = target == PrefetchTarget::NextTileIntoL2;
    if (nextTile) {
      ArrayRef<OpFoldResult> row = offsetsInTile.drop_back();
      auto *known = llvm::find_if(clampedRows, [&](const auto &entry) {
        return entry.first == row;
      });
      if (known == clampedRows.end()) {
        clampedRows.push_back({row, affine::makeComposedFoldedAffineMin(
            rewriter, loc,
            AffineMap::get(0, 1,
                           {s0 + *tileSize,
                            rewriter.getAffineConstantExpr(
                                sourceType.getDimSize(dim) - 1)},
                           ctx),
            {offsets[dim]})});
        known = std::prev(clampedRows.end());
      }
      offsets[dim] = known->second;
    }
    memref::PrefetchOp::create(
        rewriter, loc, buffer,
        getValueOrCreateConstantIndexOp(rewriter, loc, offsets),
        /*isWrite=*/false, /*localityHint=*/nextTile ? 2 : 3,
        /*isDataCache=*/true);
  }
}


/// The position in `slice`'s result of dimension `dim` of its source, or
/// nothing where the slice drops it.
static std::optional<unsigned> getResultDim(tensor::ExtractSliceOp slice,
                                            unsigned dim) {
  llvm::SmallBitVector dropped = slice.getDroppedDims();
  if (dim >= dropped.size() || dropped.test(dim))
    return std::nullopt;
  unsigned position = 0;
  for (unsigned d = 0; d < dim; ++d)
    position += dropped.test(d) ? 0 : 1;
  return position;
}

/// Whether prefetchValueRow can prefetch, next to the dot-product score
/// tile's key row `keyRow` (a [1, ..., row] slice of the key tile `keys`),
/// the V rows of the same keys from `values`: rows along the key dimension,
/// one row per key, at the same key offset, and the V tile's position known
/// where the score loop runs.
bool canPrefetchValueRow(Value keyRow, StreamedInput keys,
                         StreamedInput values) {
  auto row = keyRow.getDefiningOp<tensor::ExtractSliceOp>();
  if (!row || !keys.keyTile || !values.keyTile ||
      row.getSource() != keys.keyTile.getResult())
    return false;
  std::optional<unsigned> keyDim = getResultDim(keys.keyTile, keys.dim);
  std::optional<unsigned> valueDim = getResultDim(values.keyTile, values.dim);
  auto valueTile = values.keyTile.getType();
  if (!keyDim || !valueDim || !valueTile.hasStaticShape() ||
      *valueDim + 1 != static_cast<unsigned>(valueTile.getRank()) - 1 ||
      keys.keyTile.getType().getDimSize(*keyDim) !=
          valueTile.getDimSize(*valueDim))
    return false;
  // The same keys: both tiles start at the same offset along the key loop.
  if (keys.keyTile.getMixedOffsets()[keys.dim] !=
      values.keyTile.getMixedOffsets()[values.dim])
    return false;
  for (int64_t d = 0; d + 1 < valueTile.getRank(); ++d)
    if (d != *valueDim && valueTile.getDimSize(d) != 1)
      return false;
  // The value tile's position must be known where the score loop runs: a
  // P.V whose V slice is computed after the scores (GTA's value heads,
  // indexed apart from its key heads) is not prefetched from here.
  DominanceInfo dominance(row->getParentOfType<FunctionOpInterface>());
  for (Operation *slice = values.keyTile; slice;
       slice = slice->getOperand(0).getDefiningOp<tensor::ExtractSliceOp>())
    for (Value operand : slice->getOperands().drop_front())
      if (!dominance.properlyDominates(operand, row))
        return false;
  return true;
}

/// Prefetches, next to a dot-product score tile's key row `keyRow`, the same
/// row of `values`' next tile into L2 and of its own tile into L1: the V
/// rows the key step's P.V reads. P.V blocks read half a cache line of a row
/// per step, so prefetching from them would prefetch every line twice and
/// add a clamp to each step of the P.V loop. The L1 prefetch costs 4
/// instructions per key and saves the P.V's column blocks from waiting on
/// L2. Prefetches nothing where canPrefetchValueRow does not hold.
static void prefetchValueRow(RewriterBase &rewriter, Value keyRow,
                             StreamedInput keys,
                             StreamedInput values,
                             DenseMap<Value, Value> &buffers) {
  if (!canPrefetchValueRow(keyRow, keys, values))
    return;
  auto row = keyRow.getDefiningOp<tensor::ExtractSliceOp>();
  unsigned keyDim = *getResultDim(keys.keyTile, keys.dim);
  unsigned valueDim = *getResultDim(values.keyTile, values.dim);
  auto valueTile = values.keyTile.getType();
  // One key row of the value tile: [1, ..., 1, E] at the key row's offset.
  int64_t rank = valueTile.getRank();
  SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes(rank, rewriter.getIndexAttr(1));
  SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
  offsets[valueDim] = row.getMixedOffsets()[keyDim];
  sizes.back() = rewriter.getIndexAttr(valueTile.getShape().back());
  auto valueRow = tensor::ExtractSliceOp::create(
      rewriter, row.getLoc(), values.keyTile.getResult(), offsets, sizes,
      strides);
  for (PrefetchTarget target :
       {PrefetchTarget::NextTileIntoL2, PrefetchTarget::ThisTileIntoL1})
    prefetchKeyTile(rewriter, valueRow.getResult(), values.keyTile,
                    values.dim, target, buffers);
  // Only its offsets were wanted.
  rewriter.eraseOp(valueRow);
}

namespace {
struct AttnPrefetchStreamedTiles
    : public impl::AttnPrefetchStreamedTilesBase<AttnPrefetchStreamedTiles> {
  void runOnOperation() override {
    // The key tiles that plans refer to, by id.
    DenseMap<int64_t, StreamedInput> keyTiles;
    SmallVector<linalg::LinalgOp> planned;
    getOperation()->walk([&](Operation *op) {
      if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op)) {
        auto mark = slice->getAttrOfType<DenseI64ArrayAttr>(
            codegen::kKeyTileAttrName);
        if (mark && mark.size() == 2)
          keyTiles[mark[0]] = {slice, mark[1]};
        slice->removeAttr(codegen::kKeyTileAttrName);
      } else if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op)) {
        if (linalgOp->hasAttr(codegen::kPrefetchKeyTilesAttrName))
          planned.push_back(linalgOp);
      }
    });
    auto lookup = [&](int64_t id) {
      auto it = keyTiles.find(id);
      return it == keyTiles.end() ? StreamedInput() : it->second;
    };
    IRRewriter rewriter(&getContext());
    DenseMap<Value, Value> buffers;
    for (linalg::LinalgOp op : planned) {
      auto ids = op->getAttrOfType<DenseI64ArrayAttr>(
          codegen::kPrefetchKeyTilesAttrName);
      auto valueId = op->getAttrOfType<IntegerAttr>(
          codegen::kPrefetchValueRowsAttrName);
      op->removeAttr(codegen::kPrefetchKeyTilesAttrName);
      op->removeAttr(codegen::kPrefetchValueRowsAttrName);
      if (!ids)
        continue;
      rewriter.setInsertionPoint(op);
      for (auto [input, id] :
           llvm::zip(op.getDpsInputOperands(), ids.asArrayRef())) {
        StreamedInput keys = lookup(id);
        if (!keys.keyTile)
          continue;
        prefetchKeyTile(rewriter, input->get(), keys.keyTile, keys.dim,
                        PrefetchTarget::NextTileIntoL2, buffers);
        if (valueId)
          prefetchValueRow(rewriter, input->get(), keys,
                           lookup(valueId.getInt()), buffers);
      }
    }
  }
};
} // namespace

} // namespace mlir::attn
