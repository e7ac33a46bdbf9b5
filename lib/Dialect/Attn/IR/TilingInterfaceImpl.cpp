//===- TilingInterfaceImpl.cpp - tiling and split-KV for attn.attention ---===//
//
// TilingInterface: a tile of the parallel dimensions (batch, M, N) is an
// attn.attention on slices of the operands. The reduction dimensions stay
// whole, because a softmax needs every key of its row. A tile of a causal,
// sliding-window or kv_lengths attention records where it sits with
// `positions(...)`, so its masks are the ones of the whole op.
//
// PartialReductionOpInterface (split-KV, flash-decoding): the key dimension
// is split into parallel shares. Each share is an attn.attention over its key
// slice that also writes its log-sum-exp; mergeReductions combines them as
//
//   lse = log sum_s exp(lse_s),   o = sum_s exp(lse_s - lse) o_s
//
// computed against max_s lse_s, so that a share with no visible key
// (lse_s = -inf) weighs 0 and a row with none at all yields 0, never NaN.
//
// Upstream's drivers keep one partial tensor per output of the op (they
// clone the op with the partials as its outputs), so a share's output and
// log-sum-exp travel together in one f32 tensor, [output dims..., split, 2]:
// element 0 is o_s, element 1 lse_s of its row (repeated along N). An op
// with a log_sum_exp output also gets [row dims..., split] for it.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "attnc/Dialect/Attn/IR/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Builds the slices of one tile of an attention op.
class TileSlicer {
public:
  TileSlicer(OpBuilder &b, AttentionOp op, ArrayRef<OpFoldResult> offsets,
             ArrayRef<OpFoldResult> sizes)
      : b(b), op(op), loc(op.getLoc()), dims(op.getAttentionDimsFromInputs()),
        offsets(offsets), sizes(sizes) {}

  // Dimensions are taken from the inputs throughout: tiling drivers call
  // these methods on clones whose outputs are partial-result tensors.

  /// Every tile size must be static: the lowerings take static shapes only.
  LogicalResult checkStaticSizes() {
    for (auto [d, size] : llvm::enumerate(sizes))
      if (!getConstantIntValue(size))
        return op.emitOpError("tile size of dimension d")
               << d << " is not static; choose tile sizes that divide the "
               << "extent " << dims.extents[d];
    return success();
  }

  /// Whether dimension `d` is taken whole by the tile.
  bool isWhole(unsigned d) const {
    return isConstantIntValue(offsets[d], 0) &&
           isConstantIntValue(sizes[d], dims.extents[d]);
  }

  /// The slice of `value` (indexed by `map`) that the tile reads. A grouped
  /// operand (extent `e` along a batch dimension of extent `E`, group
  /// `g = E / e`) is sliced at `offset / g`: `size / g` heads when the tile
  /// holds whole groups, one head when the group holds whole tiles.
  FailureOr<Value> slice(Value value, AffineMap map, StringRef name) {
    auto type = cast<RankedTensorType>(value.getType());
    SmallVector<OpFoldResult> sliceOffsets, sliceSizes;
    SmallVector<int64_t> shape;
    for (auto [r, expr] : llvm::enumerate(map.getResults())) {
      unsigned d = cast<AffineDimExpr>(expr).getPosition();
      int64_t size = *getConstantIntValue(sizes[d]);
      FailureOr<GroupedSlice> grouped = sliceGroupedDim(
          b, loc, offsets[d], size, dims.extents[d], type.getDimSize(r));
      if (failed(grouped)) {
        int64_t group = dims.extents[d] / type.getDimSize(r);
        return op.emitOpError("tile size ")
               << size << " of batch dimension d" << d << " splits the groups of "
               << group << " heads that share one head of the " << name
               << "; use a multiple or a divisor of " << group;
      }
      sliceOffsets.push_back(grouped->offset);
      sliceSizes.push_back(b.getIndexAttr(grouped->size));
      shape.push_back(grouped->size);
    }
    SmallVector<OpFoldResult> strides(shape.size(), b.getIndexAttr(1));
    auto sliceType = RankedTensorType::get(shape, type.getElementType());
    auto sliceOp = tensor::ExtractSliceOp::create(b, loc, sliceType, value,
                                                  sliceOffsets, sliceSizes, strides);
    generatedSlices.push_back(sliceOp);
    return sliceOp.getResult();
  }

  /// `base + offset` as an index value (`base` may be null: 0).
  Value add(Value base, OpFoldResult offset) {
    Value off = getValueOrCreateConstantIndexOp(b, loc, offset);
    if (!base)
      return off;
    if (isConstantIntValue(offset, 0))
      return base;
    return arith::AddIOp::create(b, loc, base, off);
  }

  /// Where the tile sits: the op's own frame shifted by the tile's query and
  /// key offsets. Only ops with a positional mask need one.
  std::tuple<Value, Value, DenseI64ArrayAttr> positions() {
    if (!op.hasPositionalMask())
      return {};
    OpFoldResult q0 = dims.queryPosDim ? offsets[*dims.queryPosDim]
                                       : OpFoldResult(b.getIndexAttr(0));
    OpFoldResult k0 = offsets[dims.keyPosDim];
    DenseI64ArrayAttr extents = op.getPositionExtentsAttr();
    if (!extents)
      extents = b.getDenseI64ArrayAttr(
          {dims.queryPosDim ? dims.extents[*dims.queryPosDim] : 1,
           dims.extents[dims.keyPosDim]});
    return {add(op.getQueryOffset(), q0), add(op.getKeyOffset(), k0), extents};
  }

  /// The tiled op on slices of every input, writing into `output` (and
  /// `logSumExp` when given).
  FailureOr<AttentionOp> build(Value output, Value logSumExp) {
    SmallVector<Value> queries, keys;
    for (auto [i, q] : llvm::enumerate(op.getQueries())) {
      FailureOr<Value> s = slice(q, op.getQueryMap(i), "query");
      if (failed(s))
        return failure();
      queries.push_back(*s);
    }
    for (auto [i, k] : llvm::enumerate(op.getKeys())) {
      FailureOr<Value> s = slice(k, op.getKeyMap(i), "key");
      if (failed(s))
        return failure();
      keys.push_back(*s);
    }
    FailureOr<Value> value = slice(op.getValue(), op.getValueMap(), "value");
    if (failed(value))
      return failure();
    Value mask, lengths;
    if (op.getMask()) {
      FailureOr<Value> s = slice(op.getMask(), op.getMaskMap(), "mask");
      if (failed(s))
        return failure();
      mask = *s;
    }
    if (op.getKvLengths()) {
      FailureOr<Value> s =
          slice(op.getKvLengths(), op.getKvLengthsMap(), "kv_lengths");
      if (failed(s))
        return failure();
      lengths = *s;
    }
    auto [queryOffset, keyOffset, extents] = positions();

    // The maps stay: a tile keeps the op's iteration space, only smaller.
    SmallVector<AffineMap> maps;
    for (unsigned i = 0; i < op.getQueries().size(); ++i)
      maps.push_back(op.getQueryMap(i));
    for (unsigned i = 0; i < op.getKeys().size(); ++i)
      maps.push_back(op.getKeyMap(i));
    maps.push_back(op.getValueMap());
    if (mask)
      maps.push_back(op.getMaskMap());
    if (lengths)
      maps.push_back(op.getKvLengthsMap());
    maps.push_back(op.getOutputMap());
    if (logSumExp)
      maps.push_back(logSumExpMap());

    Type lseType = logSumExp ? logSumExp.getType() : Type();
    return AttentionOp::create(
        b, loc, output.getType(), lseType, queries, keys, *value, mask, lengths,
        queryOffset, keyOffset, output, logSumExp, op.getScale(),
        b.getAffineMapArrayAttr(maps), op.getMaskKindAttr(), op.getWindowAttr(),
        extents);
  }

  /// The output's map without its N dimensions: the log-sum-exp's.
  AffineMap logSumExpMap() { return op.getRowMap(dims); }

  /// Offsets and sizes of the tile in a tensor indexed by `map`.
  void tileOf(AffineMap map, SmallVector<OpFoldResult> &tileOffsets,
              SmallVector<OpFoldResult> &tileSizes) const {
    for (AffineExpr e : map.getResults()) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      tileOffsets.push_back(offsets[d]);
      tileSizes.push_back(sizes[d]);
    }
  }

  OpBuilder &b;
  AttentionOp op;
  Location loc;
  AttentionDims dims;
  ArrayRef<OpFoldResult> offsets, sizes;
  SmallVector<Operation *> generatedSlices;
};

/// The map of result `resultNumber`: the output's, or the log-sum-exp's.
AffineMap resultMap(AttentionOp op, unsigned resultNumber) {
  return resultNumber == 0 ? op.getOutputMap() : op.getLogSumExpMap();
}

} // namespace

//===----------------------------------------------------------------------===//
// TilingInterface
//===----------------------------------------------------------------------===//

SmallVector<utils::IteratorType> AttentionOp::getLoopIteratorTypes() {
  AttentionDims dims = getAttentionDimsFromInputs();
  SmallVector<utils::IteratorType> iterators;
  for (DimRole role : dims.roles)
    iterators.push_back(role == DimRole::K1 || role == DimRole::K2
                            ? utils::IteratorType::reduction
                            : utils::IteratorType::parallel);
  return iterators;
}

SmallVector<Range> AttentionOp::getIterationDomain(OpBuilder &b) {
  AttentionDims dims = getAttentionDimsFromInputs();
  SmallVector<Range> domain;
  for (int64_t extent : dims.extents)
    domain.push_back(
        Range{b.getIndexAttr(0), b.getIndexAttr(extent), b.getIndexAttr(1)});
  return domain;
}

FailureOr<TilingResult>
AttentionOp::getTiledImplementation(OpBuilder &b, ArrayRef<OpFoldResult> offsets,
                                    ArrayRef<OpFoldResult> sizes) {
  TileSlicer slicer(b, *this, offsets, sizes);
  if (failed(slicer.checkStaticSizes()))
    return failure();
  for (unsigned d = 0; d < slicer.dims.getNumDims(); ++d) {
    DimRole role = slicer.dims.roles[d];
    if ((role == DimRole::K1 || role == DimRole::K2) && !slicer.isWhole(d))
      return emitOpError("cannot tile ")
             << stringifyDimRole(role) << " dimension d" << d
             << " like a parallel one: a softmax row needs all of its keys. "
             << (role == DimRole::K2
                     ? "Split the keys as a partial reduction instead "
                       "(transform.structured.tile_reduction_using_forall)."
                     : "The head dimension of a contraction stays whole.");
  }
  FailureOr<Value> output = slicer.slice(getOutput(), getOutputMap(), "output");
  if (failed(output))
    return failure();
  Value logSumExp;
  if (getLogSumExpOutput()) {
    FailureOr<Value> s =
        slicer.slice(getLogSumExpOutput(), getLogSumExpMap(), "log_sum_exp");
    if (failed(s))
      return failure();
    logSumExp = *s;
  }
  FailureOr<AttentionOp> tiled = slicer.build(*output, logSumExp);
  if (failed(tiled))
    return failure();
  return TilingResult{{*tiled},
                      llvm::to_vector(llvm::map_range(
                          tiled->getResults(), [](OpResult r) -> Value { return r; })),
                      slicer.generatedSlices};
}

LogicalResult AttentionOp::getResultTilePosition(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> offsets,
    ArrayRef<OpFoldResult> sizes, SmallVector<OpFoldResult> &resultOffsets,
    SmallVector<OpFoldResult> &resultSizes) {
  TileSlicer slicer(b, *this, offsets, sizes);
  slicer.tileOf(resultMap(*this, resultNumber), resultOffsets, resultSizes);
  return success();
}

LogicalResult AttentionOp::getIterationDomainTileFromResultTile(
    OpBuilder &b, unsigned resultNumber, ArrayRef<OpFoldResult> resultOffsets,
    ArrayRef<OpFoldResult> resultSizes,
    SmallVectorImpl<OpFoldResult> &iterDomainOffsets,
    SmallVectorImpl<OpFoldResult> &iterDomainSizes) {
  // Dimensions the result does not index (K1, K2) are whole.
  AttentionDims dims = getAttentionDimsFromInputs();
  iterDomainOffsets.assign(dims.getNumDims(), b.getIndexAttr(0));
  iterDomainSizes.clear();
  for (int64_t extent : dims.extents)
    iterDomainSizes.push_back(b.getIndexAttr(extent));
  for (auto [r, e] : llvm::enumerate(resultMap(*this, resultNumber).getResults())) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    iterDomainOffsets[d] = resultOffsets[r];
    iterDomainSizes[d] = resultSizes[r];
  }
  return success();
}

FailureOr<TilingResult>
AttentionOp::generateResultTileValue(OpBuilder &b, unsigned resultNumber,
                                     ArrayRef<OpFoldResult> offsets,
                                     ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> domainOffsets, domainSizes;
  if (failed(getIterationDomainTileFromResultTile(b, resultNumber, offsets, sizes,
                                                  domainOffsets, domainSizes)))
    return failure();
  FailureOr<TilingResult> tiled =
      getTiledImplementation(b, domainOffsets, domainSizes);
  if (failed(tiled))
    return failure();
  tiled->tiledValues = {tiled->tiledValues[resultNumber]};
  return tiled;
}

//===----------------------------------------------------------------------===//
// PartialReductionOpInterface: split-KV
//===----------------------------------------------------------------------===//

/// Checks that the split is of the one key dimension.
static LogicalResult checkKeySplit(AttentionOp op, const AttentionDims &dims,
                                   const SetVector<unsigned> &reductionDims) {
  if (reductionDims.size() != 1 || reductionDims.front() != dims.keyPosDim ||
      dims.getDimsWithRole(DimRole::K2).size() != 1)
    return op.emitOpError("split-KV splits the one key (K2) dimension d")
           << dims.keyPosDim << " and nothing else";
  return success();
}

/// Maps over (output dims..., split, pair) of the packed partial: the packed
/// tensor itself, and the row (batch and M) part of the output dims.
static SmallVector<AffineExpr> rowExprsOfOutput(AttentionOp op,
                                                const AttentionDims &dims) {
  SmallVector<AffineExpr> exprs;
  for (auto [r, e] : llvm::enumerate(op.getOutputMap().getResults()))
    if (dims.roles[cast<AffineDimExpr>(e).getPosition()] != DimRole::N)
      exprs.push_back(getAffineDimExpr(r, op.getContext()));
  return exprs;
}

FailureOr<SmallVector<Value>>
AttentionOp::generateInitialTensorForPartialReduction(
    OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
    const SetVector<unsigned> &reductionDims) {
  TileSlicer slicer(b, *this, {}, {});
  AttentionDims &dims = slicer.dims;
  if (failed(checkKeySplit(*this, dims, reductionDims)))
    return failure();
  std::optional<int64_t> numSplits = getConstantIntValue(sizes[dims.keyPosDim]);
  if (!numSplits)
    return emitOpError("the number of key splits must be static");
  // The identities of the merge, o_s = 0 and lse_s = -inf, so that a share
  // that wrote nothing would weigh nothing.
  Type f32 = b.getF32Type();
  const float negInf = -std::numeric_limits<float>::infinity();
  SmallVector<int64_t> packedShape, lseShape;
  for (AffineExpr e : getOutputMap().getResults()) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    packedShape.push_back(dims.extents[d]);
    if (dims.roles[d] != DimRole::N)
      lseShape.push_back(dims.extents[d]);
  }
  packedShape.append({*numSplits, 2});
  lseShape.push_back(*numSplits);
  unsigned rank = packedShape.size();
  Value packed =
      linalg::GenericOp::create(
          b, loc, TypeRange{RankedTensorType::get(packedShape, f32)}, ValueRange{},
          ValueRange{tensor::EmptyOp::create(b, loc, packedShape, f32)},
          ArrayRef<AffineMap>{b.getMultiDimIdentityMap(rank)},
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location nl, ValueRange) {
            Value isOutput = arith::CmpIOp::create(
                nb, nl, arith::CmpIPredicate::eq,
                linalg::IndexOp::create(nb, nl, rank - 1),
                arith::ConstantIndexOp::create(nb, nl, 0));
            Value r = arith::SelectOp::create(
                nb, nl, isOutput,
                arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(0)),
                arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(negInf)));
            linalg::YieldOp::create(nb, nl, r);
          })
          .getResult(0);
  SmallVector<Value> partials = {packed};
  if (getLogSumExpOutput())
    partials.push_back(buildFilledTensor(b, loc, lseShape, f32, negInf));
  return partials;
}

FailureOr<TilingResult> AttentionOp::tileToPartialReduction(
    OpBuilder &b, Location loc, ReductionTilingStrategy tilingStrategy,
    ValueRange init, ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,
    const SetVector<unsigned> &reductionDims,
    ArrayRef<OpFoldResult> splitReductionIvs) {
  TileSlicer slicer(b, *this, offsets, sizes);
  AttentionDims &dims = slicer.dims;
  if (failed(checkKeySplit(*this, dims, reductionDims)))
    return failure();
  if (tilingStrategy != ReductionTilingStrategy::PartialReductionOuterParallel)
    return emitOpError("split-KV needs parallel key shares (each share keeps "
                       "its own softmax); a loop-carried partial reduction of "
                       "attention is the flash lowering's online softmax");
  if (failed(slicer.checkStaticSizes()))
    return failure();
  for (unsigned d = 0; d < dims.getNumDims(); ++d)
    if (dims.roles[d] == DimRole::K1 && !slicer.isWhole(d))
      return emitOpError("cannot tile K1 dimension d")
             << d << ": the head dimension of a contraction stays whole";

  // The share: an attention over the key slice into f32 scratch tiles.
  Type f32 = b.getF32Type();
  SmallVector<int64_t> outShape, rowShape;
  for (AffineExpr e : getOutputMap().getResults()) {
    unsigned d = cast<AffineDimExpr>(e).getPosition();
    int64_t size = *getConstantIntValue(sizes[d]);
    outShape.push_back(size);
    if (dims.roles[d] != DimRole::N)
      rowShape.push_back(size);
  }
  FailureOr<AttentionOp> share =
      slicer.build(tensor::EmptyOp::create(b, loc, outShape, f32),
                   tensor::EmptyOp::create(b, loc, rowShape, f32));
  if (failed(share))
    return failure();

  // Packed into this share's slot of the partial tensor.
  Value split = getValueOrCreateConstantIndexOp(b, loc, splitReductionIvs.front());
  SmallVector<OpFoldResult> slotOffsets, slotSizes;
  slicer.tileOf(getOutputMap(), slotOffsets, slotSizes);
  slotOffsets.append({split, b.getIndexAttr(0)});
  slotSizes.append({b.getIndexAttr(1), b.getIndexAttr(2)});
  SmallVector<int64_t> packedShape(outShape);
  packedShape.push_back(2);
  auto slot = tensor::ExtractSliceOp::create(
      b, loc, RankedTensorType::get(packedShape, f32), init[0], slotOffsets,
      slotSizes, SmallVector<OpFoldResult>(slotSizes.size(), b.getIndexAttr(1)));
  slicer.generatedSlices.push_back(slot);
  unsigned rank = packedShape.size();
  MLIRContext *ctx = getContext();
  AffineMap outPart = AffineMap::getMultiDimIdentityMap(rank, ctx).getMajorSubMap(rank - 1);
  AffineMap rowPart = AffineMap::get(rank, 0, rowExprsOfOutput(*this, dims), ctx);
  auto pack = linalg::GenericOp::create(
      b, loc, TypeRange{slot.getType()},
      ValueRange{share->getResult(), share->getLogSumExp()}, ValueRange{slot},
      ArrayRef<AffineMap>{outPart, rowPart, AffineMap::getMultiDimIdentityMap(rank, ctx)},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value isOutput = arith::CmpIOp::create(
            nb, nl, arith::CmpIPredicate::eq, linalg::IndexOp::create(nb, nl, rank - 1),
            arith::ConstantIndexOp::create(nb, nl, 0));
        linalg::YieldOp::create(
            nb, nl, arith::SelectOp::create(nb, nl, isOutput, args[0], args[1]).getResult());
      });
  SmallVector<Value> tiledValues = {pack.getResult(0)};
  if (init.size() > 1)
    tiledValues.push_back(share->getLogSumExp());
  // The share is the tiled op; upstream's transform ops hand out one handle.
  return TilingResult{{*share}, tiledValues, slicer.generatedSlices};
}

LogicalResult AttentionOp::getPartialResultTilePosition(
    OpBuilder &b, unsigned resultNumber, ReductionTilingStrategy tilingStrategy,
    ArrayRef<OpFoldResult> offsets, ArrayRef<OpFoldResult> sizes,
    const SetVector<unsigned> &reductionDims,
    ArrayRef<OpFoldResult> splitReductionIvs,
    SmallVector<OpFoldResult> &resultOffsets,
    SmallVector<OpFoldResult> &resultSizes) {
  if (tilingStrategy != ReductionTilingStrategy::PartialReductionOuterParallel)
    return failure();
  TileSlicer slicer(b, *this, offsets, sizes);
  AffineMap map = resultNumber == 0 ? getOutputMap() : slicer.logSumExpMap();
  slicer.tileOf(map, resultOffsets, resultSizes);
  resultOffsets.push_back(splitReductionIvs.front());
  resultSizes.push_back(b.getIndexAttr(1));
  if (resultNumber == 0) {
    resultOffsets.push_back(b.getIndexAttr(0));
    resultSizes.push_back(b.getIndexAttr(2));
  }
  return success();
}

FailureOr<MergeResult>
AttentionOp::mergeReductions(OpBuilder &b, Location loc, ValueRange partialReduce,
                             const SetVector<unsigned> &reductionDims) {
  AttentionDims dims = getAttentionDimsFromInputs();
  if (failed(checkKeySplit(*this, dims, reductionDims)))
    return failure();
  Value packed = partialReduce[0];
  auto outType = cast<RankedTensorType>(getOutput().getType());
  unsigned outRank = outType.getRank();
  MLIRContext *ctx = getContext();

  // Every merge runs over (output dims..., split), or (row dims..., split)
  // for the log-sum-exp; each output element merges its own row's weights.
  auto packedAt = [&](unsigned numDims, ArrayRef<AffineExpr> prefix,
                      int64_t element) {
    SmallVector<AffineExpr> exprs(prefix);
    exprs.push_back(getAffineDimExpr(numDims - 1, ctx));
    exprs.push_back(getAffineConstantExpr(element, ctx));
    return AffineMap::get(numDims, 0, exprs, ctx);
  };
  SmallVector<AffineExpr> outDims;
  for (unsigned r = 0; r < outRank; ++r)
    outDims.push_back(getAffineDimExpr(r, ctx));
  AffineMap outOfSplit = AffineMap::get(outRank + 1, 0, outDims, ctx);

  // M = max_s lse_s, W = sum_s exp(lse_s - M), acc = sum_s exp(lse_s - M) o_s.
  MappedTensor lse{packed, packedAt(outRank + 1, outDims, 1)};
  Value max = buildSplitMax(b, loc, outType.getShape(), lse);
  SmallVector<Value> sums = buildWeightedSplitSums(
      b, loc, outType.getShape(), lse, {max, outOfSplit},
      {std::nullopt, MappedTensor{packed, packedAt(outRank + 1, outDims, 0)}});
  // o = acc / W (0 where W = 0), in the output's element type.
  Type outElement = outType.getElementType();
  AffineMap outId = AffineMap::getMultiDimIdentityMap(outRank, ctx);
  auto normalizeOp = linalg::GenericOp::create(
      b, loc, TypeRange{outType}, ValueRange{sums[1], sums[0]},
      ValueRange{getOutput()}, ArrayRef<AffineMap>{outId, outId, outId},
      SmallVector<utils::IteratorType>(outRank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(
            nb, nl, buildNormalizedRow(nb, nl, args[0], args[1], outElement));
      });
  SmallVector<Value> replacements = {normalizeOp.getResult(0)};

  if (Value lseInit = getLogSumExpOutput()) {
    // lse = M + log sum_s exp(lse_s - M), from the row partials.
    Value partialLse = partialReduce[1];
    auto lseType = cast<RankedTensorType>(lseInit.getType());
    unsigned rowRank = lseType.getRank();
    AffineMap rowId = AffineMap::getMultiDimIdentityMap(rowRank + 1, ctx);
    AffineMap rowOfSplit = rowId.getMajorSubMap(rowRank);
    MappedTensor rowLse{partialLse, rowId};
    Value rowMax = buildSplitMax(b, loc, lseType.getShape(), rowLse);
    Value rowSum = buildWeightedSplitSums(b, loc, lseType.getShape(), rowLse,
                                          {rowMax, rowOfSplit},
                                          {std::nullopt})
                       .front();
    AffineMap rowOnly = AffineMap::getMultiDimIdentityMap(rowRank, ctx);
    replacements.push_back(
        linalg::GenericOp::create(
            b, loc, TypeRange{lseType}, ValueRange{rowMax, rowSum},
            ValueRange{lseInit}, ArrayRef<AffineMap>{rowOnly, rowOnly, rowOnly},
            SmallVector<utils::IteratorType>(rowRank, utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location nl, ValueRange args) {
              linalg::YieldOp::create(
                  nb, nl, buildRowLogSumExp(nb, nl, args[0], args[1]));
            })
            .getResult(0));
  }
  // One merge op is reported, the one that writes the output: upstream's
  // transform ops hand out one handle to "the" combining op.
  return MergeResult{{normalizeOp}, replacements};
}
