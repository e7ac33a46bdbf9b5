//===- attnc.cpp - the attnc compiler driver ------------------------------===//
//
//   attnc FILE --report=json [--context=N] [--tp=K] [-o OUT]
//
// Reads model IR with attn ops. --report prints, per attention op, its
// variant, what it caches per token and what one decode step costs.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/AttnDialect.h"
#include "attnc/Dialect/Attn/Utils/Report.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"

#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/JSON.h"
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

static int fail(const llvm::Twine &message) {
  llvm::errs() << "attnc: error: " << message << "\n";
  return EXIT_FAILURE;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  llvm::cl::HideUnrelatedOptions(attncCategory);
  llvm::cl::ParseCommandLineOptions(argc, argv,
                                    "attnc: the attnc compiler driver\n");
  if (reportFormat == ReportFormat::None)
    return fail("nothing to do: pass --report=json (compilation to objects "
                "is not implemented in attnc yet; use attn-opt "
                "--attn-cpu-pipeline or attn-run)");
  if (contextLength < 0)
    return fail("--context must be positive, got " + llvm::Twine(contextLength));
  if (tensorParallel < 1)
    return fail("--tp must be at least 1, got " + llvm::Twine(tensorParallel));

  DialectRegistry registry;
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<attn::AttnDialect>();
  MLIRContext context(registry);

  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> file = openInputFile(inputFilename, &errorMessage);
  if (!file)
    return fail(errorMessage);
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagHandler(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return fail("could not parse " + inputFilename);

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
