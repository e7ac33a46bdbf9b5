//===- EmitLibrary.h - attn-cpu-pipeline to an object or shared library ---===//
//
// Compiles every public function of a module through attn-cpu-pipeline into
// host machine code with a C entry point per function
// (`_mlir_ciface_<name>`, MLIR's C interface), and writes a C header that
// documents each entry point's argument layout.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TARGET_CPU_EMITLIBRARY_H
#define ATTNC_TARGET_CPU_EMITLIBRARY_H

#include "attnc/Target/CPU/CpuTarget.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir::attn {

enum class EmitKind { Mlir, LlvmIr, Object, Shared };

struct EmitLibraryOptions {
  EmitKind kind = EmitKind::Shared;
  /// Attention through the reference lowering (the oracle).
  bool reference = false;
  /// Parallel tile loops on OpenMP threads (the library then needs libomp).
  bool threads = false;
  /// Recognise attention written in plain linalg first (attn-raise-attention).
  bool raiseAttention = true;
  /// The CPU the library is compiled for (CpuTarget::lookup, ::host).
  CpuTarget target;
  /// Keep softmax probabilities in f32 for P.V against bf16 values where the
  /// target multiplies bf16 pairs (attn-cpu-pipeline's f32-probabilities).
  bool f32Probabilities = false;
  /// Where to write the C header (object and shared kinds); empty: none.
  std::string headerPath;
};

/// Fails with a located error naming the first value of `func` with a
/// dynamic shape (arguments first, then results of ops in order) and saying
/// what to do: attnc compiles static shapes only.
LogicalResult checkStaticShapes(func::FuncOp func);

/// Checks that every public function of `module` has a C entry point: static
/// shapes and element types C can carry. Reports a located error otherwise.
LogicalResult verifyLibraryInterface(ModuleOp module);

/// The C header for `module`'s public functions (before lowering): one
/// declaration per function, with each argument's shape, element type and
/// layout, and who frees the results.
std::string buildLibraryHeader(ModuleOp module, StringRef sourceName);

/// Lowers `module` in place and writes `outputPath` (and the header). Nothing
/// is left at either path on failure; errors are reported as diagnostics on
/// the module's context.
LogicalResult emitCpuLibrary(ModuleOp module, StringRef outputPath,
                             const EmitLibraryOptions &options);

} // namespace mlir::attn

#endif // ATTNC_TARGET_CPU_EMITLIBRARY_H
