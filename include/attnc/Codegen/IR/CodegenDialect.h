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
} // namespace mlir::attn::codegen

#endif // ATTNC_CODEGEN_IR_CODEGENDIALECT_H
