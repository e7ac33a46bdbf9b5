//===- CodegenDialect.h - attnc's lowering configurations -------*- C++ -*-===//

#ifndef ATTNC_CODEGEN_IR_CODEGENDIALECT_H
#define ATTNC_CODEGEN_IR_CODEGENDIALECT_H

#include "mlir/IR/Attributes.h"
#include "mlir/IR/Dialect.h"

#include "attnc/Codegen/IR/CodegenDialect.h.inc"

#define GET_ATTRDEF_CLASSES
#include "attnc/Codegen/IR/CodegenAttrs.h.inc"

namespace mlir::attn::codegen {
/// The discardable attribute that carries an op's lowering configuration.
constexpr llvm::StringLiteral kLoweringConfigAttrName = "lowering_config";

/// Set by attn-flash-lowering on the contractions of a decode key loop (one
/// query tile holds every query of its point), which stream their K or V
/// tile once: an array with, per input, the dimension of the sliced tensor
/// along which the key loop walks (-1 for an input that is not streamed).
/// The slice the loop reads next is the input's slice moved by its size
/// along that dimension. attn-tile-register-blocks plans prefetches of
/// those lines one key tile ahead.
constexpr llvm::StringLiteral kStreamedKeyTileAttrName =
    "attn_codegen.streamed_key_tile";

/// Set by attn-flash-lowering (with a FlashConfigAttr's `amx`) on the tile
/// ops that run on AMX tiles: VNNI packs (`[P, N, 2]` from `[P, 2, N]`)
/// and tile contractions in VNNI form (`[M, K/2, 2] x [K/2, N, 2] ->
/// [M, N]`), and the fills of zeros that their scores start from. The
/// register-tile passes leave them alone; attn-x86-amx-tiles lowers them
/// once they are on buffers.
constexpr llvm::StringLiteral kAmxTileAttrName = "attn_codegen.amx";

// The marks by which the CPU register-tile passes (attn-vectorize-tiles'
// pipeline) hand their plan to the next pass. The pass that reads a mark
// removes it.

/// On a key tile slice (`tensor.extract_slice`) that a prefetch plan refers
/// to: `array<i64: id, dim>`, an id unique in its function and the dimension
/// of the slice's source that the key loop walks.
constexpr llvm::StringLiteral kKeyTileAttrName = "attn_codegen.key_tile";
/// On a register tile (a tiled linalg op): per input, the id of the key tile
/// whose next tile it prefetches the lines of, or -1.
constexpr llvm::StringLiteral kPrefetchKeyTilesAttrName =
    "attn_codegen.prefetch_key_tiles";
/// On a dot-product score register tile: the id of the V tile whose rows of
/// the same keys it prefetches with its own (attn-prefetch-streamed-tiles).
constexpr llvm::StringLiteral kPrefetchValueRowsAttrName =
    "attn_codegen.prefetch_value_rows";
/// On a register tile, then on the `vector.multi_reduction` that its
/// vectorization makes: a reduction along rows (a dot product or a row
/// statistic), for attn-lower-row-reductions.
constexpr llvm::StringLiteral kRowReductionAttrName =
    "attn_codegen.row_reduction";
/// On the loop of a register block whose width is a multiple of the native
/// vector but not a power of two, for attn-contract-register-blocks to
/// unroll to native vectors.
constexpr llvm::StringLiteral kUnrollLanesAttrName =
    "attn_codegen.unroll_lanes";
} // namespace mlir::attn::codegen

#endif // ATTNC_CODEGEN_IR_CODEGENDIALECT_H
