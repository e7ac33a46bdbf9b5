//===- Bf16Dots.cpp - bf16 products on x86's vdpbf16ps --------------------===//
//
// x86-only (avx512_bf16): dot products of bf16 rows and register blocks over
// bf16 key pairs become x86vector.avx512.dot, one instruction per pair of
// products, where f32 FMAs take one per product and more to widen.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/X86/Bf16Dots.h"
#include "attnc/Codegen/CPU/Passes.h"
#include "attnc/Codegen/CPU/RowReductions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNX86BF16PAIRDOTS
#include "attnc/Codegen/CPU/Passes.h.inc"

/// The bf16 operand of `v = arith.extf`, or null where `v` is not widened
/// from bf16 by an extf of its own.
static Value getWidenedBf16(Value v) {
  auto ext = v.getDefiningOp<arith::ExtFOp>();
  if (!ext || !getElementTypeOrSelf(ext.getIn().getType()).isBF16())
    return Value();
  return ext.getIn();
}

/// Whether `v` is a bf16 vector widened to f32, through the broadcasts and
/// transposes that the vectorizer puts between a read and its use.
static bool widensBf16(Value v) {
  if (getWidenedBf16(v))
    return true;
  Operation *def = v.getDefiningOp();
  if (isa_and_present<vector::BroadcastOp, vector::TransposeOp>(def))
    return widensBf16(def->getOperand(0));
  return false;
}

/// Elements [offset, offset + size) of row `row` of the 2-D vector `rows`.
static Value extractRowSlice(PatternRewriter &rewriter, Location loc,
                             Value rows, int64_t row, int64_t offset,
                             int64_t size) {
  Value whole = vector::ExtractOp::create(rewriter, loc, rows, row);
  return vector::ExtractStridedSliceOp::create(
      rewriter, loc, whole, ArrayRef<int64_t>{offset}, ArrayRef<int64_t>{size},
      ArrayRef<int64_t>{1});
}

/// The bf16 vector that `v` widens (widensBf16), with the same broadcasts
/// and transposes applied to it.
static Value getBf16Source(PatternRewriter &rewriter, Value v) {
  if (Value widened = getWidenedBf16(v))
    return widened;
  Operation *def = v.getDefiningOp();
  Value source = getBf16Source(rewriter, def->getOperand(0));
  if (auto transpose = dyn_cast<vector::TransposeOp>(def))
    return vector::TransposeOp::create(rewriter, def->getLoc(), source,
                                       transpose.getPermutation());
  auto type = cast<VectorType>(v.getType());
  return vector::BroadcastOp::create(
      rewriter, def->getLoc(),
      type.clone(rewriter.getBF16Type()), source);
}

namespace {
/// Dot products of two bf16 rows widened to f32 (decode scores of bf16
/// queries against bf16 keys, with attn-flash-lowering's `bf16-dot`),
/// `multi_reduction<add>(extf(a) * extf(b), acc) [last]`, multiply the bf16
/// pairs with x86vector.avx512.dot (vdpbf16ps) into `lanes`-wide f32
/// partial sums, chunk by chunk for all rows at once, and end with the
/// horizontal sums of the rows (MultiRowHorizontalSums):
///
///   p_r = dot(0, a[r, 0:2L], b[r, 0:2L]); p_r = dot(p_r, a[r, 2L:4L], ...)
///   multi_reduction<add>(p, acc) [last]
///
/// One instruction per 2L products and no widening, where FMAs take one per
/// L products and two more instructions per operand to widen. bf16 products
/// are exact in f32; the summation order changes as with the FMAs.
struct DotReductionToBf16Dots
    : public OpRewritePattern<vector::MultiDimReductionOp> {
  // Ahead of DotReductionToFMAs.
  DotReductionToBf16Dots(MLIRContext *ctx, int64_t lanes)
      : OpRewritePattern(ctx, /*benefit=*/4), lanes(lanes) {}

  LogicalResult matchAndRewrite(vector::MultiDimReductionOp reduction,
                                PatternRewriter &rewriter) const override {
    arith::MulFOp mul = getRowDotProduct(reduction);
    VectorType type = reduction.getSourceVectorType();
    // vdpbf16ps takes 4, 8 or 16 f32 lanes (xmm, ymm, zmm).
    int64_t size = type.getShape().back();
    if (!mul || !type.getElementType().isF32() ||
        (lanes != 4 && lanes != 8 && lanes != 16) || size % (2 * lanes) != 0 ||
        !widensBf16(mul.getLhs()) || !widensBf16(mul.getRhs()))
      return failure();
    Location loc = reduction.getLoc();
    ArrayRef<int64_t> rowShape = type.getShape().drop_back();
    int64_t numRows = ShapedType::getNumElements(rowShape);
    auto rowsType = VectorType::get({numRows, size}, rewriter.getBF16Type());
    Value lhs = vector::ShapeCastOp::create(
        rewriter, loc, rowsType, getBf16Source(rewriter, mul.getLhs()));
    Value rhs = vector::ShapeCastOp::create(
        rewriter, loc, rowsType, getBf16Source(rewriter, mul.getRhs()));
    auto partialType = VectorType::get({lanes}, rewriter.getF32Type());
    Value zero = arith::ConstantOp::create(
        rewriter, loc, rewriter.getZeroAttr(partialType));
    SmallVector<Value> partials(numRows, zero);
    for (int64_t offset = 0; offset < size; offset += 2 * lanes) {
      for (int64_t row = 0; row < numRows; ++row) {
        auto chunk = [&](Value rows) {
          return extractRowSlice(rewriter, loc, rows, row, offset, 2 * lanes);
        };
        partials[row] = x86vector::DotBF16Op::create(
            rewriter, loc, partialType, partials[row], chunk(lhs), chunk(rhs));
      }
    }
    SmallVector<int64_t> partialShape(rowShape);
    partialShape.push_back(lanes);
    Value all = arith::ConstantOp::create(
        rewriter, loc,
        rewriter.getZeroAttr(VectorType::get({numRows, lanes},
                                             rewriter.getF32Type())));
    for (auto [row, partial] : llvm::enumerate(partials))
      all = vector::InsertOp::create(rewriter, loc, partial, all,
                                     static_cast<int64_t>(row));
    all = vector::ShapeCastOp::create(
        rewriter, loc, VectorType::get(partialShape, rewriter.getF32Type()),
        all);
    rewriter.replaceOpWithNewOp<vector::MultiDimReductionOp>(
        reduction, all, reduction.getAcc(), reduction.getReductionMask(),
        vector::CombiningKind::ADD);
    return success();
  }

  int64_t lanes;
};
} // namespace

namespace {
/// A register block over bf16 key pairs (getBf16PairLoop), the contract
///
///   acc[r, l] += sum_k extf(p[r, k]) * extf(v[k, l])   (k even)
///
/// becomes one x86vector.avx512.dot (vdpbf16ps) per key pair, row and
/// `lanes`-wide chunk of the row: the pair p[r, k:k+2] is one 32-bit word,
/// broadcast to every lane, and rows k and k+1 of v are interleaved, so that
/// each lane l holds the pair (v[k, l], v[k+1, l]):
///
///   acc[r, c] = dot(acc[r, c], broadcast(p[r, k:k+2] as i32),
///                   interleave(v[k, c], v[k + 1, c]))
///
/// One instruction per 2 x `lanes` products, where f32 FMAs take one per
/// `lanes` and two more per V vector to widen it. bf16 products are exact in
/// f32; each pair is summed before it is added to the accumulator.
struct Bf16PairContractToDots : public OpRewritePattern<vector::ContractionOp> {
  Bf16PairContractToDots(MLIRContext *ctx, int64_t lanes)
      : OpRewritePattern(ctx), lanes(lanes) {}

  LogicalResult matchAndRewrite(vector::ContractionOp contract,
                                PatternRewriter &rewriter) const override {
    auto accType = dyn_cast<VectorType>(contract.getAccType());
    Value pairs = getWidenedBf16(contract.getLhs());
    Value values = getWidenedBf16(contract.getRhs());
    if (contract.getKind() != vector::CombiningKind::ADD || !accType ||
        accType.getRank() != 2 || !accType.getElementType().isF32() ||
        !pairs || !values)
      return failure();
    // (r, l, k) -> (r, k), (k, l), (r, l).
    MLIRContext *ctx = rewriter.getContext();
    AffineExpr r, l, k;
    bindDims(ctx, r, l, k);
    auto maps = contract.getIndexingMapsArray();
    if (maps[0] != AffineMap::get(3, 0, {r, k}, ctx) ||
        maps[1] != AffineMap::get(3, 0, {k, l}, ctx) ||
        maps[2] != AffineMap::get(3, 0, {r, l}, ctx))
      return failure();
    int64_t numRows = accType.getDimSize(0), width = accType.getDimSize(1);
    int64_t numKeys = cast<VectorType>(pairs.getType()).getDimSize(1);
    // vdpbf16ps takes 4, 8 or 16 f32 lanes (xmm, ymm, zmm).
    int64_t chunk = std::min(lanes, width);
    if ((chunk != 4 && chunk != 8 && chunk != 16) || width % chunk != 0 ||
        numKeys % 2 != 0)
      return failure();

    Location loc = contract.getLoc();
    Type bf16 = rewriter.getBF16Type(), i32 = rewriter.getI32Type();
    auto chunkType = VectorType::get({chunk}, rewriter.getF32Type());
    auto pairsType = VectorType::get({2 * chunk}, bf16);
    int64_t numChunks = width / chunk;
    SmallVector<Value> acc;
    for (int64_t row = 0; row < numRows; ++row)
      for (int64_t c = 0; c < numChunks; ++c)
        acc.push_back(extractRowSlice(rewriter, loc, contract.getAcc(), row,
                                      c * chunk, chunk));
    for (int64_t key = 0; key < numKeys; key += 2) {
      Value first = vector::ExtractOp::create(rewriter, loc, values, key);
      Value second = vector::ExtractOp::create(rewriter, loc, values, key + 1);
      SmallVector<Value> interleaved;
      for (int64_t c = 0; c < numChunks; ++c) {
        SmallVector<int64_t> mask;
        for (int64_t i = c * chunk; i < (c + 1) * chunk; ++i)
          mask.append({i, width + i});
        interleaved.push_back(
            vector::ShuffleOp::create(rewriter, loc, first, second, mask));
      }
      for (int64_t row = 0; row < numRows; ++row) {
        Value pair = extractRowSlice(rewriter, loc, pairs, row, key, 2);
        Value word = vector::BitCastOp::create(
            rewriter, loc, VectorType::get({1}, i32), pair);
        Value broadcast = vector::BroadcastOp::create(
            rewriter, loc, VectorType::get({chunk}, i32), word);
        broadcast = vector::BitCastOp::create(rewriter, loc, pairsType,
                                              broadcast);
        for (int64_t c = 0; c < numChunks; ++c) {
          Value &sum = acc[row * numChunks + c];
          sum = x86vector::DotBF16Op::create(rewriter, loc, chunkType, sum,
                                             broadcast, interleaved[c]);
        }
      }
    }
    Value result = contract.getAcc();
    for (int64_t row = 0; row < numRows; ++row) {
      Value accRow = vector::ExtractOp::create(rewriter, loc, result, row);
      for (int64_t c = 0; c < numChunks; ++c)
        accRow = vector::InsertStridedSliceOp::create(
            rewriter, loc, acc[row * numChunks + c], accRow,
            ArrayRef<int64_t>{c * chunk}, ArrayRef<int64_t>{1});
      result = vector::InsertOp::create(rewriter, loc, accRow, result, row);
    }
    rewriter.replaceOp(contract, result);
    return success();
  }

  int64_t lanes;
};
} // namespace

void populateX86Bf16DotReductionPattern(RewritePatternSet &patterns,
                                        int64_t lanes) {
  patterns.add<DotReductionToBf16Dots>(patterns.getContext(), lanes);
}

void populateX86Bf16PairContractPattern(RewritePatternSet &patterns,
                                        int64_t lanes) {
  patterns.add<Bf16PairContractToDots>(patterns.getContext(), lanes);
}

namespace {
struct AttnX86Bf16PairDots
    : public impl::AttnX86Bf16PairDotsBase<AttnX86Bf16PairDots> {
  using Base::Base;

  void runOnOperation() override {
    if (nativeLanes < 1 || !llvm::isPowerOf2_64(nativeLanes)) {
      emitError(getOperation()->getLoc())
          << "attn-x86-bf16-pair-dots: native-lanes must be a power of two, "
             "got "
          << static_cast<int64_t>(nativeLanes);
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    populateX86Bf16PairContractPattern(patterns,
                                       std::min<int64_t>(nativeLanes, 16));
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

} // namespace mlir::attn
