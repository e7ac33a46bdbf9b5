//===- RaiseAttention.cpp - attention in plain linalg -> attn ops ---------===//
//
// Frontends write attention as upstream ops: a contraction Q.K^T (batch_matmul,
// matmul or generic, K possibly transposed), a scale multiplying or dividing
// the scores or Q, an optional additive mask, a softmax over the key dimension
// (linalg.softmax, or decomposed into max, subtract-exp, sum, divide), and a
// contraction with V. This pass matches that chain backwards from the second
// contraction and replaces it with attn.attention, whose indexing maps are the
// contractions' own maps re-expressed in one iteration space. K/V broadcast
// from fewer heads (GQA's repeat_kv) are read unbroadcast; K and V computed as
// up-projections of one latent with a shared RoPE key (MLA) become
// attn.latent_attention. Anything that does not match exactly is left as is.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Transforms/RegionUtils.h"

#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNRAISEATTENTION
#include "attnc/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

//===----------------------------------------------------------------------===//
// Small structural predicates on LinalgOps (named or generic alike).
//===----------------------------------------------------------------------===//

/// The ops of `op`'s body except the terminator.
static SmallVector<Operation *> bodyOps(linalg::LinalgOp op) {
  SmallVector<Operation *> ops;
  for (Operation &inner : op.getBlock()->without_terminator())
    ops.push_back(&inner);
  return ops;
}

static Value yielded(linalg::LinalgOp op) {
  return op.getBlock()->getTerminator()->getOperand(0);
}

static BlockArgument arg(linalg::LinalgOp op, unsigned i) {
  return op.getBlock()->getArgument(i);
}

/// A float constant: an arith.constant, or a scalar splat.
static std::optional<double> constantValue(Value v) {
  FloatAttr attr;
  if (matchPattern(v, m_Constant(&attr)))
    return attr.getValueAsDouble();
  DenseFPElementsAttr dense;
  if (matchPattern(v, m_Constant(&dense)) && dense.isSplat())
    return dense.getSplatValue<APFloat>().convertToDouble();
  return std::nullopt;
}

/// `value` is a zero-filled tensor (linalg.fill of 0).
static bool isFilledWith(Value value, double expected) {
  auto fill = value.getDefiningOp<linalg::FillOp>();
  if (!fill)
    return false;
  std::optional<double> v = constantValue(fill.getInputs()[0]);
  if (!v)
    return false;
  if (std::isinf(expected) && expected < 0)
    // The identity of a max: -inf, the lowest float, or NaN (what
    // linalg.softmax's own decomposition uses with maxnumf).
    return std::isnan(*v) || *v <= -3.0e38;
  return *v == expected;
}

static bool allProjectedPermutations(linalg::LinalgOp op) {
  return llvm::all_of(op.getIndexingMapsArray(), [](AffineMap m) {
    return m.isProjectedPermutation();
  });
}

/// out += in0 * in1 over a zero-filled init, every map a projected
/// permutation: a contraction (matmul, batch_matmul or generic).
static bool isContraction(linalg::LinalgOp op) {
  if (!op || op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() == 0 || !allProjectedPermutations(op) ||
      !op.hasPureTensorSemantics())
    return false;
  if (!isFilledWith(op.getDpsInits()[0], 0.0))
    return false;
  SmallVector<Operation *> ops = bodyOps(op);
  if (ops.size() != 2)
    return false;
  auto mul = dyn_cast<arith::MulFOp>(ops[0]);
  auto add = dyn_cast<arith::AddFOp>(ops[1]);
  if (!mul || !add || yielded(op) != add.getResult())
    return false;
  bool mulArgs = (mul.getLhs() == arg(op, 0) && mul.getRhs() == arg(op, 1)) ||
                 (mul.getLhs() == arg(op, 1) && mul.getRhs() == arg(op, 0));
  bool addArgs = (add.getLhs() == arg(op, 2) && add.getRhs() == mul) ||
                 (add.getRhs() == arg(op, 2) && add.getLhs() == mul);
  return mulArgs && addArgs;
}

/// All loops parallel and the output map an identity (the elementwise ops of
/// the chain keep the scores' dimension order).
static bool isIdentityElementwise(linalg::LinalgOp op) {
  return op && op.hasPureTensorSemantics() && op.getNumDpsInits() == 1 &&
         op.getNumLoops() == op.getNumParallelLoops() &&
         op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity() &&
         allProjectedPermutations(op);
}

/// A copy through a permutation (linalg.transpose, or a generic yielding its
/// input): in[inMap(l)] = out[outMap(l)].
static bool isPermutationCopy(linalg::LinalgOp op) {
  return op && op.getNumDpsInputs() == 1 && op.getNumDpsInits() == 1 &&
         op.getNumLoops() == op.getNumParallelLoops() &&
         bodyOps(op).empty() && yielded(op) == arg(op, 0) &&
         llvm::all_of(op.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isPermutation(); });
}

/// A row reduction of `op`'s single input into a 1-lower-rank init filled
/// with `init`, reducing only along the input dimension `dim`, with `Combine`.
template <typename Combine>
static bool isRowReduction(linalg::LinalgOp op, unsigned dim, double init) {
  if (!op || op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumReductionLoops() != 1 || !allProjectedPermutations(op) ||
      !isFilledWith(op.getDpsInits()[0], init))
    return false;
  AffineMap in = op.getMatchingIndexingMap(op.getDpsInputOperand(0));
  if (!in.isIdentity())
    return false;
  if (op.getIteratorTypesArray()[dim] != utils::IteratorType::reduction)
    return false;
  SmallVector<Operation *> ops = bodyOps(op);
  if (ops.size() != 1 || yielded(op) != ops[0]->getResult(0))
    return false;
  auto combine = dyn_cast<Combine>(ops[0]);
  return combine && llvm::is_contained(combine->getOperands(), arg(op, 0)) &&
         llvm::is_contained(combine->getOperands(), arg(op, 1));
}

//===----------------------------------------------------------------------===//
// The match.
//===----------------------------------------------------------------------===//

namespace {
/// One contraction term of the scores: Q and K with maps in the attention
/// iteration space.
struct ScoreTerm {
  Value query, key;
  AffineMap queryMap, keyMap;
  linalg::LinalgOp contraction;
};

struct AttentionMatch {
  unsigned numDims = 0;
  SmallVector<ScoreTerm> terms;
  Value value;
  AffineMap valueMap, outputMap;
  Value mask;
  AffineMap maskMap;
  double scale = 1.0;
  /// Dimension of the score tensor the softmax normalises over.
  unsigned keyDim = 0;
  linalg::LinalgOp root; // The P.V contraction being replaced.
};

/// Enough dims for any attention space while it is being built; maps are
/// re-created with the final count once it is known.
constexpr unsigned kScratchDims = 64;

/// The maps of an op over its loops, re-expressed in the attention space
/// through `loopToDomain`.
AffineMap toDomain(AffineMap map, ArrayRef<unsigned> loopToDomain,
                   unsigned numDims, MLIRContext *ctx) {
  SmallVector<AffineExpr> replacements;
  for (unsigned d : loopToDomain)
    replacements.push_back(getAffineDimExpr(d, ctx));
  return map.replaceDimsAndSymbols(replacements, {}, numDims, 0);
}

class Matcher {
public:
  explicit Matcher(MLIRContext *ctx) : ctx(ctx) {}

  /// Matches the chain ending at the P.V contraction `pv`.
  std::optional<AttentionMatch> match(linalg::LinalgOp pv);

private:
  /// Softmax of the scores along `keyDim`: its input, or null.
  Value matchSoftmax(Value probs, unsigned keyDim);
  /// Follows scale and mask ops from the softmax input back to the scores.
  Value peelScaleAndMask(Value x, AttentionMatch &m,
                         SmallVector<std::pair<Value, AffineMap>> &masks);
  /// Q.K^T terms producing `scores` (one contraction or a sum of them).
  bool matchScores(Value scores, unsigned rank, AttentionMatch &m);
  /// Looks through copies that permute (transposes) and Q-side scaling.
  void lookThroughOperand(Value &v, AffineMap &map, AttentionMatch &m,
                          bool isQuery);

  MLIRContext *ctx;
};
} // namespace

Value Matcher::matchSoftmax(Value probs, unsigned keyDim) {
  if (auto softmax = probs.getDefiningOp<linalg::SoftmaxOp>()) {
    if (softmax.getDimension() != keyDim)
      return Value();
    return softmax.getInput();
  }
  // p = e / sum(e); e = exp(x - max(x)); both reductions along keyDim.
  auto div = probs.getDefiningOp<linalg::LinalgOp>();
  if (!isIdentityElementwise(div) || div.getNumDpsInputs() != 2)
    return Value();
  SmallVector<Operation *> ops = bodyOps(div);
  auto divf = ops.size() == 1 ? dyn_cast<arith::DivFOp>(ops[0]) : nullptr;
  if (!divf || divf.getLhs() != arg(div, 0) || divf.getRhs() != arg(div, 1) ||
      yielded(div) != divf.getResult())
    return Value();
  Value e = div.getDpsInputs()[0];
  auto sum = div.getDpsInputs()[1].getDefiningOp<linalg::LinalgOp>();
  if (!isRowReduction<arith::AddFOp>(sum, keyDim, 0.0) ||
      sum.getDpsInputs()[0] != e)
    return Value();
  auto exp = e.getDefiningOp<linalg::LinalgOp>();
  if (!isIdentityElementwise(exp) || exp.getNumDpsInputs() != 2)
    return Value();
  ops = bodyOps(exp);
  if (ops.size() != 2)
    return Value();
  auto sub = dyn_cast<arith::SubFOp>(ops[0]);
  auto ex = dyn_cast<math::ExpOp>(ops[1]);
  if (!sub || !ex || sub.getLhs() != arg(exp, 0) || sub.getRhs() != arg(exp, 1) ||
      ex.getOperand() != sub.getResult() || yielded(exp) != ex.getResult())
    return Value();
  Value x = exp.getDpsInputs()[0];
  auto max = exp.getDpsInputs()[1].getDefiningOp<linalg::LinalgOp>();
  bool isMax = isRowReduction<arith::MaximumFOp>(max, keyDim, -INFINITY) ||
               isRowReduction<arith::MaxNumFOp>(max, keyDim, -INFINITY);
  if (!isMax || max.getDpsInputs()[0] != x)
    return Value();
  // The broadcast maps of max and sum must drop exactly keyDim.
  for (auto [op, operand] : {std::make_pair(exp, 1u), std::make_pair(div, 1u)}) {
    AffineMap map = op.getIndexingMapsArray()[operand];
    if (map.getNumResults() + 1 != op.getNumLoops() ||
        map.isFunctionOfDim(keyDim))
      return Value();
  }
  return x;
}

Value Matcher::peelScaleAndMask(Value x, AttentionMatch &m,
                                SmallVector<std::pair<Value, AffineMap>> &masks) {
  while (true) {
    auto op = x.getDefiningOp<linalg::LinalgOp>();
    if (!isIdentityElementwise(op))
      return x;
    SmallVector<Operation *> ops = bodyOps(op);
    if (ops.size() != 1 || yielded(op) != ops[0]->getResult(0))
      return x;
    Operation *body = ops[0];
    // Scale by a constant: mulf/divf with a constant operand (in the body or
    // as a 0-d / splat input).
    if (isa<arith::MulFOp, arith::DivFOp>(body) || isa<arith::AddFOp>(body)) {
      Value lhs = body->getOperand(0), rhs = body->getOperand(1);
      // Which operand is the scores (the first input, identity map)?
      if (lhs != arg(op, 0) &&
          !(isa<arith::MulFOp, arith::AddFOp>(body) && rhs == arg(op, 0)))
        return x;
      Value other = lhs == arg(op, 0) ? rhs : lhs;
      if (!op.getIndexingMapsArray()[0].isIdentity())
        return x;
      std::optional<double> c;
      if (auto ba = dyn_cast<BlockArgument>(other)) {
        if (ba.getOwner() != op.getBlock() || ba.getArgNumber() != 1 ||
            op.getNumDpsInputs() != 2)
          return x;
        Value input = op.getDpsInputs()[1];
        if (isa<arith::AddFOp>(body)) {
          // Two contractions summed are score terms (MLA's nope + rope),
          // not a mask.
          if (isContraction(input.getDefiningOp<linalg::LinalgOp>()) &&
              isContraction(
                  op.getDpsInputs()[0].getDefiningOp<linalg::LinalgOp>()))
            return x;
          // An additive mask, read through its map.
          masks.push_back({input, op.getIndexingMapsArray()[1]});
          x = op.getDpsInputs()[0];
          continue;
        }
        c = constantValue(input);
        if (!c) {
          if (auto fill = input.getDefiningOp<linalg::FillOp>())
            c = constantValue(fill.getInputs()[0]);
        }
      } else {
        if (op.getNumDpsInputs() != 1)
          return x;
        c = constantValue(other);
      }
      if (!c || isa<arith::AddFOp>(body) || *c == 0.0)
        return x;
      m.scale *= isa<arith::DivFOp>(body) ? 1.0 / *c : *c;
      x = op.getDpsInputs()[0];
      continue;
    }
    return x;
  }
}

void Matcher::lookThroughOperand(Value &v, AffineMap &map, AttentionMatch &m,
                                 bool isQuery) {
  while (true) {
    auto op = v.getDefiningOp<linalg::LinalgOp>();
    if (isPermutationCopy(op)) {
      // v[outMap(l)] = src[inMap(l)]: src is read at inMap . outMap^-1 . map.
      AffineMap in = op.getIndexingMapsArray()[0];
      AffineMap out = op.getIndexingMapsArray()[1];
      map = in.compose(inversePermutation(out)).compose(map);
      v = op.getDpsInputs()[0];
      continue;
    }
    if (isQuery && isIdentityElementwise(op) && op.getNumDpsInputs() == 1) {
      // q * c or q / c.
      SmallVector<Operation *> ops = bodyOps(op);
      if (ops.size() == 1 && isa<arith::MulFOp, arith::DivFOp>(ops[0]) &&
          yielded(op) == ops[0]->getResult(0) &&
          ops[0]->getOperand(0) == arg(op, 0) &&
          op.getIndexingMapsArray()[0].isIdentity()) {
        if (std::optional<double> c = constantValue(ops[0]->getOperand(1))) {
          if (*c != 0.0) {
            m.scale *= isa<arith::DivFOp>(ops[0]) ? 1.0 / *c : *c;
            v = op.getDpsInputs()[0];
            continue;
          }
        }
      }
    }
    return;
  }
}

bool Matcher::matchScores(Value scores, unsigned rank, AttentionMatch &m) {
  SmallVector<Value> termValues;
  auto sum = scores.getDefiningOp<linalg::LinalgOp>();
  if (isIdentityElementwise(sum) && sum.getNumDpsInputs() == 2) {
    SmallVector<Operation *> ops = bodyOps(sum);
    auto add = ops.size() == 1 ? dyn_cast<arith::AddFOp>(ops[0]) : nullptr;
    if (add && yielded(sum) == add.getResult() &&
        llvm::all_of(sum.getIndexingMapsArray(),
                     [](AffineMap map) { return map.isIdentity(); }) &&
        isContraction(sum.getDpsInputs()[0].getDefiningOp<linalg::LinalgOp>()) &&
        isContraction(sum.getDpsInputs()[1].getDefiningOp<linalg::LinalgOp>()))
      termValues = {sum.getDpsInputs()[0], sum.getDpsInputs()[1]};
  }
  if (termValues.empty())
    termValues = {scores};
  for (Value term : termValues) {
    auto qk = term.getDefiningOp<linalg::LinalgOp>();
    if (!isContraction(qk))
      return false;
    AffineMap out = qk.getMatchingIndexingMap(qk.getDpsInitOperand(0));
    if (out.getNumResults() != rank)
      return false;
    // Loops of Q.K^T: output dims -> score dims 0..rank-1; reductions -> new
    // head-dim loops after everything matched so far.
    SmallVector<unsigned> loopToDomain(qk.getNumLoops(), ~0u);
    for (unsigned j = 0; j < rank; ++j)
      loopToDomain[cast<AffineDimExpr>(out.getResult(j)).getPosition()] = j;
    for (unsigned l = 0; l < qk.getNumLoops(); ++l) {
      if (loopToDomain[l] != ~0u)
        continue;
      if (qk.getIteratorTypesArray()[l] != utils::IteratorType::reduction)
        return false;
      loopToDomain[l] = m.numDims++;
    }
    ScoreTerm t;
    t.contraction = qk;
    t.query = qk.getDpsInputs()[0];
    t.key = qk.getDpsInputs()[1];
    t.queryMap =
        toDomain(qk.getIndexingMapsArray()[0], loopToDomain, kScratchDims, ctx);
    t.keyMap =
        toDomain(qk.getIndexingMapsArray()[1], loopToDomain, kScratchDims, ctx);
    m.terms.push_back(t);
  }
  return true;
}

std::optional<AttentionMatch> Matcher::match(linalg::LinalgOp pv) {
  if (!isContraction(pv) || pv.getNumReductionLoops() != 1)
    return std::nullopt;
  AttentionMatch m;
  m.root = pv;
  // P is the input whose producer is a softmax; the other is V.
  for (unsigned pIndex : {0u, 1u}) {
    Value probs = pv.getDpsInputs()[pIndex];
    AffineMap pMap = pv.getIndexingMapsArray()[pIndex];
    unsigned rank = pMap.getNumResults();
    // The reduction loop of P.V must be the dimension softmax normalises.
    std::optional<unsigned> keyDim;
    for (unsigned j = 0; j < rank; ++j)
      if (pv.getIteratorTypesArray()[cast<AffineDimExpr>(pMap.getResult(j))
                                         .getPosition()] ==
          utils::IteratorType::reduction)
        keyDim = j;
    if (!keyDim)
      continue;
    Value x = matchSoftmax(probs, *keyDim);
    if (!x)
      continue;
    AttentionMatch candidate;
    candidate.root = pv;
    candidate.keyDim = *keyDim;
    candidate.numDims = rank;
    SmallVector<std::pair<Value, AffineMap>> masks;
    Value scores = peelScaleAndMask(x, candidate, masks);
    if (masks.size() > 1)
      continue;
    if (!matchScores(scores, rank, candidate))
      continue;
    // Loops of P.V: P's dims are score dims; the others are value dims.
    SmallVector<unsigned> loopToDomain(pv.getNumLoops(), ~0u);
    for (unsigned j = 0; j < rank; ++j)
      loopToDomain[cast<AffineDimExpr>(pMap.getResult(j)).getPosition()] = j;
    for (unsigned l = 0; l < pv.getNumLoops(); ++l)
      if (loopToDomain[l] == ~0u)
        loopToDomain[l] = candidate.numDims++;
    unsigned n = candidate.numDims;
    auto fix = [&](AffineMap map) {
      return AffineMap::get(n, 0, map.getResults(), ctx);
    };
    for (ScoreTerm &t : candidate.terms) {
      t.queryMap = fix(t.queryMap);
      t.keyMap = fix(t.keyMap);
      lookThroughOperand(t.query, t.queryMap, candidate, /*isQuery=*/true);
      lookThroughOperand(t.key, t.keyMap, candidate, /*isQuery=*/false);
    }
    candidate.value = pv.getDpsInputs()[1 - pIndex];
    candidate.valueMap =
        toDomain(pv.getIndexingMapsArray()[1 - pIndex], loopToDomain, n, ctx);
    lookThroughOperand(candidate.value, candidate.valueMap, candidate, false);
    candidate.outputMap =
        toDomain(pv.getMatchingIndexingMap(pv.getDpsInitOperand(0)),
                 loopToDomain, n, ctx);
    if (!masks.empty()) {
      // The mask generic is an identity over the score dims.
      candidate.mask = masks.front().first;
      candidate.maskMap = fix(masks.front().second);
    }
    return candidate;
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// GQA: K/V broadcast from fewer heads, read unbroadcast.
//===----------------------------------------------------------------------===//

/// collapse_shape(broadcast(x)) where the broadcast inserts one dimension
/// right after dimension `h` of x and the collapse merges them back: x is
/// read instead (attn.attention groups heads by extent).
static void lookThroughHeadRepeat(Value &v) {
  auto collapse = v.getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse)
    return;
  auto bcast = collapse.getSrc().getDefiningOp<linalg::LinalgOp>();
  if (!bcast || bcast.getNumDpsInputs() != 1 || bcast.getNumDpsInits() != 1 ||
      bcast.getNumLoops() != bcast.getNumParallelLoops() ||
      !bodyOps(bcast).empty() || yielded(bcast) != arg(bcast, 0))
    return;
  AffineMap in = bcast.getIndexingMapsArray()[0];
  AffineMap out = bcast.getIndexingMapsArray()[1];
  if (!out.isIdentity() || in.getNumResults() + 1 != out.getNumResults() ||
      !in.isProjectedPermutation())
    return;
  // The dropped loop is the repeat; it must follow the head dim and be
  // merged with it.
  std::optional<unsigned> repeat;
  for (unsigned l = 0; l < bcast.getNumLoops(); ++l)
    if (!in.isFunctionOfDim(l))
      repeat = l;
  if (!repeat || *repeat == 0)
    return;
  for (unsigned j = 0; j < in.getNumResults(); ++j)
    if (cast<AffineDimExpr>(in.getResult(j)).getPosition() !=
        (j < *repeat ? j : j + 1))
      return;
  for (ReassociationIndices group : collapse.getReassociationIndices()) {
    bool containsRepeat = llvm::is_contained(group, int64_t(*repeat));
    if (containsRepeat &&
        (group.size() != 2 || group[0] != int64_t(*repeat) - 1))
      return;
    if (!containsRepeat && group.size() != 1)
      return;
  }
  v = bcast.getDpsInputs()[0];
}

//===----------------------------------------------------------------------===//
// Rewriting.
//===----------------------------------------------------------------------===//

static bool isF32Tensor(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  return type && type.hasStaticShape() && type.getElementType().isF32();
}

/// A value as a tensor in the dimension order `dims` (domain dims), through
/// a linalg.transpose when its map is another permutation of them.
static Value inOrder(OpBuilder &b, Location loc, Value v, AffineMap map,
                     ArrayRef<unsigned> dims) {
  if (map.getNumResults() != dims.size())
    return Value();
  SmallVector<int64_t> perm;
  for (unsigned d : dims) {
    std::optional<unsigned> pos = map.getResultPosition(b.getAffineDimExpr(d));
    if (!pos)
      return Value();
    perm.push_back(*pos);
  }
  if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return v;
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(type.getDimSize(p));
  Value init = tensor::EmptyOp::create(b, loc, shape, type.getElementType());
  return linalg::TransposeOp::create(b, loc, v, init, perm)->getResult(0);
}

/// MLA in its expanded form: two score terms (nope and rope), K_nope and V
/// up-projected from one latent [B, T, C] by per-head weights, the rope key
/// [B, T, R] shared by all heads. Rewritten to attn.latent_attention.
static FailureOr<Value> buildLatentAttention(OpBuilder &b, Location loc,
                                             AttentionMatch &m, FloatAttr scale) {
  if (m.terms.size() != 2 || m.mask)
    return failure();
  // Domain: score dims [0, rank); the key dim is m.keyDim.
  auto upProjection = [](Value v) -> linalg::LinalgOp {
    auto op = v.getDefiningOp<linalg::LinalgOp>();
    return isContraction(op) ? op : linalg::LinalgOp();
  };
  for (unsigned nopeIndex : {0u, 1u}) {
    ScoreTerm &nope = m.terms[nopeIndex];
    ScoreTerm &rope = m.terms[1 - nopeIndex];
    linalg::LinalgOp kUp = upProjection(nope.key);
    linalg::LinalgOp vUp = upProjection(m.value);
    if (!kUp || !vUp)
      continue;
    // k[b, h, t, n] = sum_c latent[b, t, c] * w_uk[h, c, n], latent shared.
    Value latent = kUp.getDpsInputs()[0];
    if (vUp.getDpsInputs()[0] != latent)
      continue;
    Value wUk = kUp.getDpsInputs()[1], wUv = vUp.getDpsInputs()[1];
    // Score dims: batch b, head h, query s, key t; k_nope and V map exactly
    // (b, h, t, *) in some order; the rope key has no head dim.
    unsigned t = m.keyDim;
    SmallVector<unsigned> qDims, kDims;
    AffineMap qMap = nope.queryMap;
    // Query dims in [b, s, h, n] order: find them from the query map.
    if (qMap.getNumResults() != 4 || m.outputMap.getNumResults() != 4)
      continue;
    // The head dim is in Q, K and the output but not in the rope key; the
    // batch dim is everywhere; s in Q and output only.
    std::optional<unsigned> bDim, hDim, sDim, nDim, rDim, eDim;
    for (AffineExpr e : qMap.getResults()) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      bool inKey = nope.keyMap.isFunctionOfDim(d);
      bool inRope = rope.keyMap.isFunctionOfDim(d);
      bool inOut = m.outputMap.isFunctionOfDim(d);
      if (inKey && inRope && inOut)
        bDim = d;
      else if (inKey && !inRope && inOut)
        hDim = d;
      else if (!inKey && inOut)
        sDim = d;
      else if (inKey && !inOut)
        nDim = d;
    }
    for (AffineExpr e : rope.queryMap.getResults()) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      if (!m.outputMap.isFunctionOfDim(d))
        rDim = d;
    }
    for (AffineExpr e : m.outputMap.getResults()) {
      unsigned d = cast<AffineDimExpr>(e).getPosition();
      if (!qMap.isFunctionOfDim(d))
        eDim = d;
    }
    if (!bDim || !hDim || !sDim || !nDim || !rDim || !eDim || *sDim == t)
      continue;
    // The rope key must be [b, t, r] in that order and the latent [b, t, c].
    if (rope.keyMap.getNumResults() != 3 ||
        rope.keyMap.getResult(0) != b.getAffineDimExpr(*bDim) ||
        rope.keyMap.getResult(1) != b.getAffineDimExpr(t) ||
        rope.keyMap.getResult(2) != b.getAffineDimExpr(*rDim))
      continue;
    // Up-projections: the latent read as (b, t, c) and the weight as a
    // permutation of (h, c, n) over the up-projection's own loops.
    auto splitUp = [&](linalg::LinalgOp up, Value &weight) -> bool {
      AffineMap lat = up.getIndexingMapsArray()[0];
      AffineMap w = up.getIndexingMapsArray()[1];
      AffineMap out = up.getMatchingIndexingMap(up.getDpsInitOperand(0));
      if (lat.getNumResults() != 3 || w.getNumResults() != 3 ||
          out.getNumResults() != 4 || up.getNumReductionLoops() != 1)
        return false;
      // The up-projection's output must be what the attention reads with
      // the same dims: map out-loop -> domain via K's domain map.
      unsigned c = 0;
      for (unsigned l = 0; l < up.getNumLoops(); ++l)
        if (up.getIteratorTypesArray()[l] == utils::IteratorType::reduction)
          c = l;
      // latent loops must be (b-loop, t-loop, c) with b, t the output's.
      if (lat.getResult(2) != b.getAffineDimExpr(c))
        return false;
      // Weight order wanted: (h, c, n): transpose if needed, in loop space.
      SmallVector<unsigned> wantLoops;
      std::optional<unsigned> hLoop, nLoop;
      for (unsigned j = 0; j < 4; ++j) {
        unsigned l = cast<AffineDimExpr>(out.getResult(j)).getPosition();
        if (w.isFunctionOfDim(l) && l != c) {
          if (!hLoop && !lat.isFunctionOfDim(l) &&
              j != 3)
            hLoop = l;
          else
            nLoop = l;
        }
      }
      if (!hLoop || !nLoop)
        return false;
      weight = inOrder(b, loc, weight, w, {*hLoop, c, *nLoop});
      return bool(weight);
    };
    if (!splitUp(kUp, wUk) || !splitUp(vUp, wUv))
      continue;
    // Up-projections must produce K/V in the layout the attention reads:
    // checked through their output maps against the attention's K/V maps.
    auto sameLayout = [&](linalg::LinalgOp up, AffineMap attnMap,
                          unsigned lastDim) {
      AffineMap out = up.getMatchingIndexingMap(up.getDpsInitOperand(0));
      AffineMap lat = up.getIndexingMapsArray()[0];
      // Position of b, t in the up output equals their position in attnMap.
      unsigned bLoop = cast<AffineDimExpr>(lat.getResult(0)).getPosition();
      unsigned tLoop = cast<AffineDimExpr>(lat.getResult(1)).getPosition();
      std::optional<unsigned> bPos = out.getResultPosition(b.getAffineDimExpr(bLoop));
      std::optional<unsigned> tPos = out.getResultPosition(b.getAffineDimExpr(tLoop));
      return bPos && tPos &&
             attnMap.getResult(*bPos) == b.getAffineDimExpr(*bDim) &&
             attnMap.getResult(*tPos) == b.getAffineDimExpr(t) &&
             attnMap.isFunctionOfDim(lastDim);
    };
    if (!sameLayout(kUp, nope.keyMap, *nDim) || !sameLayout(vUp, m.valueMap, *eDim))
      continue;
    if (!isF32Tensor(latent) || !isF32Tensor(rope.key))
      continue;
    Value qNope = inOrder(b, loc, nope.query, nope.queryMap, {*bDim, *sDim, *hDim, *nDim});
    Value qRope = inOrder(b, loc, rope.query, rope.queryMap, {*bDim, *sDim, *hDim, *rDim});
    if (!qNope || !qRope)
      continue;
    auto outType = cast<RankedTensorType>(m.root->getResult(0).getType());
    auto qType = cast<RankedTensorType>(qNope.getType());
    auto vwType = cast<RankedTensorType>(wUv.getType());
    SmallVector<int64_t> outShape = {qType.getDimSize(0), qType.getDimSize(1),
                                     qType.getDimSize(2), vwType.getDimSize(2)};
    Value init = tensor::EmptyOp::create(b, loc, outShape, b.getF32Type());
    Value o = LatentAttentionOp::create(
                  b, loc, init.getType(), qNope, qRope, latent, rope.key, wUk,
                  wUv, /*kv_lengths=*/Value(), init, scale,
                  /*branches=*/ArrayAttr(), b.getF64FloatAttr(1.0),
                  MaskKindAttr::get(b.getContext(), MaskKind::None),
                  /*window=*/IntegerAttr())
                  .getResult();
    // Back to the original output layout.
    AffineMap latentOut = AffineMap::get(
        m.numDims, 0,
        {b.getAffineDimExpr(*bDim), b.getAffineDimExpr(*sDim),
         b.getAffineDimExpr(*hDim), b.getAffineDimExpr(*eDim)},
        b.getContext());
    SmallVector<unsigned> outDims;
    for (AffineExpr e : m.outputMap.getResults())
      outDims.push_back(cast<AffineDimExpr>(e).getPosition());
    Value result = inOrder(b, loc, o, latentOut, outDims);
    if (!result || result.getType() != outType)
      return failure();
    return result;
  }
  return failure();
}

static LogicalResult rewrite(AttentionMatch &m) {
  linalg::LinalgOp pv = m.root;
  OpBuilder b(pv);
  Location loc = pv.getLoc();
  auto outType = cast<RankedTensorType>(pv->getResult(0).getType());
  if (!outType.hasStaticShape() || !outType.getElementType().isF32())
    return failure();
  for (ScoreTerm &t : m.terms) {
    lookThroughHeadRepeat(t.key);
    if (!isF32Tensor(t.query) || !isF32Tensor(t.key))
      return failure();
  }
  lookThroughHeadRepeat(m.value);
  if (!isF32Tensor(m.value) || (m.mask && !isF32Tensor(m.mask)))
    return failure();
  if (!(m.scale > 0.0) || !std::isfinite(m.scale))
    return failure();
  FloatAttr scale = b.getF32FloatAttr(static_cast<float>(m.scale));

  if (FailureOr<Value> latent = buildLatentAttention(b, loc, m, scale);
      succeeded(latent)) {
    pv->getResult(0).replaceAllUsesWith(*latent);
    return success();
  }

  SmallVector<Value> queries, keys;
  SmallVector<AffineMap> maps;
  for (ScoreTerm &t : m.terms) {
    queries.push_back(t.query);
    maps.push_back(t.queryMap);
  }
  for (ScoreTerm &t : m.terms) {
    keys.push_back(t.key);
    maps.push_back(t.keyMap);
  }
  maps.push_back(m.valueMap);
  if (m.mask)
    maps.push_back(m.maskMap);
  maps.push_back(m.outputMap);
  Value init = tensor::EmptyOp::create(b, loc, outType.getShape(),
                                       outType.getElementType());
  auto attention = AttentionOp::create(
      b, loc, outType, queries, keys, m.value, m.mask, /*kv_lengths=*/Value(),
      init, scale, b.getAffineMapArrayAttr(maps),
      MaskKindAttr::get(b.getContext(), MaskKind::None), IntegerAttr());
  // The op verifies the roles the maps imply; a chain that looked like
  // attention but is not one (a contraction over the wrong dims) is undone.
  if (failed(mlir::verify(attention, /*verifyRecursively=*/false))) {
    attention->erase();
    init.getDefiningOp()->erase();
    return failure();
  }
  pv->getResult(0).replaceAllUsesWith(attention.getResult());
  return success();
}

namespace mlir::attn {
namespace {
struct AttnRaiseAttention
    : public impl::AttnRaiseAttentionBase<AttnRaiseAttention> {
  void runOnOperation() override {
    Matcher matcher(&getContext());
    SmallVector<linalg::LinalgOp> roots;
    getOperation()->walk([&](linalg::LinalgOp op) { roots.push_back(op); });
    bool changed = false;
    for (linalg::LinalgOp op : roots) {
      std::optional<AttentionMatch> m = matcher.match(op);
      if (m && succeeded(rewrite(*m)))
        changed = true;
    }
    if (!changed)
      return;
    // The replaced chain is dead now.
    IRRewriter rewriter(&getContext());
    (void)runRegionDCE(rewriter, getOperation()->getRegions());
  }
};
} // namespace
} // namespace mlir::attn
