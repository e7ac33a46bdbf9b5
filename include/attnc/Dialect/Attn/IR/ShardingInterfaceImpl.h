//===- ShardingInterfaceImpl.h - attn ops on a device grid ------*- C++ -*-===//
//
// The shard dialect's ShardingInterface for the attn ops, as external
// models (upstream's linalg and tensor ops are registered the same way).
//
// Each op describes its sharding loops: dimensions of the op along which
// every operand and the result are cut into contiguous slices, one per
// device of a grid axis.
//   attn.attention                 its batch dimensions (batch, KV heads: a
//                                  GQA group stays on one device).
//   attn.latent_attention          batch; query heads (MLA: the latent is
//                                  replicated); latent blocks (MLRA: each
//                                  device computes the branches of its
//                                  blocks, a partial sum of the output met
//                                  by an all-reduce); for GLA-k, heads and
//                                  their blocks together.
//   attn.grouped_head_attention    batch; head groups (query maps, key,
//                                  value and decoder heads, and the output
//                                  columns and gate they produce).
//   tensor.expand_shape,           a reassociation group: heads split out of
//   tensor.collapse_shape          a projection's columns and merged back;
//   tensor.concat                  every dimension but the concatenated one
//                                  (a cache and the new token);
//   tensor.extract_slice           every dimension it takes whole (RoPE's
//                                  halves). MLIR 22 has no model for these.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DIALECT_ATTN_IR_SHARDINGINTERFACEIMPL_H
#define ATTNC_DIALECT_ATTN_IR_SHARDINGINTERFACEIMPL_H

#include "mlir/IR/Operation.h"
#include "mlir/Support/LLVM.h"
#include <string>

namespace mlir {
class DialectRegistry;
namespace attn {

void registerShardingInterfaceExternalModels(DialectRegistry &registry);

/// The sharding loop that tensor parallelism over `devices` splits for
/// `op` (an attn op with the sharding interface): KV-head groups, latent
/// blocks, head groups, as the op's structure allows. Fails with the
/// reason in `why` when no loop divides evenly over `devices`.
FailureOr<unsigned> getTensorParallelLoop(Operation *op, int64_t devices,
                                          std::string &why);

} // namespace attn
} // namespace mlir

#endif // ATTNC_DIALECT_ATTN_IR_SHARDINGINTERFACEIMPL_H
