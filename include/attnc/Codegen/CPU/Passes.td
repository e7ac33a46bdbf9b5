//===- Passes.td - attnc's CPU code generation passes ------*- tablegen -*-===//
//
// Passes on the vector, linalg and memref IR of the CPU pipeline. They do not
// depend on the attn dialect.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_CPU_PASSES_TD
#define ATTNC_CODEGEN_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnLegalizeVectorOps : Pass<"attn-legalize-vector-ops", "func::FuncOp"> {
  let summary = "Rewrite vector IR that upstream's LLVM lowering rejects or miscompiles";
  let description = [{
    Runs after vectorization. Every vector op it leaves lowers through
    `convert-vector-to-llvm` and `convert-to-llvm` to what the same op on
    scalars computes:

    * Transfers of vectors whose element type is not a whole number of
      bytes (`i1` masks and comparisons, `i4`) are unrolled to one element
      each. LLVM packs such a vector into bits in memory, while a memref
      addresses one byte per element: a `vector<64xi1>` store writes 8
      bytes where 64 are read back.
    * Math ops on vectors of rank 2 or more, and arith ops with several
      results, are unrolled to rank-1 vectors: the LLVM lowerings of
      `math.absi`, `math.ctlz`, `math.cttz`, the `math.is*` class tests
      (`llvm.intr.is.fpclass`) and `arith.mul*i_extended` take rank-1
      vectors only.
    * `math.fpowi` on vectors is expanded (upstream's math expansion:
      multiplications for a constant exponent, `math.powf` otherwise):
      `llvm.intr.powi` takes one scalar exponent.
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::ub::UBDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def AttnReadOnlyArguments : Pass<"attn-read-only-arguments", "func::FuncOp"> {
  let summary = "Keep compiled functions from writing into their arguments";
  let description = [{
    Marks every tensor argument of a public function
    `bufferization.writable = false`. One-Shot Bufferize otherwise writes
    results in place into the buffers of arguments they are computed from
    (an accumulator passed in and updated in a loop), so a call would change
    the caller's arrays: a second call on the same arrays, a benchmark's
    repeated calls, or the reference run that a differential check makes
    first would then read different inputs. With the mark, such a result
    gets a buffer of its own and the argument is only read.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
}

def AttnFuseElementwiseProducers
    : Pass<"attn-fuse-elementwise-producers", "func::FuncOp"> {
  let summary = "Fuse elementwise producers into their linalg consumers, "
                "transposes into the contractions that read them in place";
  let description = [{
    Model IR spells what is not attention in many small ops: a transpose of
    every weight before its matmul, RMSNorm over four generics, a SiLU
    before a multiply. This pass fuses each elementwise producer with one
    use into its consumer (upstream's elementwise fusion, on generic ops),
    so that the consumer computes it in its body and a transpose becomes
    the consumer's indexing map rather than a copy. A permutation copy (a
    transposed weight) is fused into a contraction only when the
    contraction has at most `max-rows-reading-in-place` output rows (a
    decode step's matrix-vector products, which read the weight's rows as
    dot products); a contraction of more rows keeps reading the transposed
    copy, which its register blocks read along their output columns.
    Run it after attn-raise-attention, which matches the ops as written,
    and on generalized ops (linalg-generalize-named-ops).
  }];
  let options = [
    Option<"maxRowsReadingInPlace", "max-rows-reading-in-place", "int64_t",
           "16",
           "Most output rows of a contraction that reads a transposed "
           "operand in place">,
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def AttnCacheBlockContractions
    : Pass<"attn-cache-block-contractions", "func::FuncOp"> {
  let summary = "Tile large contractions so that their weight panels stay in L2";
  let description = [{
    attn-vectorize-tiles builds a contraction's register blocks with the
    output rows outermost and the whole reduction innermost: an operand that
    the rows do not index (a GEMM's weight, the panel) is read whole once
    per block of rows, from DRAM when it is larger than the cache. This
    pass tiles such a contraction first (upstream's TilingInterface
    driver, scf.for loops): its one reduction loop to `reduction-tile`
    and the panel's other loops, from the output's innermost dimension
    outwards, so that one tile's panel takes at most `panel-bytes`; the
    reduction loop is innermost, so every block of rows walks one panel
    while it is in cache. Tiles divide their loops (every tile static).
    Contractions with fewer than `min-rows` rows sharing the panel (a
    decode step's matrix-vector products) or whose panel already fits are
    left as they are. Run it on tensors, before attn-vectorize-tiles.
  }];
  let options = [
    Option<"reductionTile", "reduction-tile", "int64_t", "64",
           "Largest tile of the reduction loop">,
    Option<"panelBytes", "panel-bytes", "int64_t", "524288",
           "Bytes of the panel operands that one tile reads">,
    Option<"minRows", "min-rows", "int64_t", "12",
           "Fewest output rows sharing the panel for blocking to pay">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def AttnInlineStridedCopies
    : Pass<"attn-inline-strided-copies", "func::FuncOp"> {
  let summary = "Turn memref copies that are not contiguous into linalg.copy";
  let description = [{
    After bufferization. The LLVM lowering of `memref.copy` emits a memcpy
    where both memrefs are contiguous and otherwise calls the runtime's
    `memrefCopy`, which copies element by element through the memref
    descriptors: a decode step's KV cache, concatenated with the new
    token's keys into a strided slice of a larger buffer, is copied that
    way. Such copies (statically shaped) become `linalg.copy`, which
    `convert-linalg-to-loops` turns into loops that LLVM vectorizes;
    contiguous copies stay memcpys.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def AttnFuseTileProducers : Pass<"attn-fuse-tile-producers", "func::FuncOp"> {
  let summary = "Compute what an attention tile reads inside the tile loop, when that computes nothing twice";
  let description = [{
    After `attn-flash-lowering`, a key tile reads a slice of K, V or the
    latent. When that operand is computed by linalg ops in the same function
    (the embedding gate of EG-MLA: up-projection, gather-multiply, norm),
    the slice's producers are tiled into the tile loop with the upstream
    `scf::tileAndFuseProducerOfSlice`, transitively, so that the operand is
    computed a tile at a time in cache and never written to memory.

    A producer is fused only when the loops read each of its elements at most
    once (the trip counts times the slice sizes of all its uses do not exceed
    its size, and it has no other users): prefill, whose query tiles each
    re-read every key tile, keeps its producers outside rather than
    recomputing them per query tile. Identical slices are merged first (CSE),
    and reshapes between a slice and its producer are moved above the slice.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def AttnParallelizeOuterOps : Pass<"attn-parallelize-outer-ops", "func::FuncOp"> {
  let summary = "Split large linalg ops outside the attention's tile loops into parallel chunks";
  let description = [{
    With threads, the attention's tile loops (`scf.forall`) run on every
    thread, but linalg ops outside them run on one: MLA's absorption of the
    queries into the latent space and up-projection of its output each read
    a 16 MiB weight, on one thread while the others wait. This pass tiles
    each statically shaped linalg op on tensors that is not inside a loop
    and has at least `min-iterations` points in its iteration space into an
    `scf.forall` of `chunks` iterations (upstream SCF tiling), along its
    outermost parallel dimension that `chunks` divides, so that
    `convert-scf-to-openmp` shares the chunks among the threads. Ops with no
    such dimension, and smaller ones (where a fork and join would cost more
    than they save), are left alone.
  }];
  let options = [
    Option<"chunks", "chunks", "int64_t", "4",
           "Parallel tiles per op">,
    Option<"minIterations", "min-iterations", "int64_t", "1048576",
           "Smallest iteration space (product of the loop ranges) to split">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def AttnCpuConfigureFlash : Pass<"attn-cpu-configure-flash", "func::FuncOp"> {
  let summary = "Set the CPU's lowering_config on each attn.attention";
  let description = [{
    The CPU target's choices for `attn-flash-lowering`, as each op's
    `lowering_config` (`#attn_codegen.flash<...>`): query and key tiles,
    split-KV chunks (with threads), the tile rows from which scores are an
    outer-product block (8: below a machine vector of rows, a decode tile's
    scores are dot products along each key row), whether the target
    multiplies bf16 pairs (avx512_bf16) and rounds probabilities to bf16
    for them, and whether streamed K/V tiles are marked for prefetch.
    `attn-cpu-pipeline` sets the options from its target. An op that
    already has a `lowering_config` keeps it.
  }];
  let options = [
    Option<"queryTile", "query-tile", "int64_t", "64", "Queries per tile">,
    Option<"keyTile", "key-tile", "int64_t", "64", "Keys per tile">,
    Option<"kvSplits", "kv-splits", "int64_t", "1",
           "Split-KV chunks where other parallel loops leave threads idle">,
    Option<"minOuterProductRows", "min-outer-product-rows", "int64_t", "8",
           "Tile rows from which scores are an outer-product block">,
    Option<"bf16Dot", "bf16-dot", "bool", "false",
           "The CPU multiplies bf16 pairs (avx512_bf16)">,
    Option<"bf16Probabilities", "bf16-probabilities", "bool", "false",
           "With bf16-dot, probabilities against bf16 values in bf16">,
    Option<"prefetch", "prefetch", "bool", "true",
           "Mark streamed K/V tiles for software prefetch">,
  ];
  let dependentDialects = ["::mlir::attn::codegen::AttnCodegenDialect"];
}

#endif // ATTNC_CODEGEN_CPU_PASSES_TD
