//===- JitRunner.h - run functions compiled for the host --------*- C++ -*-===//
//
// Compiles a function through attn-cpu-pipeline and LLVM's JIT for the host
// CPU, and calls it on host arrays (.npy arrays in memory): what attn-run,
// the differential check and the fuzzer run.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TARGET_CPU_JITRUNNER_H
#define ATTNC_TARGET_CPU_JITRUNNER_H

#include "attnc/Pipelines/Pipelines.h"
#include "attnc/Target/CPU/CpuTarget.h"
#include "attnc/Runtime/Npy.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Support/LLVM.h"

#include <memory>
#include <string>
#include <vector>

namespace llvm {
class TargetMachine;
} // namespace llvm

namespace mlir {
class ExecutionEngine;
namespace func {
class FuncOp;
} // namespace func
} // namespace mlir

namespace mlir::attn {

/// LLVM's JIT target machine for `target` (the host's, as CpuTarget::host
/// describes it), for the JIT's code generator and optimiser; null with
/// `error` set if LLVM cannot make one.
std::unique_ptr<llvm::TargetMachine>
createJitTargetMachine(const CpuTarget &target, std::string &error);

/// The .npy dtype (descr) that carries `type` between numpy and compiled
/// code, or "" if there is none: f32, f64, f16, bf16 (raw bits as uint16),
/// i32, i64, i1 (one byte per element).
std::string getNpyDescr(Type type);

/// Whether every argument and result of `func` is a statically shaped tensor
/// of a type with a .npy dtype; otherwise `error` names the first that is not.
bool hasHostArraySignature(func::FuncOp func, std::string &error);

/// Checks that `inputs` match the arguments of `func` in number, dtype and
/// shape, and that token ids reaching an attn.embedding_gate index its
/// table; otherwise `error` says which input (named by `inputNames`, where
/// given) and why.
bool checkHostArguments(func::FuncOp func,
                        ArrayRef<attnc::runtime::NpyArray> inputs,
                        ArrayRef<std::string> inputNames, std::string &error);

/// Wall-clock times of repeated calls, in milliseconds.
struct CallTimes {
  double median = 0, min = 0;
  unsigned iterations = 0;
};

/// The results of one call: buffers the compiled code allocated (or
/// arguments it returned), freed when this is destroyed.
class JitResults {
public:
  JitResults(FunctionType type, std::vector<int64_t> words,
             std::vector<const void *> inputBuffers);
  JitResults(JitResults &&) = default;
  JitResults &operator=(JitResults &&) = default;
  ~JitResults();

  unsigned size() const { return offsets.size(); }
  /// Whether result `i` lies densely in C order.
  bool isContiguous(unsigned i) const;
  /// Its first element (of a contiguous result).
  const char *getData(unsigned i) const;
  /// A dense C-order copy of result `i`.
  attnc::runtime::NpyArray toArray(unsigned i) const;

private:
  RankedTensorType getType(unsigned i) const;
  const int64_t *getDescriptor(unsigned i) const { return &words[offsets[i]]; }

  FunctionType type;
  std::vector<int64_t> words;
  std::vector<unsigned> offsets;
  std::vector<const void *> inputBuffers;
};

/// One function compiled for the host.
class JitFunction {
public:
  /// Compiles function `name` of a copy of `module` through
  /// attn-cpu-pipeline with `options` and LLVM's JIT at -O3 for `host`.
  /// With `numThreads` > 1 the parallel tile loops run on as many OpenMP
  /// threads. The function's signature must pass hasHostArraySignature.
  /// On failure returns null with `error` set; the pipeline's own
  /// diagnostics go to the module's context.
  static std::unique_ptr<JitFunction>
  compile(ModuleOp module, StringRef name, const CpuPipelineOptions &options,
          unsigned numThreads, llvm::TargetMachine &host, std::string &error);
  ~JitFunction();

  FunctionType getType() const { return type; }

  /// Calls the function on `inputs`, which must match its arguments in
  /// dtype and shape (the caller checks). Returns false with `error` set if
  /// the call could not be made.
  bool call(ArrayRef<attnc::runtime::NpyArray> inputs,
            std::unique_ptr<JitResults> &results, std::string &error);

  /// Times `iterations` calls on `inputs` (after any warm-up the caller
  /// made), freeing each call's results before the next; `results` holds
  /// the last call's. Returns false with `error` set if a call fails.
  bool time(ArrayRef<attnc::runtime::NpyArray> inputs, unsigned iterations,
            std::unique_ptr<JitResults> &results, CallTimes &times,
            std::string &error);

private:
  JitFunction() = default;

  std::string name;
  FunctionType type;
  std::unique_ptr<ExecutionEngine> engine;
};

} // namespace mlir::attn

#endif // ATTNC_TARGET_CPU_JITRUNNER_H
