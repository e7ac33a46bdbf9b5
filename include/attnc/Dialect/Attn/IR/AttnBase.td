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
  // Tiling and split-KV merges build slices, index arithmetic and linalg ops.
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
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

def Attn_NormKind : I32EnumAttr<"NormKind", "normalisation", [
    I32EnumAttrCase<"RMS", 0, "rms">,
    I32EnumAttrCase<"Layer", 1, "layer">]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}

def Attn_NormKindAttr : EnumAttr<Attn_Dialect, Attn_NormKind, "norm_kind">;

def Attn_LatentBranchAttr : AttrDef<Attn_Dialect, "LatentBranch"> {
  let mnemonic = "latent_branch";
  let summary = "which latent block each head reads in one branch";
  let description = [{
    In this branch, query head `h` of `H` reads latent block
    `first + floor(h * count / H)`: `count` consecutive blocks starting at
    `first`, each shared by a contiguous group of `H / count` heads. MLA is one
    branch `<first = 0, count = 1>`; GLA-k one branch `<first = 0, count = k>`;
    MLRA-4 four branches `<first = i, count = 1>`; MLRA-2 the branches
    `<first = 0, count = 2>` and `<first = 2, count = 2>`.
  }];
  let parameters = (ins "int64_t":$first, "int64_t":$count);
  let assemblyFormat = "`<` `first` `=` $first `,` `count` `=` $count `>`";
}

#endif // ATTNC_DIALECT_ATTN_IR_ATTNBASE_TD
