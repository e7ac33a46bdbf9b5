//===- Passes.h - attnc's GPU code generation passes ------------*- C++ -*-===//

#ifndef ATTNC_CODEGEN_GPU_PASSES_H
#define ATTNC_CODEGEN_GPU_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::attn {

#define GEN_PASS_DECL
#include "attnc/Codegen/GPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "attnc/Codegen/GPU/Passes.h.inc"

} // namespace mlir::attn

#endif // ATTNC_CODEGEN_GPU_PASSES_H
