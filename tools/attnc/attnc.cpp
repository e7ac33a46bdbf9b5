//===- attnc.cpp - the attnc compiler driver ------------------------------===//
//
//   attnc FILE [--emit=shared|obj|llvm|mlir] [-o OUT] [--header=OUT.h]
//         [--target=cpu] [--mcpu=native|NAME] [--vector-bits=256|512]
//         [--omp-threads] [--reference-lowering] [--tensor-parallel=N]
//   attnc FILE --target=nvptx [--chip=sm_80|sm_86|sm_89|sm_90|sm_90a]
//         [--emit=ptx|cubin|fatbin|mlir] -o OUT [--launch-descriptor=OUT.json]
//         [--ptx-version=N] [--cuda-path=DIR]
//   attnc FILE --report=json [--context=N] [--tp=K] [-o OUT]
//
// Compiles every public function of a model file: attention through attnc's
// passes, everything else through the upstream linalg CPU path, into a
// library with a C entry point per function and a header documenting the
// argument layout. --report prints, per attention op (model IR raised to
// attn ops first), its variant, what it caches per token and what one
// decode step costs. --tensor-parallel=N compiles the program one of N MPI
// ranks runs (arguments and results its slices, collectives MPI calls).
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/AttnDialect.h"
#include "attnc/Dialect/Attn/Utils/Report.h"
#include "attnc/Target/CPU/EmitLibrary.h"
#include "attnc/Target/GPU/EmitGpuKernels.h"
#include "attnc/Pipelines/InputGuard.h"
#include "attnc/Pipelines/Pipelines.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

static llvm::cl::OptionCategory attncCategory("attnc options");

static llvm::cl::opt<std::string> inputFilename(llvm::cl::Positional,
                                                llvm::cl::desc("<input.mlir>"),
                                                llvm::cl::Required,
                                                llvm::cl::cat(attncCategory));
static llvm::cl::opt<std::string> outputFilename(
    "o", llvm::cl::desc("Output file (default: stdout)"),
    llvm::cl::value_desc("filename"), llvm::cl::init("-"),
    llvm::cl::cat(attncCategory));

enum class ReportFormat { None, Json };
static llvm::cl::opt<ReportFormat> reportFormat(
    "report", llvm::cl::desc("Report every attention op instead of compiling"),
    llvm::cl::values(clEnumValN(ReportFormat::Json, "json",
                                "a JSON array, one object per attention op")),
    llvm::cl::init(ReportFormat::None), llvm::cl::cat(attncCategory));
static llvm::cl::opt<int64_t> contextLength(
    "context",
    llvm::cl::desc("Cached tokens a decode step attends to (default: each op's "
                   "own key count)"),
    llvm::cl::init(0), llvm::cl::cat(attncCategory));
static llvm::cl::opt<int64_t> tensorParallel(
    "tp", llvm::cl::desc("Tensor-parallel devices the KV cache is split over"),
    llvm::cl::init(1), llvm::cl::cat(attncCategory));

static llvm::cl::opt<int64_t> ranks(
    "tensor-parallel",
    llvm::cl::desc("Compile the program one of N MPI ranks runs: attention "
                   "split over the ranks by KV-head group, latent block or "
                   "head group, the function's arguments and results each "
                   "rank's slices, collectives calls of the MPI library the "
                   "program is linked with (CPU; default 1: not split)"),
    llvm::cl::init(1), llvm::cl::cat(attncCategory));

static llvm::cl::opt<std::string> emitName(
    "emit",
    llvm::cl::desc("What to write. --target=cpu: shared (default; a shared "
                   "library and a C header), obj (an object file and a C "
                   "header), llvm (optimised LLVM IR), mlir (the LLVM "
                   "dialect). --target=nvptx: ptx (default), cubin or "
                   "fatbin, each with a launch descriptor (OUT.json), or "
                   "mlir (the launches and the gpu.binary)"),
    llvm::cl::value_desc("kind"), llvm::cl::cat(attncCategory));
static llvm::cl::opt<std::string> headerFilename(
    "header",
    llvm::cl::desc("C header for an object or shared library (default: the "
                   "output with .h in place of its extension)"),
    llvm::cl::value_desc("filename"), llvm::cl::cat(attncCategory));
static llvm::cl::opt<std::string> targetName(
    "target",
    llvm::cl::desc("Code generation target: cpu, or nvptx (NVIDIA GPUs)"),
    llvm::cl::init("cpu"), llvm::cl::cat(attncCategory));
static llvm::cl::opt<std::string> chipName(
    "chip",
    llvm::cl::desc("With --target=nvptx, the GPU: sm_80, sm_86, sm_89, sm_90 "
                   "or sm_90a"),
    llvm::cl::init("sm_80"), llvm::cl::cat(attncCategory));
static llvm::cl::opt<unsigned> ptxVersion(
    "ptx-version",
    llvm::cl::desc("With --target=nvptx, the PTX ISA version times ten (80: "
                   "PTX 8.0; default: the chip's oldest, at least 8.0)"),
    llvm::cl::init(0), llvm::cl::cat(attncCategory));
static llvm::cl::opt<std::string> cudaPath(
    "cuda-path",
    llvm::cl::desc("With --target=nvptx, the CUDA toolkit (default: "
                   "$CUDA_HOME, else /usr/local/cuda)"),
    llvm::cl::value_desc("dir"), llvm::cl::cat(attncCategory));
static llvm::cl::opt<std::string> descriptorFilename(
    "launch-descriptor",
    llvm::cl::desc("With --target=nvptx, where the launch descriptor goes "
                   "(default: the output with .json added)"),
    llvm::cl::value_desc("filename"), llvm::cl::cat(attncCategory));
static llvm::cl::opt<std::string> cpuName(
    "mcpu",
    llvm::cl::desc("CPU to compile for: native (this machine) or an LLVM CPU "
                   "name such as x86-64-v3 or znver3; on one with Intel AMX "
                   "(sapphirerapids, graniterapids) bf16 attention tiles of a "
                   "multiple of 16 rows multiply on AMX tiles"),
    llvm::cl::init("native"), llvm::cl::cat(attncCategory));
static llvm::cl::opt<unsigned> vectorBits(
    "vector-bits",
    llvm::cl::desc("Vector width the kernels are sized for: 256 or 512 bits "
                   "(default: the widest the --mcpu CPU has)"),
    llvm::cl::init(0), llvm::cl::cat(attncCategory));
static llvm::cl::opt<bool> f32Probabilities(
    "f32-probabilities",
    llvm::cl::desc(attn::kF32ProbabilitiesHelp),
    llvm::cl::init(false), llvm::cl::cat(attncCategory));
static llvm::cl::opt<bool> useThreads(
    "omp-threads",
    llvm::cl::desc("Run parallel tile loops on OpenMP threads (the library "
                   "then needs libomp)"),
    llvm::cl::init(false), llvm::cl::cat(attncCategory));
static llvm::cl::opt<bool> useReference(
    "reference-lowering",
    llvm::cl::desc("Compile attention through the reference lowering (the "
                   "oracle) instead of the tiled loop"),
    llvm::cl::init(false), llvm::cl::cat(attncCategory));

static llvm::cl::opt<bool> raiseAttention(
    "raise-attention",
    llvm::cl::desc("Recognise attention written in plain linalg and compile "
                   "it with attnc's kernels (default on; =false compiles it "
                   "through the upstream linalg path as written)"),
    llvm::cl::init(true), llvm::cl::cat(attncCategory));

static int fail(const llvm::Twine &message) {
  llvm::errs() << "attnc: error: " << message << "\n";
  return EXIT_FAILURE;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::cl::HideUnrelatedOptions(attncCategory);
  llvm::cl::ParseCommandLineOptions(argc, argv,
                                    "attnc: the attnc compiler driver\n");
  if (targetName != "cpu" && targetName != "nvptx")
    return fail("unsupported --target=" + targetName +
                " (attnc compiles for: cpu, nvptx)");
  if (contextLength < 0)
    return fail("--context must be positive, got " + llvm::Twine(contextLength));
  if (tensorParallel < 1)
    return fail("--tp must be at least 1, got " + llvm::Twine(tensorParallel));
  if (ranks < 1)
    return fail("--tensor-parallel must be at least 1, got " +
                llvm::Twine(ranks));
  if (ranks > 1 && (targetName != "cpu" || reportFormat != ReportFormat::None))
    return fail("--tensor-parallel compiles for the CPU; --report takes --tp "
                "for what a split would hold per device");

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

  if (reportFormat == ReportFormat::None && targetName == "nvptx") {
    attn::EmitGpuOptions options;
    StringRef emit = emitName.empty() ? "ptx" : StringRef(emitName);
    if (std::optional<attn::GpuBinaryKind> kind =
            attn::GpuTarget::parseBinaryKind(emit))
      options.kind = *kind;
    else if (emit == "mlir")
      options.emitMlir = true;
    else
      return fail("--emit=" + emit + " is not a GPU output (ptx, cubin, "
                  "fatbin or mlir)");
    if (outputFilename == "-" && !options.emitMlir)
      return fail("--emit=" + emit + " writes the kernels and their launch "
                  "descriptor to files: pass -o");
    if (useThreads || useReference || f32Probabilities || vectorBits ||
        cpuName.getNumOccurrences() || headerFilename.getNumOccurrences())
      return fail("--omp-threads, --reference-lowering, --f32-probabilities, "
                  "--vector-bits, --mcpu and --header are CPU options");
    if (options.emitMlir && descriptorFilename.getNumOccurrences())
      return fail("--emit=mlir writes no launch descriptor");
    FailureOr<attn::GpuTarget> target = attn::GpuTarget::lookup(
        chipName, ptxVersion, cudaPath, options.kind, errorMessage);
    if (failed(target))
      return fail(errorMessage);
    options.target = *target;
    options.descriptorPath = descriptorFilename;
    if (failed(attn::emitGpuKernels(*module, outputFilename, options)))
      return EXIT_FAILURE;
    return EXIT_SUCCESS;
  }

  if (reportFormat == ReportFormat::None) {
    if (ranks > 1 &&
        failed(attn::partitionForRanks(*module, ranks, raiseAttention)))
      return EXIT_FAILURE;
    attn::EmitLibraryOptions options;
    StringRef emit = emitName.empty() ? "shared" : StringRef(emitName);
    if (emit == "shared")
      options.kind = attn::EmitKind::Shared;
    else if (emit == "obj")
      options.kind = attn::EmitKind::Object;
    else if (emit == "llvm")
      options.kind = attn::EmitKind::LlvmIr;
    else if (emit == "mlir")
      options.kind = attn::EmitKind::Mlir;
    else
      return fail("--emit=" + emit + " is not a CPU output (shared, obj, "
                  "llvm or mlir)");
    if (chipName.getNumOccurrences() || ptxVersion.getNumOccurrences() ||
        cudaPath.getNumOccurrences() || descriptorFilename.getNumOccurrences())
      return fail("--chip, --ptx-version, --cuda-path and --launch-descriptor "
                  "are GPU options (--target=nvptx)");
    attn::EmitKind emitKind = options.kind;
    FailureOr<attn::CpuTarget> target =
        attn::CpuTarget::lookup(cpuName, vectorBits, errorMessage);
    if (failed(target))
      return fail(errorMessage);
    options.target = *target;
    options.f32Probabilities = f32Probabilities;
    options.threads = useThreads;
    options.reference = useReference;
    options.raiseAttention = raiseAttention;
    bool binary = emitKind == attn::EmitKind::Object ||
                  emitKind == attn::EmitKind::Shared;
    if (binary && outputFilename == "-")
      return fail("--emit=" + std::string(emitKind == attn::EmitKind::Object
                                               ? "obj"
                                               : "shared") +
                  " writes a file: pass -o");
    if (binary) {
      options.headerPath = headerFilename;
      if (options.headerPath.empty()) {
        SmallString<128> header(outputFilename);
        llvm::sys::path::replace_extension(header, "h");
        options.headerPath = std::string(header);
      }
    }
    if (failed(attn::emitCpuLibrary(*module, outputFilename, options)))
      return EXIT_FAILURE;
    return EXIT_SUCCESS;
  }

  // Model IR is reported as attnc would compile it: attention raised first.
  PassManager pm(&context);
  attn::buildRaisePipeline(pm, raiseAttention);
  if (failed(pm.run(*module)))
    return EXIT_FAILURE;

  std::optional<int64_t> ctx;
  if (contextLength > 0)
    ctx = contextLength;
  SmallVector<attn::AttentionReport> reports =
      attn::reportAttention(*module, ctx, tensorParallel);

  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFilename, &errorMessage);
  if (!output)
    return fail(errorMessage);
  llvm::json::OStream json(output->os(), /*IndentSize=*/2);
  json.array([&] {
    for (const attn::AttentionReport &r : reports) {
      json.object([&] {
        json.attribute("function", r.function);
        json.attribute("location", r.location);
        json.attribute("op", r.op);
        json.attribute("variant", r.variant);
        json.attribute("form", r.form);
        json.attribute("decode_form", r.decodeForm);
        json.attribute("context", r.context);
        json.attribute("tp", static_cast<int64_t>(tensorParallel));
        json.attribute("cache_elements_per_token", r.cacheElementsPerToken);
        json.attribute("index_bytes_per_token", r.indexBytesPerToken);
        json.attribute("cache_elements_per_token_per_device",
                       r.cacheElementsPerTokenPerDevice);
        json.attribute("attention_flops_per_decode_step",
                       r.attentionFlopsPerDecodeStep);
        json.attribute("projection_flops_per_token", r.projectionFlopsPerToken);
        json.attribute("read_gate_flops_per_decode_step",
                       r.readGateFlopsPerDecodeStep);
        json.attribute("kv_bytes_per_decode_step", r.kvBytesPerDecodeStep);
      });
    }
  });
  output->os() << "\n";
  output->keep();
  return EXIT_SUCCESS;
}
