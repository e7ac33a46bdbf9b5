//===- attn-run.cpp - JIT-compile and run a function on .npy inputs -------===//
//
//   attn-run FILE --function=NAME --input=@a.npy ... --output=@o.npy
//            [--benchmark=N]
//   attn-run FILE --differential [--function=NAME] [--seed=S | --input=...]
//
// Compiles FILE through attn-cpu-pipeline, checks every input against the
// function's signature before running anything, runs NAME and writes each
// result to its --output. On any error: one message, a non-zero exit and no
// output file. --differential runs the function through the tiled pipeline
// and through the reference lowering on the same inputs and compares.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/AttnDialect.h"
#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "attnc/Target/CPU/EmitLibrary.h"
#include "attnc/Pipelines/InputGuard.h"
#include "attnc/Pipelines/Pipelines.h"
#include "attnc/Runtime/Npy.h"
#include "attnc/Target/CPU/Differential.h"
#include "attnc/Target/CPU/JitRunner.h"

#include "Ranks.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <random>

using namespace mlir;
using attnc::runtime::NpyArray;

static llvm::cl::OptionCategory runCategory("attn-run options");

static llvm::cl::opt<std::string> inputFilename(llvm::cl::Positional,
                                                llvm::cl::desc("<input.mlir>"),
                                                llvm::cl::Required,
                                                llvm::cl::cat(runCategory));
static llvm::cl::opt<std::string> functionName(
    "function",
    llvm::cl::desc("Function to run (default main; with --differential, "
                   "every function of the file)"),
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
static llvm::cl::opt<bool> gpuLoops(
    "gpu-loops",
    llvm::cl::desc("Compile as attnc --target=nvptx does, up to the GPU's "
                   "blocks and threads, and run those loops here: the GPU "
                   "path's numbers without a GPU"),
    llvm::cl::init(false), llvm::cl::cat(runCategory));
static llvm::cl::opt<bool> f32Probabilities(
    "f32-probabilities",
    llvm::cl::desc(attn::kF32ProbabilitiesHelp),
    llvm::cl::init(false), llvm::cl::cat(runCategory));
static llvm::cl::opt<bool> emulateAmx(
    "emulate-amx",
    llvm::cl::desc("Compile the Intel AMX path (as for a CPU with amx_bf16) "
                   "and run its tile ops as vector code: the AMX path's "
                   "numbers on a CPU with avx512_bf16 but no AMX (slow; for "
                   "tests)"),
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
static llvm::cl::opt<bool> differential(
    "differential",
    llvm::cl::desc("Run the function through the tiled pipeline and through "
                   "the reference lowering (the oracle) on the same inputs "
                   "(the --input files, or random ones from --seed) and "
                   "compare every result: f32 within 1e-5 of the oracle's "
                   "largest value, f16 1e-3, bf16 1e-2, integers exactly. "
                   "Exits 1 when they disagree or only the oracle compiles"),
    llvm::cl::init(false), llvm::cl::cat(runCategory));
static llvm::cl::opt<uint64_t> seed(
    "seed",
    llvm::cl::desc("With --differential and no --input: the seed of the "
                   "random inputs (default: a fresh one, printed)"),
    llvm::cl::cat(runCategory));
static llvm::cl::opt<unsigned> tensorParallel(
    "tensor-parallel",
    llvm::cl::desc("Run as one of N MPI ranks (under mpirun -np N): the "
                   "function is partitioned as attnc --tensor-parallel=N "
                   "does, each rank reads its own slices of the inputs "
                   "('{rank}' in an --input path is replaced by the rank), "
                   "and rank 0 assembles each result and writes it"),
    llvm::cl::init(1), llvm::cl::cat(runCategory));
static llvm::cl::opt<unsigned> benchmarkIterations(
    "benchmark",
    llvm::cl::desc("Run N timed iterations after one warm-up and print, as the "
                   "last line, {\"median_ms\", \"min_ms\", \"iterations\"}"),
    llvm::cl::init(0), llvm::cl::cat(runCategory));

namespace {

/// Prints "attn-run: error: MESSAGE" and returns a failing exit code.
/// This process's MPI rank with --tensor-parallel, else 0.
int rank = 0;
/// Whether MPI was started (--tensor-parallel).
bool ranksStarted = false;

/// Prints "attn-run: error: MESSAGE" and returns a failing exit code; as one
/// of several MPI ranks, says which and ends the whole job.
int fail(const llvm::Twine &message) {
  llvm::errs() << "attn-run: error: ";
  if (ranksStarted)
    llvm::errs() << "rank " << rank << ": ";
  llvm::errs() << message << "\n";
  if (ranksStarted) {
    llvm::errs().flush();
    attnc::ranks::abortAll(EXIT_FAILURE);
  }
  return EXIT_FAILURE;
}


std::string stripAt(const std::string &arg) {
  return !arg.empty() && arg[0] == '@' ? arg.substr(1) : arg;
}

/// An --input path with '{rank}' replaced by this process's rank.
std::string inputPath(const std::string &arg) {
  std::string path = stripAt(arg);
  for (size_t at = path.find("{rank}"); at != std::string::npos;
       at = path.find("{rank}", at))
    path.replace(at, 6, std::to_string(rank));
  return path;
}

/// The --input files, as they name the inputs in errors.
std::vector<std::string> inputNames() {
  std::vector<std::string> names;
  for (const std::string &arg : inputFiles)
    names.push_back(inputPath(arg));
  return names;
}

/// --differential: every function asked for, tiled against the oracle.
int runDifferentialMode(ModuleOp module, std::vector<NpyArray> &inputs,
                        const attn::CpuPipelineOptions &options,
                        llvm::TargetMachine &host) {
  if (!outputFiles.empty() || benchmarkIterations > 0)
    return fail("--differential compares two compilations; it takes no "
                "--output or --benchmark");
  SmallVector<func::FuncOp> funcs;
  if (functionName.getNumOccurrences() > 0) {
    auto func = module.lookupSymbol<func::FuncOp>(functionName);
    if (!func || func.isExternal())
      return fail("no function @" + functionName + " in " + inputFilename);
    funcs.push_back(func);
  } else {
    module.walk([&](func::FuncOp f) {
      if (!f.isExternal())
        funcs.push_back(f);
    });
  }
  if (!inputs.empty() && funcs.size() != 1)
    return fail("--input files are for one function: name it with --function");
  uint64_t base = seed.getNumOccurrences() > 0 ? uint64_t(seed)
                                               : std::random_device()();
  if (inputs.empty())
    llvm::outs() << "seed: " << base << "\n";
  bool allAgree = true;
  for (func::FuncOp func : funcs) {
    std::string name = func.getName().str(), error;
    if (failed(attn::checkStaticShapes(func)))
      return EXIT_FAILURE;
    if (!attn::hasHostArraySignature(func, error))
      return fail(error);
    std::vector<NpyArray> random;
    if (inputs.empty())
      random = attn::makeRandomInputs(func, base);
    if (!attn::checkHostArguments(func, inputs.empty() ? random : inputs,
                                  inputNames(), error))
      return fail(error);
    attn::DifferentialOutcome outcome = attn::runDifferential(
        module, name, inputs.empty() ? random : inputs, options, numThreads,
        host);
    using Status = attn::DifferentialOutcome::Status;
    switch (outcome.status) {
    case Status::OracleRejected:
      return fail("cannot check @" + name +
                  " against the reference lowering: " + outcome.error);
    case Status::OptimizedRejected:
      llvm::outs() << "differential: FAIL @" << name
                   << ": the reference lowering compiles and runs it, the "
                      "tiled pipeline does not: "
                   << outcome.error << "\n";
      allAgree = false;
      continue;
    case Status::Agree:
    case Status::Disagree:
      break;
    }
    for (auto [i, result] : llvm::enumerate(outcome.results)) {
      llvm::outs() << llvm::formatv(
          "differential: {0} @{1} result #{2} max_rel_diff={3:e} (<= {4:e})",
          result.agree ? "PASS" : "FAIL", name, i,
          result.maxRelativeDifference, outcome.tolerance);
      if (!result.agree)
        llvm::outs() << ": " << result.mismatch;
      llvm::outs() << "\n";
    }
    allAgree &= outcome.status == Status::Agree;
  }
  return allAgree ? EXIT_SUCCESS : EXIT_FAILURE;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::cl::HideUnrelatedOptions(runCategory);
  llvm::cl::ParseCommandLineOptions(
      argc, argv,
      "attn-run: JIT-compile a function through attn-cpu-pipeline and run it "
      "on .npy inputs\n");

  if (tensorParallel < 1)
    return fail("--tensor-parallel must be at least 1");
  bool split = tensorParallel > 1;
  if (split && differential)
    return fail("--differential runs on one process; it takes no "
                "--tensor-parallel");
  if (split) {
    int size = 0;
    std::string error;
    if (!attnc::ranks::start(rank, size, error))
      return fail(error);
    if (size != static_cast<int>(tensorParallel)) {
      // Every rank sees the same count: each stops cleanly.
      attnc::ranks::stop();
      return fail(llvm::formatv("--tensor-parallel={0} runs as {0} MPI ranks "
                                "(mpiexec -np {0}), not {1}",
                                unsigned(tensorParallel), size));
    }
    ranksStarted = true;
  }
  llvm::scope_exit stopRanks([]() {
    if (ranksStarted)
      attnc::ranks::stop();
  });

  // Inputs first: a bad file is reported before any compile time is spent.
  std::vector<NpyArray> inputs(inputFiles.size());
  for (auto [i, arg] : llvm::enumerate(inputFiles)) {
    std::string error;
    if (!attnc::runtime::readNpy(inputPath(arg), inputs[i], error))
      return fail("input #" + llvm::Twine(i) + " (" + inputPath(arg) +
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

  // The JIT compiles for the host CPU, with all of its features: one
  // description of the host sizes the kernels and gives LLVM's optimiser
  // its cost model, as attnc's target machine does both.
  FailureOr<attn::CpuTarget> target = attn::CpuTarget::host(errorMessage);
  if (failed(target))
    return fail(errorMessage);
  std::unique_ptr<llvm::TargetMachine> host =
      attn::createJitTargetMachine(*target, errorMessage);
  if (!host)
    return fail(errorMessage);
  attn::CpuPipelineOptions pipelineOptions;
  pipelineOptions.reference = useReference;
  pipelineOptions.gpuLoops = gpuLoops;
  pipelineOptions.threads = numThreads > 1;
  pipelineOptions.raiseAttention = raiseAttention;
  target->applyTo(pipelineOptions);
  pipelineOptions.f32Probabilities = f32Probabilities;
  if (emulateAmx) {
    if (!target->bf16Dot)
      return fail("--emulate-amx needs a CPU with avx512_bf16 (the AMX path "
                  "runs its softmax and narrow tiles on it); this one, '" +
                  target->cpu + "', has none");
    pipelineOptions.amx = true;
    pipelineOptions.amxEmulation = true;
  } else if (failed(target->prepareProcess(errorMessage))) {
    return fail(errorMessage);
  }

  if (differential) {
    if (useReference)
      return fail("--differential compiles through both lowerings; it takes "
                  "no --reference-lowering");
    return runDifferentialMode(*module, inputs, pipelineOptions, *host);
  }

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
  if (failed(attn::checkStaticShapes(func)))
    return EXIT_FAILURE;
  // --tensor-parallel: the program of one rank, whose arguments and results
  // are its slices; each result is assembled from them as the whole
  // function's signature says.
  FunctionType wholeSignature = func.getFunctionType();
  bool hasAllReduce = false;
  if (split) {
    if (failed(attn::partitionForRanks(*module, tensorParallel, raiseAttention)))
      return fail("cannot partition @" + functionName + " over " +
                  llvm::Twine(unsigned(tensorParallel)) + " ranks");
    module->walk([&](shard::AllReduceOp) { hasAllReduce = true; });
  }
  std::string signatureError;
  if (!attn::hasHostArraySignature(func, signatureError))
    return fail(signatureError);
  FunctionType signature = func.getFunctionType();
  if (outputFiles.size() > signature.getNumResults())
    return fail("@" + functionName + " returns " +
                llvm::Twine(signature.getNumResults()) + " results but " +
                llvm::Twine(outputFiles.size()) + " --output files were given");
  if (!attn::checkHostArguments(func, inputs, inputNames(), errorMessage))
    return fail(errorMessage);
  // Results go to temporaries next to their destinations, renamed into place
  // only once all are written: an error never leaves a partial output.
  for (const std::string &arg : outputFiles) {
    std::string dir = llvm::sys::path::parent_path(stripAt(arg)).str();
    if (!dir.empty() && !llvm::sys::fs::is_directory(dir))
      return fail("cannot write " + stripAt(arg) + ": no directory " + dir);
  }

  std::unique_ptr<attn::JitFunction> compiled = attn::JitFunction::compile(
      *module, functionName, pipelineOptions, numThreads, *host, errorMessage);
  if (!compiled)
    return fail(errorMessage);

  std::unique_ptr<attn::JitResults> results;
  if (!compiled->call(inputs, results, errorMessage))
    return fail(errorMessage);
  if (benchmarkIterations > 0 && !split) {
    attn::CallTimes times;
    if (!compiled->time(inputs, benchmarkIterations, results, times,
                        errorMessage))
      return fail(errorMessage);
    llvm::outs() << llvm::formatv(
        "{{\"median_ms\": {0:F6}, \"min_ms\": {1:F6}, \"iterations\": {2}}\n",
        times.median, times.min, times.iterations);
  } else if (benchmarkIterations > 0) {
    // As ranks, every call starts at a barrier, as a decode step would on all
    // devices. Each rank's own time of its call; a step from the first
    // rank's start to the last rank's end (ranks that share cores do not all
    // run at once); and what an all-reduce of the first result costs by
    // itself.
    std::vector<double> starts, ends, millis;
    auto now = []() {
      return std::chrono::duration<double, std::milli>(
                 std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
    for (unsigned i = 0; i < benchmarkIterations; ++i) {
      results.reset();
      attnc::ranks::barrier();
      starts.push_back(now());
      if (!compiled->call(inputs, results, errorMessage))
        return fail(errorMessage);
      ends.push_back(now());
      millis.push_back(ends.back() - starts.back());
    }
    std::sort(millis.begin(), millis.end());
    double median = millis[millis.size() / 2];
    std::vector<double> medians = attnc::ranks::gatherValues(median);
    double step = attnc::ranks::stepMedian(starts, ends);
    double allReduce =
        hasAllReduce && signature.getNumResults() > 0
            ? attnc::ranks::timeAllReduce(
                  cast<RankedTensorType>(signature.getResult(0))
                      .getNumElements(),
                  benchmarkIterations)
            : 0.0;
    if (rank == 0) {
      std::string perRank;
      for (double m : medians)
        perRank += (perRank.empty() ? "" : ", ") + llvm::formatv("{0:F6}", m).str();
      llvm::outs() << llvm::formatv(
          "{{\"median_ms\": {0:F6}, \"min_ms\": {1:F6}, \"iterations\": "
          "{2}, \"ranks\": {3}, \"rank_median_ms\": [{4}], "
          "\"step_median_ms\": {5:F6}, \"all_reduce_median_ms\": {6:F6}}\n",
          median, millis.front(), millis.size(), medians.size(), perRank, step,
          allReduce);
    }
  }

  // Write every result to a temporary, then rename all into place.
  std::vector<std::string> temporaries;
  llvm::scope_exit removeTemporaries([&]() {
    for (const std::string &tmp : temporaries)
      llvm::sys::fs::remove(tmp);
  });
  for (auto [i, arg] : llvm::enumerate(outputFiles)) {
    auto type = cast<RankedTensorType>(signature.getResult(i));
    std::string descr = attn::getNpyDescr(type.getElementType());
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    auto wholeType = cast<RankedTensorType>(wholeSignature.getResult(i));
    if (split && wholeType != type) {
      // Each rank holds a slice along the one axis where the shapes differ;
      // rank 0 assembles them.
      unsigned axis = 0;
      while (wholeType.getDimSize(axis) == type.getDimSize(axis))
        ++axis;
      NpyArray local;
      if (!results->isContiguous(i))
        local = results->toArray(i);
      std::vector<char> whole = attnc::ranks::gatherAlongAxis(
          results->isContiguous(i) ? results->getData(i) : local.data.data(),
          shape, axis, attnc::runtime::getNpyItemSize(descr));
      if (rank != 0)
        continue;
      std::string tmp = stripAt(arg) + ".attn-run-tmp";
      temporaries.push_back(tmp);
      std::string error;
      std::vector<int64_t> wholeShape(wholeType.getShape().begin(),
                                      wholeType.getShape().end());
      if (!attnc::runtime::writeNpy(tmp, descr, wholeShape, whole.data(),
                                    whole.size(), error))
        return fail("cannot write " + stripAt(arg) + ": " + error);
      continue;
    }
    if (rank != 0)
      continue;
    std::string tmp = stripAt(arg) + ".attn-run-tmp";
    temporaries.push_back(tmp);
    std::string error;
    bool written;
    if (results->isContiguous(i)) {
      // Written straight from the compiled code's buffer: no second copy of
      // a result that may be as large as the inputs.
      size_t bytes = type.getNumElements() * attnc::runtime::getNpyItemSize(descr);
      written = attnc::runtime::writeNpy(tmp, descr, shape, results->getData(i),
                                         bytes, error);
    } else {
      written = attnc::runtime::writeNpy(tmp, results->toArray(i), error);
    }
    if (!written)
      return fail("cannot write " + stripAt(arg) + ": " + error);
  }
  // Only rank 0 writes (with --tensor-parallel).
  for (auto [i, tmp] : llvm::enumerate(temporaries)) {
    std::string arg = outputFiles[i];
    if (std::error_code ec = llvm::sys::fs::rename(tmp, stripAt(arg)))
      return fail("cannot write " + stripAt(arg) + ": " + ec.message());
  }
  temporaries.clear();
  return EXIT_SUCCESS;
}
