//===- TensorCoreFlash.h - FlashAttention on mma.sync -----------*- C++ -*-===//
//
// The in-block FlashAttention kernel of the GPU path: one `gpu.launch` per
// `attn.attention`, whose warps compute 16 query rows each on tensor cores
// (nvgpu.mma.sync m16n8k16, f32 accumulators), with K and V tiles staged in
// shared memory by cp.async and read by ldmatrix. docs/gpu.md describes it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_GPU_TENSORCOREFLASH_H
#define ATTNC_CODEGEN_GPU_TENSORCOREFLASH_H

#include "attnc/Codegen/IR/CodegenDialect.h"
#include "attnc/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/PatternMatch.h"

#include <string>

namespace mlir::attn {

/// Shared memory a block may use without opting in (48 KiB).
constexpr int64_t kGpuStaticSharedMemoryBytes = 48 * 1024;
/// Shared memory a block of the wide kernel (queries staged) may opt into:
/// 96 KiB, within every supported chip's limit (sm_86 and sm_89: 99 KiB).
constexpr int64_t kGpuWideSharedMemoryBytes = 96 * 1024;

/// Succeeds when the kernel computes `op`; otherwise `reason` says why not
/// (the op then takes the portable path).
LogicalResult checkTensorCoreFlash(AttentionOp op, std::string &reason);

/// Bytes of shared memory the kernel of `op` uses with the given key tile,
/// number of stages and rows per block.
int64_t getTensorCoreFlashSharedMemory(AttentionOp op, int64_t keyTile,
                                       int64_t stages, int64_t rowsPerBlock);

/// The warps among which the value's columns are split: 1 for values up to
/// 256 wide, else the fewest that leave each at most 128 columns.
int64_t getTensorCoreFlashValueSplit(AttentionOp op);

/// Whether the kernel stages the block's queries in shared memory (more
/// than 256 contracted elements per row).
bool tensorCoreFlashStagesQueries(AttentionOp op);

/// Rows of the packed row space of `op`: query rows times the query heads
/// that share a KV head (packed into the rows of one block).
int64_t getTensorCoreFlashRows(AttentionOp op);

/// Blocks of the kernel's grid for `op` with `rowsPerBlock` rows per
/// block, before any split of the keys.
int64_t getTensorCoreFlashBlocks(AttentionOp op, int64_t rowsPerBlock);

/// Replaces `op` (on tensors) by buffers of its operands, a `gpu.launch` of
/// the kernel configured by `config`, and the tensor of its output (with
/// kv_splits, the log-sum-exp merge of the splits' partial outputs, in
/// linalg on tensors).
/// `checkTensorCoreFlash(op)` must hold.
LogicalResult buildTensorCoreFlashKernel(RewriterBase &rewriter, AttentionOp op,
                                         codegen::GpuFlashConfigAttr config);

} // namespace mlir::attn

#endif // ATTNC_CODEGEN_GPU_TENSORCOREFLASH_H
