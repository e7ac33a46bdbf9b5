//===- Passes.td - attnc's GPU code generation passes ------*- tablegen -*-===//
//
// Passes of the GPU pipeline: the configuration and the tensor-core kernel
// of attn.attention, and passes on the gpu, scf and memref IR that do not
// depend on the attn dialect.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_GPU_PASSES_TD
#define ATTNC_CODEGEN_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def AttnGpuMergeKernelModules
    : Pass<"attn-gpu-merge-kernel-modules", "ModuleOp"> {
  let summary = "Gather the outlined kernels into one gpu.module";
  let description = [{
    `gpu-kernel-outlining` puts every kernel into a `gpu.module` of its
    own, and `gpu-module-to-binary` would then make one PTX or cubin per
    kernel. This pass moves every kernel of the module's `gpu.module`s into
    one, `@attn_kernels`, each renamed to the name of the module it came
    from (unique within the module), and points every `gpu.launch_func` at
    its new place: one binary holds all kernels, which a launch descriptor
    names. Modules with target attributes of their own keep them only when
    all agree; `gpu.module`s with anything but kernels are left alone.
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def AttnGpuReductionsInnermost
    : Pass<"attn-gpu-reductions-innermost", "func::FuncOp"> {
  let summary = "Interchange linalg.generic loops so that reductions are innermost";
  let description = [{
    `convert-linalg-to-parallel-loops` nests loops in iterator order, so a
    contraction written (b, h, s, t, e) with its reduction t before the
    parallel e becomes a parallel loop, a sequential loop and a parallel
    loop inside it, which cannot be mapped onto a grid. This pass
    interchanges every `linalg.generic` (upstream's
    `interchangeGenericOp`) so that its parallel loops come first, in their
    order, then its reductions: one parallel nest, each thread reducing.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def AttnGpuMapParallelLoops
    : Pass<"attn-gpu-map-parallel-loops", "func::FuncOp"> {
  let summary = "Tile parallel loop nests into blocks of threads and map them onto the grid";
  let description = [{
    Every outermost `scf.parallel` (a linalg op's parallel loops, from
    `convert-linalg-to-parallel-loops`) is tiled with upstream's
    `tileParallelLoop` by `threads-y` x `threads-x` along its last two
    dimensions (`threads-x` along the last where it has one): the inner
    loop becomes a block's threads, its last dimension `thread_x` so that
    neighbouring threads touch neighbouring elements, the one before
    `thread_y`. The outer loop becomes the grid: its last three dimensions
    `block_x`, `block_y`, `block_z`, any before them loops in each thread.
    Tiles at the edges guard their threads (no min/max bounds). Nested
    loops (reductions) stay sequential in each thread.
    `convert-parallel-loops-to-gpu` then makes the launches.
  }];
  let options = [
    Option<"threadsX", "threads-x", "int64_t", "32",
           "Threads of a block along the loop's last dimension">,
    Option<"threadsY", "threads-y", "int64_t", "8",
           "Threads of a block along the loop's dimension before the last">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def AttnGpuConfigureFlash
    : Pass<"attn-gpu-configure-flash", "func::FuncOp"> {
  let summary = "Choose the tensor-core kernel and its tiles for each attention";
  let description = [{
    Sets `lowering_config = #attn_codegen.gpu_flash<...>` on every
    `attn.attention` that the tensor-core FlashAttention kernel computes
    (`attn-gpu-tensor-core-flash`): f16 or bf16 queries, keys and value of
    static shapes, each head dimension and the value width a multiple of 16
    (at most 1024 contracted, 1024 wide), head dimensions innermost, no
    explicit mask operand or log-sum-exp output. Other ops keep the
    portable path (the reference lowering); with `remarks`, a remark on
    each says why.

    The key tile is `key-tile`, or with 0 the largest of 64, 32 and 16
    whose `stages` buffers of K and V fit in 48 KiB of shared memory (96
    KiB with the queries staged, past 256 contracted elements). A block has
    up to `warps / value_split` groups of 16 query rows, fewer when the
    packed rows (query rows times the query heads sharing a KV head) fill
    fewer, one with staged queries; `value_split` warps per group split a
    value too wide for one warp's registers. Where the grid has fewer than `target-blocks` blocks (a decode
    step), the keys are split among `kv-splits` blocks per row tile, or
    with 0 as many as reach `target-blocks` while each split keeps at least
    4 key tiles.
  }];
  let options = [
    Option<"warps", "warps", "int64_t", "4",
           "Warps per block (16 query rows each)">,
    Option<"keyTile", "key-tile", "int64_t", "0",
           "Keys per step of the online softmax (0: the largest that fits)">,
    Option<"stages", "stages", "int64_t", "2",
           "Shared-memory buffers of K and V tiles filled ahead by cp.async">,
    Option<"kvSplits", "kv-splits", "int64_t", "0",
           "Blocks sharing a row tile's keys (0: chosen from target-blocks)">,
    Option<"targetBlocks", "target-blocks", "int64_t", "264",
           "Blocks that keep the GPU busy (two per SM of an H100/H200)">,
    Option<"remarks", "remarks", "bool", "false",
           "Remark on each attention left to the portable path, saying why">,
  ];
  let dependentDialects = ["::mlir::attn::codegen::AttnCodegenDialect"];
}

def AttnGpuTensorCoreFlash
    : Pass<"attn-gpu-tensor-core-flash", "func::FuncOp"> {
  let summary = "Lower configured attention to tensor-core FlashAttention kernels";
  let description = [{
    Replaces every `attn.attention` with a `#attn_codegen.gpu_flash`
    lowering configuration by one `gpu.launch` of the in-block
    FlashAttention kernel (wide heads: queries staged in shared memory, the
    value split among warps, a value that is a key read from its tiles) (`buildTensorCoreFlashKernel`, docs/gpu.md):
    its operands become buffers (`bufferization.to_buffer`), its output a
    new buffer returned as a tensor. Per block, 16 query rows per warp on
    `nvgpu.mma.sync` m16n8k16 with f32 accumulators; K and V tiles copied
    into XOR-swizzled shared memory by `nvgpu.device_async_copy` a number
    of stages ahead and read by `nvgpu.ldmatrix` (transposed for V); the
    scale folded into `exp2`; row statistics shuffled within quads; key
    tiles outside every row's causal, window or `kv_lengths` range
    skipped. Query heads sharing a KV head are packed into a block's rows.
    With `kv_splits` > 1 the grid's third dimension splits each row tile's
    key tiles; each split writes its partial output and log-sum-exp, and
    linalg ops on tensors after the launch merge them (`buildSplitMax`,
    `buildWeightedSplitSums`), through the portable path's kernels.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::NVVM::NVVMDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::nvgpu::NVGPUDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

#endif // ATTNC_CODEGEN_GPU_PASSES_TD
