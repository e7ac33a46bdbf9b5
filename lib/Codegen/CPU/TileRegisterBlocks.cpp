//===- TileRegisterBlocks.cpp - tile linalg ops to register tiles ---------===//
//
// Every statically shaped linalg op on tensors (the tile-level ops of the
// flash lowering, the projections around it) is cut into the register tiles
// that lib/Codegen/CPU/RegisterTiles chooses, with upstream's SCF tiling
// driver; contractions whose blocks do not divide them are split first. The
// pass leaves its plan for the passes after it as marks
// (CodegenDialect.h): which tiles prefetch which streamed key tile, which
// reduce along rows, which block loops to unroll.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/Passes.h"
#include "attnc/Codegen/CPU/PrefetchStreamedTiles.h"
#include "attnc/Codegen/CPU/RegisterTiles.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNTILEREGISTERBLOCKS
#include "attnc/Codegen/CPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace mlir::attn {

namespace {
struct AttnTileRegisterBlocks
    : public impl::AttnTileRegisterBlocksBase<AttnTileRegisterBlocks> {
  using Base::Base;

  RegisterTileConfig config() const {
    return RegisterTileConfig{rows, lanes, nativeLanes, bf16Dot};
  }

  /// The id of the key tile `input` in the prefetch plan, marking the slice
  /// with it the first time; -1 where the slice is already marked along
  /// another dimension.
  int64_t getKeyTileId(const StreamedInput &input) {
    Operation *slice = input.keyTile;
    auto known = keyTileIds.find(slice);
    if (known != keyTileIds.end())
      return known->second.second == input.dim ? known->second.first : -1;
    int64_t id = keyTileIds.size();
    keyTileIds[slice] = {id, input.dim};
    slice->setAttr(codegen::kKeyTileAttrName,
                   DenseI64ArrayAttr::get(slice->getContext(), {id, input.dim}));
    return id;
  }

  /// Tiles `op` to register tiles; marks each tile with its prefetches of
  /// `keyTiles` (per input) and, for a dot product, of the key step's V rows
  /// (`valuesWithKeys`); sets `prefetchedValues` where those can be
  /// prefetched.
  LogicalResult tile(RewriterBase &rewriter, linalg::LinalgOp op,
                     ArrayRef<StreamedInput> keyTiles,
                     const StreamedInput &valuesWithKeys,
                     bool &prefetchedValues) {
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<int64_t> sizes = chooseDividingTileSizes(op, config());
    rewriter.setInsertionPoint(op);
    scf::SCFTilingOptions options;
    options.setTileSizes(getAsIndexOpFoldResult(ctx, sizes));
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), options);
    if (failed(tiled))
      return op->emitError("attn-tile-register-blocks: tiling failed");
    // Classify before the op is replaced (and freed).
    // Dot products and row reductions reduce along a row: their reductions
    // are lowered to FMAs or vector.reduction (a reduction tree,
    // attn-lower-row-reductions), not by the later multi-reduction lowering
    // (a serial chain of scalars).
    bool dot = isDotContraction(op);
    bool reducesAlongRows = dot || getRowReductionLoop(op).has_value();
    bool wideBlock = isNonPowerOfTwoLaneBlock(op, sizes);
    SmallVector<bool> prefetchInput;
    for (OpOperand *input : op.getDpsInputOperands())
      prefetchInput.push_back(readsTileOnce(op, sizes, *input));
    rewriter.replaceOp(op, tiled->replacements);
    for (Operation *tiledOp : tiled->tiledOps) {
      if (wideBlock)
        tiledOp->getParentOp()->setAttr(codegen::kUnrollLanesAttrName,
                                        UnitAttr::get(ctx));
      if (reducesAlongRows)
        tiledOp->setAttr(codegen::kRowReductionAttrName, UnitAttr::get(ctx));
      // The plan has read the streamed-tile mark: the tiles do not carry it.
      tiledOp->removeAttr(codegen::kStreamedKeyTileAttrName);
      SmallVector<int64_t> ids;
      bool anyPrefetch = false, prefetchesValues = false;
      for (auto [input, streamed, once] :
           llvm::zip(cast<linalg::LinalgOp>(tiledOp).getDpsInputOperands(),
                     keyTiles, prefetchInput)) {
        ids.push_back(-1);
        if (!streamed.keyTile || !once)
          continue;
        ids.back() = getKeyTileId(streamed);
        anyPrefetch |= ids.back() >= 0;
        if (ids.back() >= 0 && valuesWithKeys.keyTile && dot &&
            canPrefetchValueRow(input->get(), streamed, valuesWithKeys))
          prefetchesValues = true;
      }
      if (!anyPrefetch)
        continue;
      tiledOp->setAttr(codegen::kPrefetchKeyTilesAttrName,
                       DenseI64ArrayAttr::get(ctx, ids));
      // The P.V leaves its V rows to this tile only where it prefetches them.
      int64_t valueId = prefetchesValues ? getKeyTileId(valuesWithKeys) : -1;
      if (valueId >= 0) {
        tiledOp->setAttr(
            codegen::kPrefetchValueRowsAttrName,
            IntegerAttr::get(IntegerType::get(ctx, 64), valueId));
        prefetchedValues = true;
      }
    }
    return success();
  }

  /// The streamed key tiles of `op`, recorded before it is split or tiled:
  /// per input, the key tile slice and the dimension its loop walks.
  SmallVector<StreamedInput> getStreamedInputs(linalg::LinalgOp op) const {
    SmallVector<StreamedInput> keyTiles;
    auto streamed =
        op->getAttrOfType<DenseI64ArrayAttr>(codegen::kStreamedKeyTileAttrName);
    for (auto [i, input] : llvm::enumerate(op.getDpsInputOperands())) {
      int64_t dim = streamed && prefetch &&
                            static_cast<int64_t>(i) < streamed.size()
                        ? streamed[i]
                        : -1;
      auto keyTile = input->get().getDefiningOp<tensor::ExtractSliceOp>();
      keyTiles.push_back({dim >= 0 ? keyTile : nullptr, dim});
    }
    return keyTiles;
  }

  /// The streamed V tile of the P.V that follows a dot-product score op in
  /// its key step, and the P.V, for the score's key rows to prefetch with
  /// theirs.
  std::pair<StreamedInput, Operation *>
  findValuesOfKeyStep(linalg::LinalgOp scores) const {
    if (!isDotContraction(scores))
      return {};
    for (Operation *next = scores->getNextNode(); next;
         next = next->getNextNode()) {
      auto pv = dyn_cast<linalg::LinalgOp>(next);
      if (!pv || !pv->hasAttr(codegen::kStreamedKeyTileAttrName) ||
          !isContraction(pv) || isDotContraction(pv))
        continue;
      for (const StreamedInput &input : getStreamedInputs(pv))
        if (input.keyTile)
          return {input, next};
      return {};
    }
    return {};
  }

  void runOnOperation() override {
    if (failed(verifyRegisterTileConfig(getOperation(),
                                        "attn-tile-register-blocks",
                                        config())))
      return signalPassFailure();
    keyTileIds.clear();
    SmallVector<linalg::LinalgOp> ops;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && op.getNumDpsInits() == 1 &&
          !op.hasDynamicShape() && op.getNumLoops() > 0 &&
          !op->hasAttr(codegen::kAmxTileAttrName))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    // P.V ops whose V rows their score op prefetches.
    llvm::SmallPtrSet<Operation *, 8> valuesPrefetched;
    for (linalg::LinalgOp op : ops) {
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
        SmallVector<StreamedInput> partKeyTiles(keyTiles);
        for (auto [input, streamed] :
             llvm::zip(part.op.getDpsInputOperands(), partKeyTiles)) {
          AffineMap map = part.op.getMatchingIndexingMap(input);
          if (llvm::any_of(part.secondAlong, [&](unsigned loop) {
                return !map.isFunctionOfDim(loop);
              }))
            streamed = StreamedInput();
        }
        bool prefetchedValues = false;
        if (failed(tile(rewriter, part.op, partKeyTiles, valuesWithKeys,
                        prefetchedValues)))
          return signalPassFailure();
        if (prefetchedValues)
          valuesPrefetched.insert(valuesOp);
      }
    }
  }

  /// The key tiles of this function's plan: id and dimension.
  DenseMap<Operation *, std::pair<int64_t, int64_t>> keyTileIds;
};
} // namespace
} // namespace mlir::attn
