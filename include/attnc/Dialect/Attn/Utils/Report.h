//===- Report.h - KV-cache and decode-cost report of attn ops ----*- C++ -*-===//
//
// What `attnc --report` prints: per attention op, the variant it is, what it
// stores in the KV cache per token, and what one decode step costs.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTN_UTILS_REPORT_H
#define ATTNC_DIALECT_ATTN_UTILS_REPORT_H

#include "mlir/IR/BuiltinOps.h"

#include <optional>
#include <string>

namespace mlir::attn {

struct AttentionReport {
  std::string function;
  std::string location;
  std::string op;
  /// mha, gqa, mqa, grouped-tied, mla, gla-K, mlra-K, mlra-2, latent, eg-mla,
  /// gta.
  std::string variant;
  /// absorbed or expanded (latent ops, as lowered at their own shapes), or
  /// direct.
  std::string form;
  /// The form one decode step (S = 1) is costed in.
  std::string decodeForm;
  /// Floating-point elements cached per token per layer.
  double cacheElementsPerToken = 0;
  /// Bytes of token ids cached per token (EG-MLA's gate reads them).
  double indexBytesPerToken = 0;
  double cacheElementsPerTokenPerDevice = 0;
  /// Scores and value aggregation for one new token against the context.
  double attentionFlopsPerDecodeStep = 0;
  /// Context-independent work per new token: absorption, decoders, gates.
  double projectionFlopsPerToken = 0;
  /// A gate applied when the cache is read, recomputed for every cached token.
  double readGateFlopsPerDecodeStep = 0;
  double kvBytesPerDecodeStep = 0;
  int64_t context = 0;
};

/// Reports every attention op in `module` (model-level ops and core ops),
/// per sequence, for a decode step against `context` cached tokens (the op's
/// own key count if unset) under `tensorParallel`-way tensor parallelism.
SmallVector<AttentionReport> reportAttention(ModuleOp module,
                                             std::optional<int64_t> context,
                                             int64_t tensorParallel);

} // namespace mlir::attn

#endif // ATTNC_DIALECT_ATTN_UTILS_REPORT_H
