//===- ElementExpr.cpp - tensor elements as expressions of indices --------===//

#include "attnc/Dialect/Attn/Utils/ElementExpr.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineExprVisitor.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

//===----------------------------------------------------------------------===//
// Nodes
//===----------------------------------------------------------------------===//

const ElementExpr *ElementExpr::getDefinition() const {
  if (kind != Kind::Read)
    return nullptr;
  if (!defined) {
    defined = true;
    definition = builder->define(value, indices);
  }
  return definition;
}

const ElementExpr *ElementExpr::strip() const {
  const ElementExpr *e = this;
  while (e->kind == Kind::Read && e->getDefinition())
    e = e->getDefinition();
  return e;
}

std::optional<double> ElementExpr::getFloat() const {
  // Constants, and ops of constants (a scale computed in f64 and truncated
  // to f32 in the body).
  return builder->evaluate(this, {});
}

ElementExpr *ElementExprBuilder::make(ElementExpr::Kind kind, Type type) {
  auto *e = new (allocator.Allocate()) ElementExpr();
  e->kind = kind;
  e->type = type;
  e->builder = this;
  return e;
}

unsigned ElementExprBuilder::addDim(int64_t extent) {
  extents.push_back(extent);
  return extents.size() - 1;
}

const ElementExpr *ElementExprBuilder::read(Value value,
                                            ArrayRef<AffineExpr> indices) {
  ElementExpr *e = make(ElementExpr::Kind::Read, getElementTypeOrSelf(value));
  e->value = value;
  for (AffineExpr index : indices)
    e->indices.push_back(simplify(index));
  return e;
}

//===----------------------------------------------------------------------===//
// Index simplification
//===----------------------------------------------------------------------===//

namespace {
/// A sum of multiples of atoms (dims or other subexpressions) plus a
/// constant.
struct Linear {
  SmallVector<std::pair<AffineExpr, int64_t>> terms;
  int64_t constant = 0;
};
} // namespace

static bool decompose(AffineExpr e, int64_t scale, Linear &out) {
  if (auto c = dyn_cast<AffineConstantExpr>(e)) {
    out.constant += scale * c.getValue();
    return true;
  }
  if (auto bin = dyn_cast<AffineBinaryOpExpr>(e)) {
    if (bin.getKind() == AffineExprKind::Add)
      return decompose(bin.getLHS(), scale, out) &&
             decompose(bin.getRHS(), scale, out);
    if (bin.getKind() == AffineExprKind::Mul) {
      if (auto c = dyn_cast<AffineConstantExpr>(bin.getRHS()))
        return decompose(bin.getLHS(), scale * c.getValue(), out);
      if (auto c = dyn_cast<AffineConstantExpr>(bin.getLHS()))
        return decompose(bin.getRHS(), scale * c.getValue(), out);
    }
  }
  out.terms.push_back({e, scale});
  return true;
}

/// The smallest and largest value of `e` over the domain, where known.
static std::optional<std::pair<int64_t, int64_t>>
getRange(AffineExpr e, ArrayRef<int64_t> extents) {
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return std::make_pair(c.getValue(), c.getValue());
  if (auto d = dyn_cast<AffineDimExpr>(e)) {
    if (d.getPosition() >= extents.size() || extents[d.getPosition()] <= 0)
      return std::nullopt;
    return std::make_pair(int64_t(0), extents[d.getPosition()] - 1);
  }
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return std::nullopt;
  auto l = getRange(bin.getLHS(), extents), r = getRange(bin.getRHS(), extents);
  if (!l || !r)
    return std::nullopt;
  switch (bin.getKind()) {
  case AffineExprKind::Add:
    return std::make_pair(l->first + r->first, l->second + r->second);
  case AffineExprKind::Mul: {
    if (r->first != r->second)
      return std::nullopt;
    int64_t a = l->first * r->first, b = l->second * r->first;
    return std::make_pair(std::min(a, b), std::max(a, b));
  }
  case AffineExprKind::FloorDiv:
    if (r->first != r->second || r->first <= 0)
      return std::nullopt;
    return std::make_pair(llvm::divideFloorSigned(l->first, r->first),
                          llvm::divideFloorSigned(l->second, r->first));
  case AffineExprKind::Mod:
    if (r->first != r->second || r->first <= 0)
      return std::nullopt;
    return std::make_pair(int64_t(0), r->first - 1);
  default:
    return std::nullopt;
  }
}

AffineExpr ElementExprBuilder::simplify(AffineExpr expr) const {
  auto bin = dyn_cast<AffineBinaryOpExpr>(expr);
  if (!bin)
    return expr;
  AffineExpr lhs = simplify(bin.getLHS()), rhs = simplify(bin.getRHS());
  auto divisor = dyn_cast<AffineConstantExpr>(rhs);
  bool divides = bin.getKind() == AffineExprKind::FloorDiv ||
                 bin.getKind() == AffineExprKind::Mod;
  if (divides && divisor && divisor.getValue() > 0) {
    int64_t c = divisor.getValue();
    // x mod c and x floordiv c for x within [0, c) (x floordiv 1 is x).
    if (c == 1 && bin.getKind() == AffineExprKind::FloorDiv)
      return lhs;
    if (auto range = getRange(lhs, extents);
        range && range->first >= 0 && range->second < c)
      return bin.getKind() == AffineExprKind::Mod
                 ? lhs
                 : getAffineConstantExpr(0, ctx);
    // c * x + y with y within [0, c): x, or y.
    Linear linear;
    decompose(lhs, 1, linear);
    AffineExpr quotient = getAffineConstantExpr(0, ctx);
    AffineExpr rest = getAffineConstantExpr(linear.constant, ctx);
    for (auto [atom, coeff] : linear.terms) {
      if (coeff % c == 0)
        quotient = quotient + atom * (coeff / c);
      else
        rest = rest + atom * coeff;
    }
    if (auto range = getRange(rest, extents);
        range && range->first >= 0 && range->second < c)
      return bin.getKind() == AffineExprKind::FloorDiv ? simplify(quotient)
                                                       : simplify(rest);
  }
  return simplifyAffineExpr(getAffineBinaryOpExpr(bin.getKind(), lhs, rhs),
                            extents.size(), 0);
}

//===----------------------------------------------------------------------===//
// Definitions
//===----------------------------------------------------------------------===//

const ElementExpr *ElementExprBuilder::define(Value value,
                                              ArrayRef<AffineExpr> indices) {
  auto result = dyn_cast<OpResult>(value);
  if (!result)
    return nullptr;
  Operation *op = result.getOwner();
  if (isa<linalg::LinalgOp>(op))
    return defineLinalgResult(result, indices);

  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op)) {
    ArrayRef<int64_t> shape = expand.getResultType().getShape();
    if (ShapedType::isDynamicShape(shape))
      return nullptr;
    SmallVector<AffineExpr> source;
    for (ReassociationIndices group : expand.getReassociationIndices()) {
      AffineExpr linear = getAffineConstantExpr(0, ctx);
      for (int64_t j : group)
        linear = linear * shape[j] + indices[j];
      source.push_back(linear);
    }
    return read(expand.getSrc(), source);
  }
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
    ArrayRef<int64_t> shape = collapse.getSrcType().getShape();
    if (ShapedType::isDynamicShape(shape))
      return nullptr;
    SmallVector<AffineExpr> source(shape.size());
    for (auto [k, group] :
         llvm::enumerate(collapse.getReassociationIndices())) {
      // Built unsimplified (x mod 1 would fold to 0 at once and lose the
      // dimension of one iteration that x is): simplify() decides.
      int64_t stride = 1;
      for (int64_t j : llvm::reverse(group)) {
        source[j] = getAffineBinaryOpExpr(
            AffineExprKind::Mod,
            getAffineBinaryOpExpr(AffineExprKind::FloorDiv, indices[k],
                                  getAffineConstantExpr(stride, ctx)),
            getAffineConstantExpr(shape[j], ctx));
        stride *= shape[j];
      }
    }
    return read(collapse.getSrc(), source);
  }
  if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op)) {
    if (ShapedType::isDynamicShape(slice.getStaticOffsets()) ||
        ShapedType::isDynamicShape(slice.getStaticStrides()))
      return nullptr;
    llvm::SmallBitVector dropped = slice.getDroppedDims();
    SmallVector<AffineExpr> source;
    unsigned next = 0;
    for (auto [d, offset, stride] : llvm::enumerate(slice.getStaticOffsets(),
                                                    slice.getStaticStrides())) {
      if (dropped.test(d))
        source.push_back(getAffineConstantExpr(offset, ctx));
      else
        source.push_back(indices[next++] * stride + offset);
    }
    return read(slice.getSource(), source);
  }
  if (auto cast = dyn_cast<tensor::CastOp>(op))
    return read(cast.getSource(), indices);
  DenseElementsAttr dense;
  if (matchPattern(value, m_Constant(&dense)) && dense.isSplat()) {
    ElementExpr *e = make(ElementExpr::Kind::Constant, dense.getElementType());
    e->attribute = dense.getSplatValue<Attribute>();
    return e;
  }
  return nullptr;
}

/// A scalar from outside the linalg ops looked through.
static const ElementExpr *makeScalar(ElementExprBuilder &builder,
                                     ElementExpr *e, Value v) {
  Attribute attr;
  if (matchPattern(v, m_Constant(&attr)) && !isa<ShapedType>(v.getType())) {
    e->kind = ElementExpr::Kind::Constant;
    e->attribute = attr;
  } else {
    e->value = v;
  }
  return e;
}

const ElementExpr *
ElementExprBuilder::defineLinalgResult(OpResult result,
                                       ArrayRef<AffineExpr> indices) {
  auto op = cast<linalg::LinalgOp>(result.getOwner());
  if (!op.hasPureTensorSemantics() || op->getNumRegions() != 1)
    return nullptr;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ShapedType::isDynamicShape(ranges))
    return nullptr;
  OpOperand *init = op.getDpsInitOperand(result.getResultNumber());
  AffineMap outMap = op.getMatchingIndexingMap(init);
  SmallVector<AffineExpr> loops(op.getNumLoops());
  for (auto [j, e] : llvm::enumerate(outMap.getResults())) {
    // A constant result (a row statistic kept as [b, h, s, 1]) is read at
    // that constant, or along a dimension of one iteration.
    if (auto c = dyn_cast<AffineConstantExpr>(e)) {
      auto index = dyn_cast<AffineConstantExpr>(indices[j]);
      auto dim = dyn_cast<AffineDimExpr>(indices[j]);
      if (!(index && index.getValue() == c.getValue()) &&
          !(dim && c.getValue() == 0 && extents[dim.getPosition()] == 1))
        return nullptr;
      continue;
    }
    auto dim = dyn_cast<AffineDimExpr>(e);
    if (!dim || loops[dim.getPosition()])
      return nullptr;
    loops[dim.getPosition()] = indices[j];
  }
  std::optional<unsigned> reductionDim;
  for (unsigned l = 0; l < loops.size(); ++l) {
    if (loops[l])
      continue;
    // One reduction loop per result (every reduction of attention); a loop
    // that is neither in the output nor reduced has no meaning here.
    if (op.getIteratorTypesArray()[l] != utils::IteratorType::reduction ||
        reductionDim)
      return nullptr;
    reductionDim = addDim(ranges[l]);
    loops[l] = getAffineDimExpr(*reductionDim, ctx);
  }
  Block *body = op.getBlock();
  Value yielded = body->getTerminator()->getOperand(result.getResultNumber());
  DenseMap<Value, const ElementExpr *> cache;
  if (!reductionDim)
    return interpret(op, yielded, loops, cache);

  // out = combine(out, x), with x free of the accumulator.
  BlockArgument accumulator = op.getMatchingBlockArgument(init);
  Operation *combine = yielded.getDefiningOp();
  if (!combine || combine->getBlock() != body ||
      combine->getNumOperands() != 2 || combine->getNumResults() != 1 ||
      !isa<arith::ArithDialect>(combine->getDialect()))
    return nullptr;
  unsigned accIndex = combine->getOperand(0) == accumulator ? 0 : 1;
  if (combine->getOperand(accIndex) != accumulator)
    return nullptr;
  // Interpreting the accumulator fails (it is not an input), so an x that
  // depends on it is not taken.
  cache[accumulator] = nullptr;
  const ElementExpr *x =
      interpret(op, combine->getOperand(1 - accIndex), loops, cache);
  if (!x)
    return nullptr;
  ElementExpr *e = make(ElementExpr::Kind::Reduce, result.getType());
  e->type = getElementTypeOrSelf(result.getType());
  e->op = combine;
  e->dim = *reductionDim;
  e->init = read(init->get(), indices);
  e->operands.push_back(x);
  return e;
}

const ElementExpr *
ElementExprBuilder::interpret(Operation *linalgOp, Value v,
                              ArrayRef<AffineExpr> loops,
                              DenseMap<Value, const ElementExpr *> &cache) {
  if (auto it = cache.find(v); it != cache.end())
    return it->second;
  auto op = cast<linalg::LinalgOp>(linalgOp);
  const ElementExpr *result = nullptr;
  Operation *def = v.getDefiningOp();
  if (auto arg = dyn_cast<BlockArgument>(v); arg && arg.getOwner() == op.getBlock()) {
    OpOperand *operand = op.getMatchingOpOperand(arg);
    if (!isa<ShapedType>(operand->get().getType())) {
      result = makeScalar(*this, make(ElementExpr::Kind::Scalar, arg.getType()),
                          operand->get());
    } else {
      AffineMap map = op.getMatchingIndexingMap(operand);
      SmallVector<AffineExpr> indices;
      for (AffineExpr e : map.getResults())
        indices.push_back(e.replaceDims(loops));
      result = read(operand->get(), indices);
    }
  } else if (!linalgOp->isProperAncestor(def ? def : v.getParentBlock()->getParentOp())) {
    // Defined outside the op: a scalar captured by its body.
    result = makeScalar(*this, make(ElementExpr::Kind::Scalar, v.getType()), v);
  } else if (auto index = dyn_cast<linalg::IndexOp>(def)) {
    ElementExpr *e = make(ElementExpr::Kind::Index, v.getType());
    e->index = simplify(loops[index.getDim()]);
    result = e;
  } else if (def && def->getNumRegions() == 0 &&
             isa<arith::ArithDialect, math::MathDialect>(def->getDialect())) {
    Attribute attr;
    if (matchPattern(v, m_Constant(&attr))) {
      ElementExpr *e = make(ElementExpr::Kind::Constant, v.getType());
      e->attribute = attr;
      result = e;
    } else {
      ElementExpr *e = make(ElementExpr::Kind::Op, v.getType());
      e->op = def;
      e->result = cast<OpResult>(v).getResultNumber();
      result = e;
      for (Value operand : def->getOperands()) {
        const ElementExpr *o = interpret(linalgOp, operand, loops, cache);
        if (!o) {
          result = nullptr;
          break;
        }
        e->operands.push_back(o);
      }
    }
  }
  cache[v] = result;
  return result;
}

//===----------------------------------------------------------------------===//
// Comparison and evaluation
//===----------------------------------------------------------------------===//

static AffineExpr rename(AffineExpr e, const DenseMap<unsigned, unsigned> &renaming,
                         unsigned numDims, MLIRContext *ctx) {
  if (renaming.empty())
    return e;
  SmallVector<AffineExpr> dims;
  for (unsigned d = 0; d < numDims; ++d) {
    auto it = renaming.find(d);
    dims.push_back(getAffineDimExpr(it == renaming.end() ? d : it->second, ctx));
  }
  return e.replaceDims(dims);
}

bool ElementExprBuilder::equal(const ElementExpr *a, const ElementExpr *b,
                               DenseMap<unsigned, unsigned> renaming) const {
  if (a == b && renaming.empty())
    return true;
  auto sameIndices = [&](const ElementExpr *x, const ElementExpr *y) {
    if (x->indices.size() != y->indices.size())
      return false;
    for (auto [i, j] : llvm::zip(x->indices, y->indices))
      if (simplify(rename(i, renaming, extents.size(), ctx)) != j)
        return false;
    return true;
  };
  if (a->kind == ElementExpr::Kind::Read && b->kind == ElementExpr::Kind::Read &&
      a->value == b->value && sameIndices(a, b))
    return true;
  a = a->strip();
  b = b->strip();
  if (a->kind != b->kind || a->type != b->type)
    return false;
  switch (a->kind) {
  case ElementExpr::Kind::Read:
    return a->value == b->value && sameIndices(a, b);
  case ElementExpr::Kind::Constant:
    return a->attribute == b->attribute;
  case ElementExpr::Kind::Scalar:
    return a->value == b->value;
  case ElementExpr::Kind::Index:
    return simplify(rename(a->index, renaming, extents.size(), ctx)) == b->index;
  case ElementExpr::Kind::Op:
    if (a->op->getName() != b->op->getName() || a->result != b->result ||
        a->op->getAttrDictionary() != b->op->getAttrDictionary() ||
        a->operands.size() != b->operands.size())
      return false;
    for (auto [x, y] : llvm::zip(a->operands, b->operands))
      if (!equal(x, y, renaming))
        return false;
    return true;
  case ElementExpr::Kind::Reduce: {
    if (a->op->getName() != b->op->getName() ||
        extents[a->dim] != extents[b->dim] || !equal(a->init, b->init, renaming))
      return false;
    DenseMap<unsigned, unsigned> inner = renaming;
    inner[a->dim] = b->dim;
    return equal(a->operands[0], b->operands[0], inner);
  }
  }
  return false;
}

bool ElementExprBuilder::usesDim(const ElementExpr *expr, unsigned dim) const {
  switch (expr->kind) {
  case ElementExpr::Kind::Read:
    return llvm::any_of(expr->indices,
                        [&](AffineExpr e) { return e.isFunctionOfDim(dim); });
  case ElementExpr::Kind::Index:
    return expr->index.isFunctionOfDim(dim);
  case ElementExpr::Kind::Op:
    return llvm::any_of(expr->operands,
                        [&](const ElementExpr *o) { return usesDim(o, dim); });
  case ElementExpr::Kind::Reduce:
    return usesDim(expr->init, dim) ||
           (expr->dim != dim && usesDim(expr->operands[0], dim));
  case ElementExpr::Kind::Constant:
  case ElementExpr::Kind::Scalar:
    return false;
  }
  return false;
}

bool ElementExprBuilder::isIndexFunction(const ElementExpr *expr) const {
  expr = expr->strip();
  switch (expr->kind) {
  case ElementExpr::Kind::Constant:
  case ElementExpr::Kind::Index:
    return true;
  case ElementExpr::Kind::Op:
    return llvm::all_of(expr->operands,
                        [&](const ElementExpr *o) { return isIndexFunction(o); });
  default:
    return false;
  }
}

static std::optional<int64_t> evaluateIndex(AffineExpr e, ArrayRef<int64_t> dims) {
  if (auto c = dyn_cast<AffineConstantExpr>(e))
    return c.getValue();
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return d.getPosition() < dims.size() ? std::optional<int64_t>(dims[d.getPosition()])
                                         : std::nullopt;
  auto bin = dyn_cast<AffineBinaryOpExpr>(e);
  if (!bin)
    return std::nullopt;
  std::optional<int64_t> l = evaluateIndex(bin.getLHS(), dims);
  std::optional<int64_t> r = evaluateIndex(bin.getRHS(), dims);
  if (!l || !r)
    return std::nullopt;
  switch (bin.getKind()) {
  case AffineExprKind::Add:
    return *l + *r;
  case AffineExprKind::Mul:
    return *l * *r;
  case AffineExprKind::FloorDiv:
    return *r > 0 ? std::optional<int64_t>(llvm::divideFloorSigned(*l, *r)) : std::nullopt;
  case AffineExprKind::CeilDiv:
    return *r > 0 ? std::optional<int64_t>(llvm::divideCeilSigned(*l, *r)) : std::nullopt;
  case AffineExprKind::Mod:
    return *r > 0 ? std::optional<int64_t>(((*l % *r) + *r) % *r) : std::nullopt;
  default:
    return std::nullopt;
  }
}

std::optional<double> ElementExprBuilder::evaluate(const ElementExpr *expr,
                                                   ArrayRef<int64_t> dims) const {
  expr = expr->strip();
  switch (expr->kind) {
  case ElementExpr::Kind::Constant:
    if (auto f = dyn_cast<FloatAttr>(expr->attribute))
      return f.getValueAsDouble();
    if (auto i = dyn_cast<IntegerAttr>(expr->attribute))
      return expr->type.isInteger(1) ? double(i.getValue().getZExtValue() != 0)
                                     : double(i.getValue().getSExtValue());
    if (auto b = dyn_cast<BoolAttr>(expr->attribute))
      return b.getValue();
    return std::nullopt;
  case ElementExpr::Kind::Index: {
    std::optional<int64_t> v = evaluateIndex(expr->index, dims);
    return v ? std::optional<double>(double(*v)) : std::nullopt;
  }
  case ElementExpr::Kind::Op:
    break;
  default:
    return std::nullopt;
  }
  SmallVector<double> x;
  for (const ElementExpr *o : expr->operands) {
    std::optional<double> v = evaluate(o, dims);
    if (!v)
      return std::nullopt;
    x.push_back(*v);
  }
  Operation *op = expr->op;
  auto compareInt = [](arith::CmpIPredicate p, double a, double b) {
    switch (p) {
    case arith::CmpIPredicate::eq: return a == b;
    case arith::CmpIPredicate::ne: return a != b;
    case arith::CmpIPredicate::slt: case arith::CmpIPredicate::ult: return a < b;
    case arith::CmpIPredicate::sle: case arith::CmpIPredicate::ule: return a <= b;
    case arith::CmpIPredicate::sgt: case arith::CmpIPredicate::ugt: return a > b;
    case arith::CmpIPredicate::sge: case arith::CmpIPredicate::uge: return a >= b;
    }
    return false;
  };
  auto compareFloat = [](arith::CmpFPredicate p, double a, double b) {
    bool unordered = std::isnan(a) || std::isnan(b);
    switch (p) {
    case arith::CmpFPredicate::AlwaysFalse: return false;
    case arith::CmpFPredicate::OEQ: return !unordered && a == b;
    case arith::CmpFPredicate::OGT: return !unordered && a > b;
    case arith::CmpFPredicate::OGE: return !unordered && a >= b;
    case arith::CmpFPredicate::OLT: return !unordered && a < b;
    case arith::CmpFPredicate::OLE: return !unordered && a <= b;
    case arith::CmpFPredicate::ONE: return !unordered && a != b;
    case arith::CmpFPredicate::ORD: return !unordered;
    case arith::CmpFPredicate::UEQ: return unordered || a == b;
    case arith::CmpFPredicate::UGT: return unordered || a > b;
    case arith::CmpFPredicate::UGE: return unordered || a >= b;
    case arith::CmpFPredicate::ULT: return unordered || a < b;
    case arith::CmpFPredicate::ULE: return unordered || a <= b;
    case arith::CmpFPredicate::UNE: return unordered || a != b;
    case arith::CmpFPredicate::UNO: return unordered;
    case arith::CmpFPredicate::AlwaysTrue: return true;
    }
    return false;
  };
  // Integers are exact in a double up to 2^53: indices and masks are far
  // below. Integer ops on i1 are logical.
  bool isBool = expr->type.isInteger(1);
  return llvm::TypeSwitch<Operation *, std::optional<double>>(op)
      .Case([&](arith::AddIOp) { return x[0] + x[1]; })
      .Case([&](arith::SubIOp) { return x[0] - x[1]; })
      .Case([&](arith::MulIOp) { return x[0] * x[1]; })
      .Case([&](arith::AndIOp) { return isBool ? double(x[0] && x[1]) : std::optional<double>(); })
      .Case([&](arith::OrIOp) { return isBool ? double(x[0] || x[1]) : std::optional<double>(); })
      .Case([&](arith::XOrIOp) { return isBool ? double((x[0] != 0) != (x[1] != 0)) : std::optional<double>(); })
      .Case([&](arith::CmpIOp c) { return double(compareInt(c.getPredicate(), x[0], x[1])); })
      .Case([&](arith::CmpFOp c) { return double(compareFloat(c.getPredicate(), x[0], x[1])); })
      .Case([&](arith::SelectOp) { return x[0] != 0 ? x[1] : x[2]; })
      .Case<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
            arith::SIToFPOp, arith::ExtFOp, arith::TruncFOp>(
          [&](Operation *) { return x[0]; })
      .Case([&](arith::ExtUIOp e) {
        return e.getIn().getType().isInteger(1) ? x[0] : std::optional<double>();
      })
      .Case([&](arith::AddFOp) { return x[0] + x[1]; })
      .Case([&](arith::SubFOp) { return x[0] - x[1]; })
      .Case([&](arith::MulFOp) { return x[0] * x[1]; })
      .Case([&](arith::DivFOp) { return x[0] / x[1]; })
      .Case([&](arith::NegFOp) { return -x[0]; })
      .Case([&](arith::MaximumFOp) { return std::max(x[0], x[1]); })
      .Case([&](arith::MinimumFOp) { return std::min(x[0], x[1]); })
      .Default([](Operation *) { return std::nullopt; });
}
