//===- GpuTarget.cpp - the NVIDIA GPU attnc compiles for ------------------===//

#include "attnc/Target/GPU/GpuTarget.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

using namespace mlir;
using namespace mlir::attn;

namespace {
struct KnownChip {
  llvm::StringLiteral name;
  unsigned capability;
  /// The oldest PTX ISA version that targets it, times ten.
  unsigned minPtx;
};
// The chips of the tensor-core kernels' generation (mma.sync m16n8k16);
// sm_90a adds wgmma. PTX 8.0 (CUDA 12.0) is attnc's floor: it targets all
// of them.
constexpr KnownChip kChips[] = {
    {"sm_80", 80, 70}, {"sm_86", 86, 71}, {"sm_89", 89, 78},
    {"sm_90", 90, 78}, {"sm_90a", 90, 80},
};
constexpr unsigned kMinPtx = 80;
// The newest PTX ISA version LLVM 22's NVPTX backend emits.
constexpr unsigned kMaxPtx = 90;
} // namespace

unsigned GpuTarget::getComputeCapability() const {
  for (const KnownChip &known : kChips)
    if (known.name == chip)
      return known.capability;
  return 0;
}

std::string GpuTarget::getFeatures() const {
  return "+ptx" + std::to_string(ptxVersion);
}

StringRef GpuTarget::getBinaryFormat(GpuBinaryKind kind) {
  switch (kind) {
  case GpuBinaryKind::Ptx:
    return "isa";
  case GpuBinaryKind::Cubin:
    return "bin";
  case GpuBinaryKind::Fatbin:
    return "fatbin";
  }
  llvm_unreachable("unknown GpuBinaryKind");
}

StringRef GpuTarget::getBinaryKindName(GpuBinaryKind kind) {
  switch (kind) {
  case GpuBinaryKind::Ptx:
    return "ptx";
  case GpuBinaryKind::Cubin:
    return "cubin";
  case GpuBinaryKind::Fatbin:
    return "fatbin";
  }
  llvm_unreachable("unknown GpuBinaryKind");
}

std::optional<GpuBinaryKind> GpuTarget::parseBinaryKind(StringRef name) {
  for (GpuBinaryKind kind :
       {GpuBinaryKind::Ptx, GpuBinaryKind::Cubin, GpuBinaryKind::Fatbin})
    if (getBinaryKindName(kind) == name)
      return kind;
  return std::nullopt;
}

FailureOr<GpuTarget> GpuTarget::lookup(StringRef chip, unsigned ptxVersion,
                                       StringRef toolkitPath,
                                       GpuBinaryKind kind, std::string &error) {
  const KnownChip *known = llvm::find_if(
      kChips, [&](const KnownChip &c) { return c.name == chip; });
  if (known == std::end(kChips)) {
    error = "unknown GPU chip '" + chip.str() + "' (attnc compiles for: ";
    for (const KnownChip &c : kChips)
      error += c.name.str() + (&c == std::end(kChips) - 1 ? ")" : ", ");
    return failure();
  }
  GpuTarget target;
  target.chip = chip.str();
  target.ptxVersion = ptxVersion ? ptxVersion : std::max(known->minPtx, kMinPtx);
  if (target.ptxVersion < std::max(known->minPtx, kMinPtx) ||
      target.ptxVersion > kMaxPtx) {
    error = "--ptx-version=" + std::to_string(target.ptxVersion) +
            " cannot target " + chip.str() + ": use " +
            std::to_string(std::max(known->minPtx, kMinPtx)) + " to " +
            std::to_string(kMaxPtx) + " (PTX ISA version times ten)";
    return failure();
  }
  std::string toolkit = toolkitPath.str();
  if (toolkit.empty()) {
    std::optional<std::string> home = llvm::sys::Process::GetEnv("CUDA_HOME");
    toolkit = home && !home->empty() ? *home : "/usr/local/cuda";
  }
  SmallString<256> libdevice(toolkit);
  llvm::sys::path::append(libdevice, "nvvm", "libdevice", "libdevice.10.bc");
  if (!llvm::sys::fs::exists(libdevice)) {
    error = "no CUDA toolkit at " + toolkit + " (" + libdevice.str().str() +
            " is missing): pass --cuda-path or set CUDA_HOME";
    return failure();
  }
  if (kind != GpuBinaryKind::Ptx) {
    SmallString<256> ptxas(toolkit);
    llvm::sys::path::append(ptxas, "bin", "ptxas");
    if (!llvm::sys::fs::can_execute(ptxas)) {
      error = "the CUDA toolkit at " + toolkit + " has no ptxas (" +
              ptxas.str().str() + "), which cubin and fatbin need";
      return failure();
    }
  }
  target.toolkitPath = toolkit;
  return target;
}
