//===- Passes.h - attnc's GPU code generation passes ------------*- C++ -*-===//

#ifndef ATTNC_CODEGEN_GPU_PASSES_H
#define ATTNC_CODEGEN_GPU_PASSES_H

#include "attnc/Codegen/IR/CodegenDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::attn {

#define GEN_PASS_DECL
#include "attnc/Codegen/GPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "attnc/Codegen/GPU/Passes.h.inc"

} // namespace mlir::attn

#endif // ATTNC_CODEGEN_GPU_PASSES_H
