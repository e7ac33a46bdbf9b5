//===- AttnBase.td - attn dialect definition ---------------*- tablegen -*-===//

#ifndef ATTNC_DIALECT_ATTN_IR_ATTNBASE_TD
#define ATTNC_DIALECT_ATTN_IR_ATTNBASE_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::mlir::attn";
  let summary = "Attention for KV-cache-efficient LLM decoding and prefill";
  let description = [{
    The `attn` dialect expresses attention and the KV-cache-saving variants built
    on it (GQA, MLA, MLRA, EG-MLA, GTA) as structured ops on tensors in
    destination-passing style. Dimension roles are inferred from indexing maps,
    so no variant needs a special case in the core op.
  }];
  let useDefaultAttributePrinterParser = 1;
}

// Structural masks: the ones that depend only on positions, never on data.
def Attn_MaskKind : I32EnumAttr<"MaskKind", "structural attention mask", [
    I32EnumAttrCase<"None", 0, "none">,
    I32EnumAttrCase<"Causal", 1, "causal">,
    I32EnumAttrCase<"SlidingWindow", 2, "sliding_window">]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}

def Attn_MaskKindAttr : EnumAttr<Attn_Dialect, Attn_MaskKind, "mask_kind">;

#endif // ATTNC_DIALECT_ATTN_IR_ATTNBASE_TD
