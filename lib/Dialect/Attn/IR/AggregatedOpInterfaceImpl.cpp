//===- AggregatedOpInterfaceImpl.cpp - attn.attention as plain linalg ----===//
//
// AggregatedOpInterface: attn.attention decomposed the obvious way, into
// linalg ops on tensors that materialise the scores, mask them, take a safe
// softmax and contract with the value. This is the oracle: attn-reference-
// lowering applies it to every op, and every tiled lowering is tested against
// it, so clarity wins over speed here.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "attnc/Dialect/Attn/IR/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"

#include <limits>

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Builds the linalg ops of one attention lowering. Every intermediate tensor
/// is indexed by a sorted subset of the op's iteration dimensions, and every
/// linalg.generic iterates over a sorted subset too ("its domain").
class ReferenceBuilder {
public:
  ReferenceBuilder(OpBuilder &b, AttentionOp op)
      : b(b), op(op), loc(op.getLoc()), dims(op.getAttentionDims()),
        f32(b.getF32Type()) {}

  SmallVector<Value> build();

private:
  SmallVector<unsigned> dimsWithRoles(ArrayRef<DimRole> roles) const {
    SmallVector<unsigned> result;
    for (unsigned d = 0; d < dims.getNumDims(); ++d)
      if (llvm::is_contained(roles, dims.roles[d]))
        result.push_back(d);
    return result;
  }

  static unsigned positionIn(ArrayRef<unsigned> domain, unsigned dim) {
    auto it = llvm::find(domain, dim);
    assert(it != domain.end() && "dimension outside the domain");
    return it - domain.begin();
  }

  /// Map, in `domain`, of an intermediate tensor indexed by `tensorDims`.
  AffineMap tensorMap(ArrayRef<unsigned> domain,
                      ArrayRef<unsigned> tensorDims) const {
    SmallVector<AffineExpr> exprs;
    for (unsigned d : tensorDims)
      exprs.push_back(b.getAffineDimExpr(positionIn(domain, d)));
    return AffineMap::get(domain.size(), 0, exprs, b.getContext());
  }

  /// Map, in `domain`, of an operand of the op. A grouped operand (extent `e`
  /// along a batch dimension of full extent `E`) is read at `i floordiv (E/e)`.
  AffineMap operandMap(ArrayRef<unsigned> domain, AffineMap opMap,
                       Value operand) const {
    ArrayRef<int64_t> shape = cast<RankedTensorType>(operand.getType()).getShape();
    SmallVector<AffineExpr> exprs;
    for (auto [r, expr] : llvm::enumerate(opMap.getResults())) {
      unsigned d = cast<AffineDimExpr>(expr).getPosition();
      AffineExpr local = b.getAffineDimExpr(positionIn(domain, d));
      int64_t groupSize = dims.extents[d] / shape[r];
      exprs.push_back(groupSize > 1 ? local.floorDiv(groupSize) : local);
    }
    return AffineMap::get(domain.size(), 0, exprs, b.getContext());
  }

  SmallVector<utils::IteratorType>
  iterators(ArrayRef<unsigned> domain, ArrayRef<DimRole> reductionRoles) const {
    SmallVector<utils::IteratorType> result;
    for (unsigned d : domain)
      result.push_back(llvm::is_contained(reductionRoles, dims.roles[d])
                           ? utils::IteratorType::reduction
                           : utils::IteratorType::parallel);
    return result;
  }

  Value filledF32(ArrayRef<unsigned> tensorDims, double value) {
    SmallVector<int64_t> shape;
    for (unsigned d : tensorDims)
      shape.push_back(dims.extents[d]);
    return buildFilledTensor(b, loc, shape, f32, value);
  }

  Value buildScores();
  Value buildMaskedScores(Value scores);
  Value buildRowReduction(Value input, bool isMax);
  Value buildProbabilities(Value masked, Value rowMax);
  Value buildWeightedValues(Value probabilities);
  Value buildNormalizedOutput(Value weighted, Value rowSum);
  Value buildLogSumExp(Value rowMax, Value rowSum);

  OpBuilder &b;
  AttentionOp op;
  Location loc;
  AttentionDims dims;
  Type f32;
};

} // namespace

/// scores[batch, M, K2] = sum_i sum_{K1_i} q_i * k_i, accumulated in f32.
Value ReferenceBuilder::buildScores() {
  SmallVector<unsigned> scoreDims =
      dimsWithRoles({DimRole::Batch, DimRole::M, DimRole::K2});
  Value scores = filledF32(scoreDims, 0.0);
  for (auto [i, contracted] : llvm::enumerate(dims.contractionDims)) {
    SmallVector<unsigned> domain(scoreDims);
    llvm::append_range(domain, contracted);
    llvm::sort(domain);
    Value q = op.getQueries()[i], k = op.getKeys()[i];
    SmallVector<AffineMap> maps = {operandMap(domain, op.getQueryMap(i), q),
                                   operandMap(domain, op.getKeyMap(i), k),
                                   tensorMap(domain, scoreDims)};
    scores =
        linalg::GenericOp::create(
            b, loc, scores.getType(), ValueRange{q, k}, ValueRange{scores},
            maps, iterators(domain, {DimRole::K1}),
            [&](OpBuilder &nb, Location nl, ValueRange args) {
              Value qv = castFloat(nb, nl, args[0], f32);
              Value kv = castFloat(nb, nl, args[1], f32);
              Value prod = arith::MulFOp::create(nb, nl, qv, kv);
              Value sum = arith::AddFOp::create(nb, nl, args[2], prod);
              linalg::YieldOp::create(nb, nl, sum);
            })
            .getResult(0);
  }
  return scores;
}

/// masked = scale * scores (+ additive mask), with -inf wherever a key is not
/// visible (boolean mask, kv_lengths, causal, sliding window).
Value ReferenceBuilder::buildMaskedScores(Value scores) {
  SmallVector<unsigned> scoreDims =
      dimsWithRoles({DimRole::Batch, DimRole::M, DimRole::K2});
  SmallVector<Value> inputs = {scores};
  SmallVector<AffineMap> maps = {tensorMap(scoreDims, scoreDims)};
  if (Value mask = op.getMask()) {
    inputs.push_back(mask);
    maps.push_back(operandMap(scoreDims, op.getMaskMap(), mask));
  }
  if (Value lengths = op.getKvLengths()) {
    inputs.push_back(lengths);
    maps.push_back(operandMap(scoreDims, op.getKvLengthsMap(), lengths));
  }
  maps.push_back(tensorMap(scoreDims, scoreDims));
  Value init = filledF32(scoreDims, 0.0);

  MaskKind kind = op.getMaskKind();
  std::optional<int64_t> window = op.getWindow();
  double scale = op.getScaleValue();
  bool hasMask = op.getMask() != nullptr, hasLengths = op.getKvLengths() != nullptr;
  unsigned keyPos = positionIn(scoreDims, dims.keyPosDim);
  std::optional<unsigned> queryPos;
  if (dims.queryPosDim)
    queryPos = positionIn(scoreDims, *dims.queryPosDim);
  int64_t numKeys = dims.extents[dims.keyPosDim];
  int64_t numQueries = dims.queryPosDim ? dims.extents[*dims.queryPosDim] : 1;
  // A tile of a larger attention takes positions in the whole one's frame.
  Value queryOffset = op.getQueryOffset(), keyOffset = op.getKeyOffset();
  if (std::optional<ArrayRef<int64_t>> frame = op.getPositionExtents()) {
    numQueries = (*frame)[0];
    numKeys = (*frame)[1];
  }

  return linalg::GenericOp::create(
             b, loc, init.getType(), inputs, ValueRange{init}, maps,
             iterators(scoreDims, {}),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               auto negInf = [&]() -> Value {
                 return arith::ConstantOp::create(
                     nb, nl, nb.getF32FloatAttr(
                                 -std::numeric_limits<float>::infinity()));
               };
               Value v = arith::MulFOp::create(
                   nb, nl, args[0],
                   arith::ConstantOp::create(nb, nl, nb.getF32FloatAttr(scale)));
               unsigned next = 1;
               if (hasMask) {
                 Value m = args[next++];
                 if (isa<FloatType>(m.getType()))
                   v = arith::AddFOp::create(nb, nl, v, castFloat(nb, nl, m, f32));
                 else
                   v = arith::SelectOp::create(nb, nl, m, v, negInf());
               }
               if (!hasLengths && kind == MaskKind::None) {
                 linalg::YieldOp::create(nb, nl, v);
                 return;
               }
               Value key = linalg::IndexOp::create(nb, nl, keyPos);
               if (keyOffset)
                 key = arith::AddIOp::create(nb, nl, key, keyOffset);
               Value length =
                   hasLengths
                       ? arith::IndexCastOp::create(nb, nl, nb.getIndexType(),
                                                    args[next])
                             .getResult()
                       : arith::ConstantIndexOp::create(nb, nl, numKeys).getResult();
               Value query = queryPos ? linalg::IndexOp::create(nb, nl, *queryPos).getResult()
                                      : Value();
               if (query && queryOffset)
                 query = arith::AddIOp::create(nb, nl, query, queryOffset);
               Value visible = buildKeyVisibility(nb, nl, query, key, length,
                                                  numQueries, kind, window,
                                                  hasLengths);
               v = arith::SelectOp::create(nb, nl, visible, v, negInf());
               linalg::YieldOp::create(nb, nl, v);
             })
      .getResult(0);
}

/// Row max (from -inf) or row sum (from 0) over the key dimensions.
Value ReferenceBuilder::buildRowReduction(Value input, bool isMax) {
  SmallVector<unsigned> scoreDims =
      dimsWithRoles({DimRole::Batch, DimRole::M, DimRole::K2});
  SmallVector<unsigned> rowDims = dimsWithRoles({DimRole::Batch, DimRole::M});
  Value init = filledF32(rowDims, isMax ? -std::numeric_limits<float>::infinity()
                                        : 0.0);
  AffineMap inputMap = tensorMap(scoreDims, scoreDims);
  AffineMap rowMap = tensorMap(scoreDims, rowDims);
  SmallVector<utils::IteratorType> overKeys = iterators(scoreDims, {DimRole::K2});
  if (isMax)
    return buildAccumulate<arith::MaximumFOp>(b, loc, input, inputMap, init,
                                              rowMap, overKeys);
  return buildAccumulate<arith::AddFOp>(b, loc, input, inputMap, init, rowMap,
                                        overKeys);
}

/// p = exp(masked - rowMax); a fully masked row (rowMax = -inf) gives p = 0
/// instead of exp(-inf - -inf) = NaN.
Value ReferenceBuilder::buildProbabilities(Value masked, Value rowMax) {
  SmallVector<unsigned> scoreDims =
      dimsWithRoles({DimRole::Batch, DimRole::M, DimRole::K2});
  SmallVector<unsigned> rowDims = dimsWithRoles({DimRole::Batch, DimRole::M});
  Value init = filledF32(scoreDims, 0.0);
  SmallVector<AffineMap> maps = {tensorMap(scoreDims, scoreDims),
                                 tensorMap(scoreDims, rowDims),
                                 tensorMap(scoreDims, scoreDims)};
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{masked, rowMax},
             ValueRange{init}, maps, iterators(scoreDims, {}),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nl, buildShiftedExp(nb, nl, args[0], args[1]));
             })
      .getResult(0);
}

/// weighted[batch, M, N] = sum_{K2} p * v, accumulated in f32.
Value ReferenceBuilder::buildWeightedValues(Value probabilities) {
  SmallVector<unsigned> scoreDims =
      dimsWithRoles({DimRole::Batch, DimRole::M, DimRole::K2});
  SmallVector<unsigned> accDims =
      dimsWithRoles({DimRole::Batch, DimRole::M, DimRole::N});
  SmallVector<unsigned> domain = dimsWithRoles(
      {DimRole::Batch, DimRole::M, DimRole::K2, DimRole::N});
  Value init = filledF32(accDims, 0.0);
  Value value = op.getValue();
  SmallVector<AffineMap> maps = {tensorMap(domain, scoreDims),
                                 operandMap(domain, op.getValueMap(), value),
                                 tensorMap(domain, accDims)};
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{probabilities, value},
             ValueRange{init}, maps, iterators(domain, {DimRole::K2}),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value v = castFloat(nb, nl, args[1], f32);
               Value prod = arith::MulFOp::create(nb, nl, args[0], v);
               linalg::YieldOp::create(
                   nb, nl, arith::AddFOp::create(nb, nl, args[2], prod).getResult());
             })
      .getResult(0);
}

/// output = weighted / rowSum (0 for a fully masked row), in the output's
/// element type and layout.
Value ReferenceBuilder::buildNormalizedOutput(Value weighted, Value rowSum) {
  SmallVector<unsigned> accDims =
      dimsWithRoles({DimRole::Batch, DimRole::M, DimRole::N});
  SmallVector<unsigned> rowDims = dimsWithRoles({DimRole::Batch, DimRole::M});
  Value output = op.getOutput();
  Type outElementType = getElementTypeOrSelf(output.getType());
  SmallVector<AffineMap> maps = {tensorMap(accDims, accDims),
                                 tensorMap(accDims, rowDims),
                                 operandMap(accDims, op.getOutputMap(), output)};
  return linalg::GenericOp::create(
             b, loc, output.getType(), ValueRange{weighted, rowSum},
             ValueRange{output}, maps, iterators(accDims, {}),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nl,
                   buildNormalizedRow(nb, nl, args[0], args[1], outElementType));
             })
      .getResult(0);
}

/// lse = rowMax + log(rowSum), -inf for a fully masked row, in the layout of
/// the log_sum_exp output.
Value ReferenceBuilder::buildLogSumExp(Value rowMax, Value rowSum) {
  SmallVector<unsigned> rowDims = dimsWithRoles({DimRole::Batch, DimRole::M});
  Value lse = op.getLogSumExpOutput();
  SmallVector<AffineMap> maps = {tensorMap(rowDims, rowDims),
                                 tensorMap(rowDims, rowDims),
                                 operandMap(rowDims, op.getLogSumExpMap(), lse)};
  return linalg::GenericOp::create(
             b, loc, lse.getType(), ValueRange{rowMax, rowSum}, ValueRange{lse},
             maps, iterators(rowDims, {}),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nl, buildRowLogSumExp(nb, nl, args[0], args[1]));
             })
      .getResult(0);
}

SmallVector<Value> ReferenceBuilder::build() {
  Value masked = buildMaskedScores(buildScores());
  Value rowMax = buildRowReduction(masked, /*isMax=*/true);
  Value probabilities = buildProbabilities(masked, rowMax);
  Value rowSum = buildRowReduction(probabilities, /*isMax=*/false);
  SmallVector<Value> results = {
      buildNormalizedOutput(buildWeightedValues(probabilities), rowSum)};
  if (op.getLogSumExpOutput())
    results.push_back(buildLogSumExp(rowMax, rowSum));
  return results;
}

FailureOr<SmallVector<Value>> AttentionOp::decomposeOperation(OpBuilder &b) {
  return ReferenceBuilder(b, *this).build();
}
