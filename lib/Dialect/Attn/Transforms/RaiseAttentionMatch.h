//===- RaiseAttentionMatch.h - attention matched in element exprs -*- C++ -*-===//
//
// The matching half of attn-raise-attention (RaiseAttentionMatch.cpp): a
// candidate's element expression read as softmax(scale * sum of score
// terms (+ mask)) . V, with each operand at the deepest tensor its elements
// come from. RaiseAttention.cpp rewrites what matched. Internal to
// lib/Dialect/Attn/Transforms.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_DIALECT_ATTN_TRANSFORMS_RAISEATTENTIONMATCH_H
#define ATTNC_LIB_DIALECT_ATTN_TRANSFORMS_RAISEATTENTIONMATCH_H

#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "attnc/Dialect/Attn/Utils/ElementExpr.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"

#include <optional>
#include <vector>

namespace mlir::attn::raise {

using Kind = ElementExpr::Kind;


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

} // namespace mlir::attn::raise

#endif // ATTNC_LIB_DIALECT_ATTN_TRANSFORMS_RAISEATTENTIONMATCH_H
