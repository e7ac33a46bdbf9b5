//===- RaiseAttentionMatch.cpp - attention matched in element exprs -------===//
//
// Reads a candidate root's element expression as attention: the P.V
// contraction, the softmax over its reduction (max, exp, sum, divide in
// their torch-mlir spellings), the scale, score terms split into query and
// key pieces, and a mask from positions or a tensor (see RaiseAttention.cpp).
//
//===----------------------------------------------------------------------===//

#include "RaiseAttentionMatch.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace mlir::attn::raise;


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
