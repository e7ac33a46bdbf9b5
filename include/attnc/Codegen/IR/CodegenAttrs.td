//===- CodegenAttrs.td - attnc's lowering configurations ----*- tablegen -*-===//
//
// Target choices that a target's configuration pass attaches to the ops it
// lowers, as `lowering_config`, for the target-neutral lowerings to read.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_IR_CODEGENATTRS_TD
#define ATTNC_CODEGEN_IR_CODEGENATTRS_TD

include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/DialectBase.td"

def AttnCodegen_Dialect : Dialect {
  let name = "attn_codegen";
  let summary = "attnc's lowering configurations";
  let description = [{
    Attributes only: how a target wants the attn ops lowered. A target's
    configuration pass (`attn-cpu-configure-flash` for the CPU) sets them
    on the ops as `lowering_config`; `attn-flash-lowering` reads them and
    makes no target choice of its own.
  }];
  let cppNamespace = "::mlir::attn::codegen";
  let useDefaultAttributePrinterParser = 1;
}

def AttnCodegen_FlashConfigAttr : AttrDef<AttnCodegen_Dialect, "FlashConfig"> {
  let mnemonic = "flash";
  let summary = "how attn-flash-lowering tiles one attention";
  let description = [{
    * `query_tile`, `key_tile`: queries per tile of the parallel loop and
      keys per step of the online-softmax loop (clamped to the extents);
    * `kv_splits`: split-KV chunks of the key range where the other
      parallel loops leave threads idle (1: none), merged by log-sum-exp;
    * `min_outer_product_rows`: query rows (times grouped heads) from which
      a tile's scores are an outer-product block of [queries, keys]; fewer
      take the [keys, queries] layout of dot products along each key row;
    * `bf16_dot`: the target multiplies bf16 pairs (scores of bf16 queries
      and keys as dot products);
    * `bf16_probabilities`: with `bf16_dot`, probabilities against bf16
      values are rounded to bf16 for P.V in pairs;
    * `prefetch`: streamed K/V tiles are marked for software prefetch;
    * `amx`: with `bf16_probabilities`, the target has Intel AMX tiles
      (amx_bf16): the score and P.V contractions of bf16 tiles of a
      multiple of 16 rows are AMX tile products, their B operands packed in
      the VNNI pair layout (`attn-x86-amx-tiles`). Printed only when true.

    Example: `#attn_codegen.flash<query_tile = 64, key_tile = 64,
    kv_splits = 1, min_outer_product_rows = 8, bf16_dot = false,
    bf16_probabilities = false, prefetch = true>`.
  }];
  let parameters = (ins
    "int64_t":$query_tile,
    "int64_t":$key_tile,
    "int64_t":$kv_splits,
    "int64_t":$min_outer_product_rows,
    "bool":$bf16_dot,
    "bool":$bf16_probabilities,
    "bool":$prefetch,
    DefaultValuedParameter<"bool", "false">:$amx
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

def AttnCodegen_GpuFlashConfigAttr
    : AttrDef<AttnCodegen_Dialect, "GpuFlashConfig"> {
  let mnemonic = "gpu_flash";
  let summary = "how attn-gpu-tensor-core-flash builds one attention kernel";
  let description = [{
    Set by `attn-gpu-configure-flash` on the `attn.attention` ops that the
    tensor-core kernel takes:
    * `warps`: warps per block; each owns 16 query rows and a
      `1 / value_split` part of the value width (so a block computes
      `16 * warps / value_split` rows of the packed row space);
    * `value_split`: warps that share 16 rows, each accumulating its part
      of a value too wide for one warp's registers (MLA's 512);
    * `key_tile`: keys per step of the online softmax, a multiple of 16;
    * `stages`: shared-memory buffers of K and V tiles that `cp.async`
      fills ahead of the tile being computed (2: double buffering);
    * `kv_splits`: blocks that share one row tile's key range (a third grid
      dimension), each writing its partial output and log-sum-exp for a
      merge after the kernel (1: none), for decode steps whose row tiles
      alone leave the GPU idle.
    Example: `#attn_codegen.gpu_flash<warps = 4, value_split = 1,
    key_tile = 32, stages = 2, kv_splits = 1>`.
  }];
  let parameters = (ins
    "int64_t":$warps,
    "int64_t":$value_split,
    "int64_t":$key_tile,
    "int64_t":$stages,
    "int64_t":$kv_splits
  );
  let assemblyFormat = "`<` struct(params) `>`";
  let genVerifyDecl = 1;
}

#endif // ATTNC_CODEGEN_IR_CODEGENATTRS_TD
