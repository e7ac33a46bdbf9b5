//===- ReadOnlyArguments.cpp - compiled functions only read arguments -----===//

#include "attnc/Codegen/CPU/Passes.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNREADONLYARGUMENTS
#include "attnc/Codegen/CPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
struct ReadOnlyArgumentsPass
    : attn::impl::AttnReadOnlyArgumentsBase<ReadOnlyArgumentsPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal() || !func.isPublic())
      return;
    auto readOnly = BoolAttr::get(&getContext(), false);
    for (BlockArgument arg : func.getArguments())
      if (isa<TensorType>(arg.getType()))
        func.setArgAttr(arg.getArgNumber(),
                        bufferization::BufferizationDialect::kWritableAttrName,
                        readOnly);
  }
};
} // namespace
