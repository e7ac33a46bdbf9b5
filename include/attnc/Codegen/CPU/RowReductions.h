//===- RowReductions.h - dot products and row sums of vector tiles -*- C++ -*-===//

#ifndef ATTNC_CODEGEN_CPU_ROWREDUCTIONS_H
#define ATTNC_CODEGEN_CPU_ROWREDUCTIONS_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {

/// Whether `reduction` sums along the innermost dimension alone,
/// `multi_reduction<add>(x, acc) [last]`, of a fixed-size vector.
bool isInnermostSum(vector::MultiDimReductionOp reduction);

/// The product `a * b` of a dot product along the innermost dimension,
/// `multi_reduction<add>(a * b, acc) [last]`, or null.
arith::MulFOp getRowDotProduct(vector::MultiDimReductionOp reduction);

/// Dot products along the innermost dimension become FMAs into `lanes`-wide
/// partial sums, chunk by chunk for all rows at once, and one horizontal sum
/// per row at the end.
void populateDotReductionToFMAsPattern(RewritePatternSet &patterns,
                                       int64_t lanes);

/// Horizontal sums of several rows of f32 partial sums, four rows at a time
/// by a transposing tree of shuffles and adds, on `nativeLanes`-wide
/// vectors.
void populateMultiRowHorizontalSumsPattern(RewritePatternSet &patterns,
                                           int64_t nativeLanes);

} // namespace mlir::attn

#endif // ATTNC_CODEGEN_CPU_ROWREDUCTIONS_H
