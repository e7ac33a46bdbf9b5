//===- CudaRunner.h - run attnc's GPU kernels through the driver API -*- C++ -*-===//
//
// Loads the kernels that `attnc --target=nvptx` wrote and runs one function
// of its launch descriptor: device buffers allocated, inputs copied in,
// outputs poisoned with NaN, the launches in order, outputs copied out;
// optionally timed with CUDA events. The CUDA driver (libcuda.so.1) is
// opened at run time, so the runner builds and starts on machines without
// one and says so. No MLIR or LLVM dependency.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_CUDA_CUDARUNNER_H
#define ATTNC_RUNTIME_CUDA_CUDARUNNER_H

#include "attnc/Runtime/Cuda/LaunchDescriptor.h"
#include "attnc/Runtime/Npy.h"

#include <memory>
#include <string>
#include <vector>

namespace attnc::runtime {

struct GpuTimes {
  double medianMs = 0, minMs = 0;
  unsigned iterations = 0;
};

class CudaRunner {
public:
  /// Opens the driver, device `device`, and loads the descriptor's binary
  /// (`binaryPath`). Null with `error` set on failure (no driver, no device,
  /// a binary the driver rejects, with its log).
  static std::unique_ptr<CudaRunner> create(const LaunchDescriptor &descriptor,
                                            const std::string &binaryPath,
                                            int device, std::string &error);
  ~CudaRunner();

  /// The device's name and compute capability, e.g. "NVIDIA H200 (sm_90)".
  std::string describeDevice() const;

  /// Runs `function` on `inputs` (checked against its input buffers in
  /// number, dtype and shape) into `outputs`; with `iterations` > 0, then
  /// times as many more runs (launches only, inputs resident) with CUDA
  /// events. False with `error` set on failure.
  bool run(const GpuFunction &function, const std::vector<NpyArray> &inputs,
           std::vector<NpyArray> &outputs, unsigned iterations, GpuTimes &times,
           std::string &error);

  struct Driver;

private:
  CudaRunner() = default;
  std::unique_ptr<Driver> driver;
};

} // namespace attnc::runtime

#endif // ATTNC_RUNTIME_CUDA_CUDARUNNER_H
