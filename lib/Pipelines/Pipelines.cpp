//===- Pipelines.cpp - attnc pass pipelines -------------------------------===//

#include "attnc/Pipelines/Pipelines.h"
#include "attnc/Dialect/Attn/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::attn::buildCpuPipeline(OpPassManager &pm) {
  // Model-level attn ops -> the core op and linalg; the core op -> linalg on
  // tensors.
  pm.addPass(createAttnLowerEmbeddingGate());
  pm.addPass(createAttnLowerLatentAttention());
  pm.addPass(createAttnLowerGroupedHeadAttention());
  pm.addPass(createAttnReferenceLowering());
  pm.addPass(createCanonicalizerPass());

  // Tensors -> buffers, with plain (identity-layout) memrefs at function
  // boundaries so callers can pass dense arrays, and every temporary freed.
  bufferization::OneShotBufferizePassOptions bufferizeOptions;
  bufferizeOptions.bufferizeFunctionBoundaries = true;
  bufferizeOptions.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOptions));
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());

  // Buffers -> loops -> LLVM.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::attn::registerPipelines() {
  PassPipelineRegistration<>(
      "attn-cpu-pipeline",
      "Lower attn ops on tensors to the LLVM dialect for the CPU",
      buildCpuPipeline);
}
