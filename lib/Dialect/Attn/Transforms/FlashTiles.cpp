//===- FlashTiles.cpp - tiles and one key step of the flash loop ---===//
//
// The FlashBuilder's operand tiles (slices along the tile loops, with the
// maps that read them) and one step of the key loop: scores, mask, online
// softmax update and P.V.
//
//===----------------------------------------------------------------------===//

#include "FlashBuilder.h"

#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::attn;


FlashBuilder::FlashBuilder(OpBuilder &b, AttentionOp op,
                           codegen::FlashConfigAttr config)
    : op(op), loc(op.getLoc()), dims(op.getAttentionDims()),
      kvSplits(config.getKvSplits()),
      minOuterProductRows(config.getMinOuterProductRows()),
      prefetch(config.getPrefetch()), bf16Dot(config.getBf16Dot()),
      bf16Probabilities(config.getBf16Probabilities()), amx(config.getAmx()),
      f32(b.getF32Type()) {
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
      // One point of the dimension: one head of a grouped operand.
      FailureOr<GroupedSlice> grouped =
          sliceGroupedDim(b, loc, index, /*size=*/1, extent(d), shape[r]);
      offsets.push_back(grouped->offset);
      sizes.push_back(b.getIndexAttr(grouped->size));
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
  op->setAttr(codegen::kStreamedKeyTileAttrName,
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

SmallVector<unsigned>
FlashBuilder::sliceDims(const MappedOperand &operand) const {
  SmallVector<unsigned> result;
  for (AffineExpr expr : operand.map.getResults()) {
    unsigned d = cast<AffineDimExpr>(expr).getPosition();
    if (!dropsDim(operand, d))
      result.push_back(d);
  }
  return result;
}

bool FlashBuilder::usesAmx(int64_t qSize) const {
  int64_t rows = rowsOf(qSize);
  if (!amx || !bf16Probabilities || rows % kAmxTileRows ||
      usesDotScores(qSize) || nDims.size() != 1 ||
      extent(nDims[0]) % kAmxTileRows)
    return false;
  auto isBf16 = [](Value v) {
    return getElementTypeOrSelf(v.getType()).isBF16();
  };
  // Tile rows are read in place: the reduced (K) or value (V) dimension
  // must be contiguous, only unit dimensions after it in the operand.
  auto innermost = [](const MappedOperand &operand, unsigned d) {
    ArrayRef<int64_t> shape =
        cast<RankedTensorType>(operand.value.getType()).getShape();
    std::optional<unsigned> pos =
        operand.map.getResultPosition(getAffineDimExpr(d, operand.map.getContext()));
    return pos && llvm::all_of(shape.drop_front(*pos + 1),
                               [](int64_t size) { return size == 1; });
  };
  if (!isBf16(value.value) || !innermost(value, nDims[0]) ||
      sliceDims(value) != SmallVector<unsigned>{kDim, nDims[0]})
    return false;
  for (auto [i, contracted] : llvm::enumerate(dims.contractionDims))
    if (!isBf16(queries[i].value) || !isBf16(keys[i].value) ||
        contracted.size() != 1 || extent(contracted[0]) % kAmxPairRow ||
        !innermost(keys[i], contracted[0]) ||
        sliceDims(keys[i]) != SmallVector<unsigned>{kDim, contracted[0]})
      return false;
  return true;
}

Value FlashBuilder::buildVnniPack(OpBuilder &b, Value rowsTensor) const {
  // [2P, N] viewed as [P, 2, N], then out[p, n, j] = in[p, j, n].
  auto type = cast<RankedTensorType>(rowsTensor.getType());
  int64_t pairs = type.getDimSize(0) / 2, width = type.getDimSize(1);
  Type elementType = type.getElementType();
  Value rowPairs = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({pairs, 2, width}, elementType), rowsTensor,
      ArrayRef<ReassociationIndices>{{0, 1}, {2}});
  Value init = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{pairs, width, 2}, elementType);
  MLIRContext *ctx = b.getContext();
  AffineExpr p, n, j;
  bindDims(ctx, p, n, j);
  auto pack = linalg::GenericOp::create(
      b, loc, init.getType(), ValueRange{rowPairs}, ValueRange{init},
      ArrayRef<AffineMap>{AffineMap::get(3, 0, {p, j, n}, ctx),
                          AffineMap::get(3, 0, {p, n, j}, ctx)},
      SmallVector<utils::IteratorType>(3, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(nb, nl, args[0]);
      });
  pack->setAttr(codegen::kAmxTileAttrName, b.getUnitAttr());
  return pack.getResult(0);
}

Value FlashBuilder::buildAmxContraction(OpBuilder &b, Value rows,
                                        Value packedColumns, Value acc) const {
  // rows [M, K] viewed as [M, K/2, 2]; acc[m, n] += rows . packed columns.
  auto type = cast<RankedTensorType>(rows.getType());
  Value rowPairs = tensor::ExpandShapeOp::create(
      b, loc,
      RankedTensorType::get({type.getDimSize(0), type.getDimSize(1) / 2, 2},
                            type.getElementType()),
      rows, ArrayRef<ReassociationIndices>{{0}, {1, 2}});
  MLIRContext *ctx = b.getContext();
  AffineExpr m, n, k, j;
  bindDims(ctx, m, n, k, j);
  Value result = buildContraction(
      b, loc, 4, rowPairs, AffineMap::get(4, 0, {m, k, j}, ctx), packedColumns,
      AffineMap::get(4, 0, {k, n, j}, ctx), acc,
      AffineMap::get(4, 0, {m, n}, ctx));
  result.getDefiningOp()->setAttr(codegen::kAmxTileAttrName, b.getUnitAttr());
  return result;
}

RowState FlashBuilder::buildKeyStep(OpBuilder &b, ArrayRef<Value> point,
                                    ArrayRef<Value> transposedQueries,
                                    ArrayRef<Value> packedQueries, Value q0,
                                    int64_t qSize, Value k0, int64_t kSize,
                                    Value length, RowState state) {
  // Scores are kept transposed, [k, q]: row statistics then reduce across
  // rows, elementwise along contiguous queries. A dot-product tile has fewer
  // rows than a vector (decode): its scores are kept [q, k], so that the
  // softmax runs along the keys on whole vectors, and the rows' statistics
  // are reductions along each row.
  bool dotScores = usesDotScores(qSize);
  // AMX: both contractions reduce over keys or features in whole tile rows
  // of 32 bf16; the P.V reduction is over this tile's keys.
  bool amxStep = !packedQueries.empty() && kSize % kAmxPairRow == 0;
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
  // AMX starts these scores from zeroed tiles (no memset call between the
  // tile instructions), so the fill stays whole for attn-x86-amx-tiles.
  if (amxStep)
    scores.getDefiningOp()->setAttr(codegen::kAmxTileAttrName, b.getUnitAttr());
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
    Value keyTile = slice(b, keys[i], point, q0, qSize, k0, kSize);
    if (amxStep) {
      // s[k, q] += K[k, :] . queries packed in VNNI pairs: the key rows are
      // the AMX A operand, read in place.
      scores = buildAmxContraction(b, keyTile, packedQueries[i], scores);
      continue;
    }
    scores = buildContraction(
        b, loc, domain.size(), keyTile, sliceMap(domain, keys[i]),
        transposedQueries[i], tileMap(domain, tDims), scores,
        tileMap(domain, scoreDims));
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

  // m' = max(m, rowmax(s)). An AMX step takes the tile's row max into a
  // buffer of its own and m' into another (alloc_tensor: CSE would merge an
  // empty tensor with the loop's initial one), so that the loop's max buffer
  // is only written by the copy of m' at the end of the step (below).
  Value newMax;
  if (amxStep) {
    auto rowType = RankedTensorType::get({rows}, f32);
    auto fresh = [&]() -> Value {
      return bufferization::AllocTensorOp::create(b, loc, rowType,
                                                  ValueRange{});
    };
    Value tileMax = buildAccumulate<arith::MaximumFOp>(
        b, loc, masked, scoreId,
        linalg::FillOp::create(b, loc, ValueRange{negInf}, ValueRange{fresh()})
            .getResult(0),
        scoreToRow, rowReduce);
    AffineMap id = b.getMultiDimIdentityMap(1);
    newMax = linalg::GenericOp::create(
                 b, loc, rowType, ValueRange{state.rowMax, tileMax},
                 ValueRange{fresh()}, ArrayRef<AffineMap>{id, id, id},
                 utils::IteratorType::parallel,
                 [&](OpBuilder &nb, Location nl, ValueRange args) {
                   linalg::YieldOp::create(
                       nb, nl,
                       arith::MaximumFOp::create(nb, nl, args[0], args[1])
                           .getResult());
                 })
                 .getResult(0);
  } else {
    newMax = buildAccumulate<arith::MaximumFOp>(
        b, loc, masked, scoreId, state.rowMax, scoreToRow, rowReduce);
  }
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
  Value valueTile = slice(b, value, point, q0, qSize, k0, kSize);
  if (amxStep) {
    // acc[q, n] += P[q, :] . V packed in VNNI pairs (once per key tile).
    Value newAcc = buildAmxContraction(b, probs, buildVnniPack(b, valueTile),
                                       scaledAcc);
    // m' copied into the loop's own max buffer, which the loop carries: a
    // fresh max buffer per key step (malloc, a call) would sit between the
    // tile instructions of the loop, after which LLVM configures the tiles
    // again.
    Value carriedMax = bufferization::MaterializeInDestinationOp::create(
                           b, loc, newMax, state.rowMax)
                           .getResult();
    return {carriedMax, newSum, newAcc};
  }
  Value newAcc = buildContraction(b, loc, pvDims.size(), probs,
                                  tileMap(pvDims, probDims), valueTile,
                                  sliceMap(pvDims, value), scaledAcc,
                                  tileMap(pvDims, accDims));
  markStreamed(newAcc, /*input=*/1, value, qSize);
  return {newMax, newSum, newAcc};
}
