//===- VectorizeTiles.cpp - register tiling and vectorization -------------===//
//
// The tile-level linalg ops of the flash lowering have small static shapes.
// Each is tiled to the register tiles of lib/Codegen/CPU/RegisterTiles
// (contractions to register blocks, everything else to whole rows), its
// streamed K/V tiles prefetched (PrefetchStreamedTiles), and each tile
// vectorized by linalg::vectorize; then the row reductions (RowReductions)
// and, on x86 with avx512_bf16, bf16 products (X86/Bf16Dots) are rewritten,
// and math on vectors is approximated by polynomials so that it stays
// vectorized.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/PrefetchStreamedTiles.h"
#include "attnc/Codegen/CPU/RegisterTiles.h"
#include "attnc/Codegen/CPU/RowReductions.h"
#include "attnc/Codegen/CPU/X86/Bf16Dots.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Affine/ViewLikeInterfaceUtils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Approximation.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/IR/Dominance.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNVECTORIZETILES
#include "attnc/Dialect/Attn/Transforms/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace mlir::attn {
namespace {
struct AttnVectorizeTiles
    : public impl::AttnVectorizeTilesBase<AttnVectorizeTiles> {
  using Base::Base;

  RegisterTileConfig config() const {
    return RegisterTileConfig{rows, lanes, nativeLanes, bf16Dot};
  }

  /// Tiles `op` to register blocks and vectorizes each tile; prefetches the
  /// next tile of its streamed key tiles (`keyTiles`, per input); collects
  /// the dot-product reductions and the loops of blocks to unroll.
  LogicalResult tileAndVectorize(
      RewriterBase &rewriter, linalg::LinalgOp op,
      ArrayRef<StreamedInput> keyTiles,
      DenseMap<Value, Value> &buffers, SmallVector<Operation *> &dotReductions,
      SmallVector<Operation *> &wideBlockLoops,
      const StreamedInput &valuesWithKeys, bool &prefetchedValues) {
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<int64_t> sizes = chooseDividingTileSizes(op, config());
    rewriter.setInsertionPoint(op);
    scf::SCFTilingOptions options;
    options.setTileSizes(getAsIndexOpFoldResult(ctx, sizes));
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return op->emitError("attn-vectorize-tiles: tiling failed");
    // Classify before the op is replaced (and freed).
    // Dot products and row reductions reduce along a row: their reductions
    // are lowered to FMAs or vector.reduction below (a reduction tree), not
    // by the later multi-reduction lowering (a serial chain of scalars).
    bool dot = isDotContraction(op);
    bool reducesAlongRows = dot || getRowReductionLoop(op).has_value();
    bool wideBlock = isNonPowerOfTwoLaneBlock(op, sizes);
    SmallVector<bool> prefetchInput;
    for (OpOperand *input : op.getDpsInputOperands())
      prefetchInput.push_back(readsTileOnce(op, sizes, *input));
    rewriter.replaceOp(op, tiled->replacements);
    for (Operation *tiledOp : tiled->tiledOps) {
      if (wideBlock)
        wideBlockLoops.push_back(tiledOp->getParentOp());
      rewriter.setInsertionPoint(tiledOp);
      for (auto [input, streamed, once] :
           llvm::zip(cast<linalg::LinalgOp>(tiledOp).getDpsInputOperands(),
                     keyTiles, prefetchInput))
        if (streamed.keyTile && once) {
          prefetchKeyTile(rewriter, input->get(), streamed.keyTile,
                          streamed.dim, PrefetchTarget::NextTileIntoL2,
                          buffers);
          if (valuesWithKeys.keyTile && dot &&
              prefetchValueRow(rewriter, input->get(), streamed,
                               valuesWithKeys, buffers))
            prefetchedValues = true;
        }
      // Tiling offsets linalg.index with affine.apply, which the vectorizer
      // does not take (the gate's gather by token id): make it arith.
      SmallVector<Operation *> applies;
      tiledOp->walk([&](affine::AffineApplyOp apply) {
        applies.push_back(apply);
      });
      if (!applies.empty()) {
        RewritePatternSet affinePatterns(ctx);
        populateAffineToStdConversionPatterns(affinePatterns);
        (void)applyOpPatternsGreedily(applies, std::move(affinePatterns));
      }
      rewriter.setInsertionPoint(tiledOp);
      FailureOr<linalg::VectorizationResult> vectorized =
          linalg::vectorize(rewriter, tiledOp, /*inputVectorSizes=*/{},
                            /*inputScalableVecDims=*/{},
                            /*vectorizeNDExtract=*/true);
      if (failed(vectorized))
        continue; // Left scalar; later lowering handles it.
      rewriter.replaceOp(tiledOp, vectorized->replacements);
      if (reducesAlongRows)
        for (Value v : vectorized->replacements)
          if (Operation *def = v.getDefiningOp())
            def->getParentRegion()->walk([&](vector::MultiDimReductionOp r) {
              dotReductions.push_back(r);
            });
    }
    return success();
  }

  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    if (rows < 1 || lanes < 1 || nativeLanes < 1) {
      // A bad option, not bad IR: report it at the input, not on an op.
      emitError(getOperation()->getLoc())
          << "attn-vectorize-tiles: rows, lanes and native-lanes must be "
             "positive, got rows="
          << static_cast<int64_t>(rows) << " lanes=" << static_cast<int64_t>(lanes)
          << " native-lanes=" << static_cast<int64_t>(nativeLanes);
      return signalPassFailure();
    }
    // Machine vectors: attn-cpu-pipeline's vector-bits / 32.
    if (!llvm::isPowerOf2_64(nativeLanes)) {
      emitError(getOperation()->getLoc())
          << "attn-vectorize-tiles: native-lanes must be a power of two (the "
             "f32 lanes of a machine vector), got "
          << static_cast<int64_t>(nativeLanes);
      return signalPassFailure();
    }
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && op.getNumDpsInits() == 1 &&
          !op.hasDynamicShape() && op.getNumLoops() > 0)
        ops.push_back(op);
    });
    IRRewriter rewriter(ctx);
    SmallVector<Operation *> dotReductions;
    SmallVector<Operation *> wideBlockLoops;
    DenseMap<Value, Value> buffers;
    llvm::SetVector<Operation *> vectorizedFunctions;
    // The streamed key tiles of `op`, recorded before it is split or tiled:
    // per input, the key tile slice and the dimension its loop walks.
    auto getStreamedInputs = [&](linalg::LinalgOp op) {
      SmallVector<StreamedInput> keyTiles;
      auto streamed =
          op->getAttrOfType<DenseI64ArrayAttr>(kStreamedKeyTileAttrName);
      for (auto [i, input] : llvm::enumerate(op.getDpsInputOperands())) {
        int64_t dim =
            streamed && prefetch && static_cast<int64_t>(i) < streamed.size()
                ? streamed[i]
                : -1;
        auto keyTile = input->get().getDefiningOp<tensor::ExtractSliceOp>();
        keyTiles.push_back({dim >= 0 ? keyTile : nullptr, dim});
      }
      return keyTiles;
    };
    // The streamed V tile of the P.V that follows a dot-product score op in
    // its key step, and the P.V, for the score's key rows to prefetch with
    // theirs (prefetchValueRow).
    auto findValuesOfKeyStep =
        [&](linalg::LinalgOp scores) -> std::pair<StreamedInput, Operation *> {
      if (!isDotContraction(scores))
        return {};
      for (Operation *next = scores->getNextNode(); next;
           next = next->getNextNode()) {
        auto pv = dyn_cast<linalg::LinalgOp>(next);
        if (!pv || !pv->hasAttr(kStreamedKeyTileAttrName) ||
            !isContraction(pv) || isDotContraction(pv))
          continue;
        for (const StreamedInput &input : getStreamedInputs(pv))
          if (input.keyTile)
            return {input, next};
        return {};
      }
      return {};
    };
    // P.V ops whose V rows their score op prefetched.
    llvm::SmallPtrSet<Operation *, 8> valuesPrefetched;
    for (linalg::LinalgOp op : ops) {
      if (auto func = op->getParentOfType<FunctionOpInterface>())
        vectorizedFunctions.insert(func);
      SmallVector<StreamedInput> keyTiles = getStreamedInputs(op);
      if (valuesPrefetched.contains(op.getOperation()))
        keyTiles.assign(keyTiles.size(), StreamedInput());
      auto [valuesWithKeys, valuesOp] = findValuesOfKeyStep(op);
      // A second score contraction of the same key step (a latent and a
      // rope part) leaves the V rows to the first.
      if (valuesOp && valuesPrefetched.contains(valuesOp))
        valuesWithKeys = StreamedInput();
      SmallVector<BlockPart> parts;
      splitToWholeBlocks(rewriter, op, config(), /*secondAlong=*/{}, parts);
      for (BlockPart &part : parts) {
        // Inputs that a part shares with an earlier one are prefetched by
        // the earlier one only.
        SmallVector<StreamedInput> partKeyTiles(
            keyTiles);
        for (auto [input, streamed] :
             llvm::zip(part.op.getDpsInputOperands(), partKeyTiles)) {
          AffineMap map = part.op.getMatchingIndexingMap(input);
          if (llvm::any_of(part.secondAlong, [&](unsigned loop) {
                return !map.isFunctionOfDim(loop);
              }))
            streamed = StreamedInput();
        }
        bool prefetchedValues = false;
        if (failed(tileAndVectorize(rewriter, part.op, partKeyTiles, buffers,
                                    dotReductions, wideBlockLoops,
                                    valuesWithKeys, prefetchedValues)))
          return signalPassFailure();
        if (prefetchedValues)
          valuesPrefetched.insert(valuesOp);
      }
    }

    // Dot products become FMAs along the row and horizontal sums of four rows
    // at a time: rewrite and lower their reductions before the patterns below
    // could make them contracts.
    RewritePatternSet dotPatterns(ctx);
    populateDotReductionToFMAsPattern(dotPatterns, lanes);
    if (bf16Dot)
      populateX86Bf16DotReductionPattern(dotPatterns,
                                         std::min<int64_t>(nativeLanes, 16));
    populateMultiRowHorizontalSumsPattern(dotPatterns, nativeLanes);
    vector::populateVectorMultiReductionLoweringPatterns(
        dotPatterns, vector::VectorMultiReductionLowering::InnerReduction);
    (void)applyOpPatternsGreedily(
        dotReductions, std::move(dotPatterns),
        GreedyRewriteConfig().setStrictness(
            GreedyRewriteStrictness::ExistingAndNewOps));

    // Register blocks become vector.contract (broadcast FMAs); math stays
    // vectorized; fold the vector IR the tiles produced.
    RewritePatternSet patterns(ctx);
    populateMathPolynomialApproximationPatterns(patterns);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorReductionToContractPatterns(patterns);
    vector::populateSinkVectorOpsPatterns(patterns);
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, ctx);
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, ctx);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    unrollLaneBlocks(wideBlockLoops, nativeLanes);

    // Blocks over bf16 key pairs become bf16 dot-product instructions.
    if (bf16Dot) {
      RewritePatternSet pairPatterns(ctx);
      populateX86Bf16PairContractPattern(pairPatterns,
                                         std::min<int64_t>(nativeLanes, 16));
      if (failed(
              applyPatternsGreedily(getOperation(), std::move(pairPatterns))))
        return signalPassFailure();
    }

    // x86 CPUs with AVX-512 prefer 256-bit vectors, and LLVM would split
    // each of the 512-bit vectors sized above in two.
    if (nativeLanes * 32 > 256) {
      auto width = StringAttr::get(ctx, std::to_string(nativeLanes * 32));
      for (Operation *func : vectorizedFunctions)
        func->setAttr("prefer_vector_width", width);
    }
  }
};
} // namespace
} // namespace mlir::attn
