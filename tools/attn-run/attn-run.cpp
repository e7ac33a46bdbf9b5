//===- attn-run.cpp - JIT-compile and run a function on .npy inputs -------===//
//
//   attn-run FILE --function=NAME --input=@a.npy ... --output=@o.npy
//            [--benchmark=N]
//
// Compiles FILE through attn-cpu-pipeline, checks every input against the
// function's signature before running anything, runs NAME and writes each
// result to its --output. On any error: one message, a non-zero exit and no
// output file.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/AttnDialect.h"
#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "attnc/Pipelines/InputGuard.h"
#include "attnc/Pipelines/Pipelines.h"
#include "attnc/Runtime/Npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

using namespace mlir;
using attnc::runtime::NpyArray;

static llvm::cl::OptionCategory runCategory("attn-run options");

static llvm::cl::opt<std::string> inputFilename(llvm::cl::Positional,
                                                llvm::cl::desc("<input.mlir>"),
                                                llvm::cl::Required,
                                                llvm::cl::cat(runCategory));
static llvm::cl::opt<std::string>
    functionName("function", llvm::cl::desc("Function to run"),
                 llvm::cl::init("main"), llvm::cl::cat(runCategory));
static llvm::cl::list<std::string> inputFiles(
    "input",
    llvm::cl::desc("@FILE.npy for the next function argument, in order "
                   "(bf16 arguments take uint16 arrays of raw bf16 bits)"),
    llvm::cl::cat(runCategory));
static llvm::cl::list<std::string>
    outputFiles("output",
                llvm::cl::desc("@FILE.npy for the next function result, in "
                               "order (bf16 results are written as uint16)"),
                llvm::cl::cat(runCategory));
static llvm::cl::opt<bool> useReference(
    "reference-lowering",
    llvm::cl::desc("Compile attention through the reference lowering (the "
                   "oracle) instead of the tiled loop"),
    llvm::cl::init(false), llvm::cl::cat(runCategory));
static llvm::cl::opt<bool> f32Probabilities(
    "f32-probabilities",
    llvm::cl::desc(attn::kF32ProbabilitiesHelp),
    llvm::cl::init(false), llvm::cl::cat(runCategory));
static llvm::cl::opt<bool> raiseAttention(
    "raise-attention",
    llvm::cl::desc("Recognise attention written in plain linalg and run it "
                   "through attnc's kernels (default on)"),
    llvm::cl::init(true), llvm::cl::cat(runCategory));
static llvm::cl::opt<unsigned> numThreads(
    "num-threads",
    llvm::cl::desc("Threads for the parallel tile loops (OpenMP; pinned with "
                   "OMP_PROC_BIND=true unless that is set)"),
    llvm::cl::init(1), llvm::cl::cat(runCategory));
static llvm::cl::opt<unsigned> benchmarkIterations(
    "benchmark",
    llvm::cl::desc("Run N timed iterations after one warm-up and print, as the "
                   "last line, {\"median_ms\", \"min_ms\", \"iterations\"}"),
    llvm::cl::init(0), llvm::cl::cat(runCategory));

namespace {

/// Prints "attn-run: error: MESSAGE" and returns a failing exit code.
int fail(const llvm::Twine &message) {
  llvm::errs() << "attn-run: error: " << message << "\n";
  return EXIT_FAILURE;
}

std::string stripAt(const std::string &arg) {
  return !arg.empty() && arg[0] == '@' ? arg.substr(1) : arg;
}

/// The .npy dtype that carries `type`, or "" if attn-run cannot pass it.
std::string npyDescrFor(Type type) {
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

std::string typeToString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// A ranked memref descriptor as the LLVM lowering lays it out:
/// {allocated, aligned, offset, sizes[rank], strides[rank]}.
struct Descriptor {
  std::vector<int64_t> words;
  explicit Descriptor(unsigned rank) : words(3 + 2 * rank, 0) {}
  void *allocated() const { return reinterpret_cast<void *>(words[0]); }
  char *aligned() const { return reinterpret_cast<char *>(words[1]); }
  int64_t offset() const { return words[2]; }
  int64_t size(unsigned i) const { return words[3 + i]; }
  int64_t stride(unsigned rank, unsigned i) const { return words[3 + rank + i]; }
};

Descriptor makeInputDescriptor(NpyArray &array) {
  unsigned rank = array.shape.size();
  Descriptor desc(rank);
  desc.words[0] = desc.words[1] = reinterpret_cast<int64_t>(array.data.data());
  int64_t stride = 1;
  for (int i = rank - 1; i >= 0; --i) {
    desc.words[3 + i] = array.shape[i];
    desc.words[3 + rank + i] = stride;
    stride *= array.shape[i];
  }
  return desc;
}

/// Copies a (possibly strided) result memref into a dense C-order array.
void copyResult(const Descriptor &desc, RankedTensorType type, NpyArray &out) {
  unsigned rank = type.getRank();
  size_t itemSize = attnc::runtime::getNpyItemSize(out.descr);
  out.shape.assign(type.getShape().begin(), type.getShape().end());
  out.data.resize(out.getNumElements() * itemSize);
  if (out.data.empty())
    return;
  std::vector<int64_t> index(rank, 0);
  for (size_t linear = 0, n = out.getNumElements(); linear < n; ++linear) {
    int64_t elem = desc.offset();
    for (unsigned i = 0; i < rank; ++i)
      elem += index[i] * desc.stride(rank, i);
    std::memcpy(out.data.data() + linear * itemSize,
                desc.aligned() + elem * itemSize, itemSize);
    for (int i = rank - 1; i >= 0; --i) {
      if (++index[i] < type.getDimSize(i))
        break;
      index[i] = 0;
    }
  }
}

/// Whether `desc` lays its elements out densely in C order.
bool isContiguous(const Descriptor &desc, RankedTensorType type) {
  int64_t expected = 1;
  for (int i = type.getRank() - 1; i >= 0; --i) {
    if (type.getDimSize(i) != 1 && desc.stride(type.getRank(), i) != expected)
      return false;
    expected *= type.getDimSize(i);
  }
  return true;
}

/// Checks that every argument and result of `func` is a static tensor of a
/// type attn-run can carry.
LogicalResult checkSignature(func::FuncOp func) {
  auto check = [&](Type type, const std::string &what) -> LogicalResult {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || !tensor.hasStaticShape() ||
        npyDescrFor(tensor.getElementType()).empty()) {
      fail("@" + func.getName() + " " + what + " has type " +
           typeToString(type) +
           "; attn-run passes statically shaped tensors of f32, f64, f16, "
           "bf16, i32, i64 or i1");
      return failure();
    }
    return success();
  };
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
    if (failed(check(type, "argument #" + std::to_string(i))))
      return failure();
  for (auto [i, type] : llvm::enumerate(func.getResultTypes()))
    if (failed(check(type, "result #" + std::to_string(i))))
      return failure();
  return success();
}

/// Token ids index a gate table: an id outside [0, V) would read out of
/// bounds, so every argument that reaches attn.embedding_gate's ids is checked
/// before running.
LogicalResult checkTokenIds(func::FuncOp func, ArrayRef<NpyArray> inputs) {
  WalkResult result = func.walk([&](attn::EmbeddingGateOp gate) {
    auto arg = dyn_cast<BlockArgument>(gate.getIds());
    if (!arg || arg.getOwner()->getParentOp() != func)
      return WalkResult::advance();
    int64_t vocab = cast<RankedTensorType>(gate.getTable().getType()).getDimSize(0);
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
        fail("input #" + llvm::Twine(arg.getArgNumber()) + " (" +
             stripAt(inputFiles[arg.getArgNumber()]) + "): token id " +
             llvm::Twine(id) + " at flat index " + llvm::Twine(i) +
             " is outside [0, " + llvm::Twine(vocab) +
             "), the rows of the gate table of attn.embedding_gate");
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::cl::HideUnrelatedOptions(runCategory);
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "attn-run: JIT-compile a function through attn-cpu-pipeline and run it "
      "on .npy inputs\n");

  // Inputs first: a bad file is reported before any compile time is spent.
  std::vector<NpyArray> inputs(inputFiles.size());
  for (auto [i, arg] : llvm::enumerate(inputFiles)) {
    std::string error;
    if (!attnc::runtime::readNpy(stripAt(arg), inputs[i], error))
      return fail("input #" + llvm::Twine(i) + " (" + stripAt(arg) +
                  "): " + error);
  }

  DialectRegistry registry;
  attn::registerCompilerDialects(registry);
  MLIRContext context(registry);

  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  std::string errorMessage;
  OwningOpRef<ModuleOp> module =
      attn::parseModuleFile(inputFilename, sourceMgr, &context, errorMessage);
  if (!module)
    return errorMessage.empty() ? EXIT_FAILURE : fail(errorMessage);

  auto func = module->lookupSymbol<func::FuncOp>(functionName);
  if (!func || func.isExternal()) {
    std::string available;
    module->walk([&](func::FuncOp f) {
      if (!f.isExternal())
        available += (available.empty() ? "@" : ", @") + f.getName().str();
    });
    return fail("no function @" + functionName + " in " + inputFilename +
                " (functions: " + (available.empty() ? "none" : available) +
                ")");
  }
  if (failed(checkSignature(func)))
    return EXIT_FAILURE;

  FunctionType signature = func.getFunctionType();
  if (inputs.size() != signature.getNumInputs())
    return fail("@" + functionName + " takes " +
                llvm::Twine(signature.getNumInputs()) + " arguments but " +
                llvm::Twine(inputs.size()) + " --input files were given");
  if (outputFiles.size() > signature.getNumResults())
    return fail("@" + functionName + " returns " +
                llvm::Twine(signature.getNumResults()) + " results but " +
                llvm::Twine(outputFiles.size()) + " --output files were given");
  for (auto [i, type] : llvm::enumerate(signature.getInputs())) {
    auto tensor = cast<RankedTensorType>(type);
    const NpyArray &array = inputs[i];
    std::string expected = npyDescrFor(tensor.getElementType());
    bool shapeMatches =
        llvm::equal(tensor.getShape(), array.shape);
    if (array.descr != expected || !shapeMatches)
      return fail("input #" + llvm::Twine(i) + " (" + stripAt(inputFiles[i]) +
                  ") does not match argument #" + llvm::Twine(i) + " of @" +
                  functionName + ": expected " + typeToString(tensor) +
                  " (dtype " + NpyArray{expected, {}, {}}.getDTypeName() +
                  ", shape " +
                  attnc::runtime::formatShape(
                      {tensor.getShape().begin(), tensor.getShape().end()}) +
                  "), got dtype " + array.getDTypeName() + ", shape " +
                  attnc::runtime::formatShape(array.shape));
  }
  if (failed(checkTokenIds(func, inputs)))
    return EXIT_FAILURE;
  // Results go to temporaries next to their destinations, renamed into place
  // only once all are written: an error never leaves a partial output.
  for (const std::string &arg : outputFiles) {
    std::string dir = llvm::sys::path::parent_path(stripAt(arg)).str();
    if (!dir.empty() && !llvm::sys::fs::is_directory(dir))
      return fail("cannot write " + stripAt(arg) + ": no directory " + dir);
  }

  // Compile.
  func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                UnitAttr::get(&context));
  PassManager pm(&context);
  attn::CpuPipelineOptions pipelineOptions;
  pipelineOptions.reference = useReference;
  pipelineOptions.threads = numThreads > 1;
  pipelineOptions.raiseAttention = raiseAttention;
  // The JIT compiles for the host CPU, with all of its features: one
  // description of the host sizes the kernels and, below, gives LLVM's
  // optimiser its cost model (as attnc's target machine does both). Without
  // a target machine the optimiser used generic TTI, and GQA decode and GTA
  // decode ran 8% and 26% slower (Zen 4, medians of four attn-run runs).
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Expected<llvm::orc::JITTargetMachineBuilder> hostMachineBuilder =
      llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!hostMachineBuilder)
    return fail("cannot describe the host for the JIT: " +
                llvm::toString(hostMachineBuilder.takeError()));
  hostMachineBuilder->setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> hostMachine =
      hostMachineBuilder->createTargetMachine();
  if (!hostMachine)
    return fail("cannot create a target machine for the host: " +
                llvm::toString(hostMachine.takeError()));
  const llvm::MCSubtargetInfo *host = (*hostMachine)->getMCSubtargetInfo();
  attn::setCpuTargetOptions(pipelineOptions, [&](StringRef feature) {
    return host->checkFeatures(("+" + feature).str());
  });
  pipelineOptions.f32Probabilities = f32Probabilities;
  attn::buildCpuPipeline(pm, pipelineOptions);
  if (failed(pm.run(*module)))
    return fail("compiling " + inputFilename + " through attn-cpu-pipeline failed");

  // The options hold a function_ref: the transformer must outlive them.
  std::function<llvm::Error(llvm::Module *)> optimize = makeOptimizingTransformer(
      /*optLevel=*/3, /*sizeLevel=*/0, hostMachine->get());
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = optimize;
  // MLIR's C runner utilities provide memrefCopy, which copies between
  // strided buffers lower to. OpenMP reads its settings when libomp is
  // loaded, which is now.
  SmallVector<StringRef> sharedLibs = {ATTNC_C_RUNNER_UTILS_PATH};
  if (numThreads > 1) {
    if (!llvm::sys::fs::exists(ATTNC_LIBOMP_PATH))
      return fail("--num-threads=" + llvm::Twine(numThreads) + " needs libomp (" +
                  ATTNC_LIBOMP_PATH + "), which is not installed");
    setenv("OMP_NUM_THREADS", std::to_string(numThreads).c_str(), 1);
    setenv("OMP_PROC_BIND", "true", /*overwrite=*/0);
    sharedLibs.push_back(ATTNC_LIBOMP_PATH);
  }
  engineOptions.sharedLibPaths = sharedLibs;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engineOrError = ExecutionEngine::create(*module, engineOptions);
  if (!engineOrError)
    return fail("JIT compilation failed: " +
                llvm::toString(engineOrError.takeError()));
  std::unique_ptr<ExecutionEngine> engine = std::move(*engineOrError);

  // Arguments of the packed C-interface wrapper: a pointer to the results
  // (one struct of descriptors), then a pointer to each input descriptor.
  std::vector<Descriptor> inputDescs;
  for (NpyArray &array : inputs)
    inputDescs.push_back(makeInputDescriptor(array));
  std::vector<unsigned> resultOffsets;
  size_t resultWords = 0;
  for (Type type : signature.getResults()) {
    resultOffsets.push_back(resultWords);
    resultWords += 3 + 2 * cast<RankedTensorType>(type).getRank();
  }
  std::vector<int64_t> resultStruct(std::max<size_t>(resultWords, 1), 0);
  void *resultPtr = resultStruct.data();
  std::vector<void *> inputPtrs;
  for (Descriptor &desc : inputDescs)
    inputPtrs.push_back(desc.words.data());
  llvm::SmallVector<void *> packedArgs;
  if (signature.getNumResults() > 0)
    packedArgs.push_back(&resultPtr);
  for (void *&ptr : inputPtrs)
    packedArgs.push_back(&ptr);

  auto resultDescriptor = [&](unsigned i) {
    auto type = cast<RankedTensorType>(signature.getResult(i));
    Descriptor desc(type.getRank());
    std::copy_n(resultStruct.begin() + resultOffsets[i], desc.words.size(),
                desc.words.begin());
    return desc;
  };
  // Results are heap buffers the compiled code hands over, unless they alias
  // an input (a function may return its argument).
  auto freeResults = [&]() {
    for (unsigned i = 0; i < signature.getNumResults(); ++i) {
      void *allocated = resultDescriptor(i).allocated();
      bool isInput = llvm::any_of(inputs, [&](const NpyArray &a) {
        return a.data.data() == allocated;
      });
      if (!isInput)
        std::free(allocated);
    }
  };
  std::string wrapperName = "_mlir_ciface_" + functionName;
  auto invoke = [&]() -> bool {
    if (llvm::Error err = engine->invokePacked(wrapperName, packedArgs)) {
      fail("running @" + functionName + " failed: " +
           llvm::toString(std::move(err)));
      return false;
    }
    return true;
  };

  if (!invoke())
    return EXIT_FAILURE;
  if (benchmarkIterations > 0) {
    std::vector<double> millis;
    for (unsigned iter = 0; iter < benchmarkIterations; ++iter) {
      freeResults();
      auto start = std::chrono::steady_clock::now();
      if (!invoke())
        return EXIT_FAILURE;
      auto end = std::chrono::steady_clock::now();
      millis.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
    std::vector<double> sorted = millis;
    std::sort(sorted.begin(), sorted.end());
    size_t n = sorted.size();
    double median = n % 2 ? sorted[n / 2] : 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]);
    llvm::outs() << llvm::formatv(
        "{{\"median_ms\": {0:F6}, \"min_ms\": {1:F6}, \"iterations\": {2}}\n",
        median, sorted.front(), n);
  }
  llvm::scope_exit freeAtExit(freeResults);

  // Write every result to a temporary, then rename all into place.
  std::vector<std::string> temporaries;
  llvm::scope_exit removeTemporaries([&]() {
    for (const std::string &tmp : temporaries)
      llvm::sys::fs::remove(tmp);
  });
  for (auto [i, arg] : llvm::enumerate(outputFiles)) {
    auto type = cast<RankedTensorType>(signature.getResult(i));
    std::string descr = npyDescrFor(type.getElementType());
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    std::string tmp = stripAt(arg) + ".attn-run-tmp";
    temporaries.push_back(tmp);
    std::string error;
    Descriptor desc = resultDescriptor(i);
    bool written;
    if (isContiguous(desc, type)) {
      // Written straight from the compiled code's buffer: no second copy of
      // a result that may be as large as the inputs.
      size_t bytes = type.getNumElements() * attnc::runtime::getNpyItemSize(descr);
      written = attnc::runtime::writeNpy(
          tmp, descr, shape,
          desc.aligned() + desc.offset() * attnc::runtime::getNpyItemSize(descr),
          bytes, error);
    } else {
      NpyArray result;
      result.descr = descr;
      copyResult(desc, type, result);
      written = attnc::runtime::writeNpy(tmp, result, error);
    }
    if (!written)
      return fail("cannot write " + stripAt(arg) + ": " + error);
  }
  for (auto [i, arg] : llvm::enumerate(outputFiles)) {
    if (std::error_code ec = llvm::sys::fs::rename(temporaries[i], stripAt(arg)))
      return fail("cannot write " + stripAt(arg) + ": " + ec.message());
  }
  temporaries.clear();
  return EXIT_SUCCESS;
}
