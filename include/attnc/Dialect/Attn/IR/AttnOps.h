//===- AttnOps.h - attn dialect ops -----------------------------*- C++ -*-===//

#ifndef ATTNC_DIALECT_ATTN_IR_ATTNOPS_H
#define ATTNC_DIALECT_ATTN_IR_ATTNOPS_H

#include "attnc/Dialect/Attn/IR/AttnDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"

#include "attnc/Dialect/Attn/IR/AttnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "attnc/Dialect/Attn/IR/AttnAttrs.h.inc"

namespace mlir::attn {

/// The role a dimension of an attention iteration space plays, inferred from
/// the operands whose indexing maps use it.
enum class DimRole { Batch, M, K1, K2, N };

llvm::StringRef stringifyDimRole(DimRole role);

/// Roles and extents of the iteration dimensions of an `attn.attention`.
struct AttentionDims {
  llvm::SmallVector<DimRole> roles;
  /// Full extent of every dimension (the output's for batch dims).
  llvm::SmallVector<int64_t> extents;
  /// For contraction i, the K1 dimensions it reduces over.
  llvm::SmallVector<llvm::SmallVector<unsigned>> contractionDims;
  /// Innermost M dimension (the query position) and innermost K2 dimension
  /// (the key position), used by position-dependent masks.
  std::optional<unsigned> queryPosDim;
  unsigned keyPosDim = 0;

  unsigned getNumDims() const { return roles.size(); }
  llvm::SmallVector<unsigned> getDimsWithRole(DimRole role) const;
};

} // namespace mlir::attn

#define GET_OP_CLASSES
#include "attnc/Dialect/Attn/IR/AttnOps.h.inc"

#endif // ATTNC_DIALECT_ATTN_IR_ATTNOPS_H
