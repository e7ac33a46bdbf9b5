//===- Passes.h - attnc's CPU code generation passes ------------*- C++ -*-===//

#ifndef ATTNC_CODEGEN_CPU_PASSES_H
#define ATTNC_CODEGEN_CPU_PASSES_H

#include "attnc/Codegen/IR/CodegenDialect.h"

#include "mlir/Dialect/AMX/AMXDialect.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::attn {

#define GEN_PASS_DECL
#include "attnc/Codegen/CPU/Passes.h.inc"

/// The function that attn-x86-amx-permission adds to a module with AMX ops
/// and calls first in each function that runs them.
constexpr llvm::StringLiteral kAmxGuardName = "__attnc_require_amx";

/// Options of attn-vectorize-tiles: the register tiles' target.
struct VectorizeTilesOptions
    : public PassPipelineOptions<VectorizeTilesOptions> {
  Option<int64_t> rows{*this, "rows",
                       llvm::cl::desc("Output rows per register block of a "
                                      "contraction"),
                       llvm::cl::init(6)};
  Option<int64_t> lanes{*this, "lanes",
                        llvm::cl::desc("Output columns per register block "
                                       "of a contraction, and f32 lanes of a "
                                       "dot product's partial sums"),
                        llvm::cl::init(16)};
  Option<int64_t> nativeLanes{
      *this, "native-lanes",
      llvm::cl::desc("f32 lanes of the target's vector registers"),
      llvm::cl::init(8)};
  Option<bool> prefetch{*this, "prefetch",
                        llvm::cl::desc("Prefetch the next tile of streamed "
                                       "(decode) K/V key tiles"),
                        llvm::cl::init(true)};
  Option<bool> bf16Dot{*this, "bf16-dot",
                       llvm::cl::desc("Multiply bf16 pairs with "
                                      "x86vector.avx512.dot (avx512_bf16)"),
                       llvm::cl::init(false)};
};

/// Register tiles and vectors, on a pass manager anchored on func.func:
/// attn-tile-register-blocks, attn-prefetch-streamed-tiles,
/// attn-vectorize-register-tiles, attn-lower-row-reductions,
/// attn-contract-register-blocks, and on x86 attn-x86-bf16-pair-dots (with
/// bf16-dot) and attn-x86-prefer-vector-width.
void buildVectorizeTilesPipeline(OpPassManager &pm,
                                 const VectorizeTilesOptions &options);

/// Registers attn-vectorize-tiles, the pipeline above nested on every
/// func.func.
void registerVectorizeTilesPipeline();

#define GEN_PASS_REGISTRATION
#include "attnc/Codegen/CPU/Passes.h.inc"

} // namespace mlir::attn

#endif // ATTNC_CODEGEN_CPU_PASSES_H
