//===- CpuTarget.h - the CPU that attnc compiles for -------------*- C++ -*-===//
//
// One description of the target CPU, derived once from LLVM's description of
// it (`--mcpu`, or the host for "native"), used by every entry point that
// compiles: attnc, attn-run, the C API and the Python package. It fixes what
// attn-cpu-pipeline sizes its kernels by (vector width, bf16 dot products)
// and creates the LLVM target machine that emits the code.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TARGET_CPU_CPUTARGET_H
#define ATTNC_TARGET_CPU_CPUTARGET_H

#include "attnc/Pipelines/Pipelines.h"

#include "mlir/Support/LLVM.h"

#include "llvm/Support/CodeGen.h"

#include <memory>
#include <string>

namespace llvm {
class TargetMachine;
namespace orc {
class JITTargetMachineBuilder;
} // namespace orc
} // namespace llvm

namespace mlir::attn {

struct CpuTarget {
  /// LLVM's name of the CPU ("native" resolved to the host's).
  std::string cpu;
  /// LLVM subtarget features: the host's for "native", otherwise empty
  /// (implied by the CPU name).
  std::string features;
  /// Width of the vectors the kernels are sized for: 512 where the CPU has
  /// avx512f, otherwise 256 (or what `lookup` was asked for).
  unsigned vectorBits = 256;
  /// bf16 dot products (vdpbf16ps): avx512f and avx512bf16.
  bool bf16Dot = false;
  /// Intel AMX tiles for bf16 (amx-tile, amx-bf16) beside bf16Dot: bf16
  /// tiles of a multiple of 16 rows multiply on tile registers.
  bool amx = false;

  /// The target for `cpu` ("native": the host's CPU and features, or an
  /// LLVM CPU name such as "znver4" or "sapphirerapids"), with vectors of
  /// `vectorBits` (256 or 512; 0: the widest the CPU has). Fails with a
  /// message in `error` for an unknown CPU, a bad width, or 512 bits on a
  /// CPU without avx512f.
  static FailureOr<CpuTarget> lookup(StringRef cpu, unsigned vectorBits,
                                     std::string &error);
  /// The host's target, widest vectors: what attn-run and the C API's
  /// attncRunCpuPipeline compile for.
  static FailureOr<CpuTarget> host(std::string &error) {
    return lookup("native", 0, error);
  }

  /// Sets attn-cpu-pipeline's target options (vector-bits, bf16-dot, amx).
  void applyTo(CpuPipelineOptions &options) const;

  /// An LLVM target machine for this CPU (position-independent code); null
  /// with `error` set if LLVM cannot make one.
  std::unique_ptr<llvm::TargetMachine>
  createTargetMachine(std::string &error) const;
  /// The same description for LLVM's JIT.
  llvm::orc::JITTargetMachineBuilder getJitTargetMachineBuilder() const;

  /// Asks Linux for AMX tile state for this process (what code compiled
  /// for an `amx` target needs before it runs): success without AMX, or once
  /// the request is granted; otherwise a message in `error`.
  LogicalResult prepareProcess(std::string &error) const;
};

} // namespace mlir::attn

#endif // ATTNC_TARGET_CPU_CPUTARGET_H
