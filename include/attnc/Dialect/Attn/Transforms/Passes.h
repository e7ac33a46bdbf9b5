//===- Passes.h - attn transformation passes --------------------*- C++ -*-===//

#ifndef ATTNC_DIALECT_ATTN_TRANSFORMS_PASSES_H
#define ATTNC_DIALECT_ATTN_TRANSFORMS_PASSES_H

#include "attnc/Codegen/IR/CodegenDialect.h"
#include "attnc/Dialect/Attn/Utils/CostModel.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/Pass/Pass.h"

namespace mlir::attn {

#define GEN_PASS_DECL
#include "attnc/Dialect/Attn/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "attnc/Dialect/Attn/Transforms/Passes.h.inc"

} // namespace mlir::attn

#endif // ATTNC_DIALECT_ATTN_TRANSFORMS_PASSES_H
