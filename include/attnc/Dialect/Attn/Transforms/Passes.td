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
  ];
  let dependentDialects = [
    "::mlir::attn::codegen::AttnCodegenDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def AttnVectorizeTiles : Pass<"attn-vectorize-tiles", "func::FuncOp"> {
  let summary = "Tile the linalg ops of attention tiles to registers and vectorize";
  let description = [{
    Every statically shaped linalg op (the tile-level ops that
    `attn-flash-lowering` emits) is tiled with the upstream SCF tiling driver
    and vectorized with `linalg::vectorize`:

    * contractions (one or more reduction loops) to register blocks of
      `rows` x `lanes` outputs, reduction loops one step at a time: one step
      is a `vector.contract` that lowers to `rows` broadcast FMAs. Blocks
      are a power of two wide or, where none up to `lanes` divides the
      output (24 packed heads), a multiple of `native-lanes` (4 x 24); such
      blocks are unrolled to one contract per row and native vector, which
      LLVM keeps in registers across the reduction loop. Where the block
      rows do not divide the contraction's rows (64 keys in blocks of 6), or
      its lanes are more than a native vector but not a multiple of one (12
      heads), the op is first split with `linalg::splitOp` into whole blocks
      (whole native vectors: 8 + 4) and a remainder with blocks of its own;
    * all other ops (elementwise, row statistics, copies) to rows along the
      output's innermost dimension, at most 64 wide (wider vectors make
      LLVM's instruction selection slow); reductions along their input's
      innermost dimension (the row max and sum of a [rows, keys] decode
      score tile) to whole rows of the input, reduced with
      `vector.reduction`; copies that transpose their one input (a weight
      transposed before its matmul) to square blocks of `native-lanes` a
      side, read along the input's rows and transposed in registers.
      Boolean (i1) operands, inputs and outputs, are
      read and written one element at a time along their innermost
      dimension: LLVM packs a vector of i1 into bits in memory, a
      bufferized i1 tensor holds a byte per element.

    Dot products along contiguous rows (decode scores: a key row against
    each query row) are not contracts: they become FMAs into `lanes`-wide
    partial sums, chunk by chunk for all query rows at once, and one
    horizontal sum per row.

    Key tiles that `attn-flash-lowering` marks as streamed
    (`attn.streamed_key_tile`: the K and V tiles of a decode key loop, each
    read once) are prefetched one key tile ahead into L2 (locality 2; one
    tile of K and one of V are each half of a 32 KiB L1, and prefetched into
    L1 they evicted the tiles still to be read), interleaved with the
    compute rather than in a burst: a register tile that reads one row of
    such a tile issues a `memref.prefetch` per cache line of the same row in
    the next tile (clamped to the last row); one that reads a column of R
    rows per reduction step (the K of an outer-product score block) issues,
    per step, prefetches that cover the R rows' lines over the reduction
    loop. Tiles that several register tiles share (the lanes of a score
    block, the rows of a P.V block) are read from cache after the first and
    are not prefetched. In a decode key step, the dot-product score loop
    (one key row per step) also prefetches the same row of the next V tile
    of the P.V that follows it into L2, and the same row of this V tile into
    L1 (locality 3), so that the P.V's column blocks read it from L1; the
    P.V blocks (half a cache line of a row per step) prefetch nothing.

    With `bf16-dot`, dot products whose operands are both widened from bf16
    (decode scores of bf16 queries and keys) multiply the bf16 pairs with
    `x86vector.avx512.dot` into `native-lanes` f32 partial sums instead of
    widening both and using FMAs: one instruction per 2 x `native-lanes`
    elements, no widening. So do register blocks of contractions of two
    bf16 inputs whose one reduction is the innermost dimension of the input
    broadcast along the lanes: the P.V of bf16 probabilities
    (attn-flash-lowering's `bf16-probabilities`) against bf16 V rows, or
    MLA's absorption of bf16 queries into the latent space. They walk the
    reduction two steps at a time, each row's pair broadcast as one 32-bit
    word against two rows of the other input interleaved lane by lane.

    Functions whose vectors this pass sizes for registers wider than 256
    bits (`native-lanes` > 8) are marked `prefer_vector_width`, so that LLVM
    keeps them in 512-bit registers: x86 CPUs with AVX-512 otherwise prefer
    256-bit vectors and split every 512-bit operation in two.

    `exp` and other math ops on vectors are replaced by polynomial
    approximations so that they stay vectorized.
  }];
  let options = [
    Option<"rows", "rows", "int64_t", "6",
           "Output rows per register block of a contraction">,
    Option<"lanes", "lanes", "int64_t", "16",
           "Output columns per register block of a contraction">,
    Option<"nativeLanes", "native-lanes", "int64_t", "8",
           "f32 lanes of the target's vector registers: register blocks "
           "wider than a power of two are multiples of it">,
    Option<"prefetch", "prefetch", "bool", "true",
           "Prefetch the next tile of streamed (decode) K/V key tiles">,
    Option<"bf16Dot", "bf16-dot", "bool", "false",
           "Dot products of two bf16 rows become x86vector.avx512.dot "
           "(vdpbf16ps: pairs of bf16 products summed into f32 lanes); the "
           "target needs avx512_bf16">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
    "::mlir::x86vector::X86VectorDialect",
  ];
}

#endif // ATTNC_DIALECT_ATTN_TRANSFORMS_PASSES_TD
