//===- PrefetchStreamedTiles.h - software prefetch of K/V tiles -*- C++ -*-===//

#ifndef ATTNC_CODEGEN_CPU_PREFETCHSTREAMEDTILES_H
#define ATTNC_CODEGEN_CPU_PREFETCHSTREAMEDTILES_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::attn {

/// Which lines a prefetch asks for, and into which cache.
enum class PrefetchTarget {
  /// The next key tile's, into L2 (locality 2: prefetcht1 on x86). A
  /// decode key step's K and V tiles are each about half of a 32 KiB L1:
  /// prefetched into L1 one tile ahead, they evict the tiles being read
  /// before their P.V reads them (docs/performance.md, "Measured and
  /// dropped").
  NextTileIntoL2,
  /// The key tile's own, into L1 (locality 3): the V rows that the key
  /// step's P.V reads column block by column block after its scores, brought
  /// from L2 while the scores compute.
  ThisTileIntoL1,
};

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

/// Prefetches, in a register tile's loop, the lines of `keyTile` that the
/// tile's `input` reads, of the next key tile (`NextTileIntoL2`) or its own
/// (`ThisTileIntoL1`); `buffers` caches the memrefs of the tensors read.
void prefetchKeyTile(RewriterBase &rewriter, Value input,
                     tensor::ExtractSliceOp keyTile, unsigned dim,
                     PrefetchTarget target, DenseMap<Value, Value> &buffers);

/// Prefetches, next to a dot-product score tile's key row `keyRow`, the V
/// rows of the same keys that the key step's P.V reads; false where the
/// slices do not have that shape.
bool prefetchValueRow(RewriterBase &rewriter, Value keyRow,
                      StreamedInput keys, StreamedInput values,
                      DenseMap<Value, Value> &buffers);

} // namespace mlir::attn

#endif // ATTNC_CODEGEN_CPU_PREFETCHSTREAMEDTILES_H
