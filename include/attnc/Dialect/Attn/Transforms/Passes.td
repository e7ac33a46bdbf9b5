//===- Passes.td - attn transformation passes --------------*- tablegen -*-===//

#ifndef ATTNC_DIALECT_ATTN_TRANSFORMS_PASSES_TD
#define ATTNC_DIALECT_ATTN_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnReferenceLowering : Pass<"attn-reference-lowering", "func::FuncOp"> {
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

def AttnRaiseAttention : Pass<"attn-raise-attention", "func::FuncOp"> {
  let summary = "Recognise attention written with upstream linalg ops and rewrite it into attn ops";
  let description = [{
    Each candidate (a linalg op with one reduction loop) is read as an
    element expression (`ElementExpr`, in `Dialect/Attn/Utils`): what one
    element is, as an expression of loop indices, through linalg bodies,
    reshapes (`expand_shape`, `collapse_shape`: linearised and
    delinearised indices, simplified with the extents), slices, casts,
    transposes and broadcasts. Model IR that splits attention over ops in
    any way (torch-mlir's batch_matmuls through views, row statistics kept
    as [b, h, s, 1], the argmax beside the row max, subtract and exp in two
    generics) reads as one canonical expression, on which the pass matches

      O = sum_t softmax_t(scale * sum_i Q_i.K_i [+ mask]) * V

    (with torch's select of 0 for rows that are all -inf, or without; the
    scale on the scores, on Q or K, or split between them; an additive or
    boolean mask). Operands are the deepest tensors their elements are read
    from at indices a map can take: K/V repeated over query heads
    (repeat_kv's broadcast and collapse) are read unrepeated as grouped
    heads, and unit dims are dropped by views. A mask that is a function of
    the query and key positions only (iota, compare, select) is evaluated at
    every position and becomes `masking(causal)` when it is attn's
    bottom-right causal mask, or `masking(sliding_window)`; any other (such
    as torch's top-left `is_causal` with fewer queries than keys) stays a
    mask tensor. Scores that are a sum of a latent up-projection term and a
    shared RoPE-key term, with V up-projected from the same latent (MLA),
    become `attn.latent_attention`. IR that does not match exactly is left
    untouched. Run `attn-decompose-aggregates` first: `linalg.softmax` is
    matched as its decomposition.
  }];
  let dependentDialects = [
    "::mlir::attn::AttnDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def AttnDecomposeAggregates : Pass<"attn-decompose-aggregates", "func::FuncOp"> {
  let summary = "Decompose aggregate linalg ops (linalg.softmax) into generics";
  let description = [{
    Calls `AggregatedOpInterface::decomposeOperation` on every aggregate
    linalg op, so that model IR which keeps a softmax outside attention (or
    attention that attn-raise-attention did not take) compiles through the
    upstream linalg CPU path.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def AttnShard : Pass<"attn-shard", "::mlir::ModuleOp"> {
  let summary = "Annotate attn ops for tensor parallelism over a device grid";
  let description = [{
    Declares a one-dimensional device grid `shard.grid @<grid>(shape =
    <devices>)` (or checks the one of that name) and annotates every attn op
    with `shard.shard` ops that cut it along the sharding loop that the op's
    ShardingInterface implementation chooses for that many devices
    (`lib/Dialect/Attn/IR/ShardingInterfaceImpl.cpp`):

    * `attn.attention`: the batch dimension with the most key heads, so a
      GQA group of query heads stays with its KV head on one device;
    * `attn.latent_attention`: latent blocks for MLRA (each device computes
      the branches of its blocks for all heads: partial sums, met by an
      all-reduce), latent heads for GLA-k (heads with their blocks), query
      heads for MLA (its latent replicated);
    * `attn.grouped_head_attention`: head groups.

    An op that no loop splits evenly is an error that names the extents.
    In functions with attn ops, an initial value (`tensor.empty`, or a
    `linalg.fill` of one) that several ops start from is first copied per
    use: model IR starts a column-parallel projection and the row-parallel
    one after attention from one zero-filled tensor, and they need it cut
    differently.
    Upstream `sharding-propagation` and `shard-partition` then turn the
    annotated functions into the program one device (one MPI rank) runs;
    `convert-shard-to-mpi` lowers its collectives to MPI. The module gets
    `dlti.map = #dlti.map<"MPI:Implementation" = <mpi>>`, the MPI ABI the
    LLVM lowering of the `mpi` dialect emits calls for.
  }];
  let options = [
    Option<"devices", "devices", "int64_t", "1",
           "Devices (MPI ranks) to split each attention over">,
    Option<"gridName", "grid", "std::string", "\"tensor_parallel\"",
           "Name of the shard.grid the annotations refer to">,
    Option<"mpiImplementation", "mpi", "std::string", "\"OpenMPI\"",
           "MPI ABI of the runtime: OpenMPI or MPICH">,
  ];
  let dependentDialects = [
    "::mlir::DLTIDialect",
    "::mlir::shard::ShardDialect",
  ];
}

def AttnLowerLatentAttention : Pass<"attn-lower-latent-attention", "func::FuncOp"> {
  let summary = "Lower attn.latent_attention to attn.attention, absorbed or expanded";
  let description = [{
    Each branch of an `attn.latent_attention` becomes one `attn.attention`:

    * absorbed: `qa = q_nope @ W_UK^T` per head; attention with two score
      contractions (`qa . c` and `q_rope . kR`) over the latent blocks
      themselves, the latent also being the value; then `W_UV`. Heads that
      share a block are grouped heads of the core op, so the latent is never
      copied per head.
    * expanded: `k = c @ W_UK`, `v = c @ W_UV` per head, then ordinary
      attention with the RoPE term as a second contraction.

    Branch outputs are summed and multiplied by the branch weight. With
    `form=auto` a cost model on FLOPs and bytes for the op's static shapes
    picks the form per op (absorbed for decode, expanded for long prefill).
  }];
  let options = [
    Option<"form", "form", "::mlir::attn::LatentForm",
           "::mlir::attn::LatentForm::Auto",
           "Which form to lower to",
           [{::llvm::cl::values(
               clEnumValN(::mlir::attn::LatentForm::Auto, "auto",
                          "the cheaper form by the cost model"),
               clEnumValN(::mlir::attn::LatentForm::Absorbed, "absorbed",
                          "always absorb the queries"),
               clEnumValN(::mlir::attn::LatentForm::Expanded, "expanded",
                          "always up-project keys and values"))}]>,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def AttnLowerGroupedHeadAttention : Pass<"attn-lower-grouped-head-attention", "func::FuncOp"> {
  let summary = "Lower attn.grouped_head_attention to attn.attention and linalg";
  let description = [{
    The score maps become one `attn.attention` whose key and value heads are
    grouped heads of the maps (no copies); the latent-value decoder
    `o_i @ ([I ... I] + w_vb[i])` and the sigmoid output gate become linalg
    ops on its result.

    With `query-tile=N` (N dividing the query count, which it is smaller
    than), the gate is tiled into an `scf.forall` over batch points and
    query tiles of N, and the decoder and the attention are fused into it
    as producers (upstream's tile-and-fuse driver, through
    `attn.attention`'s TilingInterface). So the decoder and the gate run as
    an epilogue on each output tile, and `o` is never written whole.
  }];
  let options = [
    Option<"queryTile", "query-tile", "int64_t", "0",
           "Queries per epilogue tile (0: no tiling)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def AttnLowerEmbeddingGate : Pass<"attn-lower-embedding-gate", "func::FuncOp"> {
  let summary = "Lower attn.embedding_gate to gather, matmul, multiply and norm";
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def AttnFlashLowering : Pass<"attn-flash-lowering", "func::FuncOp"> {
  let summary = "Lower attn.attention to a FlashAttention-2 online-softmax loop";
  let description = [{
    Rewrites each `attn.attention` with one query-position (M) and one
    key-position (K2) dimension into tiles: an `scf.forall` over every batch
    point, every other M index and every tile of `query-tile` queries, and in
    it an `scf.for` over tiles of `key-tile` keys that keeps the running row
    max, row sum and rescaled accumulator (FlashAttention-2). Memory stays
    linear: no score tensor larger than one tile exists.

    All shapes are static: each loop runs over full tiles of a static size,
    then one static remainder tile. Key tiles that a causal, sliding-window or
    kv_lengths mask hides from every query of the tile are never visited;
    visible tiles apply the mask per element. Grouped K/V heads are sliced at
    `head floordiv group`, never copied.

    Dot-product score tiles (decode: fewer rows than a vector) read every
    query row once per key, so a low-precision query tile is widened to f32
    once, before the key loop. With `bf16-dot` a bf16 query tile scored
    against bf16 keys stays bf16: `attn-vectorize-tiles` then pairs both
    operands in bf16 dot-product instructions (`vdpbf16ps`). Score tiles are
    [keys, queries], so that the softmax runs along contiguous queries,
    except dot-product tiles, whose few rows would make short vectors: they
    are [queries, keys], and the softmax runs along the keys. With
    `bf16-dot` and `bf16-probabilities`, probabilities against bf16 values
    are rounded to bf16 (as FlashAttention does on tensor cores) and held
    [queries, keys] (outer-product tiles round into a transposed copy), and
    the row sums add the rounded values: `attn-vectorize-tiles` then
    multiplies key pairs of P with pairs of V rows in `vdpbf16ps`.

    Decode steps have few parallel tiles; with `kv-splits=N` such an op's key
    range is also split N ways (flash-decoding): each split keeps its own
    row max, sum and accumulator, and a second loop merges them with a
    log-sum-exp combine that stays finite when a split sees no visible key.

    An op without an M dimension (a decode step whose unit query dim
    attn-raise-attention dropped) first gets one of extent 1 in its queries
    and output, by views; M dimensions besides the query position (query
    heads ahead of a decode step's query, as absorbed MLA over a latent
    [B, T, C] has them) become batch dimensions along which the keys and
    value are grouped with extent 1, by views, so that they are packed into
    the rows of one tile like GQA's heads. Ops the tiling does not cover (several K2
    dimensions; no M dimension and a log-sum-exp output or positions frame)
    are left for `attn-reference-lowering`.

    The target's choices (tile sizes, split-KV, the score layout's row
    threshold, bf16 products, prefetch marks) come from each op's
    `lowering_config` (`#attn_codegen.flash<...>`), which a target's
    configuration pass sets (`attn-cpu-configure-flash`); an op without one
    is lowered with a configuration made of this pass's options.
  }];
  let options = [
    Option<"queryTile", "query-tile", "int64_t", "64",
           "Queries per tile (rows of the score tile)">,
    Option<"keyTile", "key-tile", "int64_t", "64",
           "Keys per tile (columns of the score tile)">,
    Option<"kvSplits", "kv-splits", "int64_t", "1",
           "Split-KV (flash-decoding): when an op has fewer parallel tiles "
           "than this, its key range is split this many ways, the splits "
           "run in parallel and are merged by a log-sum-exp combine">,
    Option<"bf16Dot", "bf16-dot", "bool", "false",
           "The target multiplies bf16 pairs into f32 (x86 avx512_bf16): "
           "dot-product score tiles keep bf16 queries in bf16 when their "
           "keys are bf16, instead of widening them to f32">,
    Option<"bf16Probabilities", "bf16-probabilities", "bool", "false",
           "With bf16-dot, probabilities against bf16 values are rounded "
           "to bf16 and held [queries, keys], for P.V in bf16 dot products "
           "(about 2^-9 relative error per probability)">,
    Option<"minOuterProductRows", "min-outer-product-rows", "int64_t", "8",
           "Tile rows (queries times packed heads) from which scores are an "
           "outer-product block; fewer take dot products along key rows">,
    Option<"prefetch", "prefetch", "bool", "true",
           "Mark streamed K/V tiles for software prefetch">,
    Option<"amx", "amx", "bool", "false",
           "With bf16-probabilities, the target has Intel AMX (amx_bf16): "
           "score and P.V contractions of bf16 tiles of a multiple of 16 rows "
           "become AMX tile products in VNNI form, marked for "
           "attn-x86-amx-tiles">,
  ];
  let dependentDialects = [
    "::mlir::attn::codegen::AttnCodegenDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // ATTNC_DIALECT_ATTN_TRANSFORMS_PASSES_TD
