//===- RegisterTiles.cpp - register blocks of tile-level linalg ops -------===//
//
// The register tiles that attn-tile-register-blocks gives each statically
// shaped linalg op: contractions in blocks of rows x lanes accumulators (split
// first into parts of whole blocks), dot products and row reductions along
// whole rows, everything else in rows; and the unrolling of blocks whose
// width is not a power of two.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/RegisterTiles.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Interfaces/VectorInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {

LogicalResult verifyRegisterTileConfig(Operation *anchor, StringRef pass,
                                       const RegisterTileConfig &config) {
  if (config.rows < 1 || config.lanes < 1 || config.nativeLanes < 1)
    // A bad option, not bad IR: reported at the input, not on an op.
    return emitError(anchor->getLoc())
           << pass
           << ": rows, lanes and native-lanes must be positive, got rows="
           << config.rows << " lanes=" << config.lanes
           << " native-lanes=" << config.nativeLanes;
  if (!llvm::isPowerOf2_64(config.nativeLanes))
    return emitError(anchor->getLoc())
           << pass
           << ": native-lanes must be a power of two (the f32 lanes of a "
              "machine vector), got "
           << config.nativeLanes;
  return success();
}

/// A two-input reduction whose reduction loops are the innermost dimension of
/// every input that walks them: a dot product along contiguous rows (decode
/// scores), or a row reduction against a broadcast operand (the sum of
/// squares of a norm, x - mean with the mean constant along the row).
bool isDotContraction(linalg::LinalgOp op) {
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
/// range so that every tile is static. The widest power of two up to `lanes`
/// that divides the range is taken; where that is narrower than `lanes`, a
/// wider multiple of the machine's vector (`nativeLanes`), up to twice
/// `lanes`, is taken instead if one divides the range (24 packed rows: 24
/// lanes, three vectors, not 8). Such blocks are unrolled to native vectors
/// after vectorization (unrollLaneBlocks): LLVM keeps a loop-carried
/// vector<4x24xf32> accumulator as scalars and repacks it every step.
static int64_t chooseLaneTile(int64_t range, int64_t lanes,
                              int64_t nativeLanes) {
  int64_t size = llvm::PowerOf2Ceil(std::max<int64_t>(lanes, 1));
  while (size > 1 && (size > range || range % size != 0))
    size /= 2;
  if (size >= lanes || nativeLanes <= 0)
    return size;
  for (int64_t wide = (2 * lanes / nativeLanes) * nativeLanes; wide > size;
       wide -= nativeLanes)
    if (wide <= range && range % wide == 0)
      return wide;
  return size;
}


/// Whether `op` is a contraction: two inputs and a reduction loop.
bool isContraction(linalg::LinalgOp op) {
  return op.getNumReductionLoops() != 0 && op.getNumDpsInputs() == 2;
}

OutputLoops getOutputLoops(linalg::LinalgOp op) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  AffineMap outMap = op.getIndexingMapMatchingResult(op->getResult(0));
  OutputLoops loops;
  for (int r = outMap.getNumResults() - 1; r >= 0; --r) {
    auto dim = dyn_cast<AffineDimExpr>(outMap.getResult(r));
    if (!dim)
      continue;
    if (!loops.lane)
      loops.lane = dim.getPosition();
    else if (!loops.row && ranges[dim.getPosition()] > 1)
      loops.row = dim.getPosition();
  }
  return loops;
}

/// The reduction loop of a contraction of two bf16 inputs that can walk it
/// in pairs: the P.V of probabilities that attn-flash-lowering rounded to
/// bf16 ([rows, keys] P against [keys, lanes] V), or MLA's absorption of
/// bf16 queries. Its one reduction loop has an even range and is the
/// innermost dimension of the input that the lanes do not walk (P,
/// broadcast along the lanes), so that two of its steps read one 32-bit
/// word; the other input (V) walks the lanes along its innermost dimension.
/// Such blocks take two reduction steps at a time (Bf16PairContractToDots).
static std::optional<unsigned> getBf16PairLoop(linalg::LinalgOp op) {
  if (!isContraction(op) || op.getNumReductionLoops() != 1)
    return std::nullopt;
  std::optional<unsigned> lane = getOutputLoops(op).lane;
  SmallVector<unsigned> reductions;
  op.getReductionDims(reductions);
  unsigned reduction = reductions.front();
  if (!lane || op.getStaticLoopRanges()[reduction] % 2 != 0)
    return std::nullopt;
  auto innermostIs = [](AffineMap map, unsigned loop) {
    if (map.getNumResults() == 0)
      return false;
    auto dim = dyn_cast<AffineDimExpr>(map.getResults().back());
    return dim && dim.getPosition() == loop;
  };
  bool broadcastFound = false, lanesFound = false;
  for (OpOperand *input : op.getDpsInputOperands()) {
    if (!getElementTypeOrSelf(input->get().getType()).isBF16())
      return std::nullopt;
    AffineMap map = op.getMatchingIndexingMap(input);
    if (!map.isFunctionOfDim(*lane))
      broadcastFound |= innermostIs(map, reduction);
    else
      lanesFound |= innermostIs(map, *lane);
  }
  if (!broadcastFound || !lanesFound)
    return std::nullopt;
  return reduction;
}

/// The lanes of the vectors that register blocks `width` lanes wide are
/// built from: the target's (`nativeLanes`), or half of it, down to 8 lanes,
/// where `width` is not a multiple of it (24 or 12 heads with 16-lane
/// AVX-512 vectors).
static int64_t getBlockVectorLanes(int64_t width, int64_t nativeLanes) {
  while (nativeLanes > 8 && width % nativeLanes != 0)
    nativeLanes /= 2;
  return nativeLanes;
}

/// The loop of a reduction (not a contraction) along its first input's
/// contiguous dimension, such as the row max and sum of a decode tile's
/// [rows, keys] scores: its tiles take whole rows, reduced within the row.
std::optional<unsigned> getRowReductionLoop(linalg::LinalgOp op) {
  if (isContraction(op) || op.getNumDpsInputs() == 0)
    return std::nullopt;
  AffineMap first = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  if (first.getNumResults() == 0)
    return std::nullopt;
  auto inner = dyn_cast<AffineDimExpr>(first.getResults().back());
  if (!inner || op.getIteratorTypesArray()[inner.getPosition()] !=
                    utils::IteratorType::reduction)
    return std::nullopt;
  return inner.getPosition();
}

/// The loop of an elementwise op (a transposed copy of a weight) that walks
/// its input's contiguous dimension where that is not the loop of the
/// output's: tiled along both, such an op reads and writes square blocks of
/// contiguous rows, transposed in registers, instead of columns of strided
/// scalars.
static std::optional<unsigned> getTransposedReadLoop(linalg::LinalgOp op,
                                                     unsigned laneLoop) {
  if (op.getNumDpsInputs() != 1 || op.getNumReductionLoops() != 0)
    return std::nullopt;
  OpOperand *input = op.getDpsInputOperand(0);
  AffineMap map = op.getMatchingIndexingMap(input);
  if (map.getNumResults() == 0 || !map.isProjectedPermutation())
    return std::nullopt;
  unsigned inner = cast<AffineDimExpr>(map.getResults().back()).getPosition();
  if (inner == laneLoop)
    return std::nullopt;
  return inner;
}

/// Tile sizes for `op`: register blocks for contractions, whole reductions
/// for dot products, rows otherwise. Where a contraction's lanes are more
/// than a native vector but not a multiple of one (12 heads), or its block
/// rows do not divide its rows, `split` (if given) receives the point after
/// the last whole native vector or block, and the sizes are those of the
/// first part; without `split` the blocks shrink until they divide.
static SmallVector<int64_t> chooseTileSizes(linalg::LinalgOp op,
                                            const RegisterTileConfig &config,
                                            std::optional<BlockSplit> *split) {
  int64_t rows = config.rows, lanes = config.lanes,
          nativeLanes = config.nativeLanes;
  bool bf16Pairs = config.bf16Pairs;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  unsigned numLoops = ranges.size();
  SmallVector<int64_t> sizes(numLoops, 1);
  auto [laneLoop, rowLoop] = getOutputLoops(op);
  bool contraction = isContraction(op);
  // Contractions whose lanes are not a multiple of the native vector take
  // the blocks of narrower vectors: 4 x 24 blocks of 8-lane vectors rather
  // than a 16 + 8 split, whose two parts would each broadcast every row.
  if (contraction && laneLoop) {
    int64_t vectorLanes = getBlockVectorLanes(ranges[*laneLoop], nativeLanes);
    lanes = std::max<int64_t>(lanes / (nativeLanes / vectorLanes), 1);
    nativeLanes = vectorLanes;
  }
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
    sizes[*laneLoop] = contraction
                           ? chooseLaneTile(ranges[*laneLoop], blockLanes,
                                            nativeLanes)
                           : std::min(kMaxRowLanes, ranges[*laneLoop]);
  // Transposed copies: square blocks of one machine vector a side.
  if (!contraction && laneLoop)
    if (std::optional<unsigned> inner = getTransposedReadLoop(op, *laneLoop)) {
      sizes[*laneLoop] = std::min(nativeLanes, ranges[*laneLoop]);
      sizes[*inner] = std::min(nativeLanes, ranges[*inner]);
    }
  // Reductions along their input's contiguous rows (the row max and sum of
  // a decode tile's [rows, keys] scores): whole rows, one at a time, rather
  // than columns of strided scalars.
  if (std::optional<unsigned> reduced = getRowReductionLoop(op)) {
    sizes.assign(numLoops, 1);
    sizes[*reduced] = std::min(kMaxRowLanes, ranges[*reduced]);
  }
  bool dot = contraction && isDotContraction(op);
  if (split && contraction && !dot && laneLoop && nativeLanes > 0 &&
      sizes[*laneLoop] < nativeLanes && ranges[*laneLoop] > nativeLanes &&
      ranges[*laneLoop] % nativeLanes != 0) {
    *split = BlockSplit{*laneLoop,
                        ranges[*laneLoop] / nativeLanes * nativeLanes};
    return sizes;
  }
  // Narrower blocks take more rows, so that a block keeps about
  // rows x lanes accumulators.
  if (contraction && rowLoop) {
    int64_t blockRows = rows;
    if (laneLoop && sizes[*laneLoop] != lanes)
      blockRows = rows * lanes / std::max<int64_t>(sizes[*laneLoop], 1);
    sizes[*rowLoop] = std::min({blockRows, 2 * rows, ranges[*rowLoop]});
  }
  // Dot products: one output row at a time, all lanes, whole reductions.
  if (dot) {
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
  // With bf16 dot products, blocks over bf16 key pairs take a pair a step.
  if (bf16Pairs)
    if (std::optional<unsigned> pairs = getBf16PairLoop(op))
      sizes[*pairs] = 2;
  // Register blocks must divide the loop so that every tile is static.
  if (split && contraction && !dot && rowLoop &&
      ranges[*rowLoop] % sizes[*rowLoop] != 0 &&
      ranges[*rowLoop] > sizes[*rowLoop])
    *split = BlockSplit{*rowLoop,
                      ranges[*rowLoop] / sizes[*rowLoop] * sizes[*rowLoop]};
  // A vector of i1 is bit-packed in LLVM's memory model, but a bufferized
  // i1 tensor holds a byte per element: boolean operands (masks, compare
  // results) are read and written one element at a time along their
  // contiguous dimension, as are other types narrower than a byte.
  for (OpOperand &operand : op->getOpOperands()) {
    AffineMap map = op.getMatchingIndexingMap(&operand);
    Type element = getElementTypeOrSelf(operand.get().getType());
    if (!element.isIntOrFloat() || element.getIntOrFloatBitWidth() % 8 == 0 ||
        map.getNumResults() == 0)
      continue;
    if (auto inner = dyn_cast<AffineDimExpr>(map.getResults().back()))
      sizes[inner.getPosition()] = 1;
  }
  for (unsigned i = 0; i < numLoops; ++i)
    while (ranges[i] % sizes[i] != 0 &&
           !(split && *split && i == (*split)->loop))
      --sizes[i];
  return sizes;
}


RegisterTiles chooseRegisterTiles(linalg::LinalgOp op,
                                  const RegisterTileConfig &config) {
  RegisterTiles tiles;
  tiles.sizes = chooseTileSizes(op, config, &tiles.split);
  return tiles;
}

SmallVector<int64_t> chooseDividingTileSizes(linalg::LinalgOp op,
                                             const RegisterTileConfig &config) {
  return chooseTileSizes(op, config, /*split=*/nullptr);
}

/// Splits a contraction, with upstream linalg::splitOp, into parts of whole
/// register blocks: its lanes into whole native vectors and the remainder
/// (12 heads: 8 + 4, the 8 in full-width vectors rather than all 12 in
/// 4-lane ones), then its rows into whole blocks and the remainder (64
/// keys, 128 heads in blocks of 6: most rows in blocks of `rows` x `lanes`
/// accumulators rather than all in smaller blocks that divide, 4 x 16, whose
/// 8 FMA chains just cover the FMA latency).
void splitToWholeBlocks(RewriterBase &rewriter, linalg::LinalgOp op,
                        const RegisterTileConfig &config,
                        ArrayRef<unsigned> secondAlong,
                        SmallVectorImpl<BlockPart> &parts) {
  std::optional<BlockSplit> split = chooseRegisterTiles(op, config).split;
  if (!split) {
    parts.push_back({op, llvm::to_vector(secondAlong)});
    return;
  }
  rewriter.setInsertionPoint(op);
  auto [first, second] =
      linalg::splitOp(rewriter, cast<TilingInterface>(op.getOperation()),
                      split->loop, rewriter.getIndexAttr(split->point));
  if (!first || !second) {
    parts.push_back({op, llvm::to_vector(secondAlong)});
    return;
  }
  splitToWholeBlocks(rewriter, cast<linalg::LinalgOp>(first.getOperation()),
                     config, secondAlong, parts);
  SmallVector<unsigned> secondSide = llvm::to_vector(secondAlong);
  secondSide.push_back(split->loop);
  splitToWholeBlocks(rewriter, cast<linalg::LinalgOp>(second.getOperation()),
                     config, secondSide, parts);
}

/// Whether `sizes` tile a contraction `op` to register blocks whose width
/// (the output's innermost dimension) is not a power of two.
bool isNonPowerOfTwoLaneBlock(linalg::LinalgOp op, ArrayRef<int64_t> sizes) {
  std::optional<unsigned> lane = getOutputLoops(op).lane;
  return isContraction(op) && lane && !llvm::isPowerOf2_64(sizes[*lane]);
}

/// Unrolls the vector ops of register blocks whose width is a multiple of
/// the native vector but not a power of two (chooseLaneTile) to one row and
/// one native vector: a 4x24 block becomes twelve 1x8 contracts, row by row,
/// with their accumulator reads and writes, which
/// loop-invariant-subset-hoisting then keeps as twelve loop-carried vectors
/// that LLVM holds in registers (4x8 pieces, with the four broadcasts live
/// at once, spilled one accumulator every step).
void unrollLaneBlocks(ArrayRef<Operation *> blockLoops, int64_t nativeLanes) {
  if (blockLoops.empty())
    return;
  auto nativeShape =
      [nativeLanes](Operation *op) -> std::optional<SmallVector<int64_t>> {
    auto unrollable = dyn_cast<VectorUnrollOpInterface>(op);
    if (!unrollable)
      return std::nullopt;
    std::optional<SmallVector<int64_t>> shape = unrollable.getShapeForUnroll();
    if (!shape || shape->empty())
      return std::nullopt;
    // The lane dimension: the result's innermost (for a contract, the
    // iteration dimension that indexes it).
    unsigned laneDim = shape->size() - 1;
    if (auto contract = dyn_cast<vector::ContractionOp>(op)) {
      AffineMap resultMap = contract.getIndexingMapsArray().back();
      auto dim = dyn_cast<AffineDimExpr>(resultMap.getResults().back());
      if (!dim)
        return std::nullopt;
      laneDim = dim.getPosition();
    }
    // Pieces of the vectors chooseTileSizes built the block from.
    int64_t width = (*shape)[laneDim];
    int64_t piece = getBlockVectorLanes(width, nativeLanes);
    if (width <= piece || width % piece != 0 || llvm::isPowerOf2_64(width))
      return std::nullopt;
    SmallVector<int64_t> native(shape->size(), 1);
    native[laneDim] = piece;
    if (auto contract = dyn_cast<vector::ContractionOp>(op))
      for (auto [i, type] : llvm::enumerate(contract.getIteratorTypesArray()))
        if (type == vector::IteratorType::reduction)
          native[i] = (*shape)[i];
    return native;
  };
  MLIRContext *ctx = blockLoops.front()->getContext();
  RewritePatternSet patterns(ctx);
  vector::populateVectorUnrollPatterns(
      patterns, vector::UnrollVectorOptions().setNativeShapeFn(nativeShape));
  vector::populateVectorToVectorCanonicalizationPatterns(patterns);
  SmallVector<Operation *> ops;
  for (Operation *loop : blockLoops)
    loop->walk([&](Operation *op) {
      if (op != loop)
        ops.push_back(op);
    });
  (void)applyOpPatternsGreedily(
      ops, std::move(patterns),
      GreedyRewriteConfig().setStrictness(
          GreedyRewriteStrictness::ExistingAndNewOps));
}

} // namespace mlir::attn
