//===- AmxPermission.cpp - ask Linux for AMX tile state before using it ---===//
//
// Linux enables AMX tile data for a process only on request; until then a
// tile instruction faults with SIGILL. Each function that runs AMX ops calls
// a guard that makes the request once and, refused, says so and aborts.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/Passes.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNX86AMXPERMISSION
#include "attnc/Codegen/CPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
constexpr StringLiteral kStateName = "__attnc_amx_state";
constexpr StringLiteral kMessageName = "__attnc_amx_message";
constexpr StringLiteral kMessage =
    "attnc: this kernel needs Intel AMX, and Linux refused the process AMX "
    "tile state (arch_prctl ARCH_REQ_XCOMP_PERM)\n";
// x86-64 Linux: SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA.
constexpr int64_t kSysArchPrctl = 158;
constexpr int64_t kArchReqXcompPerm = 0x1023;
constexpr int64_t kXfeatureXtiledata = 18;

/// The C library function `name` of `type`, declared if the module lacks
/// it; null (with an error) if the module defines `name` as something else.
LLVM::LLVMFuncOp declareFunction(OpBuilder &b, ModuleOp module, StringRef name,
                                 LLVM::LLVMFunctionType type) {
  Operation *existing = module.lookupSymbol(name);
  if (!existing)
    return LLVM::LLVMFuncOp::create(b, module.getLoc(), name, type);
  auto function = dyn_cast<LLVM::LLVMFuncOp>(existing);
  if (!function || function.getFunctionType() != type) {
    existing->emitError() << "attn-x86-amx-permission calls the C library's '"
                          << name << "', which this symbol hides";
    return nullptr;
  }
  return function;
}

/// void __attnc_require_amx(): state 1 once the request succeeded.
LLVM::LLVMFuncOp buildGuard(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  Location loc = module.getLoc();
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  Type i8 = b.getI8Type(), i32 = b.getI32Type(), i64 = b.getI64Type();
  Type ptr = LLVM::LLVMPointerType::get(ctx);
  Type voidType = LLVM::LLVMVoidType::get(ctx);
  LLVM::GlobalOp::create(b, loc, i32, /*isConstant=*/false,
                         LLVM::Linkage::Internal, kStateName,
                         b.getI32IntegerAttr(0));
  LLVM::GlobalOp::create(b, loc, LLVM::LLVMArrayType::get(i8, kMessage.size()),
                         /*isConstant=*/true, LLVM::Linkage::Internal,
                         kMessageName, b.getStringAttr(kMessage));
  auto syscall = declareFunction(b, module, "syscall",
                                 LLVM::LLVMFunctionType::get(i64, {i64}, true));
  auto write = declareFunction(
      b, module, "write", LLVM::LLVMFunctionType::get(i64, {i32, ptr, i64}));
  auto abort = declareFunction(b, module, "abort",
                               LLVM::LLVMFunctionType::get(voidType, {}));
  if (!syscall || !write || !abort)
    return nullptr;
  auto guard = LLVM::LLVMFuncOp::create(
      b, loc, attn::kAmxGuardName, LLVM::LLVMFunctionType::get(voidType, {}),
      LLVM::Linkage::Internal);

  Block *entry = guard.addEntryBlock(b);
  Block *ask = new Block(), *refused = new Block(), *done = new Block();
  guard.getBody().push_back(ask);
  guard.getBody().push_back(refused);
  guard.getBody().push_back(done);
  auto constant = [&](Type type, int64_t value) {
    return LLVM::ConstantOp::create(b, loc, type, b.getIntegerAttr(type, value))
        .getResult();
  };

  b.setInsertionPointToStart(entry);
  Value state = LLVM::AddressOfOp::create(b, loc, ptr, kStateName);
  Value granted = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq,
                                       LLVM::LoadOp::create(b, loc, i32, state, /*alignment=*/4,
                           /*isVolatile=*/false, /*isNonTemporal=*/false,
                           /*isInvariant=*/false, /*isInvariantGroup=*/false,
                           LLVM::AtomicOrdering::monotonic),
                                       constant(i32, 1));
  LLVM::CondBrOp::create(b, loc, granted, done, ask);

  // The request is idempotent: threads that race here all ask, and all
  // get the same answer (the state is read and written atomically).
  b.setInsertionPointToStart(ask);
  Value answer =
      LLVM::CallOp::create(b, loc, syscall,
                           ValueRange{constant(i64, kSysArchPrctl),
                                      constant(i64, kArchReqXcompPerm),
                                      constant(i64, kXfeatureXtiledata)})
          .getResult();
  Value ok = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, answer,
                                  constant(i64, 0));
  LLVM::CondBrOp::create(b, loc, ok, done, refused);

  b.setInsertionPointToStart(refused);
  Value message = LLVM::AddressOfOp::create(b, loc, ptr, kMessageName);
  LLVM::CallOp::create(
      b, loc, write,
      ValueRange{constant(i32, 2), message, constant(i64, kMessage.size())});
  LLVM::CallOp::create(b, loc, abort, ValueRange{});
  LLVM::UnreachableOp::create(b, loc);

  b.setInsertionPointToStart(done);
  LLVM::StoreOp::create(b, loc, constant(i32, 1),
                        LLVM::AddressOfOp::create(b, loc, ptr, kStateName),
                        /*alignment=*/4, /*isVolatile=*/false,
                        /*isNonTemporal=*/false, /*isInvariantGroup=*/false,
                        LLVM::AtomicOrdering::monotonic);
  LLVM::ReturnOp::create(b, loc, ValueRange{});
  return guard;
}

struct AmxPermissionPass
    : attn::impl::AttnX86AmxPermissionBase<AmxPermissionPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> users;
    module.walk([&](func::FuncOp func) {
      WalkResult uses = func.walk([](Operation *op) {
        return isa_and_nonnull<amx::AMXDialect>(op->getDialect())
                   ? WalkResult::interrupt()
                   : WalkResult::advance();
      });
      if (uses.wasInterrupted() && !func.isExternal())
        users.push_back(func);
    });
    if (users.empty())
      return;
    LLVM::LLVMFuncOp guard = module.lookupSymbol<LLVM::LLVMFuncOp>(attn::kAmxGuardName);
    if (!guard)
      guard = buildGuard(module);
    if (!guard)
      return signalPassFailure();
    for (func::FuncOp func : users) {
      OpBuilder b = OpBuilder::atBlockBegin(&func.getBody().front());
      LLVM::CallOp::create(b, func.getLoc(), guard, ValueRange{});
    }
  }
};
} // namespace
