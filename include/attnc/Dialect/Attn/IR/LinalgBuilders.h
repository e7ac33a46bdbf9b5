//===- LinalgBuilders.h - small linalg helpers for attn lowerings -*- C++ -*-===//

#ifndef ATTNC_DIALECT_ATTN_IR_LINALGBUILDERS_H
#define ATTNC_DIALECT_ATTN_IR_LINALGBUILDERS_H

#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {

/// A zero-filled (or `value`-filled) tensor of the given shape.
Value buildFilledTensor(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                        Type elementType, double value = 0.0);

/// Converts a float scalar to `to` (extf, truncf, or nothing).
Value castFloat(OpBuilder &b, Location loc, Value v, Type to);

/// Einsum over a `numDims`-dimensional loop nest: for every point,
/// `init[outMap] += lhs[lhsMap] * rhs[rhsMap]`, computed in the element type
/// of `init`. Dimensions absent from `outMap` are reductions.
Value buildContraction(OpBuilder &b, Location loc, unsigned numDims, Value lhs,
                       AffineMap lhsMap, Value rhs, AffineMap rhsMap, Value init,
                       AffineMap outMap);

/// `init[initMap] = ArithOp(input[inputMap], init[initMap])` over a loop nest
/// with the given iterators: an elementwise update when all are parallel, a
/// reduction into `init` (row max, row sum) otherwise. The input is converted
/// to the element type of `init` (bf16 probabilities summed in f32).
template <typename ArithOp>
Value buildAccumulate(OpBuilder &b, Location loc, Value input, AffineMap inputMap,
                      Value init, AffineMap initMap,
                      ArrayRef<utils::IteratorType> iterators) {
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{input}, ValueRange{init},
             ArrayRef<AffineMap>{inputMap, initMap}, iterators,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nl,
                   ArithOp::create(
                       nb, nl, castFloat(nb, nl, args[0], args[1].getType()),
                       args[1])
                       .getResult());
             })
      .getResult(0);
}

/// Elementwise `out = f(in)` of two same-shaped tensors; `f` gets the input
/// scalar and returns the output scalar.
Value buildElementwise(OpBuilder &b, Location loc, Value input, Value init,
                       function_ref<Value(OpBuilder &, Location, Value)> f);

/// `input` converted elementwise to `elementType`.
Value buildTensorCast(OpBuilder &b, Location loc, Value input, Type elementType);

/// `acc / sum` in f32, or 0 where `sum` is 0 (a row that saw no visible key),
/// converted to `outType`: the final normalisation of every lowering.
Value buildNormalizedRow(OpBuilder &b, Location loc, Value acc, Value sum,
                         Type outType);

/// `exp(x - max)` for a row whose running or final maximum is `max`; where
/// `max` is -inf (no visible key in the row) the exponent is taken against 0,
/// so the result is 0 (or exp(x)) instead of NaN. Every softmax step and
/// every log-sum-exp merge shifts its exponents this way.
Value buildShiftedExp(OpBuilder &b, Location loc, Value x, Value max);

/// A row's log-sum-exp from its maximum and its sum of `exp(s - max)`:
/// `max + log(sum)`, or -inf for a row with no visible key (`max` = -inf).
Value buildRowLogSumExp(OpBuilder &b, Location loc, Value max, Value sum);

/// A tensor and the map from an iteration space into it.
struct MappedTensor {
  Value value;
  AffineMap map;
};

// The log-sum-exp merge of the partial softmax states of KV splits, which
// split-KV in the flash lowering and the attention op's mergeReductions both
// build from the two helpers below. Each split s carries a log-weight x_s (a
// running row max m_s, or a log-sum-exp) and terms to sum:
//
//   M = max_s x_s,  w_s = exp(x_s - M),  sum_s w_s t_s
//
// (with t_s a row sum l_s, a partial output, or 1). A split with x_s = -inf
// (no visible key) weighs 0; where every split has, the weights are taken
// against 0 (buildShiftedExp), so all stays finite. Both work over an
// iteration space of `shape` followed by the split (the last dimension,
// reduced), in f32, each result an identity-mapped tensor of `shape`.

/// M = max_s x_s.
Value buildSplitMax(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                    MappedTensor logWeights);

/// sum_s w_s t_s for each of `terms` (sum_s w_s where a term is absent),
/// with w_s = exp(x_s - M) and `max` the M of buildSplitMax, mapped into the
/// iteration space; one linalg.generic.
SmallVector<Value>
buildWeightedSplitSums(OpBuilder &b, Location loc, ArrayRef<int64_t> shape,
                       MappedTensor logWeights, MappedTensor max,
                       ArrayRef<std::optional<MappedTensor>> terms);

/// Whether key position `key` is visible to query position `query` (both
/// index values) under `kind`: keys `>= length` are hidden when `hideBeyond`
/// (kv_lengths); causal and sliding-window masks are bottom-right aligned, the
/// query sitting at key position `query + length - numQueries`.
Value buildKeyVisibility(OpBuilder &b, Location loc, Value query, Value key,
                         Value length, int64_t numQueries, MaskKind kind,
                         std::optional<int64_t> window, bool hideBeyond);

/// Where a tile [offset, offset + size) of a batch dimension of extent
/// `extent` reads an operand grouped along it, whose own extent there is
/// `operandExtent` (GQA's K/V: group `g = extent / operandExtent` heads share
/// one): offset `offset / g` and `size / g` heads when the tile holds whole
/// groups, one head when a group holds whole tiles (g = 1: the tile itself).
/// Fails where the tile splits groups.
struct GroupedSlice {
  OpFoldResult offset;
  int64_t size;
};
FailureOr<GroupedSlice> sliceGroupedDim(OpBuilder &b, Location loc,
                                        OpFoldResult offset, int64_t size,
                                        int64_t extent, int64_t operandExtent);

/// `AffineMap::get(numDims, 0, exprs)` over `b`'s context.
AffineMap makeMap(OpBuilder &b, unsigned numDims, ArrayRef<AffineExpr> exprs);

/// Replaces every `OpTy` under `root` by the value `lower` builds in its place.
/// Ops are collected first, so `lower` may create ops of any kind.
template <typename OpTy>
void replaceEach(Operation *root, function_ref<Value(OpBuilder &, OpTy)> lower) {
  SmallVector<OpTy> ops;
  root->walk([&](OpTy op) { ops.push_back(op); });
  IRRewriter rewriter(root->getContext());
  for (OpTy op : ops) {
    rewriter.setInsertionPoint(op);
    rewriter.replaceOp(op, lower(rewriter, op));
  }
}

} // namespace mlir::attn

#endif // ATTNC_DIALECT_ATTN_IR_LINALGBUILDERS_H
