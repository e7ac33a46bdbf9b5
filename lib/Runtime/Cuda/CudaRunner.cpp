//===- CudaRunner.cpp - run attnc's GPU kernels through the driver API ----===//

#include "attnc/Runtime/Cuda/CudaRunner.h"

#include <cuda.h>

#include <algorithm>
#include <cstring>
#include <dlfcn.h>
#include <fstream>
#include <iterator>
#include <map>

using namespace attnc::runtime;

/// The driver entry points, resolved from libcuda.so.1 by their versioned
/// names (cuda.h maps cuMemAlloc to cuMemAlloc_v2 and so on).
struct CudaRunner::Driver {
  void *library = nullptr;
  CUcontext context = nullptr;
  CUdevice device = 0;
  CUmodule module = nullptr;
  std::map<std::string, CUfunction> functions;

#define ATTNC_CUDA_FUNCTIONS(X)                                                \
  X(cuInit, "cuInit", unsigned)                                                \
  X(cuDeviceGet, "cuDeviceGet", CUdevice *, int)                               \
  X(cuDeviceGetName, "cuDeviceGetName", char *, int, CUdevice)                 \
  X(cuDeviceGetAttribute, "cuDeviceGetAttribute", int *, CUdevice_attribute,   \
    CUdevice)                                                                  \
  X(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain", CUcontext *,         \
    CUdevice)                                                                  \
  X(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2", CUdevice)       \
  X(cuCtxSetCurrent, "cuCtxSetCurrent", CUcontext)                             \
  X(cuCtxSynchronize, "cuCtxSynchronize")                                      \
  X(cuModuleLoadDataEx, "cuModuleLoadDataEx", CUmodule *, const void *,        \
    unsigned, CUjit_option *, void **)                                         \
  X(cuModuleUnload, "cuModuleUnload", CUmodule)                                \
  X(cuModuleGetFunction, "cuModuleGetFunction", CUfunction *, CUmodule,        \
    const char *)                                                              \
  X(cuFuncSetAttribute, "cuFuncSetAttribute", CUfunction,                      \
    CUfunction_attribute, int)                                                 \
  X(cuMemAlloc, "cuMemAlloc_v2", CUdeviceptr *, size_t)                        \
  X(cuMemFree, "cuMemFree_v2", CUdeviceptr)                                    \
  X(cuMemcpyHtoD, "cuMemcpyHtoD_v2", CUdeviceptr, const void *, size_t)        \
  X(cuMemcpyDtoH, "cuMemcpyDtoH_v2", void *, CUdeviceptr, size_t)              \
  X(cuMemsetD8, "cuMemsetD8_v2", CUdeviceptr, unsigned char, size_t)          \
  X(cuLaunchKernel, "cuLaunchKernel", CUfunction, unsigned, unsigned,          \
    unsigned, unsigned, unsigned, unsigned, unsigned, CUstream, void **,       \
    void **)                                                                   \
  X(cuEventCreate, "cuEventCreate", CUevent *, unsigned)                       \
  X(cuEventDestroy, "cuEventDestroy_v2", CUevent)                              \
  X(cuEventRecord, "cuEventRecord", CUevent, CUstream)                         \
  X(cuEventSynchronize, "cuEventSynchronize", CUevent)                         \
  X(cuGetErrorString, "cuGetErrorString", CUresult, const char **)

#define ATTNC_DECLARE(name, symbol, ...) CUresult (*name)(__VA_ARGS__) = nullptr;
  ATTNC_CUDA_FUNCTIONS(ATTNC_DECLARE)
#undef ATTNC_DECLARE
  /// For timing only: cuEventElapsedTime_v2 (CUDA 12.8 drivers and newer),
  /// else the older entry point.
  CUresult (*cuEventElapsedTime)(float *, CUevent, CUevent) = nullptr;

  bool open(std::string &error) {
    library = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      error = "no CUDA driver on this machine (libcuda.so.1 cannot be "
              "loaded)";
      return false;
    }
#define ATTNC_RESOLVE(name, symbol, ...)                                       \
  name = reinterpret_cast<decltype(name)>(dlsym(library, symbol));             \
  if (!name) {                                                                 \
    error = std::string("the CUDA driver lacks ") + symbol;                    \
    return false;                                                              \
  }
    ATTNC_CUDA_FUNCTIONS(ATTNC_RESOLVE)
#undef ATTNC_RESOLVE
    for (const char *symbol : {"cuEventElapsedTime_v2", "cuEventElapsedTime"})
      if (!cuEventElapsedTime)
        cuEventElapsedTime = reinterpret_cast<decltype(cuEventElapsedTime)>(
            dlsym(library, symbol));
    return true;
  }

  /// False with `error` set to "what: the driver's message" on failure.
  bool check(CUresult result, const std::string &what, std::string &error) {
    if (result == CUDA_SUCCESS)
      return true;
    const char *message = nullptr;
    if (cuGetErrorString)
      cuGetErrorString(result, &message);
    if (result == CUDA_ERROR_STUB_LIBRARY)
      message = "libcuda.so.1 is the toolkit's stub, not a GPU driver";
    error = what + ": " + (message ? message : "CUDA error") + " (" +
            std::to_string(static_cast<int>(result)) + ")";
    return false;
  }

  ~Driver() {
    if (module)
      cuModuleUnload(module);
    if (context)
      cuDevicePrimaryCtxRelease(device);
    if (library)
      dlclose(library);
  }
};

std::unique_ptr<CudaRunner>
CudaRunner::create(const LaunchDescriptor &descriptor,
                   const std::string &binaryPath, int device,
                   std::string &error) {
  std::unique_ptr<CudaRunner> runner(new CudaRunner());
  runner->driver = std::make_unique<Driver>();
  Driver &d = *runner->driver;
  if (!d.open(error) || !d.check(d.cuInit(0), "cuInit", error) ||
      !d.check(d.cuDeviceGet(&d.device, device),
               "device " + std::to_string(device), error) ||
      !d.check(d.cuDevicePrimaryCtxRetain(&d.context, d.device),
               "cuDevicePrimaryCtxRetain", error) ||
      !d.check(d.cuCtxSetCurrent(d.context), "cuCtxSetCurrent", error))
    return nullptr;
  std::ifstream file(binaryPath, std::ios::binary);
  if (!file) {
    error = "cannot read the kernels at " + binaryPath;
    return nullptr;
  }
  std::string image((std::istreambuf_iterator<char>(file)),
                    std::istreambuf_iterator<char>());
  // PTX is text the driver compiles and must end in NUL.
  image.push_back('\0');
  char log[8192] = {0};
  CUjit_option options[] = {CU_JIT_ERROR_LOG_BUFFER,
                            CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {log, reinterpret_cast<void *>(sizeof(log))};
  if (!d.check(d.cuModuleLoadDataEx(&d.module, image.data(), 2, options, values),
               "loading " + binaryPath, error)) {
    if (log[0])
      error += "\n" + std::string(log);
    return nullptr;
  }
  for (const GpuFunction &function : descriptor.functions)
    for (const GpuLaunch &launch : function.launches) {
      if (d.functions.count(launch.kernel))
        continue;
      CUfunction kernel;
      if (!d.check(d.cuModuleGetFunction(&kernel, d.module, launch.kernel.c_str()),
                   "kernel " + launch.kernel, error))
        return nullptr;
      d.functions[launch.kernel] = kernel;
    }
  return runner;
}

CudaRunner::~CudaRunner() = default;

std::string CudaRunner::describeDevice() const {
  char name[256] = {0};
  int major = 0, minor = 0;
  driver->cuDeviceGetName(name, sizeof(name), driver->device);
  driver->cuDeviceGetAttribute(
      &major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, driver->device);
  driver->cuDeviceGetAttribute(
      &minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, driver->device);
  return std::string(name) + " (sm_" + std::to_string(major) +
         std::to_string(minor) + ")";
}

namespace {
/// "dtype float32, shape (1, 2)" for messages.
std::string describe(const std::string &dtype, const std::vector<int64_t> &shape) {
  std::string text = "dtype " + dtype + ", shape (";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

/// Device buffers freed on every path.
struct DeviceBuffers {
  CudaRunner::Driver &driver;
  std::vector<CUdeviceptr> pointers;
  ~DeviceBuffers() {
    for (CUdeviceptr p : pointers)
      if (p)
        driver.cuMemFree(p);
  }
};
} // namespace

bool CudaRunner::run(const GpuFunction &function,
                     const std::vector<NpyArray> &inputs,
                     std::vector<NpyArray> &outputs, unsigned iterations,
                     GpuTimes &times, std::string &error) {
  Driver &d = *driver;
  std::vector<int64_t> inputIds = function.getBuffers("input");
  std::vector<int64_t> outputIds = function.getBuffers("output");
  if (inputs.size() != inputIds.size()) {
    error = "@" + function.name + " takes " + std::to_string(inputIds.size()) +
            " inputs, got " + std::to_string(inputs.size());
    return false;
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    const GpuBuffer &buffer = function.buffers[inputIds[i]];
    if (inputs[i].descr != buffer.dtype || inputs[i].shape != buffer.shape) {
      error = "input #" + std::to_string(i) + " does not match @" +
              function.name + ": expected " +
              describe(buffer.dtype, buffer.shape) + ", got " +
              describe(inputs[i].descr, inputs[i].shape);
      return false;
    }
  }
  DeviceBuffers device{d, std::vector<CUdeviceptr>(function.buffers.size(), 0)};
  for (size_t i = 0; i < function.buffers.size(); ++i)
    if (!d.check(d.cuMemAlloc(&device.pointers[i],
                              std::max<int64_t>(function.buffers[i].bytes, 4)),
                 "allocating " + std::to_string(function.buffers[i].bytes) +
                     " bytes",
                 error))
      return false;
  for (size_t i = 0; i < inputs.size(); ++i)
    if (!d.check(d.cuMemcpyHtoD(device.pointers[inputIds[i]],
                                inputs[i].data.data(), inputs[i].data.size()),
                 "copying input #" + std::to_string(i), error))
      return false;
  // Outputs and temporaries start as all-ones bytes, a NaN at every float
  // width: a kernel that leaves an element unwritten shows, instead of
  // passing on whatever was there.
  for (size_t i = 0; i < function.buffers.size(); ++i)
    if (function.buffers[i].kind != "input" &&
        !d.check(d.cuMemsetD8(device.pointers[i], 0xFF,
                              function.buffers[i].bytes),
                 "poisoning a buffer", error))
      return false;
  for (const GpuLaunch &launch : function.launches)
    if (launch.sharedMemoryBytes > 48 * 1024 &&
        !d.check(d.cuFuncSetAttribute(
                     d.functions[launch.kernel],
                     CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                     launch.sharedMemoryBytes),
                 "shared memory of " + launch.kernel, error))
      return false;
  // Each launch's kernel and parameters, resolved once: the timed runs
  // repeat only the launches. A parameter points at its buffer's device
  // pointer (one pointer per buffer, MLIR's bare-pointer convention).
  std::vector<CUfunction> kernels;
  std::vector<std::vector<void *>> params;
  for (const GpuLaunch &launch : function.launches) {
    kernels.push_back(d.functions[launch.kernel]);
    params.emplace_back();
    for (int64_t buffer : launch.args)
      params.back().push_back(&device.pointers[buffer]);
  }
  auto launchAll = [&]() {
    for (size_t i = 0; i < function.launches.size(); ++i) {
      const GpuLaunch &launch = function.launches[i];
      if (!d.check(d.cuLaunchKernel(kernels[i], launch.grid[0], launch.grid[1],
                                    launch.grid[2], launch.block[0],
                                    launch.block[1], launch.block[2],
                                    launch.sharedMemoryBytes, nullptr,
                                    params[i].data(), nullptr),
                   "launching " + launch.kernel, error))
        return false;
    }
    return true;
  };
  if (!launchAll() || !d.check(d.cuCtxSynchronize(), "running @" + function.name,
                               error))
    return false;
  outputs.clear();
  outputs.resize(outputIds.size());
  for (size_t i = 0; i < outputIds.size(); ++i) {
    const GpuBuffer &buffer = function.buffers[outputIds[i]];
    outputs[i].descr = buffer.dtype;
    outputs[i].shape = buffer.shape;
    outputs[i].data.resize(buffer.bytes);
    if (!d.check(d.cuMemcpyDtoH(outputs[i].data.data(), device.pointers[outputIds[i]],
                                buffer.bytes),
                 "copying output #" + std::to_string(i), error))
      return false;
  }
  if (iterations == 0)
    return true;
  if (!d.cuEventElapsedTime) {
    error = "the CUDA driver has no cuEventElapsedTime to time with";
    return false;
  }
  CUevent start, stop;
  if (!d.check(d.cuEventCreate(&start, CU_EVENT_DEFAULT), "cuEventCreate", error) ||
      !d.check(d.cuEventCreate(&stop, CU_EVENT_DEFAULT), "cuEventCreate", error))
    return false;
  std::vector<double> samples;
  bool ok = true;
  for (unsigned i = 0; ok && i < iterations; ++i) {
    float ms = 0;
    ok = d.check(d.cuEventRecord(start, nullptr), "cuEventRecord", error) &&
         launchAll() &&
         d.check(d.cuEventRecord(stop, nullptr), "cuEventRecord", error) &&
         d.check(d.cuEventSynchronize(stop), "running @" + function.name, error) &&
         d.check(d.cuEventElapsedTime(&ms, start, stop), "cuEventElapsedTime",
                 error);
    samples.push_back(ms);
  }
  d.cuEventDestroy(start);
  d.cuEventDestroy(stop);
  if (!ok)
    return false;
  std::sort(samples.begin(), samples.end());
  times.iterations = iterations;
  times.minMs = samples.front();
  times.medianMs = samples[samples.size() / 2];
  return true;
}
