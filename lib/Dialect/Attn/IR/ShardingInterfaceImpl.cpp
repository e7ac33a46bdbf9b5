//===- ShardingInterfaceImpl.cpp - attn ops on a device grid --------------===//
//
// The attn ops are not linalg structured ops (a softmax sits between their
// two contractions, and the model-level ops' operands are not indexed by one
// loop nest), so upstream's map-driven defaults do not apply. Each op lists
// its sharding loops instead: for each, the dimension of every operand and
// result it cuts. The interface methods are written once over that list.
//
// Tensor ops that model IR puts around attention have no ShardingInterface
// in MLIR 22; they get one here on the same list: tensor.expand_shape and
// tensor.collapse_shape (heads split out of a projection's columns and
// merged back) a loop per reassociation group; tensor.concat (a cache and
// the new token's keys, RoPE's rotated halves) every dimension but the one
// it concatenates; tensor.extract_slice every dimension it takes whole.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/IR/ShardingInterfaceImpl.h"

#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "attnc/Dialect/Attn/IR/LinalgBuilders.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/Support/FormatVariadic.h"

using namespace mlir;
using namespace mlir::attn;
using shard::GridAxis;
using shard::Sharding;
using shard::ShardingOption;

namespace {

/// A dimension of an op along which every operand that has it and the
/// result are cut into contiguous slices, one per device.
struct ShardLoop {
  std::string name;
  /// `reduction`: each device's result is a partial sum of the whole result
  /// (latent blocks), met by an all-reduce; `parallel`: each device computes
  /// a disjoint slice of the result.
  utils::IteratorType type = utils::IteratorType::parallel;
  /// Per op operand (OpOperand number): the tensor dimension it cuts.
  SmallVector<std::optional<int64_t>> operandDims;
  /// Per op result.
  SmallVector<std::optional<int64_t>> resultDims;
  /// Latent attention, GLA-k: the up-projections are cut along heads only;
  /// each device takes its blocks of them by its grid index.
  bool slicesUpProjectionBlocks = false;
};

/// Sets the dimension `dim` of ODS operand `odsIndex` (absent optional
/// operands are skipped).
template <typename OpTy>
void cut(ShardLoop &loop, OpTy op, unsigned odsIndex, int64_t dim) {
  auto [start, length] = op.getODSOperandIndexAndLength(odsIndex);
  for (unsigned i = start; i < start + length; ++i)
    loop.operandDims[i] = dim;
}

ShardLoop makeLoop(Operation *op, std::string name) {
  ShardLoop loop;
  loop.name = std::move(name);
  loop.operandDims.resize(op->getNumOperands());
  loop.resultDims.resize(op->getNumResults());
  return loop;
}

/// attn.attention: its batch dimensions (batch, KV heads). Contractions,
/// query rows and value columns are not cut: the softmax needs whole rows,
/// and a causal mask's positions are those of whole query rows.
SmallVector<ShardLoop> getShardLoops(AttentionOp op) {
  AttentionDims dims = op.getAttentionDims();
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  unsigned numQueries = op.getQueries().size();
  // The indexing map of each tensor operand, in operand order.
  SmallVector<std::optional<AffineMap>> operandMaps;
  for (unsigned i = 0; i < numQueries; ++i)
    operandMaps.push_back(maps[i]);
  for (unsigned i = 0; i < numQueries; ++i)
    operandMaps.push_back(maps[numQueries + i]);
  operandMaps.push_back(op.getValueMap());
  if (op.getMask())
    operandMaps.push_back(op.getMaskMap());
  if (op.getKvLengths())
    operandMaps.push_back(op.getKvLengthsMap());
  if (op.getQueryOffset())
    operandMaps.push_back(std::nullopt);
  if (op.getKeyOffset())
    operandMaps.push_back(std::nullopt);
  operandMaps.push_back(op.getOutputMap());
  if (op.getLogSumExpOutput())
    operandMaps.push_back(op.getLogSumExpMap());
  SmallVector<AffineMap> resultMaps = {op.getOutputMap()};
  if (op.getLogSumExp())
    resultMaps.push_back(op.getLogSumExpMap());

  auto position = [](AffineMap map, unsigned dim) -> std::optional<int64_t> {
    if (std::optional<unsigned> p = map.getResultPosition(
            getAffineDimExpr(dim, map.getContext())))
      return *p;
    return std::nullopt;
  };
  SmallVector<ShardLoop> loops;
  for (unsigned d : dims.getDimsWithRole(DimRole::Batch)) {
    ShardLoop loop = makeLoop(op, llvm::formatv("batch dimension d{0}", d));
    for (auto [i, map] : llvm::enumerate(operandMaps))
      if (map)
        loop.operandDims[i] = position(*map, d);
    for (auto [i, map] : llvm::enumerate(resultMaps))
      loop.resultDims[i] = position(map, d);
    loops.push_back(std::move(loop));
  }
  return loops;
}

/// GLA-k: one branch in which the heads split evenly over all the blocks.
bool isGroupedLatent(LatentAttentionOp op) {
  SmallVector<LatentBranchAttr> branches = op.getBranchList();
  return op.getNumBlocks() > 1 && branches.size() == 1 &&
         branches[0].getFirst() == 0 &&
         branches[0].getCount() == op.getNumBlocks();
}

/// ODS operand indices of attn.latent_attention.
enum LatentOperand { QNope, QRope, Latent, KRope, WUk, WUv, KvLengths, Out };

/// attn.latent_attention: batch, query heads, latent blocks.
SmallVector<ShardLoop> getShardLoops(LatentAttentionOp op) {
  bool blocked = cast<RankedTensorType>(op.getLatent().getType()).getRank() == 4;
  SmallVector<ShardLoop> loops;

  ShardLoop batch = makeLoop(op, "batch");
  for (LatentOperand o : {QNope, QRope, Latent, KRope, KvLengths, Out})
    cut(batch, op, o, 0);
  batch.resultDims[0] = 0;
  loops.push_back(std::move(batch));

  // Query heads: a head reads the same blocks wherever it is computed when
  // each branch's blocks are shared by all heads (MLA, MLRA); GLA-k's heads
  // go with their blocks.
  bool grouped = isGroupedLatent(op);
  if (grouped || llvm::all_of(op.getBranchList(), [](LatentBranchAttr b) {
        return b.getCount() == 1;
      })) {
    ShardLoop heads = makeLoop(op, grouped ? "latent heads" : "query heads");
    for (LatentOperand o : {QNope, QRope, Out})
      cut(heads, op, o, 2);
    for (LatentOperand o : {WUk, WUv})
      cut(heads, op, o, blocked ? 1 : 0);
    if (grouped) {
      cut(heads, op, Latent, 2);
      heads.slicesUpProjectionBlocks = true;
    }
    heads.resultDims[0] = 2;
    loops.push_back(std::move(heads));
  }

  // Latent blocks: each device computes the branches that read its blocks
  // for every head, a partial sum of the output.
  if (blocked && !grouped) {
    ShardLoop blocks = makeLoop(op, "latent blocks");
    blocks.type = utils::IteratorType::reduction;
    cut(blocks, op, Latent, 2);
    cut(blocks, op, WUk, 0);
    cut(blocks, op, WUv, 0);
    loops.push_back(std::move(blocks));
  }
  return loops;
}

/// ODS operand indices of attn.grouped_head_attention.
enum GroupedHeadOperand { Queries, Keys, Values, Decoder, Gate, GtaKvLengths, GtaOut };

/// attn.grouped_head_attention: batch and head groups. Score map `i` reads
/// key head `i * nk / nq` and value head `i * nc / nq` and produces output
/// columns `[i, i + 1) * D / nq`, so contiguous groups of maps, key heads,
/// value heads and columns go together.
SmallVector<ShardLoop> getShardLoops(GroupedHeadAttentionOp op) {
  ShardLoop batch = makeLoop(op, "batch");
  for (GroupedHeadOperand o : {Queries, Keys, Values, Gate, GtaKvLengths, GtaOut})
    cut(batch, op, o, 0);
  batch.resultDims[0] = 0;
  ShardLoop heads = makeLoop(op, "head groups");
  for (GroupedHeadOperand o : {Queries, Keys, Values, Gate, GtaOut})
    cut(heads, op, o, 2);
  cut(heads, op, Decoder, 0);
  heads.resultDims[0] = 2;
  return {std::move(batch), std::move(heads)};
}

/// A reshape: one loop per reassociation group. Cutting the collapsed
/// dimension into contiguous parts cuts the group's outermost dimension of
/// extent above 1 (the dimensions before it are 1), and only that one.
template <typename ReshapeOp>
SmallVector<ShardLoop> getReshapeShardLoops(ReshapeOp op, bool expands) {
  RankedTensorType expanded = expands ? op.getResultType() : op.getSrcType();
  SmallVector<ShardLoop> loops;
  for (auto [g, group] : llvm::enumerate(op.getReassociationIndices())) {
    int64_t outer = group.front();
    for (int64_t d : group) {
      if (expanded.getDimSize(d) != 1) {
        outer = d;
        break;
      }
    }
    ShardLoop loop = makeLoop(op, llvm::formatv("reassociation group {0}", g));
    loop.operandDims[0] = expands ? int64_t(g) : outer;
    loop.resultDims[0] = expands ? outer : int64_t(g);
    loops.push_back(std::move(loop));
  }
  return loops;
}

/// tensor.concat: every dimension but the concatenated one, the same in
/// every input and the result.
SmallVector<ShardLoop> getShardLoops(tensor::ConcatOp op) {
  SmallVector<ShardLoop> loops;
  for (int64_t d = 0, e = op.getResultType().getRank(); d < e; ++d) {
    if (d == static_cast<int64_t>(op.getDim()))
      continue;
    ShardLoop loop = makeLoop(op, llvm::formatv("dimension {0}", d));
    for (std::optional<int64_t> &dim : loop.operandDims)
      dim = d;
    loop.resultDims[0] = d;
    loops.push_back(std::move(loop));
  }
  return loops;
}

/// Whether tensor.extract_slice takes source dimension `d` whole.
bool takesWhole(tensor::ExtractSliceOp op, int64_t d) {
  return getConstantIntValue(op.getMixedOffsets()[d]) == 0 &&
         getConstantIntValue(op.getMixedSizes()[d]) ==
             op.getSourceType().getDimSize(d) &&
         getConstantIntValue(op.getMixedStrides()[d]) == 1;
}

/// tensor.extract_slice: the dimensions it takes whole (and keeps, when it
/// drops unit dimensions).
SmallVector<ShardLoop> getShardLoops(tensor::ExtractSliceOp op) {
  SmallVector<ShardLoop> loops;
  llvm::SmallBitVector dropped = op.getDroppedDims();
  int64_t resultDim = 0;
  for (int64_t d = 0, e = op.getSourceType().getRank(); d < e; ++d) {
    if (dropped.test(d))
      continue;
    if (takesWhole(op, d)) {
      ShardLoop loop = makeLoop(op, llvm::formatv("dimension {0}", d));
      loop.operandDims[0] = d;
      loop.resultDims[0] = resultDim;
      loops.push_back(std::move(loop));
    }
    ++resultDim;
  }
  return loops;
}

SmallVector<ShardLoop> getShardLoops(Operation *op) {
  if (auto concat = dyn_cast<tensor::ConcatOp>(op))
    return getShardLoops(concat);
  if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op))
    return getShardLoops(slice);
  if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op))
    return getReshapeShardLoops(expand, /*expands=*/true);
  if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op))
    return getReshapeShardLoops(collapse, /*expands=*/false);
  if (auto attention = dyn_cast<AttentionOp>(op))
    return getShardLoops(attention);
  if (auto latent = dyn_cast<LatentAttentionOp>(op))
    return getShardLoops(latent);
  return getShardLoops(cast<GroupedHeadAttentionOp>(op));
}

/// Why `loop` cannot be cut into `devices` slices, or an empty string.
std::string whyNotDivisible(Operation *op, const ShardLoop &loop,
                            int64_t devices) {
  auto check = [&](Value v, std::optional<int64_t> dim,
                   const Twine &what) -> std::string {
    if (!dim)
      return "";
    int64_t extent = cast<RankedTensorType>(v.getType()).getDimSize(*dim);
    if (ShapedType::isDynamic(extent) || extent % devices != 0)
      return llvm::formatv("{0} has extent {1} along dimension {2}, which {3} "
                           "devices do not divide",
                           what.str(),
                           ShapedType::isDynamic(extent) ? "?" : std::to_string(extent),
                           *dim, devices);
    return "";
  };
  for (OpOperand &operand : op->getOpOperands()) {
    std::string why =
        check(operand.get(), loop.operandDims[operand.getOperandNumber()],
              "operand #" + Twine(operand.getOperandNumber()));
    if (!why.empty())
      return why;
  }
  for (OpResult result : op->getResults()) {
    std::string why = check(result, loop.resultDims[result.getResultNumber()],
                            "result #" + Twine(result.getResultNumber()));
    if (!why.empty())
      return why;
  }
  if (auto latent = dyn_cast<LatentAttentionOp>(op);
      latent && loop.type == utils::IteratorType::reduction) {
    // Every device must compute the same branches on its own blocks.
    int64_t local = latent.getNumBlocks() / devices;
    SmallVector<std::pair<int64_t, int64_t>> first;
    SmallVector<SmallVector<std::pair<int64_t, int64_t>>> perDevice(devices);
    for (LatentBranchAttr b : latent.getBranchList()) {
      int64_t device = b.getFirst() / local;
      if ((b.getFirst() + b.getCount() - 1) / local != device)
        return llvm::formatv("branch <first = {0}, count = {1}> reads blocks "
                             "of two devices when {2} devices hold {3} blocks "
                             "each",
                             b.getFirst(), b.getCount(), devices, local);
      perDevice[device].push_back({b.getFirst() - device * local, b.getCount()});
    }
    for (auto &branches : perDevice)
      if (branches != perDevice.front())
        return llvm::formatv("the devices would compute different branches "
                             "over {0} devices",
                             devices);
  }
  return "";
}

/// The grid size along `axes`.
int64_t getDeviceCount(Operation *op, FlatSymbolRefAttr gridName,
                       ArrayRef<GridAxis> axes) {
  auto grid = SymbolTable::lookupNearestSymbolFrom<shard::GridOp>(op, gridName);
  if (!grid)
    return -1;
  int64_t count = 1;
  for (GridAxis axis : axes) {
    int64_t size = grid.getShape()[axis];
    if (ShapedType::isDynamic(size))
      return -1;
    count *= size;
  }
  return count;
}

/// Which grid axes cut which loop, from the operands' and results'
/// shardings. Fails if a dimension is cut that no loop cuts, if two
/// shardings disagree, or if a loop does not divide evenly.
FailureOr<ShardingOption> deriveOption(Operation *op,
                                       ArrayRef<ShardLoop> loops,
                                       ArrayRef<Sharding> operandShardings,
                                       ArrayRef<Sharding> resultShardings) {
  ShardingOption option;
  option.shardingArray.resize(loops.size());
  bool any = false;
  auto record = [&](const Sharding &sharding, auto dimOf) -> LogicalResult {
    if (!sharding)
      return success();
    any = true;
    if (option.grid && option.grid != sharding.getGridAttr())
      return failure();
    option.grid = sharding.getGridAttr();
    for (auto [dim, axes] : llvm::enumerate(sharding.getSplitAxes())) {
      if (axes.empty())
        continue;
      std::optional<unsigned> match;
      for (auto [l, loop] : llvm::enumerate(loops))
        if (dimOf(loop) == std::optional<int64_t>(dim))
          match = l;
      if (!match)
        return failure();
      SmallVector<GridAxis> &assigned = option.shardingArray[*match];
      if (!assigned.empty() && ArrayRef<GridAxis>(assigned) != axes.asArrayRef())
        return failure();
      assigned.assign(axes.asArrayRef().begin(), axes.asArrayRef().end());
    }
    return success();
  };
  for (auto [i, sharding] : llvm::enumerate(operandShardings))
    if (failed(record(sharding, [i = i](const ShardLoop &l) {
          return l.operandDims[i];
        })))
      return failure();
  for (auto [i, sharding] : llvm::enumerate(resultShardings))
    if (failed(record(sharding, [i = i](const ShardLoop &l) {
          return l.resultDims[i];
        })))
      return failure();
  if (!any)
    return ShardingOption::makeEmpty();
  // A grid axis cuts one loop at most, and every cut loop divides evenly.
  SmallVector<GridAxis> used;
  for (auto [l, axes] : llvm::enumerate(option.shardingArray)) {
    if (axes.empty())
      continue;
    for (GridAxis axis : axes) {
      if (llvm::is_contained(used, axis))
        return failure();
      used.push_back(axis);
    }
    int64_t devices = getDeviceCount(op, option.grid, axes);
    if (devices < 1 || !whyNotDivisible(op, loops[l], devices).empty())
      return failure();
  }
  return option;
}

/// The sharding each operand and result needs for `option`: operands and
/// results cut along the dimensions of the cut loops; a result of a loop
/// cut as a reduction is whole on every device (after the all-reduce).
FailureOr<std::vector<Sharding>> annotationsFor(Operation *op,
                                                ArrayRef<ShardLoop> loops,
                                                const ShardingOption &option) {
  MLIRContext *ctx = op->getContext();
  std::vector<Sharding> shardings;
  auto build = [&](Type type, auto dimOf) -> FailureOr<Sharding> {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor)
      return Sharding();
    SmallVector<shard::GridAxesAttr> split(
        std::max<int64_t>(tensor.getRank(), 1),
        shard::GridAxesAttr::get(ctx, ArrayRef<GridAxis>{}));
    for (auto [l, loop] : llvm::enumerate(loops)) {
      ArrayRef<GridAxis> axes = option.shardingArray.size() > l
                                    ? ArrayRef<GridAxis>(option.shardingArray[l])
                                    : ArrayRef<GridAxis>();
      std::optional<int64_t> dim = dimOf(loop);
      if (axes.empty() || !dim)
        continue;
      if (!split[*dim].empty())
        return failure();
      split[*dim] = shard::GridAxesAttr::get(ctx, axes);
    }
    while (split.size() > 1 && split.back().empty())
      split.pop_back();
    return Sharding::get(option.grid, split);
  };
  for (OpOperand &operand : op->getOpOperands()) {
    unsigned i = operand.getOperandNumber();
    FailureOr<Sharding> s = build(operand.get().getType(),
                                  [i](const ShardLoop &l) { return l.operandDims[i]; });
    if (failed(s))
      return failure();
    shardings.push_back(*s);
  }
  for (OpResult result : op->getResults()) {
    unsigned i = result.getResultNumber();
    FailureOr<Sharding> s = build(result.getType(), [i](const ShardLoop &l) {
      return l.type == utils::IteratorType::parallel ? l.resultDims[i]
                                                     : std::nullopt;
    });
    if (failed(s))
      return failure();
    shardings.push_back(*s);
  }
  return shardings;
}

/// `value` converted elementwise to `elementType`.
Value convertTensor(OpBuilder &b, Location loc, Value value, Type elementType) {
  auto type = cast<RankedTensorType>(value.getType());
  Value init = tensor::EmptyOp::create(b, loc, type.getShape(), elementType);
  AffineMap identity = b.getMultiDimIdentityMap(type.getRank());
  return linalg::GenericOp::create(
             b, loc, init.getType(), ValueRange{value}, ValueRange{init},
             ArrayRef<AffineMap>{identity, identity},
             SmallVector<utils::IteratorType>(type.getRank(),
                                              utils::IteratorType::parallel),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               linalg::YieldOp::create(
                   nb, nl, castFloat(nb, nl, args[0], elementType));
             })
      .getResult(0);
}

/// The branches one device computes on its `local` blocks when the latent
/// blocks are cut (the same on every device, as the option checked).
ArrayAttr localBranches(LatentAttentionOp op, int64_t local) {
  SmallVector<Attribute> branches;
  for (LatentBranchAttr b : op.getBranchList())
    if (b.getFirst() < local)
      branches.push_back(b);
  return ArrayAttr::get(op.getContext(), branches);
}

template <typename OpTy>
struct ShardLoopsModel
    : public shard::ShardingInterface::ExternalModel<ShardLoopsModel<OpTy>,
                                                     OpTy> {
  SmallVector<utils::IteratorType> getLoopIteratorTypes(Operation *op) const {
    SmallVector<utils::IteratorType> types;
    for (const ShardLoop &loop : getShardLoops(op))
      types.push_back(loop.type);
    return types;
  }

  SmallVector<shard::ReductionKind>
  getReductionLoopIteratorKinds(Operation *op) const {
    SmallVector<shard::ReductionKind> kinds;
    for (const ShardLoop &loop : getShardLoops(op))
      if (loop.type == utils::IteratorType::reduction)
        kinds.push_back(shard::ReductionKind::Sum);
    return kinds;
  }

  FailureOr<ShardingOption>
  getShardingOption(Operation *op, ArrayRef<Sharding> operandShardings,
                    ArrayRef<Sharding> resultShardings) const {
    return deriveOption(op, getShardLoops(op), operandShardings,
                        resultShardings);
  }

  FailureOr<std::vector<Sharding>>
  getShardingAnnotations(Operation *op, const ShardingOption &option) const {
    return annotationsFor(op, getShardLoops(op), option);
  }

  LogicalResult addShardingAnnotations(Operation *op, OpBuilder &b,
                                       const ShardingOption &option) const {
    FailureOr<std::vector<Sharding>> shardings =
        annotationsFor(op, getShardLoops(op), option);
    if (failed(shardings))
      return failure();
    unsigned numOperands = op->getNumOperands();
    for (OpResult result : op->getResults())
      if (Sharding s = (*shardings)[numOperands + result.getResultNumber()])
        shard::maybeInsertTargetShardingAnnotation(s, result, b);
    for (OpOperand &operand : op->getOpOperands()) {
      OpBuilder::InsertionGuard guard(b);
      if (Sharding s = (*shardings)[operand.getOperandNumber()])
        shard::maybeInsertSourceShardingAnnotation(s, operand, b);
    }
    return success();
  }

  LogicalResult partition(Operation *op, ArrayRef<Value> partitionedOperands,
                          ArrayRef<Sharding> operandShardings,
                          ArrayRef<Sharding> resultShardings,
                          IRMapping &partitionMap,
                          SymbolTableCollection &symbolTable,
                          OpBuilder &builder) const {
    SmallVector<ShardLoop> loops = getShardLoops(op);
    FailureOr<ShardingOption> option =
        deriveOption(op, loops, operandShardings, resultShardings);
    if (failed(option))
      return op->emitOpError("has shardings that do not cut it along one of "
                             "its sharding loops");
    Location loc = op->getLoc();
    IRMapping mapping;
    for (auto [operand, partitioned] :
         llvm::zip_equal(op->getOperands(), partitionedOperands))
      mapping.map(operand, partitioned);

    SmallVector<GridAxis> reducedAxes;
    ArrayAttr branches;
    for (auto [l, loop] : llvm::enumerate(loops)) {
      if (option->empty || l >= option->shardingArray.size() ||
          option->shardingArray[l].empty())
        continue;
      ArrayRef<GridAxis> axes = option->shardingArray[l];
      int64_t devices = getDeviceCount(op, option->grid, axes);
      if (loop.type == utils::IteratorType::reduction) {
        llvm::append_range(reducedAxes, axes);
        if (auto latent = dyn_cast<LatentAttentionOp>(op))
          branches = localBranches(latent, latent.getNumBlocks() / devices);
      }
      if (loop.slicesUpProjectionBlocks) {
        // GLA-k: this device's heads read its own blocks of the
        // up-projections, taken at its grid index.
        auto latent = cast<LatentAttentionOp>(op);
        if (axes.size() != 1)
          return op->emitOpError("cuts latent heads over one grid axis only");
        int64_t local = latent.getNumBlocks() / devices;
        Value index = shard::ProcessMultiIndexOp::create(
                          builder, loc, option->grid.getValue(), axes)
                          .getResult()[0];
        Value first = arith::MulIOp::create(
            builder, loc, index, arith::ConstantIndexOp::create(builder, loc, local));
        for (Value weight : {latent.getWUk(), latent.getWUv()}) {
          Value partitioned = mapping.lookup(weight);
          auto type = cast<RankedTensorType>(partitioned.getType());
          SmallVector<OpFoldResult> offsets(type.getRank(), builder.getIndexAttr(0));
          offsets[0] = first;
          SmallVector<OpFoldResult> sizes;
          for (int64_t size : type.getShape())
            sizes.push_back(builder.getIndexAttr(size));
          sizes[0] = builder.getIndexAttr(local);
          SmallVector<OpFoldResult> strides(type.getRank(), builder.getIndexAttr(1));
          mapping.map(weight, tensor::ExtractSliceOp::create(builder, loc, partitioned,
                                                           offsets, sizes, strides)
                                .getResult());
        }
        branches = ArrayAttr::get(
            op->getContext(),
            {LatentBranchAttr::get(op->getContext(), 0, local)});
      }
    }

    SmallVector<Type> localTypes;
    for (auto [result, sharding] :
         llvm::zip_equal(op->getResults(), resultShardings))
      localTypes.push_back(shard::shardType(
          result.getType(),
          shard::getGridOrNull(op, option->grid, symbolTable), sharding));
    Operation *localOp;
    if (auto expand = dyn_cast<tensor::ExpandShapeOp>(op)) {
      // Rebuilt: its static output shape is the local one.
      localOp = tensor::ExpandShapeOp::create(
          builder, loc, localTypes[0], mapping.lookup(expand.getSrc()),
          expand.getReassociationIndices());
    } else if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(op)) {
      localOp = tensor::CollapseShapeOp::create(
          builder, loc, localTypes[0], mapping.lookup(collapse.getSrc()),
          collapse.getReassociationIndices());
    } else if (auto slice = dyn_cast<tensor::ExtractSliceOp>(op)) {
      // The dimensions cut are taken whole: their sizes are the local ones.
      Value source = mapping.lookup(slice.getSource());
      SmallVector<OpFoldResult> sizes = slice.getMixedSizes();
      for (int64_t d = 0, e = sizes.size(); d < e; ++d)
        if (takesWhole(slice, d))
          sizes[d] = builder.getIndexAttr(
              cast<RankedTensorType>(source.getType()).getDimSize(d));
      auto mapped = [&](SmallVector<OpFoldResult> values) {
        for (OpFoldResult &v : values)
          if (auto value = dyn_cast<Value>(v))
            v = mapping.lookupOrDefault(value);
        return values;
      };
      localOp = tensor::ExtractSliceOp::create(
          builder, loc, cast<RankedTensorType>(localTypes[0]),
          source, mapped(slice.getMixedOffsets()), mapped(sizes),
          mapped(slice.getMixedStrides()));
    } else {
      localOp = builder.clone(*op, mapping);
      for (auto [result, type] : llvm::zip_equal(localOp->getResults(), localTypes))
        result.setType(type);
    }
    if (branches)
      localOp->setAttr("branches", branches);

    for (auto [original, result] :
         llvm::zip_equal(op->getResults(), localOp->getResults())) {
      Value value = result;
      if (!reducedAxes.empty()) {
        // Partial sums in f32 (MPI has no 16-bit float type to sum).
        Type elementType = getElementTypeOrSelf(value.getType());
        Type f32 = builder.getF32Type();
        bool widen = !elementType.isF32() && !elementType.isF64();
        if (widen)
          value = convertTensor(builder, loc, value, f32);
        value = shard::AllReduceOp::create(builder, loc, value.getType(),
                                           option->grid.getValue(), reducedAxes,
                                           value, shard::ReductionKind::Sum)
                    .getResult();
        if (widen)
          value = convertTensor(builder, loc, value, elementType);
      }
      partitionMap.map(original, value);
    }
    return success();
  }
};

} // namespace

FailureOr<unsigned> mlir::attn::getTensorParallelLoop(Operation *op,
                                                      int64_t devices,
                                                      std::string &why) {
  SmallVector<ShardLoop> loops = getShardLoops(op);
  std::optional<unsigned> best;
  int64_t bestRank = -1;
  std::string reasons;
  for (auto [l, loop] : llvm::enumerate(loops)) {
    std::string reason = whyNotDivisible(op, loop, devices);
    if (!reason.empty()) {
      reasons += (reasons.empty() ? "" : "; ") + loop.name + ": " + reason;
      continue;
    }
    // Preference: latent blocks, then heads, then batch for the model-level
    // ops; for attn.attention, the batch dimension with the most key heads
    // (a KV-head group stays whole on one device), the innermost on a tie.
    int64_t rank = 0;
    if (auto attention = dyn_cast<AttentionOp>(op)) {
      if (std::optional<int64_t> dim = loop.operandDims[attention.getQueries().size()])
        rank = cast<RankedTensorType>(attention.getKeys()[0].getType())
                   .getDimSize(*dim);
    } else if (loop.name != "batch") {
      rank = loop.type == utils::IteratorType::reduction ? 2 : 1;
    }
    if (rank >= bestRank) {
      bestRank = rank;
      best = l;
    }
  }
  if (!best) {
    why = reasons.empty() ? "it has no dimension to split" : reasons;
    return failure();
  }
  return *best;
}

void mlir::attn::registerShardingInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, AttnDialect *) {
    AttentionOp::attachInterface<ShardLoopsModel<AttentionOp>>(*ctx);
    LatentAttentionOp::attachInterface<ShardLoopsModel<LatentAttentionOp>>(*ctx);
    GroupedHeadAttentionOp::attachInterface<
        ShardLoopsModel<GroupedHeadAttentionOp>>(*ctx);
  });
  registry.addExtension(+[](MLIRContext *ctx, tensor::TensorDialect *) {
    tensor::ExpandShapeOp::attachInterface<
        ShardLoopsModel<tensor::ExpandShapeOp>>(*ctx);
    tensor::CollapseShapeOp::attachInterface<
        ShardLoopsModel<tensor::CollapseShapeOp>>(*ctx);
    tensor::ConcatOp::attachInterface<ShardLoopsModel<tensor::ConcatOp>>(*ctx);
    tensor::ExtractSliceOp::attachInterface<
        ShardLoopsModel<tensor::ExtractSliceOp>>(*ctx);
  });
}
