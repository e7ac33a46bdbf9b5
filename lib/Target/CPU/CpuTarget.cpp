//===- CpuTarget.cpp - the CPU that attnc compiles for ---------------------===//

#include "attnc/Target/CPU/CpuTarget.h"

#include "llvm/ADT/StringMap.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

#include <cerrno>
#include <cstring>

#if defined(__linux__) && defined(__x86_64__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

using namespace mlir;
using namespace mlir::attn;

static const llvm::Target *lookupLlvmTarget(const llvm::Triple &triple,
                                            std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  std::string message;
  const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, message);
  if (!target)
    error = "no LLVM target for " + triple.str() + ": " + message;
  return target;
}

FailureOr<CpuTarget> CpuTarget::lookup(StringRef cpu, unsigned vectorBits,
                                       std::string &error) {
  CpuTarget result;
  result.cpu = cpu.str();
  if (cpu == "native") {
    result.cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures features;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features.AddFeature(feature.first(), feature.second);
    result.features = features.getString();
  }
  // The subtarget alone answers what the CPU has; the target machine that
  // emits code is made once, by whoever emits it.
  llvm::Triple triple(llvm::sys::getProcessTriple());
  const llvm::Target *target = lookupLlvmTarget(triple, error);
  if (!target)
    return failure();
  std::unique_ptr<llvm::MCSubtargetInfo> info(
      target->createMCSubtargetInfo(triple, result.cpu, result.features));
  if (!info) {
    error = "cannot describe CPU '" + cpu.str() + "' for " + triple.str();
    return failure();
  }
  if (!info->isCPUStringValid(result.cpu)) {
    error = "unknown CPU '" + cpu.str() + "' for " + triple.str() +
            " (use --mcpu=native or an LLVM CPU name such as x86-64-v3 or "
            "znver3)";
    return failure();
  }
  auto has = [&](StringRef feature) {
    return info->checkFeatures(("+" + feature).str());
  };
  bool avx512 = has("avx512f");
  result.bf16Dot = avx512 && has("avx512bf16");
  result.amx = result.bf16Dot && has("amx-tile") && has("amx-bf16");
  switch (vectorBits) {
  case 0:
    result.vectorBits = avx512 ? 512 : 256;
    break;
  case 256:
  case 512:
    if (vectorBits == 512 && !avx512) {
      error = "512-bit vectors need avx512f, which CPU '" + cpu.str() +
              "' does not have";
      return failure();
    }
    result.vectorBits = vectorBits;
    break;
  default:
    error = "vector width must be 256 or 512 bits, got " +
            std::to_string(vectorBits);
    return failure();
  }
  return result;
}

void CpuTarget::applyTo(CpuPipelineOptions &options) const {
  options.vectorBits = vectorBits;
  options.bf16Dot = bf16Dot;
  options.amx = amx;
}

LogicalResult CpuTarget::prepareProcess(std::string &error) const {
  if (!amx)
    return success();
#if defined(__linux__) && defined(__x86_64__)
  // arch_prctl(ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA).
  constexpr long kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  if (syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0)
    return success();
  error = "code for CPU '" + cpu + "' uses Intel AMX, and Linux refused this "
          "process AMX tile state: " + std::strerror(errno);
#else
  error = "code for CPU '" + cpu + "' uses Intel AMX, which attnc can only "
          "enable on x86-64 Linux";
#endif
  return failure();
}

std::unique_ptr<llvm::TargetMachine>
CpuTarget::createTargetMachine(std::string &error) const {
  llvm::Triple triple(llvm::sys::getProcessTriple());
  const llvm::Target *target = lookupLlvmTarget(triple, error);
  if (!target)
    return nullptr;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, llvm::TargetOptions(), llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    error = "cannot create a target machine for " + triple.str();
  return machine;
}

llvm::orc::JITTargetMachineBuilder CpuTarget::getJitTargetMachineBuilder() const {
  llvm::Triple triple(llvm::sys::getProcessTriple());
  llvm::orc::JITTargetMachineBuilder builder(triple);
  builder.setCPU(cpu);
  if (!features.empty()) {
    llvm::SubtargetFeatures parsed(features);
    builder.addFeatures(parsed.getFeatures());
  }
  builder.setCodeGenOptLevel(llvm::CodeGenOptLevel::Aggressive);
  return builder;
}
