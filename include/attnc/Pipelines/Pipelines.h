//===- Pipelines.h - attnc pass pipelines -----------------------*- C++ -*-===//

#ifndef ATTNC_PIPELINES_PIPELINES_H
#define ATTNC_PIPELINES_PIPELINES_H

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mlir::attn {

/// `attn-cpu-pipeline`: attn ops on tensors to the LLVM dialect, ready for
/// mlir-translate or the ExecutionEngine.
void buildCpuPipeline(OpPassManager &pm);

/// Registers every named attnc pipeline with the global pass registry.
void registerPipelines();

} // namespace mlir::attn

#endif // ATTNC_PIPELINES_PIPELINES_H
