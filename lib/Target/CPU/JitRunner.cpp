//===- JitRunner.cpp - run functions compiled for the host ----------------===//

#include "attnc/Target/CPU/JitRunner.h"
#include "attnc/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

using namespace mlir;
using attnc::runtime::NpyArray;

std::unique_ptr<llvm::TargetMachine>
attn::createJitTargetMachine(const CpuTarget &target, std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> machine =
      target.getJitTargetMachineBuilder().createTargetMachine();
  if (!machine) {
    error = "cannot create a target machine for the JIT: " +
            llvm::toString(machine.takeError());
    return nullptr;
  }
  return std::move(*machine);
}

std::string attn::getNpyDescr(Type type) {
  if (type.isF32())
    return "<f4";
  if (type.isF64())
    return "<f8";
  if (type.isF16())
    return "<f2";
  if (type.isBF16())
    return "<u2";
  if (type.isInteger(32))
    return "<i4";
  if (type.isInteger(64))
    return "<i8";
  if (type.isInteger(1))
    return "|b1";
  return "";
}

bool attn::hasHostArraySignature(func::FuncOp func, std::string &error) {
  auto check = [&](Type type, const std::string &what) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (tensor && tensor.hasStaticShape() &&
        !getNpyDescr(tensor.getElementType()).empty())
      return true;
    std::string typeText;
    llvm::raw_string_ostream os(typeText);
    os << type;
    error = "@" + func.getName().str() + " " + what + " has type " +
            typeText +
            "; compiled functions are called with statically shaped tensors "
            "of f32, f64, f16, bf16, i32, i64 or i1";
    return false;
  };
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
    if (!check(type, "argument #" + std::to_string(i)))
      return false;
  for (auto [i, type] : llvm::enumerate(func.getResultTypes()))
    if (!check(type, "result #" + std::to_string(i)))
      return false;
  return true;
}

//===----------------------------------------------------------------------===//
// Memref descriptors
//===----------------------------------------------------------------------===//

// A ranked memref descriptor as the LLVM lowering lays it out, in 64-bit
// words: {allocated, aligned, offset, sizes[rank], strides[rank]}.
static size_t getDescriptorWords(unsigned rank) { return 3 + 2 * rank; }

static std::vector<int64_t> makeInputDescriptor(const NpyArray &array) {
  unsigned rank = array.shape.size();
  std::vector<int64_t> words(getDescriptorWords(rank), 0);
  words[0] = words[1] = reinterpret_cast<int64_t>(array.data.data());
  int64_t stride = 1;
  for (int i = rank - 1; i >= 0; --i) {
    words[3 + i] = array.shape[i];
    words[3 + rank + i] = stride;
    stride *= array.shape[i];
  }
  return words;
}

attn::JitResults::JitResults(FunctionType type, std::vector<int64_t> words,
                       std::vector<const void *> inputBuffers)
    : type(type), words(std::move(words)),
      inputBuffers(std::move(inputBuffers)) {
  unsigned offset = 0;
  for (Type result : type.getResults()) {
    offsets.push_back(offset);
    offset += getDescriptorWords(cast<RankedTensorType>(result).getRank());
  }
}

attn::JitResults::~JitResults() {
  // Results are heap buffers that the compiled code hands over, unless they
  // alias an input (a function may return its argument) or a constant
  // (memref.get_global lowers to this marker as its allocated pointer). A
  // buffer returned twice is freed once.
  constexpr intptr_t kGlobalMarker = 0xdeadbeef;
  std::vector<void *> freed;
  for (unsigned i = 0; i < size(); ++i) {
    void *allocated = reinterpret_cast<void *>(getDescriptor(i)[0]);
    if (!allocated || reinterpret_cast<intptr_t>(allocated) == kGlobalMarker ||
        llvm::is_contained(inputBuffers, allocated) ||
        llvm::is_contained(freed, allocated))
      continue;
    std::free(allocated);
    freed.push_back(allocated);
  }
}

RankedTensorType attn::JitResults::getType(unsigned i) const {
  return cast<RankedTensorType>(type.getResult(i));
}

bool attn::JitResults::isContiguous(unsigned i) const {
  RankedTensorType tensor = getType(i);
  unsigned rank = tensor.getRank();
  const int64_t *desc = getDescriptor(i);
  int64_t expected = 1;
  for (int d = rank - 1; d >= 0; --d) {
    if (tensor.getDimSize(d) != 1 && desc[3 + rank + d] != expected)
      return false;
    expected *= tensor.getDimSize(d);
  }
  return true;
}

const char *attn::JitResults::getData(unsigned i) const {
  const int64_t *desc = getDescriptor(i);
  size_t itemSize = attnc::runtime::getNpyItemSize(
      attn::getNpyDescr(getType(i).getElementType()));
  return reinterpret_cast<const char *>(desc[1]) + desc[2] * itemSize;
}

NpyArray attn::JitResults::toArray(unsigned i) const {
  RankedTensorType tensor = getType(i);
  unsigned rank = tensor.getRank();
  NpyArray out;
  out.descr = attn::getNpyDescr(tensor.getElementType());
  out.shape.assign(tensor.getShape().begin(), tensor.getShape().end());
  size_t itemSize = attnc::runtime::getNpyItemSize(out.descr);
  size_t count = out.getNumElements();
  out.data.resize(count * itemSize);
  if (count == 0)
    return out;
  if (isContiguous(i)) {
    std::memcpy(out.data.data(), getData(i), count * itemSize);
    return out;
  }
  const int64_t *desc = getDescriptor(i);
  const char *base = reinterpret_cast<const char *>(desc[1]);
  std::vector<int64_t> index(rank, 0);
  for (size_t linear = 0; linear < count; ++linear) {
    int64_t element = desc[2];
    for (unsigned d = 0; d < rank; ++d)
      element += index[d] * desc[3 + rank + d];
    std::memcpy(out.data.data() + linear * itemSize, base + element * itemSize,
                itemSize);
    for (int d = rank - 1; d >= 0; --d) {
      if (++index[d] < tensor.getDimSize(d))
        break;
      index[d] = 0;
    }
  }
  return out;
}

//===----------------------------------------------------------------------===//
// JitFunction
//===----------------------------------------------------------------------===//

attn::JitFunction::~JitFunction() = default;

std::unique_ptr<attn::JitFunction>
attn::JitFunction::compile(ModuleOp module, StringRef name,
                           const CpuPipelineOptions &options,
                           unsigned numThreads, llvm::TargetMachine &host,
                           std::string &error) {
  OwningOpRef<ModuleOp> clone(module.clone());
  auto func = clone->lookupSymbol<func::FuncOp>(name);
  if (!func || func.isExternal()) {
    error = "no function @" + name.str() + " to compile";
    return nullptr;
  }
  if (!hasHostArraySignature(func, error))
    return nullptr;
  std::unique_ptr<JitFunction> compiled(new JitFunction());
  compiled->name = name.str();
  compiled->type = func.getFunctionType();
  func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                UnitAttr::get(module.getContext()));

  PassManager pm(module.getContext());
  buildCpuPipeline(pm, options);
  if (failed(pm.run(*clone))) {
    error = "compiling @" + name.str() + " through attn-cpu-pipeline failed";
    return nullptr;
  }

  // The options hold a function_ref: the transformer must outlive them.
  std::function<llvm::Error(llvm::Module *)> optimizer =
      makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0, &host);
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = optimizer;
  // MLIR's C runner utilities provide memrefCopy, which copies between
  // strided buffers lower to. OpenMP reads its settings when libomp is
  // loaded, which is now.
  SmallVector<StringRef> sharedLibs = {ATTNC_C_RUNNER_UTILS_PATH};
  if (numThreads > 1) {
    if (!llvm::sys::fs::exists(ATTNC_LIBOMP_PATH)) {
      error = std::to_string(numThreads) + " threads need libomp (" +
              ATTNC_LIBOMP_PATH + "), which is not installed";
      return nullptr;
    }
    setenv("OMP_NUM_THREADS", std::to_string(numThreads).c_str(), 1);
    setenv("OMP_PROC_BIND", "true", /*overwrite=*/0);
    sharedLibs.push_back(ATTNC_LIBOMP_PATH);
  }
  engineOptions.sharedLibPaths = sharedLibs;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(*clone, engineOptions);
  if (!engine) {
    error = "JIT compilation failed: " + llvm::toString(engine.takeError());
    return nullptr;
  }
  compiled->engine = std::move(*engine);
  return compiled;
}

bool attn::JitFunction::call(ArrayRef<NpyArray> inputs,
                             std::unique_ptr<JitResults> &results,
                             std::string &error) {
  if (inputs.size() != type.getNumInputs()) {
    error = "@" + name + " takes " + std::to_string(type.getNumInputs()) +
            " arguments, got " + std::to_string(inputs.size());
    return false;
  }
  // Arguments of the packed C-interface wrapper: a pointer to the results
  // (one struct of descriptors), then a pointer to each input descriptor.
  std::vector<std::vector<int64_t>> inputDescs;
  std::vector<const void *> inputBuffers;
  for (const NpyArray &array : inputs) {
    inputDescs.push_back(makeInputDescriptor(array));
    inputBuffers.push_back(array.data.data());
  }
  size_t resultWords = 0;
  for (Type result : type.getResults())
    resultWords += getDescriptorWords(cast<RankedTensorType>(result).getRank());
  std::vector<int64_t> resultStruct(std::max<size_t>(resultWords, 1), 0);
  void *resultPtr = resultStruct.data();
  std::vector<void *> inputPtrs;
  for (std::vector<int64_t> &desc : inputDescs)
    inputPtrs.push_back(desc.data());
  SmallVector<void *> packedArgs;
  if (type.getNumResults() > 0)
    packedArgs.push_back(&resultPtr);
  for (void *&ptr : inputPtrs)
    packedArgs.push_back(&ptr);

  if (llvm::Error err = engine->invokePacked("_mlir_ciface_" + name, packedArgs)) {
    error = "running @" + name + " failed: " + llvm::toString(std::move(err));
    return false;
  }
  resultStruct.resize(resultWords);
  results = std::make_unique<JitResults>(type, std::move(resultStruct),
                                         std::move(inputBuffers));
  return true;
}

bool attn::JitFunction::time(ArrayRef<NpyArray> inputs, unsigned iterations,
                             std::unique_ptr<JitResults> &results,
                             CallTimes &times, std::string &error) {
  std::vector<double> millis;
  for (unsigned iter = 0; iter < iterations; ++iter) {
    results.reset();
    auto start = std::chrono::steady_clock::now();
    if (!call(inputs, results, error))
      return false;
    auto end = std::chrono::steady_clock::now();
    millis.push_back(
        std::chrono::duration<double, std::milli>(end - start).count());
  }
  std::sort(millis.begin(), millis.end());
  size_t n = millis.size();
  times.iterations = n;
  if (n == 0)
    return true;
  times.median = n % 2 ? millis[n / 2] : 0.5 * (millis[n / 2 - 1] + millis[n / 2]);
  times.min = millis.front();
  return true;
}

static std::string typeToString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

bool attn::checkHostArguments(func::FuncOp func, ArrayRef<NpyArray> inputs,
                              ArrayRef<std::string> inputNames,
                              std::string &error) {
  FunctionType signature = func.getFunctionType();
  std::string name = func.getName().str();
  auto inputName = [&](unsigned i) {
    return i < inputNames.size() ? " (" + inputNames[i] + ")" : std::string();
  };
  if (inputs.size() != signature.getNumInputs()) {
    error = "@" + name + " takes " + std::to_string(signature.getNumInputs()) +
            " arguments but " + std::to_string(inputs.size()) +
            " --input files were given";
    return false;
  }
  for (auto [i, type] : llvm::enumerate(signature.getInputs())) {
    auto tensor = cast<RankedTensorType>(type);
    const NpyArray &array = inputs[i];
    std::string expected = getNpyDescr(tensor.getElementType());
    if (array.descr == expected && llvm::equal(tensor.getShape(), array.shape))
      continue;
    error = "input #" + std::to_string(i) + inputName(i) +
            " does not match argument #" + std::to_string(i) + " of @" + name +
            ": expected " + typeToString(tensor) + " (dtype " +
            NpyArray{expected, {}, {}}.getDTypeName() + ", shape " +
            attnc::runtime::formatShape(
                {tensor.getShape().begin(), tensor.getShape().end()}) +
            "), got dtype " + array.getDTypeName() + ", shape " +
            attnc::runtime::formatShape(array.shape);
    return false;
  }
  // Token ids index a gate table: an id outside [0, V) would read out of
  // bounds, so every argument that reaches attn.embedding_gate's ids is
  // checked before running.
  WalkResult result = func.walk([&](EmbeddingGateOp gate) {
    auto arg = dyn_cast<BlockArgument>(gate.getIds());
    if (!arg || arg.getOwner()->getParentOp() != func)
      return WalkResult::advance();
    int64_t vocab =
        cast<RankedTensorType>(gate.getTable().getType()).getDimSize(0);
    const NpyArray &ids = inputs[arg.getArgNumber()];
    bool is64 = ids.descr == "<i8";
    for (size_t i = 0, n = ids.getNumElements(); i < n; ++i) {
      int64_t id;
      if (is64) {
        std::memcpy(&id, ids.data.data() + 8 * i, 8);
      } else {
        int32_t id32;
        std::memcpy(&id32, ids.data.data() + 4 * i, 4);
        id = id32;
      }
      if (id < 0 || id >= vocab) {
        error = "input #" + std::to_string(arg.getArgNumber()) +
                inputName(arg.getArgNumber()) + ": token id " +
                std::to_string(id) + " at flat index " + std::to_string(i) +
                " is outside [0, " + std::to_string(vocab) +
                "), the rows of the gate table of attn.embedding_gate";
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return !result.wasInterrupted();
}
