//===- LowerGroupedHeadAttention.cpp - GTA to the core op -----------------===//
//
// GTA (VARIANTS.md, section 5): the nq score maps are the heads of one
// attn.attention whose key and value heads are grouped (nk and nc divide nq),
// so keys and latent values are never copied per map. The value decoder and
// the sigmoid gate are an epilogue on its [B,S,nq,dl] result; with a query
// tile, upstream's tile-and-fuse driver applies them tile by tile.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"
#include "attnc/Dialect/Attn/IR/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/CSE.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWERGROUPEDHEADATTENTION
#include "attnc/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

/// Tiles `gate` (the epilogue's last op, over (b, s, i, r, l)) into an
/// scf.forall over batch points and query tiles, fusing its producers (the
/// decoder contraction, the identity broadcast and the attention) into it.
static Value tileEpilogue(RewriterBase &rewriter, linalg::GenericOp gate,
                          int64_t queryTile) {
  scf::SCFTileAndFuseOptions options;
  options.tilingOptions.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  options.tilingOptions.setTileSizes(getAsIndexOpFoldResult(
      rewriter.getContext(), ArrayRef<int64_t>{1, queryTile, 0, 0, 0}));
  FailureOr<scf::SCFTileAndFuseResult> result =
      scf::tileConsumerAndFuseProducersUsingSCF(
          rewriter, cast<TilingInterface>(gate.getOperation()), options);
  if (failed(result))
    return gate.getResult(0);
  // The attention tile is fused once per use of its result (the identity
  // term and the decoder); the two are the same op on the same slices.
  DominanceInfo dominance;
  for (LoopLikeOpInterface loop : result->loops)
    eliminateCommonSubExpressions(rewriter, dominance, loop);
  Value tiled = result->replacements.lookup(gate.getResult(0));
  if (!tiled)
    return gate.getResult(0);
  rewriter.eraseOp(gate);
  return tiled;
}

static Value lowerGroupedHeadAttention(RewriterBase &b, GroupedHeadAttentionOp op,
                                       int64_t queryTile) {
  Location loc = op.getLoc();
  Type f32 = b.getF32Type();
  auto qType = cast<RankedTensorType>(op.getQueries().getType());
  auto vType = cast<RankedTensorType>(op.getValues().getType());
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  int64_t batch = qType.getDimSize(0), numQueries = qType.getDimSize(1),
          numMaps = qType.getDimSize(2), dl = vType.getDimSize(3),
          e = op.getExpansion();

  // o[b,s,i,l] over (b, i, s, t, d, l): map i reads key head floor(i*nk/nq)
  // and value head floor(i*nc/nq), the core op's grouped heads.
  auto dim = [&](unsigned i) { return b.getAffineDimExpr(i); };
  SmallVector<AffineMap> maps = {makeMap(b, 6, {dim(0), dim(2), dim(1), dim(4)}),
                                 makeMap(b, 6, {dim(0), dim(3), dim(1), dim(4)}),
                                 makeMap(b, 6, {dim(0), dim(3), dim(1), dim(5)})};
  if (op.getKvLengths())
    maps.push_back(makeMap(b, 6, {dim(0)}));
  maps.push_back(makeMap(b, 6, {dim(0), dim(2), dim(1), dim(5)}));
  Value init = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{batch, numQueries, numMaps, dl}, f32);
  Value o = AttentionOp::create(b, loc, init.getType(), ValueRange{op.getQueries()},
                                ValueRange{op.getKeys()}, op.getValues(),
                                /*mask=*/Value(), op.getKvLengths(), init,
                                op.getScale(), b.getAffineMapArrayAttr(maps),
                                op.getMaskKindAttr(), op.getWindowAttr())
                .getResult();

  // The decoder's output width e*dl, and the gate and output's width D, are
  // split as (e, dl) and (nq, e, dl) so that [I ... I] is a broadcast of o.
  Type elementType = getElementTypeOrSelf(op.getDecoder().getType());
  Value decoder = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({numMaps, dl, e, dl}, elementType),
      op.getDecoder(), ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
  auto splitWidth = [&](Value v) -> Value {
    Type t = getElementTypeOrSelf(v.getType());
    return tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({batch, numQueries, numMaps, e, dl}, t), v,
        ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3, 4}});
  };
  Value gate = splitWidth(op.getGate());
  Value output = splitWidth(op.getOutput());

  // u[b,s,i,r,l] = o[b,s,i,l] + sum_k o[b,s,i,k] * w_vb[i,k,r,l]  over
  // (b, s, i, r, l, k): the identity blocks are the broadcast initial value.
  AffineMap id5 = b.getMultiDimIdentityMap(5);
  SmallVector<utils::IteratorType> parallel5(5, utils::IteratorType::parallel);
  Value broadcast =
      linalg::GenericOp::create(
          b, loc,
          RankedTensorType::get({batch, numQueries, numMaps, e, dl}, f32),
          ValueRange{o},
          ValueRange{tensor::EmptyOp::create(
              b, loc, ArrayRef<int64_t>{batch, numQueries, numMaps, e, dl}, f32)},
          ArrayRef<AffineMap>{makeMap(b, 5, {dim(0), dim(1), dim(2), dim(4)}), id5},
          parallel5,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(nb, nl, args[0]);
          })
          .getResult(0);
  Value u = buildContraction(
      b, loc, 6, o, makeMap(b, 6, {dim(0), dim(1), dim(2), dim(5)}), decoder,
      makeMap(b, 6, {dim(2), dim(5), dim(3), dim(4)}), broadcast,
      makeMap(b, 6, {dim(0), dim(1), dim(2), dim(3), dim(4)}));

  // y = sigmoid(gate) * u, written into the output.
  Type outElementType = outType.getElementType();
  Value gated =
      linalg::GenericOp::create(
          b, loc, output.getType(), ValueRange{gate, u}, ValueRange{output},
          ArrayRef<AffineMap>{id5, id5, id5}, parallel5,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value x = castFloat(nb, nl, args[0], f32);
            Value one = arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(1.0));
            Value expNeg = math::ExpOp::create(
                nb, nl, arith::NegFOp::create(nb, nl, x).getResult());
            Value sigmoid = arith::DivFOp::create(
                nb, nl, one, arith::AddFOp::create(nb, nl, one, expNeg).getResult());
            Value y = arith::MulFOp::create(nb, nl, sigmoid, args[1]);
            linalg::YieldOp::create(nb, nl, castFloat(nb, nl, y, outElementType));
          })
          .getResult(0);
  // Only query tiles that divide the queries keep every tile static.
  if (queryTile > 0 && queryTile < numQueries && numQueries % queryTile == 0) {
    gated = tileEpilogue(b, cast<linalg::GenericOp>(gated.getDefiningOp()),
                         queryTile);
    // The untiled chain is dead now; drop it here rather than lower it.
    for (Value v : {u, broadcast, o})
      if (Operation *def = v.getDefiningOp(); def && def->use_empty())
        b.eraseOp(def);
  }
  return tensor::CollapseShapeOp::create(
      b, loc, outType, gated, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3, 4}});
}

namespace mlir::attn {
namespace {
struct AttnLowerGroupedHeadAttention
    : public impl::AttnLowerGroupedHeadAttentionBase<
          AttnLowerGroupedHeadAttention> {
  using Base::Base;

  void runOnOperation() override {
    if (queryTile < 0) {
      emitError(getOperation()->getLoc())
          << "attn-lower-grouped-head-attention: query-tile must be 0 (off) "
             "or positive, got "
          << static_cast<int64_t>(queryTile);
      return signalPassFailure();
    }
    SmallVector<GroupedHeadAttentionOp> ops;
    getOperation()->walk([&](GroupedHeadAttentionOp op) { ops.push_back(op); });
    IRRewriter rewriter(&getContext());
    for (GroupedHeadAttentionOp op : ops) {
      rewriter.setInsertionPoint(op);
      rewriter.replaceOp(op, lowerGroupedHeadAttention(rewriter, op, queryTile));
    }
  }
};
} // namespace
} // namespace mlir::attn
