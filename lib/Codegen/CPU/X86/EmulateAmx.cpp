//===- EmulateAmx.cpp - AMX tile ops as vector ops, for tests -------------===//
//
// What the AMX instructions compute, written with vector ops, so that the
// AMX path's tiles, strides and VNNI packs are checked against a reference
// on a CPU without AMX. A tile is a 2-D vector; TDPBF16PS is a contraction
// of its bf16 operands in f32, B's VNNI pairs unpacked.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/Passes.h"

#include "mlir/IR/IRMapping.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNX86EMULATEAMX
#include "attnc/Codegen/CPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
VectorType vectorOf(amx::TileType tile) {
  return VectorType::get(tile.getShape(), tile.getElementType());
}

/// acc + lhs x rhs with bf16 operands in VNNI form: lhs [M, K], rhs
/// [K/2, 2N] holding rhs'[k, n] at [k / 2, 2n + k % 2]. rhs' is unpacked
/// first, so that the product is a plain [M, K] x [K, N] contraction, which
/// the vector lowering makes K outer products of f32 vectors.
Value emulateProduct(OpBuilder &b, Location loc, Value lhs, Value rhs,
                     Value acc) {
  MLIRContext *ctx = b.getContext();
  Type f32 = b.getF32Type();
  auto widen = [&](Value tile) {
    auto type = cast<VectorType>(tile.getType());
    return arith::ExtFOp::create(b, loc, VectorType::get(type.getShape(), f32),
                                 tile)
        .getResult();
  };
  auto rhsType = cast<VectorType>(rhs.getType());
  int64_t pairs = rhsType.getDimSize(0), cols = rhsType.getDimSize(1) / 2;
  Value interleaved = vector::ShapeCastOp::create(
      b, loc, VectorType::get({pairs, cols, 2}, f32), widen(rhs));
  Value byPair = vector::TransposeOp::create(b, loc, interleaved,
                                             ArrayRef<int64_t>{0, 2, 1});
  Value unpacked = vector::ShapeCastOp::create(
      b, loc, VectorType::get({2 * pairs, cols}, f32), byPair);
  AffineExpr m, n, k;
  bindDims(ctx, m, n, k);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {m, k}, ctx),
                                 AffineMap::get(3, 0, {k, n}, ctx),
                                 AffineMap::get(3, 0, {m, n}, ctx)};
  auto parallel =
      vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel);
  auto reduction =
      vector::IteratorTypeAttr::get(ctx, vector::IteratorType::reduction);
  return vector::ContractionOp::create(
      b, loc, widen(lhs), unpacked, acc, b.getAffineMapArrayAttr(maps),
      b.getArrayAttr({parallel, parallel, reduction}));
}

struct EmulateAmxPass : attn::impl::AttnX86EmulateAmxBase<EmulateAmxPass> {
  void runOnOperation() override {
    SmallVector<Operation *> tileOps;
    WalkResult walk = getOperation()->walk([&](Operation *op) {
      if (isa<amx::TileZeroOp, amx::TileLoadOp, amx::TileStoreOp,
              amx::TileMulFOp>(op)) {
        tileOps.push_back(op);
      } else if (isa_and_nonnull<amx::AMXDialect>(op->getDialect())) {
        op->emitOpError("has no vector emulation (attn-x86-emulate-amx)");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    // Tiles become vectors in program order: every tile operand is defined
    // before its use, in the same block.
    IRMapping vectors;
    for (Operation *op : tileOps) {
      OpBuilder b(op);
      Location loc = op->getLoc();
      auto lookup = [&](Value tile) { return vectors.lookupOrNull(tile); };
      if (auto zero = dyn_cast<amx::TileZeroOp>(op)) {
        VectorType type = vectorOf(zero.getTileType());
        vectors.map(zero.getRes(), arith::ConstantOp::create(
                                       b, loc, type, b.getZeroAttr(type)));
      } else if (auto load = dyn_cast<amx::TileLoadOp>(op)) {
        if (load.getStride()) {
          load.emitOpError("with an explicit stride has no vector emulation");
          return signalPassFailure();
        }
        VectorType type = vectorOf(load.getTileType());
        Value padding = arith::ConstantOp::create(
            b, loc, b.getZeroAttr(type.getElementType()));
        vectors.map(load.getRes(),
                    vector::TransferReadOp::create(
                        b, loc, type, load.getBase(), load.getIndices(),
                        padding, SmallVector<bool>{true, true}));
      } else if (auto store = dyn_cast<amx::TileStoreOp>(op)) {
        Value value = lookup(store.getVal());
        if (store.getStride() || !value) {
          store.emitOpError("has no vector emulation here");
          return signalPassFailure();
        }
        vector::TransferWriteOp::create(b, loc, value, store.getBase(),
                                        store.getIndices(),
                                        SmallVector<bool>{true, true});
      } else {
        auto mul = cast<amx::TileMulFOp>(op);
        Value lhs = lookup(mul.getLhs()), rhs = lookup(mul.getRhs()),
              acc = lookup(mul.getAcc());
        if (!lhs || !rhs || !acc ||
            !cast<VectorType>(lhs.getType()).getElementType().isBF16()) {
          mul.emitOpError("has no vector emulation here (bf16 tiles defined "
                          "in the same block)");
          return signalPassFailure();
        }
        vectors.map(mul.getRes(), emulateProduct(b, loc, lhs, rhs, acc));
      }
    }
    for (Operation *op : llvm::reverse(tileOps))
      op->erase();
  }
};
} // namespace
