//===- Differential.h - the optimised path against the oracle ---*- C++ -*-===//
//
// Runs a function through attn-cpu-pipeline twice, tiled and with the
// reference lowering (the oracle), on the same inputs, and compares the
// results. attn-run --differential and the fuzzer's numeric mode use it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TARGET_CPU_DIFFERENTIAL_H
#define ATTNC_TARGET_CPU_DIFFERENTIAL_H

#include "attnc/Target/CPU/JitRunner.h"

#include <cstdint>
#include <string>
#include <vector>

namespace mlir::attn {

/// Random arguments for `func` (whose signature passes
/// hasHostArraySignature), the same for the same `seed`: floats normal with
/// standard deviation 1/2, booleans true with probability 1/2, integers
/// uniform over the range the IR gives them (token ids of
/// attn.embedding_gate in [0, V), kv_lengths in [0, T]) and [-8, 8]
/// otherwise. A logit of MLA multiplies three inputs (query, up-projection,
/// latent): with standard normal ones it is of order 20, where one f32
/// rounding of a score moves a probability by about 1e-5 on either path.
std::vector<attnc::runtime::NpyArray> makeRandomInputs(func::FuncOp func,
                                                       uint64_t seed);

/// The largest relative difference the optimised path may have from the
/// oracle in `func`'s results: 1e-5 (f32 reassociated sums and polynomial
/// math), 1e-3 where f16 appears anywhere in the function, 1e-2 where bf16
/// does (one rounding of a value near a bf16 step, and bf16 softmax
/// probabilities in P.V, README "Precision with bf16-dot").
double getDifferentialTolerance(func::FuncOp func);

/// How one result of the optimised path compares with the oracle's.
struct ResultComparison {
  bool agree = false;
  /// max |optimised - oracle| / max |oracle| over elements where both are
  /// finite (0 for integer and boolean results, which must be equal).
  double maxRelativeDifference = 0;
  /// Empty when they agree; otherwise the first element that differs.
  std::string mismatch;
};

/// Compares two arrays of the same dtype and shape: NaN must meet NaN, an
/// infinity the same infinity, integers and booleans must be equal, and
/// finite floats may differ by `tolerance` relative to the oracle's largest
/// finite magnitude.
ResultComparison compareArrays(const attnc::runtime::NpyArray &optimized,
                               const attnc::runtime::NpyArray &oracle,
                               double tolerance);

/// The outcome of running one function both ways.
struct DifferentialOutcome {
  enum class Status {
    /// Every result agrees.
    Agree,
    /// Some result disagrees.
    Disagree,
    /// The oracle compiles and runs, the optimised path does not: a failure
    /// too.
    OptimizedRejected,
    /// The oracle rejects the function: nothing to compare against.
    OracleRejected,
  };
  Status status = Status::OracleRejected;
  double tolerance = 0;
  std::vector<ResultComparison> results;
  /// Why a path was rejected.
  std::string error;
};

/// Compiles function `name` of `module` through attn-cpu-pipeline with
/// `options` and with the same options and `reference=1`, runs both on
/// `inputs` and compares their results.
DifferentialOutcome
runDifferential(ModuleOp module, StringRef name,
                ArrayRef<attnc::runtime::NpyArray> inputs,
                const CpuPipelineOptions &options, unsigned numThreads,
                llvm::TargetMachine &host);

} // namespace mlir::attn

#endif // ATTNC_TARGET_CPU_DIFFERENTIAL_H
