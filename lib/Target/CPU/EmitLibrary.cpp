//===- EmitLibrary.cpp - attn-cpu-pipeline to an object or shared library -===//
//
// The module is lowered by attn-cpu-pipeline with MLIR's C interface on every
// public function, translated to LLVM IR, optimised, and compiled for the
// host (or a named CPU) by LLVM's own code generator. A shared library is
// linked with lld against libmlir_c_runner_utils (and libomp with threads).
// Every file is written to a temporary beside its destination and renamed
// into place only when everything succeeded.
//
//===----------------------------------------------------------------------===//

#include "attnc/Target/CPU/EmitLibrary.h"

#include "attnc/Codegen/CPU/Passes.h"
#include "attnc/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Target/LLVMIR/Export.h"

#include <set>
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"

using namespace mlir;

#ifndef ATTNC_LLD_PATH
#define ATTNC_LLD_PATH "ld.lld"
#endif
#ifndef ATTNC_LLVM_LIBRARY_DIR
#define ATTNC_LLVM_LIBRARY_DIR ""
#endif

/// The C type of an element, or "" when C cannot carry it.
static StringRef cElementType(Type type) {
  if (type.isF32())
    return "float";
  if (type.isF64())
    return "double";
  if (type.isF16() || type.isBF16())
    return "uint16_t";
  if (type.isInteger(1) || type.isInteger(8))
    return type.isInteger(1) ? "uint8_t" : "int8_t";
  if (type.isInteger(16))
    return "int16_t";
  if (type.isInteger(32))
    return "int32_t";
  if (type.isInteger(64))
    return "int64_t";
  if (type.isIndex())
    return "intptr_t";
  return "";
}

static std::string elementNote(Type type) {
  if (type.isBF16())
    return " (raw bf16 bits)";
  if (type.isF16())
    return " (raw IEEE half bits)";
  if (type.isInteger(1))
    return " (one byte per i1)";
  return "";
}

LogicalResult attn::checkStaticShapes(func::FuncOp func) {
  auto describe = [](ShapedType type) {
    std::string dims;
    for (int64_t d = 0; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        dims += (dims.empty() ? "" : ", ") + std::to_string(d);
    return dims;
  };
  constexpr const char *kAdvice =
      "; attnc compiles static shapes only: export the model with static "
      "shapes (torch.export without dynamic_shapes, one export per sequence "
      "length)";
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
    if (auto shaped = dyn_cast<ShapedType>(type);
        shaped && shaped.hasRank() && !shaped.hasStaticShape())
      return emitError(func.getLoc())
             << "argument #" << i << " of @" << func.getName() << " has type "
             << type << " (dynamic dimension " << describe(shaped) << ")"
             << kAdvice;
  WalkResult walk = func.walk([&](Operation *op) {
    for (Value result : op->getResults())
      if (auto shaped = dyn_cast<ShapedType>(result.getType());
          shaped && shaped.hasRank() && !shaped.hasStaticShape()) {
        emitError(op->getLoc())
            << "'" << op->getName() << "' in @" << func.getName()
            << " has a result of type " << result.getType()
            << " (dynamic dimension " << describe(shaped) << ")" << kAdvice;
        return WalkResult::interrupt();
      }
    return WalkResult::advance();
  });
  return failure(walk.wasInterrupted());
}

LogicalResult attn::verifyLibraryInterface(ModuleOp module) {
  bool ok = true;
  bool any = false;
  module.walk([&](func::FuncOp func) {
    if (func.isPrivate() || func.isExternal())
      return;
    any = true;
    if (failed(checkStaticShapes(func))) {
      ok = false;
      return;
    }
    auto check = [&](Type type, StringRef what, unsigned index) {
      Type element = type;
      if (auto shaped = dyn_cast<ShapedType>(type)) {
        if (!isa<RankedTensorType, MemRefType>(type)) {
          emitError(func.getLoc())
              << what << " " << index << " of @" << func.getName()
              << " has type " << type
              << ": only ranked tensors have a C entry point";
          ok = false;
          return;
        }
        element = shaped.getElementType();
      }
      if (cElementType(element).empty()) {
        emitError(func.getLoc())
            << what << " " << index << " of @" << func.getName()
            << " has element type " << element << ", which C cannot carry";
        ok = false;
      }
    };
    for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
      check(type, "argument", i);
    for (auto [i, type] : llvm::enumerate(func.getResultTypes()))
      check(type, "result", i);
  });
  if (!any) {
    module.emitError("no public function to compile");
    return failure();
  }
  return success(ok);
}

static std::string descriptorName(int64_t rank) {
  return "attnc_memref_" + std::to_string(rank) + "d";
}

static std::string shapeString(ShapedType type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(type.getShape(), os, "x");
  if (type.getRank() == 0)
    os << "scalar";
  return s;
}

std::string attn::buildLibraryHeader(ModuleOp module, StringRef sourceName) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "/* Generated by attnc from " << sourceName << ": do not edit.\n"
     << " *\n"
     << " * One C entry point per public function, `_mlir_ciface_<name>`.\n"
     << " * Tensors travel as MLIR memref descriptors: `aligned` points at the\n"
     << " * first element, `sizes` and `strides` count elements; inputs must be\n"
     << " * dense row-major (strides of the shapes below). Results are\n"
     << " * allocated by the callee with malloc: free(result.allocated).\n"
     << " * Link with -lmlir_c_runner_utils (LLVM 22) and, for libraries built\n"
     << " * with threads, -lomp. */\n"
     << "#ifndef ATTNC_GENERATED_LIBRARY_H\n#define ATTNC_GENERATED_LIBRARY_H\n\n"
     << "#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  // One descriptor struct per rank used.
  std::set<int64_t> ranks;
  module.walk([&](func::FuncOp func) {
    if (func.isPrivate() || func.isExternal())
      return;
    for (Type t : llvm::concat<const Type>(func.getArgumentTypes(),
                                           func.getResultTypes()))
      if (auto shaped = dyn_cast<ShapedType>(t))
        ranks.insert(shaped.getRank());
  });
  for (int64_t rank : ranks) {
    std::string name = descriptorName(rank);
    os << "#ifndef ATTNC_MEMREF_" << rank << "D\n#define ATTNC_MEMREF_" << rank
       << "D\ntypedef struct {\n  void *allocated;\n  void *aligned;\n"
       << "  int64_t offset;\n";
    if (rank > 0)
      os << "  int64_t sizes[" << rank << "];\n  int64_t strides[" << rank
         << "];\n";
    os << "} " << name << ";\n#endif\n\n";
  }
  module.walk([&](func::FuncOp func) {
    if (func.isPrivate() || func.isExternal())
      return;
    StringRef name = func.getSymName();
    auto cType = [](Type t) -> std::string {
      if (auto shaped = dyn_cast<ShapedType>(t))
        return descriptorName(shaped.getRank());
      return cElementType(t).str();
    };
    auto describe = [&](Type t) -> std::string {
      if (auto shaped = dyn_cast<ShapedType>(t))
        return shapeString(shaped) + " " +
               cElementType(shaped.getElementType()).str() +
               elementNote(shaped.getElementType());
      return cElementType(t).str();
    };
    os << "/* @" << name << "\n";
    for (auto [i, t] : llvm::enumerate(func.getArgumentTypes()))
      os << " *   arg" << i << ": " << describe(t) << "\n";
    for (auto [i, t] : llvm::enumerate(func.getResultTypes()))
      os << " *   result" << i << ": " << describe(t) << "\n";
    os << " */\n";
    unsigned numResults = func.getNumResults();
    std::string resultType;
    if (numResults > 1) {
      resultType = "attnc_" + name.str() + "_results";
      os << "typedef struct {\n";
      for (auto [i, t] : llvm::enumerate(func.getResultTypes()))
        os << "  " << cType(t) << " result" << i << ";\n";
      os << "} " << resultType << ";\n";
    }
    // A single scalar result is returned; memref results come back through
    // a pointer in the first parameter.
    bool scalarReturn =
        numResults == 1 && !isa<ShapedType>(func.getResultTypes()[0]);
    os << (scalarReturn ? cType(func.getResultTypes()[0]) : std::string("void"))
       << " _mlir_ciface_" << name << "(";
    SmallVector<std::string> params;
    if (numResults > 1)
      params.push_back(resultType + " *results");
    else if (numResults == 1 && !scalarReturn)
      params.push_back(cType(func.getResultTypes()[0]) + " *result");
    for (auto [i, t] : llvm::enumerate(func.getArgumentTypes()))
      params.push_back(isa<ShapedType>(t)
                           ? cType(t) + " *arg" + std::to_string(i)
                           : cType(t) + " arg" + std::to_string(i));
    if (params.empty())
      params.push_back("void");
    os << llvm::join(params, ", ") << ");\n\n";
  });
  os << "#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return text;
}

/// A temporary file beside `path`, removed unless kept.
namespace {
struct TempFile {
  std::string path;
  bool kept = false;
  explicit TempFile(StringRef destination, StringRef suffix) {
    path = (destination + ".tmp" + suffix).str();
  }
  ~TempFile() {
    if (!kept)
      llvm::sys::fs::remove(path);
  }
};
} // namespace

static LogicalResult writeText(Location loc, StringRef path, StringRef text,
                               TempFile &temp) {
  if (path == "-") {
    llvm::outs() << text;
    return success();
  }
  std::error_code ec;
  llvm::raw_fd_ostream os(temp.path, ec, llvm::sys::fs::OF_Text);
  if (ec)
    return emitError(loc) << "cannot write " << path << ": " << ec.message();
  os << text;
  os.close();
  if (os.has_error())
    return emitError(loc) << "cannot write " << path;
  return success();
}

LogicalResult attn::emitCpuLibrary(ModuleOp module, StringRef outputPath,
                                   const EmitLibraryOptions &options) {
  Location loc = module.getLoc();
  if (outputPath == "-" &&
      (options.kind == EmitKind::Object || options.kind == EmitKind::Shared))
    return emitError(loc) << "an object or shared library needs an output "
                             "file (-o)";
  if (failed(verifyLibraryInterface(module)))
    return failure();
  std::string header;
  if (!options.headerPath.empty())
    header = buildLibraryHeader(module, llvm::sys::path::filename(
                                            outputPath));

  // Every public function gets a C entry point.
  module.walk([&](func::FuncOp func) {
    if (!func.isPrivate() && !func.isExternal())
      func->setAttr("llvm.emit_c_interface", UnitAttr::get(module.getContext()));
  });
  // The target CPU is known before the pipeline: its vector width and bf16
  // dot product shape the kernels.
  std::string error;
  std::unique_ptr<llvm::TargetMachine> machine =
      options.target.createTargetMachine(error);
  if (!machine)
    return emitError(loc) << error;
  PassManager pm(module.getContext());
  CpuPipelineOptions pipelineOptions;
  pipelineOptions.reference = options.reference;
  pipelineOptions.threads = options.threads;
  pipelineOptions.raiseAttention = options.raiseAttention;
  pipelineOptions.f32Probabilities = options.f32Probabilities;
  options.target.applyTo(pipelineOptions);
  buildCpuPipeline(pm, pipelineOptions);
  if (failed(pm.run(module)))
    return emitError(loc) << "attn-cpu-pipeline failed";
  // Code with AMX tile instructions asks Linux for tile state itself; the
  // header says so.
  if (!header.empty() && module.lookupSymbol(kAmxGuardName)) {
    StringRef end = " */\n";
    size_t at = header.find(end);
    header.insert(at, std::string(
        "\n *\n"
        " * The library runs Intel AMX tile instructions. Each entry point asks\n"
        " * Linux for AMX tile state on its first call (arch_prctl with\n"
        " * ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA); where Linux refuses (a CPU\n"
        " * or hypervisor without AMX, a kernel before 5.16), it writes why to\n"
        " * stderr and aborts. A process may make the request first itself."));
  }

  SmallVector<std::unique_ptr<TempFile>> temps;
  auto finish = [&](StringRef destination, TempFile &temp) -> LogicalResult {
    if (destination == "-")
      return success();
    if (std::error_code ec = llvm::sys::fs::rename(temp.path, destination))
      return emitError(loc) << "cannot write " << destination << ": "
                            << ec.message();
    temp.kept = true;
    return success();
  };

  TempFile output(outputPath, "");
  if (options.kind == EmitKind::Mlir) {
    std::string text;
    llvm::raw_string_ostream os(text);
    module.print(os);
    if (failed(writeText(loc, outputPath, text, output)))
      return failure();
    return finish(outputPath, output);
  }

  DialectRegistry registry;
  registerAllToLLVMIRTranslations(registry);
  module.getContext()->appendDialectRegistry(registry);
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext, "attnc");
  if (!llvmModule)
    return emitError(loc) << "translation to LLVM IR failed";
  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(machine->getTargetTriple());
  auto optimize = makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0,
                                            machine.get());
  if (llvm::Error error = optimize(llvmModule.get()))
    return emitError(loc) << "LLVM optimisation failed: "
                          << llvm::toString(std::move(error));

  if (options.kind == EmitKind::LlvmIr) {
    std::string text;
    llvm::raw_string_ostream os(text);
    llvmModule->print(os, nullptr);
    if (failed(writeText(loc, outputPath, text, output)))
      return failure();
    return finish(outputPath, output);
  }

  // Machine code for the object.
  TempFile object(outputPath, ".o");
  {
    std::error_code ec;
    llvm::raw_fd_ostream os(object.path, ec, llvm::sys::fs::OF_None);
    if (ec)
      return emitError(loc) << "cannot write " << outputPath << ": "
                            << ec.message();
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, os, nullptr,
                                     llvm::CodeGenFileType::ObjectFile))
      return emitError(loc) << "the target cannot emit object files";
    codegen.run(*llvmModule);
    os.close();
    if (os.has_error())
      return emitError(loc) << "cannot write " << outputPath;
  }

  TempFile headerFile(options.headerPath.empty() ? outputPath
                                                 : StringRef(options.headerPath),
                      ".h");
  if (!options.headerPath.empty() &&
      failed(writeText(loc, options.headerPath, header, headerFile)))
    return failure();

  if (options.kind == EmitKind::Object) {
    if (failed(finish(outputPath, object)))
      return failure();
  } else {
    std::string libDir = ATTNC_LLVM_LIBRARY_DIR;
    SmallVector<std::string> args = {ATTNC_LLD_PATH, "-shared", "-o",
                                     output.path, object.path};
    if (!libDir.empty()) {
      args.push_back("-L" + libDir);
      args.push_back("-rpath=" + libDir);
    }
    // Only what the code calls is recorded as needed: most kernels call
    // nothing from MLIR's runner utilities (memrefCopy), and such a library
    // then loads on machines without LLVM 22.
    args.push_back("--as-needed");
    args.push_back("-lmlir_c_runner_utils");
    // The helpers LLVM lowers some operations to (__powisf2), linked in.
    args.push_back(ATTNC_BUILTINS_LIBRARY);
    if (options.threads)
      args.push_back("-lomp");
    SmallVector<StringRef> argRefs(args.begin(), args.end());
    std::string linkError;
    int status = llvm::sys::ExecuteAndWait(args.front(), argRefs, std::nullopt,
                                           {}, 0, 0, &linkError);
    if (status != 0)
      return emitError(loc) << "linking " << outputPath << " with "
                            << args.front() << " failed"
                            << (linkError.empty() ? "" : ": ") << linkError;
    if (failed(finish(outputPath, output)))
      return failure();
  }
  if (!options.headerPath.empty() &&
      failed(finish(options.headerPath, headerFile)))
    return failure();
  return success();
}
