//===- RaiseAttention.cpp - attention in plain linalg -> attn ops ---------===//
//
// Frontends write attention as upstream ops, and each frontend splits and
// arranges it its own way: torch-mlir exports reshape Q, K and V into
// batch_matmuls and back, keep row statistics as [b, h, s, 1], return the
// argmax beside the row max, subtract and exponentiate in two generics,
// guard fully masked rows with a select, build a causal mask from iota and
// compares, and repeat K/V heads by a broadcast and a collapse. This pass
// does not match those forms op by op: it reads every candidate value as an
// element expression (ElementExpr: what one element is, as an expression of
// loop indices, through linalg bodies, reshapes, slices, transposes and
// broadcasts), where all of them are one canonical form, and matches
// attention on that:
//
//   O[r] = sum_t P[r, t] * V[.., t, ..]              (the root)
//   P    = exp(X - max_t X) / sum_t exp(X - max_t X)  (softmax over t, with
//          torch's select of 0 for rows that are all -inf, or not)
//   X    = scale * sum_i sum_d Q_i * K_i  [+ mask] [or select(mask, ., -inf)]
//
// Q, K and V become operands at the deepest tensor their elements are read
// from that attn.attention can read with its maps: heads repeated by a
// broadcast read as grouped heads (h floordiv g), unit dims through views.
// A mask that is a function of the query and key positions only (iota,
// compare, select) is evaluated for every position and becomes
// masking(causal) when it is attn's bottom-right causal mask, or
// masking(sliding_window) for a window; otherwise it stays a mask tensor.
// MLA, whose K and V are up-projections of one latent with a shared RoPE
// key, becomes attn.latent_attention. Whatever does not match exactly is
// left as it is and still computes what it computed.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"
#include "attnc/Dialect/Attn/Utils/ElementExpr.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Transforms/RegionUtils.h"

#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNRAISEATTENTION
#include "attnc/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

using Kind = ElementExpr::Kind;

namespace {

/// A tensor the attention reads: its elements at `indices` (one domain
/// expression per tensor dimension).
struct Operand {
  Value value;
  SmallVector<AffineExpr> indices;
};

/// One score contraction: sum over `dims` of Q * K.
struct ScoreTerm {
  Operand query, key;
  /// The contraction's elements, for MLA's up-projections.
  const ElementExpr *queryExpr = nullptr, *keyExpr = nullptr;
  unsigned dim = 0;
};

struct AttentionMatch {
  OpResult root;
  unsigned keyDim = 0;
  SmallVector<ScoreTerm> terms;
  Operand value;
  const ElementExpr *valueExpr = nullptr;
  double scale = 1.0;
  std::optional<Operand> mask;
  MaskKind maskKind = MaskKind::None;
  int64_t window = 0;
};

/// Matches attention on element expressions of one candidate root.
class Matcher {
public:
  Matcher(ElementExprBuilder &b) : b(b) {}

  std::optional<AttentionMatch> match(OpResult root);

private:
  bool isOp(const ElementExpr *e, StringRef name) const {
    e = e->strip();
    return e->kind == Kind::Op && e->op->getName().getStringRef() == name;
  }
  const ElementExpr *operand(const ElementExpr *e, unsigned i) const {
    return e->strip()->operands[i];
  }
  /// A reduction of `combiner` whose init is `init` (NaN and the lowest
  /// float count as -inf: linalg.softmax's own decomposition uses them).
  bool isReduce(const ElementExpr *e, ArrayRef<StringRef> combiners,
                double init) const;
  /// Multiplications and divisions by constants around `e`, peeled into
  /// `factor`; returns what they multiply.
  const ElementExpr *peelConstantFactors(const ElementExpr *e,
                                         double &factor) const;
  /// Softmax of X over the key dimension: X (read at the key dimension), or
  /// null.
  const ElementExpr *matchSoftmax(const ElementExpr *p, unsigned t) const;
  /// Scores, scale and masks.
  bool matchScores(const ElementExpr *x, AttentionMatch &m);
  bool matchMask(const ElementExpr *mask, bool boolean, AttentionMatch &m);
  /// A mask that is a function of the query and key positions only,
  /// evaluated at each of them: causal or a sliding window.
  bool matchPositionMask(const ElementExpr *mask, bool boolean,
                         AttentionMatch &m);
  /// The deepest tensor `e` reads its elements from at indices an attention
  /// map can take.
  std::optional<Operand> findOperand(const ElementExpr *e) const;
  bool isMappable(const Operand &o) const;

  ElementExprBuilder &b;
};
} // namespace

bool Matcher::isReduce(const ElementExpr *e, ArrayRef<StringRef> combiners,
                       double init) const {
  e = e->strip();
  if (e->kind != Kind::Reduce ||
      !llvm::is_contained(combiners, e->op->getName().getStringRef()))
    return false;
  std::optional<double> v = e->init->getFloat();
  if (!v)
    return false;
  if (std::isinf(init) && init < 0)
    return std::isnan(*v) || *v <= -3.0e38;
  return *v == init;
}

const ElementExpr *Matcher::peelConstantFactors(const ElementExpr *e,
                                                double &factor) const {
  while (true) {
    const ElementExpr *s = e->strip();
    if (s->kind != Kind::Op || !isa<arith::MulFOp, arith::DivFOp>(s->op))
      return e;
    std::optional<double> lhs = s->operands[0]->getFloat();
    std::optional<double> rhs = s->operands[1]->getFloat();
    if (rhs && *rhs != 0.0) {
      factor *= isa<arith::DivFOp>(s->op) ? 1.0 / *rhs : *rhs;
      e = s->operands[0];
    } else if (lhs && isa<arith::MulFOp>(s->op)) {
      factor *= *lhs;
      e = s->operands[1];
    } else {
      return e;
    }
  }
}

const ElementExpr *Matcher::matchSoftmax(const ElementExpr *p,
                                         unsigned t) const {
  // torch's _safe_softmax: select(all_t(X == -inf), 0, softmax(X)). attn
  // gives such rows 0 by itself; the condition must be exactly that.
  const ElementExpr *allMasked = nullptr;
  if (isOp(p, "arith.select") && operand(p, 1)->getFloat() == 0.0) {
    allMasked = operand(p, 0);
    p = operand(p, 2);
  }
  if (!isOp(p, "arith.divf"))
    return nullptr;
  const ElementExpr *e = operand(p, 0), *sum = operand(p, 1);
  if (!isOp(e, "math.exp") || !isOp(operand(e, 0), "arith.subf"))
    return nullptr;
  const ElementExpr *x = operand(operand(e, 0), 0);
  const ElementExpr *max = operand(operand(e, 0), 1);
  if (!b.usesDim(x, t) || b.usesDim(max, t) || b.usesDim(sum, t))
    return nullptr;
  if (!isReduce(max, {"arith.maximumf", "arith.maxnumf"}, -INFINITY) ||
      !b.equal(max->strip()->operands[0], x, {{max->strip()->dim, t}}))
    return nullptr;
  if (!isReduce(sum, {"arith.addf"}, 0.0) ||
      !b.equal(sum->strip()->operands[0], e, {{sum->strip()->dim, t}}))
    return nullptr;
  if (allMasked) {
    // all_t(X == -inf): a reduction of andi from true over X == -inf, X
    // possibly widened first.
    const ElementExpr *all = allMasked->strip();
    if (all->kind != Kind::Reduce || !isa<arith::AndIOp>(all->op) ||
        all->init->strip()->kind != Kind::Constant ||
        b.evaluate(all->init, {}) != 1.0)
      return nullptr;
    const ElementExpr *cmp = all->operands[0]->strip();
    auto pred = cmp->kind == Kind::Op ? dyn_cast<arith::CmpFOp>(cmp->op)
                                      : arith::CmpFOp();
    if (!pred || pred.getPredicate() != arith::CmpFPredicate::OEQ)
      return nullptr;
    std::optional<double> limit = cmp->operands[1]->getFloat();
    const ElementExpr *xs = cmp->operands[0];
    if (isOp(xs, "arith.extf"))
      xs = operand(xs, 0);
    if (!limit || !std::isinf(*limit) || *limit > 0 ||
        !b.equal(xs, x, {{all->dim, t}}))
      return nullptr;
  }
  return x;
}

bool Matcher::isMappable(const Operand &o) const {
  auto type = cast<RankedTensorType>(o.value.getType());
  if (!type.hasStaticShape())
    return false;
  llvm::SmallDenseSet<unsigned> seen;
  for (auto [e, size] : llvm::zip(o.indices, type.getShape())) {
    if (auto c = dyn_cast<AffineConstantExpr>(e)) {
      if (c.getValue() != 0 || size != 1)
        return false;
      continue;
    }
    AffineExpr base = e;
    int64_t group = 1;
    if (auto bin = dyn_cast<AffineBinaryOpExpr>(e);
        bin && bin.getKind() == AffineExprKind::FloorDiv) {
      auto g = dyn_cast<AffineConstantExpr>(bin.getRHS());
      if (!g || g.getValue() <= 0)
        return false;
      base = bin.getLHS();
      group = g.getValue();
    }
    auto dim = dyn_cast<AffineDimExpr>(base);
    if (!dim)
      return false;
    // A dimension of one iteration reads index 0: dropped like a constant.
    if (b.getExtents()[dim.getPosition()] == 1 && group == 1 && size == 1)
      continue;
    if (!seen.insert(dim.getPosition()).second)
      return false;
    // A grouped dim: each of its tensor's `size` entries is read by `group`
    // consecutive indices.
    if (b.getExtents()[dim.getPosition()] != size * group)
      return false;
  }
  return true;
}

std::optional<Operand> Matcher::findOperand(const ElementExpr *e) const {
  std::optional<Operand> best;
  while (e && e->kind == Kind::Read) {
    Operand o{e->value, e->indices};
    if (isMappable(o))
      best = o;
    e = e->getDefinition();
  }
  return best;
}

/// Whether `v` masks a key out of an additive mask: -inf, or the lowest
/// float (what HF's eager masks hold).
static bool isMaskedOut(double v) { return v <= -3.0e38; }

bool Matcher::matchPositionMask(const ElementExpr *mask, bool boolean,
                                AttentionMatch &m) {
  unsigned t = m.keyDim;
  if (!b.isIndexFunction(mask))
    return false;
  std::optional<unsigned> s;
  for (unsigned d = 0; d < b.getNumDims(); ++d) {
    if (d == t || !b.usesDim(mask, d))
      continue;
    if (s)
      return false;
    s = d;
  }
  int64_t numQueries = s ? b.getExtents()[*s] : 1;
  int64_t numKeys = b.getExtents()[t];
  constexpr int64_t kMaxPositions = int64_t(1) << 24;
  if (numQueries * numKeys > kMaxPositions)
    return false;
  SmallVector<int64_t> point(b.getNumDims(), 0);
  std::vector<std::vector<bool>> visible(numQueries,
                                         std::vector<bool>(numKeys));
  bool finiteLowest = false;
  for (int64_t i = 0; i < numQueries; ++i) {
    for (int64_t j = 0; j < numKeys; ++j) {
      if (s)
        point[*s] = i;
      point[t] = j;
      std::optional<double> v = b.evaluate(mask, point);
      if (!v)
        return false;
      if (boolean) {
        visible[i][j] = *v != 0.0;
      } else if (*v == 0.0) {
        visible[i][j] = true;
      } else if (isMaskedOut(*v)) {
        finiteLowest |= !std::isinf(*v);
      } else {
        return false;
      }
    }
  }
  // attn's causal mask is aligned bottom-right: query i of S sees key j of
  // T where j <= i + T - S; a window of W keeps the last W of those. The
  // alignment is checked, never assumed: torch's is_causal is top-left.
  int64_t shift = numKeys - numQueries;
  int64_t window = 0;
  for (int64_t j = 0; j < numKeys; ++j)
    window += visible[numQueries - 1][j];
  bool causal = true, windowed = window > 0;
  for (int64_t i = 0; i < numQueries; ++i) {
    bool any = false;
    for (int64_t j = 0; j < numKeys; ++j) {
      bool last = j <= i + shift;
      causal &= visible[i][j] == last;
      windowed &= visible[i][j] == (last && j > i + shift - window);
      any |= visible[i][j];
    }
    // A row with no visible key: attn gives 0; softmax over the lowest
    // float instead of -inf gives a mean of the values.
    if (!any && finiteLowest)
      return false;
  }
  // A mask that hides nothing (a decode step's causal mask) is no mask.
  if (llvm::all_of(visible, [](const std::vector<bool> &row) {
        return llvm::all_of(row, [](bool v) { return v; });
      }))
    return true;
  if (causal && m.maskKind == MaskKind::None) {
    m.maskKind = MaskKind::Causal;
    return true;
  }
  if (windowed && m.maskKind == MaskKind::None) {
    m.maskKind = MaskKind::SlidingWindow;
    m.window = window;
    return true;
  }
  return false;
}

bool Matcher::matchMask(const ElementExpr *mask, bool boolean,
                        AttentionMatch &m) {
  // A function of positions only (torch's causal mask from iota).
  if (matchPositionMask(mask, boolean, m))
    return true;
  // Otherwise a mask tensor read at positions the attention can map.
  if (m.mask)
    return false;
  m.mask = findOperand(mask);
  return m.mask.has_value();
}

bool Matcher::matchScores(const ElementExpr *x, AttentionMatch &m) {
  unsigned t = m.keyDim;
  // select(keep, X, -inf): a boolean mask (masked_fill).
  while (isOp(x, "arith.select")) {
    std::optional<double> other = operand(x, 2)->getFloat();
    if (!other || !std::isinf(*other) || *other > 0)
      return false;
    if (!matchMask(operand(x, 0), /*boolean=*/true, m))
      return false;
    x = operand(x, 1);
  }
  // A scale of the whole sum (MLA's two terms scaled after their sum).
  double outerFactor = 1.0;
  const ElementExpr *sum = peelConstantFactors(x, outerFactor);
  // The addends: score contractions and additive masks.
  SmallVector<const ElementExpr *> addends;
  SmallVector<const ElementExpr *> worklist = {sum};
  while (!worklist.empty()) {
    const ElementExpr *e = worklist.pop_back_val();
    if (isOp(e, "arith.addf")) {
      worklist.push_back(operand(e, 1));
      worklist.push_back(operand(e, 0));
      continue;
    }
    addends.push_back(e);
  }
  std::optional<double> termScale;
  for (const ElementExpr *addend : addends) {
    double factor = outerFactor;
    const ElementExpr *core = peelConstantFactors(addend, factor);
    const ElementExpr *c = core->strip();
    bool contraction = isReduce(core, {"arith.addf"}, 0.0) &&
                       isOp(c->operands[0], "arith.mulf");
    if (!contraction) {
      // A mask is added after the scale, not scaled with the scores.
      if (factor != 1.0 || outerFactor != 1.0 ||
          !matchMask(addend, /*boolean=*/false, m))
        return false;
      continue;
    }
    const ElementExpr *mul = c->operands[0]->strip();
    const ElementExpr *lhs = peelConstantFactors(mul->operands[0], factor);
    const ElementExpr *rhs = peelConstantFactors(mul->operands[1], factor);
    // The key reads the key dimension, the query does not.
    if (b.usesDim(lhs, t) == b.usesDim(rhs, t))
      return false;
    if (b.usesDim(lhs, t))
      std::swap(lhs, rhs);
    if (termScale && std::fabs(*termScale - factor) > 1e-6 * std::fabs(factor))
      return false;
    termScale = factor;
    std::optional<Operand> q = findOperand(lhs), k = findOperand(rhs);
    if (!q || !k)
      return false;
    m.terms.push_back({*q, *k, lhs, rhs, c->dim});
  }
  if (!termScale || !(*termScale > 0.0) || !std::isfinite(*termScale))
    return false;
  m.scale = *termScale;
  return true;
}

std::optional<AttentionMatch> Matcher::match(OpResult root) {
  auto type = dyn_cast<RankedTensorType>(root.getType());
  if (!type || !type.hasStaticShape() ||
      !isa<FloatType>(type.getElementType()))
    return std::nullopt;
  SmallVector<AffineExpr> outIndices;
  for (int64_t size : type.getShape())
    outIndices.push_back(getAffineDimExpr(b.addDim(size), b.getContext()));
  const ElementExpr *o = b.read(root, outIndices)->strip();
  // O = sum_t P * V from 0, P and V possibly widened.
  if (o->kind != Kind::Reduce || !isReduce(o, {"arith.addf"}, 0.0) ||
      !isOp(o->operands[0], "arith.mulf"))
    return std::nullopt;
  AttentionMatch m;
  m.root = root;
  m.keyDim = o->dim;
  const ElementExpr *mul = o->operands[0]->strip();
  for (unsigned pIndex : {0u, 1u}) {
    const ElementExpr *p = mul->operands[pIndex];
    const ElementExpr *x = matchSoftmax(p, m.keyDim);
    if (!x)
      continue;
    AttentionMatch candidate = m;
    if (!matchScores(x, candidate))
      continue;
    candidate.valueExpr = mul->operands[1 - pIndex];
    std::optional<Operand> v = findOperand(candidate.valueExpr);
    if (!v)
      continue;
    candidate.value = *v;
    return candidate;
  }
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Rewriting.
//===----------------------------------------------------------------------===//

namespace {
/// Builds the attention's operands: views that drop unit dims read at 0,
/// and maps over a compact iteration space.
class Emitter {
public:
  Emitter(OpBuilder &builder, Location loc, ElementExprBuilder &b)
      : builder(builder), loc(loc), b(b) {}

  /// The dims operands use, numbered in order of first use.
  void use(const Operand &o) {
    for (AffineExpr e : o.indices)
      if (!isDropped(e))
        e.walk([&](AffineExpr sub) {
          if (auto d = dyn_cast<AffineDimExpr>(sub))
            if (!dims.count(d.getPosition()))
              dims[d.getPosition()] = dims.size();
        });
  }
  /// Indices of unit dims that operands do not carry: constants, and
  /// dimensions of one iteration.
  bool isDropped(AffineExpr e) const {
    if (isa<AffineConstantExpr>(e))
      return true;
    auto d = dyn_cast<AffineDimExpr>(e);
    return d && b.getExtents()[d.getPosition()] == 1;
  }
  /// The operand's tensor without its unit dims read at 0, and its map.
  std::pair<Value, AffineMap> materialize(const Operand &o) {
    SmallVector<AffineExpr> results;
    SmallVector<ReassociationIndices> groups;
    ReassociationIndices pending;
    for (auto [i, e] : llvm::enumerate(o.indices)) {
      pending.push_back(i);
      if (isDropped(e))
        continue;
      AffineExpr base = e;
      if (auto bin = dyn_cast<AffineBinaryOpExpr>(e))
        base = bin.getLHS();
      results.push_back(getAffineDimExpr(
          dims.lookup(cast<AffineDimExpr>(base).getPosition()),
          builder.getContext()));
      groups.push_back(pending);
      pending.clear();
    }
    Value value = o.value;
    if (results.size() != o.indices.size()) {
      if (groups.empty())
        return {Value(), AffineMap()};
      groups.back().append(pending.begin(), pending.end());
      value = tensor::CollapseShapeOp::create(builder, loc, value, groups);
    }
    return {value, AffineMap::get(dims.size(), 0, results, builder.getContext())};
  }

  OpBuilder &builder;
  Location loc;
  ElementExprBuilder &b;
  llvm::MapVector<unsigned, unsigned> dims;
};
} // namespace

/// The value `v` as a tensor whose dims are `order` (positions in the
/// compact space), transposed if its map is another order of them.
static Value inOrder(OpBuilder &b, Location loc, Value v, AffineMap map,
                     ArrayRef<unsigned> order) {
  if (!v || map.getNumResults() != order.size())
    return Value();
  SmallVector<int64_t> perm;
  for (unsigned d : order) {
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

/// MLA written out: a score term whose key is an up-projection of a latent
/// [B, T, C] by per-head weights, a second term whose key (the RoPE key) has
/// no head dim, and V an up-projection of the same latent. Rewritten to
/// attn.latent_attention, which lowers it absorbed or expanded by cost.
static Value buildLatentAttention(OpBuilder &builder, Location loc,
                                  ElementExprBuilder &b, AttentionMatch &m) {
  if (m.terms.size() != 2 || m.mask || m.maskKind == MaskKind::SlidingWindow)
    return Value();
  // k[.., t, n] = sum_c latent[b, t, c] * w[h, c, n] (any layout of w).
  struct UpProjection {
    Operand latent, weight;
    unsigned dim;
  };
  auto upProjection = [&](const ElementExpr *e) -> std::optional<UpProjection> {
    const ElementExpr *r = e->strip();
    if (r->kind != Kind::Reduce || !isa<arith::AddFOp>(r->op) ||
        r->init->getFloat() != 0.0)
      return std::nullopt;
    const ElementExpr *mul = r->operands[0]->strip();
    if (mul->kind != Kind::Op || !isa<arith::MulFOp>(mul->op))
      return std::nullopt;
    for (unsigned i : {0u, 1u}) {
      const ElementExpr *lat = mul->operands[i]->strip();
      const ElementExpr *w = mul->operands[1 - i]->strip();
      if (lat->kind != Kind::Read || w->kind != Kind::Read ||
          lat->indices.size() != 3 || w->indices.size() != 3 ||
          lat->indices[2] != getAffineDimExpr(r->dim, b.getContext()))
        continue;
      return UpProjection{{lat->value, lat->indices},
                          {w->value, w->indices}, r->dim};
    }
    return std::nullopt;
  };
  for (unsigned nopeIndex : {0u, 1u}) {
    ScoreTerm &nope = m.terms[nopeIndex], &rope = m.terms[1 - nopeIndex];
    std::optional<UpProjection> kUp = upProjection(nope.keyExpr);
    std::optional<UpProjection> vUp = upProjection(m.valueExpr);
    if (!kUp || !vUp || kUp->latent.value != vUp->latent.value)
      continue;
    // Roles from the output [.. s, h, e ..] and the reads: the latent is
    // (batch, t, c); the rope key (batch, t, r); the head dim is in the
    // weight and the query but not in the latent.
    AffineExpr batch = kUp->latent.indices[0];
    AffineExpr key = kUp->latent.indices[1];
    if (key != getAffineDimExpr(m.keyDim, b.getContext()) ||
        vUp->latent.indices[0] != batch || vUp->latent.indices[1] != key ||
        rope.key.indices.size() != 3 || rope.key.indices[0] != batch ||
        rope.key.indices[1] != key)
      continue;
    // Output dims: the root's own dims 0..rank-1, in order.
    auto rootType = cast<RankedTensorType>(m.root.getType());
    if (rootType.getRank() != 4 || !rootType.getElementType().isF32())
      continue;
    unsigned numDims = b.getNumDims();
    auto dim = [&](unsigned d) { return getAffineDimExpr(d, b.getContext()); };
    // The query dims: those of nope.query but the contraction dim.
    std::optional<unsigned> head, query;
    for (AffineExpr e : nope.query.indices) {
      auto d = dyn_cast<AffineDimExpr>(e);
      if (!d)
        continue;
      unsigned p = d.getPosition();
      if (p == nope.dim || dim(p) == batch)
        continue;
      bool inWeight = llvm::is_contained(kUp->weight.indices, dim(p));
      (inWeight ? head : query) = p;
    }
    if (!head || !query || !isa<AffineDimExpr>(batch))
      continue;
    unsigned bDim = cast<AffineDimExpr>(batch).getPosition();
    std::optional<unsigned> valueDim;
    for (unsigned d = 0; d < rootType.getRank(); ++d)
      if (d != bDim && d != *head && d != *query)
        valueDim = d;
    if (!valueDim)
      continue;
    // Every operand over the whole space, then in latent_attention's order.
    auto mapOf = [&](const Operand &o) -> AffineMap {
      if (llvm::any_of(o.indices, [](AffineExpr e) { return !isa<AffineDimExpr>(e); }))
        return AffineMap();
      return AffineMap::get(numDims, 0, o.indices, b.getContext());
    };
    SmallVector<std::pair<Operand, SmallVector<unsigned>>> wanted = {
        {nope.query, {bDim, *query, *head, nope.dim}},
        {rope.query, {bDim, *query, *head, rope.dim}},
        {kUp->latent, {bDim, m.keyDim, kUp->dim}},
        {rope.key, {bDim, m.keyDim, rope.dim}},
        {kUp->weight, {*head, kUp->dim, nope.dim}},
        {vUp->weight, {*head, vUp->dim, *valueDim}}};
    SmallVector<Value> values;
    for (auto &[o, order] : wanted) {
      AffineMap map = mapOf(o);
      Value v = map ? inOrder(builder, loc, o.value, map, order) : Value();
      if (!v || !cast<ShapedType>(v.getType()).getElementType().isF32())
        return Value();
      values.push_back(v);
    }
    // The latent's c in the value's up-projection is another dim than in
    // the key's: it is the same latent read the same way.
    auto qType = cast<RankedTensorType>(values[0].getType());
    auto wvType = cast<RankedTensorType>(values[5].getType());
    SmallVector<int64_t> outShape = {qType.getDimSize(0), qType.getDimSize(1),
                                     qType.getDimSize(2), wvType.getDimSize(2)};
    Value init =
        tensor::EmptyOp::create(builder, loc, outShape, builder.getF32Type());
    Value o = LatentAttentionOp::create(
                  builder, loc, init.getType(), values[0], values[1], values[2],
                  values[3], values[4], values[5], /*kv_lengths=*/Value(), init,
                  builder.getF32FloatAttr(static_cast<float>(m.scale)),
                  /*branches=*/ArrayAttr(), builder.getF64FloatAttr(1.0),
                  MaskKindAttr::get(builder.getContext(), m.maskKind),
                  /*window=*/IntegerAttr())
                  .getResult();
    // Back to the root's layout: its dims are 0..3.
    AffineMap latentOut = AffineMap::get(
        numDims, 0, {dim(bDim), dim(*query), dim(*head), dim(*valueDim)},
        b.getContext());
    Value result = inOrder(builder, loc, o, latentOut, {0, 1, 2, 3});
    if (!result || result.getType() != m.root.getType())
      return Value();
    return result;
  }
  return Value();
}

static LogicalResult rewrite(ElementExprBuilder &b, AttentionMatch &m) {
  Operation *rootOp = m.root.getOwner();
  OpBuilder builder(rootOp);
  Location loc = rootOp->getLoc();
  auto outType = cast<RankedTensorType>(m.root.getType());

  if (Value latent = buildLatentAttention(builder, loc, b, m)) {
    m.root.replaceAllUsesWith(latent);
    return success();
  }

  Emitter emitter(builder, loc, b);
  // Output dims first, in order: the root's dims are 0..rank-1. Its unit
  // dims are not the attention's: expanded back afterwards.
  Operand output{m.root, {}};
  SmallVector<int64_t> attentionShape;
  for (unsigned d = 0; d < outType.getRank(); ++d) {
    output.indices.push_back(getAffineDimExpr(d, b.getContext()));
    if (outType.getDimSize(d) != 1)
      attentionShape.push_back(outType.getDimSize(d));
  }
  emitter.use(output);
  for (ScoreTerm &t : m.terms) {
    emitter.use(t.query);
    emitter.use(t.key);
  }
  emitter.use(m.value);
  if (m.mask)
    emitter.use(*m.mask);

  SmallVector<Value> queries, keys;
  SmallVector<AffineMap> maps;
  SmallVector<Operation *> created;
  auto add = [&](const Operand &o, SmallVector<Value> *into) -> Value {
    auto [value, map] = emitter.materialize(o);
    if (!value)
      return Value();
    if (value.getDefiningOp() && value != o.value)
      created.push_back(value.getDefiningOp());
    maps.push_back(map);
    if (into)
      into->push_back(value);
    return value;
  };
  bool ok = true;
  for (ScoreTerm &t : m.terms)
    ok &= bool(add(t.query, &queries));
  for (ScoreTerm &t : m.terms)
    ok &= bool(add(t.key, &keys));
  Value value = add(m.value, nullptr);
  Value mask = m.mask ? add(*m.mask, nullptr) : Value();
  ok &= value && (!m.mask || mask);
  maps.push_back(AffineMap::getMultiDimIdentityMap(emitter.dims.size(),
                                                   builder.getContext())
                     .getMajorSubMap(attentionShape.size()));
  auto cleanup = [&]() {
    for (Operation *op : llvm::reverse(created))
      op->erase();
  };
  if (!ok) {
    cleanup();
    return failure();
  }
  auto attentionType =
      RankedTensorType::get(attentionShape, outType.getElementType());
  Value init = tensor::EmptyOp::create(builder, loc, attentionShape,
                                       outType.getElementType());
  Type scaleType = builder.getF32Type();
  auto attention = AttentionOp::create(
      builder, loc, attentionType, queries, keys, value, mask,
      /*kv_lengths=*/Value(), init,
      builder.getFloatAttr(scaleType, m.scale), builder.getAffineMapArrayAttr(maps),
      MaskKindAttr::get(builder.getContext(), m.maskKind),
      m.maskKind == MaskKind::SlidingWindow ? builder.getI64IntegerAttr(m.window)
                                            : IntegerAttr());
  // The op verifies the roles the maps imply; a chain that looked like
  // attention but is not one (a contraction over the wrong dims) is undone,
  // silently: it is left as it was written.
  LogicalResult verified = success();
  {
    ScopedDiagnosticHandler quiet(builder.getContext(),
                                  [](Diagnostic &) { return success(); });
    verified = mlir::verify(attention, /*verifyRecursively=*/false);
  }
  if (failed(verified)) {
    attention->erase();
    init.getDefiningOp()->erase();
    cleanup();
    return failure();
  }
  Value result = attention.getResult();
  if (attentionType != outType) {
    // Each unit dim joins the group of the next dim (of the last, at the
    // end).
    SmallVector<ReassociationIndices> groups;
    ReassociationIndices pending;
    for (int64_t d = 0; d < outType.getRank(); ++d) {
      pending.push_back(d);
      if (outType.getDimSize(d) != 1) {
        groups.push_back(pending);
        pending.clear();
      }
    }
    if (groups.empty())
      groups.push_back({});
    groups.back().append(pending.begin(), pending.end());
    if (attentionShape.empty())
      groups.clear();
    result = tensor::ExpandShapeOp::create(builder, loc, outType, result, groups);
  }
  m.root.replaceAllUsesWith(result);
  return success();
}

namespace mlir::attn {
namespace {
struct AttnRaiseAttention
    : public impl::AttnRaiseAttentionBase<AttnRaiseAttention> {
  void runOnOperation() override {
    SmallVector<OpResult> roots;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.getNumReductionLoops() == 1 && op.hasPureTensorSemantics())
        for (OpResult r : op->getResults())
          roots.push_back(r);
    });
    bool changed = false;
    for (OpResult root : roots) {
      // Each candidate gets its own expressions: a match builds a domain of
      // its own.
      ElementExprBuilder b(&getContext());
      Matcher matcher(b);
      std::optional<AttentionMatch> m = matcher.match(root);
      if (m && succeeded(rewrite(b, *m)))
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
