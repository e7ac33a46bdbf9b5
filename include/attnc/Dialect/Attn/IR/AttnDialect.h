//===- AttnDialect.h - attn dialect -----------------------------*- C++ -*-===//

#ifndef ATTNC_DIALECT_ATTN_IR_ATTNDIALECT_H
#define ATTNC_DIALECT_ATTN_IR_ATTNDIALECT_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/Dialect.h"

#include "attnc/Dialect/Attn/IR/AttnOpsDialect.h.inc"

#endif // ATTNC_DIALECT_ATTN_IR_ATTNDIALECT_H
