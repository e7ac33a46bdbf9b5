//===- EmitGpuKernels.h - attn-gpu-pipeline to kernels and launches -*- C++ -*-===//
//
// Compiles every public function of a module through attn-gpu-pipeline into
// one binary of kernels (PTX, cubin or fatbin) and a launch descriptor: per
// function, the device buffers it needs (its inputs, outputs and
// temporaries, with dtype and shape) and the kernel launches in order
// (grid, block, dynamic shared memory, buffers as arguments, one pointer
// each). A host program, a serving engine or attn-gpu-run launches the
// kernels from these two files alone (docs/gpu.md, "Launch descriptor").
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TARGET_GPU_EMITGPUKERNELS_H
#define ATTNC_TARGET_GPU_EMITGPUKERNELS_H

#include "attnc/Target/GPU/GpuTarget.h"

#include "mlir/IR/BuiltinOps.h"

#include <string>

namespace mlir::attn {

struct EmitGpuOptions {
  GpuTarget target;
  GpuBinaryKind kind = GpuBinaryKind::Ptx;
  /// Write the lowered module (host launches and gpu.binary) instead of
  /// the binary; no descriptor.
  bool emitMlir = false;
  /// Where the launch descriptor goes; empty: the output with .json added.
  std::string descriptorPath;
};

/// The launch descriptor (JSON) of `module` after attn-gpu-pipeline, whose
/// binary is written to `binaryFile`; fails with a located error on host
/// code that is not allocations, views and launches.
FailureOr<std::string> buildLaunchDescriptor(ModuleOp module,
                                             const GpuTarget &target,
                                             GpuBinaryKind kind,
                                             StringRef binaryFile);

/// Lowers `module` in place and writes `outputPath` and the descriptor.
/// Nothing is left at either path on failure; errors are diagnostics on the
/// module's context.
LogicalResult emitGpuKernels(ModuleOp module, StringRef outputPath,
                             const EmitGpuOptions &options);

} // namespace mlir::attn

#endif // ATTNC_TARGET_GPU_EMITGPUKERNELS_H
