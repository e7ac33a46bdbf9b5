//===- FlashLowering.cpp - attn.attention to a FlashAttention-2 loop ------===//
//
// For every batch point, every M index other than the query position, and
// every tile of queries (an scf.forall), loop over tiles of keys (an scf.for)
// keeping the running row max m, row sum l and accumulator acc:
//
//   s   = scale * sum_i q_i k_i^T (+ mask, -inf where hidden)
//   m'  = max(m, rowmax(s));  p = exp(s - m');  c = exp(m - m')
//   l'  = c l + rowsum(p);    acc' = c acc + p v
//
// and write acc / l (0 for a row with no visible key). Shapes are static, so
// every tile has a static size: full tiles, then one remainder tile.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/IR/CodegenDialect.h"
#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"
#include "attnc/Dialect/Attn/IR/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/Verifier.h"

#include <limits>
#include <numeric>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNFLASHLOWERING
#include "attnc/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// An operand of the attention with its indexing map.
struct MappedOperand {
  Value value;
  AffineMap map;
};

/// The online-softmax state carried across key tiles.
struct RowState {
  Value rowMax, rowSum, acc;
};

class FlashBuilder {
public:
  /// Lowers `op` as `config` (its target's choices) says.
  FlashBuilder(OpBuilder &b, AttentionOp op, codegen::FlashConfigAttr config);

  /// One query-position (M) and one key-position (K2) dimension are needed.
  static bool isSupported(AttentionOp op) {
    AttentionDims dims = op.getAttentionDims();
    return dims.queryPosDim && dims.getDimsWithRole(DimRole::K2).size() == 1;
  }

  /// The output, and the log-sum-exp when the op has one.
  SmallVector<Value> build();

private:
  int64_t extent(unsigned dim) const { return dims.extents[dim]; }

  /// The slice of `operand` at a point, query tile and key tile. Point
  /// dimensions (read at `index floordiv group` for grouped operands) are
  /// dropped, so that tile maps are plain projected permutations.
  Value slice(OpBuilder &b, const MappedOperand &operand, ArrayRef<Value> point,
              Value q0, int64_t qSize, Value k0, int64_t kSize);

  /// Map of an operand slice in `domain` (a list of op dims); point dims are
  /// not in the slice.
  AffineMap sliceMap(ArrayRef<unsigned> domain, const MappedOperand &operand) const;
  /// Whether `operand`'s slice drops op dimension `d`.
  bool dropsDim(const MappedOperand &operand, unsigned d) const;
  /// A query tile that holds every query of its point (decode) reads every
  /// key tile once, streaming K and V from memory: marks `contraction`'s
  /// input `input`, a K or V tile of `operand`, for attn-vectorize-tiles to
  /// prefetch the next tile (kStreamedKeyTileAttrName). Query tiles of a
  /// longer sequence share each K/V tile, which stays in cache.
  void markStreamed(Value contraction, unsigned input,
                    const MappedOperand &operand, int64_t qSize) const;
  /// Map of a tile-local tensor indexed by `tensorDims` in `domain`.
  AffineMap tileMap(ArrayRef<unsigned> domain, ArrayRef<unsigned> tensorDims) const;

  SmallVector<utils::IteratorType> iterators(ArrayRef<unsigned> domain,
                                             ArrayRef<unsigned> reduced) const;

  /// The row state of queries [q0, q0 + qSize) at `point` after every key
  /// tile they can see, or, with `split`, after split `split` of `numSplits`
  /// equal shares of those tiles (the last split also takes the remainder).
  RowState buildRowState(OpBuilder &b, ArrayRef<Value> point, Value q0,
                         int64_t qSize, Value split, int64_t numSplits);
  /// out = acc / l (0 for a row with no visible key) written into `outSlice`.
  Value buildNormalizedTile(OpBuilder &b, RowState state, int64_t qSize,
                            Value outSlice);
  /// This tile's slice of `forall`'s shared output.
  tensor::ExtractSliceOp sharedOutputSlice(OpBuilder &b, scf::ForallOp forall,
                                           ArrayRef<Value> point, Value q0,
                                           int64_t qSize);
  /// Normalises `state` into `outSlice` and inserts it back into `forall`'s
  /// shared output, and its log-sum-exp into the second shared output when
  /// the op has one; returns the forall's results.
  SmallVector<Value> insertNormalizedTile(OpBuilder &b, scf::ForallOp forall,
                                          ArrayRef<Value> point, Value q0,
                                          tensor::ExtractSliceOp outSlice,
                                          RowState state, int64_t qSize);
  /// lse = max + log(sum) (-inf for a row with no visible key) into `lseSlice`.
  Value buildLogSumExpTile(OpBuilder &b, RowState state, int64_t qSize,
                           Value lseSlice);
  /// Split-KV: partial states of `numSplits` key ranges in parallel, then a
  /// log-sum-exp merge per query tile.
  SmallVector<Value> buildSplitForall(OpBuilder &b, ValueRange outs,
                                      int64_t firstQuery, int64_t numTiles,
                                      int64_t qSize, int64_t numSplits);
  /// Bounds and induction values shared by both foralls of a query tiling.
  SmallVector<OpFoldResult> tileLoopBounds(OpBuilder &b, int64_t numTiles);
  std::pair<SmallVector<Value>, Value> tilePoint(OpBuilder &b, ValueRange ivs,
                                                 int64_t firstQuery,
                                                 int64_t qSize);
  /// Query tile i transposed, [K1_i..., q]: built once per query tile so that
  /// every key tile reads queries along contiguous rows.
  Value buildTransposedQuery(OpBuilder &b, unsigned i, ArrayRef<Value> point,
                             Value q0, int64_t qSize);
  /// One key tile [k0, k0 + kSize) folded into `state`.
  RowState buildKeyStep(OpBuilder &b, ArrayRef<Value> point,
                        ArrayRef<Value> transposedQueries, Value q0,
                        int64_t qSize, Value k0, int64_t kSize, Value length,
                        RowState state);
  /// Rows of a tile of `qSize` queries: one block of them per packed head.
  int64_t rowsOf(int64_t qSize) const { return group * qSize; }
  /// Tiles with fewer rows than the target's minimum (decode) compute
  /// scores as dot products along the head dimension, both operands read
  /// along contiguous rows; wider tiles as outer products over transposed
  /// queries.
  bool usesDotScores(int64_t qSize) const {
    return rowsOf(qSize) < minOuterProductRows;
  }
  /// One scf.forall over the point dims and `numTiles` query tiles of
  /// `qSize` queries starting at `firstQuery`, inserting into `outs` (the
  /// output and the optional log-sum-exp).
  SmallVector<Value> buildForall(OpBuilder &b, ValueRange outs,
                                 int64_t firstQuery, int64_t numTiles,
                                 int64_t qSize);

  AttentionOp op;
  Location loc;
  AttentionDims dims;
  int64_t queryTile, keyTile, kvSplits, minOuterProductRows;
  /// Streamed K/V tiles are marked for prefetch (markStreamed).
  bool prefetch;
  /// The target has a bf16 dot-product instruction: dot-product score tiles
  /// keep bf16 queries in bf16 against bf16 keys.
  bool bf16Dot;
  /// Probabilities against bf16 values are rounded to bf16, [queries, keys],
  /// for P.V in bf16 pairs (with bf16Dot).
  bool bf16Probabilities;
  Type f32;
  unsigned qDim, kDim;
  SmallVector<unsigned> pointDims, nDims;
  /// Head packing: the query heads that share one K/V head along `packDim`
  /// become `group` blocks of rows of one tile, so that K/V tiles are read
  /// once per group and the row dimension is wide enough for vectors.
  std::optional<unsigned> packDim;
  int64_t group = 1;
  SmallVector<MappedOperand> queries, keys;
  MappedOperand value, output;
  std::optional<MappedOperand> mask, lengths, logSumExp;
  /// Where the op sits in a larger attention (`positions(...)`): its first
  /// query and key there (null: 0), and that attention's extents, in which
  /// positional masks are taken.
  Value queryOrigin, keyOrigin;
  int64_t frameQueries, frameKeys;
};

} // namespace

FlashBuilder::FlashBuilder(OpBuilder &b, AttentionOp op,
                           codegen::FlashConfigAttr config)
    : op(op), loc(op.getLoc()), dims(op.getAttentionDims()),
      kvSplits(config.getKvSplits()),
      minOuterProductRows(config.getMinOuterProductRows()),
      prefetch(config.getPrefetch()), bf16Dot(config.getBf16Dot()),
      bf16Probabilities(config.getBf16Probabilities()), f32(b.getF32Type()) {
  qDim = *dims.queryPosDim;
  kDim = dims.keyPosDim;
  queryTile = std::min(config.getQueryTile(), extent(qDim));
  keyTile = std::min(config.getKeyTile(), extent(kDim));
  for (unsigned d = 0; d < dims.getNumDims(); ++d) {
    if (dims.roles[d] == DimRole::Batch ||
        (dims.roles[d] == DimRole::M && d != qDim))
      pointDims.push_back(d);
    if (dims.roles[d] == DimRole::N)
      nDims.push_back(d);
  }
  for (unsigned i = 0; i < op.getQueries().size(); ++i) {
    queries.push_back({op.getQueries()[i], op.getQueryMap(i)});
    keys.push_back({op.getKeys()[i], op.getKeyMap(i)});
  }
  value = {op.getValue(), op.getValueMap()};
  output = {op.getOutput(), op.getOutputMap()};
  if (op.getMask())
    mask = MappedOperand{op.getMask(), op.getMaskMap()};
  if (op.getKvLengths())
    lengths = MappedOperand{op.getKvLengths(), op.getKvLengthsMap()};
  if (op.getLogSumExpOutput())
    logSumExp = MappedOperand{op.getLogSumExpOutput(), op.getLogSumExpMap()};
  queryOrigin = op.getQueryOffset();
  keyOrigin = op.getKeyOffset();
  frameQueries = extent(qDim);
  frameKeys = extent(kDim);
  if (std::optional<ArrayRef<int64_t>> frame = op.getPositionExtents()) {
    frameQueries = (*frame)[0];
    frameKeys = (*frame)[1];
  }

  // Pack the batch dimension along which every key and the value are
  // grouped the most (GQA's heads, MLA's absorbed heads, GTA's maps). A mask
  // tensor keeps its per-row layout, so it disables packing.
  if (mask)
    return;
  SmallVector<MappedOperand> kvOperands(keys);
  kvOperands.push_back(value);
  for (unsigned d : pointDims) {
    if (dims.roles[d] != DimRole::Batch ||
        (lengths && lengths->map.isFunctionOfDim(d)))
      continue;
    int64_t g = 0;
    for (const MappedOperand &kv : kvOperands) {
      auto pos = kv.map.getResultPosition(getAffineDimExpr(d, b.getContext()));
      int64_t e = cast<RankedTensorType>(kv.value.getType()).getDimSize(*pos);
      g = std::gcd(g, extent(d) / e);
    }
    if (g > group) {
      group = g;
      packDim = d;
    }
  }
  if (packDim)
    llvm::erase(pointDims, *packDim);
}

Value FlashBuilder::slice(OpBuilder &b, const MappedOperand &operand,
                          ArrayRef<Value> point, Value q0, int64_t qSize,
                          Value k0, int64_t kSize) {
  ArrayRef<int64_t> shape =
      cast<RankedTensorType>(operand.value.getType()).getShape();
  SmallVector<OpFoldResult> offsets, sizes;
  for (auto [r, expr] : llvm::enumerate(operand.map.getResults())) {
    unsigned d = cast<AffineDimExpr>(expr).getPosition();
    if (packDim && d == *packDim && !dropsDim(operand, d)) {
      // Queries and output: the group's heads, starting at point[d].
      offsets.push_back(point[d]);
      sizes.push_back(b.getIndexAttr(group));
    } else if (Value index = point[d]) {
      int64_t group = extent(d) / shape[r];
      if (group > 1)
        index = arith::DivUIOp::create(
            b, loc, index, arith::ConstantIndexOp::create(b, loc, group));
      offsets.push_back(index);
      sizes.push_back(b.getIndexAttr(1));
    } else if (d == qDim) {
      offsets.push_back(q0);
      sizes.push_back(b.getIndexAttr(qSize));
    } else if (d == kDim) {
      offsets.push_back(k0);
      sizes.push_back(b.getIndexAttr(kSize));
    } else {
      offsets.push_back(b.getIndexAttr(0));
      sizes.push_back(b.getIndexAttr(shape[r]));
    }
  }
  SmallVector<OpFoldResult> strides(offsets.size(), b.getIndexAttr(1));
  SmallVector<int64_t> staticSizes;
  for (auto [r, expr] : llvm::enumerate(operand.map.getResults()))
    if (!dropsDim(operand, cast<AffineDimExpr>(expr).getPosition()))
      staticSizes.push_back(*getConstantIntValue(sizes[r]));
  auto type = RankedTensorType::get(
      staticSizes, getElementTypeOrSelf(operand.value.getType()));
  return tensor::ExtractSliceOp::create(b, loc, type, operand.value, offsets,
                                        sizes, strides);
}

void FlashBuilder::markStreamed(Value contraction, unsigned input,
                                const MappedOperand &operand,
                                int64_t qSize) const {
  if (!prefetch || qSize != extent(qDim))
    return;
  auto op = cast<linalg::LinalgOp>(contraction.getDefiningOp());
  SmallVector<int64_t> dims(op.getNumDpsInputs(), -1);
  for (auto [r, expr] : llvm::enumerate(operand.map.getResults()))
    if (cast<AffineDimExpr>(expr).getPosition() == kDim)
      dims[input] = r;
  op->setAttr(kStreamedKeyTileAttrName,
              DenseI64ArrayAttr::get(op->getContext(), dims));
}

bool FlashBuilder::dropsDim(const MappedOperand &operand, unsigned d) const {
  if (llvm::is_contained(pointDims, d))
    return true;
  if (!packDim || d != *packDim)
    return false;
  // A grouped operand reads one head for the whole packed group.
  auto pos = operand.map.getResultPosition(getAffineDimExpr(d, f32.getContext()));
  return cast<RankedTensorType>(operand.value.getType()).getDimSize(*pos) != extent(d);
}

AffineMap FlashBuilder::sliceMap(ArrayRef<unsigned> domain,
                                 const MappedOperand &operand) const {
  MLIRContext *ctx = f32.getContext();
  SmallVector<AffineExpr> exprs;
  for (AffineExpr expr : operand.map.getResults()) {
    unsigned d = cast<AffineDimExpr>(expr).getPosition();
    if (dropsDim(operand, d))
      continue;
    auto it = llvm::find(domain, d);
    assert(it != domain.end() && "slice dimension outside the domain");
    exprs.push_back(getAffineDimExpr(it - domain.begin(), ctx));
  }
  return AffineMap::get(domain.size(), 0, exprs, ctx);
}

AffineMap FlashBuilder::tileMap(ArrayRef<unsigned> domain,
                                ArrayRef<unsigned> tensorDims) const {
  MLIRContext *ctx = f32.getContext();
  SmallVector<AffineExpr> exprs;
  for (unsigned d : tensorDims)
    exprs.push_back(getAffineDimExpr(llvm::find(domain, d) - domain.begin(), ctx));
  return AffineMap::get(domain.size(), 0, exprs, ctx);
}

SmallVector<utils::IteratorType>
FlashBuilder::iterators(ArrayRef<unsigned> domain,
                        ArrayRef<unsigned> reduced) const {
  SmallVector<utils::IteratorType> result;
  for (unsigned d : domain)
    result.push_back(llvm::is_contained(reduced, d)
                         ? utils::IteratorType::reduction
                         : utils::IteratorType::parallel);
  return result;
}

Value FlashBuilder::buildTransposedQuery(OpBuilder &b, unsigned i,
                                         ArrayRef<Value> point, Value q0,
                                         int64_t qSize) {
  bool dot = usesDotScores(qSize);
  SmallVector<unsigned> rowPart;
  if (packDim)
    rowPart.push_back(*packDim);
  rowPart.push_back(qDim);
  SmallVector<unsigned> tDims(dot ? rowPart : dims.contractionDims[i]);
  llvm::append_range(tDims, dot ? ArrayRef<unsigned>(dims.contractionDims[i])
                                : ArrayRef<unsigned>(rowPart));
  SmallVector<int64_t> shape;
  for (unsigned d : tDims)
    shape.push_back(d == qDim ? qSize : packDim && d == *packDim ? group : extent(d));
  // Dot-product scores read every query row once per key: a low-precision
  // query is widened to f32 here, once per tile, instead of once per key;
  // unless the target multiplies bf16 pairs directly and the keys are bf16
  // too, where both operands are better left in bf16.
  Type elementType = getElementTypeOrSelf(queries[i].value.getType());
  bool pairsInBf16 =
      bf16Dot && elementType.isBF16() &&
      getElementTypeOrSelf(keys[i].value.getType()).isBF16();
  if (dot && !pairsInBf16)
    elementType = f32;
  Value init = tensor::EmptyOp::create(b, loc, shape, elementType);
  Value transposed =
      linalg::GenericOp::create(
          b, loc, init.getType(),
          ValueRange{slice(b, queries[i], point, q0, qSize, Value(), 0)},
          ValueRange{init},
          ArrayRef<AffineMap>{sliceMap(tDims, queries[i]),
                              b.getMultiDimIdentityMap(tDims.size())},
          SmallVector<utils::IteratorType>(tDims.size(),
                                           utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(nb, nl, castFloat(nb, nl, args[0], elementType));
          })
          .getResult(0);
  if (!packDim)
    return transposed;
  // The group's heads and the queries form one row dimension: head-major.
  SmallVector<ReassociationIndices> groups;
  unsigned rowStart = dot ? 0 : tDims.size() - 2;
  for (unsigned j = 0; j < tDims.size(); ++j) {
    if (j == rowStart + 1)
      continue;
    if (j == rowStart)
      groups.push_back({static_cast<int64_t>(j), static_cast<int64_t>(j + 1)});
    else
      groups.push_back({static_cast<int64_t>(j)});
  }
  return tensor::CollapseShapeOp::create(b, loc, transposed, groups);
}

RowState FlashBuilder::buildKeyStep(OpBuilder &b, ArrayRef<Value> point,
                                    ArrayRef<Value> transposedQueries, Value q0,
                                    int64_t qSize, Value k0, int64_t kSize,
                                    Value length, RowState state) {
  // Scores are kept transposed, [k, q]: row statistics then reduce across
  // rows, elementwise along contiguous queries. A dot-product tile has fewer
  // rows than a vector (decode): its scores are kept [q, k], so that the
  // softmax runs along the keys on whole vectors, and the rows' statistics
  // are reductions along each row.
  bool dotScores = usesDotScores(qSize);
  SmallVector<unsigned> scoreDims =
      dotScores ? SmallVector<unsigned>{qDim, kDim}
               : SmallVector<unsigned>{kDim, qDim};
  SmallVector<unsigned> rowDims = {qDim};
  AffineMap scoreId = b.getMultiDimIdentityMap(2);
  AffineMap scoreToRow = tileMap(scoreDims, rowDims);
  SmallVector<utils::IteratorType> parallel2(2, utils::IteratorType::parallel);
  SmallVector<utils::IteratorType> rowReduce = iterators(scoreDims, {kDim});
  Value negInf = arith::ConstantOp::create(
      b, loc, b.getF32FloatAttr(-std::numeric_limits<float>::infinity()));

  // With packed heads a row is (head, query), head-major.
  int64_t rows = rowsOf(qSize);
  SmallVector<int64_t> scoreShape =
      dotScores ? SmallVector<int64_t>{rows, kSize}
               : SmallVector<int64_t>{kSize, rows};
  // s[k, q] = sum_i sum_{c in K1_i} k_i[k, c] * qT_i[c, q].
  Value scores = buildFilledTensor(b, loc, scoreShape, f32);
  for (auto [i, contracted] : llvm::enumerate(dims.contractionDims)) {
    SmallVector<unsigned> domain = scoreDims;
    llvm::append_range(domain, contracted);
    SmallVector<unsigned> tDims;
    if (dotScores) {
      tDims.push_back(qDim);
      llvm::append_range(tDims, contracted);
    } else {
      llvm::append_range(tDims, contracted);
      tDims.push_back(qDim);
    }
    scores = buildContraction(
        b, loc, domain.size(), slice(b, keys[i], point, q0, qSize, k0, kSize),
        sliceMap(domain, keys[i]), transposedQueries[i],
        tileMap(domain, tDims), scores, tileMap(domain, scoreDims));
    markStreamed(scores, /*input=*/0, keys[i], qSize);
  }

  // Scale, mask, and hide invisible keys.
  SmallVector<Value> inputs = {scores};
  SmallVector<AffineMap> maps = {scoreId};
  if (mask) {
    inputs.push_back(slice(b, *mask, point, q0, qSize, k0, kSize));
    maps.push_back(sliceMap(scoreDims, *mask));
  }
  maps.push_back(scoreId);
  MaskKind kind = op.getMaskKind();
  std::optional<int64_t> window = op.getWindow();
  bool positional = kind != MaskKind::None || lengths;
  double scale = op.getScaleValue();
  int64_t numQueries = frameQueries;
  // Queries in the frame's coordinates; keys stay local, against a length
  // shifted by the key origin (see buildRowState).
  Value frameQ0 =
      queryOrigin ? arith::AddIOp::create(b, loc, q0, queryOrigin).getResult() : q0;
  Value masked =
      linalg::GenericOp::create(
          b, loc, scores.getType(), inputs,
          ValueRange{tensor::EmptyOp::create(b, loc, scoreShape, f32)},
          maps, parallel2,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value v = arith::MulFOp::create(
                nb, nl, args[0],
                arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(scale)));
            if (mask) {
              Value m = args[1];
              v = isa<FloatType>(m.getType())
                      ? arith::AddFOp::create(nb, nl, v, castFloat(nb, nl, m, f32))
                            .getResult()
                      : arith::SelectOp::create(nb, nl, m, v, negInf).getResult();
            }
            if (positional) {
              Value key = arith::AddIOp::create(
                  nb, nl, k0, linalg::IndexOp::create(nb, nl, dotScores ? 1 : 0));
              Value row = linalg::IndexOp::create(nb, nl, dotScores ? 0 : 1);
              if (packDim)
                row = arith::RemUIOp::create(
                    nb, nl, row, arith::ConstantIndexOp::create(nb, nl, qSize));
              Value query = arith::AddIOp::create(nb, nl, frameQ0, row);
              Value visible = buildKeyVisibility(nb, nl, query, key, length,
                                                 numQueries, kind, window,
                                                 lengths.has_value());
              v = arith::SelectOp::create(nb, nl, visible, v, negInf);
            }
            linalg::YieldOp::create(nb, nl, v);
          })
          .getResult(0);

  // m' = max(m, rowmax(s)).
  Value newMax = buildAccumulate<arith::MaximumFOp>(
      b, loc, masked, scoreId, state.rowMax, scoreToRow, rowReduce);
  // A row with no visible key so far keeps max -inf; exponents are taken
  // against 0 there, so p = 0 and c = 0 instead of NaN.
  // With bf16-dot, probabilities against bf16 values are rounded to bf16
  // (as FlashAttention does on tensor cores) and held [queries, keys], so
  // that attn-vectorize-tiles multiplies each row's key pairs with pairs of
  // V rows in one bf16 dot-product instruction. A dot-product tile's scores
  // are [queries, keys] already; an outer-product tile's ([keys, queries])
  // are rounded into a transposed copy. The row sum adds the rounded
  // probabilities, so that the output stays a weighted mean of the values,
  // with weights summing to one.
  bool roundProbs = bf16Dot && bf16Probabilities &&
                    getElementTypeOrSelf(value.value.getType()).isBF16();
  Type probType = roundProbs && dotScores ? b.getBF16Type() : f32;
  Value probs =
      linalg::GenericOp::create(
          b, loc, RankedTensorType::get(scoreShape, probType),
          ValueRange{masked, newMax},
          ValueRange{tensor::EmptyOp::create(b, loc, scoreShape, probType)},
          ArrayRef<AffineMap>{scoreId, scoreToRow, scoreId}, parallel2,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(
                nb, nl,
                castFloat(nb, nl, buildShiftedExp(nb, nl, args[0], args[1]),
                          probType));
          })
          .getResult(0);
  // The probabilities that P.V reads, indexed by `probDims`.
  SmallVector<unsigned> probDims = scoreDims;
  if (roundProbs && !dotScores) {
    probDims = {qDim, kDim};
    Type bf16 = b.getBF16Type();
    SmallVector<int64_t> shape = {rows, kSize};
    probs = linalg::GenericOp::create(
                b, loc, RankedTensorType::get(shape, bf16), ValueRange{probs},
                ValueRange{tensor::EmptyOp::create(b, loc, shape, bf16)},
                ArrayRef<AffineMap>{scoreId, tileMap(scoreDims, probDims)},
                parallel2,
                [&](OpBuilder &nb, Location nl, ValueRange args) {
                  linalg::YieldOp::create(nb, nl,
                                          castFloat(nb, nl, args[0], bf16));
                })
                .getResult(0);
  }
  // c = exp(m - m'); l' = c l + rowsum(p).
  AffineMap rowId = b.getMultiDimIdentityMap(1);
  Value correction =
      linalg::GenericOp::create(
          b, loc, state.rowMax.getType(), ValueRange{state.rowMax, newMax},
          ValueRange{tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{rows}, f32)},
          ArrayRef<AffineMap>{rowId, rowId, rowId}, utils::IteratorType::parallel,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(nb, nl, buildShiftedExp(nb, nl, args[0], args[1]));
          })
          .getResult(0);
  Value scaledSum = buildAccumulate<arith::MulFOp>(
      b, loc, correction, rowId, state.rowSum, rowId,
      {utils::IteratorType::parallel});
  Value newSum = buildAccumulate<arith::AddFOp>(
      b, loc, probs, tileMap(scoreDims, probDims), scaledSum, scoreToRow,
      rowReduce);

  // acc' = c acc + p v.
  SmallVector<unsigned> accDims = {qDim};
  llvm::append_range(accDims, nDims);
  unsigned accRank = accDims.size();
  AffineMap accId = b.getMultiDimIdentityMap(accRank);
  Value scaledAcc = buildAccumulate<arith::MulFOp>(
      b, loc, correction, tileMap(accDims, rowDims), state.acc, accId,
      SmallVector<utils::IteratorType>(accRank, utils::IteratorType::parallel));
  SmallVector<unsigned> pvDims = {qDim};
  llvm::append_range(pvDims, nDims);
  pvDims.push_back(kDim);
  Value newAcc = buildContraction(
      b, loc, pvDims.size(), probs, tileMap(pvDims, probDims),
      slice(b, value, point, q0, qSize, k0, kSize), sliceMap(pvDims, value),
      scaledAcc, tileMap(pvDims, accDims));
  markStreamed(newAcc, /*input=*/1, value, qSize);
  return {newMax, newSum, newAcc};
}

RowState FlashBuilder::buildRowState(OpBuilder &b, ArrayRef<Value> point,
                                     Value q0, int64_t qSize, Value split,
                                     int64_t numSplits) {
  auto indexConst = [&](int64_t c) -> Value {
    return arith::ConstantIndexOp::create(b, loc, c);
  };
  // The valid key length of this batch point.
  int64_t numKeys = extent(kDim);
  Value length = indexConst(frameKeys);
  if (lengths) {
    SmallVector<Value> indices;
    for (AffineExpr expr : lengths->map.getResults()) {
      unsigned d = cast<AffineDimExpr>(expr).getPosition();
      Value index = point[d];
      int64_t group =
          extent(d) / cast<RankedTensorType>(lengths->value.getType())
                          .getDimSize(indices.size());
      if (group > 1)
        index = arith::DivUIOp::create(b, loc, index, indexConst(group));
      indices.push_back(index);
    }
    Value raw = tensor::ExtractOp::create(b, loc, lengths->value, indices);
    length = arith::IndexCastOp::create(b, loc, b.getIndexType(), raw);
  }
  // In a frame, bounds are computed in local key positions: the length less
  // the key origin, against queries at their frame positions.
  if (keyOrigin)
    length = arith::SubIOp::create(b, loc, length, keyOrigin);
  Value frameQ0 =
      queryOrigin ? arith::AddIOp::create(b, loc, q0, queryOrigin).getResult() : q0;
  // Key tiles any query of this tile can see: [lo, hi) clamped to [0, T].
  // Causal: the last query, q0 + qSize - 1, sees keys up to q0 + qSize - 1 +
  // L - S. Sliding window: the first query sees keys after q0 + L - S - W.
  MaskKind kind = op.getMaskKind();
  Value zero = indexConst(0), numKeysValue = indexConst(numKeys);
  Value hi = arith::MinSIOp::create(b, loc, length, numKeysValue);
  if (kind != MaskKind::None) {
    Value last = arith::AddIOp::create(
        b, loc, frameQ0,
        arith::SubIOp::create(b, loc, length, indexConst(frameQueries - qSize)));
    hi = arith::MinSIOp::create(b, loc, hi, last);
  }
  hi = arith::MaxSIOp::create(b, loc, hi, zero);
  Value lo = zero;
  if (kind == MaskKind::SlidingWindow) {
    Value first = arith::AddIOp::create(
        b, loc, frameQ0,
        arith::SubIOp::create(b, loc, length,
                              indexConst(frameQueries + *op.getWindow() - 1)));
    lo = arith::MinSIOp::create(b, loc, arith::MaxSIOp::create(b, loc, first, zero), hi);
  }

  // Full key tiles in [lo, hi) below the remainder, then the remainder tile.
  int64_t numFullTiles = numKeys / keyTile, remainder = numKeys % keyTile;
  Value tileSize = indexConst(keyTile);
  Value fullEnd = arith::MinSIOp::create(b, loc, hi, indexConst(numFullTiles * keyTile));
  Value firstTile = arith::DivUIOp::create(b, loc, lo, tileSize);
  Value endTile = arith::CeilDivUIOp::create(b, loc, fullEnd, tileSize);
  firstTile = arith::MinUIOp::create(b, loc, firstTile, endTile);
  if (split) {
    // This split's share: ceil(tiles / numSplits) consecutive tiles.
    Value share = arith::CeilDivUIOp::create(
        b, loc, arith::SubIOp::create(b, loc, endTile, firstTile),
        indexConst(numSplits));
    Value start = arith::MinUIOp::create(
        b, loc,
        arith::AddIOp::create(b, loc, firstTile,
                              arith::MulIOp::create(b, loc, split, share)),
        endTile);
    endTile = arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, start, share), endTile);
    firstTile = start;
  }

  int64_t rows = rowsOf(qSize);
  SmallVector<int64_t> accShape = {rows};
  for (unsigned d : nDims)
    accShape.push_back(extent(d));
  RowState state{
      buildFilledTensor(b, loc, {rows}, f32, -std::numeric_limits<float>::infinity()),
      buildFilledTensor(b, loc, {rows}, f32),
      buildFilledTensor(b, loc, accShape, f32)};
  SmallVector<Value> transposedQueries;
  for (unsigned i = 0; i < queries.size(); ++i)
    transposedQueries.push_back(buildTransposedQuery(b, i, point, q0, qSize));
  auto loop = scf::ForOp::create(
      b, loc, firstTile, endTile, indexConst(1),
      ValueRange{state.rowMax, state.rowSum, state.acc},
      [&](OpBuilder &nb, Location nl, Value tile, ValueRange iterArgs) {
        Value k0 = arith::MulIOp::create(nb, nl, tile, tileSize);
        RowState next =
            buildKeyStep(nb, point, transposedQueries, q0, qSize, k0, keyTile,
                         length, {iterArgs[0], iterArgs[1], iterArgs[2]});
        scf::YieldOp::create(nb, nl, ValueRange{next.rowMax, next.rowSum, next.acc});
      });
  state = {loop.getResult(0), loop.getResult(1), loop.getResult(2)};
  if (remainder == 0)
    return state;
  Value remainderStart = indexConst(numFullTiles * keyTile);
  auto remainderStep = [&](OpBuilder &nb) {
    return buildKeyStep(nb, point, transposedQueries, q0, qSize, remainderStart,
                        remainder, length, state);
  };
  if (!split)
    return remainderStep(b);
  // Only the last split takes the remainder tile.
  Value isLast = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, split,
                                       indexConst(numSplits - 1));
  auto yieldState = [](OpBuilder &nb, Location nl, RowState st) {
    scf::YieldOp::create(nb, nl, ValueRange{st.rowMax, st.rowSum, st.acc});
  };
  auto ifOp = scf::IfOp::create(
      b, loc, isLast,
      [&](OpBuilder &nb, Location nl) { yieldState(nb, nl, remainderStep(nb)); },
      [&](OpBuilder &nb, Location nl) { yieldState(nb, nl, state); });
  return {ifOp.getResult(0), ifOp.getResult(1), ifOp.getResult(2)};
}

Value FlashBuilder::buildNormalizedTile(OpBuilder &b, RowState state,
                                        int64_t qSize, Value outSlice) {
  SmallVector<int64_t> accShape(
      cast<RankedTensorType>(state.acc.getType()).getShape());
  // out = acc / l, 0 for a row with no visible key, in the output's type.
  // Packed rows are split back into (head, query).
  SmallVector<unsigned> finalDims, rowDims;
  if (packDim) {
    finalDims.push_back(*packDim);
    rowDims.push_back(*packDim);
    SmallVector<int64_t> split = {group, qSize};
    SmallVector<int64_t> accSplit(split);
    llvm::append_range(accSplit, ArrayRef<int64_t>(accShape).drop_front());
    SmallVector<ReassociationIndices> accGroups = {{0, 1}};
    for (unsigned j = 0; j < nDims.size(); ++j)
      accGroups.push_back({static_cast<int64_t>(j + 2)});
    state.acc = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(accSplit, f32), state.acc, accGroups);
    state.rowSum = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(split, f32), state.rowSum,
        ArrayRef<ReassociationIndices>{{0, 1}});
  }
  finalDims.push_back(qDim);
  rowDims.push_back(qDim);
  llvm::append_range(finalDims, nDims);
  Type outType = getElementTypeOrSelf(output.value.getType());
  SmallVector<utils::IteratorType> parallel(finalDims.size(),
                                            utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, outSlice.getType(), ValueRange{state.acc, state.rowSum},
             ValueRange{outSlice},
             ArrayRef<AffineMap>{b.getMultiDimIdentityMap(finalDims.size()),
                                 tileMap(finalDims, rowDims),
                                 sliceMap(finalDims, output)},
             parallel,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nl, buildNormalizedRow(nb, nl, args[0], args[1], outType));
             })
      .getResult(0);
}

SmallVector<OpFoldResult> FlashBuilder::tileLoopBounds(OpBuilder &b,
                                                       int64_t numTiles) {
  SmallVector<OpFoldResult> upperBounds;
  for (unsigned d : pointDims)
    upperBounds.push_back(b.getIndexAttr(extent(d)));
  if (packDim)
    upperBounds.push_back(b.getIndexAttr(extent(*packDim) / group));
  upperBounds.push_back(b.getIndexAttr(numTiles));
  return upperBounds;
}

std::pair<SmallVector<Value>, Value>
FlashBuilder::tilePoint(OpBuilder &b, ValueRange ivs, int64_t firstQuery,
                        int64_t qSize) {
  SmallVector<Value> point(dims.getNumDims());
  for (auto [i, d] : llvm::enumerate(pointDims))
    point[d] = ivs[i];
  if (packDim)
    point[*packDim] = arith::MulIOp::create(
        b, loc, ivs[pointDims.size()], arith::ConstantIndexOp::create(b, loc, group));
  Value tileIndex = ivs[pointDims.size() + (packDim ? 1 : 0)];
  Value q0 = arith::AddIOp::create(
      b, loc, arith::ConstantIndexOp::create(b, loc, firstQuery),
      arith::MulIOp::create(b, loc, tileIndex,
                            arith::ConstantIndexOp::create(b, loc, qSize)));
  return {point, q0};
}

SmallVector<Value> FlashBuilder::buildForall(OpBuilder &b, ValueRange outs,
                                             int64_t firstQuery, int64_t numTiles,
                                             int64_t qSize) {
  // Too few parallel tiles for the threads: split the key range too.
  int64_t parallelTiles = 1;
  for (OpFoldResult bound : tileLoopBounds(b, numTiles))
    parallelTiles *= *getConstantIntValue(bound);
  int64_t fullKeyTiles = extent(kDim) / keyTile;
  if (kvSplits > 1 && parallelTiles < kvSplits && fullKeyTiles >= 2)
    return buildSplitForall(b, outs, firstQuery, numTiles, qSize,
                            std::min(kvSplits, fullKeyTiles));

  auto forall = scf::ForallOp::create(b, loc, tileLoopBounds(b, numTiles), outs,
                                      /*mapping=*/std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  auto [point, q0] = tilePoint(b, forall.getInductionVars(), firstQuery, qSize);

  tensor::ExtractSliceOp outSlice = sharedOutputSlice(b, forall, point, q0, qSize);
  RowState state = buildRowState(b, point, q0, qSize, Value(), 1);
  return insertNormalizedTile(b, forall, point, q0, outSlice, state, qSize);
}

tensor::ExtractSliceOp FlashBuilder::sharedOutputSlice(OpBuilder &b,
                                                       scf::ForallOp forall,
                                                       ArrayRef<Value> point,
                                                       Value q0, int64_t qSize) {
  MappedOperand shared{forall.getRegionIterArgs()[0], output.map};
  return cast<tensor::ExtractSliceOp>(
      slice(b, shared, point, q0, qSize, Value(), 0).getDefiningOp());
}

SmallVector<Value> FlashBuilder::insertNormalizedTile(
    OpBuilder &b, scf::ForallOp forall, ArrayRef<Value> point, Value q0,
    tensor::ExtractSliceOp outSlice, RowState state, int64_t qSize) {
  // Each tile is computed into its slice of a shared output and inserted
  // back where that slice was.
  SmallVector<std::pair<Value, tensor::ExtractSliceOp>> tiles = {
      {buildNormalizedTile(b, state, qSize, outSlice), outSlice}};
  if (logSumExp) {
    MappedOperand shared{forall.getRegionIterArgs()[1], logSumExp->map};
    auto lseSlice = cast<tensor::ExtractSliceOp>(
        slice(b, shared, point, q0, qSize, Value(), 0).getDefiningOp());
    tiles.push_back({buildLogSumExpTile(b, state, qSize, lseSlice), lseSlice});
  }
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  for (auto [i, tile] : llvm::enumerate(tiles))
    tensor::ParallelInsertSliceOp::create(
        b, loc, tile.first, forall.getRegionIterArgs()[i],
        tile.second.getMixedOffsets(), tile.second.getMixedSizes(),
        tile.second.getMixedStrides());
  return SmallVector<Value>(forall.getResults());
}

Value FlashBuilder::buildLogSumExpTile(OpBuilder &b, RowState state,
                                       int64_t qSize, Value lseSlice) {
  // Packed rows are split back into (head, query), as for the output.
  SmallVector<unsigned> rowDims;
  if (packDim) {
    rowDims.push_back(*packDim);
    SmallVector<int64_t> split = {group, qSize};
    SmallVector<ReassociationIndices> groups = {{0, 1}};
    state.rowMax = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(split, f32), state.rowMax, groups);
    state.rowSum = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(split, f32), state.rowSum, groups);
  }
  rowDims.push_back(qDim);
  AffineMap id = b.getMultiDimIdentityMap(rowDims.size());
  return linalg::GenericOp::create(
             b, loc, lseSlice.getType(), ValueRange{state.rowMax, state.rowSum},
             ValueRange{lseSlice},
             ArrayRef<AffineMap>{id, id, sliceMap(rowDims, *logSumExp)},
             SmallVector<utils::IteratorType>(rowDims.size(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nl, buildRowLogSumExp(nb, nl, args[0], args[1]));
             })
      .getResult(0);
}

SmallVector<Value> FlashBuilder::buildSplitForall(OpBuilder &b, ValueRange outs,
                                                  int64_t firstQuery,
                                                  int64_t numTiles, int64_t qSize,
                                                  int64_t numSplits) {
  SmallVector<OpFoldResult> bounds = tileLoopBounds(b, numTiles);
  int64_t rows = rowsOf(qSize);
  // Partial states, indexed [tile loop..., split, rows(, n...)].
  SmallVector<int64_t> prefix;
  for (OpFoldResult bound : bounds)
    prefix.push_back(*getConstantIntValue(bound));
  prefix.push_back(numSplits);
  SmallVector<int64_t> rowShape(prefix), accShape(prefix);
  rowShape.push_back(rows);
  accShape.push_back(rows);
  for (unsigned d : nDims)
    accShape.push_back(extent(d));
  SmallVector<Value> partialInits = {
      tensor::EmptyOp::create(b, loc, rowShape, f32),
      tensor::EmptyOp::create(b, loc, rowShape, f32),
      tensor::EmptyOp::create(b, loc, accShape, f32)};

  // Where one tile's partial sits in a partial tensor: at the tile's loop
  // indices, at one split (or all of them), whole in the trailing dims.
  SmallVector<ArrayRef<int64_t>> partialShapes = {rowShape, rowShape, accShape};
  auto partialSlice = [&](ValueRange ivs, Value split, ArrayRef<int64_t> shape) {
    SmallVector<OpFoldResult> offsets, sizes;
    for (Value iv : ivs) {
      offsets.push_back(iv);
      sizes.push_back(b.getIndexAttr(1));
    }
    offsets.push_back(split ? OpFoldResult(split) : b.getIndexAttr(0));
    sizes.push_back(b.getIndexAttr(split ? 1 : numSplits));
    for (int64_t extentOfDim : shape.drop_front(prefix.size())) {
      offsets.push_back(b.getIndexAttr(0));
      sizes.push_back(b.getIndexAttr(extentOfDim));
    }
    SmallVector<OpFoldResult> strides(offsets.size(), b.getIndexAttr(1));
    return std::make_tuple(offsets, sizes, strides);
  };

  // 1. Every (tile, split) computes its partial state.
  SmallVector<OpFoldResult> splitBounds(bounds);
  splitBounds.push_back(b.getIndexAttr(numSplits));
  auto partials = scf::ForallOp::create(b, loc, splitBounds, partialInits,
                                        /*mapping=*/std::nullopt);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(partials.getBody());
    SmallVector<Value> ivs = partials.getInductionVars();
    Value split = ivs.back();
    ivs.pop_back();
    auto [point, q0] = tilePoint(b, ivs, firstQuery, qSize);
    RowState state = buildRowState(b, point, q0, qSize, split, numSplits);
    b.setInsertionPointToStart(partials.getTerminator().getBody());
    SmallVector<Value> values = {state.rowMax, state.rowSum, state.acc};
    for (auto [value, shared, shape] :
         llvm::zip(values, partials.getRegionIterArgs(), partialShapes)) {
      auto [offsets, sizes, strides] = partialSlice(ivs, split, shape);
      tensor::ParallelInsertSliceOp::create(b, loc, value, shared, offsets, sizes,
                                            strides);
    }
  }

  // 2. Per tile, merge the splits: M = max_s m_s, w_s = exp(m_s - M),
  // l = sum_s w_s l_s, acc = sum_s w_s acc_s. A split that saw no visible key
  // has m_s = -inf and weight 0; if none did, M is taken as 0, so all stays
  // finite.
  auto merge = scf::ForallOp::create(b, loc, bounds, outs,
                                     /*mapping=*/std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(merge.getBody());
  SmallVector<Value> ivs = merge.getInductionVars();
  auto [point, q0] = tilePoint(b, ivs, firstQuery, qSize);
  SmallVector<Value> tiles;
  for (auto [partial, shape] : llvm::zip(partials.getResults(), partialShapes)) {
    auto [offsets, sizes, strides] = partialSlice(ivs, Value(), shape);
    SmallVector<int64_t> tileShape = {numSplits};
    llvm::append_range(tileShape, shape.drop_front(prefix.size()));
    tiles.push_back(tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get(tileShape, f32), partial, offsets, sizes,
        strides));
  }
  AffineExpr s0 = b.getAffineDimExpr(0), r0 = b.getAffineDimExpr(1);
  AffineMap splitRow = AffineMap::get(2, 0, {s0, r0}, b.getContext());
  AffineMap row = AffineMap::get(2, 0, {r0}, b.getContext());
  SmallVector<utils::IteratorType> reduceSplits = {utils::IteratorType::reduction,
                                                   utils::IteratorType::parallel};
  Value rowMax = buildAccumulate<arith::MaximumFOp>(
      b, loc, tiles[0], splitRow,
      buildFilledTensor(b, loc, {rows}, f32, -std::numeric_limits<float>::infinity()),
      row, reduceSplits);
  Value weights =
      linalg::GenericOp::create(
          b, loc, tiles[0].getType(), ValueRange{tiles[0], rowMax},
          ValueRange{tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{numSplits, rows}, f32)},
          ArrayRef<AffineMap>{splitRow, row, splitRow},
          SmallVector<utils::IteratorType>(2, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(nb, nl, buildShiftedExp(nb, nl, args[0], args[1]));
          })
          .getResult(0);
  Value rowSum = buildContraction(b, loc, 2, weights, splitRow, tiles[1], splitRow,
                                  buildFilledTensor(b, loc, {rows}, f32), row);
  SmallVector<AffineExpr> accExprs = {b.getAffineDimExpr(1)};
  unsigned accRank = 2 + nDims.size();
  for (unsigned j = 0; j < nDims.size(); ++j)
    accExprs.push_back(b.getAffineDimExpr(2 + j));
  SmallVector<AffineExpr> partialExprs = {s0};
  llvm::append_range(partialExprs, accExprs);
  SmallVector<int64_t> mergedAccShape = {rows};
  for (unsigned d : nDims)
    mergedAccShape.push_back(extent(d));
  Value acc = buildContraction(
      b, loc, accRank, weights, AffineMap::get(accRank, 0, {s0, r0}, b.getContext()),
      tiles[2], AffineMap::get(accRank, 0, partialExprs, b.getContext()),
      buildFilledTensor(b, loc, mergedAccShape, f32),
      AffineMap::get(accRank, 0, accExprs, b.getContext()));

  tensor::ExtractSliceOp outSlice = sharedOutputSlice(b, merge, point, q0, qSize);
  return insertNormalizedTile(b, merge, point, q0, outSlice,
                              {rowMax, rowSum, acc}, qSize);
}

SmallVector<Value> FlashBuilder::build() {
  // The forall is built at the op; its body is built inside it.
  OpBuilder b(op);
  int64_t numQueries = extent(qDim);
  int64_t numFull = numQueries / queryTile, remainder = numQueries % queryTile;
  SmallVector<Value> results = llvm::to_vector(op.getDpsInits());
  if (numFull > 0)
    results = buildForall(b, results, 0, numFull, queryTile);
  if (remainder > 0)
    results = buildForall(b, results, numFull * queryTile, 1, remainder);
  return results;
}

/// The reassociation between a tensor of `rank` dims and the same with a
/// unit dimension inserted before its last one: [.., x] and [.., 1, x].
static SmallVector<ReassociationIndices> unitBeforeLastGroups(int64_t rank) {
  SmallVector<ReassociationIndices> groups;
  for (int64_t i = 0; i + 1 < rank; ++i)
    groups.push_back({i});
  groups.push_back({rank - 1, rank});
  return groups;
}

/// `value` with a unit dimension inserted before its last one.
static Value insertUnitBeforeLast(OpBuilder &b, Location loc, Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape.insert(shape.end() - 1, 1);
  return tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), value,
      unitBeforeLastGroups(type.getRank()));
}

/// An attention without a query-position (M) dimension, as raising leaves a
/// decode step whose unit query dim it dropped, rebuilt with one of extent
/// 1 in its queries and output: the tiled loop packs heads and streams keys
/// along query rows. Returns the new op and, through `result`, the value
/// that replaces the old op's result; null where the op has no such form
/// (a log-sum-exp output or a positions frame, which tiles carry).
static AttentionOp addUnitQueryDim(OpBuilder &b, AttentionOp op,
                                   Value &result) {
  if (op.getLogSumExpOutput() || op.getQueryOffset() ||
      op.getDpsInits().size() != 1)
    return AttentionOp();
  Location loc = op.getLoc();
  unsigned numDims = op.getIndexingMapsArray().front().getNumDims();
  AffineExpr unit = b.getAffineDimExpr(numDims);
  auto widen = [&](AffineMap map, bool withUnit) {
    SmallVector<AffineExpr> results(map.getResults());
    if (withUnit)
      results.insert(results.end() - 1, unit);
    return AffineMap::get(numDims + 1, 0, results, b.getContext());
  };
  unsigned numQueries = op.getQueries().size();
  SmallVector<AffineMap> maps;
  for (auto [i, map] : llvm::enumerate(op.getIndexingMapsArray()))
    maps.push_back(widen(map, i < numQueries ||
                                  i + 1 == op.getIndexingMaps().size()));
  SmallVector<Value> queries;
  for (Value q : op.getQueries())
    queries.push_back(insertUnitBeforeLast(b, loc, q));
  Value init = insertUnitBeforeLast(b, loc, op.getOutput());
  auto expanded = AttentionOp::create(
      b, loc, init.getType(), queries, op.getKeys(), op.getValue(),
      op.getMask(), op.getKvLengths(), init, op.getScaleAttr(),
      b.getAffineMapArrayAttr(maps), op.getMaskKindAttr(), op.getWindowAttr());
  if (failed(mlir::verify(expanded, /*verifyRecursively=*/false))) {
    expanded->erase();
    return AttentionOp();
  }
  auto resultType = cast<RankedTensorType>(op.getResult().getType());
  result = tensor::CollapseShapeOp::create(
      b, loc, resultType, expanded.getResult(),
      unitBeforeLastGroups(resultType.getRank()));
  return expanded;
}

/// An attention whose query rows span M dimensions besides the query
/// position (query heads in front of a decode step's one query, as MLA's
/// absorbed form reads a latent [B, T, C] without a head dim), rebuilt with
/// those dims as batch dims along which the keys and value are grouped with
/// extent 1 (unit dims by views): the tiled loop then packs them into the
/// rows of one tile, reading each key tile once rather than once per row.
/// Null where there is nothing to do, or a mask tensor (which keeps its
/// per-row layout and disables packing) or a log-sum-exp output.
static AttentionOp groupRowDims(OpBuilder &b, AttentionOp op) {
  AttentionDims dims = op.getAttentionDims();
  if (!dims.queryPosDim || op.getMask() || op.getLogSumExpOutput())
    return AttentionOp();
  SmallVector<unsigned> rowDims;
  for (unsigned d : dims.getDimsWithRole(DimRole::M))
    if (d != *dims.queryPosDim && dims.extents[d] > 1)
      rowDims.push_back(d);
  if (rowDims.empty())
    return AttentionOp();
  Location loc = op.getLoc();
  auto addUnits = [&](Value v, AffineMap map, Value &grouped) {
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<int64_t> shape(rowDims.size(), 1);
    llvm::append_range(shape, type.getShape());
    SmallVector<ReassociationIndices> groups;
    for (int64_t i = 0; i < type.getRank(); ++i)
      groups.push_back({int64_t(rowDims.size()) + i});
    if (!groups.empty())
      for (int64_t i = rowDims.size() - 1; i >= 0; --i)
        groups.front().insert(groups.front().begin(), i);
    grouped = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(shape, type.getElementType()), v, groups);
    SmallVector<AffineExpr> results;
    for (unsigned d : rowDims)
      results.push_back(b.getAffineDimExpr(d));
    llvm::append_range(results, map.getResults());
    return AffineMap::get(map.getNumDims(), 0, results, b.getContext());
  };
  unsigned numQueries = op.getQueries().size();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<Value> keys;
  for (unsigned i = 0; i < numQueries; ++i) {
    Value key;
    maps[numQueries + i] = addUnits(op.getKeys()[i], op.getKeyMap(i), key);
    keys.push_back(key);
  }
  Value value;
  maps[2 * numQueries] = addUnits(op.getValue(), op.getValueMap(), value);
  auto grouped = AttentionOp::create(
      b, loc, op->getResultTypes(), op.getQueries(), keys, value, op.getMask(),
      op.getKvLengths(), op.getQueryOffset(), op.getKeyOffset(), op.getOutput(),
      op.getLogSumExpOutput(), op.getScaleAttr(), b.getAffineMapArrayAttr(maps),
      op.getMaskKindAttr(), op.getWindowAttr(), op.getPositionExtentsAttr());
  if (failed(mlir::verify(grouped, /*verifyRecursively=*/false))) {
    grouped->erase();
    return AttentionOp();
  }
  return grouped;
}

namespace mlir::attn {
namespace {
struct AttnFlashLowering
    : public impl::AttnFlashLoweringBase<AttnFlashLowering> {
  using Base::Base;

  void runOnOperation() override {
    if (queryTile < 1 || keyTile < 1) {
      // A bad option, not bad IR: report it at the input, not on an op.
      emitError(getOperation()->getLoc())
          << "attn-flash-lowering: tile sizes must be positive, got query-tile="
          << static_cast<int64_t>(queryTile)
          << " key-tile=" << static_cast<int64_t>(keyTile);
      return signalPassFailure();
    }
    // Each op's target choices: its lowering_config, which a target's
    // configuration pass sets, or one made of this pass's options.
    MLIRContext *ctx = &getContext();
    auto defaultConfig = codegen::FlashConfigAttr::getChecked(
        [&] { return emitError(getOperation()->getLoc()); }, ctx,
        static_cast<int64_t>(queryTile), static_cast<int64_t>(keyTile),
        static_cast<int64_t>(kvSplits),
        static_cast<int64_t>(minOuterProductRows), static_cast<bool>(bf16Dot),
        static_cast<bool>(bf16Probabilities), static_cast<bool>(prefetch));
    if (!defaultConfig)
      return signalPassFailure();
    SmallVector<std::pair<AttentionOp, codegen::FlashConfigAttr>> ops;
    getOperation()->walk([&](AttentionOp op) {
      auto config = op->getAttrOfType<codegen::FlashConfigAttr>(
          codegen::kLoweringConfigAttrName);
      if (!config)
        config = defaultConfig;
      AttentionDims dims = op.getAttentionDims();
      if (!dims.queryPosDim &&
          dims.getDimsWithRole(DimRole::K2).size() == 1) {
        OpBuilder b(op);
        Value result;
        if (AttentionOp expanded = addUnitQueryDim(b, op, result)) {
          op.getResult().replaceAllUsesWith(result);
          op.erase();
          op = expanded;
        }
      }
      {
        OpBuilder b(op);
        if (AttentionOp grouped = groupRowDims(b, op)) {
          op->replaceAllUsesWith(grouped);
          op.erase();
          op = grouped;
        }
      }
      if (FlashBuilder::isSupported(op))
        ops.push_back({op, config});
    });
    for (auto [op, config] : ops) {
      OpBuilder b(op);
      SmallVector<Value> results = FlashBuilder(b, op, config).build();
      op->replaceAllUsesWith(results);
      op.erase();
    }
  }
};
} // namespace
} // namespace mlir::attn
