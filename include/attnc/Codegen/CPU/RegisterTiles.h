//===- RegisterTiles.h - register blocks of tile-level linalg ops -*- C++ -*-===//
//
// How attn-tile-register-blocks cuts each statically shaped linalg op into
// register tiles, which attn-vectorize-register-tiles then vectorizes.
// Dialect-free: linalg, vector.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_CPU_REGISTERTILES_H
#define ATTNC_CODEGEN_CPU_REGISTERTILES_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace mlir::attn {

/// The target's register blocks: `rows` x `lanes` accumulators of
/// contractions, `nativeLanes` f32 lanes per machine vector, and whether
/// bf16 contractions take key pairs a step (vdpbf16ps).
struct RegisterTileConfig {
  int64_t rows = 6;
  int64_t lanes = 16;
  int64_t nativeLanes = 8;
  bool bf16Pairs = false;
};

/// Fails, with an error at `anchor` naming `pass`, where `config` is not a
/// target's: a count below one, or native lanes not a power of two.
LogicalResult verifyRegisterTileConfig(Operation *anchor, StringRef pass,
                                       const RegisterTileConfig &config);

/// A point along loop `loop` where a contraction is split in two so that
/// each part has whole register blocks (splitToWholeBlocks).
struct BlockSplit {
  unsigned loop;
  int64_t point;
};

/// An op's register tiles (tile size per loop; 1 walks a loop a step at a
/// time) and, where whole blocks do not cover a loop, the point at which
/// splitToWholeBlocks splits it first (the sizes are then the first part's).
struct RegisterTiles {
  SmallVector<int64_t> sizes;
  std::optional<BlockSplit> split;
};

/// The loops of `op`'s register blocks: the one that walks the output's
/// innermost dimension (the vector lanes) and the one that walks the
/// innermost dimension before it with more than one iteration (the rows).
struct OutputLoops {
  std::optional<unsigned> lane, row;
};
OutputLoops getOutputLoops(linalg::LinalgOp op);

/// Whether `op` is a contraction: two inputs and a reduction loop.
bool isContraction(linalg::LinalgOp op);

/// A two-input reduction whose reduction loops are the innermost dimension
/// of every input that walks them: a dot product along contiguous rows
/// (decode scores), or a row reduction against a broadcast operand.
bool isDotContraction(linalg::LinalgOp op);

/// The loop of a reduction (not a contraction) along its first input's
/// contiguous dimension, such as the row max and sum of a decode tile's
/// [rows, keys] scores.
std::optional<unsigned> getRowReductionLoop(linalg::LinalgOp op);

/// Register tiles for `op`: blocks for contractions, whole reductions for
/// dot products, rows otherwise; with the split that whole blocks need.
RegisterTiles chooseRegisterTiles(linalg::LinalgOp op,
                                  const RegisterTileConfig &config);

/// The same tiles where no split is made: the blocks shrink until they
/// divide their loops (every tile static).
SmallVector<int64_t> chooseDividingTileSizes(linalg::LinalgOp op,
                                             const RegisterTileConfig &config);

/// A part of a contraction after splitToWholeBlocks, and the split loops
/// along which it is the second part: an input that one of those loops does
/// not index is also read, whole, by the first part of that split.
struct BlockPart {
  linalg::LinalgOp op;
  SmallVector<unsigned> secondAlong;
};

/// Splits a contraction, with upstream linalg::splitOp, into parts of whole
/// register blocks (chooseRegisterTiles' splits, recursively); appends the
/// parts to `parts`.
void splitToWholeBlocks(RewriterBase &rewriter, linalg::LinalgOp op,
                        const RegisterTileConfig &config,
                        ArrayRef<unsigned> secondAlong,
                        SmallVectorImpl<BlockPart> &parts);

/// Whether `sizes` tile a contraction `op` to register blocks whose width
/// (the output's innermost dimension) is not a power of two.
bool isNonPowerOfTwoLaneBlock(linalg::LinalgOp op, ArrayRef<int64_t> sizes);

/// Unrolls the vector ops of such blocks, inside `blockLoops`, to one row
/// and one native vector of `nativeLanes`.
void unrollLaneBlocks(ArrayRef<Operation *> blockLoops, int64_t nativeLanes);

} // namespace mlir::attn

#endif // ATTNC_CODEGEN_CPU_REGISTERTILES_H
