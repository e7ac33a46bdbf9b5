//===- OpenMpiOpSymbols.cpp - OpenMPI's names for MPI_SUM and kin ---------===//

#include "attnc/Codegen/CPU/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNOPENMPIOPSYMBOLS
#include "attnc/Codegen/CPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace mlir::attn {
namespace {
/// OpenMPI's predefined reduction operators: `MPI_<NAME>` is
/// `&ompi_mpi_op_<name>`.
constexpr llvm::StringLiteral kReductionOps[] = {
    "max",  "min",  "sum",  "prod",   "land",   "band",    "lor",
    "bor",  "lxor", "bxor", "minloc", "maxloc", "replace", "no_op"};

struct AttnOpenMpiOpSymbols
    : public impl::AttnOpenMpiOpSymbolsBase<AttnOpenMpiOpSymbols> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (llvm::StringLiteral op : kReductionOps) {
      std::string wrong = ("ompi_mpi_" + op).str();
      std::string right = ("ompi_mpi_op_" + op).str();
      auto global = symbols.lookup<LLVM::GlobalOp>(wrong);
      if (!global || !global.getInitializerRegion().empty() ||
          global.getValueAttr() || symbols.lookup(right))
        continue;
      if (failed(symbols.rename(global, right))) {
        global.emitError("attn-openmpi-op-symbols: cannot rename to ") << right;
        return signalPassFailure();
      }
    }
  }
};
} // namespace
} // namespace mlir::attn
