//===- GpuTarget.h - the NVIDIA GPU attnc compiles for ----------*- C++ -*-===//
//
// The chip, PTX ISA version and CUDA toolkit of a GPU compilation, checked
// once: LLVM's NVPTX backend aborts the process on a PTX version the chip
// does not support, and gpu-module-to-binary without a toolkit path exits
// successfully with libdevice's functions left unresolved.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TARGET_GPU_GPUTARGET_H
#define ATTNC_TARGET_GPU_GPUTARGET_H

#include "mlir/Support/LLVM.h"

#include <optional>
#include <string>

namespace mlir::attn {

/// What a GPU compilation writes.
enum class GpuBinaryKind { Ptx, Cubin, Fatbin };

struct GpuTarget {
  /// sm_80, sm_86, sm_89, sm_90 or sm_90a.
  std::string chip;
  /// PTX ISA version times ten (80: PTX 8.0).
  unsigned ptxVersion = 80;
  /// The CUDA toolkit's root: nvvm/libdevice and bin/ptxas below it.
  std::string toolkitPath;

  /// The chip's compute capability times ten (sm_90a: 90).
  unsigned getComputeCapability() const;
  /// The PTX version as an LLVM feature: "+ptx80".
  std::string getFeatures() const;
  /// gpu-module-to-binary's format for `kind`: isa, bin, fatbin.
  static StringRef getBinaryFormat(GpuBinaryKind kind);
  /// The user-facing name of `kind` (ptx, cubin, fatbin), as --emit, the C
  /// API and the launch descriptor spell it.
  static StringRef getBinaryKindName(GpuBinaryKind kind);
  /// The kind named `name`, or nothing.
  static std::optional<GpuBinaryKind> parseBinaryKind(StringRef name);

  /// Checks `chip`, `ptxVersion` (0: the chip's default, at least 8.0) and
  /// the toolkit (empty: $CUDA_HOME, else /usr/local/cuda) for `kind`: the
  /// chip must be one attnc knows, the PTX version one it supports, and the
  /// toolkit must have libdevice (and, for cubin and fatbin, ptxas).
  /// On failure returns it with `error` set.
  static FailureOr<GpuTarget> lookup(StringRef chip, unsigned ptxVersion,
                                     StringRef toolkitPath, GpuBinaryKind kind,
                                     std::string &error);
};

} // namespace mlir::attn

#endif // ATTNC_TARGET_GPU_GPUTARGET_H
