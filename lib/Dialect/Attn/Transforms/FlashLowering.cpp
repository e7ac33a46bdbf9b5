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

#include "FlashBuilder.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"

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
        static_cast<bool>(bf16Probabilities), static_cast<bool>(prefetch),
        static_cast<bool>(amx));
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
