//===- LowerEmbeddingGate.cpp - EG-MLA's gate to linalg -------------------===//
//
// u[b,t] = norm((latent[b,t] @ W_U) * table[ids[b,t]]) * norm_weight
// (VARIANTS.md, section 4): a matmul, a gather fused into the multiply, and a
// normalisation over the last axis, all accumulated in f32.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"
#include "attnc/Dialect/Attn/IR/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWEREMBEDDINGGATE
#include "attnc/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

static Value lowerEmbeddingGate(OpBuilder &b, EmbeddingGateOp op) {
  Location loc = op.getLoc();
  Type f32 = b.getF32Type();
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  int64_t batch = outType.getDimSize(0), numTokens = outType.getDimSize(1),
          width = outType.getDimSize(2);
  auto dim = [&](unsigned i) { return b.getAffineDimExpr(i); };
  AffineMap id3 = b.getMultiDimIdentityMap(3);
  AffineMap rows = makeMap(b, 3, {dim(0), dim(1)});
  SmallVector<utils::IteratorType> parallel3(3, utils::IteratorType::parallel);
  SmallVector<utils::IteratorType> rowReduction = {
      utils::IteratorType::parallel, utils::IteratorType::parallel,
      utils::IteratorType::reduction};

  // up[b,t,u] = sum_c latent[b,t,c] * w_u[c,u]  over (b, t, u, c).
  Value up = buildContraction(
      b, loc, 4, op.getLatent(), makeMap(b, 4, {dim(0), dim(1), dim(3)}),
      op.getUpProjection(), makeMap(b, 4, {dim(3), dim(2)}),
      buildFilledTensor(b, loc, {batch, numTokens, width}, f32),
      makeMap(b, 4, {dim(0), dim(1), dim(2)}));

  // gated[b,t,u] = up[b,t,u] * table[ids[b,t], u]: the gather reads the row
  // in place; the gate vector is never materialised. The token's id is read
  // in the body, indexed by (b, t), rather than passed as an input: a
  // vectorized tile of one token then sees a row index uniform across its
  // lanes and reads the table row with one contiguous load, where an input
  // element would make it a per-element gather.
  Value table = op.getTable(), ids = op.getIds();
  Value gated =
      linalg::GenericOp::create(
          b, loc, up.getType(), ValueRange{up},
          ValueRange{tensor::EmptyOp::create(
              b, loc, ArrayRef<int64_t>{batch, numTokens, width}, f32)},
          ArrayRef<AffineMap>{id3, id3}, parallel3,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value batchIndex = linalg::IndexOp::create(nb, nl, 0);
            Value token = linalg::IndexOp::create(nb, nl, 1);
            Value id = tensor::ExtractOp::create(nb, nl, ids,
                                                 ValueRange{batchIndex, token});
            Value row = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), id);
            Value col = linalg::IndexOp::create(nb, nl, 2);
            Value g = tensor::ExtractOp::create(nb, nl, table, ValueRange{row, col});
            linalg::YieldOp::create(
                nb, nl,
                arith::MulFOp::create(nb, nl, args[0], castFloat(nb, nl, g, f32))
                    .getResult());
          })
          .getResult(0);

  // Row statistics over u: mean (layer norm only), then mean of squares of
  // the (centred) values.
  bool isLayerNorm = op.getNorm() == NormKind::Layer;
  auto rowMean = [&](Value input, Value mean) {
    Value zero = buildFilledTensor(b, loc, {batch, numTokens}, f32);
    SmallVector<Value> inputs = {input};
    SmallVector<AffineMap> maps = {id3};
    if (mean) {
      inputs.push_back(mean);
      maps.push_back(rows);
    }
    maps.push_back(rows);
    Value sum =
        linalg::GenericOp::create(
            b, loc, zero.getType(), inputs, ValueRange{zero}, maps, rowReduction,
            [&](OpBuilder &nb, Location nl, ValueRange args) {
              Value x = args[0];
              if (mean) {
                // Sum of squared deviations.
                Value centred = arith::SubFOp::create(nb, nl, x, args[1]);
                x = arith::MulFOp::create(nb, nl, centred, centred);
              }
              linalg::YieldOp::create(
                  nb, nl, arith::AddFOp::create(nb, nl, args.back(), x).getResult());
            })
            .getResult(0);
    return buildElementwise(
        b, loc, sum, tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{batch, numTokens}, f32),
        [&](OpBuilder &nb, Location nl, Value v) -> Value {
          Value n = arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(width));
          return arith::DivFOp::create(nb, nl, v, n);
        });
  };
  Value zeroRows = buildFilledTensor(b, loc, {batch, numTokens}, f32);
  Value mean = isLayerNorm ? rowMean(gated, Value()) : zeroRows;
  Value meanSquare = rowMean(gated, mean);

  // out = (gated - mean) * (1 / sqrt(meanSquare + eps)) * norm_weight. The
  // reciprocal square root is taken once per row: a square root and a
  // division per element cost more than the rest of the norm.
  double eps = op.getEpsilon().convertToDouble();
  Value inverseDeviation = buildElementwise(
      b, loc, meanSquare,
      tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{batch, numTokens}, f32),
      [&](OpBuilder &nb, Location nl, Value v) -> Value {
        Value epsilon = arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(eps));
        Value one = arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(1.0));
        Value deviation = math::SqrtOp::create(
            nb, nl, arith::AddFOp::create(nb, nl, v, epsilon).getResult());
        return arith::DivFOp::create(nb, nl, one, deviation);
      });
  Type outElementType = outType.getElementType();
  return linalg::GenericOp::create(
             b, loc, outType,
             ValueRange{gated, mean, inverseDeviation, op.getNormWeight()},
             ValueRange{op.getOutput()},
             ArrayRef<AffineMap>{id3, rows, rows, makeMap(b, 3, {dim(2)}), id3},
             parallel3,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value centred = arith::SubFOp::create(nb, nl, args[0], args[1]);
               Value normed = arith::MulFOp::create(nb, nl, centred, args[2]);
               Value y = arith::MulFOp::create(nb, nl, normed,
                                               castFloat(nb, nl, args[3], f32));
               linalg::YieldOp::create(nb, nl, castFloat(nb, nl, y, outElementType));
             })
      .getResult(0);
}

namespace mlir::attn {
namespace {
struct AttnLowerEmbeddingGate
    : public impl::AttnLowerEmbeddingGateBase<AttnLowerEmbeddingGate> {
  void runOnOperation() override {
    replaceEach<EmbeddingGateOp>(getOperation(), [&](OpBuilder &b, EmbeddingGateOp op) {
      return lowerEmbeddingGate(b, op);
    });
  }
};
} // namespace
} // namespace mlir::attn
