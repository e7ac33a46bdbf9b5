//===- Passes.td - attnc's GPU code generation passes ------*- tablegen -*-===//
//
// Passes on the gpu, scf and memref IR of the GPU pipeline. They do not
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

#endif // ATTNC_CODEGEN_GPU_PASSES_TD
