//===- LinalgCopies.h - copies among linalg ops ------------------*- C++ -*-===//

#ifndef ATTNC_CODEGEN_CPU_LINALGCOPIES_H
#define ATTNC_CODEGEN_CPU_LINALGCOPIES_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::attn {

/// A generic that copies its one input through a permutation (a
/// generalized linalg.transpose).
bool isPermutationCopy(linalg::GenericOp op);

} // namespace mlir::attn

#endif // ATTNC_CODEGEN_CPU_LINALGCOPIES_H
