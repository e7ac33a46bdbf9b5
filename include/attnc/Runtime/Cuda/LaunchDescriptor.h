//===- LaunchDescriptor.h - attnc's GPU launch descriptor -------*- C++ -*-===//
//
// What `attnc --target=nvptx` writes beside its kernels (OUT.json,
// "attnc-gpu-launch/1"): per function, its device buffers and its kernel
// launches in order. No MLIR or LLVM dependency: the GPU machine that runs
// the kernels has neither.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_CUDA_LAUNCHDESCRIPTOR_H
#define ATTNC_RUNTIME_CUDA_LAUNCHDESCRIPTOR_H

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace attnc::runtime {

struct GpuBuffer {
  /// "input", "output" or "temporary".
  std::string kind;
  /// The input's or output's position in the function's signature.
  int64_t index = -1;
  /// NumPy type string ("<f4", "<u2" for bf16 bits, ...).
  std::string dtype;
  std::vector<int64_t> shape;
  int64_t bytes = 0;
};

struct GpuLaunch {
  std::string kernel;
  std::array<unsigned, 3> grid{}, block{};
  unsigned sharedMemoryBytes = 0;
  /// Buffers (indices into GpuFunction::buffers), one device pointer each.
  std::vector<int64_t> args;
};

struct GpuFunction {
  std::string name;
  std::vector<GpuBuffer> buffers;
  std::vector<GpuLaunch> launches;

  /// The buffers of `kind` ordered by their index.
  std::vector<int64_t> getBuffers(const std::string &kind) const;
};

struct LaunchDescriptor {
  std::string binaryFile;
  /// "ptx", "cubin" or "fatbin".
  std::string binaryFormat;
  std::string chip;
  std::vector<GpuFunction> functions;

  const GpuFunction *lookup(const std::string &name) const;
};

/// Parses a descriptor; on failure returns false with `error` saying what
/// is wrong.
bool parseLaunchDescriptor(const std::string &text, LaunchDescriptor &result,
                           std::string &error);

} // namespace attnc::runtime

#endif // ATTNC_RUNTIME_CUDA_LAUNCHDESCRIPTOR_H
