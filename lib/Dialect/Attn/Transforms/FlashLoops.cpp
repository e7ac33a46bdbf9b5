//===- FlashLoops.cpp - the loops of the flash lowering ---===//
//
// The FlashBuilder's loops: the key loop over full tiles and a remainder
// tile carrying the row state, the parallel query-tile loops, the
// normalized output and log-sum-exp tiles, and split-KV with its merge.
//
//===----------------------------------------------------------------------===//

#include "FlashBuilder.h"

#include <limits>
#include <numeric>

using namespace mlir;
using namespace mlir::attn;

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
  // Packed only where some key step (full tiles, remainder) can use them.
  SmallVector<Value> packedQueries;
  bool amxSteps = (numFullTiles > 0 && keyTile % kAmxPairRow == 0) ||
                  (remainder > 0 && remainder % kAmxPairRow == 0);
  if (amxSteps && usesAmx(qSize))
    for (Value transposed : transposedQueries)
      packedQueries.push_back(buildVnniPack(b, transposed));
  auto loop = scf::ForOp::create(
      b, loc, firstTile, endTile, indexConst(1),
      ValueRange{state.rowMax, state.rowSum, state.acc},
      [&](OpBuilder &nb, Location nl, Value tile, ValueRange iterArgs) {
        Value k0 = arith::MulIOp::create(nb, nl, tile, tileSize);
        RowState next =
            buildKeyStep(nb, point, transposedQueries, packedQueries, q0,
                         qSize, k0, keyTile, length,
                         {iterArgs[0], iterArgs[1], iterArgs[2]});
        scf::YieldOp::create(nb, nl, ValueRange{next.rowMax, next.rowSum, next.acc});
      });
  state = {loop.getResult(0), loop.getResult(1), loop.getResult(2)};
  if (remainder == 0)
    return state;
  Value remainderStart = indexConst(numFullTiles * keyTile);
  auto remainderStep = [&](OpBuilder &nb) {
    return buildKeyStep(nb, point, transposedQueries, packedQueries, q0, qSize,
                        remainderStart, remainder, length, state);
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
  // Over [rows, split]: M = max_s m_s and l = sum_s exp(m_s - M) l_s; over
  // [rows, n..., split]: acc = sum_s exp(m_s - M) acc_s.
  AffineExpr r0 = b.getAffineDimExpr(0), s0 = b.getAffineDimExpr(1);
  MappedTensor rowMaxes{tiles[0], makeMap(b, 2, {s0, r0})};
  Value rowMax = buildSplitMax(b, loc, {rows}, rowMaxes);
  Value rowSum =
      buildWeightedSplitSums(b, loc, {rows}, rowMaxes,
                             {rowMax, makeMap(b, 2, {r0})},
                             {MappedTensor{tiles[1], rowMaxes.map}})
          .front();
  unsigned accRank = 2 + nDims.size();
  AffineExpr split = b.getAffineDimExpr(accRank - 1);
  SmallVector<AffineExpr> accExprs = {r0};
  for (unsigned j = 0; j < nDims.size(); ++j)
    accExprs.push_back(b.getAffineDimExpr(1 + j));
  SmallVector<AffineExpr> partialExprs = {split};
  llvm::append_range(partialExprs, accExprs);
  SmallVector<int64_t> mergedAccShape = {rows};
  for (unsigned d : nDims)
    mergedAccShape.push_back(extent(d));
  Value acc = buildWeightedSplitSums(
                  b, loc, mergedAccShape,
                  {tiles[0], makeMap(b, accRank, {split, r0})},
                  {rowMax, makeMap(b, accRank, {r0})},
                  {MappedTensor{tiles[2], makeMap(b, accRank, partialExprs)}})
                  .front();

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
