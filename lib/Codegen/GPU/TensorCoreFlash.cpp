//===- TensorCoreFlash.cpp - FlashAttention on mma.sync -------------------===//
//
// One gpu.launch per attention. The grid is (row tiles, KV batch points):
// block (x, y) computes 16 * warps rows of the packed row space of batch
// point y, each warp 16 rows, with f32 online-softmax state in registers.
//
// The packed row space: the query heads that share a KV head (a batch
// dimension along which every key, the value and kv_lengths have a smaller
// extent than the output) are moved from the grid into the rows, then the
// M dimensions (query tokens, grouped heads), the query position last. A
// decode step's 4 (GQA) to 128 (MLA) heads thus fill the 16 rows of an
// mma.sync instead of one row each.
//
// Per key tile (key_tile keys): cp.async copies the tile `stages - 1`
// tiles ahead into its shared-memory stage (16-byte chunks, XOR-swizzled
// by row so that ldmatrix's eight row addresses hit distinct banks); then
// each warp computes S = Q K^T with Q's A fragments held in registers for
// the whole loop and K's B fragments from ldmatrix, scales S by
// scale * log2(e), masks it (kv_lengths, causal, sliding window, the tail
// of the keys), updates the row max and sum (each row is held by a quad
// of lanes: two xor shuffles), rescales O, converts P's accumulator
// fragments into A fragments in registers and adds P V with V's B
// fragments from ldmatrix.trans. Key tiles that no row of the block sees
// are not visited at all; those that every row sees whole take no mask.
//
// Fragment layouts are those of PTX's mma.m16n8k16 (lane = 4 * g + q):
// A (16x16): register i holds row g + 8 * (i % 2), columns 2q, 2q + 1 plus
// 8 * (i / 2); B (16x8): register i holds rows 2q, 2q + 1 plus 8 * i of
// column g; C (16x8): element (i, j) of the vector<2x2xf32> is row
// g + 8 * i, column 2q + j.
//
//===----------------------------------------------------------------------===//

#include "attnc/Codegen/GPU/TensorCoreFlash.h"
#include "attnc/Dialect/Attn/IR/LinalgBuilders.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

namespace {
/// Widths of the per-warp register state: Q's A fragments and O's
/// accumulators for at most 256 elements of a row stay in registers.
constexpr int64_t kMaxRegisterWidth = 256;
/// Wider heads: queries from shared memory, the value split among warps.
constexpr int64_t kMaxContractedWidth = 1024;
constexpr int64_t kMaxValueWidth = 1024;

/// How the kernel sees one attention: its dimensions by role and the
/// packed row space.
struct KernelShape {
  AttentionDims dims;
  /// Batch dimensions, in order, with the extent the grid walks (the KV
  /// extent where heads are packed) and the packed group size (1: none).
  SmallVector<unsigned> batchDims;
  SmallVector<int64_t> blockBatchExtents;
  SmallVector<int64_t> groups;
  /// Row coordinates, outermost first: packed groups, then the M dims.
  SmallVector<int64_t> rowExtents;
  SmallVector<unsigned> mDims;
  int64_t rows = 1;
  /// Extent of the query position (the innermost M dimension), 1 without.
  int64_t queryPositions = 1;
  unsigned keyDim = 0, valueDim = 0;
  int64_t keys = 0, width = 0;
  SmallVector<unsigned> contractionDims;
  SmallVector<int64_t> contractionWidths;
  Type elementType;
  /// Per input (queries, keys, value): the tensor read and the static
  /// offsets at which the operand sits in it. An operand sliced out of a
  /// larger tensor (GTA's keys from its tied vectors) is read in place.
  SmallVector<Value> sources;
  SmallVector<SmallVector<int64_t>> offsets;
  /// Query fragments for more than 256 contracted elements do not fit in
  /// registers: the block's queries are staged in shared memory and each
  /// fragment is read by ldmatrix where it is used.
  bool queriesInShared = false;
  /// The key whose tiles are also the value's (MLA's latent): one copy.
  std::optional<unsigned> valueKey;
  /// Warps among which the value's columns are split.
  int64_t valueSplit = 1;
};

int64_t chooseValueSplit(const KernelShape &shape);

std::string typeName(Type type) {
  std::string name;
  llvm::raw_string_ostream os(name);
  os << type;
  return name;
}

/// The position of `dim` among the results of `map`.
std::optional<unsigned> resultOf(AffineMap map, unsigned dim) {
  for (auto [i, expr] : llvm::enumerate(map.getResults()))
    if (auto d = dyn_cast<AffineDimExpr>(expr); d && d.getPosition() == dim)
      return i;
  return std::nullopt;
}

int64_t chooseValueSplit(const KernelShape &shape) {
  // A lane holds a quarter of its row's Q fragments and half of its part
  // of the value's columns: up to 384 of them (D = 128 attention holds 256)
  // ptxas fits them without spilling. Otherwise, and always where the
  // queries are staged (their fragments' addresses and the wide kernel's
  // loops take registers too: EG-MLA's 256 columns spill), the value is
  // split into the fewest parts of at most 128 columns.
  int64_t contracted = 0;
  for (int64_t w : shape.contractionWidths)
    contracted += w;
  if (shape.width <= 128 ||
      (!shape.queriesInShared && contracted + shape.width <= 384))
    return 1;
  for (int64_t split = 2;; ++split)
    if (shape.width % (16 * split) == 0 && shape.width / split <= 128)
      return split;
}

FailureOr<KernelShape> analyze(AttentionOp op, std::string &reason) {
  auto fail = [&](const Twine &why) -> FailureOr<KernelShape> {
    reason = why.str();
    return failure();
  };
  if (op.getMask())
    return fail("an explicit mask operand (only kv_lengths, causal and "
                "sliding-window masks are applied in the kernel)");
  if (op.getLogSumExpOutput())
    return fail("a log_sum_exp output");
  if (op.hasPositionFrame())
    return fail("a positions frame");
  SmallVector<Value> operands(op.getQueries());
  llvm::append_range(operands, op.getKeys());
  operands.push_back(op.getValue());
  Type elementType =
      cast<RankedTensorType>(op.getValue().getType()).getElementType();
  if (!elementType.isF16() && !elementType.isBF16())
    return fail("inputs of type " + typeName(elementType) +
                " (the tensor cores take f16 and bf16)");
  for (Value v : operands) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getElementType() != elementType)
      return fail("queries, keys and value of different element types");
    if (!type.hasStaticShape())
      return fail("a dynamic shape");
  }
  auto outputType = cast<RankedTensorType>(op.getOutput().getType());
  if (!outputType.hasStaticShape())
    return fail("a dynamic shape");
  SmallVector<Value> sources;
  SmallVector<SmallVector<int64_t>> offsets;
  int64_t elementBytes = elementType.getIntOrFloatBitWidth() / 8;
  for (Value v : operands) {
    auto type = cast<RankedTensorType>(v.getType());
    auto slice = v.getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice) {
      sources.push_back(v);
      offsets.emplace_back(type.getRank(), 0);
      continue;
    }
    // Kernel arguments are dense buffers: a slice is read in place from
    // its source at static offsets, with unit strides, 16-byte aligned
    // rows (cp.async) and no dropped dimension.
    if (slice.getSourceType().getRank() != type.getRank() ||
        !slice.getSourceType().hasStaticShape() ||
        ShapedType::isDynamicShape(slice.getStaticOffsets()) ||
        !llvm::all_of(slice.getStaticStrides(),
                      [](int64_t st) { return st == 1; }) ||
        (slice.getStaticOffsets().back() * elementBytes) % 16 != 0 ||
        (slice.getSourceType().getShape().back() * elementBytes) % 16 != 0)
      return fail("a slice that is not read in place (dynamic or strided "
                  "offsets, a dropped dimension, or rows not 16-byte "
                  "aligned)");
    sources.push_back(slice.getSource());
    offsets.emplace_back(slice.getStaticOffsets());
  }
  Type outElement = outputType.getElementType();
  if (!outElement.isF32() && !outElement.isF16() && !outElement.isBF16())
    return fail("an output of type " + typeName(outElement));
  if (Value kvl = op.getKvLengths())
    if (!cast<RankedTensorType>(kvl.getType()).hasStaticShape())
      return fail("a dynamic shape");
  for (AffineMap map : op.getIndexingMapsArray())
    if (!map.isProjectedPermutation(/*allowZeroInResults=*/false))
      return fail("an indexing map that is not a projected permutation");

  KernelShape shape;
  shape.dims = op.getAttentionDims();
  shape.elementType = elementType;
  shape.sources = std::move(sources);
  shape.offsets = std::move(offsets);
  const AttentionDims &dims = shape.dims;
  SmallVector<unsigned> keyDims = dims.getDimsWithRole(DimRole::K2);
  SmallVector<unsigned> valueDims = dims.getDimsWithRole(DimRole::N);
  if (keyDims.size() != 1 || valueDims.size() != 1)
    return fail("more than one key or value dimension");
  shape.keyDim = keyDims.front();
  shape.valueDim = valueDims.front();
  shape.keys = dims.extents[shape.keyDim];
  shape.width = dims.extents[shape.valueDim];
  if (shape.width % 16 != 0 || shape.width > kMaxValueWidth)
    return fail("a value width of " + Twine(shape.width) +
                " (the kernel takes multiples of 16 up to " +
                Twine(kMaxValueWidth) + ")");
  AffineMap valueMap = op.getValueMap();
  if (resultOf(valueMap, shape.valueDim) != valueMap.getNumResults() - 1)
    return fail("a value whose width is not its innermost dimension");
  int64_t contracted = 0;
  for (auto [i, cdims] : llvm::enumerate(dims.contractionDims)) {
    if (cdims.size() != 1)
      return fail("a contraction over several dimensions");
    unsigned d = cdims.front();
    AffineMap qMap = op.getQueryMap(i), kMap = op.getKeyMap(i);
    if (resultOf(qMap, d) != qMap.getNumResults() - 1 ||
        resultOf(kMap, d) != kMap.getNumResults() - 1)
      return fail("a query or key whose head dimension is not its innermost");
    if (dims.extents[d] % 16 != 0)
      return fail("a head dimension of " + Twine(dims.extents[d]) +
                  " (the kernel takes multiples of 16)");
    shape.contractionDims.push_back(d);
    shape.contractionWidths.push_back(dims.extents[d]);
    contracted += dims.extents[d];
  }
  if (contracted > kMaxContractedWidth)
    return fail("a contracted width of " + Twine(contracted) + " (at most " +
                Twine(kMaxContractedWidth) + ")");
  shape.queriesInShared = contracted > kMaxRegisterWidth;
  // The value is a key's tiles when it is the same tensor read the same
  // way, its width dimension where the key has its head dimension.
  for (auto [i, key] : llvm::enumerate(op.getKeys())) {
    AffineMap keyMap = op.getKeyMap(i);
    if (key != op.getValue() ||
        keyMap.getNumResults() != valueMap.getNumResults())
      continue;
    bool same = true;
    for (auto [k, v] : llvm::zip(keyMap.getResults(), valueMap.getResults())) {
      unsigned kd = cast<AffineDimExpr>(k).getPosition();
      unsigned vd = cast<AffineDimExpr>(v).getPosition();
      same &=
          kd == vd || (kd == shape.contractionDims[i] && vd == shape.valueDim);
    }
    if (same)
      shape.valueKey = i;
  }
  shape.valueSplit = chooseValueSplit(shape);
  if (shape.valueSplit > 8)
    return fail("a value width of " + Twine(shape.width) +
                " that splits into no 8 parts of at most 128 columns, each a "
                "multiple of 16");

  // Heads are packed along a batch dimension where every key, the value
  // and kv_lengths share one smaller extent: the grid walks that extent,
  // the rows the group of query heads reading each of its points.
  SmallVector<std::pair<Value, AffineMap>> shared;
  for (auto [i, k] : llvm::enumerate(op.getKeys()))
    shared.push_back({k, op.getKeyMap(i)});
  shared.push_back({op.getValue(), valueMap});
  if (Value kvl = op.getKvLengths())
    shared.push_back({kvl, op.getKvLengthsMap()});
  int64_t gridPoints = 1;
  SmallVector<int64_t> groupExtents;
  for (unsigned d : dims.getDimsWithRole(DimRole::Batch)) {
    int64_t full = dims.extents[d];
    std::optional<int64_t> common;
    bool same = true;
    for (auto [value, map] : shared) {
      // kv_lengths may leave out a batch dimension (heads): it reads the
      // same length for all of them.
      std::optional<unsigned> pos = resultOf(map, d);
      if (!pos)
        continue;
      int64_t extent = cast<RankedTensorType>(value.getType()).getDimSize(*pos);
      if (common && *common != extent)
        same = false;
      common = extent;
    }
    int64_t kvExtent = same && common ? *common : full;
    shape.batchDims.push_back(d);
    shape.blockBatchExtents.push_back(kvExtent);
    shape.groups.push_back(full / kvExtent);
    if (full / kvExtent > 1)
      groupExtents.push_back(full / kvExtent);
    gridPoints *= kvExtent;
  }
  if (gridPoints > 65535)
    return fail("more than 65535 batch points");
  shape.rowExtents = groupExtents;
  shape.mDims = dims.getDimsWithRole(DimRole::M);
  for (unsigned d : shape.mDims)
    shape.rowExtents.push_back(dims.extents[d]);
  for (int64_t e : shape.rowExtents)
    shape.rows *= e;
  if (dims.queryPosDim)
    shape.queryPositions = dims.extents[*dims.queryPosDim];
  return shape;
}

/// Builds the kernel's body inside a gpu.launch.
class KernelBuilder {
public:
  KernelBuilder(OpBuilder &b, Location loc, AttentionOp op,
                const KernelShape &shape, codegen::GpuFlashConfigAttr config)
      : b(b), loc(loc), op(op), shape(shape), warps(config.getWarps()),
        keyTile(config.getKeyTile()), stages(config.getStages()),
        kvSplits(config.getKvSplits()), valueSplit(config.getValueSplit()) {}

  /// With kv_splits > 1, `outputBuffer` receives each split's normalized
  /// partial output (a last dimension of splits) and `logSumExpBuffer` its
  /// log-sum-exp per row (the output's dimensions but the value's, then
  /// the split).
  void build(gpu::LaunchOp launch, ValueRange queryBuffers,
             ValueRange keyBuffers, Value valueBuffer, Value kvLengthsBuffer,
             Value outputBuffer, Value logSumExpBuffer, ValueRange keyTiles,
             Value valueTiles, ValueRange queryTiles);

private:
  // Index arithmetic.
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }
  Value div(Value x, int64_t y) {
    return y == 1 ? x : arith::DivUIOp::create(b, loc, x, idx(y)).getResult();
  }
  Value rem(Value x, int64_t y) {
    return arith::RemUIOp::create(b, loc, x, idx(y));
  }
  Value minI(Value x, Value y) { return arith::MinSIOp::create(b, loc, x, y); }
  Value maxI(Value x, Value y) { return arith::MaxSIOp::create(b, loc, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, loc, p, x, y);
  }
  Value f32(double v) {
    return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(v));
  }

  /// Coordinates of a linear index over `extents`, outermost first.
  SmallVector<Value> delinearize(Value linear, ArrayRef<int64_t> extents);
  /// Indices into an operand of type `type` read through `map`, for the
  /// dimensions' coordinates given by `coordOf`; batch coordinates are
  /// those of the output, divided where the operand's extent is smaller.
  SmallVector<Value> indicesOf(AffineMap map, ShapedType type,
                               llvm::function_ref<Value(unsigned)> coordOf,
                               bool sharedOperand,
                               ArrayRef<int64_t> offsets = {});
  SmallVector<Value>
  indicesInOperand(AffineMap map, ShapedType type,
                   llvm::function_ref<Value(unsigned)> coordOf,
                   bool sharedOperand);
  /// Coordinate of dimension `d` for row `h` of this thread (0: row g,
  /// 1: row g + 8), or for the key/value dimensions given.
  Value rowCoord(unsigned h, unsigned d, bool clamped);
  /// The same for a row of coordinates `coords` (over rowExtents).
  Value rowCoordOf(ArrayRef<Value> coords, unsigned d);

  Value swizzle(Value chunk, Value row, int64_t chunksPerRow);
  /// Spreads `chunks` 16-byte copies over the block's threads, chunk
  /// `tid + k * threads` in step k; threads past the last chunk skip it.
  /// `copy` builds the copy of a chunk index; the tokens of the copies that
  /// every thread makes are appended to `tokens`.
  void forEachChunk(int64_t chunks, SmallVectorImpl<Value> &tokens,
                    llvm::function_ref<Value(Value)> copy);
  /// Issues the cp.async copies of key tile `tile` into `stage` and
  /// commits them as one group.
  Value issueTile(Value tile, Value stage);
  Value quadReduce(Value v, bool isMax);
  /// c + a b on the tensor cores (m16n8k16, f32 accumulators).
  Value mma(Value a, Value bFragment, Value c);
  /// acc[h] += a b_h for the two B fragments of an ldmatrix.x4 (registers
  /// 2h and 2h + 1): two neighbouring 8-column tiles.
  void mmaTwoTiles(Value a, Value bPair, MutableArrayRef<Value> acc);

  OpBuilder &b;
  Location loc;
  AttentionOp op;
  const KernelShape &shape;
  int64_t warps, keyTile, stages, kvSplits, valueSplit;

  // Per-block values.
  Value tid, lane, laneGroup, laneInQuad;
  SmallVector<Value> blockBatch; // per batch dim of `shape`
  Value rowIndex[2];
  SmallVector<Value> rowCoords[2], clampedRowCoords[2];
  Value queryPos[2];
  Value validLength, alignedLength, tileEnd;
  Value unmaskedBegin, unmaskedEnd;
  SmallVector<Value> keyBuffers, keyTiles;
  Value valueBuffer, valueTiles;
};

SmallVector<Value> KernelBuilder::delinearize(Value linear,
                                              ArrayRef<int64_t> extents) {
  SmallVector<Value> coords(extents.size());
  for (int64_t i = static_cast<int64_t>(extents.size()) - 1; i >= 0; --i) {
    coords[i] = i == 0 ? linear : rem(linear, extents[i]);
    linear = div(linear, extents[i]);
  }
  return coords;
}

SmallVector<Value>
KernelBuilder::indicesOf(AffineMap map, ShapedType type,
                         llvm::function_ref<Value(unsigned)> coordOf,
                         bool sharedOperand, ArrayRef<int64_t> offsets) {
  SmallVector<Value> indices =
      indicesInOperand(map, type, coordOf, sharedOperand);
  for (auto [i, offset] : llvm::enumerate(offsets))
    if (offset != 0)
      indices[i] = add(indices[i], idx(offset));
  return indices;
}

SmallVector<Value>
KernelBuilder::indicesInOperand(AffineMap map, ShapedType type,
                                llvm::function_ref<Value(unsigned)> coordOf,
                                bool sharedOperand) {
  SmallVector<Value> indices;
  for (auto [pos, expr] : llvm::enumerate(map.getResults())) {
    unsigned d = cast<AffineDimExpr>(expr).getPosition();
    int64_t extent = type.getDimSize(pos);
    auto batchPos = llvm::find(shape.batchDims, d);
    if (batchPos == shape.batchDims.end()) {
      indices.push_back(coordOf(d));
      continue;
    }
    unsigned i = batchPos - shape.batchDims.begin();
    // A key or value along a packed dimension: the block's own point.
    if (sharedOperand && extent == shape.blockBatchExtents[i]) {
      indices.push_back(blockBatch[i]);
      continue;
    }
    Value full = coordOf(d);
    indices.push_back(div(full, shape.dims.extents[d] / extent));
  }
  return indices;
}

Value KernelBuilder::rowCoord(unsigned h, unsigned d, bool clamped) {
  return rowCoordOf(clamped ? clampedRowCoords[h] : rowCoords[h], d);
}

Value KernelBuilder::rowCoordOf(ArrayRef<Value> coords, unsigned d) {
  unsigned packed = 0;
  for (auto [i, bd] : llvm::enumerate(shape.batchDims)) {
    if (shape.groups[i] > 1) {
      if (bd == d)
        return add(mul(blockBatch[i], idx(shape.groups[i])), coords[packed]);
      ++packed;
    } else if (bd == d) {
      return blockBatch[i];
    }
  }
  auto m = llvm::find(shape.mDims, d);
  assert(m != shape.mDims.end() && "not a row coordinate");
  return coords[packed + (m - shape.mDims.begin())];
}

Value KernelBuilder::swizzle(Value chunk, Value row, int64_t chunksPerRow) {
  int64_t mask = chunksPerRow % 8 == 0   ? 7
                 : chunksPerRow % 4 == 0 ? 3
                 : chunksPerRow % 2 == 0 ? 1
                                         : 0;
  if (mask == 0)
    return chunk;
  return arith::XOrIOp::create(b, loc, chunk,
                               arith::AndIOp::create(b, loc, row, idx(mask)));
}

void KernelBuilder::forEachChunk(int64_t chunks, SmallVectorImpl<Value> &tokens,
                                 llvm::function_ref<Value(Value)> copy) {
  int64_t threads = 32 * warps;
  for (int64_t k = 0; k * threads < chunks; ++k) {
    Value chunkIndex = add(tid, idx(k * threads));
    if ((k + 1) * threads <= chunks) {
      tokens.push_back(copy(chunkIndex));
      continue;
    }
    auto guard = scf::IfOp::create(
        b, loc, cmp(arith::CmpIPredicate::ult, chunkIndex, idx(chunks)),
        /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(guard.thenBlock());
    copy(chunkIndex);
  }
}

Value KernelBuilder::issueTile(Value tile, Value stage) {
  Value tileStart = mul(tile, idx(keyTile));
  Value inRange = cmp(arith::CmpIPredicate::slt, tile, tileEnd);
  SmallVector<Value> tokens;
  auto copyOperand = [&](Value buffer, unsigned operand, AffineMap map,
                         Value tiles, int64_t width) {
    int64_t chunksPerRow = width / 8;
    int64_t chunks = keyTile * chunksPerRow;
    forEachChunk(chunks, tokens, [&](Value chunkIndex) -> Value {
      Value row = div(chunkIndex, chunksPerRow);
      Value chunk = rem(chunkIndex, chunksPerRow);
      Value key = add(tileStart, row);
      Value valid = arith::AndIOp::create(
          b, loc, inRange, cmp(arith::CmpIPredicate::slt, key, validLength));
      Value clampedKey = minI(key, idx(shape.keys - 1));
      Value col = mul(chunk, idx(8));
      SmallVector<Value> src = indicesOf(
          map, cast<ShapedType>(op->getOperand(operand).getType()),
          [&](unsigned d) -> Value {
            if (d == shape.keyDim)
              return clampedKey;
            if (llvm::is_contained(shape.batchDims, d))
              return rowCoord(0, d, /*clamped=*/true);
            return col; // the head or value dimension
          },
          /*sharedOperand=*/true, shape.offsets[operand]);
      Value dstCol = mul(swizzle(chunk, row, chunksPerRow), idx(8));
      // Keys past the tile range or the valid length are zero-filled: no
      // read, and no NaN of an unwritten cache reaches P V.
      Value srcElements =
          arith::SelectOp::create(b, loc, valid, idx(8), idx(0));
      return nvgpu::DeviceAsyncCopyOp::create(
          b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()), tiles,
          ValueRange{stage, row, dstCol}, buffer, src, b.getIndexAttr(8),
          srcElements, b.getUnitAttr());
    });
  };
  for (auto [i, buffer] : llvm::enumerate(keyBuffers))
    copyOperand(buffer, op.getQueries().size() + i, op.getKeyMap(i),
                keyTiles[i], shape.contractionWidths[i]);
  if (!shape.valueKey)
    copyOperand(valueBuffer, 2 * op.getQueries().size(), op.getValueMap(),
                valueTiles, shape.width);
  return nvgpu::DeviceAsyncCreateGroupOp::create(
      b, loc, nvgpu::DeviceAsyncTokenType::get(b.getContext()), tokens);
}

Value KernelBuilder::mma(Value a, Value bFragment, Value c) {
  // nvvm.mma.sync directly: MLIR 22's nvgpu-to-nvvm lowering deduces no PTX
  // type for bf16 operands, and its f16 results do not meet the vector ops
  // around them in one conversion. The result is a struct of the four f32.
  Type i32 = b.getI32Type(), f32Type = b.getF32Type();
  NVVM::MMATypes ptxType =
      shape.elementType.isF16() ? NVVM::MMATypes::f16 : NVVM::MMATypes::bf16;
  auto registers = [&](Value fragment, int64_t count) {
    SmallVector<Value> regs;
    for (int64_t i = 0; i < count; ++i) {
      Value pair = vector::ExtractOp::create(b, loc, fragment, i);
      // NVVM takes f16 pairs as vector<2xf16>, bf16 pairs as i32.
      if (ptxType == NVVM::MMATypes::f16) {
        regs.push_back(pair);
        continue;
      }
      Value word =
          vector::BitCastOp::create(b, loc, VectorType::get({1}, i32), pair);
      regs.push_back(vector::ExtractOp::create(b, loc, word, 0));
    }
    return regs;
  };
  SmallVector<Value> accumulators;
  for (int64_t i = 0; i < 4; ++i)
    accumulators.push_back(
        vector::ExtractOp::create(b, loc, c, ArrayRef<int64_t>{i / 2, i % 2}));
  auto resultType = LLVM::LLVMStructType::getLiteral(
      b.getContext(), {f32Type, f32Type, f32Type, f32Type});
  Value d = NVVM::MmaOp::create(
      b, loc, resultType, registers(a, 4), registers(bFragment, 2),
      accumulators, ArrayRef<int64_t>{16, 8, 16}, std::nullopt, std::nullopt,
      std::array<NVVM::MMATypes, 2>{ptxType, ptxType},
      std::array<NVVM::MMALayout, 2>{NVVM::MMALayout::row,
                                     NVVM::MMALayout::col});
  SmallVector<Value> elements;
  for (int64_t i = 0; i < 4; ++i)
    elements.push_back(LLVM::ExtractValueOp::create(b, loc, d, i));
  return vector::FromElementsOp::create(b, loc, c.getType(), elements);
}

void KernelBuilder::mmaTwoTiles(Value a, Value bPair,
                                MutableArrayRef<Value> acc) {
  for (int64_t half = 0; half < 2; ++half) {
    Value bFragment = vector::ExtractStridedSliceOp::create(
        b, loc, bPair, ArrayRef<int64_t>{2 * half, 0}, ArrayRef<int64_t>{2, 2},
        ArrayRef<int64_t>{1, 1});
    acc[half] = mma(a, bFragment, acc[half]);
  }
}

Value KernelBuilder::quadReduce(Value v, bool isMax) {
  for (int32_t offset : {1, 2}) {
    Value other =
        gpu::ShuffleOp::create(b, loc, v, offset, 32, gpu::ShuffleMode::XOR)
            .getShuffleResult();
    v = isMax ? arith::MaximumFOp::create(b, loc, v, other).getResult()
              : arith::AddFOp::create(b, loc, v, other).getResult();
  }
  return v;
}

void KernelBuilder::build(gpu::LaunchOp launch, ValueRange queryBuffers,
                          ValueRange keyBufferValues, Value valueBufferValue,
                          Value kvLengthsBuffer, Value outputBuffer,
                          Value logSumExpBuffer, ValueRange keyTileValues,
                          Value valueTileValue, ValueRange queryTiles) {
  keyBuffers.assign(keyBufferValues.begin(), keyBufferValues.end());
  keyTiles.assign(keyTileValues.begin(), keyTileValues.end());
  valueBuffer = valueBufferValue;
  valueTiles = valueTileValue;
  MLIRContext *ctx = b.getContext();
  Type et = shape.elementType;
  Type f32Type = b.getF32Type();
  auto aType = VectorType::get({4, 2}, et);
  auto cType = VectorType::get({2, 2}, f32Type);
  const AttentionDims &dims = shape.dims;
  int64_t rowsPerBlock = 16 * warps / valueSplit;
  // Warp w owns rows 16 * (w / value_split) on and the value's part
  // w % value_split.
  int64_t partWidth = shape.width / valueSplit;

  tid = launch.getThreadIds().x;
  Value warp = div(tid, 32);
  Value rowGroup = div(warp, valueSplit);
  Value valuePart = rem(warp, valueSplit);
  lane = rem(tid, 32);
  laneGroup = div(lane, 4);
  laneInQuad = rem(lane, 4);
  blockBatch = delinearize(launch.getBlockIds().y, shape.blockBatchExtents);
  Value blockRow = mul(launch.getBlockIds().x, idx(rowsPerBlock));
  rowIndex[0] = add(add(blockRow, mul(rowGroup, idx(16))), laneGroup);
  rowIndex[1] = add(rowIndex[0], idx(8));
  for (unsigned h = 0; h < 2; ++h) {
    rowCoords[h] = delinearize(rowIndex[h], shape.rowExtents);
    clampedRowCoords[h] =
        delinearize(minI(rowIndex[h], idx(shape.rows - 1)), shape.rowExtents);
    queryPos[h] = dims.queryPosDim
                      ? rowCoord(h, *dims.queryPosDim, /*clamped=*/true)
                      : idx(0);
  }

  // The valid key length of this batch point.
  validLength = idx(shape.keys);
  alignedLength = validLength;
  if (kvLengthsBuffer) {
    SmallVector<Value> at = indicesOf(
        op.getKvLengthsMap(), cast<ShapedType>(kvLengthsBuffer.getType()),
        [&](unsigned d) { return rowCoord(0, d, /*clamped=*/true); },
        /*sharedOperand=*/true);
    Value length = memref::LoadOp::create(b, loc, kvLengthsBuffer, at);
    length = maxI(arith::IndexCastOp::create(b, loc, b.getIndexType(), length),
                  idx(0));
    // Masks align queries to the given length; keys past the tensor's end
    // are not read.
    alignedLength = length;
    validLength = minI(length, validLength);
  }

  // The keys any row of this block sees: [tileBegin, tileEnd) in tiles.
  MaskKind maskKind = op.getMaskKind();
  bool positional = maskKind != MaskKind::None;
  Value keyBegin = idx(0), keyEnd = validLength;
  // The keys every row of the block sees: tiles inside them need no mask.
  unmaskedBegin = idx(0);
  unmaskedEnd = validLength;
  if (positional) {
    int64_t s = shape.queryPositions;
    Value first = blockRow;
    Value last =
        minI(add(blockRow, idx(rowsPerBlock - 1)), idx(shape.rows - 1));
    Value wraps = cmp(arith::CmpIPredicate::ne, div(first, s), div(last, s));
    Value lowest =
        arith::SelectOp::create(b, loc, wraps, idx(0), rem(first, s));
    Value highest =
        arith::SelectOp::create(b, loc, wraps, idx(s - 1), rem(last, s));
    Value offset = sub(alignedLength, idx(s));
    keyEnd = minI(maxI(add(add(highest, offset), idx(1)), idx(0)), validLength);
    unmaskedEnd = minI(add(add(lowest, offset), idx(1)), validLength);
    if (maskKind == MaskKind::SlidingWindow) {
      int64_t window = *op.getWindow();
      keyBegin =
          minI(maxI(add(sub(lowest, idx(window - 1)), offset), idx(0)), keyEnd);
      unmaskedBegin = add(sub(highest, idx(window - 1)), offset);
    }
  }
  Value tileBegin = div(keyBegin, keyTile);
  tileEnd = div(add(keyEnd, idx(keyTile - 1)), keyTile);
  // Split z of kv_splits takes its share of the block's tiles.
  Value split = launch.getBlockIds().z;
  if (kvSplits > 1) {
    Value share =
        div(add(sub(tileEnd, tileBegin), idx(kvSplits - 1)), kvSplits);
    tileBegin = minI(add(tileBegin, mul(split, share)), tileEnd);
    tileEnd = minI(add(tileBegin, share), tileEnd);
  }
  bool maskKeys = positional || kvLengthsBuffer || shape.keys % keyTile != 0;

  // Q's A fragments, for the whole key loop; or the block's queries in
  // shared memory, copied once.
  SmallVector<SmallVector<Value>> queryFragments;
  if (shape.queriesInShared) {
    SmallVector<Value> tokens;
    for (unsigned i = 0; i < queryBuffers.size(); ++i) {
      int64_t chunksPerRow = shape.contractionWidths[i] / 8;
      int64_t chunks = rowsPerBlock * chunksPerRow;
      forEachChunk(chunks, tokens, [&](Value chunkIndex) -> Value {
        Value row = div(chunkIndex, chunksPerRow);
        Value chunk = rem(chunkIndex, chunksPerRow);
        SmallVector<Value> coords = delinearize(
            minI(add(blockRow, row), idx(shape.rows - 1)), shape.rowExtents);
        Value col = mul(chunk, idx(8));
        SmallVector<Value> src = indicesOf(
            op.getQueryMap(i), cast<ShapedType>(op.getQueries()[i].getType()),
            [&](unsigned d) -> Value {
              if (d == shape.contractionDims[i])
                return col;
              return rowCoordOf(coords, d);
            },
            /*sharedOperand=*/false, shape.offsets[i]);
        Value dstCol = mul(swizzle(chunk, row, chunksPerRow), idx(8));
        return nvgpu::DeviceAsyncCopyOp::create(
            b, loc, nvgpu::DeviceAsyncTokenType::get(ctx), queryTiles[i],
            ValueRange{row, dstCol}, queryBuffers[i], src, b.getIndexAttr(8),
            /*srcElements=*/Value(), b.getUnitAttr());
      });
    }
    Value group = nvgpu::DeviceAsyncCreateGroupOp::create(
        b, loc, nvgpu::DeviceAsyncTokenType::get(ctx), tokens);
    nvgpu::DeviceAsyncWaitOp::create(b, loc, group, b.getI32IntegerAttr(0));
    gpu::BarrierOp::create(b, loc);
  }
  for (unsigned i = 0; !shape.queriesInShared && i < queryBuffers.size(); ++i) {
    Value buffer = queryBuffers[i];
    SmallVector<Value> &fragments = queryFragments.emplace_back();
    for (int64_t chunk = 0; chunk < shape.contractionWidths[i] / 16; ++chunk) {
      Value fragment = arith::ConstantOp::create(b, loc, b.getZeroAttr(aType));
      for (int64_t reg = 0; reg < 4; ++reg) {
        Value col =
            add(mul(laneInQuad, idx(2)), idx(16 * chunk + 8 * (reg / 2)));
        SmallVector<Value> at = indicesOf(
            op.getQueryMap(i), cast<ShapedType>(op.getQueries()[i].getType()),
            [&](unsigned d) -> Value {
              if (d == shape.contractionDims[i])
                return col;
              return rowCoord(reg % 2, d, /*clamped=*/true);
            },
            /*sharedOperand=*/false, shape.offsets[i]);
        Value pair = vector::LoadOp::create(b, loc, VectorType::get({2}, et),
                                            buffer, at);
        fragment = vector::InsertOp::create(b, loc, pair, fragment, reg);
      }
      fragments.push_back(fragment);
    }
  }

  // The pipeline's prologue: tiles tileBegin .. tileBegin + stages - 2.
  for (int64_t s = 0; s + 1 < stages; ++s)
    issueTile(add(tileBegin, idx(s)), idx(s));

  double scoreScale = op.getScaleValue() * M_LOG2E;
  Value negInf = f32(-INFINITY), zero = f32(0.0);
  SmallVector<Value> inits = {negInf, negInf, zero, zero};
  int64_t valueTilesN = partWidth / 8;
  for (int64_t n = 0; n < valueTilesN; ++n)
    inits.push_back(arith::ConstantOp::create(b, loc, b.getZeroAttr(cType)));
  auto loop = scf::ForOp::create(b, loc, tileBegin, tileEnd, idx(1), inits);
  {
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(loop.getBody());
    Value tile = loop.getInductionVar();
    ValueRange carried = loop.getRegionIterArgs();
    Value rel = sub(tile, tileBegin);
    Value group = issueTile(add(tile, idx(stages - 1)),
                            rem(add(rel, idx(stages - 1)), stages));
    nvgpu::DeviceAsyncWaitOp::create(b, loc, group,
                                     b.getI32IntegerAttr(stages - 1));
    gpu::BarrierOp::create(b, loc);
    Value stage = rem(rel, stages);
    Value tileStart = mul(tile, idx(keyTile));

    // S = Q K^T.
    int64_t scoreTilesN = keyTile / 8;
    SmallVector<Value> scores(
        scoreTilesN, arith::ConstantOp::create(b, loc, b.getZeroAttr(cType)));
    // A fragment of query chunk `chunk` of contraction i: from registers,
    // or by ldmatrix from shared memory (lanes 0-7, 8-15, 16-23, 24-31
    // address rows +0 and +8 of dims +0, then rows +0 and +8 of dims +8:
    // registers a0..a3).
    auto queryFragment = [&](unsigned i, int64_t chunk) -> Value {
      if (!shape.queriesInShared)
        return queryFragments[i][chunk];
      Value row = add(add(mul(rem(div(lane, 8), 2), idx(8)), rem(lane, 8)),
                      mul(rowGroup, idx(16)));
      Value c = add(div(lane, 16), idx(2 * chunk));
      Value col = mul(swizzle(c, row, shape.contractionWidths[i] / 8), idx(8));
      return nvgpu::LdMatrixOp::create(b, loc, aType, queryTiles[i],
                                       ValueRange{row, col},
                                       /*transpose=*/false, /*numTiles=*/4);
    };
    for (auto [i, tiles] : llvm::enumerate(keyTiles)) {
      int64_t chunksPerRow = shape.contractionWidths[i] / 8;
      for (int64_t chunk = 0; chunk < shape.contractionWidths[i] / 16;
           ++chunk) {
        for (int64_t pair = 0; pair < keyTile / 16; ++pair) {
          // Lanes 0-7, 8-15, 16-23, 24-31 address the rows of matrices
          // (keys +0, dims +0), (keys +0, dims +8), (keys +8, dims +0),
          // (keys +8, dims +8): the B fragments of score tiles 2p, 2p+1.
          Value row = add(add(mul(div(lane, 16), idx(8)), rem(lane, 8)),
                          idx(pair * 16));
          Value c = add(rem(div(lane, 8), 2), idx(2 * chunk));
          Value col = mul(swizzle(c, row, chunksPerRow), idx(8));
          Value fragment = nvgpu::LdMatrixOp::create(
              b, loc, aType, tiles, ValueRange{stage, row, col},
              /*transpose=*/false, /*numTiles=*/4);
          mmaTwoTiles(queryFragment(i, chunk), fragment,
                      MutableArrayRef<Value>(scores).slice(2 * pair, 2));
        }
      }
    }

    // Scaled scores; element e of tile n is row e / 2, key 8n + 2q + e % 2.
    SmallVector<std::array<Value, 4>> p(scoreTilesN);
    Value c = f32(scoreScale);
    for (int64_t n = 0; n < scoreTilesN; ++n)
      for (int64_t e = 0; e < 4; ++e)
        p[n][e] = arith::MulFOp::create(
            b, loc,
            vector::ExtractOp::create(b, loc, scores[n],
                                      ArrayRef<int64_t>{e / 2, e % 2}),
            c);
    // Masked only in a tile that some row does not see whole (the block's
    // edge tiles): the same branch for the whole block.
    if (maskKeys) {
      Value edge = arith::OrIOp::create(
          b, loc, cmp(arith::CmpIPredicate::slt, tileStart, unmaskedBegin),
          cmp(arith::CmpIPredicate::sgt, add(tileStart, idx(keyTile)),
              unmaskedEnd));
      SmallVector<Type> types(4 * scoreTilesN, f32Type);
      auto masked = scf::IfOp::create(b, loc, types, edge,
                                      /*withElseRegion=*/true);
      SmallVector<Value> flat;
      for (auto &tile : p)
        flat.append(tile.begin(), tile.end());
      {
        OpBuilder::InsertionGuard g(b);
        b.setInsertionPointToStart(masked.elseBlock());
        scf::YieldOp::create(b, loc, flat);
        b.setInsertionPointToStart(masked.thenBlock());
        Value offset = sub(alignedLength, idx(shape.queryPositions));
        SmallVector<Value> maskedValues;
        for (int64_t n = 0; n < scoreTilesN; ++n) {
          for (int64_t e = 0; e < 4; ++e) {
            Value key = add(add(tileStart, mul(laneInQuad, idx(2))),
                            idx(8 * n + e % 2));
            Value visible = cmp(arith::CmpIPredicate::slt, key, validLength);
            Value lastVisible = add(queryPos[e / 2], offset);
            if (positional)
              visible = arith::AndIOp::create(
                  b, loc, visible,
                  cmp(arith::CmpIPredicate::sle, key, lastVisible));
            if (maskKind == MaskKind::SlidingWindow)
              visible = arith::AndIOp::create(
                  b, loc, visible,
                  cmp(arith::CmpIPredicate::sgt,
                      add(key, idx(*op.getWindow())), lastVisible));
            maskedValues.push_back(
                arith::SelectOp::create(b, loc, visible, p[n][e], negInf));
          }
        }
        scf::YieldOp::create(b, loc, maskedValues);
      }
      for (int64_t n = 0; n < scoreTilesN; ++n)
        for (int64_t e = 0; e < 4; ++e)
          p[n][e] = masked.getResult(4 * n + e);
    }
    Value rowMax[2] = {negInf, negInf};
    for (int64_t n = 0; n < scoreTilesN; ++n)
      for (int64_t e = 0; e < 4; ++e)
        rowMax[e / 2] =
            arith::MaximumFOp::create(b, loc, rowMax[e / 2], p[n][e]);

    // Online softmax: each row's max and sum over its quad of lanes.
    SmallVector<Value> yields;
    Value alpha[2], rowMaxNew[2], base[2];
    for (unsigned h = 0; h < 2; ++h) {
      rowMaxNew[h] = arith::MaximumFOp::create(b, loc, carried[h],
                                               quadReduce(rowMax[h], true));
      // A row with no visible key so far keeps max -inf: exponents are
      // taken against 0 so that its probabilities are 0, not NaN.
      Value none = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                         rowMaxNew[h], negInf);
      base[h] = arith::SelectOp::create(b, loc, none, zero, rowMaxNew[h]);
      alpha[h] = math::Exp2Op::create(
          b, loc, arith::SubFOp::create(b, loc, carried[h], base[h]));
    }
    Value rowSum[2] = {zero, zero};
    for (int64_t n = 0; n < scoreTilesN; ++n)
      for (int64_t e = 0; e < 4; ++e) {
        p[n][e] = math::Exp2Op::create(
            b, loc, arith::SubFOp::create(b, loc, p[n][e], base[e / 2]));
        rowSum[e / 2] = arith::AddFOp::create(b, loc, rowSum[e / 2], p[n][e]);
      }
    yields.push_back(rowMaxNew[0]);
    yields.push_back(rowMaxNew[1]);
    for (unsigned h = 0; h < 2; ++h)
      yields.push_back(arith::AddFOp::create(
          b, loc, arith::MulFOp::create(b, loc, carried[2 + h], alpha[h]),
          rowSum[h]));

    // O = O * alpha + P V.
    Value rescale = vector::FromElementsOp::create(
        b, loc, cType, ValueRange{alpha[0], alpha[0], alpha[1], alpha[1]});
    SmallVector<Value> out;
    for (int64_t n = 0; n < valueTilesN; ++n)
      out.push_back(arith::MulFOp::create(b, loc, carried[4 + n], rescale));
    // The value's tiles: its own, or the key's it shares (whose rows are
    // swizzled by the key's width).
    int64_t chunksPerRow =
        (shape.valueKey ? shape.contractionWidths[*shape.valueKey]
                        : shape.width) /
        8;
    Value partChunk = mul(valuePart, idx(partWidth / 8));
    for (int64_t kk = 0; kk < keyTile / 16; ++kk) {
      // P's accumulator fragments of score tiles 2kk, 2kk+1 are the A
      // fragment of keys 16kk .. 16kk+15, register by register.
      SmallVector<Value> elements;
      for (int64_t n = 2 * kk; n < 2 * kk + 2; ++n)
        for (int64_t e = 0; e < 4; ++e)
          elements.push_back(arith::TruncFOp::create(b, loc, et, p[n][e]));
      Value pFragment = vector::FromElementsOp::create(b, loc, aType, elements);
      for (int64_t pair = 0; pair < partWidth / 16; ++pair) {
        // Lanes 0-7, 8-15, 16-23, 24-31 address the rows of matrices
        // (keys +0, dims +0), (keys +8, dims +0), (keys +0, dims +8),
        // (keys +8, dims +8), read transposed: the B fragments of output
        // tiles 2p, 2p+1.
        Value row = add(add(mul(rem(div(lane, 8), 2), idx(8)), rem(lane, 8)),
                        idx(kk * 16));
        Value chunk = add(add(div(lane, 16), idx(2 * pair)), partChunk);
        Value col = mul(swizzle(chunk, row, chunksPerRow), idx(8));
        Value fragment = nvgpu::LdMatrixOp::create(
            b, loc, aType, valueTiles, ValueRange{stage, row, col},
            /*transpose=*/true, /*numTiles=*/4);
        mmaTwoTiles(pFragment, fragment,
                    MutableArrayRef<Value>(out).slice(2 * pair, 2));
      }
    }
    llvm::append_range(yields, out);
    // The stage just read is the next one refilled.
    gpu::BarrierOp::create(b, loc);
    scf::YieldOp::create(b, loc, yields);
  }
  // Copies still in flight (zero fills past the range) end before exit.
  Value last = nvgpu::DeviceAsyncCreateGroupOp::create(
      b, loc, nvgpu::DeviceAsyncTokenType::get(ctx), ValueRange{});
  nvgpu::DeviceAsyncWaitOp::create(b, loc, last, b.getI32IntegerAttr(0));

  // O / l, 0 for a row without visible keys; rows past the end are padding.
  // Splits also write log-sum-exp = (m + log2 l) ln 2 (-inf without keys)
  // from the first lane of each quad.
  ValueRange results = loop.getResults();
  auto outputType = cast<MemRefType>(outputBuffer.getType());
  Type outElement = outputType.getElementType();
  AffineMap outputMap = op.getOutputMap();
  for (unsigned h = 0; h < 2; ++h) {
    Value sum = quadReduce(results[2 + h], /*isMax=*/false);
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, sum, zero);
    Value inverse = arith::SelectOp::create(
        b, loc, positive, arith::DivFOp::create(b, loc, f32(1.0), sum), zero);
    auto inside = scf::IfOp::create(
        b, loc, cmp(arith::CmpIPredicate::ult, rowIndex[h], idx(shape.rows)),
        /*withElseRegion=*/false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(inside.thenBlock());
    auto outputIndices = [&](Value col) {
      SmallVector<Value> at = indicesOf(
          outputMap, outputType,
          [&](unsigned d) -> Value {
            if (d == shape.valueDim)
              return col;
            return rowCoord(h, d, /*clamped=*/false);
          },
          /*sharedOperand=*/false);
      if (logSumExpBuffer)
        at.push_back(split);
      return at;
    };
    for (int64_t n = 0; n < valueTilesN; ++n)
      for (int64_t j = 0; j < 2; ++j) {
        Value v = vector::ExtractOp::create(b, loc, results[4 + n],
                                            ArrayRef<int64_t>{h, j});
        v = arith::MulFOp::create(b, loc, v, inverse);
        if (outElement != f32Type)
          v = arith::TruncFOp::create(b, loc, outElement, v);
        Value col = add(add(mul(laneInQuad, idx(2)), idx(8 * n + j)),
                        mul(valuePart, idx(partWidth)));
        memref::StoreOp::create(b, loc, v, outputBuffer, outputIndices(col));
      }
    if (!logSumExpBuffer)
      continue;
    auto firstLane = scf::IfOp::create(
        b, loc,
        arith::AndIOp::create(b, loc,
                              cmp(arith::CmpIPredicate::eq, laneInQuad, idx(0)),
                              cmp(arith::CmpIPredicate::eq, valuePart, idx(0))),
        /*withElseRegion=*/false);
    b.setInsertionPointToStart(firstLane.thenBlock());
    Value log2Sum = math::Log2Op::create(b, loc, sum);
    Value lse = arith::MulFOp::create(
        b, loc, arith::AddFOp::create(b, loc, results[h], log2Sum), f32(M_LN2));
    lse = arith::SelectOp::create(b, loc, positive, lse, negInf);
    SmallVector<Value> at = outputIndices(idx(0));
    at.erase(at.begin() + *resultOf(outputMap, shape.valueDim));
    memref::StoreOp::create(b, loc, lse, logSumExpBuffer, at);
  }
}

/// The buffer the kernel reads `type` from: dense, as kernel arguments in
/// the bare-pointer convention must be (static shapes and strides). A view
/// with other strides is copied into one by bufferization.
MemRefType denseBufferType(RankedTensorType type) {
  return MemRefType::get(type.getShape(), type.getElementType());
}
} // namespace

LogicalResult mlir::attn::checkTensorCoreFlash(AttentionOp op,
                                               std::string &reason) {
  return success(succeeded(analyze(op, reason)));
}

namespace {
/// The shared-memory buffers of the kernel: `stages` tiles of key_tile
/// rows per key and the value (unless it shares a key's), then the block's
/// queries where they are staged; byte offsets 16-byte aligned.
struct SharedLayout {
  SmallVector<SmallVector<int64_t>> shapes;
  SmallVector<int64_t> offsets;
  int64_t bytes = 0;
};

SharedLayout getSharedLayout(const KernelShape &shape, int64_t keyTile,
                             int64_t stages, int64_t rowsPerBlock) {
  SharedLayout layout;
  int64_t elementBytes = shape.elementType.getIntOrFloatBitWidth() / 8;
  auto add = [&](SmallVector<int64_t> dims) {
    int64_t n = elementBytes;
    for (int64_t d : dims)
      n *= d;
    layout.shapes.push_back(std::move(dims));
    layout.offsets.push_back(layout.bytes);
    layout.bytes += llvm::alignTo(n, 16);
  };
  for (int64_t w : shape.contractionWidths)
    add({stages, keyTile, w});
  if (!shape.valueKey)
    add({stages, keyTile, shape.width});
  if (shape.queriesInShared)
    for (int64_t w : shape.contractionWidths)
      add({rowsPerBlock, w});
  return layout;
}
} // namespace

int64_t mlir::attn::getTensorCoreFlashSharedMemory(AttentionOp op,
                                                   int64_t keyTile,
                                                   int64_t stages,
                                                   int64_t rowsPerBlock) {
  std::string reason;
  FailureOr<KernelShape> shape = analyze(op, reason);
  if (failed(shape))
    return 0;
  return getSharedLayout(*shape, keyTile, stages, rowsPerBlock).bytes;
}

int64_t mlir::attn::getTensorCoreFlashValueSplit(AttentionOp op) {
  std::string reason;
  FailureOr<KernelShape> shape = analyze(op, reason);
  return failed(shape) ? 1 : shape->valueSplit;
}

bool mlir::attn::tensorCoreFlashStagesQueries(AttentionOp op) {
  std::string reason;
  FailureOr<KernelShape> shape = analyze(op, reason);
  return succeeded(shape) && shape->queriesInShared;
}

int64_t mlir::attn::getTensorCoreFlashBlocks(AttentionOp op,
                                             int64_t rowsPerBlock) {
  std::string reason;
  FailureOr<KernelShape> shape = analyze(op, reason);
  if (failed(shape))
    return 0;
  int64_t blocks = llvm::divideCeil(shape->rows, rowsPerBlock);
  for (int64_t e : shape->blockBatchExtents)
    blocks *= e;
  return blocks;
}

int64_t mlir::attn::getTensorCoreFlashRows(AttentionOp op) {
  std::string reason;
  FailureOr<KernelShape> shape = analyze(op, reason);
  return failed(shape) ? 0 : shape->rows;
}

LogicalResult
mlir::attn::buildTensorCoreFlashKernel(RewriterBase &rewriter, AttentionOp op,
                                       codegen::GpuFlashConfigAttr config) {
  std::string reason;
  FailureOr<KernelShape> shape = analyze(op, reason);
  if (failed(shape))
    return op.emitOpError("cannot take the tensor-core kernel: ") << reason;
  Location loc = op.getLoc();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  MLIRContext *ctx = rewriter.getContext();

  auto toBuffer = [&](Value tensor) -> Value {
    auto type = cast<RankedTensorType>(tensor.getType());
    return bufferization::ToBufferOp::create(
        rewriter, loc, denseBufferType(type), tensor, /*readOnly=*/true);
  };
  // The inputs' buffers: of the tensors they are read from (a slice's
  // source).
  unsigned numQueries = op.getQueries().size();
  SmallVector<Value> queries, keys;
  for (unsigned i = 0; i < numQueries; ++i) {
    queries.push_back(toBuffer(shape->sources[i]));
    keys.push_back(toBuffer(shape->sources[numQueries + i]));
  }
  Value value = toBuffer(shape->sources.back());
  Value kvLengths;
  if (Value kvl = op.getKvLengths()) {
    auto type = cast<RankedTensorType>(kvl.getType());
    kvLengths = bufferization::ToBufferOp::create(
        rewriter, loc, MemRefType::get(type.getShape(), type.getElementType()),
        kvl, /*readOnly=*/true);
  }
  auto outputType = cast<RankedTensorType>(op.getOutput().getType());
  // With splits, each writes its partial output and log-sum-exp in f32,
  // along a last dimension of splits.
  int64_t splits = config.getKvSplits();
  unsigned valuePos = *resultOf(op.getOutputMap(), shape->valueDim);
  SmallVector<int64_t> partialShape(outputType.getShape());
  partialShape.push_back(splits);
  SmallVector<int64_t> lseShape(partialShape);
  lseShape.erase(lseShape.begin() + valuePos);
  Type f32Type = rewriter.getF32Type();
  Value output = memref::AllocOp::create(
      rewriter, loc,
      splits > 1 ? MemRefType::get(partialShape, f32Type)
                 : MemRefType::get(outputType.getShape(),
                                   outputType.getElementType()));
  Value logSumExp;
  if (splits > 1)
    logSumExp = memref::AllocOp::create(rewriter, loc,
                                        MemRefType::get(lseShape, f32Type));

  // Shared memory, carved out of the launch's dynamic shared memory
  // (16-byte aligned, as cp.async and ldmatrix need).
  auto workgroup =
      gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  int64_t rowsPerBlock = 16 * config.getWarps() / config.getValueSplit();
  SharedLayout layout = getSharedLayout(*shape, config.getKeyTile(),
                                        config.getStages(), rowsPerBlock);
  // A configuration set by hand is checked against what the kernel can do.
  if (shape->width % (16 * config.getValueSplit()) != 0)
    return op.emitOpError("value_split = ")
           << config.getValueSplit() << " does not split the value's "
           << shape->width << " columns into multiples of 16";
  if (layout.bytes > kGpuWideSharedMemoryBytes)
    return op.emitOpError("the tensor-core kernel's configuration needs ")
           << layout.bytes << " bytes of shared memory, more than "
           << kGpuWideSharedMemoryBytes;

  int64_t rowTiles = llvm::divideCeil(shape->rows, rowsPerBlock);
  int64_t points = 1;
  for (int64_t e : shape->blockBatchExtents)
    points *= e;
  auto cst = [&](int64_t v) -> Value {
    return arith::ConstantIndexOp::create(rewriter, loc, v);
  };
  Value one = cst(1);
  Value sharedSize = arith::ConstantIntOp::create(
      rewriter, loc, rewriter.getI32Type(), layout.bytes);
  auto launch = gpu::LaunchOp::create(rewriter, loc, cst(rowTiles), cst(points),
                                      cst(splits), cst(32 * config.getWarps()),
                                      one, one, sharedSize);
  {
    OpBuilder::InsertionGuard g(rewriter);
    Block &body = launch.getBody().front();
    rewriter.setInsertionPointToStart(&body);
    Value shared = gpu::DynamicSharedMemoryOp::create(
        rewriter, loc,
        MemRefType::get({ShapedType::kDynamic}, rewriter.getI8Type(),
                        MemRefLayoutAttrInterface(), workgroup));
    SmallVector<Value> tiles;
    for (auto [dims, offset] : llvm::zip(layout.shapes, layout.offsets))
      tiles.push_back(memref::ViewOp::create(
          rewriter, loc,
          MemRefType::get(dims, shape->elementType, MemRefLayoutAttrInterface(),
                          workgroup),
          shared, cst(offset), ValueRange{}));
    ArrayRef<Value> all(tiles);
    unsigned numKeys = shape->contractionWidths.size();
    ArrayRef<Value> keyTiles = all.take_front(numKeys);
    Value valueTiles =
        shape->valueKey ? keyTiles[*shape->valueKey] : all[numKeys];
    ArrayRef<Value> queryTiles =
        all.drop_front(numKeys + (shape->valueKey ? 0 : 1));
    KernelBuilder kernel(rewriter, loc, op, *shape, config);
    kernel.build(launch, queries, keys, value, kvLengths, output, logSumExp,
                 keyTiles, valueTiles, queryTiles);
    gpu::TerminatorOp::create(rewriter, loc);
  }
  if (splits == 1) {
    Value result = bufferization::ToTensorOp::create(rewriter, loc, outputType,
                                                     output, /*restrict=*/true,
                                                     /*writable=*/true);
    rewriter.replaceOp(op, result);
    return success();
  }

  // The splits' log-sum-exp merge, on tensors (the portable path's kernels):
  // M = max_s lse_s, o = sum_s exp(lse_s - M) o_s / sum_s exp(lse_s - M).
  Value partials = bufferization::ToTensorOp::create(
      rewriter, loc, RankedTensorType::get(partialShape, f32Type), output,
      /*restrict=*/true, /*writable=*/true);
  Value lses = bufferization::ToTensorOp::create(
      rewriter, loc, RankedTensorType::get(lseShape, f32Type), logSumExp,
      /*restrict=*/true, /*writable=*/true);
  unsigned rank = outputType.getRank();
  AffineMap space = AffineMap::getMultiDimIdentityMap(rank + 1, ctx);
  AffineMap lseMap = space.dropResult(valuePos);
  AffineMap outOfSplit = space.getMajorSubMap(rank);
  MappedTensor lse{lses, lseMap};
  Value max = buildSplitMax(rewriter, loc, outputType.getShape(), lse);
  SmallVector<Value> sums = buildWeightedSplitSums(
      rewriter, loc, outputType.getShape(), lse, {max, outOfSplit},
      {std::nullopt, MappedTensor{partials, space}});
  AffineMap id = AffineMap::getMultiDimIdentityMap(rank, ctx);
  Type outElement = outputType.getElementType();
  auto normalize = linalg::GenericOp::create(
      rewriter, loc, TypeRange{outputType}, ValueRange{sums[1], sums[0]},
      ValueRange{op.getOutput()}, ArrayRef<AffineMap>{id, id, id},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        linalg::YieldOp::create(
            nb, nl, buildNormalizedRow(nb, nl, args[0], args[1], outElement));
      });
  rewriter.replaceOp(op, normalize.getResult(0));
  return success();
}
