//===- Passes.td - attn transformation passes --------------*- tablegen -*-===//

#ifndef ATTNC_DIALECT_ATTN_TRANSFORMS_PASSES_TD
#define ATTNC_DIALECT_ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnReferenceLowering : Pass<"attn-reference-lowering"> {
  let summary = "Lower attn.attention to linalg by materialising the scores";
  let description = [{
    The oracle: every `attn.attention` becomes linalg ops on tensors that
    materialise the full score tensor (batch x M x K2, f32), apply scale and
    masks, take a numerically safe softmax (a fully masked row gives 0, never
    NaN), and contract with the value. Grouped batch dimensions (GQA, MQA) are
    read through `floordiv` indexing maps, so K and V are never copied.
    It is slow on purpose and simple on purpose: every optimised lowering is
    tested against it.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // ATTNC_DIALECT_ATTN_TRANSFORMS_PASSES_TD
