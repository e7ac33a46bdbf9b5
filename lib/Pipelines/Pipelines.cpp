//===- Pipelines.cpp - attnc pass pipelines -------------------------------===//

#include "attnc/Pipelines/Pipelines.h"

#include "attnc/Codegen/CPU/Passes.h"
#include "attnc/Codegen/GPU/Passes.h"
#include "attnc/Dialect/Attn/IR/AttnDialect.h"
#include "attnc/Dialect/Attn/IR/ShardingInterfaceImpl.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Conversion/MPIToLLVM/MPIToLLVM.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Shard/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::attn::buildRaisePipeline(OpPassManager &pm, bool raise) {
  // Aggregates (linalg.softmax) are decomposed first: attention is matched
  // on what every element computes, whatever ops spell it.
  pm.addNestedPass<func::FuncOp>(createAttnDecomposeAggregates());
  if (raise)
    pm.addNestedPass<func::FuncOp>(createAttnRaiseAttention());
}

namespace mlir::attn {
/// Model IR to attn.attention and linalg on tensors, as every target
/// starts: attention raised, elementwise producers fused (a transpose of
/// every weight before its matmul, RMSNorm over four generics, as model IR
/// spells them; a decode step's matrix-vector products read transposed
/// weights in place), then the gate, latent and grouped-head variants
/// lowered to the core op (GTA's epilogue tiled by `gtaQueryTile` queries,
/// 0: untiled).
static void addVariantLoweringPasses(OpPassManager &pm, bool raiseAttention,
                                     int64_t gtaQueryTile,
                                     int64_t tensorParallel = 1) {
  buildRaisePipeline(pm, raiseAttention);
  if (tensorParallel > 1) {
    TensorParallelOptions split;
    split.devices = tensorParallel;
    buildTensorParallelPipeline(pm, split);
  }
  pm.addPass(createLinalgGeneralizeNamedOpsPass());
  pm.addNestedPass<func::FuncOp>(createAttnFuseElementwiseProducers());
  pm.addNestedPass<func::FuncOp>(createAttnLowerEmbeddingGate());
  pm.addNestedPass<func::FuncOp>(createAttnLowerLatentAttention());
  AttnLowerGroupedHeadAttentionOptions gta;
  if (gtaQueryTile > 0)
    gta.queryTile = gtaQueryTile;
  pm.addNestedPass<func::FuncOp>(createAttnLowerGroupedHeadAttention(gta));
}

/// Tensors to buffers, with plain (identity-layout) memrefs at function
/// boundaries so that callers pass dense arrays; arguments are only read,
/// so a call leaves the caller's arrays as they were.
static void addBufferizePasses(OpPassManager &pm,
                               bool allowReturnAllocsFromLoops) {
  pm.addNestedPass<func::FuncOp>(createAttnReadOnlyArguments());
  bufferization::OneShotBufferizePassOptions bufferizeOptions;
  bufferizeOptions.bufferizeFunctionBoundaries = true;
  bufferizeOptions.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  bufferizeOptions.allowReturnAllocsFromLoops = allowReturnAllocsFromLoops;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOptions));
}
} // namespace mlir::attn

void mlir::attn::buildCpuPipeline(OpPassManager &pm,
                                  const CpuPipelineOptions &givenOptions) {
  // The GPU path's loops take attention through the reference lowering and
  // run on one thread, unvectorized, as the GPU pipeline lowers them.
  CpuPipelineOptions options;
  options.copyOptionValuesFrom(givenOptions);
  if (options.gpuLoops) {
    options.reference = true;
    options.threads = false;
  }
  // GTA's decoder and gate run on each query tile of the attention.
  addVariantLoweringPasses(pm, options.raiseAttention,
                           options.reference ? 0 : options.queryTile,
                           options.tensorParallel);
  if (!options.reference) {
    // The CPU's choices for the flash lowering, on each op.
    AttnCpuConfigureFlashOptions flash;
    flash.queryTile = options.queryTile;
    flash.keyTile = options.keyTile;
    // Split-KV only pays when threads can run the splits.
    flash.kvSplits = options.threads ? options.kvSplits : 1;
    flash.bf16Dot = options.bf16Dot;
    flash.bf16Probabilities = options.bf16Dot && !options.f32Probabilities;
    flash.amx = options.amx;
    pm.addNestedPass<func::FuncOp>(createAttnCpuConfigureFlash(flash));
    pm.addNestedPass<func::FuncOp>(createAttnFlashLowering());
  }
  // What the tiled lowering does not cover, and everything with reference=1.
  pm.addNestedPass<func::FuncOp>(createAttnReferenceLowering());
  pm.addPass(createCanonicalizerPass());
  if (options.gpuLoops)
    pm.addPass(createLinalgGeneralizeNamedOpsPass());
  if (!options.reference) {
    // Operands computed in the function (EG-MLA's gated latent) are computed
    // tile by tile inside the key loop, where that computes nothing twice.
    pm.addNestedPass<func::FuncOp>(createAttnFuseTileProducers());
    // With threads, large ops outside the tile loops (MLA's absorption and
    // up-projection) are split into parallel chunks too.
    if (options.threads)
      pm.addNestedPass<func::FuncOp>(createAttnParallelizeOuterOps());
    // Large contractions (a prefill's projections) are tiled so that the
    // weight panel their register blocks read stays in L2.
    pm.addNestedPass<func::FuncOp>(createAttnCacheBlockContractions());
    // Register blocks (6 rows by two of the target's vectors: 12
    // accumulators) and vectors; accumulators leave the reduction loops.
    VectorizeTilesOptions vectorize;
    vectorize.nativeLanes = options.vectorBits / 32;
    vectorize.lanes = 2 * vectorize.nativeLanes;
    vectorize.bf16Dot = options.bf16Dot;
    buildVectorizeTilesPipeline(pm.nest<func::FuncOp>(), vectorize);
    pm.addPass(createCanonicalizerPass());
    pm.addPass(createLoopInvariantSubsetHoistingPass());
    pm.addPass(createCanonicalizerPass());
    // Vector forms that upstream's LLVM lowering rejects (vector powi
    // exponents, rank-2 class tests) or miscompiles (bit-packed i1
    // transfers) become ones it lowers to what the scalar ops compute.
    pm.addNestedPass<func::FuncOp>(createAttnLegalizeVectorOps());
  }

  // Collectives of a partitioned program (shard.all_reduce) to MPI calls on
  // buffers, and its grid, which attn-shard declares private, dropped; a
  // module without shard ops is left as it is.
  pm.addPass(createConvertShardToMPIPass());
  pm.addPass(createAttnMpiWorldCommunicator());
  pm.addPass(createSymbolDCEPass());
  // Tensors -> buffers, every temporary freed. The tiled loop's running row
  // max is read after its update; letting the loop carry a fresh buffer
  // costs one [tile] vector copy per key tile.
  addBufferizePasses(pm, /*allowReturnAllocsFromLoops=*/true);
  if (options.gpuLoops)
    addGpuLoopPasses(pm);
  // Temporaries of a fixed size inside the key-tile loop (the score tile,
  // the bf16 probabilities) are allocated once, before the loop, instead of
  // malloc'ed and freed every key tile (docs/performance.md, the pipeline).
  // Allocations stay inside scf.forall bodies, so each thread keeps its own.
  pm.addNestedPass<func::FuncOp>(
      bufferization::createBufferLoopHoistingPass());
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());
  // The tile ops of AMX key steps (only with amx) to AMX tile products, and
  // either a request for AMX state ahead of them or, for tests on CPUs
  // without AMX, vector code that computes what they compute.
  if (options.amx && !options.reference) {
    pm.addNestedPass<func::FuncOp>(createAttnX86AmxTiles());
    if (options.amxEmulation)
      pm.addNestedPass<func::FuncOp>(createAttnX86EmulateAmx());
    else
      pm.addPass(createAttnX86AmxPermission());
  }
  // Copies into strided slices (a KV cache concatenated with the new token)
  // become loops that LLVM vectorizes, not element-by-element runtime calls.
  pm.addNestedPass<func::FuncOp>(createAttnInlineStridedCopies());

  // Buffers -> loops -> LLVM. Parallel tile loops become OpenMP work-sharing
  // loops, or sequential ones.
  if (options.threads) {
    pm.addPass(createForallToParallelLoopPass());
    pm.addPass(createConvertSCFToOpenMPPass());
    // Inlines the alloca scopes the conversion wraps loop bodies in (they
    // hold no allocas), which would otherwise not survive scf-to-cf.
    pm.addPass(createCanonicalizerPass());
  }
  pm.addPass(createForallToForLoopPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  // n-D vector transfers and reductions to 1-D ones.
  pm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMultiReductionPass());
  // Subview offsets become affine.apply here, so affine is lowered after.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // MemRefs go to LLVM while regions are still structured: OpenMP's
  // alloca scopes must be lowered before their bodies become CFGs.
  // bf16 conversions become integer ops, with no soft-float runtime call,
  // unless the target has avx512_bf16 (bf16-dot): LLVM then rounds f32 to
  // bf16 with vcvtneps2bf16, one instruction for what takes about seven
  // (the probabilities of P.V and MLA's transposed copy of them).
  arith::ArithExpandOpsPassOptions expandOptions;
  expandOptions.includeBf16 = !options.bf16Dot;
  pm.addPass(arith::createArithExpandOpsPass(expandOptions));
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createSCFToControlFlowPass());
  // Contractions to FMAs.
  ConvertVectorToLLVMPassOptions vectorToLLVM;
  vectorToLLVM.vectorContractLowering = vector::VectorContractLowering::OuterProduct;
  vectorToLLVM.reassociateFPReductions = true;
  vectorToLLVM.x86Vector = options.bf16Dot;
  pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createAttnOpenMpiOpSymbols());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::attn::buildTensorParallelPipeline(
    OpPassManager &pm, const TensorParallelOptions &options) {
  // Unit dimensions folded away first: model IR broadcasts a RoPE table over
  // heads with a constant index in an indexing map, which sharding cannot
  // follow; over a table without that unit dimension it can.
  pm.addNestedPass<func::FuncOp>(createLinalgFoldUnitExtentDimsPass());
  pm.addPass(createCanonicalizerPass());
  AttnShardOptions shard;
  shard.devices = options.devices;
  shard.mpiImplementation = options.mpi;
  pm.addPass(createAttnShard(shard));
  // Forward first: the attention's shardings reach the ops after it (the
  // output projection, which then annotates the initial value it starts
  // from); backward then reaches everything before, that initial value
  // included.
  shard::ShardingPropagationOptions propagation;
  propagation.traversal = shard::TraversalOrder::ForwardBackward;
  pm.addNestedPass<func::FuncOp>(shard::createShardingPropagation(propagation));
  pm.addNestedPass<func::FuncOp>(shard::createPartition());
  pm.addPass(createCanonicalizerPass());
}

LogicalResult mlir::attn::partitionForRanks(ModuleOp module, int64_t devices,
                                            bool raise) {
  PassManager pm(module.getContext());
  buildRaisePipeline(pm, raise);
  TensorParallelOptions split;
  split.devices = devices;
  buildTensorParallelPipeline(pm, split);
  return pm.run(module);
}

void mlir::attn::addGpuLoopPasses(OpPassManager &pm) {
  // Each linalg op to a parallel loop nest whose last dimensions become a
  // block's threads and the grid; reductions are loops in each thread.
  pm.addNestedPass<func::FuncOp>(createAttnGpuReductionsInnermost());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createAttnGpuMapParallelLoops());
}

void mlir::attn::buildGpuPipeline(OpPassManager &pm,
                                  const GpuPipelineOptions &options) {
  // The variants to the core op, as on the CPU.
  addVariantLoweringPasses(pm, /*raiseAttention=*/true, /*gtaQueryTile=*/0);
  // Attention that the tensor-core kernel takes becomes its launch.
  if (options.tensorCores) {
    pm.addNestedPass<func::FuncOp>(createAttnGpuConfigureFlash());
    pm.addNestedPass<func::FuncOp>(createAttnGpuTensorCoreFlash());
  }
  // The rest through the reference lowering (materialised scores): the
  // portable path, correct for every variant (docs/gpu.md).
  pm.addNestedPass<func::FuncOp>(createAttnReferenceLowering());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createLinalgGeneralizeNamedOpsPass());
  addBufferizePasses(pm, /*allowReturnAllocsFromLoops=*/false);
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(createCanonicalizerPass());
  // Host code only launches: the copies bufferization leaves (a result
  // inserted into a slice of a larger buffer) become kernels too.
  AttnInlineStridedCopiesOptions copies;
  copies.contiguous = true;
  pm.addNestedPass<func::FuncOp>(createAttnInlineStridedCopies(copies));
  pm.addPass(createLinalgGeneralizeNamedOpsPass());
  addGpuLoopPasses(pm);
  pm.addPass(createConvertParallelLoopToGpuPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createAttnGpuMergeKernelModules());
  GpuNVVMAttachTargetOptions nvvm;
  nvvm.chip = options.chip;
  nvvm.features = options.features;
  nvvm.optLevel = 3;
  pm.addPass(createGpuNVVMAttachTarget(nvvm));
  OpPassManager &device = pm.nest<gpu::GPUModuleOp>();
  device.addPass(createSCFToControlFlowPass());
  device.addPass(memref::createExpandStridedMetadataPass());
  device.addPass(createLowerAffinePass());
  // The tensor-core kernel's mma.sync, ldmatrix and cp.async.
  device.addPass(createConvertNVGPUToNVVMPass());
  ConvertGpuOpsToNVVMOpsOptions toNvvm;
  toNvvm.useBarePtrCallConv = true;
  device.addPass(createConvertGpuOpsToNVVMOps(toNvvm));
  device.addPass(createCanonicalizerPass());
  device.addPass(createCSEPass());
  device.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binary;
  binary.toolkitPath = options.toolkit;
  binary.compilationTarget = options.format;
  pm.addPass(createGpuModuleToBinaryPass(binary));
}

void mlir::attn::registerPipelines() {
  registerVectorizeTilesPipeline();
  PassPipelineRegistration<GpuPipelineOptions>(
      "attn-gpu-pipeline",
      "Lower attn ops on tensors to kernel launches and a PTX/cubin "
      "gpu.binary for NVIDIA GPUs",
      [](OpPassManager &pm, const GpuPipelineOptions &options) {
        buildGpuPipeline(pm, options);
      });
  PassPipelineRegistration<TensorParallelOptions>(
      "attn-tensor-parallel",
      "Partition attn ops and the functions around them into the program "
      "one of `devices` MPI ranks runs",
      [](OpPassManager &pm, const TensorParallelOptions &options) {
        buildTensorParallelPipeline(pm, options);
      });
  PassPipelineRegistration<CpuPipelineOptions>(
      "attn-cpu-pipeline",
      "Lower attn ops on tensors to the LLVM dialect for the CPU",
      [](OpPassManager &pm, const CpuPipelineOptions &options) {
        buildCpuPipeline(pm, options);
      });
}

void mlir::attn::registerCompilerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registry.insert<AttnDialect, codegen::AttnCodegenDialect>();
  registerShardingInterfaceExternalModels(registry);
  mpi::registerConvertMPIToLLVMInterface(registry);
  registerMpiMemoryEffects(registry);
}
