//===- RowReductions.cpp - dot products and row sums of vector tiles ------===//
//
// The reductions along rows that attn-vectorize-register-tiles leaves as
// vector.multi_reduction (marked kRowReductionAttrName): dot products become
// FMAs into partial sums, and the horizontal sums that end them are taken
// four rows at a time; attn-lower-row-reductions applies the patterns.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/CPU/RowReductions.h"
#include "attnc/Codegen/CPU/Passes.h"
#include "attnc/Codegen/CPU/RegisterTiles.h"
#include "attnc/Codegen/CPU/X86/Bf16Dots.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_ATTNLOWERROWREDUCTIONS
#include "attnc/Codegen/CPU/Passes.h.inc"

/// Whether `reduction` sums along the innermost dimension alone,
/// `multi_reduction<add>(x, acc) [last]`, of a fixed-size vector.
bool isInnermostSum(vector::MultiDimReductionOp reduction) {
  VectorType type = reduction.getSourceVectorType();
  return reduction.getKind() == vector::CombiningKind::ADD &&
         !type.isScalable() && reduction.getReductionDims().size() == 1 &&
         reduction.getReductionDims()[0] == type.getRank() - 1;
}

/// The product `a * b` of a dot product along the innermost dimension,
/// `multi_reduction<add>(a * b, acc) [last]`, or null.
arith::MulFOp getRowDotProduct(vector::MultiDimReductionOp reduction) {
  if (!isInnermostSum(reduction))
    return nullptr;
  return reduction.getSource().getDefiningOp<arith::MulFOp>();
}

namespace {
/// Dot products along the innermost dimension,
/// `multi_reduction<add>(a * b, acc) [last]` over rows of N elements, become
/// FMAs into `lanes`-wide partial sums, chunk by chunk for all rows at once,
/// and the horizontal sums of the rows at the end (MultiRowHorizontalSums):
///
///   p = a[..., 0:L] * b[..., 0:L]; p = fma(a[..., L:2L], b[..., L:2L], p); ...
///   multi_reduction<add>(p, acc) [last]
///
/// instead of N multiplies, a tree of N/L - 1 vector adds and a horizontal
/// sum per row. Decode scores are such dots (a key row against each query row
/// of a tile). Walking the chunks in the outer loop lets each chunk of the
/// key, widened from bf16 once, meet every query row while it is in a
/// register. The summation order changes as under LLVM's reassociation of a
/// reduction.
struct DotReductionToFMAs
    : public OpRewritePattern<vector::MultiDimReductionOp> {
  // Ahead of the upstream lowering of the same reduction.
  DotReductionToFMAs(MLIRContext *ctx, int64_t lanes)
      : OpRewritePattern(ctx, /*benefit=*/3), lanes(lanes) {}

  LogicalResult matchAndRewrite(vector::MultiDimReductionOp reduction,
                                PatternRewriter &rewriter) const override {
    arith::MulFOp mul = getRowDotProduct(reduction);
    VectorType type = reduction.getSourceVectorType();
    int64_t rank = type.getRank();
    int64_t size = type.getShape().back();
    if (!mul || lanes <= 0 || size <= lanes || size % lanes != 0)
      return failure();
    Location loc = reduction.getLoc();
    SmallVector<int64_t> offsets(rank, 0), sizes(type.getShape()),
        strides(rank, 1);
    sizes.back() = lanes;
    auto chunk = [&](Value v, int64_t i) -> Value {
      offsets.back() = i * lanes;
      return vector::ExtractStridedSliceOp::create(rewriter, loc, v, offsets,
                                                   sizes, strides);
    };
    Value partial = arith::MulFOp::create(rewriter, loc, chunk(mul.getLhs(), 0),
                                          chunk(mul.getRhs(), 0));
    for (int64_t i = 1; i < size / lanes; ++i)
      partial = math::FmaOp::create(rewriter, loc, chunk(mul.getLhs(), i),
                                    chunk(mul.getRhs(), i), partial);
    rewriter.replaceOpWithNewOp<vector::MultiDimReductionOp>(
        reduction, partial, reduction.getAcc(), reduction.getReductionMask(),
        vector::CombiningKind::ADD);
    return success();
  }

  int64_t lanes;
};
} // namespace

namespace {
/// The horizontal sums that end the dot products above,
/// `multi_reduction<add>(p, acc) [last]` over R rows (R > 1) of f32 partial
/// sums, computed for four rows at a time by a transposing tree of in-lane
/// shuffles and adds, instead of one horizontal sum per row:
///
///   ab = shuffle(a, b, even pairs) + shuffle(a, b, odd pairs)   (each
///   128-bit lane: a01 a23 b01 b23), cd likewise, abcd likewise (a b c d),
///   then the 128-bit lanes added together.
///
/// After each row is folded to `nativeLanes`, x86 takes 5 instructions for
/// 4 rows of 8 lanes (3 vhaddps, an extract and an add), where one
/// horizontal sum per row takes 5 and packing the 4 sums another 3: a GQA
/// decode score tile pays this per key. Rows beyond a multiple of 4 are
/// padded with zeros. The summation order changes as under LLVM's
/// reassociation of a reduction.
struct MultiRowHorizontalSums
    : public OpRewritePattern<vector::MultiDimReductionOp> {
  // After the dot-product patterns, ahead of the upstream lowering.
  MultiRowHorizontalSums(MLIRContext *ctx, int64_t nativeLanes)
      : OpRewritePattern(ctx, /*benefit=*/2), nativeLanes(nativeLanes) {}

  LogicalResult matchAndRewrite(vector::MultiDimReductionOp reduction,
                                PatternRewriter &rewriter) const override {
    VectorType type = reduction.getSourceVectorType();
    if (!isInnermostSum(reduction) || !type.getElementType().isF32() ||
        type.getRank() < 2)
      return failure();
    int64_t size = type.getShape().back();
    int64_t numRows = type.getNumElements() / size;
    // Fold each row to the native width where it divides the row, else to
    // the row; the shuffles work on 128-bit lanes of 4, and both folds
    // halve, so rows of 12 or 24 lanes are left to the upstream lowering.
    int64_t width = size % nativeLanes == 0 ? nativeLanes : size;
    if (numRows < 2 || width % 4 != 0 || !llvm::isPowerOf2_64(width / 4) ||
        !llvm::isPowerOf2_64(size / width))
      return failure();

    Location loc = reduction.getLoc();
    Type f32 = rewriter.getF32Type();
    auto widthType = VectorType::get({width}, f32);
    Value rowsValue = vector::ShapeCastOp::create(
        rewriter, loc, VectorType::get({numRows, size}, f32),
        reduction.getSource());
    SmallVector<Value> rows;
    for (int64_t row = 0; row < numRows; ++row) {
      Value v = vector::ExtractOp::create(rewriter, loc, rowsValue, row);
      v = foldHalves(rewriter, loc, v, width);
      rows.push_back(v);
    }
    Value zero = arith::ConstantOp::create(rewriter, loc,
                                           rewriter.getZeroAttr(widthType));
    while (rows.size() % 4 != 0)
      rows.push_back(zero);

    // Each group of four rows becomes one vector<4> of their sums.
    int64_t padded = rows.size();
    Value sums = arith::ConstantOp::create(
        rewriter, loc,
        rewriter.getZeroAttr(VectorType::get({padded}, f32)));
    for (int64_t group = 0; group < padded; group += 4) {
      Value ab = addPairs(rewriter, loc, rows[group], rows[group + 1]);
      Value cd = addPairs(rewriter, loc, rows[group + 2], rows[group + 3]);
      Value abcd = foldHalves(rewriter, loc, addPairs(rewriter, loc, ab, cd), 4);
      sums = vector::InsertStridedSliceOp::create(
          rewriter, loc, abcd, sums, ArrayRef<int64_t>{group},
          ArrayRef<int64_t>{1});
    }
    if (padded != numRows)
      sums = vector::ExtractStridedSliceOp::create(
          rewriter, loc, sums, ArrayRef<int64_t>{0},
          ArrayRef<int64_t>{numRows}, ArrayRef<int64_t>{1});
    Value result = vector::ShapeCastOp::create(
        rewriter, loc, cast<VectorType>(reduction.getDestType()), sums);
    rewriter.replaceOpWithNewOp<arith::AddFOp>(reduction, result,
                                               reduction.getAcc());
    return success();
  }

  /// `v` with its upper half added to its lower half until it is `width`
  /// wide.
  static Value foldHalves(PatternRewriter &rewriter, Location loc, Value v,
                          int64_t width) {
    for (int64_t n = cast<VectorType>(v.getType()).getNumElements(); n > width;
         n /= 2) {
      auto half = [&](int64_t offset) -> Value {
        return vector::ExtractStridedSliceOp::create(
            rewriter, loc, v, ArrayRef<int64_t>{offset},
            ArrayRef<int64_t>{n / 2}, ArrayRef<int64_t>{1});
      };
      v = arith::AddFOp::create(rewriter, loc, half(0), half(n / 2));
    }
    return v;
  }

  /// In each 128-bit lane of 4: a0+a1, a2+a3, b0+b1, b2+b3 (vshufps twice
  /// and an add on x86).
  static Value addPairs(PatternRewriter &rewriter, Location loc, Value a,
                        Value b) {
    int64_t n = cast<VectorType>(a.getType()).getNumElements();
    SmallVector<int64_t> even, odd;
    for (int64_t lane = 0; lane < n; lane += 4)
      for (int64_t base : {lane, n + lane}) {
        even.append({base, base + 2});
        odd.append({base + 1, base + 3});
      }
    return arith::AddFOp::create(
        rewriter, loc, vector::ShuffleOp::create(rewriter, loc, a, b, even),
        vector::ShuffleOp::create(rewriter, loc, a, b, odd));
  }

  int64_t nativeLanes;
};
} // namespace

void populateDotReductionToFMAsPattern(RewritePatternSet &patterns,
                                       int64_t lanes) {
  patterns.add<DotReductionToFMAs>(patterns.getContext(), lanes);
}

void populateMultiRowHorizontalSumsPattern(RewritePatternSet &patterns,
                                           int64_t nativeLanes) {
  patterns.add<MultiRowHorizontalSums>(patterns.getContext(), nativeLanes);
}

namespace {
struct AttnLowerRowReductions
    : public impl::AttnLowerRowReductionsBase<AttnLowerRowReductions> {
  using Base::Base;

  void runOnOperation() override {
    if (failed(verifyRegisterTileConfig(
            getOperation(), "attn-lower-row-reductions",
            RegisterTileConfig{/*rows=*/1, lanes, nativeLanes, bf16Dot})))
      return signalPassFailure();
    SmallVector<Operation *> reductions;
    getOperation()->walk([&](vector::MultiDimReductionOp reduction) {
      if (reduction->removeAttr(codegen::kRowReductionAttrName))
        reductions.push_back(reduction);
    });
    // Dot products become FMAs along the row and horizontal sums of four
    // rows at a time: rewritten and lowered here, before the patterns of
    // attn-contract-register-blocks could make them contracts.
    RewritePatternSet patterns(&getContext());
    populateDotReductionToFMAsPattern(patterns, lanes);
    if (bf16Dot)
      populateX86Bf16DotReductionPattern(patterns,
                                         std::min<int64_t>(nativeLanes, 16));
    populateMultiRowHorizontalSumsPattern(patterns, nativeLanes);
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerReduction);
    (void)applyOpPatternsGreedily(
        reductions, std::move(patterns),
        GreedyRewriteConfig().setStrictness(
            GreedyRewriteStrictness::ExistingAndNewOps));
  }
};
} // namespace

} // namespace mlir::attn
