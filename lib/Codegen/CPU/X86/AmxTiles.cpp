//===- AmxTiles.cpp - marked tile ops to AMX tile products ----------------===//
//
// attn-flash-lowering marks the tile ops of an AMX key step (kAmxTileAttrName):
// VNNI packs and contractions in VNNI form. On buffers they become
// amx.tile_load / amx.tile_mulf / amx.tile_store over blocks of 16 x 16 f32
// accumulator tiles, and vector interleaves.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNX86AMXTILES
#include "attnc/Codegen/CPU/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;

namespace {
/// Rows of an AMX tile, and bf16 columns of one (64 bytes).
constexpr int64_t kTileRows = 16;
constexpr int64_t kBf16TileCols = 32;

/// `value`'s memref type when it is a static-shaped memref of `rank`
/// dimensions of `elementType`; null otherwise.
MemRefType staticMemRef(Value value, int64_t rank, Type elementType) {
  auto type = dyn_cast<MemRefType>(value.getType());
  if (!type || type.getRank() != rank || !type.hasStaticShape() ||
      type.getElementType() != elementType)
    return nullptr;
  return type;
}

/// Collapses the two innermost dimensions of `memref` (a VNNI pair with the
/// dimension before it).
Value collapseInnerPair(OpBuilder &b, Location loc, Value memref) {
  auto type = cast<MemRefType>(memref.getType());
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d + 2 < type.getRank(); ++d)
    groups.push_back({d});
  groups.push_back({type.getRank() - 2, type.getRank() - 1});
  return memref::CollapseShapeOp::create(b, loc, memref, groups);
}

/// out[p, n, j] = in[p, j, n]: each pair of input rows interleaved.
LogicalResult lowerPack(OpBuilder &b, linalg::GenericOp op) {
  MLIRContext *ctx = op.getContext();
  Type bf16 = BFloat16Type::get(ctx);
  if (op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1)
    return failure();
  Value in = op.getDpsInputOperand(0)->get();
  Value out = op.getDpsInitOperand(0)->get();
  MemRefType inType = staticMemRef(in, 3, bf16);
  MemRefType outType = staticMemRef(out, 3, bf16);
  if (!inType || !outType || inType.getDimSize(1) != 2 ||
      outType.getDimSize(2) != 2 ||
      inType.getDimSize(0) != outType.getDimSize(0) ||
      inType.getDimSize(2) != outType.getDimSize(1))
    return failure();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps[0] != AffineMap::getMultiDimMapWithTargets(3, {0, 2, 1}, ctx) ||
      !maps[1].isIdentity() || op.getNumParallelLoops() != 3)
    return failure();
  auto yield = cast<linalg::YieldOp>(op.getBody()->getTerminator());
  if (yield.getOperand(0) != op.getBody()->getArgument(0))
    return failure();

  Location loc = op.getLoc();
  int64_t pairs = outType.getDimSize(0), width = outType.getDimSize(1);
  // The widest chunk of at most 32 bf16 (one 512-bit interleaved vector)
  // that divides the rows.
  int64_t chunk = kBf16TileCols;
  while (width % chunk)
    chunk /= 2;
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  Value flat = collapseInnerPair(b, loc, out);
  auto halfType = VectorType::get({chunk}, bf16);
  Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(bf16));
  scf::ForOp::create(
      b, loc, index(0), index(pairs), index(1), ValueRange{},
      [&](OpBuilder &pb, Location pl, Value p, ValueRange) {
        scf::ForOp::create(
            pb, pl, index(0), index(width), index(chunk), ValueRange{},
            [&](OpBuilder &nb, Location nl, Value n, ValueRange) {
              SmallVector<bool> inBounds = {true};
              auto row = [&](int64_t j) {
                return vector::TransferReadOp::create(
                    nb, nl, halfType, in, ValueRange{p, index(j), n}, zero,
                    inBounds);
              };
              Value pairsOfRow =
                  vector::InterleaveOp::create(nb, nl, row(0), row(1));
              Value column = arith::MulIOp::create(nb, nl, n, index(2));
              vector::TransferWriteOp::create(nb, nl, pairsOfRow, flat,
                                              ValueRange{p, column}, inBounds);
              scf::YieldOp::create(nb, nl);
            });
        scf::YieldOp::create(pb, pl);
      });
  return success();
}

/// Whether `op`'s body is the multiply-add of its widened bf16 inputs into
/// its f32 output: yield(out + extf(a) * extf(b)).
bool isWidenedMultiplyAdd(linalg::GenericOp op) {
  Block *body = op.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  if (!add)
    return false;
  Value out = body->getArgument(2), product;
  if (add.getLhs() == out)
    product = add.getRhs();
  else if (add.getRhs() == out)
    product = add.getLhs();
  else
    return false;
  auto mul = product.getDefiningOp<arith::MulFOp>();
  if (!mul)
    return false;
  auto widened = [&](Value v, unsigned arg) {
    auto ext = v.getDefiningOp<arith::ExtFOp>();
    return ext && ext.getIn() == body->getArgument(arg);
  };
  return (widened(mul.getLhs(), 0) && widened(mul.getRhs(), 1)) ||
         (widened(mul.getLhs(), 1) && widened(mul.getRhs(), 0));
}

/// The linalg.fill of 0 that last wrote `buffer` before `op`, with only
/// views between the two; null if there is none.
linalg::FillOp findZeroFill(Operation *op, Value buffer) {
  for (Operation *prev = op->getPrevNode(); prev; prev = prev->getPrevNode()) {
    if (auto fill = dyn_cast<linalg::FillOp>(prev)) {
      if (fill.getOutputs()[0] != buffer)
        return nullptr;
      return matchPattern(fill.getInputs()[0], m_AnyZeroFloat()) ? fill
                                                                 : nullptr;
    }
    if (!isMemoryEffectFree(prev))
      return nullptr;
  }
  return nullptr;
}

/// C[m, n] += sum_{k, j} A[m, k, j] * B[k, n, j] on AMX tiles. A C that a
/// fill of zeros wrote just before starts from zeroed tiles instead: no
/// memset call between the tile instructions of a key loop, after which
/// LLVM would configure the tiles again.
LogicalResult lowerContraction(OpBuilder &b, linalg::GenericOp op) {
  MLIRContext *ctx = op.getContext();
  Type bf16 = BFloat16Type::get(ctx);
  Type f32 = Float32Type::get(ctx);
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1)
    return failure();
  Value lhs = op.getDpsInputOperand(0)->get();
  Value rhs = op.getDpsInputOperand(1)->get();
  Value acc = op.getDpsInitOperand(0)->get();
  MemRefType lhsType = staticMemRef(lhs, 3, bf16);
  MemRefType rhsType = staticMemRef(rhs, 3, bf16);
  MemRefType accType = staticMemRef(acc, 2, f32);
  if (!lhsType || !rhsType || !accType)
    return failure();
  if (op.getNumLoops() != 4)
    return failure();
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  if (iterators[0] != utils::IteratorType::parallel ||
      iterators[1] != utils::IteratorType::parallel ||
      iterators[2] != utils::IteratorType::reduction ||
      iterators[3] != utils::IteratorType::reduction ||
      !isWidenedMultiplyAdd(op))
    return failure();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps[0] != AffineMap::getMultiDimMapWithTargets(4, {0, 2, 3}, ctx) ||
      maps[1] != AffineMap::getMultiDimMapWithTargets(4, {2, 1, 3}, ctx) ||
      maps[2] != AffineMap::getMultiDimMapWithTargets(4, {0, 1}, ctx))
    return failure();
  int64_t rows = accType.getDimSize(0), cols = accType.getDimSize(1);
  int64_t depth = lhsType.getDimSize(1);
  if (lhsType.getDimSize(0) != rows || lhsType.getDimSize(2) != 2 ||
      rhsType.getDimSize(0) != depth || rhsType.getDimSize(1) != cols ||
      rhsType.getDimSize(2) != 2 || rows % kTileRows || cols % kTileRows ||
      depth % kTileRows)
    return failure();

  Location loc = op.getLoc();
  linalg::FillOp zeroFill = findZeroFill(op, acc);
  auto index = [&](int64_t v) {
    return arith::ConstantIndexOp::create(b, loc, v).getResult();
  };
  // A as [M, K] and B as [K/2, 2N]: one tile row is 32 bf16 of either.
  Value lhsRows = collapseInnerPair(b, loc, lhs);
  Value rhsRows = collapseInnerPair(b, loc, rhs);
  auto accTile = amx::TileType::get({kTileRows, kTileRows}, f32);
  auto operandTile = amx::TileType::get({kTileRows, kBf16TileCols}, bf16);
  // 2 x 2 accumulators where the output allows: each A and B tile loaded
  // then feeds two products; 4 + 2 + 2 tiles fill AMX's 8 registers.
  int64_t blockRows = rows % (2 * kTileRows) ? 1 : 2;
  int64_t blockCols = cols % (2 * kTileRows) ? 1 : 2;
  scf::ForOp::create(
      b, loc, index(0), index(rows), index(blockRows * kTileRows), ValueRange{},
      [&](OpBuilder &mb, Location ml, Value m0, ValueRange) {
        scf::ForOp::create(
            mb, ml, index(0), index(cols), index(blockCols * kTileRows),
            ValueRange{},
            [&](OpBuilder &nb, Location nl, Value n0, ValueRange) {
              auto offset = [&](Value base, int64_t add) {
                return add ? arith::AddIOp::create(nb, nl, base, index(add))
                                 .getResult()
                           : base;
              };
              SmallVector<Value> rowAt, colAt;
              for (int64_t i = 0; i < blockRows; ++i)
                rowAt.push_back(offset(m0, i * kTileRows));
              for (int64_t j = 0; j < blockCols; ++j)
                colAt.push_back(offset(n0, j * kTileRows));
              SmallVector<Value> tiles;
              for (int64_t i = 0; i < blockRows; ++i)
                for (int64_t j = 0; j < blockCols; ++j)
                  tiles.push_back(
                      zeroFill
                          ? amx::TileZeroOp::create(nb, nl, accTile).getResult()
                          : amx::TileLoadOp::create(
                                nb, nl, accTile, acc,
                                ValueRange{rowAt[i], colAt[j]})
                                .getResult());
              for (int64_t k = 0; k < depth; k += kTileRows) {
                SmallVector<Value> a, bt;
                for (int64_t i = 0; i < blockRows; ++i)
                  a.push_back(amx::TileLoadOp::create(
                      nb, nl, operandTile, lhsRows,
                      ValueRange{rowAt[i], index(2 * k)}));
                for (int64_t j = 0; j < blockCols; ++j)
                  bt.push_back(amx::TileLoadOp::create(
                      nb, nl, operandTile, rhsRows,
                      ValueRange{index(k), arith::MulIOp::create(
                                               nb, nl, colAt[j], index(2))}));
                for (int64_t i = 0; i < blockRows; ++i)
                  for (int64_t j = 0; j < blockCols; ++j) {
                    Value &t = tiles[i * blockCols + j];
                    t = amx::TileMulFOp::create(nb, nl, accTile, a[i], bt[j],
                                                t);
                  }
              }
              for (int64_t i = 0; i < blockRows; ++i)
                for (int64_t j = 0; j < blockCols; ++j)
                  amx::TileStoreOp::create(nb, nl, acc,
                                           ValueRange{rowAt[i], colAt[j]},
                                           tiles[i * blockCols + j]);
              scf::YieldOp::create(nb, nl);
            });
        scf::YieldOp::create(mb, ml);
      });
  if (zeroFill)
    zeroFill.erase();
  return success();
}

struct AmxTilesPass : attn::impl::AttnX86AmxTilesBase<AmxTilesPass> {
  void runOnOperation() override {
    SmallVector<linalg::GenericOp> ops;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (op->hasAttr(attn::codegen::kAmxTileAttrName))
        ops.push_back(op);
    });
    for (linalg::GenericOp op : ops) {
      if (!op.hasPureBufferSemantics()) {
        op.emitOpError("marked for AMX tiles must be on buffers "
                       "(attn-x86-amx-tiles runs after bufferization)");
        return signalPassFailure();
      }
      OpBuilder b(op);
      if (failed(op.getNumDpsInputs() == 1 ? lowerPack(b, op)
                                           : lowerContraction(b, op))) {
        op.emitOpError("marked for AMX tiles is neither a bf16 VNNI pack "
                       "nor a bf16 tile contraction (the multiply-add of its "
                       "widened inputs) in VNNI form with dimensions multiple "
                       "of 16");
        return signalPassFailure();
      }
      op.erase();
    }
  }
};
} // namespace
