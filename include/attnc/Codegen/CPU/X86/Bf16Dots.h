//===- Bf16Dots.h - bf16 products on x86's vdpbf16ps ------------*- C++ -*-===//

#ifndef ATTNC_CODEGEN_CPU_X86_BF16DOTS_H
#define ATTNC_CODEGEN_CPU_X86_BF16DOTS_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {

/// Dot products of two bf16 rows widened to f32 (decode scores of bf16
/// queries and keys) become x86vector.avx512.dot into `lanes` f32 partial
/// sums, ahead of populateDotReductionToFMAsPattern's FMAs.
void populateX86Bf16DotReductionPattern(RewritePatternSet &patterns,
                                        int64_t lanes);

/// Register blocks over bf16 key pairs (a P.V of bf16 probabilities) become
/// one x86vector.avx512.dot per key pair, row and `lanes`-wide chunk.
void populateX86Bf16PairContractPattern(RewritePatternSet &patterns,
                                        int64_t lanes);

} // namespace mlir::attn

#endif // ATTNC_CODEGEN_CPU_X86_BF16DOTS_H
