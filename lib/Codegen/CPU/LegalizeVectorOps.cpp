//===- LegalizeVectorOps.cpp - vector IR that LLVM lowers correctly -------===//
//
// linalg::vectorize turns any elementwise body into vector ops, but
// upstream's LLVM lowerings take only some vector forms: some ops fail to
// lower (a vector exponent for llvm.intr.powi, rank-2 vectors for
// llvm.intr.is.fpclass), and transfers of i1 vectors lower to bit-packed
// loads and stores of memory that every other access addresses a byte per
// element. This pass rewrites those forms into ones that lower to what the
// scalar ops compute.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLEGALIZEVECTOROPS
#include "attnc/Codegen/CPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {

/// Whether `op` transfers a vector whose elements do not each fill whole
/// bytes: LLVM stores such a vector bit-packed.
/// Such transfers of more than one element are unrolled.
bool isPackedTransfer(Operation *op) {
  auto transfer = dyn_cast<VectorTransferOpInterface>(op);
  if (!transfer)
    return false;
  VectorType vector = transfer.getVectorType();
  return vector.getElementTypeBitWidth() % 8 != 0 && !vector.isScalable() &&
         vector.getNumElements() > 1;
}

/// Whether `op` is an elementwise op whose LLVM lowering may take only
/// rank-1 vectors: any math op, and arith ops with several results.
bool needsRankOneVectors(Operation *op) {
  if (!OpTrait::hasElementwiseMappableTraits(op) || op->getNumRegions() != 0)
    return false;
  if (!isa<math::MathDialect, arith::ArithDialect>(op->getDialect()))
    return false;
  if (isa<arith::ArithDialect>(op->getDialect()) && op->getNumResults() < 2)
    return false;
  auto isHighRank = [](Type type) {
    auto vector = dyn_cast<VectorType>(type);
    return vector && vector.getRank() > 1;
  };
  return llvm::any_of(op->getOperandTypes(), isHighRank) ||
         llvm::any_of(op->getResultTypes(), isHighRank);
}

/// Unrolls an elementwise op on vectors of rank 2 or more into one op per
/// innermost row: each operand's row is extracted, the op is rebuilt on
/// rank-1 vectors and each result row inserted into the result.
struct UnrollToRankOne : RewritePattern {
  UnrollToRankOne(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!needsRankOneVectors(op))
      return failure();
    // Elementwise-mappable ops give every vector operand and result the
    // same shape; scalar operands (none among math and arith ops today)
    // are not unrolled.
    VectorType shapeSource;
    for (Type type : llvm::concat<Type>(op->getOperandTypes(),
                                        op->getResultTypes()))
      if (auto vector = dyn_cast<VectorType>(type))
        shapeSource = vector;
    if (!shapeSource || shapeSource.isScalable())
      return rewriter.notifyMatchFailure(op, "needs fixed-size vectors");
    ArrayRef<int64_t> shape = shapeSource.getShape();
    ArrayRef<int64_t> outer = shape.drop_back();
    auto rowType = [&](Type type) -> Type {
      auto vector = dyn_cast<VectorType>(type);
      if (!vector)
        return type;
      return VectorType::get(shape.back(), vector.getElementType());
    };

    Location loc = op->getLoc();
    SmallVector<Value> results;
    for (Type type : op->getResultTypes())
      results.push_back(ub::PoisonOp::create(rewriter, loc, type));
    SmallVector<int64_t> position(outer.size(), 0);
    int64_t rows = ShapedType::getNumElements(outer);
    for (int64_t row = 0; row < rows; ++row) {
      SmallVector<Value> operands;
      for (Value operand : op->getOperands())
        operands.push_back(
            isa<VectorType>(operand.getType())
                ? vector::ExtractOp::create(rewriter, loc, operand, position)
                      .getResult()
                : operand);
      OperationState state(loc, op->getName(), operands,
                           llvm::map_to_vector(op->getResultTypes(), rowType),
                           op->getAttrs());
      Operation *rowOp = rewriter.create(state);
      for (auto [result, rowResult] :
           llvm::zip_equal(results, rowOp->getResults()))
        result = vector::InsertOp::create(rewriter, loc, rowResult, result,
                                          position);
      // Next position, innermost fastest.
      for (int64_t d = static_cast<int64_t>(outer.size()) - 1; d >= 0; --d) {
        if (++position[d] < outer[d])
          break;
        position[d] = 0;
      }
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

struct LegalizeVectorOpsPass
    : attn::impl::AttnLegalizeVectorOpsBase<LegalizeVectorOpsPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    func::FuncOp func = getOperation();

    // Vector exponents of fpowi: upstream's expansion. Only vector ops, so
    // that scalar fpowi keeps its llvm.intr.powi.
    SmallVector<Operation *> vectorPowers;
    func.walk([&](math::FPowIOp op) {
      if (isa<VectorType>(op.getType()))
        vectorPowers.push_back(op);
    });
    if (!vectorPowers.empty()) {
      RewritePatternSet expansion(ctx);
      math::populateExpansionPatterns(expansion, {"fpowi"});
      (void)applyOpPatternsGreedily(vectorPowers, std::move(expansion));
    }

    // Rank-1 vectors for the math and multi-result arith ops, and
    // single-element transfers of sub-byte vectors.
    RewritePatternSet patterns(ctx);
    patterns.add<UnrollToRankOne>(ctx);
    vector::populateVectorUnrollPatterns(
        patterns,
        vector::UnrollVectorOptions()
            .setFilterConstraint(
                [](Operation *op) { return success(isPackedTransfer(op)); })
            .setNativeShapeFn(
                [](Operation *op) -> std::optional<SmallVector<int64_t>> {
                  auto transfer = cast<VectorTransferOpInterface>(op);
                  return SmallVector<int64_t>(
                      transfer.getVectorType().getRank(), 1);
                }));
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace
