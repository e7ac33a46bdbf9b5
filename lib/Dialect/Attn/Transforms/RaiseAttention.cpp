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
// MLA, whose K and V are up-projections of one latent (with a shared RoPE
// key, or without one when the latent is narrower than the keys), becomes
// attn.latent_attention. Whatever does not match exactly is
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
  /// Read through a view of `value` (a weight [H * (dn + dv), C] read at
  /// (h * (dn + dv) + dn + e, c)): each dim expanded into the parts of
  /// `expandedShape` (`groups`), then sliced at `offsets` with `sizes`;
  /// `indices` index that slice. Empty: `value` itself.
  std::vector<ReassociationIndices> groups;
  std::vector<int64_t> expandedShape, offsets, sizes;
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
  SmallVector<ScoreTerm, 2> terms;
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
  /// The operand an element expression reads, for the rewriters.
  std::optional<Operand> findOperandOf(const ElementExpr *e) const {
    return findOperand(e);
  }

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
  /// `value` read at `indices` whose entries are mixed-radix combinations of
  /// dims (h * 32 + 16 + e) as a view (expand_shape, extract_slice) read at
  /// one dim per entry; nullopt where the combination is not one.
  std::optional<Operand> delinearize(Value value,
                                     ArrayRef<AffineExpr> indices) const;
  /// A score term whose query and key read a concatenation along the
  /// contraction (HF MLA: Q = concat(q_nope, q_rope), K = k_nope and the
  /// broadcast RoPE key inserted into one tensor), as one term per piece.
  bool splitTerm(const ElementExpr *query, const ElementExpr *key,
                 unsigned dim, AttentionMatch &m) const;

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
  ArrayRef<int64_t> shape =
      o.groups.empty() ? type.getShape() : ArrayRef<int64_t>(o.sizes);
  llvm::SmallDenseSet<unsigned> seen;
  for (auto [e, size] : llvm::zip(o.indices, shape)) {
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

std::optional<Operand> Matcher::delinearize(Value value,
                                            ArrayRef<AffineExpr> indices) const {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || !type.hasStaticShape())
    return std::nullopt;
  Operand o;
  o.value = value;
  bool needed = false;
  for (auto [j, e] : llvm::enumerate(indices)) {
    int64_t size = type.getDimSize(j);
    ReassociationIndices group;
    // e = sum_i c_i * d_i + k, the c_i a mixed radix: each divides the one
    // before, the last is 1, and each d_i with its share of k fits its part.
    SmallVector<std::pair<int64_t, unsigned>> terms;
    int64_t constant = 0;
    std::function<bool(AffineExpr, int64_t)> collect = [&](AffineExpr x,
                                                           int64_t scale) {
      if (auto c = dyn_cast<AffineConstantExpr>(x)) {
        constant += scale * c.getValue();
        return true;
      }
      if (auto d = dyn_cast<AffineDimExpr>(x)) {
        terms.push_back({scale, d.getPosition()});
        return true;
      }
      auto bin = dyn_cast<AffineBinaryOpExpr>(x);
      if (!bin)
        return false;
      if (bin.getKind() == AffineExprKind::Add)
        return collect(bin.getLHS(), scale) && collect(bin.getRHS(), scale);
      if (bin.getKind() == AffineExprKind::Mul)
        if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()))
          return collect(bin.getLHS(), scale * c.getValue());
      return false;
    };
    if (!collect(e, 1))
      return std::nullopt;
    llvm::sort(terms, [](auto a, auto b) { return a.first > b.first; });
    if (terms.size() == 1 && terms[0].first == 1 && constant == 0 &&
        b.getExtents()[terms[0].second] == size) {
      group.push_back(o.expandedShape.size());
      o.expandedShape.push_back(size);
      o.offsets.push_back(0);
      o.sizes.push_back(size);
      o.indices.push_back(e);
      o.groups.push_back(group);
      continue;
    }
    needed = true;
    if (terms.empty()) {
      // A constant index: a slice of one.
      if (constant < 0 || constant >= size)
        return std::nullopt;
      group.push_back(o.expandedShape.size());
      o.expandedShape.push_back(size);
      o.offsets.push_back(constant);
      o.sizes.push_back(1);
      o.indices.push_back(getAffineConstantExpr(0, value.getContext()));
      o.groups.push_back(group);
      continue;
    }
    if (terms.back().first != 1 || size % terms.front().first != 0 ||
        constant < 0)
      return std::nullopt;
    int64_t outer = size / terms.front().first;
    for (auto [i, term] : llvm::enumerate(terms)) {
      int64_t part = i == 0 ? outer : terms[i - 1].first / term.first;
      if ((i > 0 && terms[i - 1].first % term.first != 0) || part <= 0)
        return std::nullopt;
      int64_t digit = (constant / term.first) % part;
      int64_t extent = b.getExtents()[term.second];
      if (digit + extent > part)
        return std::nullopt;
      group.push_back(o.expandedShape.size());
      o.expandedShape.push_back(part);
      o.offsets.push_back(digit);
      o.sizes.push_back(extent);
      o.indices.push_back(getAffineDimExpr(term.second, value.getContext()));
    }
    int64_t rebuilt = 0;
    for (auto [off, term] :
         llvm::zip(ArrayRef<int64_t>(o.offsets).take_back(terms.size()), terms))
      rebuilt += off * term.first;
    if (rebuilt != constant)
      return std::nullopt;
    o.groups.push_back(group);
  }
  if (!needed)
    return std::nullopt;
  return o;
}

std::optional<Operand> Matcher::findOperand(const ElementExpr *e) const {
  std::optional<Operand> best;
  while (e && e->kind == Kind::Read) {
    Operand o;
    o.value = e->value;
    o.indices = e->indices;
    if (isMappable(o))
      best = o;
    else if (std::optional<Operand> view = delinearize(e->value, e->indices);
             view && isMappable(*view))
      best = view;
    e = e->getDefinition();
  }
  return best;
}

/// The pieces of `value` along its dim `axis` where it is a concatenation
/// (tensor.concat, or tensor.insert_slice of whole slices into an empty
/// tensor that they fill): per piece, its offset and the tensor it comes
/// from, of the same rank.
static std::optional<SmallVector<std::pair<int64_t, Value>>>
getPieces(Value value, unsigned axis) {
  SmallVector<std::pair<int64_t, Value>> pieces;
  auto type = cast<RankedTensorType>(value.getType());
  if (auto concat = value.getDefiningOp<tensor::ConcatOp>()) {
    if (concat.getDim() != axis)
      return std::nullopt;
    int64_t offset = 0;
    for (Value input : concat.getInputs()) {
      pieces.push_back({offset, input});
      offset += cast<RankedTensorType>(input.getType()).getDimSize(axis);
    }
    return pieces;
  }
  // insert_slice chains into an empty tensor, each slice whole but along
  // `axis`, together covering it.
  Value dest = value;
  while (auto insert = dest.getDefiningOp<tensor::InsertSliceOp>()) {
    auto source = cast<RankedTensorType>(insert.getSource().getType());
    if (source.getRank() != type.getRank() ||
        ShapedType::isDynamicShape(insert.getStaticOffsets()) ||
        !llvm::all_of(insert.getStaticStrides(), [](int64_t s) { return s == 1; }))
      return std::nullopt;
    for (unsigned d = 0; d < type.getRank(); ++d)
      if (d != axis && (insert.getStaticOffsets()[d] != 0 ||
                        source.getDimSize(d) != type.getDimSize(d)))
        return std::nullopt;
    pieces.push_back({insert.getStaticOffsets()[axis], insert.getSource()});
    dest = insert.getDest();
  }
  if (!dest.getDefiningOp<tensor::EmptyOp>() || pieces.empty())
    return std::nullopt;
  llvm::sort(pieces, [](auto a, auto b) { return a.first < b.first; });
  int64_t next = 0;
  for (auto [offset, piece] : pieces) {
    if (offset != next)
      return std::nullopt;
    next += cast<RankedTensorType>(piece.getType()).getDimSize(axis);
  }
  if (next != type.getDimSize(axis))
    return std::nullopt;
  return pieces;
}

bool Matcher::splitTerm(const ElementExpr *query, const ElementExpr *key,
                        unsigned dim, AttentionMatch &m) const {
  AffineExpr d = getAffineDimExpr(dim, b.getContext());
  // The read of a concatenation along the contraction dim, through views.
  auto findConcat = [&](const ElementExpr *e)
      -> std::optional<std::pair<const ElementExpr *,
                                 SmallVector<std::pair<int64_t, Value>>>> {
    for (; e && e->kind == Kind::Read; e = e->getDefinition()) {
      auto it = llvm::find(e->indices, d);
      if (it == e->indices.end())
        continue;
      if (auto pieces = getPieces(e->value, it - e->indices.begin()))
        return std::make_pair(e, *pieces);
    }
    return std::nullopt;
  };
  auto q = findConcat(query), k = findConcat(key);
  // One side concatenated: the other is read in the same pieces, by slices
  // (HF's MLA attention from the cache: Q passed in whole, K built).
  auto slicesOf = [&](const ElementExpr *e,
                      const SmallVector<std::pair<int64_t, Value>> &like)
      -> std::optional<std::pair<const ElementExpr *,
                                 SmallVector<std::pair<int64_t, Value>>>> {
    if (e->kind != Kind::Read || !llvm::is_contained(e->indices, d))
      return std::nullopt;
    SmallVector<std::pair<int64_t, Value>> pieces;
    for (auto [offset, piece] : like)
      pieces.push_back({offset, Value()});
    return std::make_pair(e, pieces);
  };
  if (q && !k)
    k = slicesOf(key, q->second);
  if (k && !q)
    q = slicesOf(query, k->second);
  if (!q || !k || q->second.size() != k->second.size())
    return false;
  unsigned qAxis = llvm::find(q->first->indices, d) - q->first->indices.begin();
  unsigned kAxis = llvm::find(k->first->indices, d) - k->first->indices.begin();
  // A piece's size along the contraction: from whichever side is a
  // concatenation.
  auto sizeOf = [&](Value piece, unsigned axis) -> int64_t {
    return piece ? cast<RankedTensorType>(piece.getType()).getDimSize(axis) : -1;
  };
  SmallVector<ScoreTerm, 2> terms;
  for (auto [qp, kp] : llvm::zip(q->second, k->second)) {
    int64_t qSize = sizeOf(qp.second, qAxis), kSize = sizeOf(kp.second, kAxis);
    int64_t size = qSize >= 0 ? qSize : kSize;
    if (qp.first != kp.first || (qSize >= 0 && kSize >= 0 && qSize != kSize))
      return false;
    unsigned pieceDim = b.addDim(size);
    AffineExpr pd = getAffineDimExpr(pieceDim, b.getContext());
    SmallVector<AffineExpr> qi(q->first->indices), ki(k->first->indices);
    // A piece of a concatenation is read from its own tensor; a slice of
    // the other side at the piece's offset.
    qi[qAxis] = qp.second ? pd : pd + qp.first;
    ki[kAxis] = kp.second ? pd : pd + kp.first;
    const ElementExpr *qe = b.read(qp.second ? qp.second : q->first->value, qi);
    const ElementExpr *ke = b.read(kp.second ? kp.second : k->first->value, ki);
    std::optional<Operand> qo = findOperand(qe), ko = findOperand(ke);
    if (!qo || !ko)
      return false;
    terms.push_back({*qo, *ko, qe, ke, pieceDim});
  }
  m.terms.append(terms.begin(), terms.end());
  return true;
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
    if (splitTerm(lhs, rhs, c->dim, m))
      continue;
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
/// The reassociation that drops (or inserts) unit dims: each dim whose
/// `isReal` is false joins the group of the next real dim, trailing ones
/// the last group. Empty when no dim is real (a rank-0 view).
static SmallVector<ReassociationIndices> groupUnitDims(ArrayRef<bool> isReal) {
  SmallVector<ReassociationIndices> groups;
  ReassociationIndices pending;
  for (auto [i, real] : llvm::enumerate(isReal)) {
    pending.push_back(i);
    if (real) {
      groups.push_back(pending);
      pending.clear();
    }
  }
  if (!groups.empty())
    groups.back().append(pending.begin(), pending.end());
  return groups;
}

/// The tensor an operand's indices index: its value, or the view of it.
static Value applyView(OpBuilder &builder, Location loc, const Operand &o) {
  if (o.groups.empty())
    return o.value;
  auto type = cast<RankedTensorType>(o.value.getType());
  Value value = o.value;
  if (o.expandedShape.size() != static_cast<size_t>(type.getRank()))
    value = tensor::ExpandShapeOp::create(
        builder, loc,
        RankedTensorType::get(o.expandedShape, type.getElementType()), value,
        SmallVector<ReassociationIndices>(o.groups.begin(), o.groups.end()));
  if (o.sizes != o.expandedShape) {
    MLIRContext *ctx = builder.getContext();
    SmallVector<int64_t> strides(o.sizes.size(), 1);
    value = tensor::ExtractSliceOp::create(
        builder, loc, value, getAsIndexOpFoldResult(ctx, o.offsets),
        getAsIndexOpFoldResult(ctx, o.sizes),
        getAsIndexOpFoldResult(ctx, strides));
  }
  return value;
}

/// Whether an operand index reads a unit dim: a constant, or a dimension
/// of one iteration.
static bool isUnitIndex(const ElementExprBuilder &b, AffineExpr e) {
  if (isa<AffineConstantExpr>(e))
    return true;
  auto d = dyn_cast<AffineDimExpr>(e);
  return d && b.getExtents()[d.getPosition()] == 1;
}

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
  /// Indices of unit dims, which operands do not carry.
  bool isDropped(AffineExpr e) const { return isUnitIndex(b, e); }
  /// The operand's tensor without its unit dims read at 0, and its map.
  std::pair<Value, AffineMap> materialize(const Operand &o) {
    Value value = applyView(builder, loc, o);
    SmallVector<AffineExpr> results;
    SmallVector<bool> isReal;
    for (AffineExpr e : o.indices) {
      isReal.push_back(!isDropped(e));
      if (isDropped(e))
        continue;
      AffineExpr base = e;
      if (auto bin = dyn_cast<AffineBinaryOpExpr>(e))
        base = bin.getLHS();
      results.push_back(getAffineDimExpr(
          dims.lookup(cast<AffineDimExpr>(base).getPosition()),
          builder.getContext()));
    }
    if (results.size() != o.indices.size()) {
      if (results.empty())
        return {Value(), AffineMap()};
      value = tensor::CollapseShapeOp::create(builder, loc, value,
                                              groupUnitDims(isReal));
    }
    return {value, AffineMap::get(dims.size(), 0, results, builder.getContext())};
  }

  OpBuilder &builder;
  Location loc;
  ElementExprBuilder &b;
  llvm::MapVector<unsigned, unsigned> dims;
};
} // namespace

/// The tensor `o` reads, laid out as `order`: one domain dim per entry, or
/// a unit dim where the entry is empty. Its unit dims read at 0 (and dims
/// of one iteration) are dropped, the rest transposed into order, and unit
/// dims inserted: views, and a transpose where the order differs. Null
/// where `o` does not read exactly the dims of `order`.
static Value arrange(OpBuilder &builder, Location loc, ElementExprBuilder &b,
                     const Operand &o, ArrayRef<std::optional<unsigned>> order) {
  Value value = applyView(builder, loc, o);
  auto type = cast<RankedTensorType>(value.getType());
  auto isUnit = [&](AffineExpr e) { return isUnitIndex(b, e); };
  // Of the same rank: one transpose (or none), unit dims moved like any.
  if (o.indices.size() == order.size()) {
    SmallVector<int64_t> perm;
    llvm::SmallDenseSet<unsigned> taken;
    for (std::optional<unsigned> d : order) {
      bool unitSlot = !d || b.getExtents()[*d] == 1;
      for (auto [i, e] : llvm::enumerate(o.indices)) {
        if (taken.contains(i))
          continue;
        bool match = unitSlot ? isUnit(e)
                              : e == getAffineDimExpr(*d, builder.getContext());
        if (match) {
          perm.push_back(i);
          taken.insert(i);
          break;
        }
      }
    }
    if (perm.size() == order.size()) {
      if (llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
        return value;
      SmallVector<int64_t> shape;
      for (int64_t p : perm)
        shape.push_back(type.getDimSize(p));
      Value init =
          tensor::EmptyOp::create(builder, loc, shape, type.getElementType());
      return linalg::TransposeOp::create(builder, loc, value, init, perm)
          ->getResult(0);
    }
  }
  // Drop unit dims.
  SmallVector<unsigned> kept;
  SmallVector<bool> isReal;
  for (AffineExpr e : o.indices) {
    isReal.push_back(!isUnit(e));
    if (isUnit(e))
      continue;
    auto d = dyn_cast<AffineDimExpr>(e);
    if (!d)
      return Value();
    kept.push_back(d.getPosition());
  }
  SmallVector<unsigned> wanted;
  for (std::optional<unsigned> d : order)
    if (d && b.getExtents()[*d] != 1)
      wanted.push_back(*d);
  SmallVector<unsigned> keptSet(kept), wantedSet(wanted);
  llvm::sort(keptSet);
  llvm::sort(wantedSet);
  if (keptSet != wantedSet)
    return Value();
  if (kept.size() != o.indices.size()) {
    if (kept.empty())
      return Value();
    value = tensor::CollapseShapeOp::create(builder, loc, value,
                                            groupUnitDims(isReal));
    type = cast<RankedTensorType>(value.getType());
  }
  // Transpose into the wanted order.
  SmallVector<int64_t> perm;
  for (unsigned d : wanted)
    perm.push_back(llvm::find(kept, d) - kept.begin());
  if (!llvm::equal(perm, llvm::seq<int64_t>(0, perm.size()))) {
    SmallVector<int64_t> shape;
    for (int64_t p : perm)
      shape.push_back(type.getDimSize(p));
    Value init =
        tensor::EmptyOp::create(builder, loc, shape, type.getElementType());
    value = linalg::TransposeOp::create(builder, loc, value, init, perm)
                ->getResult(0);
    type = cast<RankedTensorType>(value.getType());
  }
  // Unit dims where the order wants them.
  if (wanted.size() == order.size())
    return value;
  SmallVector<int64_t> shape;
  SmallVector<bool> wantedReal;
  unsigned next = 0;
  for (std::optional<unsigned> d : order) {
    wantedReal.push_back(d && b.getExtents()[*d] != 1);
    shape.push_back(wantedReal.back() ? type.getDimSize(next++) : 1);
  }
  return tensor::ExpandShapeOp::create(
      builder, loc, RankedTensorType::get(shape, type.getElementType()), value,
      groupUnitDims(wantedReal));
}

/// MLA written out: a score term whose key is an up-projection of a latent
/// [B, T, C] by per-head weights, a second term whose key (the RoPE key) has
/// no head dim, and V an up-projection of the same latent; written directly
/// or as HF's DeepseekV3Attention does (Q a concat of its nope and RoPE
/// parts, K both inserted into one tensor, one kv_b_proj matmul split into
/// K and V). Rewritten to attn.latent_attention, which lowers it absorbed
/// (decode) or expanded by cost.
static Value buildLatentAttention(OpBuilder &builder, Location loc,
                                  Matcher &matcher, ElementExprBuilder &b,
                                  AttentionMatch &m) {
  if (m.terms.size() > 2 || m.mask)
    return Value();
  // x[.., t, n] = sum_c latent[.., t, c] * w[h, c, n] (any layout of w).
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
      const ElementExpr *lat = mul->operands[i], *w = mul->operands[1 - i];
      if (!b.usesDim(lat, m.keyDim) || b.usesDim(w, m.keyDim))
        continue;
      std::optional<Operand> latent = matcher.findOperandOf(lat);
      std::optional<Operand> weight = matcher.findOperandOf(w);
      if (latent && weight)
        return UpProjection{*latent, *weight, r->dim};
    }
    return std::nullopt;
  };
  auto uses = [](const Operand &o, unsigned d) {
    return llvm::any_of(o.indices, [&](AffineExpr e) { return e.isFunctionOfDim(d); });
  };
  auto real = [&](unsigned d) { return b.getExtents()[d] != 1; };
  bool hasRope = m.terms.size() == 2;
  for (unsigned nopeIndex = 0; nopeIndex < m.terms.size(); ++nopeIndex) {
    ScoreTerm &nope = m.terms[nopeIndex];
    ScoreTerm *rope = hasRope ? &m.terms[1 - nopeIndex] : nullptr;
    std::optional<UpProjection> kUp = upProjection(nope.keyExpr);
    std::optional<UpProjection> vUp = upProjection(m.valueExpr);
    if (!kUp || !vUp || kUp->latent.value != vUp->latent.value)
      continue;
    // The head dim: in the key's weight and the nope query, not the latent.
    // The query position: in the queries and the output, not the keys. The
    // value dim: in the value's weight and the output, not the latent. The
    // batch: in the latent and the output. Unit dims play no role.
    auto outType = cast<RankedTensorType>(m.root.getType());
    std::optional<unsigned> head, query, valueDim, batch;
    for (unsigned d = 0; d < outType.getRank(); ++d) {
      if (!real(d))
        continue;
      if (uses(kUp->weight, d) && uses(nope.query, d) && !uses(kUp->latent, d))
        head = d;
      else if (uses(nope.query, d) && !uses(nope.key, d) &&
               !(rope && uses(rope->key, d)))
        query = d;
      else if (uses(vUp->weight, d) && !uses(vUp->latent, d))
        valueDim = d;
      else if (uses(kUp->latent, d))
        batch = d;
    }
    if (!head || !valueDim || (rope && uses(rope->key, *head)))
      continue;
    // Without a RoPE key shared by the heads, a latent is only one if it is
    // narrower than the keys it expands to: K and V projected from a hidden
    // state as wide as them is ordinary self-attention, left to
    // attn.attention.
    auto extent = [&](unsigned d) { return b.getExtents()[d]; };
    if (!rope && extent(kUp->dim) >= extent(*head) * extent(nope.dim))
      continue;
    std::optional<unsigned> t = m.keyDim, n = nope.dim;
    SmallVector<std::pair<const Operand *, SmallVector<std::optional<unsigned>, 4>>, 6>
        wanted = {{&nope.query, {batch, query, head, n}},
                  {&kUp->latent, {batch, t, kUp->dim}},
                  {&kUp->weight, {head, kUp->dim, n}},
                  {&vUp->weight, {head, vUp->dim, valueDim}}};
    if (rope) {
      std::optional<unsigned> r = rope->dim;
      wanted.push_back({&rope->query, {batch, query, head, r}});
      wanted.push_back({&rope->key, {batch, t, r}});
    }
    // Each operand is checked before any op is built: a failed candidate
    // leaves nothing behind.
    SmallVector<Value> values;
    for (auto &[o, order] : wanted) {
      Value v = arrange(builder, loc, b, *o, order);
      if (!v)
        return Value();
      values.push_back(v);
    }
    Type element = cast<ShapedType>(values[0].getType()).getElementType();
    if (llvm::any_of(values, [&](Value v) {
          return cast<ShapedType>(v.getType()).getElementType() != element;
        }))
      return Value();
    auto qType = cast<RankedTensorType>(values[0].getType());
    auto wvType = cast<RankedTensorType>(values[3].getType());
    Value qRope = rope ? values[4] : Value(), kRope = rope ? values[5] : Value();
    SmallVector<int64_t> latentShape = {qType.getDimSize(0), qType.getDimSize(1),
                                        qType.getDimSize(2), wvType.getDimSize(2)};
    Value init = tensor::EmptyOp::create(builder, loc, latentShape,
                                         outType.getElementType());
    Value o = LatentAttentionOp::create(
                  builder, loc, init.getType(), values[0], qRope, values[1],
                  kRope, values[2], values[3], /*kv_lengths=*/Value(), init,
                  builder.getF32FloatAttr(static_cast<float>(m.scale)),
                  /*branches=*/ArrayAttr(), builder.getF64FloatAttr(1.0),
                  MaskKindAttr::get(builder.getContext(), m.maskKind),
                  m.maskKind == MaskKind::SlidingWindow
                      ? builder.getI64IntegerAttr(m.window)
                      : IntegerAttr())
                  .getResult();
    // Back to the root's layout.
    MLIRContext *ctx = builder.getContext();
    auto dimOrZero = [&](std::optional<unsigned> d) {
      return d ? getAffineDimExpr(*d, ctx) : getAffineConstantExpr(0, ctx);
    };
    Operand result;
    result.value = o;
    result.indices = {dimOrZero(batch), dimOrZero(query), dimOrZero(head),
                      dimOrZero(valueDim)};
    SmallVector<std::optional<unsigned>> rootOrder;
    for (unsigned d = 0; d < outType.getRank(); ++d)
      rootOrder.push_back(d);
    Value arranged = arrange(builder, loc, b, result, rootOrder);
    if (!arranged || arranged.getType() != m.root.getType())
      return Value();
    return arranged;
  }
  return Value();
}

static LogicalResult rewrite(Matcher &matcher, ElementExprBuilder &b,
                             AttentionMatch &m) {
  Operation *rootOp = m.root.getOwner();
  OpBuilder builder(rootOp);
  Location loc = rootOp->getLoc();
  auto outType = cast<RankedTensorType>(m.root.getType());

  {
    // What a candidate that fails builds is erased again.
    struct Tracker : OpBuilder::Listener {
      SmallVector<Operation *> ops;
      void notifyOperationInserted(Operation *op,
                                   OpBuilder::InsertPoint) override {
        ops.push_back(op);
      }
    } tracker;
    builder.setListener(&tracker);
    Value latent = buildLatentAttention(builder, loc, matcher, b, m);
    builder.setListener(nullptr);
    if (latent) {
      m.root.replaceAllUsesWith(latent);
      return success();
    }
    for (Operation *op : llvm::reverse(tracker.ops))
      op->erase();
  }

  Emitter emitter(builder, loc, b);
  // Output dims first, in order: the root's dims are 0..rank-1. Its unit
  // dims are not the attention's: expanded back afterwards.
  Operand output;
  output.value = m.root;
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
    SmallVector<bool> isReal;
    for (int64_t size : outType.getShape())
      isReal.push_back(size != 1);
    SmallVector<ReassociationIndices> groups = groupUnitDims(isReal);
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
      if (m && succeeded(rewrite(matcher, b, *m)))
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
