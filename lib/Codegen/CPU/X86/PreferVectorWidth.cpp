//===- PreferVectorWidth.cpp - keep wide vectors in wide registers --------===//
//
// x86 CPUs with AVX-512 prefer 256-bit vectors by default, and LLVM then
// splits each 512-bit vector that the register tiles were sized for in two.
// A function attribute tells LLVM to keep them whole.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/Passes.h"

#include "mlir/Interfaces/FunctionInterfaces.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNX86PREFERVECTORWIDTH
#include "attnc/Codegen/CPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace mlir::attn {
namespace {
struct AttnX86PreferVectorWidth
    : public impl::AttnX86PreferVectorWidthBase<AttnX86PreferVectorWidth> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorBits < 1) {
      emitError(getOperation()->getLoc())
          << "attn-x86-prefer-vector-width: vector-bits must be positive, "
             "got "
          << static_cast<int64_t>(vectorBits);
      return signalPassFailure();
    }
    if (vectorBits <= 256)
      return;
    // Only functions that compute on vectors.
    bool hasVectors = getOperation()
                          ->walk([](Operation *op) {
                            return llvm::any_of(op->getResultTypes(),
                                                llvm::IsaPred<VectorType>)
                                       ? WalkResult::interrupt()
                                       : WalkResult::advance();
                          })
                          .wasInterrupted();
    if (hasVectors)
      getOperation()->setAttr(
          "prefer_vector_width",
          StringAttr::get(&getContext(), std::to_string(vectorBits)));
  }
};
} // namespace
} // namespace mlir::attn
