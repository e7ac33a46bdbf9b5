//===- CostModel.h - FLOPs and bytes of attn ops -----------------*- C++ -*-===//
//
// Static cost estimates shared by the lowerings (absorb-or-expand) and by
// `attnc --report`. FLOPs count a multiply-add as 2.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTN_UTILS_COSTMODEL_H
#define ATTNC_DIALECT_ATTN_UTILS_COSTMODEL_H

#include <cstdint>

namespace mlir::attn {

class LatentAttentionOp;

/// How a latent attention is lowered to the core op.
enum class LatentForm {
  /// Let the cost model decide per op.
  Auto,
  /// Queries absorbed into the latent space; attention over the cached latent.
  Absorbed,
  /// Keys and values up-projected per head, then ordinary attention.
  Expanded,
};

struct WorkEstimate {
  double flops = 0;
  double bytes = 0;
};

/// The CPU's balance point, FLOPs per byte of DRAM traffic (a server core's
/// FMA rate over its share of DRAM bandwidth): bytes are weighted by it.
constexpr double kMachineBalanceFlopsPerByte = 5.5;

/// Work of `op` lowered in `form` (Absorbed or Expanded) for `numQueries`
/// queries against `numKeys` keys, all batches.
WorkEstimate estimateLatentWork(LatentAttentionOp op, LatentForm form,
                                int64_t numQueries, int64_t numKeys);

/// The cheaper form for `numQueries` against `numKeys`.
LatentForm chooseLatentForm(LatentAttentionOp op, int64_t numQueries,
                            int64_t numKeys);

} // namespace mlir::attn

#endif // ATTNC_DIALECT_ATTN_UTILS_COSTMODEL_H
