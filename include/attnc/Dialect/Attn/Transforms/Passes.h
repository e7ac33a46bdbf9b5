//===- Passes.h - attn transformation passes --------------------*- C++ -*-===//

#ifndef ATTNC_DIALECT_ATTN_TRANSFORMS_PASSES_H
#define ATTNC_DIALECT_ATTN_TRANSFORMS_PASSES_H

#include "attnc/Codegen/IR/CodegenDialect.h"
#include "attnc/Dialect/Attn/Utils/CostModel.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir::attn {

/// Set by attn-flash-lowering on the contractions of a decode key loop (one
/// query tile holds every query of its point), which stream their K or V
/// tile once: an array with, per input,
/// the dimension of the sliced tensor along which the key loop walks (-1 for
/// an input that is not streamed). The slice the loop reads next is the
/// input's slice moved by its size along that dimension. attn-vectorize-tiles
/// prefetches those lines one key tile ahead.
constexpr llvm::StringLiteral kStreamedKeyTileAttrName =
    "attn.streamed_key_tile";

#define GEN_PASS_DECL
#include "attnc/Dialect/Attn/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "attnc/Dialect/Attn/Transforms/Passes.h.inc"

} // namespace mlir::attn

#endif // ATTNC_DIALECT_ATTN_TRANSFORMS_PASSES_H
