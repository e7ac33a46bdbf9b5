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

#include "RaiseAttentionMatch.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"

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
using namespace mlir::attn::raise;

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
