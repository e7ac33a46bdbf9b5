//===- LinalgBuilders.cpp - small linalg helpers for attn lowerings -------===//

#include "attnc/Dialect/Attn/IR/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"

#include <limits>

using namespace mlir;

Value attn::buildFilledTensor(OpBuilder &b, Location loc,
                              ArrayRef<int64_t> shape, Type elementType,
                              double value) {
  Value empty = tensor::EmptyOp::create(b, loc, shape, elementType);
  Value cst = arith::ConstantOp::create(b, loc, b.getFloatAttr(elementType, value));
  return linalg::FillOp::create(b, loc, ValueRange{cst}, ValueRange{empty})
      .getResult(0);
}

Value attn::castFloat(OpBuilder &b, Location loc, Value v, Type to) {
  Type from = v.getType();
  if (from == to)
    return v;
  if (cast<FloatType>(from).getWidth() < cast<FloatType>(to).getWidth())
    return arith::ExtFOp::create(b, loc, to, v);
  return arith::TruncFOp::create(b, loc, to, v);
}

AffineMap attn::makeMap(OpBuilder &b, unsigned numDims,
                        ArrayRef<AffineExpr> exprs) {
  return AffineMap::get(numDims, 0, exprs, b.getContext());
}

Value attn::buildContraction(OpBuilder &b, Location loc, unsigned numDims,
                             Value lhs, AffineMap lhsMap, Value rhs,
                             AffineMap rhsMap, Value init, AffineMap outMap) {
  SmallVector<utils::IteratorType> iterators(numDims,
                                             utils::IteratorType::reduction);
  for (AffineExpr e : outMap.getResults())
    iterators[cast<AffineDimExpr>(e).getPosition()] =
        utils::IteratorType::parallel;
  Type accType = getElementTypeOrSelf(init.getType());
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{lhs, rhs}, ValueRange{init},
             ArrayRef<AffineMap>{lhsMap, rhsMap, outMap}, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value prod = arith::MulFOp::create(
                   nb, nl, castFloat(nb, nl, args[0], accType),
                   castFloat(nb, nl, args[1], accType));
               linalg::YieldOp::create(
                   nb, nl, arith::AddFOp::create(nb, nl, args[2], prod).getResult());
             })
      .getResult(0);
}

Value attn::buildElementwise(
    OpBuilder &b, Location loc, Value input, Value init,
    function_ref<Value(OpBuilder &, Location, Value)> f) {
  unsigned rank = cast<RankedTensorType>(input.getType()).getRank();
  AffineMap id = b.getMultiDimIdentityMap(rank);
  SmallVector<utils::IteratorType> iterators(rank, utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{input}, ValueRange{init},
             ArrayRef<AffineMap>{id, id}, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(nb, nl, f(nb, nl, args[0]));
             })
      .getResult(0);
}

Value attn::buildTensorCast(OpBuilder &b, Location loc, Value input,
                            Type elementType) {
  auto type = cast<RankedTensorType>(input.getType());
  if (type.getElementType() == elementType)
    return input;
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), elementType);
  return buildElementwise(b, loc, input, init,
                          [&](OpBuilder &nb, Location nl, Value v) {
                            return castFloat(nb, nl, v, elementType);
                          });
}

Value attn::buildKeyVisibility(OpBuilder &b, Location loc, Value query,
                               Value key, Value length, int64_t numQueries,
                               MaskKind kind, std::optional<int64_t> window,
                               bool hideBeyond) {
  auto indexConst = [&](int64_t c) -> Value {
    return arith::ConstantIndexOp::create(b, loc, c);
  };
  Value visible = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
  if (hideBeyond)
    visible = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, key, length);
  if (kind == MaskKind::None)
    return visible;
  Value aligned = arith::AddIOp::create(
      b, loc, query, arith::SubIOp::create(b, loc, length, indexConst(numQueries)));
  Value notFuture =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle, key, aligned);
  visible = arith::AndIOp::create(b, loc, visible, notFuture);
  if (kind == MaskKind::SlidingWindow) {
    Value oldest = arith::SubIOp::create(b, loc, aligned, indexConst(*window));
    Value inWindow =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, key, oldest);
    visible = arith::AndIOp::create(b, loc, visible, inWindow);
  }
  return visible;
}

Value attn::buildShiftedExp(OpBuilder &b, Location loc, Value x, Value max) {
  Value negInf = arith::ConstantOp::create(
      b, loc, b.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
  Value rowIsEmpty =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, max, negInf);
  Value safeMax = arith::SelectOp::create(b, loc, rowIsEmpty, zero, max);
  return math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, x, safeMax));
}

Value attn::buildRowLogSumExp(OpBuilder &b, Location loc, Value max, Value sum) {
  Value negInf = arith::ConstantOp::create(
      b, loc, b.getF32FloatAttr(-std::numeric_limits<float>::infinity()));
  Value rowIsEmpty =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, max, negInf);
  Value lse = arith::AddFOp::create(b, loc, max, math::LogOp::create(b, loc, sum));
  return arith::SelectOp::create(b, loc, rowIsEmpty, negInf, lse);
}

Value attn::buildNormalizedRow(OpBuilder &b, Location loc, Value acc, Value sum,
                               Type outType) {
  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0));
  Value rowIsEmpty =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, sum, zero);
  Value quotient = arith::DivFOp::create(b, loc, acc, sum);
  Value r = arith::SelectOp::create(b, loc, rowIsEmpty, zero, quotient);
  return castFloat(b, loc, r, outType);
}

/// The map from the split-merge space (`rank` dims and the split) to a
/// result of `rank` dims, and its iterators.
static std::pair<AffineMap, SmallVector<utils::IteratorType>>
getSplitMergeSpace(OpBuilder &b, unsigned rank) {
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  return {AffineMap::getMultiDimIdentityMap(rank + 1, b.getContext())
              .getMajorSubMap(rank),
          iterators};
}

Value attn::buildSplitMax(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                          MappedTensor logWeights) {
  auto [result, iterators] = getSplitMergeSpace(b, shape.size());
  return buildAccumulate<arith::MaximumFOp>(
      b, loc, logWeights.value, logWeights.map,
      buildFilledTensor(b, loc, shape, b.getF32Type(),
                        -std::numeric_limits<float>::infinity()),
      result, iterators);
}

SmallVector<Value>
attn::buildWeightedSplitSums(OpBuilder &b, Location loc,
                             ArrayRef<int64_t> shape, MappedTensor logWeights,
                             MappedTensor max,
                             ArrayRef<std::optional<MappedTensor>> terms) {
  auto [result, iterators] = getSplitMergeSpace(b, shape.size());
  Type f32 = b.getF32Type();
  SmallVector<Value> inputs = {logWeights.value, max.value};
  SmallVector<AffineMap> maps = {logWeights.map, max.map};
  for (const std::optional<MappedTensor> &term : terms)
    if (term) {
      inputs.push_back(term->value);
      maps.push_back(term->map);
    }
  // A zero-filled init of its own per sum: two results sharing one init
  // bufferize to a copy of it, which GPU host code cannot do.
  SmallVector<Value> inits;
  for (size_t i = 0; i < terms.size(); ++i)
    inits.push_back(buildFilledTensor(b, loc, shape, f32));
  maps.append(terms.size(), result);
  auto sums = linalg::GenericOp::create(
      b, loc, TypeRange(ValueRange(inits)), inputs, inits, maps, iterators,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value w = buildShiftedExp(nb, nl, args[0], args[1]);
        ValueRange accs = args.take_back(terms.size());
        unsigned nextInput = 2;
        SmallVector<Value> updated;
        for (auto [term, acc] : llvm::zip(terms, accs)) {
          Value weighted = w;
          if (term)
            weighted = arith::MulFOp::create(
                nb, nl, w, castFloat(nb, nl, args[nextInput++], f32));
          updated.push_back(arith::AddFOp::create(nb, nl, acc, weighted));
        }
        linalg::YieldOp::create(nb, nl, updated);
      });
  return SmallVector<Value>(sums.getResults());
}

FailureOr<attn::GroupedSlice> attn::sliceGroupedDim(OpBuilder &b, Location loc,
                                              OpFoldResult offset, int64_t size,
                                              int64_t extent,
                                              int64_t operandExtent) {
  int64_t group = extent / operandExtent;
  if (group == 1)
    return GroupedSlice{offset, size};
  int64_t heads;
  if (size % group == 0)
    heads = size / group;
  else if (group % size == 0)
    heads = 1;
  else
    return failure();
  if (std::optional<int64_t> c = getConstantIntValue(offset))
    return GroupedSlice{b.getIndexAttr(*c / group), heads};
  Value divided = arith::DivUIOp::create(
      b, loc, getValueOrCreateConstantIndexOp(b, loc, offset),
      arith::ConstantIndexOp::create(b, loc, group));
  return GroupedSlice{divided, heads};
}
