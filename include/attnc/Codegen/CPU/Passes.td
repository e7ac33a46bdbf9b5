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

def AttnOpenMpiOpSymbols : Pass<"attn-openmpi-op-symbols", "::mlir::ModuleOp"> {
  let summary = "Point OpenMPI reduction operators at the symbols OpenMPI defines";
  let description = [{
    Runs after `convert-to-llvm`. For OpenMPI, MLIR 22's lowering of the
    `mpi` dialect refers to `MPI_SUM` as the global `ompi_mpi_sum`, while
    OpenMPI's `mpi.h` defines `MPI_SUM` as `&ompi_mpi_op_sum` (likewise for
    every predefined reduction operator): the program would not link. Each
    such external global `ompi_mpi_<op>` is renamed `ompi_mpi_op_<op>`.
    Datatypes and communicators (`ompi_mpi_float`, `ompi_mpi_comm_world`)
    are named right and left alone.
  }];
}

def AttnMpiWorldCommunicator
    : Pass<"attn-mpi-world-communicator", "::mlir::ModuleOp"> {
  let summary = "Use MPI_COMM_WORLD for the collectives of a one-axis grid";
  let description = [{
    Runs after `convert-shard-to-mpi`, which gives every collective its own
    communicator: `mpi.comm_split(comm_world, color, key)` with one constant
    color and the rank's grid index as key, on every call. A program
    partitioned over a one-dimensional grid runs on exactly as many ranks
    as the grid has devices (`attn-run --tensor-parallel=N` checks it), so
    that communicator holds the ranks of `MPI_COMM_WORLD` in the same order:
    the split is replaced by `MPI_COMM_WORLD`. This saves a collective
    `MPI_Comm_split`, and a communicator never freed, per call; and MLIR
    22's LLVM lowering of `mpi.comm_split` reads the new communicator as a
    32-bit handle, which is MPICH's `MPI_Comm` but not OpenMPI's pointer.
    A module with a grid of more than one axis is left as it is.
  }];
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
    contiguous copies stay memcpys, unless `contiguous`: GPU host code
    cannot copy device buffers itself, so the GPU pipeline makes every
    copy a `linalg.copy`, which becomes a kernel.
  }];
  let options = [
    Option<"contiguous", "contiguous", "bool", "false",
           "Also turn contiguous copies into linalg.copy">,
  ];
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
    for them, whether streamed K/V tiles are marked for prefetch, and
    whether bf16 tiles of a multiple of 16 rows run on AMX tiles
    (amx_bf16; only with bf16 probabilities, which AMX's P.V multiplies).
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
    Option<"amx", "amx", "bool", "false",
           "With bf16-probabilities, the CPU has AMX tiles (amx_bf16)">,
  ];
  let dependentDialects = ["::mlir::attn::codegen::AttnCodegenDialect"];
}

//===----------------------------------------------------------------------===//
// Register tiles: attn-vectorize-tiles is the pipeline of these passes, in
// this order. Each hands its plan to the next as marks (CodegenDialect.h).
//===----------------------------------------------------------------------===//

def AttnTileRegisterBlocks
    : Pass<"attn-tile-register-blocks", "func::FuncOp"> {
  let summary = "Tile statically shaped linalg ops on tensors to register tiles";
  let description = [{
    Every statically shaped linalg op on tensors with one output (the
    tile-level ops that `attn-flash-lowering` emits, and the projections
    around them) is tiled with the upstream SCF tiling driver to the
    register tiles of `RegisterTiles.h`:

    * contractions (one or more reduction loops) to register blocks of
      `rows` x `lanes` outputs, reduction loops one step at a time: one step
      becomes a `vector.contract` that lowers to `rows` broadcast FMAs.
      Blocks are a power of two wide or, where none up to `lanes` divides
      the output (24 packed heads), a multiple of `native-lanes` (4 x 24);
      the loops of such blocks are marked for
      `attn-contract-register-blocks` to unroll. Where the block rows do not
      divide the contraction's rows (64 keys in blocks of 6), or its lanes
      are more than a native vector but not a multiple of one (12 heads),
      the op is first split with `linalg::splitOp` into whole blocks (whole
      native vectors: 8 + 4) and a remainder with blocks of its own;
    * dot products along contiguous rows (decode scores: a key row against
      each query row) to whole rows, and marked as reducing along rows;
    * all other ops (elementwise, row statistics, copies) to rows along the
      output's innermost dimension, at most 64 wide (wider vectors make
      LLVM's instruction selection slow); reductions along their input's
      innermost dimension (the row max and sum of a [rows, keys] decode
      score tile) to whole rows of the input, marked as reducing along
      rows; copies that transpose their one input (a weight transposed
      before its matmul) to square blocks of `native-lanes` a side, read
      along the input's rows and transposed in registers. Boolean (i1)
      operands are read and written one element at a time along their
      innermost dimension: LLVM packs a vector of i1 into bits in memory, a
      bufferized i1 tensor holds a byte per element.

    With `prefetch`, the register tiles that read each element of a key
    tile marked as streamed (`attn_codegen.streamed_key_tile`: the K and V
    tiles of a decode key loop) once are planned to prefetch the next key
    tile's lines (`attn_codegen.prefetch_key_tiles`, with the key tile
    slices marked `attn_codegen.key_tile`); tiles that several register
    tiles share (the lanes of a score block, the rows of a P.V block) are
    read from cache after the first and are not. In a decode key step, the
    dot-product score tiles also plan to prefetch the V rows of the same
    keys (`attn_codegen.prefetch_value_rows`), and the P.V that follows
    then prefetches nothing. `attn-prefetch-streamed-tiles` carries the
    plan out.
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
           "Plan prefetches of the next tile of streamed (decode) K/V key "
           "tiles">,
    Option<"bf16Dot", "bf16-dot", "bool", "false",
           "Register blocks of bf16 contractions walk key pairs (the "
           "target multiplies bf16 pairs: avx512_bf16)">,
  ];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def AttnPrefetchStreamedTiles
    : Pass<"attn-prefetch-streamed-tiles", "func::FuncOp"> {
  let summary = "Prefetch the next key tile's lines in the register tiles that read a streamed one";
  let description = [{
    Carries out the prefetch plan of `attn-tile-register-blocks`. A decode
    key loop streams K and V from memory once, and the hardware prefetchers
    alone leave the loads waiting on DRAM while a tile computes. Each
    register tile marked `attn_codegen.prefetch_key_tiles` prefetches, before
    it computes, the lines that the same tile of the next key tile will
    read, into L2 (locality 2; one tile of K and one of V are each half of
    a 32 KiB L1, and prefetched into L1 they evicted the tiles still to be
    read), interleaved with the compute rather than in a burst:

    * a tile that reads one row of the key tile issues one
      `memref.prefetch` per cache line of the same row in the next tile;
    * a tile that reads a column of R rows per reduction step (the K of an
      outer-product score block) issues, per step, prefetches that together
      cover the R rows' lines over the reduction loop.

    The next tile's row is clamped to the argument's last row: a prefetch is
    only a hint, but its address must stay inside the buffer. A dot-product
    score tile marked `attn_codegen.prefetch_value_rows` also prefetches the
    same row of the next V tile into L2 and of this V tile into L1
    (locality 3), so that the P.V's column blocks read it from L1. Slices
    of other shapes, or of tensors that are not function arguments, are not
    prefetched. The marks are removed.
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def AttnVectorizeRegisterTiles
    : Pass<"attn-vectorize-register-tiles", "func::FuncOp"> {
  let summary = "Vectorize statically shaped linalg ops with linalg::vectorize";
  let description = [{
    Every statically shaped linalg op on tensors with one output (after
    `attn-tile-register-blocks`, the register tiles) becomes vector IR
    through upstream's `linalg::vectorize`, with n-D extracts vectorized
    (a gather by token id). The `affine.apply` ops that tiling puts into an
    op's body become arith first, which the vectorizer takes. An op that
    does not vectorize is left for the later lowering to loops. The
    `vector.multi_reduction` ops of tiles marked
    `attn_codegen.row_reduction` are marked in turn, for
    `attn-lower-row-reductions`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::ub::UBDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def AttnLowerRowReductions
    : Pass<"attn-lower-row-reductions", "func::FuncOp"> {
  let summary = "Lower reductions along rows to FMAs into partial sums and multi-row horizontal sums";
  let description = [{
    The `vector.multi_reduction` ops marked `attn_codegen.row_reduction` (dot
    products along contiguous rows, row statistics) are lowered here rather
    than by the generic multi-reduction lowering, which would make a serial
    chain of scalars:

    * dot products along the innermost dimension become FMAs into
      `lanes`-wide partial sums, chunk by chunk for all rows at once, and
      one horizontal sum per row;
    * horizontal sums of several rows are taken four rows at a time by a
      transposing tree of shuffles and adds on `native-lanes`-wide vectors;
    * with `bf16-dot` (x86 with avx512_bf16), dot products whose operands
      are both widened from bf16 (decode scores of bf16 queries and keys)
      multiply the bf16 pairs with `x86vector.avx512.dot` into
      `native-lanes` f32 partial sums instead of widening both: one
      instruction per 2 x `native-lanes` elements;
    * what remains is lowered along the inner dimension to
      `vector.reduction`.

    The marks are removed.
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", "16",
           "f32 lanes of the partial sums of a dot product">,
    Option<"nativeLanes", "native-lanes", "int64_t", "8",
           "f32 lanes of the target's vector registers">,
    Option<"bf16Dot", "bf16-dot", "bool", "false",
           "Dot products of two bf16 rows become x86vector.avx512.dot "
           "(vdpbf16ps); the target needs avx512_bf16">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect",
    "::mlir::x86vector::X86VectorDialect",
  ];
}

def AttnContractRegisterBlocks
    : Pass<"attn-contract-register-blocks", "func::FuncOp"> {
  let summary = "Make register blocks vector.contract, approximate vector math, unroll wide blocks";
  let description = [{
    After vectorization: the reductions of register blocks become
    `vector.contract` (upstream's reduction-to-contract patterns; a step
    lowers to broadcast FMAs), transfers with permutation maps become plain
    ones and transposes, elementwise ops sink through broadcasts, and
    transfers fold. `exp` and other math ops on vectors are replaced by
    upstream's polynomial approximations, so that they stay vectorized.
    Then the loops of register blocks marked `attn_codegen.unroll_lanes`
    (width a multiple of `native-lanes` but not a power of two: 4 x 24) are
    unrolled to one contract per row and native vector, which
    `loop-invariant-subset-hoisting` then keeps as loop-carried vectors
    that LLVM holds in registers across the reduction loop. The marks are
    removed.
  }];
  let options = [
    Option<"nativeLanes", "native-lanes", "int64_t", "8",
           "f32 lanes of the target's vector registers">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def AttnX86Bf16PairDots : Pass<"attn-x86-bf16-pair-dots", "func::FuncOp"> {
  let summary = "Make register blocks over bf16 key pairs x86vector.avx512.dot";
  let description = [{
    x86 with avx512_bf16. Register blocks of contractions of two bf16
    inputs whose one reduction is the innermost dimension of the input
    broadcast along the lanes (the P.V of bf16 probabilities against bf16 V
    rows, MLA's absorption of bf16 queries into the latent space), tiled to
    key pairs by `attn-tile-register-blocks` with `bf16-dot`, become one
    `x86vector.avx512.dot` per key pair, row and chunk of at most 16 lanes:
    each row's pair is broadcast as one 32-bit word against two rows of the
    other input interleaved lane by lane.
  }];
  let options = [
    Option<"nativeLanes", "native-lanes", "int64_t", "16",
           "f32 lanes of the target's vector registers">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::vector::VectorDialect",
    "::mlir::x86vector::X86VectorDialect",
  ];
}

def AttnX86PreferVectorWidth
    : Pass<"attn-x86-prefer-vector-width", "func::FuncOp"> {
  let summary = "Tell LLVM to keep vectors wider than 256 bits whole";
  let description = [{
    x86 CPUs with AVX-512 prefer 256-bit vectors, and LLVM would split each
    512-bit vector that the register tiles were sized for in two. With
    `vector-bits` above 256, every function that computes on vectors is
    marked `prefer_vector_width = "<vector-bits>"`, which the LLVM
    translation passes on as the function attribute `prefer-vector-width`.
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", "256",
           "Bits of the target's vector registers">,
  ];
}

def AttnX86AmxTiles : Pass<"attn-x86-amx-tiles", "func::FuncOp"> {
  let summary = "Lower tile ops marked for AMX to amx dialect tile products";
  let description = [{
    x86 with AMX (amx_bf16, amx_tile). On buffers, after bufferization:
    every linalg.generic that `attn-flash-lowering` marked
    `attn_codegen.amx` becomes
    * a VNNI pack (`out[p, n, j] = in[p, j, n]` of bf16, `[P, N, 2]` from a
      `[P, 2, N]` view of `2P` rows): each pair of input rows interleaved
      element by element, in vectors of 32 (or 16) bf16;
    * a tile contraction in VNNI form (`C[m, n] += sum_{k,j} A[m, k, j] *
      B[k, n, j]`, bf16 inputs, f32 `C`): loops over blocks of up to 2 x 2
      accumulator tiles of 16 x 16 f32 (`amx.tile_load` from `C`), the
      reduction unrolled in steps of 32 bf16 (`amx.tile_load` of A and B
      rows in place, `amx.tile_mulf`), then `amx.tile_store` to `C`. Six of
      the eight tile registers hold accumulators and operands of a 2 x 2
      block, so each loaded operand tile feeds two products.

    A marked op of another form is an error. Every tile has a shape known at
    compile time; LLVM configures the tiles (`ldtilecfg`) ahead of their
    first use and again after each call on the way to them, so the flash
    lowering keeps calls (memset, malloc) out of AMX key loops.
  }];
  let dependentDialects = [
    "::mlir::amx::AMXDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def AttnX86EmulateAmx : Pass<"attn-x86-emulate-amx", "func::FuncOp"> {
  let summary = "Compute AMX tile ops with vector ops (testing without AMX)";
  let description = [{
    For tests on CPUs without AMX: `amx.tile_zero`, `amx.tile_load`,
    `amx.tile_store` and bf16 `amx.tile_mulf` become the vector ops that
    compute what the AMX instructions define (tiles as 2-D vectors, the
    product as a `vector.contract` over the VNNI pairs in f32), so the
    tiling, strides and VNNI packing of `attn-x86-amx-tiles` are checked
    against a reference on any x86 CPU. Tile values must not cross blocks
    (attn-x86-amx-tiles' never do).
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def AttnX86AmxPermission : Pass<"attn-x86-amx-permission", "ModuleOp"> {
  let summary = "Make each function that runs AMX ask Linux for tile state";
  let description = [{
    Linux gives a process AMX tile state only after it asks for it
    (`arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA)`); an AMX
    instruction before that raises SIGILL. Every function with `amx` ops
    first calls `__attnc_require_amx`, added to the module: on its first
    call it makes that request (libc's `syscall`) and remembers
    the answer in `__attnc_amx_state`; if Linux refuses (an old kernel, a
    CPU or hypervisor without AMX) it writes `attnc: this kernel needs
    Intel AMX, and Linux refused the process AMX tile state` to stderr and
    aborts, where the instruction would have killed the process without a
    word. attn-run, the C API and the Python package make the request
    themselves first and report a refusal as an error.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // ATTNC_CODEGEN_CPU_PASSES_TD
