//===- MpiWorldCommunicator.cpp - one-axis collectives on MPI_COMM_WORLD --===//

#include "attnc/Codegen/CPU/Passes.h"

#include "mlir/Dialect/MPI/IR/MPI.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/Matchers.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNMPIWORLDCOMMUNICATOR
#include "attnc/Codegen/CPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace mlir::attn {
namespace {
struct AttnMpiWorldCommunicator
    : public impl::AttnMpiWorldCommunicatorBase<AttnMpiWorldCommunicator> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    bool oneAxis = true;
    module.walk([&](shard::GridOp grid) { oneAxis &= grid.getRank() == 1; });
    if (!oneAxis)
      return;
    SmallVector<mpi::CommSplitOp> splits;
    module.walk([&](mpi::CommSplitOp split) {
      if (split.getComm().getDefiningOp<mpi::CommWorldOp>() &&
          matchPattern(split.getColor(), m_Constant()) && !split.getRetval())
        splits.push_back(split);
    });
    for (mpi::CommSplitOp split : splits) {
      split.getNewcomm().replaceAllUsesWith(split.getComm());
      split.erase();
    }
  }
};
} // namespace
} // namespace mlir::attn
