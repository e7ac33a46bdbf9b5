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
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"

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

/// A point along loop `loop` where a contraction is split in two so that
/// each part has whole register blocks (splitToWholeBlocks).
struct BlockSplit {
  unsigned loop;
  int64_t point;
};

/// Whether `op` is a contraction: two inputs and a reduction loop.
static bool isContraction(linalg::LinalgOp op) {
  return op.getNumReductionLoops() != 0 && op.getNumDpsInputs() == 2;
}

/// The loops of `op`'s register blocks: the one that walks the output's
/// innermost dimension (the vector lanes) and the one that walks the
/// innermost dimension before it with more than one iteration (the rows).
struct OutputLoops {
  std::optional<unsigned> lane, row;
};
static OutputLoops getOutputLoops(linalg::LinalgOp op) {
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
static std::optional<unsigned> getRowReductionLoop(linalg::LinalgOp op) {
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
static SmallVector<int64_t> chooseTileSizes(linalg::LinalgOp op, int64_t rows,
                                            int64_t lanes, int64_t nativeLanes,
                                            bool bf16Pairs,
                                            std::optional<BlockSplit> *split =
                                                nullptr) {
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

/// A part of a contraction after splitToWholeBlocks, and the split loops
/// along which it is the second part: an input that one of those loops does
/// not index is also read, whole, by the first part of that split.
struct BlockPart {
  linalg::LinalgOp op;
  SmallVector<unsigned> secondAlong;
};

/// Splits a contraction, with upstream linalg::splitOp, into parts of whole
/// register blocks: its lanes into whole native vectors and the remainder
/// (12 heads: 8 + 4, the 8 in full-width vectors rather than all 12 in
/// 4-lane ones), then its rows into whole blocks and the remainder (64
/// keys, 128 heads in blocks of 6: most rows in blocks of `rows` x `lanes`
/// accumulators rather than all in smaller blocks that divide, 4 x 16, whose
/// 8 FMA chains just cover the FMA latency).
static void splitToWholeBlocks(RewriterBase &rewriter, linalg::LinalgOp op,
                               int64_t rows, int64_t lanes,
                               int64_t nativeLanes, bool bf16Pairs,
                               ArrayRef<unsigned> secondAlong,
                               SmallVector<BlockPart> &parts) {
  std::optional<BlockSplit> split;
  (void)chooseTileSizes(op, rows, lanes, nativeLanes, bf16Pairs, &split);
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
                     rows, lanes, nativeLanes, bf16Pairs, secondAlong, parts);
  SmallVector<unsigned> secondSide = llvm::to_vector(secondAlong);
  secondSide.push_back(split->loop);
  splitToWholeBlocks(rewriter, cast<linalg::LinalgOp>(second.getOperation()),
                     rows, lanes, nativeLanes, bf16Pairs, secondSide, parts);
}

/// Whether `sizes` tile a contraction `op` to register blocks whose width
/// (the output's innermost dimension) is not a power of two.
static bool isNonPowerOfTwoLaneBlock(linalg::LinalgOp op,
                                     ArrayRef<int64_t> sizes) {
  std::optional<unsigned> lane = getOutputLoops(op).lane;
  return isContraction(op) && lane && !llvm::isPowerOf2_64(sizes[*lane]);
}

/// Whether `reduction` sums along the innermost dimension alone,
/// `multi_reduction<add>(x, acc) [last]`, of a fixed-size vector.
static bool isInnermostSum(vector::MultiDimReductionOp reduction) {
  VectorType type = reduction.getSourceVectorType();
  return reduction.getKind() == vector::CombiningKind::ADD &&
         !type.isScalable() && reduction.getReductionDims().size() == 1 &&
         reduction.getReductionDims()[0] == type.getRank() - 1;
}

/// The product `a * b` of a dot product along the innermost dimension,
/// `multi_reduction<add>(a * b, acc) [last]`, or null.
static arith::MulFOp getRowDotProduct(vector::MultiDimReductionOp reduction) {
  if (!isInnermostSum(reduction))
    return nullptr;
  return reduction.getSource().getDefiningOp<arith::MulFOp>();
}

namespace {
/// Dot products along the innermost dimension,
/// `multi_reduction<add>(a * b, acc) [last]` over rows of N elements, become
/// FMAs into `lanes`-wide partial sums, chunk by chunk for all rows at once,
/// and the horizontal sums of the rows at the end (MultiRowHorizontalSums):
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
      : OpRewritePattern(ctx, /*benefit=*/3), lanes(lanes) {}

  LogicalResult matchAndRewrite(vector::MultiDimReductionOp reduction,
                                PatternRewriter &rewriter) const override {
    arith::MulFOp mul = getRowDotProduct(reduction);
    VectorType type = reduction.getSourceVectorType();
    int64_t rank = type.getRank();
    int64_t size = type.getShape().back();
    if (!mul || lanes <= 0 || size <= lanes || size % lanes != 0)
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

/// The bf16 operand of `v = arith.extf`, or null where `v` is not widened
/// from bf16 by an extf of its own.
static Value getWidenedBf16(Value v) {
  auto ext = v.getDefiningOp<arith::ExtFOp>();
  if (!ext || !getElementTypeOrSelf(ext.getIn().getType()).isBF16())
    return Value();
  return ext.getIn();
}

/// Whether `v` is a bf16 vector widened to f32, through the broadcasts and
/// transposes that the vectorizer puts between a read and its use.
static bool widensBf16(Value v) {
  if (getWidenedBf16(v))
    return true;
  Operation *def = v.getDefiningOp();
  if (isa_and_present<vector::BroadcastOp, vector::TransposeOp>(def))
    return widensBf16(def->getOperand(0));
  return false;
}

/// Elements [offset, offset + size) of row `row` of the 2-D vector `rows`.
static Value extractRowSlice(PatternRewriter &rewriter, Location loc,
                             Value rows, int64_t row, int64_t offset,
                             int64_t size) {
  Value whole = vector::ExtractOp::create(rewriter, loc, rows, row);
  return vector::ExtractStridedSliceOp::create(
      rewriter, loc, whole, ArrayRef<int64_t>{offset}, ArrayRef<int64_t>{size},
      ArrayRef<int64_t>{1});
}

/// The bf16 vector that `v` widens (widensBf16), with the same broadcasts
/// and transposes applied to it.
static Value getBf16Source(PatternRewriter &rewriter, Value v) {
  if (Value widened = getWidenedBf16(v))
    return widened;
  Operation *def = v.getDefiningOp();
  Value source = getBf16Source(rewriter, def->getOperand(0));
  if (auto transpose = dyn_cast<vector::TransposeOp>(def))
    return vector::TransposeOp::create(rewriter, def->getLoc(), source,
                                       transpose.getPermutation());
  auto type = cast<VectorType>(v.getType());
  return vector::BroadcastOp::create(
      rewriter, def->getLoc(),
      type.clone(rewriter.getBF16Type()), source);
}

namespace {
/// Dot products of two bf16 rows widened to f32 (decode scores of bf16
/// queries against bf16 keys, with attn-flash-lowering's `bf16-dot`),
/// `multi_reduction<add>(extf(a) * extf(b), acc) [last]`, multiply the bf16
/// pairs with x86vector.avx512.dot (vdpbf16ps) into `lanes`-wide f32
/// partial sums, chunk by chunk for all rows at once, and end with the
/// horizontal sums of the rows (MultiRowHorizontalSums):
///
///   p_r = dot(0, a[r, 0:2L], b[r, 0:2L]); p_r = dot(p_r, a[r, 2L:4L], ...)
///   multi_reduction<add>(p, acc) [last]
///
/// One instruction per 2L products and no widening, where FMAs take one per
/// L products and two more instructions per operand to widen. bf16 products
/// are exact in f32; the summation order changes as with the FMAs.
struct DotReductionToBf16Dots
    : public OpRewritePattern<vector::MultiDimReductionOp> {
  // Ahead of DotReductionToFMAs.
  DotReductionToBf16Dots(MLIRContext *ctx, int64_t lanes)
      : OpRewritePattern(ctx, /*benefit=*/4), lanes(lanes) {}

  LogicalResult matchAndRewrite(vector::MultiDimReductionOp reduction,
                                PatternRewriter &rewriter) const override {
    arith::MulFOp mul = getRowDotProduct(reduction);
    VectorType type = reduction.getSourceVectorType();
    // vdpbf16ps takes 4, 8 or 16 f32 lanes (xmm, ymm, zmm).
    int64_t size = type.getShape().back();
    if (!mul || !type.getElementType().isF32() ||
        (lanes != 4 && lanes != 8 && lanes != 16) || size % (2 * lanes) != 0 ||
        !widensBf16(mul.getLhs()) || !widensBf16(mul.getRhs()))
      return failure();
    Location loc = reduction.getLoc();
    ArrayRef<int64_t> rowShape = type.getShape().drop_back();
    int64_t numRows = ShapedType::getNumElements(rowShape);
    auto rowsType = VectorType::get({numRows, size}, rewriter.getBF16Type());
    Value lhs = vector::ShapeCastOp::create(
        rewriter, loc, rowsType, getBf16Source(rewriter, mul.getLhs()));
    Value rhs = vector::ShapeCastOp::create(
        rewriter, loc, rowsType, getBf16Source(rewriter, mul.getRhs()));
    auto partialType = VectorType::get({lanes}, rewriter.getF32Type());
    Value zero = arith::ConstantOp::create(
        rewriter, loc, rewriter.getZeroAttr(partialType));
    SmallVector<Value> partials(numRows, zero);
    for (int64_t offset = 0; offset < size; offset += 2 * lanes) {
      for (int64_t row = 0; row < numRows; ++row) {
        auto chunk = [&](Value rows) {
          return extractRowSlice(rewriter, loc, rows, row, offset, 2 * lanes);
        };
        partials[row] = x86vector::DotBF16Op::create(
            rewriter, loc, partialType, partials[row], chunk(lhs), chunk(rhs));
      }
    }
    SmallVector<int64_t> partialShape(rowShape);
    partialShape.push_back(lanes);
    Value all = arith::ConstantOp::create(
        rewriter, loc,
        rewriter.getZeroAttr(VectorType::get({numRows, lanes},
                                             rewriter.getF32Type())));
    for (auto [row, partial] : llvm::enumerate(partials))
      all = vector::InsertOp::create(rewriter, loc, partial, all,
                                     static_cast<int64_t>(row));
    all = vector::ShapeCastOp::create(
        rewriter, loc, VectorType::get(partialShape, rewriter.getF32Type()),
        all);
    rewriter.replaceOpWithNewOp<vector::MultiDimReductionOp>(
        reduction, all, reduction.getAcc(), reduction.getReductionMask(),
        vector::CombiningKind::ADD);
    return success();
  }

  int64_t lanes;
};
} // namespace

namespace {
/// The horizontal sums that end the dot products above,
/// `multi_reduction<add>(p, acc) [last]` over R rows (R > 1) of f32 partial
/// sums, computed for four rows at a time by a transposing tree of in-lane
/// shuffles and adds, instead of one horizontal sum per row:
///
///   ab = shuffle(a, b, even pairs) + shuffle(a, b, odd pairs)   (each
///   128-bit lane: a01 a23 b01 b23), cd likewise, abcd likewise (a b c d),
///   then the 128-bit lanes added together.
///
/// After each row is folded to `nativeLanes`, x86 takes 5 instructions for
/// 4 rows of 8 lanes (3 vhaddps, an extract and an add), where one
/// horizontal sum per row takes 5 and packing the 4 sums another 3: a GQA
/// decode score tile pays this per key. Rows beyond a multiple of 4 are
/// padded with zeros. The summation order changes as under LLVM's
/// reassociation of a reduction.
struct MultiRowHorizontalSums
    : public OpRewritePattern<vector::MultiDimReductionOp> {
  // After the dot-product patterns, ahead of the upstream lowering.
  MultiRowHorizontalSums(MLIRContext *ctx, int64_t nativeLanes)
      : OpRewritePattern(ctx, /*benefit=*/2), nativeLanes(nativeLanes) {}

  LogicalResult matchAndRewrite(vector::MultiDimReductionOp reduction,
                                PatternRewriter &rewriter) const override {
    VectorType type = reduction.getSourceVectorType();
    if (!isInnermostSum(reduction) || !type.getElementType().isF32() ||
        type.getRank() < 2)
      return failure();
    int64_t size = type.getShape().back();
    int64_t numRows = type.getNumElements() / size;
    // Fold each row to the native width where it divides the row, else to
    // the row; the shuffles work on 128-bit lanes of 4, and both folds
    // halve, so rows of 12 or 24 lanes are left to the upstream lowering.
    int64_t width = size % nativeLanes == 0 ? nativeLanes : size;
    if (numRows < 2 || width % 4 != 0 || !llvm::isPowerOf2_64(width / 4) ||
        !llvm::isPowerOf2_64(size / width))
      return failure();

    Location loc = reduction.getLoc();
    Type f32 = rewriter.getF32Type();
    auto widthType = VectorType::get({width}, f32);
    Value rowsValue = vector::ShapeCastOp::create(
        rewriter, loc, VectorType::get({numRows, size}, f32),
        reduction.getSource());
    SmallVector<Value> rows;
    for (int64_t row = 0; row < numRows; ++row) {
      Value v = vector::ExtractOp::create(rewriter, loc, rowsValue, row);
      v = foldHalves(rewriter, loc, v, width);
      rows.push_back(v);
    }
    Value zero = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getZeroAttr(widthType));
    while (rows.size() % 4 != 0)
      rows.push_back(zero);

    // Each group of four rows becomes one vector<4> of their sums.
    int64_t padded = rows.size();
    Value sums = arith::ConstantOp::create(
        rewriter, loc,
        rewriter.getZeroAttr(VectorType::get({padded}, f32)));
    for (int64_t group = 0; group < padded; group += 4) {
      Value ab = addPairs(rewriter, loc, rows[group], rows[group + 1]);
      Value cd = addPairs(rewriter, loc, rows[group + 2], rows[group + 3]);
      Value abcd = foldHalves(rewriter, loc, addPairs(rewriter, loc, ab, cd), 4);
      sums = vector::InsertStridedSliceOp::create(
          rewriter, loc, abcd, sums, ArrayRef<int64_t>{group},
          ArrayRef<int64_t>{1});
    }
    if (padded != numRows)
      sums = vector::ExtractStridedSliceOp::create(
          rewriter, loc, sums, ArrayRef<int64_t>{0},
          ArrayRef<int64_t>{numRows}, ArrayRef<int64_t>{1});
    Value result = vector::ShapeCastOp::create(
        rewriter, loc, cast<VectorType>(reduction.getDestType()), sums);
    rewriter.replaceOpWithNewOp<arith::AddFOp>(reduction, result,
                                               reduction.getAcc());
    return success();
  }

  /// `v` with its upper half added to its lower half until it is `width`
  /// wide.
  static Value foldHalves(PatternRewriter &rewriter, Location loc, Value v,
                          int64_t width) {
    for (int64_t n = cast<VectorType>(v.getType()).getNumElements(); n > width;
         n /= 2) {
      auto half = [&](int64_t offset) -> Value {
        return vector::ExtractStridedSliceOp::create(
            rewriter, loc, v, ArrayRef<int64_t>{offset},
            ArrayRef<int64_t>{n / 2}, ArrayRef<int64_t>{1});
      };
      v = arith::AddFOp::create(rewriter, loc, half(0), half(n / 2));
    }
    return v;
  }

  /// In each 128-bit lane of 4: a0+a1, a2+a3, b0+b1, b2+b3 (vshufps twice
  /// and an add on x86).
  static Value addPairs(PatternRewriter &rewriter, Location loc, Value a,
                        Value b) {
    int64_t n = cast<VectorType>(a.getType()).getNumElements();
    SmallVector<int64_t> even, odd;
    for (int64_t lane = 0; lane < n; lane += 4)
      for (int64_t base : {lane, n + lane}) {
        even.append({base, base + 2});
        odd.append({base + 1, base + 3});
      }
    return arith::AddFOp::create(
        rewriter, loc, vector::ShuffleOp::create(rewriter, loc, a, b, even),
        vector::ShuffleOp::create(rewriter, loc, a, b, odd));
  }

  int64_t nativeLanes;
};

/// A register block over bf16 key pairs (getBf16PairLoop), the contract
///
///   acc[r, l] += sum_k extf(p[r, k]) * extf(v[k, l])   (k even)
///
/// becomes one x86vector.avx512.dot (vdpbf16ps) per key pair, row and
/// `lanes`-wide chunk of the row: the pair p[r, k:k+2] is one 32-bit word,
/// broadcast to every lane, and rows k and k+1 of v are interleaved, so that
/// each lane l holds the pair (v[k, l], v[k+1, l]):
///
///   acc[r, c] = dot(acc[r, c], broadcast(p[r, k:k+2] as i32),
///                   interleave(v[k, c], v[k + 1, c]))
///
/// One instruction per 2 x `lanes` products, where f32 FMAs take one per
/// `lanes` and two more per V vector to widen it. bf16 products are exact in
/// f32; each pair is summed before it is added to the accumulator.
struct Bf16PairContractToDots : public OpRewritePattern<vector::ContractionOp> {
  Bf16PairContractToDots(MLIRContext *ctx, int64_t lanes)
      : OpRewritePattern(ctx), lanes(lanes) {}

  LogicalResult matchAndRewrite(vector::ContractionOp contract,
                                PatternRewriter &rewriter) const override {
    auto accType = dyn_cast<VectorType>(contract.getAccType());
    Value pairs = getWidenedBf16(contract.getLhs());
    Value values = getWidenedBf16(contract.getRhs());
    if (contract.getKind() != vector::CombiningKind::ADD || !accType ||
        accType.getRank() != 2 || !accType.getElementType().isF32() ||
        !pairs || !values)
      return failure();
    // (r, l, k) -> (r, k), (k, l), (r, l).
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr r, l, k;
    bindDims(ctx, r, l, k);
    auto maps = contract.getIndexingMapsArray();
    if (maps[0] != AffineMap::get(3, 0, {r, k}, ctx) ||
        maps[1] != AffineMap::get(3, 0, {k, l}, ctx) ||
        maps[2] != AffineMap::get(3, 0, {r, l}, ctx))
      return failure();
    int64_t numRows = accType.getDimSize(0), width = accType.getDimSize(1);
    int64_t numKeys = cast<VectorType>(pairs.getType()).getDimSize(1);
    // vdpbf16ps takes 4, 8 or 16 f32 lanes (xmm, ymm, zmm).
    int64_t chunk = std::min(lanes, width);
    if ((chunk != 4 && chunk != 8 && chunk != 16) || width % chunk != 0 ||
        numKeys % 2 != 0)
      return failure();

    Location loc = contract.getLoc();
    Type bf16 = rewriter.getBF16Type(), i32 = rewriter.getI32Type();
    auto chunkType = VectorType::get({chunk}, rewriter.getF32Type());
    auto pairsType = VectorType::get({2 * chunk}, bf16);
    int64_t numChunks = width / chunk;
    SmallVector<Value> acc;
    for (int64_t row = 0; row < numRows; ++row)
      for (int64_t c = 0; c < numChunks; ++c)
        acc.push_back(extractRowSlice(rewriter, loc, contract.getAcc(), row,
                                      c * chunk, chunk));
    for (int64_t key = 0; key < numKeys; key += 2) {
      Value first = vector::ExtractOp::create(rewriter, loc, values, key);
      Value second = vector::ExtractOp::create(rewriter, loc, values, key + 1);
      SmallVector<Value> interleaved;
      for (int64_t c = 0; c < numChunks; ++c) {
        SmallVector<int64_t> mask;
        for (int64_t i = c * chunk; i < (c + 1) * chunk; ++i)
          mask.append({i, width + i});
        interleaved.push_back(
            vector::ShuffleOp::create(rewriter, loc, first, second, mask));
      }
      for (int64_t row = 0; row < numRows; ++row) {
        Value pair = extractRowSlice(rewriter, loc, pairs, row, key, 2);
        Value word = vector::BitCastOp::create(
            rewriter, loc, VectorType::get({1}, i32), pair);
        Value broadcast = vector::BroadcastOp::create(
            rewriter, loc, VectorType::get({chunk}, i32), word);
        broadcast = vector::BitCastOp::create(rewriter, loc, pairsType,
                                              broadcast);
        for (int64_t c = 0; c < numChunks; ++c) {
          Value &sum = acc[row * numChunks + c];
          sum = x86vector::DotBF16Op::create(rewriter, loc, chunkType, sum,
                                             broadcast, interleaved[c]);
        }
      }
    }
    Value result = contract.getAcc();
    for (int64_t row = 0; row < numRows; ++row) {
      Value accRow = vector::ExtractOp::create(rewriter, loc, result, row);
      for (int64_t c = 0; c < numChunks; ++c)
        accRow = vector::InsertStridedSliceOp::create(
            rewriter, loc, acc[row * numChunks + c], accRow,
            ArrayRef<int64_t>{c * chunk}, ArrayRef<int64_t>{1});
      result = vector::InsertOp::create(rewriter, loc, accRow, result, row);
    }
    rewriter.replaceOp(contract, result);
    return success();
  }

  int64_t lanes;
};
} // namespace

/// Whether the register tiles of `op` (tile `sizes`) read each element of
/// `input` once: every loop that does not index it (the lanes of a score
/// block for its K, the rows of a P.V block for its V) has one tile. A K/V
/// tile that several register tiles share (MLA's 128 absorbed heads) is
/// read from cache after the first, and prefetching it again for each would
/// only take load slots from the compute.
static bool readsTileOnce(linalg::LinalgOp op, ArrayRef<int64_t> sizes,
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
                            PrefetchTarget target,
                            DenseMap<Value, Value> &buffers) {
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

/// Unrolls the vector ops of register blocks whose width is a multiple of
/// the native vector but not a power of two (chooseLaneTile) to one row and
/// one native vector: a 4x24 block becomes twelve 1x8 contracts, row by row,
/// with their accumulator reads and writes, which
/// loop-invariant-subset-hoisting then keeps as twelve loop-carried vectors
/// that LLVM holds in registers (4x8 pieces, with the four broadcasts live
/// at once, spilled one accumulator every step).
static void unrollLaneBlocks(ArrayRef<Operation *> blockLoops,
                             int64_t nativeLanes) {
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

/// An input of a contraction that attn-flash-lowering marked as streamed:
/// the key tile slice it reads and the dimension of the slice's source that
/// the key loop walks (kStreamedKeyTileAttrName); a null `keyTile` for an
/// input that is not streamed or not to be prefetched.
struct StreamedInput {
  tensor::ExtractSliceOp keyTile;
  int64_t dim = -1;
};

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

/// Prefetches, next to a dot-product score tile's key row `keyRow` (a
/// [1, ..., row] slice of the key tile `keys`), the same row of `values`'
/// next tile into L2 and of its own tile into L1: the V rows the key step's
/// P.V reads. P.V blocks read half a cache line of a row per step, so
/// prefetching from them would prefetch every line twice and add a clamp to
/// each step of the P.V loop. The L1 prefetch costs 4 instructions per key
/// and saves the P.V's column blocks from waiting on L2.
/// Returns false, prefetching nothing, where the slices do not have the
/// shape this needs (rows along the key dimension, one row per key).
static bool prefetchValueRow(RewriterBase &rewriter, Value keyRow,
                             StreamedInput keys, StreamedInput values,
                             DenseMap<Value, Value> &buffers) {
  auto row = keyRow.getDefiningOp<tensor::ExtractSliceOp>();
  if (!row || row.getSource() != keys.keyTile.getResult())
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
  // The value tile's position must be known where the score loop runs: a
  // P.V whose V slice is computed after the scores (GTA's value heads,
  // indexed apart from its key heads) is not prefetched from here.
  DominanceInfo dominance(row->getParentOfType<FunctionOpInterface>());
  for (Operation *slice = values.keyTile; slice;
       slice = slice->getOperand(0).getDefiningOp<tensor::ExtractSliceOp>())
    for (Value operand : slice->getOperands().drop_front())
      if (!dominance.properlyDominates(operand, row))
        return false;
  // One key row of the value tile: [1, ..., 1, E] at the key row's offset.
  int64_t rank = valueTile.getRank();
  SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes(rank, rewriter.getIndexAttr(1));
  SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
  offsets[*valueDim] = row.getMixedOffsets()[*keyDim];
  sizes.back() = rewriter.getIndexAttr(valueTile.getShape().back());
  for (int64_t d = 0; d + 1 < rank; ++d)
    if (d != *valueDim && valueTile.getDimSize(d) != 1)
      return false;
  auto valueRow = tensor::ExtractSliceOp::create(
      rewriter, row.getLoc(), values.keyTile.getResult(), offsets, sizes,
      strides);
  for (PrefetchTarget target :
       {PrefetchTarget::NextTileIntoL2, PrefetchTarget::ThisTileIntoL1})
    prefetchKeyTile(rewriter, valueRow.getResult(), values.keyTile,
                    values.dim, target, buffers);
  // Only its offsets were wanted.
  rewriter.eraseOp(valueRow);
  return true;
}

namespace mlir::attn {
namespace {
struct AttnVectorizeTiles
    : public impl::AttnVectorizeTilesBase<AttnVectorizeTiles> {
  using Base::Base;

  /// Tiles `op` to register blocks and vectorizes each tile; prefetches the
  /// next tile of its streamed key tiles (`keyTiles`, per input); collects
  /// the dot-product reductions and the loops of blocks to unroll.
  LogicalResult tileAndVectorize(
      RewriterBase &rewriter, linalg::LinalgOp op,
      ArrayRef<StreamedInput> keyTiles,
      DenseMap<Value, Value> &buffers, SmallVector<Operation *> &dotReductions,
      SmallVector<Operation *> &wideBlockLoops,
      const StreamedInput &valuesWithKeys, bool &prefetchedValues) {
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<int64_t> sizes =
        chooseTileSizes(op, rows, lanes, nativeLanes, bf16Dot);
    rewriter.setInsertionPoint(op);
    scf::SCFTilingOptions options;
    options.setTileSizes(getAsIndexOpFoldResult(ctx, sizes));
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return op->emitError("attn-vectorize-tiles: tiling failed");
    // Classify before the op is replaced (and freed).
    // Dot products and row reductions reduce along a row: their reductions
    // are lowered to FMAs or vector.reduction below (a reduction tree), not
    // by the later multi-reduction lowering (a serial chain of scalars).
    bool dot = isDotContraction(op);
    bool reducesAlongRows = dot || getRowReductionLoop(op).has_value();
    bool wideBlock = isNonPowerOfTwoLaneBlock(op, sizes);
    SmallVector<bool> prefetchInput;
    for (OpOperand *input : op.getDpsInputOperands())
      prefetchInput.push_back(readsTileOnce(op, sizes, *input));
    rewriter.replaceOp(op, tiled->replacements);
    for (Operation *tiledOp : tiled->tiledOps) {
      if (wideBlock)
        wideBlockLoops.push_back(tiledOp->getParentOp());
      rewriter.setInsertionPoint(tiledOp);
      for (auto [input, streamed, once] :
           llvm::zip(cast<linalg::LinalgOp>(tiledOp).getDpsInputOperands(),
                     keyTiles, prefetchInput))
        if (streamed.keyTile && once) {
          prefetchKeyTile(rewriter, input->get(), streamed.keyTile,
                          streamed.dim, PrefetchTarget::NextTileIntoL2,
                          buffers);
          if (valuesWithKeys.keyTile && dot &&
              prefetchValueRow(rewriter, input->get(), streamed,
                               valuesWithKeys, buffers))
            prefetchedValues = true;
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
      if (reducesAlongRows)
        for (Value v : vectorized->replacements)
          if (Operation *def = v.getDefiningOp())
            def->getParentRegion()->walk([&](vector::MultiDimReductionOp r) {
              dotReductions.push_back(r);
            });
    }
    return success();
  }

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    if (rows < 1 || lanes < 1 || nativeLanes < 1) {
      // A bad option, not bad IR: report it at the input, not on an op.
      emitError(getOperation()->getLoc())
          << "attn-vectorize-tiles: rows, lanes and native-lanes must be "
             "positive, got rows="
          << static_cast<int64_t>(rows) << " lanes=" << static_cast<int64_t>(lanes)
          << " native-lanes=" << static_cast<int64_t>(nativeLanes);
      return signalPassFailure();
    }
    // Machine vectors: attn-cpu-pipeline's vector-bits / 32.
    if (!llvm::isPowerOf2_64(nativeLanes)) {
      emitError(getOperation()->getLoc())
          << "attn-vectorize-tiles: native-lanes must be a power of two (the "
             "f32 lanes of a machine vector), got "
          << static_cast<int64_t>(nativeLanes);
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && op.getNumDpsInits() == 1 &&
          !op.hasDynamicShape() && op.getNumLoops() > 0)
        ops.push_back(op);
    });
    IRRewriter rewriter(ctx);
    SmallVector<Operation *> dotReductions;
    SmallVector<Operation *> wideBlockLoops;
    DenseMap<Value, Value> buffers;
    llvm::SetVector<Operation *> vectorizedFunctions;
    // The streamed key tiles of `op`, recorded before it is split or tiled:
    // per input, the key tile slice and the dimension its loop walks.
    auto getStreamedInputs = [&](linalg::LinalgOp op) {
      SmallVector<StreamedInput> keyTiles;
      auto streamed =
          op->getAttrOfType<DenseI64ArrayAttr>(kStreamedKeyTileAttrName);
      for (auto [i, input] : llvm::enumerate(op.getDpsInputOperands())) {
        int64_t dim =
            streamed && prefetch && static_cast<int64_t>(i) < streamed.size()
                ? streamed[i]
                : -1;
        auto keyTile = input->get().getDefiningOp<tensor::ExtractSliceOp>();
        keyTiles.push_back({dim >= 0 ? keyTile : nullptr, dim});
      }
      return keyTiles;
    };
    // The streamed V tile of the P.V that follows a dot-product score op in
    // its key step, and the P.V, for the score's key rows to prefetch with
    // theirs (prefetchValueRow).
    auto findValuesOfKeyStep =
        [&](linalg::LinalgOp scores) -> std::pair<StreamedInput, Operation *> {
      if (!isDotContraction(scores))
        return {};
      for (Operation *next = scores->getNextNode(); next;
           next = next->getNextNode()) {
        auto pv = dyn_cast<linalg::LinalgOp>(next);
        if (!pv || !pv->hasAttr(kStreamedKeyTileAttrName) ||
            !isContraction(pv) || isDotContraction(pv))
          continue;
        for (const StreamedInput &input : getStreamedInputs(pv))
          if (input.keyTile)
            return {input, next};
        return {};
      }
      return {};
    };
    // P.V ops whose V rows their score op prefetched.
    llvm::SmallPtrSet<Operation *, 8> valuesPrefetched;
    for (linalg::LinalgOp op : ops) {
      if (auto func = op->getParentOfType<FunctionOpInterface>())
        vectorizedFunctions.insert(func);
      SmallVector<StreamedInput> keyTiles = getStreamedInputs(op);
      if (valuesPrefetched.contains(op.getOperation()))
        keyTiles.assign(keyTiles.size(), StreamedInput());
      auto [valuesWithKeys, valuesOp] = findValuesOfKeyStep(op);
      // A second score contraction of the same key step (a latent and a
      // rope part) leaves the V rows to the first.
      if (valuesOp && valuesPrefetched.contains(valuesOp))
        valuesWithKeys = StreamedInput();
      SmallVector<BlockPart> parts;
      splitToWholeBlocks(rewriter, op, rows, lanes, nativeLanes, bf16Dot,
                         /*secondAlong=*/{}, parts);
      for (BlockPart &part : parts) {
        // Inputs that a part shares with an earlier one are prefetched by
        // the earlier one only.
        SmallVector<StreamedInput> partKeyTiles(
            keyTiles);
        for (auto [input, streamed] :
             llvm::zip(part.op.getDpsInputOperands(), partKeyTiles)) {
          AffineMap map = part.op.getMatchingIndexingMap(input);
          if (llvm::any_of(part.secondAlong, [&](unsigned loop) {
                return !map.isFunctionOfDim(loop);
              }))
            streamed = StreamedInput();
        }
        bool prefetchedValues = false;
        if (failed(tileAndVectorize(rewriter, part.op, partKeyTiles, buffers,
                                    dotReductions, wideBlockLoops,
                                    valuesWithKeys, prefetchedValues)))
          return signalPassFailure();
        if (prefetchedValues)
          valuesPrefetched.insert(valuesOp);
      }
    }

    // Dot products become FMAs along the row and horizontal sums of four rows
    // at a time: rewrite and lower their reductions before the patterns below
    // could make them contracts.
    RewritePatternSet dotPatterns(ctx);
    dotPatterns.add<DotReductionToFMAs>(ctx, lanes);
    if (bf16Dot)
      dotPatterns.add<DotReductionToBf16Dots>(ctx, std::min<int64_t>(nativeLanes, 16));
    dotPatterns.add<MultiRowHorizontalSums>(ctx, nativeLanes);
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
    unrollLaneBlocks(wideBlockLoops, nativeLanes);

    // Blocks over bf16 key pairs become bf16 dot-product instructions.
    if (bf16Dot) {
      RewritePatternSet pairPatterns(ctx);
      pairPatterns.add<Bf16PairContractToDots>(
          ctx, std::min<int64_t>(nativeLanes, 16));
      if (failed(
              applyPatternsGreedily(getOperation(), std::move(pairPatterns))))
        return signalPassFailure();
    }

    // x86 CPUs with AVX-512 prefer 256-bit vectors, and LLVM would split
    // each of the 512-bit vectors sized above in two.
    if (nativeLanes * 32 > 256) {
      auto width = StringAttr::get(ctx, std::to_string(nativeLanes * 32));
      for (Operation *func : vectorizedFunctions)
        func->setAttr("prefer_vector_width", width);
    }
  }
};
} // namespace
} // namespace mlir::attn
