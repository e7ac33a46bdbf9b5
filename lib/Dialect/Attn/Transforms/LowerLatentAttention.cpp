//===- LowerLatentAttention.cpp - latent attention to the core op ---------===//
//
// Every branch of an attn.latent_attention becomes one attn.attention, in the
// absorbed or the expanded form (VARIANTS.md, section 2). Heads that share a
// latent block are grouped heads of the core op: the latent is read once per
// group, never copied per head.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"
#include "attnc/Dialect/Attn/IR/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWERLATENTATTENTION
#include "attnc/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

class LatentLowering {
public:
  LatentLowering(OpBuilder &b, LatentAttentionOp op)
      : b(b), op(op), loc(op.getLoc()), f32(b.getF32Type()),
        elementType(getElementTypeOrSelf(op.getLatent().getType())) {
    auto q = cast<RankedTensorType>(op.getQNope().getType());
    auto out = cast<RankedTensorType>(op.getOutput().getType());
    batch = q.getDimSize(0);
    numQueries = q.getDimSize(1);
    numHeads = q.getDimSize(2);
    dn = q.getDimSize(3);
    dv = out.getDimSize(3);
    db = op.getBlockWidth();
    numKeys = cast<RankedTensorType>(op.getLatent().getType()).getDimSize(1);
    dR = op.getRopeWidth();
  }

  Value build(LatentForm form);

private:
  /// Unit-extent block dimensions make MLA's one-block operands look like the
  /// blocked ones: latent [B,T,1,db], w_uk [1,H,db,dn], k_rope [B,T,1,dR].
  void normaliseOperands();

  /// Head h reads latent block first + floor(h / (H / count)) in `branch`:
  /// groups of H / count consecutive heads share a block. `build` makes one
  /// group's result from its slice of `full` (heads [h0, h0 + G) along
  /// `headDim`) given the block it reads; the results are inserted back.
  /// Per-group slices keep every indexing map a projected permutation (a
  /// `floordiv` in a map would leave the op scalar).
  Value perBlockGroup(LatentBranchAttr branch, Value full, unsigned headDim,
                      function_ref<Value(int64_t block, int64_t h0, int64_t G,
                                         Value slice)>
                          build);
  /// `v` restricted to [offset, offset + size) along `dim`; with `drop` and
  /// size 1, without that dimension.
  Value sliceDim(Value v, unsigned dim, int64_t offset, int64_t size,
                 bool drop = false);
  /// w[block, h0 : h0 + G] of a [nb, H, C, N] weight, as [G, C, N].
  Value weightSlice(Value w, int64_t block, int64_t h0, int64_t G);

  /// One branch in absorbed form, accumulated into `acc` [B,S,H,dv] f32.
  Value buildAbsorbedBranch(LatentBranchAttr branch, Value acc);
  /// One branch in expanded form, accumulated into `acc` [B,S,H,dv] f32.
  Value buildExpandedBranch(LatentBranchAttr branch, Value acc);

  /// attn.attention over (b, h, s, t, d[, r], e) of [B,S,H,*] queries and
  /// [B,T,G,*] keys and value ([B,G,T,*] with `headMajor`): `query . key`,
  /// plus `q_rope . kR` when the op has the RoPE term, the value `width`
  /// wide.
  Value createAttention(Value query, Value key, Value value, int64_t width,
                        bool headMajor = false);

  OpBuilder &b;
  LatentAttentionOp op;
  Location loc;
  Type f32, elementType;
  int64_t batch, numQueries, numHeads, dn, dv, db, numKeys, dR;
  Value latent, wUk, wUv, kRope;
};

} // namespace

void LatentLowering::normaliseOperands() {
  latent = op.getLatent();
  wUk = op.getWUk();
  wUv = op.getWUv();
  auto expand = [&](Value v, ArrayRef<int64_t> shape,
                    ArrayRef<ReassociationIndices> groups) -> Value {
    auto type = RankedTensorType::get(shape, elementType);
    return tensor::ExpandShapeOp::create(b, loc, type, v, groups);
  };
  if (cast<RankedTensorType>(latent.getType()).getRank() == 3) {
    latent = expand(latent, {batch, numKeys, 1, db}, {{0}, {1}, {2, 3}});
    wUk = expand(wUk, {1, numHeads, db, dn}, {{0, 1}, {2}, {3}});
    wUv = expand(wUv, {1, numHeads, db, dv}, {{0, 1}, {2}, {3}});
  }
  // One RoPE key shared by all heads: a head dimension of extent 1, which the
  // core op reads as a grouped (MQA-style) operand.
  if (op.getKRope())
    kRope = expand(op.getKRope(), {batch, numKeys, 1, dR}, {{0}, {1}, {2, 3}});
}

Value LatentLowering::sliceDim(Value v, unsigned dim, int64_t offset,
                               int64_t size, bool drop) {
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    int64_t extent = d == dim ? size : type.getDimSize(d);
    sizes.push_back(b.getIndexAttr(extent));
    if (!(drop && d == dim))
      shape.push_back(extent);
  }
  offsets[dim] = b.getIndexAttr(offset);
  if (!drop && offset == 0 && size == type.getDimSize(dim))
    return v;
  auto sliceType = RankedTensorType::get(shape, type.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, sliceType, v, offsets, sizes,
                                        strides);
}

Value LatentLowering::weightSlice(Value w, int64_t block, int64_t h0,
                                  int64_t G) {
  auto type = cast<RankedTensorType>(w.getType());
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(block), b.getIndexAttr(h0),
                                       b.getIndexAttr(0), b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {
      b.getIndexAttr(1), b.getIndexAttr(G), b.getIndexAttr(type.getDimSize(2)),
      b.getIndexAttr(type.getDimSize(3))};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  auto sliceType = RankedTensorType::get(
      {G, type.getDimSize(2), type.getDimSize(3)}, type.getElementType());
  return tensor::ExtractSliceOp::create(b, loc, sliceType, w, offsets, sizes,
                                        strides);
}

Value LatentLowering::perBlockGroup(
    LatentBranchAttr branch, Value full, unsigned headDim,
    function_ref<Value(int64_t, int64_t, int64_t, Value)> build) {
  int64_t groupSize = numHeads / branch.getCount();
  for (int64_t g = 0; g < branch.getCount(); ++g) {
    int64_t h0 = g * groupSize;
    Value result = build(branch.getFirst() + g, h0, groupSize,
                         sliceDim(full, headDim, h0, groupSize));
    if (groupSize == numHeads) {
      full = result;
      continue;
    }
    auto type = cast<RankedTensorType>(full.getType());
    SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
    SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
    for (int64_t d = 0; d < type.getRank(); ++d)
      sizes.push_back(b.getIndexAttr(d == headDim ? groupSize : type.getDimSize(d)));
    offsets[headDim] = b.getIndexAttr(h0);
    full = tensor::InsertSliceOp::create(b, loc, result, full, offsets, sizes,
                                         strides);
  }
  return full;
}

Value LatentLowering::createAttention(Value query, Value key, Value value,
                                      int64_t width, bool headMajor) {
  bool rope = static_cast<bool>(kRope);
  unsigned numDims = rope ? 7 : 6;
  auto dim = [&](unsigned d) { return b.getAffineDimExpr(d); };
  AffineExpr bDim = dim(0), hDim = dim(1), sDim = dim(2), tDim = dim(3),
             dDim = dim(4), eDim = dim(numDims - 1);
  SmallVector<Value> queries = {query}, keys = {key};
  SmallVector<AffineMap> maps = {makeMap(b, numDims, {bDim, sDim, hDim, dDim})};
  if (rope) {
    queries.push_back(op.getQRope());
    maps.push_back(makeMap(b, numDims, {bDim, sDim, hDim, dim(5)}));
  }
  auto keyMap = [&](AffineExpr last) {
    return headMajor ? makeMap(b, numDims, {bDim, hDim, tDim, last})
                     : makeMap(b, numDims, {bDim, tDim, hDim, last});
  };
  maps.push_back(keyMap(dDim));
  if (rope) {
    keys.push_back(kRope);
    maps.push_back(makeMap(b, numDims, {bDim, tDim, hDim, dim(5)}));
  }
  maps.push_back(keyMap(eDim));
  Value lengths = op.getKvLengths();
  if (lengths)
    maps.push_back(makeMap(b, numDims, {bDim}));
  maps.push_back(makeMap(b, numDims, {bDim, sDim, hDim, eDim}));
  Value init = tensor::EmptyOp::create(
      b, loc, ArrayRef<int64_t>{batch, numQueries, numHeads, width}, f32);
  return AttentionOp::create(b, loc, init.getType(), queries, keys, value,
                             /*mask=*/Value(), lengths, init, op.getScale(),
                             b.getAffineMapArrayAttr(maps),
                             op.getMaskKindAttr(), op.getWindowAttr())
      .getResult();
}

Value LatentLowering::buildAbsorbedBranch(LatentBranchAttr branch, Value acc) {
  // qa[b,s,h,c] = sum_n q_nope[b,s,h,n] * w_uk[blk(h),h,c,n]  over (b,s,h,c,n).
  AffineExpr d0 = b.getAffineDimExpr(0), d1 = b.getAffineDimExpr(1),
             d2 = b.getAffineDimExpr(2), d3 = b.getAffineDimExpr(3),
             d4 = b.getAffineDimExpr(4);
  Value qa = perBlockGroup(
      branch, buildFilledTensor(b, loc, {batch, numQueries, numHeads, db}, f32),
      /*headDim=*/2, [&](int64_t block, int64_t h0, int64_t G, Value init) {
        return buildContraction(
            b, loc, 5, sliceDim(op.getQNope(), 2, h0, G),
            makeMap(b, 5, {d0, d1, d2, d4}), weightSlice(wUk, block, h0, G),
            makeMap(b, 5, {d2, d3, d4}), init, makeMap(b, 5, {d0, d1, d2, d3}));
      });
  qa = buildTensorCast(b, loc, qa, elementType);

  // The blocks this branch reads: [B,T,count,db], shared by groups of heads.
  int64_t count = branch.getCount();
  SmallVector<OpFoldResult> offsets = {b.getIndexAttr(0), b.getIndexAttr(0),
                                       b.getIndexAttr(branch.getFirst()),
                                       b.getIndexAttr(0)};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(batch), b.getIndexAttr(numKeys),
                                     b.getIndexAttr(count), b.getIndexAttr(db)};
  SmallVector<OpFoldResult> strides(4, b.getIndexAttr(1));
  Value blocks =
      tensor::ExtractSliceOp::create(b, loc, latent, offsets, sizes, strides);

  // z = attention with scores qa.c (+ q_rope.kR), the latent blocks also
  // being the value.
  Value z = createAttention(qa, blocks, blocks, db);

  // acc[b,s,h,e] += z[b,s,h,c] * w_uv[blk(h),h,c,e]  over (b,s,h,c,e).
  return perBlockGroup(
      branch, acc, /*headDim=*/2,
      [&](int64_t block, int64_t h0, int64_t G, Value accSlice) {
        return buildContraction(
            b, loc, 5, sliceDim(z, 2, h0, G), makeMap(b, 5, {d0, d1, d2, d3}),
            weightSlice(wUv, block, h0, G), makeMap(b, 5, {d2, d3, d4}),
            accSlice, makeMap(b, 5, {d0, d1, d2, d4}));
      });
}

Value LatentLowering::buildExpandedBranch(LatentBranchAttr branch, Value acc) {
  AffineExpr d0 = b.getAffineDimExpr(0), d1 = b.getAffineDimExpr(1),
             d2 = b.getAffineDimExpr(2), d3 = b.getAffineDimExpr(3),
             d4 = b.getAffineDimExpr(4);
  // k[b,h,t,n] = sum_c latent[b,t,blk(h),c] * w_uk[blk(h),h,c,n], and v alike,
  // over (b,h,t,n,c). Head-major, so that the projection's register blocks
  // take keys as rows against one head's weight (a head-minor output would
  // make the heads its rows, each reading its own weight vector per FMA)
  // and each head's K and V tiles are contiguous for the attention; the
  // reduction innermost, as the register blocks keep their accumulators
  // over it.
  auto upProject = [&](Value weight, int64_t width) {
    Value projected = perBlockGroup(
        branch, buildFilledTensor(b, loc, {batch, numHeads, numKeys, width}, f32),
        /*headDim=*/1, [&](int64_t block, int64_t h0, int64_t G, Value init) {
          return buildContraction(
              b, loc, 5, sliceDim(latent, 2, block, 1, /*drop=*/true),
              makeMap(b, 5, {d0, d2, d4}), weightSlice(weight, block, h0, G),
              makeMap(b, 5, {d1, d4, d3}), init, makeMap(b, 5, {d0, d1, d2, d3}));
        });
    return buildTensorCast(b, loc, projected, elementType);
  };
  Value keys = upProject(wUk, dn);
  Value values = upProject(wUv, dv);

  // Ordinary attention, RoPE (when there is one) as a second term.
  Value o = createAttention(op.getQNope(), keys, values, dv, /*headMajor=*/true);
  AffineMap id = b.getMultiDimIdentityMap(4);
  SmallVector<utils::IteratorType> parallel(4, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, acc.getType(), ValueRange{o}, ValueRange{acc},
             ArrayRef<AffineMap>{id, id}, parallel,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nl,
                   arith::AddFOp::create(nb, nl, args[0], args[1]).getResult());
             })
      .getResult(0);
}

Value LatentLowering::build(LatentForm form) {
  if (form == LatentForm::Auto)
    form = chooseLatentForm(op, numQueries, numKeys);
  normaliseOperands();
  Value acc = buildFilledTensor(b, loc, {batch, numQueries, numHeads, dv}, f32);
  for (LatentBranchAttr branch : op.getBranchList())
    acc = form == LatentForm::Absorbed ? buildAbsorbedBranch(branch, acc)
                                       : buildExpandedBranch(branch, acc);
  // output = weight * sum of branches, in the output's element type.
  Type outType = getElementTypeOrSelf(op.getOutput().getType());
  double weight = op.getBranchWeight().convertToDouble();
  return buildElementwise(b, loc, acc, op.getOutput(),
                          [&](OpBuilder &nb, Location nl, Value v) {
                            Value w = arith::ConstantOp::create(
                                nb, nl, nb.getF32FloatAttr(weight));
                            Value scaled = arith::MulFOp::create(nb, nl, v, w);
                            return castFloat(nb, nl, scaled, outType);
                          });
}

namespace mlir::attn {
namespace {
struct AttnLowerLatentAttention
    : public impl::AttnLowerLatentAttentionBase<AttnLowerLatentAttention> {
  using Base::Base;

  void runOnOperation() override {
    replaceEach<LatentAttentionOp>(getOperation(), [&](OpBuilder &b, LatentAttentionOp op) {
      return LatentLowering(b, op).build(form);
    });
  }
};
} // namespace
} // namespace mlir::attn
