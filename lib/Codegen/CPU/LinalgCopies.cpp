//===- LinalgCopies.cpp - copies among linalg ops -------------------------===//

#include "attnc/Codegen/CPU/LinalgCopies.h"

using namespace mlir;

bool attn::isPermutationCopy(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != op.getNumParallelLoops())
    return false;
  Block *body = op.getBody();
  return body->getOperations().size() == 1 &&
         body->getTerminator()->getOperand(0) == body->getArgument(0) &&
         llvm::all_of(op.getIndexingMapsArray(),
                      [](AffineMap m) { return m.isPermutation(); });
}
