//===- ContractRegisterBlocks.cpp - register blocks to vector.contract ----===//
//
// After vectorization and the row reductions: the reductions of register
// blocks become vector.contract (broadcast FMAs once lowered), the math on
// vectors is approximated by polynomials so that it stays vectorized, the
// vector IR that the tiles produced is folded, and blocks whose width is
// not a power of two (kUnrollLanesAttrName) are unrolled to native vectors.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/Passes.h"
#include "attnc/Codegen/CPU/RegisterTiles.h"

#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNCONTRACTREGISTERBLOCKS
#include "attnc/Codegen/CPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace mlir::attn {
namespace {
struct AttnContractRegisterBlocks
    : public impl::AttnContractRegisterBlocksBase<AttnContractRegisterBlocks> {
  using Base::Base;

  void runOnOperation() override {
    if (failed(verifyRegisterTileConfig(
            getOperation(), "attn-contract-register-blocks",
            RegisterTileConfig{/*rows=*/1, /*lanes=*/1, nativeLanes})))
      return signalPassFailure();
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    populateMathPolynomialApproximationPatterns(patterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorReductionToContractPatterns(patterns);
    vector::populateSinkVectorOpsPatterns(patterns);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    SmallVector<Operation *> blockLoops;
    getOperation()->walk([&](Operation *op) {
      if (op->removeAttr(codegen::kUnrollLanesAttrName))
        blockLoops.push_back(op);
    });
    unrollLaneBlocks(blockLoops, nativeLanes);
  }
};
} // namespace
} // namespace mlir::attn
