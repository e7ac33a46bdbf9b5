//===- FlashBuilder.h - the FlashAttention-2 loop nest of one op -*- C++ -*-===//
//
// Builds the loop nest of attn-flash-lowering for one attn.attention (see
// FlashLowering.cpp): FlashTiles.cpp makes the tiles and one key step,
// FlashLoops.cpp the loops around them, the row state and the split-KV
// merge. Internal to lib/Dialect/Attn/Transforms.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_LIB_DIALECT_ATTN_TRANSFORMS_FLASHBUILDER_H
#define ATTNC_LIB_DIALECT_ATTN_TRANSFORMS_FLASHBUILDER_H

#include "attnc/Codegen/IR/CodegenDialect.h"
#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "attnc/Dialect/Attn/IR/LinalgBuilders.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"

namespace mlir::attn {

/// Rows of an AMX tile; bf16 elements in one 64-byte tile row.
constexpr int64_t kAmxTileRows = 16;
constexpr int64_t kAmxPairRow = 32;

/// An operand of the attention with its indexing map.
struct MappedOperand {
  Value value;
  AffineMap map;
};

/// The online-softmax state carried across key tiles.
struct RowState {
  Value rowMax, rowSum, acc;
};

class FlashBuilder {
public:
  /// Lowers `op` as `config` (its target's choices) says.
  FlashBuilder(OpBuilder &b, AttentionOp op, codegen::FlashConfigAttr config);

  /// One query-position (M) and one key-position (K2) dimension are needed.
  static bool isSupported(AttentionOp op) {
    AttentionDims dims = op.getAttentionDims();
    return dims.queryPosDim && dims.getDimsWithRole(DimRole::K2).size() == 1;
  }

  /// The output, and the log-sum-exp when the op has one.
  SmallVector<Value> build();

private:
  int64_t extent(unsigned dim) const { return dims.extents[dim]; }

  /// The slice of `operand` at a point, query tile and key tile. Point
  /// dimensions (read at `index floordiv group` for grouped operands) are
  /// dropped, so that tile maps are plain projected permutations.
  Value slice(OpBuilder &b, const MappedOperand &operand, ArrayRef<Value> point,
              Value q0, int64_t qSize, Value k0, int64_t kSize);

  /// Map of an operand slice in `domain` (a list of op dims); point dims are
  /// not in the slice.
  AffineMap sliceMap(ArrayRef<unsigned> domain, const MappedOperand &operand) const;
  /// Whether `operand`'s slice drops op dimension `d`.
  bool dropsDim(const MappedOperand &operand, unsigned d) const;
  /// A query tile that holds every query of its point (decode) reads every
  /// key tile once, streaming K and V from memory: marks `contraction`'s
  /// input `input`, a K or V tile of `operand`, for attn-vectorize-tiles to
  /// prefetch the next tile (kStreamedKeyTileAttrName). Query tiles of a
  /// longer sequence share each K/V tile, which stays in cache.
  void markStreamed(Value contraction, unsigned input,
                    const MappedOperand &operand, int64_t qSize) const;
  /// Map of a tile-local tensor indexed by `tensorDims` in `domain`.
  AffineMap tileMap(ArrayRef<unsigned> domain, ArrayRef<unsigned> tensorDims) const;

  SmallVector<utils::IteratorType> iterators(ArrayRef<unsigned> domain,
                                             ArrayRef<unsigned> reduced) const;

  /// The row state of queries [q0, q0 + qSize) at `point` after every key
  /// tile they can see, or, with `split`, after split `split` of `numSplits`
  /// equal shares of those tiles (the last split also takes the remainder).
  RowState buildRowState(OpBuilder &b, ArrayRef<Value> point, Value q0,
                         int64_t qSize, Value split, int64_t numSplits);
  /// out = acc / l (0 for a row with no visible key) written into `outSlice`.
  Value buildNormalizedTile(OpBuilder &b, RowState state, int64_t qSize,
                            Value outSlice);
  /// This tile's slice of `forall`'s shared output.
  tensor::ExtractSliceOp sharedOutputSlice(OpBuilder &b, scf::ForallOp forall,
                                           ArrayRef<Value> point, Value q0,
                                           int64_t qSize);
  /// Normalises `state` into `outSlice` and inserts it back into `forall`'s
  /// shared output, and its log-sum-exp into the second shared output when
  /// the op has one; returns the forall's results.
  SmallVector<Value> insertNormalizedTile(OpBuilder &b, scf::ForallOp forall,
                                          ArrayRef<Value> point, Value q0,
                                          tensor::ExtractSliceOp outSlice,
                                          RowState state, int64_t qSize);
  /// lse = max + log(sum) (-inf for a row with no visible key) into `lseSlice`.
  Value buildLogSumExpTile(OpBuilder &b, RowState state, int64_t qSize,
                           Value lseSlice);
  /// Split-KV: partial states of `numSplits` key ranges in parallel, then a
  /// log-sum-exp merge per query tile.
  SmallVector<Value> buildSplitForall(OpBuilder &b, ValueRange outs,
                                      int64_t firstQuery, int64_t numTiles,
                                      int64_t qSize, int64_t numSplits);
  /// Bounds and induction values shared by both foralls of a query tiling.
  SmallVector<OpFoldResult> tileLoopBounds(OpBuilder &b, int64_t numTiles);
  std::pair<SmallVector<Value>, Value> tilePoint(OpBuilder &b, ValueRange ivs,
                                                 int64_t firstQuery,
                                                 int64_t qSize);
  /// Query tile i transposed, [K1_i..., q]: built once per query tile so that
  /// every key tile reads queries along contiguous rows.
  Value buildTransposedQuery(OpBuilder &b, unsigned i, ArrayRef<Value> point,
                             Value q0, int64_t qSize);
  /// One key tile [k0, k0 + kSize) folded into `state`. With
  /// `packedQueries` (AMX: the transposed queries in VNNI pairs) and keys
  /// in whole pairs of 16, its contractions are AMX tile products.
  RowState buildKeyStep(OpBuilder &b, ArrayRef<Value> point,
                        ArrayRef<Value> transposedQueries,
                        ArrayRef<Value> packedQueries, Value q0, int64_t qSize,
                        Value k0, int64_t kSize, Value length, RowState state);
  /// Whether tiles of `qSize` queries run their key steps on AMX tiles:
  /// the target has AMX, the tile has a multiple of 16 rows (a GQA decode
  /// tile of a few rows stays on vectors), and every contraction is of bf16
  /// tiles whose rows are keys (K, V), read in place: one reduced dimension
  /// of whole 64-byte tile rows and a value width of whole tiles, each the
  /// innermost dimension of its operand.
  bool usesAmx(int64_t qSize) const;
  /// The dimensions of `operand`'s slices, in its order.
  SmallVector<unsigned> sliceDims(const MappedOperand &operand) const;
  /// `rowsTensor` [2P, N] in VNNI pairs, [P, N, 2] (an AMX B operand):
  /// rows 2p and 2p + 1 interleaved, marked for attn-x86-amx-tiles.
  Value buildVnniPack(OpBuilder &b, Value rowsTensor) const;
  /// acc + rows [M, K] times `packedColumns` [K/2, N, 2]: an AMX tile
  /// contraction in VNNI form, marked for attn-x86-amx-tiles.
  Value buildAmxContraction(OpBuilder &b, Value rows, Value packedColumns,
                            Value acc) const;
  /// Rows of a tile of `qSize` queries: one block of them per packed head.
  int64_t rowsOf(int64_t qSize) const { return group * qSize; }
  /// Tiles with fewer rows than the target's minimum (decode) compute
  /// scores as dot products along the head dimension, both operands read
  /// along contiguous rows; wider tiles as outer products over transposed
  /// queries.
  bool usesDotScores(int64_t qSize) const {
    return rowsOf(qSize) < minOuterProductRows;
  }
  /// One scf.forall over the point dims and `numTiles` query tiles of
  /// `qSize` queries starting at `firstQuery`, inserting into `outs` (the
  /// output and the optional log-sum-exp).
  SmallVector<Value> buildForall(OpBuilder &b, ValueRange outs,
                                 int64_t firstQuery, int64_t numTiles,
                                 int64_t qSize);

  AttentionOp op;
  Location loc;
  AttentionDims dims;
  int64_t queryTile, keyTile, kvSplits, minOuterProductRows;
  /// Streamed K/V tiles are marked for prefetch (markStreamed).
  bool prefetch;
  /// The target has a bf16 dot-product instruction: dot-product score tiles
  /// keep bf16 queries in bf16 against bf16 keys.
  bool bf16Dot;
  /// Probabilities against bf16 values are rounded to bf16, [queries, keys],
  /// for P.V in bf16 pairs (with bf16Dot).
  bool bf16Probabilities;
  /// The target has AMX tiles (with bf16Probabilities): see usesAmx.
  bool amx;
  Type f32;
  unsigned qDim, kDim;
  SmallVector<unsigned> pointDims, nDims;
  /// Head packing: the query heads that share one K/V head along `packDim`
  /// become `group` blocks of rows of one tile, so that K/V tiles are read
  /// once per group and the row dimension is wide enough for vectors.
  std::optional<unsigned> packDim;
  int64_t group = 1;
  SmallVector<MappedOperand> queries, keys;
  MappedOperand value, output;
  std::optional<MappedOperand> mask, lengths, logSumExp;
  /// Where the op sits in a larger attention (`positions(...)`): its first
  /// query and key there (null: 0), and that attention's extents, in which
  /// positional masks are taken.
  Value queryOrigin, keyOrigin;
  int64_t frameQueries, frameKeys;
};

} // namespace mlir::attn

#endif // ATTNC_LIB_DIALECT_ATTN_TRANSFORMS_FLASHBUILDER_H
