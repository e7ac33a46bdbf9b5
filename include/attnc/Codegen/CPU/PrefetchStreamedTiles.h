//===- PrefetchStreamedTiles.h - software prefetch of K/V tiles -*- C++ -*-===//

#ifndef ATTNC_CODEGEN_CPU_PREFETCHSTREAMEDTILES_H
#define ATTNC_CODEGEN_CPU_PREFETCHSTREAMEDTILES_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {

/// An input of a contraction that attn-flash-lowering marked as streamed:
/// the key tile slice it reads and the dimension of the slice's source that
/// the key loop walks (kStreamedKeyTileAttrName); a null `keyTile` for an
/// input that is not streamed or not to be prefetched.
struct StreamedInput {
  tensor::ExtractSliceOp keyTile;
  int64_t dim = -1;
};

/// Whether the register tiles of `op` (tile `sizes`) read each element of
/// `input` once: every loop that does not index it has one tile.
bool readsTileOnce(linalg::LinalgOp op, ArrayRef<int64_t> sizes,
                   OpOperand &input);

/// Whether attn-prefetch-streamed-tiles can prefetch, next to a dot-product
/// score tile's key row `keyRow` (a [1, ..., row] slice of `keys`' key
/// tile), the rows of the same keys in `values`' tile, which the key step's
/// P.V reads.
bool canPrefetchValueRow(Value keyRow, StreamedInput keys,
                         StreamedInput values);

} // namespace mlir::attn

#endif // ATTNC_CODEGEN_CPU_PREFETCHSTREAMEDTILES_H
