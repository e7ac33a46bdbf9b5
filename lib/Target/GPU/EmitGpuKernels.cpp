//===- EmitGpuKernels.cpp - attn-gpu-pipeline to kernels and launches -----===//

#include "attnc/Target/GPU/EmitGpuKernels.h"

#include "attnc/Pipelines/Pipelines.h"
#include "attnc/Target/CPU/EmitLibrary.h"
#include "attnc/Target/CPU/JitRunner.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::attn;

namespace {
/// One device buffer of a function: an input, an output or a temporary.
struct Buffer {
  std::string kind;
  int64_t index;
  MemRefType type;
};

/// The buffers of one host function and what each value refers to.
class HostFunction {
public:
  explicit HostFunction(func::FuncOp func) : func(func) {}

  /// Reads the function's body; fails with a located error on an op that is
  /// not an allocation, a view, a constant or a launch.
  LogicalResult analyze() {
    for (auto [i, arg] : llvm::enumerate(func.getArguments())) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      if (!type)
        return emitError(arg.getLoc())
               << "GPU functions take buffers; argument #" << i << " is "
               << arg.getType();
      roots[arg] = addBuffer("input", i, type);
    }
    for (Operation &op : func.getBody().front()) {
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        if (!alloc.getType().hasStaticShape())
          return alloc.emitError("GPU functions need static shapes");
        if (getNpyDescr(alloc.getType().getElementType()).empty())
          return alloc.emitError("GPU buffers of element type ")
                 << alloc.getType().getElementType()
                 << " are not supported yet";
        roots[alloc] = addBuffer("temporary", 0, alloc.getType());
        continue;
      }
      if (isa<memref::ExpandShapeOp, memref::CollapseShapeOp,
              memref::SubViewOp>(op)) {
        // A view of the same memory; kernels apply its static offset and
        // strides to their buffer's pointer.
        if (!isStaticView(cast<MemRefType>(op.getResult(0).getType())))
          return op.emitError("GPU host code: views must have a static "
                              "offset and strides");
        auto it = roots.find(op.getOperand(0));
        if (it == roots.end())
          return op.emitError("GPU host code: a view of an unknown buffer");
        roots[op.getResult(0)] = it->second;
        continue;
      }
      if (isa<arith::ConstantOp, memref::DeallocOp, gpu::LaunchFuncOp,
              func::ReturnOp>(op))
        continue;
      return op.emitError("GPU host code may only allocate buffers, take "
                          "views and launch kernels; this op is not "
                          "supported there yet");
    }
    auto ret = cast<func::ReturnOp>(func.getBody().front().getTerminator());
    for (auto [i, value] : llvm::enumerate(ret.getOperands())) {
      auto it = roots.find(value);
      if (it == roots.end() || buffers[it->second].kind != "temporary" ||
          value.getType() != buffers[it->second].type)
        return ret.emitError("GPU functions must return buffers they "
                             "allocate whole; result #")
               << i << " is not one";
      buffers[it->second].kind = "output";
      buffers[it->second].index = i;
    }
    return success();
  }

  llvm::json::Object toJson() {
    llvm::json::Array jsonBuffers;
    for (const Buffer &buffer : buffers) {
      llvm::json::Array shape;
      for (int64_t d : buffer.type.getShape())
        shape.push_back(d);
      int64_t bytes = buffer.type.getNumElements() *
                      llvm::divideCeil(buffer.type.getElementTypeBitWidth(), 8);
      llvm::json::Object entry{{"kind", buffer.kind},
                               {"dtype", getNpyDescr(buffer.type.getElementType())},
                               {"shape", std::move(shape)},
                               {"bytes", bytes}};
      if (buffer.kind != "temporary")
        entry["index"] = buffer.index;
      jsonBuffers.push_back(std::move(entry));
    }
    return llvm::json::Object{{"name", func.getName()},
                              {"buffers", std::move(jsonBuffers)}};
  }

  /// The buffer a kernel argument refers to, or -1.
  int64_t getBuffer(Value value) const {
    auto it = roots.find(value);
    return it == roots.end() ? -1 : it->second;
  }

private:
  static bool isStaticView(MemRefType type) {
    int64_t offset;
    SmallVector<int64_t> strides;
    return type.hasStaticShape() &&
           succeeded(type.getStridesAndOffset(strides, offset)) &&
           !ShapedType::isDynamic(offset) &&
           llvm::none_of(strides, ShapedType::isDynamic);
  }

  unsigned addBuffer(StringRef kind, int64_t index, MemRefType type) {
    buffers.push_back({kind.str(), index, type});
    return buffers.size() - 1;
  }

  func::FuncOp func;
  SmallVector<Buffer> buffers;
  DenseMap<Value, unsigned> roots;
};

/// The constant value of a launch dimension, or nothing.
/// The value of an index or integer constant (grid and block sizes are
/// indices, the dynamic shared memory size an i32).
std::optional<int64_t> getConstant(Value v) {
  APInt value;
  if (matchPattern(v, m_ConstantInt(&value)))
    return value.getSExtValue();
  return std::nullopt;
}
} // namespace

FailureOr<std::string> attn::buildLaunchDescriptor(ModuleOp module,
                                                   const GpuTarget &target,
                                                   GpuBinaryKind kind,
                                                   StringRef binaryFile) {
  llvm::json::Array functions;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal() || func.isPrivate())
      continue;
    HostFunction host(func);
    if (failed(host.analyze()))
      return failure();
    llvm::json::Array launches;
    WalkResult walk = func.walk([&](gpu::LaunchFuncOp launch) {
      gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
      gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
      llvm::json::Array gridDims, blockDims;
      for (Value v : {grid.x, grid.y, grid.z, block.x, block.y, block.z}) {
        std::optional<int64_t> c = getConstant(v);
        if (!c) {
          launch.emitError("GPU launches need constant grid and block sizes");
          return WalkResult::interrupt();
        }
        (gridDims.size() < 3 ? gridDims : blockDims).push_back(*c);
      }
      // CUDA's limits: grid y and z at most 65535, 1024 threads a block.
      if (*getConstant(grid.y) > 65535 || *getConstant(grid.z) > 65535 ||
          *getConstant(block.x) * *getConstant(block.y) *
                  *getConstant(block.z) > 1024) {
        launch.emitError("the launch exceeds CUDA's grid or block limits");
        return WalkResult::interrupt();
      }
      int64_t sharedBytes = 0;
      if (Value shared = launch.getDynamicSharedMemorySize()) {
        std::optional<int64_t> c = getConstant(shared);
        if (!c) {
          launch.emitError("GPU launches need a constant shared memory size");
          return WalkResult::interrupt();
        }
        sharedBytes = *c;
      }
      llvm::json::Array args;
      for (Value operand : launch.getKernelOperands()) {
        int64_t buffer = host.getBuffer(operand);
        if (buffer < 0) {
          launch.emitError("GPU kernel arguments must be buffers of the "
                           "function; got ")
              << operand.getType();
          return WalkResult::interrupt();
        }
        args.push_back(buffer);
      }
      launches.push_back(llvm::json::Object{
          {"kernel", launch.getKernelName().getValue()},
          {"grid", std::move(gridDims)},
          {"block", std::move(blockDims)},
          {"shared_memory_bytes", sharedBytes},
          {"args", std::move(args)}});
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return failure();
    llvm::json::Object entry = host.toJson();
    entry["launches"] = std::move(launches);
    functions.push_back(std::move(entry));
  }
  StringRef format = GpuTarget::getBinaryKindName(kind);
  llvm::json::Object descriptor{
      {"format", "attnc-gpu-launch/1"},
      {"binary", llvm::json::Object{{"file", binaryFile}, {"format", format}}},
      {"chip", target.chip},
      {"ptx_version", static_cast<int64_t>(target.ptxVersion)},
      {"calling_convention", "one device pointer per buffer, in args order"},
      {"functions", std::move(functions)}};
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(descriptor)))
     << "\n";
  return text;
}

/// Writes `bytes` to a temporary beside `path`; `temps` keeps its name for
/// the rename once every file is written.
static LogicalResult writeTemporary(Location loc, StringRef path,
                                    StringRef bytes,
                                    SmallVectorImpl<std::string> &temps) {
  std::string temp = (path + ".attnc-tmp").str();
  std::error_code ec;
  llvm::raw_fd_ostream os(temp, ec, llvm::sys::fs::OF_None);
  if (ec)
    return emitError(loc) << "cannot write " << path << ": " << ec.message();
  temps.push_back(temp);
  os << bytes;
  os.close();
  if (os.has_error())
    return emitError(loc) << "cannot write " << path;
  return success();
}

LogicalResult attn::emitGpuKernels(ModuleOp module, StringRef outputPath,
                                   const EmitGpuOptions &options) {
  Location loc = module.getLoc();
  if (outputPath == "-" && !options.emitMlir)
    return emitError(loc) << "GPU kernels and their launch descriptor need an "
                             "output file (-o)";
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.isExternal() || func.isPrivate())
      continue;
    if (failed(checkStaticShapes(func)))
      return failure();
    std::string error;
    if (!hasHostArraySignature(func, error))
      return func.emitError(error);
  }
  PassManager pm(module.getContext());
  GpuPipelineOptions pipelineOptions;
  pipelineOptions.chip = options.target.chip;
  pipelineOptions.features = options.target.getFeatures();
  pipelineOptions.toolkit = options.target.toolkitPath;
  pipelineOptions.format = GpuTarget::getBinaryFormat(options.kind).str();
  buildGpuPipeline(pm, pipelineOptions);
  if (failed(pm.run(module)))
    return emitError(loc) << "attn-gpu-pipeline failed";

  if (options.emitMlir) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module.print(os);
    if (outputPath == "-") {
      llvm::outs() << text;
      return success();
    }
    SmallVector<std::string> temps;
    if (failed(writeTemporary(loc, outputPath, text, temps)))
      return failure();
    if (std::error_code ec = llvm::sys::fs::rename(temps.front(), outputPath)) {
      llvm::sys::fs::remove(temps.front());
      return emitError(loc) << "cannot write " << outputPath << ": "
                            << ec.message();
    }
    return success();
  }

  // The one binary of kernels (attn-gpu-merge-kernel-modules).
  SmallVector<gpu::BinaryOp> binaries(module.getOps<gpu::BinaryOp>());
  if (binaries.size() != 1)
    return emitError(loc) << "attn-gpu-pipeline made " << binaries.size()
                          << " kernel binaries, expected one";
  auto object = dyn_cast<gpu::ObjectAttr>(binaries.front().getObjects()[0]);
  if (!object)
    return emitError(loc) << "the kernel binary has no object";
  std::string descriptorPath = options.descriptorPath.empty()
                                   ? (outputPath + ".json").str()
                                   : options.descriptorPath;
  // The descriptor names the binary relative to its own directory when
  // both lie in one, else by its absolute path.
  SmallString<256> binaryAbsolute(outputPath), descriptorAbsolute(descriptorPath);
  if (llvm::sys::fs::make_absolute(binaryAbsolute) ||
      llvm::sys::fs::make_absolute(descriptorAbsolute))
    return emitError(loc) << "cannot resolve " << outputPath;
  if (binaryAbsolute == descriptorAbsolute)
    return emitError(loc) << "the kernels and the launch descriptor need "
                             "different files, both are "
                          << outputPath;
  std::string binaryFile =
      llvm::sys::path::parent_path(binaryAbsolute) ==
              llvm::sys::path::parent_path(descriptorAbsolute)
          ? llvm::sys::path::filename(binaryAbsolute).str()
          : binaryAbsolute.str().str();
  FailureOr<std::string> descriptor = buildLaunchDescriptor(
      module, options.target, options.kind, binaryFile);
  if (failed(descriptor))
    return failure();
  // Both files, or neither.
  SmallVector<std::string> temps;
  auto removeTemps = [&]() {
    for (const std::string &temp : temps)
      llvm::sys::fs::remove(temp);
  };
  if (failed(writeTemporary(loc, outputPath, object.getObject().getValue(),
                            temps)) ||
      failed(writeTemporary(loc, descriptorPath, *descriptor, temps))) {
    removeTemps();
    return failure();
  }
  SmallVector<std::string> destinations = {outputPath.str(), descriptorPath};
  for (auto [i, temp] : llvm::enumerate(temps))
    if (std::error_code ec = llvm::sys::fs::rename(temp, destinations[i])) {
      removeTemps();
      // A binary without its descriptor would launch with another's.
      if (i == 1)
        llvm::sys::fs::remove(destinations[0]);
      return emitError(loc) << "cannot write " << destinations[i] << ": "
                            << ec.message();
    }
  return success();
}
