//===- Shard.cpp - annotate attn ops for tensor parallelism ---------------===//
//
// The choice of what to cut is each op's (getTensorParallelLoop, beside its
// ShardingInterface implementation); this pass declares the grid and writes
// that choice as shard.shard annotations for upstream's propagation and
// partition.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "attnc/Dialect/Attn/IR/ShardingInterfaceImpl.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterface.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNSHARD
#include "attnc/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace mlir::attn {
namespace {
/// Whether `op` makes an initial value: an empty tensor, or a fill of one.
bool isInitialValue(Operation *op) {
  if (isa<tensor::EmptyOp>(op))
    return true;
  auto fill = dyn_cast<linalg::FillOp>(op);
  return fill && fill.hasPureTensorSemantics() &&
         fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>();
}

/// Gives every use of a shared initial value its own copy, made just before
/// the user: model IR lets one zero-filled tensor start several matmuls (a
/// column-parallel projection and the row-parallel one after attention),
/// which need it cut differently.
void untieInitialValues(func::FuncOp func) {
  SmallVector<Operation *> shared;
  func.walk([&](Operation *op) {
    if (isInitialValue(op) && op->getNumResults() == 1 &&
        !op->getResult(0).hasOneUse())
      shared.push_back(op);
  });
  for (Operation *op : shared) {
    SmallVector<OpOperand *> uses = llvm::map_to_vector(
        op->getResult(0).getUses(), [](OpOperand &use) { return &use; });
    for (OpOperand *use : llvm::drop_begin(uses)) {
      OpBuilder b(use->getOwner());
      IRMapping mapping;
      if (auto fill = dyn_cast<linalg::FillOp>(op))
        b.clone(*fill.getOutputs()[0].getDefiningOp(), mapping);
      use->set(b.clone(*op, mapping)->getResult(0));
    }
  }
}

struct AttnShard : public impl::AttnShardBase<AttnShard> {
  using AttnShardBase::AttnShardBase;

  /// Checked when the options are parsed (attn-opt) and when the pass runs
  /// (pipelines that build it).
  LogicalResult
  checkOptions(function_ref<LogicalResult(const Twine &)> error) const {
    if (devices < 1)
      return error("attn-shard: devices must be at least 1, not " +
                   Twine(int64_t(devices)));
    if (mpiImplementation != "OpenMPI" && mpiImplementation != "MPICH")
      return error("attn-shard: mpi must be OpenMPI or MPICH, not '" +
                   Twine(mpiImplementation) + "'");
    return success();
  }

  LogicalResult initializeOptions(
      StringRef options,
      function_ref<LogicalResult(const Twine &)> errorHandler) override {
    if (failed(AttnShardBase::initializeOptions(options, errorHandler)))
      return failure();
    return checkOptions(errorHandler);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    if (failed(checkOptions([&](const Twine &message) {
          return mlir::emitError(module.getLoc(), message);
        })))
      return signalPassFailure();
    int64_t count = devices;

    // The grid: declared here, or the module's own of that name if it has
    // one of the right shape.
    auto grid = SymbolTable::lookupNearestSymbolFrom<shard::GridOp>(
        module, StringAttr::get(ctx, gridName));
    if (grid) {
      if (grid.getRank() != 1 || grid.getShape()[0] != count) {
        grid.emitError("attn-shard: grid @")
            << gridName << " is not one-dimensional with " << count
            << " devices";
        return signalPassFailure();
      }
    } else {
      OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
      grid = shard::GridOp::create(b, module.getLoc(), gridName,
                                   ArrayRef<int64_t>{count});
      // Private: once the collectives are MPI calls, symbol-dce drops it.
      SymbolTable::setSymbolVisibility(grid, SymbolTable::Visibility::Private);
    }
    module->setAttr(
        "dlti.map",
        MapAttr::get(
            ctx, {DataLayoutEntryAttr::get(
                     StringAttr::get(ctx, "MPI:Implementation"),
                     StringAttr::get(ctx, mpiImplementation))}));

    module.walk([](func::FuncOp func) {
      bool hasAttention = false;
      func.walk([&](Operation *op) {
        hasAttention |= isa<AttnDialect>(op->getDialect());
      });
      if (hasAttention)
        untieInitialValues(func);
    });

    SmallVector<shard::ShardingInterface> ops;
    module.walk([&](Operation *op) {
      if (isa<AttnDialect>(op->getDialect()))
        if (auto sharded = dyn_cast<shard::ShardingInterface>(op))
          ops.push_back(sharded);
    });
    OpBuilder builder(ctx);
    for (shard::ShardingInterface op : ops) {
      std::string why;
      FailureOr<unsigned> loop = getTensorParallelLoop(op, count, why);
      if (failed(loop)) {
        op->emitOpError("cannot be split over ")
            << count << " devices: " << why;
        return signalPassFailure();
      }
      shard::ShardingOption option;
      option.grid = FlatSymbolRefAttr::get(grid.getSymNameAttr());
      option.shardingArray.resize(*loop + 1);
      option.shardingArray[*loop] = {0};
      builder.setInsertionPoint(op);
      if (failed(op.addShardingAnnotations(builder, option))) {
        op->emitOpError("attn-shard: cannot annotate its operands");
        return signalPassFailure();
      }
    }
  }
};
} // namespace
} // namespace mlir::attn
