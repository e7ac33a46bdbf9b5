//===- ElementExpr.h - tensor elements as expressions of indices -*- C++ -*-===//
//
// What one element of a tensor is, as an expression of the indices of an
// iteration space (the "domain"), seen through the ops that compute it:
// linalg ops (named or generic) become their bodies, their reductions
// reduction nodes over fresh domain dimensions; reshapes, slices, casts,
// transposes and broadcasts only change the indices they read at. Model IR
// splits one computation over many ops in many ways (a softmax over four
// generics or one, a contraction through a collapse_shape and a
// batch_matmul); seen element by element they are the same expression.
// attn-raise-attention matches attention on these expressions.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTN_UTILS_ELEMENTEXPR_H
#define ATTNC_DIALECT_ATTN_UTILS_ELEMENTEXPR_H

#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Allocator.h"

#include <optional>

namespace mlir::attn {

class ElementExprBuilder;

/// One node of an element expression.
struct ElementExpr {
  enum class Kind {
    /// Element `indices` of `value`; getDefinition() is what the element is
    /// (built when first asked for), or null where the value's producer is
    /// not looked through (a function argument, a concat).
    Read,
    /// A scalar constant (`attribute`).
    Constant,
    /// A scalar SSA value defined outside every op looked through.
    Scalar,
    /// A loop index: `index`, an expression of domain dimensions.
    Index,
    /// `op` (an arith or math op of a body) applied to `operands`; `result`
    /// is which of its results.
    Op,
    /// `combiner` folded over domain dimension `dim`, starting from `init`,
    /// over `operands[0]`.
    Reduce,
  };
  Kind kind;
  Type type;
  Value value;
  SmallVector<AffineExpr> indices;
  Attribute attribute;
  AffineExpr index;
  Operation *op = nullptr;
  unsigned result = 0;
  SmallVector<const ElementExpr *> operands;
  unsigned dim = 0;
  const ElementExpr *init = nullptr;

  /// What a Read's element is, or null.
  const ElementExpr *getDefinition() const;
  /// This node with Reads replaced by their definitions, where they have one.
  const ElementExpr *strip() const;
  /// Whether it is an Op node of op type OpTy.
  template <typename OpTy>
  bool isa() const {
    const ElementExpr *e = strip();
    return e->kind == Kind::Op && llvm::isa<OpTy>(e->op);
  }
  /// The float value of a Constant (through Reads).
  std::optional<double> getFloat() const;

private:
  friend class ElementExprBuilder;
  ElementExprBuilder *builder = nullptr;
  mutable const ElementExpr *definition = nullptr;
  mutable bool defined = false;
};

/// Builds element expressions over one domain.
class ElementExprBuilder {
public:
  explicit ElementExprBuilder(MLIRContext *ctx) : ctx(ctx) {}

  MLIRContext *getContext() const { return ctx; }

  /// Adds a domain dimension of `extent` iterations; returns its position.
  unsigned addDim(int64_t extent);
  ArrayRef<int64_t> getExtents() const { return extents; }
  unsigned getNumDims() const { return extents.size(); }

  /// The element of tensor `value` at `indices` (one expression of domain
  /// dimensions per dimension of the tensor).
  const ElementExpr *read(Value value, ArrayRef<AffineExpr> indices);

  /// `expr` simplified with the domain's extents: a floordiv or mod by c of
  /// c * x + y, with y in [0, c), is x or y (the linearised index of a
  /// collapse_shape read back through an expand_shape).
  AffineExpr simplify(AffineExpr expr) const;

  /// Whether `a` and `b` are the same expression once the domain dimensions
  /// of `a` are renamed by `renaming` (dimensions not in it stay). Reduction
  /// dimensions of the two are matched along the way.
  bool equal(const ElementExpr *a, const ElementExpr *b,
             DenseMap<unsigned, unsigned> renaming =
                 DenseMap<unsigned, unsigned>()) const;

  /// Whether `expr` reads domain dimension `dim` anywhere.
  bool usesDim(const ElementExpr *expr, unsigned dim) const;

  /// Whether `expr` contains no Read or Reduce: a function of loop indices
  /// and constants only.
  bool isIndexFunction(const ElementExpr *expr) const;

  /// The value of an index function at the dimension values `dims` (integers
  /// and booleans as int64_t, floats as double); nullopt where it cannot be
  /// evaluated.
  std::optional<double> evaluate(const ElementExpr *expr,
                                 ArrayRef<int64_t> dims) const;

private:
  friend struct ElementExpr;
  ElementExpr *make(ElementExpr::Kind kind, Type type);
  /// What element `indices` of `value` is; null if it is not looked through.
  const ElementExpr *define(Value value, ArrayRef<AffineExpr> indices);
  const ElementExpr *defineLinalgResult(OpResult result,
                                        ArrayRef<AffineExpr> indices);
  /// The body value `v` of a linalg op whose loops take `loops`.
  const ElementExpr *interpret(Operation *linalgOp, Value v,
                               ArrayRef<AffineExpr> loops,
                               DenseMap<Value, const ElementExpr *> &cache);

  MLIRContext *ctx;
  SmallVector<int64_t> extents;
  llvm::SpecificBumpPtrAllocator<ElementExpr> allocator;
};

} // namespace mlir::attn

#endif // ATTNC_DIALECT_ATTN_UTILS_ELEMENTEXPR_H
