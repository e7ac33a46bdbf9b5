//===- Pipelines.h - attnc pass pipelines -----------------------*- C++ -*-===//

#ifndef ATTNC_PIPELINES_PIPELINES_H
#define ATTNC_PIPELINES_PIPELINES_H

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassOptions.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/StringRef.h"

namespace mlir {
class OpPassManager;
} // namespace mlir

namespace mlir::attn {

/// The help of the pipeline's f32-probabilities and of attnc's and
/// attn-run's --f32-probabilities.
inline constexpr const char *kF32ProbabilitiesHelp =
    "Keep softmax probabilities in f32 for P.V against bf16 values; by "
    "default a CPU with avx512_bf16 rounds them to bf16 and multiplies them "
    "with V in vdpbf16ps (faster; about 2^-9 relative error per probability)";

struct CpuPipelineOptions : public PassPipelineOptions<CpuPipelineOptions> {
  Option<bool> reference{
      *this, "reference",
      llvm::cl::desc("Lower attention through the reference lowering (the "
                     "oracle: materialised scores) instead of the tiled loop"),
      llvm::cl::init(false)};
  Option<int64_t> queryTile{*this, "query-tile",
                            llvm::cl::desc("Queries per tile"),
                            llvm::cl::init(64)};
  Option<int64_t> keyTile{*this, "key-tile", llvm::cl::desc("Keys per tile"),
                          llvm::cl::init(64)};
  Option<int64_t> kvSplits{
      *this, "kv-splits",
      llvm::cl::desc("With threads=1, split the key range of ops with fewer "
                     "parallel tiles than this many ways (split-KV)"),
      llvm::cl::init(4)};
  Option<bool> raiseAttention{
      *this, "raise-attention",
      llvm::cl::desc("First recognise attention written in plain linalg and "
                     "rewrite it into attn ops (attn-raise-attention)"),
      llvm::cl::init(true)};
  Option<int64_t> vectorBits{
      *this, "vector-bits",
      llvm::cl::desc("Width of the target's vector registers in bits: 256 "
                     "(AVX2, the default) or 512 (AVX-512); register blocks "
                     "and partial sums are sized for it"),
      llvm::cl::init(256)};
  Option<bool> bf16Dot{
      *this, "bf16-dot",
      llvm::cl::desc("The target has avx512_bf16: decode scores of bf16 "
                     "queries and keys multiply bf16 pairs with vdpbf16ps"),
      llvm::cl::init(false)};
  Option<bool> amx{
      *this, "amx",
      llvm::cl::desc("The target has Intel AMX (amx_bf16; with bf16-dot): "
                     "score and P.V contractions of bf16 tiles of a multiple "
                     "of 16 rows run on AMX tiles, unless f32-probabilities"),
      llvm::cl::init(false)};
  Option<bool> amxEmulation{
      *this, "amx-emulation",
      llvm::cl::desc("With amx, the AMX tile ops run as vector code "
                     "(attn-x86-emulate-amx): checks the AMX path's numbers "
                     "on a CPU without AMX; slow, for tests"),
      llvm::cl::init(false)};
  Option<bool> f32Probabilities{
      *this, "f32-probabilities",
      llvm::cl::desc(kF32ProbabilitiesHelp),
      llvm::cl::init(false)};
  Option<bool> gpuLoops{
      *this, "gpu-loops",
      llvm::cl::desc("Lower as attn-gpu-pipeline does, up to its blocks and "
                     "threads, and run those loops on the CPU: the GPU path's "
                     "numbers checked where no GPU is present (implies the "
                     "reference lowering; no vectors, no threads)"),
      llvm::cl::init(false)};
  Option<bool> threads{
      *this, "threads",
      llvm::cl::desc("Run the parallel tile loops on OpenMP threads (the "
                     "compiled code then needs libomp)"),
      llvm::cl::init(false)};
  Option<int64_t> tensorParallel{
      *this, "tensor-parallel",
      llvm::cl::desc("Compile the program one of this many MPI ranks runs: "
                     "attention split over the ranks by KV-head group, latent "
                     "block or head group (attn-tensor-parallel), collectives "
                     "as MPI calls (default 1: not split)"),
      llvm::cl::init(1)};
};

struct TensorParallelOptions
    : public PassPipelineOptions<TensorParallelOptions> {
  Option<int64_t> devices{*this, "devices",
                          llvm::cl::desc("Devices (MPI ranks) to split over"),
                          llvm::cl::init(1)};
  Option<std::string> mpi{
      *this, "mpi",
      llvm::cl::desc("MPI ABI of the runtime: OpenMPI or MPICH"),
      llvm::cl::init("OpenMPI")};
};

/// `attn-tensor-parallel`: the program one device runs. attn ops annotated
/// with their sharding (attn-shard), the annotations propagated to the rest
/// of each function and every function partitioned (upstream
/// sharding-propagation and shard-partition): arguments and results become
/// each device's slices, collectives shard ops.
void buildTensorParallelPipeline(OpPassManager &pm,
                                 const TensorParallelOptions &options);

/// Rewrites `module` in place into the program one of `devices` MPI ranks
/// runs, as attnc and attn-run --tensor-parallel compile it: model IR raised
/// first (buildRaisePipeline, `raise` as there), so that attention is split
/// as attn ops, then attn-tensor-parallel. Errors go to the context's
/// diagnostic handler.
LogicalResult partitionForRanks(ModuleOp module, int64_t devices, bool raise);

/// Declares what mpi.allreduce reads and writes (MLIR 22 leaves it
/// unknown), so that buffer deallocation accepts a partitioned program.
void registerMpiMemoryEffects(DialectRegistry &registry);

/// Model IR to attn ops, as the CPU pipeline starts: aggregates
/// (linalg.softmax) decomposed, then attention written in linalg raised
/// (`raise` false: decomposed only). `attnc --report` runs it too, so that
/// it reports what it would compile.
void buildRaisePipeline(OpPassManager &pm, bool raise = true);

/// `attn-cpu-pipeline`: attn ops on tensors to the LLVM dialect, ready for
/// mlir-translate or the ExecutionEngine.
void buildCpuPipeline(OpPassManager &pm, const CpuPipelineOptions &options = {});

struct GpuPipelineOptions : public PassPipelineOptions<GpuPipelineOptions> {
  Option<std::string> chip{
      *this, "chip",
      llvm::cl::desc("NVIDIA GPU to compile for: sm_80, sm_86, sm_89, sm_90 "
                     "or sm_90a"),
      llvm::cl::init("sm_80")};
  Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX ISA version as an LLVM feature (+ptx80 or newer)"),
      llvm::cl::init("+ptx80")};
  Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit: its libdevice is linked in, its ptxas "
                     "assembles cubin and fatbin"),
      llvm::cl::init("/usr/local/cuda")};
  Option<std::string> format{
      *this, "format",
      llvm::cl::desc("What the kernels' gpu.binary holds: isa (PTX), bin "
                     "(cubin) or fatbin"),
      llvm::cl::init("isa")};
  Option<bool> tensorCores{
      *this, "tensor-cores",
      llvm::cl::desc("Attention with f16/bf16 inputs on the tensor-core "
                     "FlashAttention kernel (attn-gpu-tensor-core-flash); "
                     "otherwise, and for what that kernel does not take, "
                     "the portable path"),
      llvm::cl::init(true)};
};

/// The GPU path's loop nests, on buffers: every linalg op a parallel loop
/// nest tiled and mapped onto blocks and threads (attn-gpu-pipeline, and
/// attn-cpu-pipeline with gpu-loops=1).
void addGpuLoopPasses(OpPassManager &pm);

/// `attn-gpu-pipeline`: attn ops on tensors to a host function of buffer
/// allocations and kernel launches (gpu.launch_func) and one gpu.binary,
/// @attn_kernels, with every kernel. attnc validates the chip, PTX version
/// and toolkit first (GpuTarget); the pipeline takes them as given.
void buildGpuPipeline(OpPassManager &pm, const GpuPipelineOptions &options = {});

/// Registers every named attnc pipeline with the global pass registry.
void registerPipelines();

/// Everything a tool that compiles with attnc needs in its registry: attn,
/// every upstream dialect and interface extension, and the LLVM IR
/// translations.
void registerCompilerDialects(DialectRegistry &registry);

} // namespace mlir::attn

#endif // ATTNC_PIPELINES_PIPELINES_H
