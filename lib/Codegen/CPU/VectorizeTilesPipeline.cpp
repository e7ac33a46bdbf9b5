//===- VectorizeTilesPipeline.cpp - register tiles and vectors ------------===//

#include "attnc/Codegen/CPU/Passes.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"

using namespace mlir;

void mlir::attn::buildVectorizeTilesPipeline(
    OpPassManager &pm, const VectorizeTilesOptions &options) {
  AttnTileRegisterBlocksOptions tiles;
  tiles.rows = options.rows;
  tiles.lanes = options.lanes;
  tiles.nativeLanes = options.nativeLanes;
  tiles.prefetch = options.prefetch;
  tiles.bf16Dot = options.bf16Dot;
  pm.addPass(createAttnTileRegisterBlocks(tiles));
  if (options.prefetch)
    pm.addPass(createAttnPrefetchStreamedTiles());
  pm.addPass(createAttnVectorizeRegisterTiles());
  AttnLowerRowReductionsOptions rowReductions;
  rowReductions.lanes = options.lanes;
  rowReductions.nativeLanes = options.nativeLanes;
  rowReductions.bf16Dot = options.bf16Dot;
  pm.addPass(createAttnLowerRowReductions(rowReductions));
  AttnContractRegisterBlocksOptions blocks;
  blocks.nativeLanes = options.nativeLanes;
  pm.addPass(createAttnContractRegisterBlocks(blocks));
  if (options.bf16Dot) {
    AttnX86Bf16PairDotsOptions pairs;
    pairs.nativeLanes = options.nativeLanes;
    pm.addPass(createAttnX86Bf16PairDots(pairs));
  }
  AttnX86PreferVectorWidthOptions width;
  width.vectorBits = 32 * options.nativeLanes;
  pm.addPass(createAttnX86PreferVectorWidth(width));
}

void mlir::attn::registerVectorizeTilesPipeline() {
  PassPipelineRegistration<VectorizeTilesOptions>(
      "attn-vectorize-tiles",
      "Tile statically shaped linalg ops on tensors to register tiles and "
      "vectorize them (the passes of buildVectorizeTilesPipeline, on every "
      "func.func)",
      [](OpPassManager &pm, const VectorizeTilesOptions &options) {
        buildVectorizeTilesPipeline(pm.nest<func::FuncOp>(), options);
      });
}
