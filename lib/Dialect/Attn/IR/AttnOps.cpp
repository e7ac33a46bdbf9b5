//===- AttnOps.cpp - attn dialect ops -------------------------------------===//

#include "attnc/Dialect/Attn/IR/AttnOps.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

StringRef mlir::attn::stringifyDimRole(DimRole role) {
  switch (role) {
  case DimRole::Batch:
    return "batch";
  case DimRole::M:
    return "M";
  case DimRole::K1:
    return "K1";
  case DimRole::K2:
    return "K2";
  case DimRole::N:
    return "N";
  }
  llvm_unreachable("unknown dim role");
}

SmallVector<unsigned> AttentionDims::getDimsWithRole(DimRole role) const {
  SmallVector<unsigned> dims;
  for (auto [dim, r] : llvm::enumerate(roles))
    if (r == role)
      dims.push_back(dim);
  return dims;
}

namespace {
/// One operand of an attention op as the verifier sees it.
struct OperandInfo {
  std::string name;
  Value value;
  AffineMap map;
  /// Whether a batch dimension of this operand may have an extent that
  /// divides the output's (grouped heads).
  bool mayGroup;
};
} // namespace

static SmallVector<OperandInfo> collectOperands(AttentionOp op) {
  SmallVector<OperandInfo> infos;
  ArrayRef<Attribute> maps = op.getIndexingMaps().getValue();
  unsigned mapIdx = 0;
  auto nextMap = [&]() -> AffineMap {
    if (mapIdx >= maps.size())
      return AffineMap();
    return cast<AffineMapAttr>(maps[mapIdx++]).getValue();
  };
  for (auto [i, q] : llvm::enumerate(op.getQueries()))
    infos.push_back({"query #" + std::to_string(i), q, nextMap(), false});
  for (auto [i, k] : llvm::enumerate(op.getKeys()))
    infos.push_back({"key #" + std::to_string(i), k, nextMap(), true});
  infos.push_back({"value", op.getValue(), nextMap(), true});
  if (op.getMask())
    infos.push_back({"mask", op.getMask(), nextMap(), true});
  if (op.getKvLengths())
    infos.push_back({"kv_lengths", op.getKvLengths(), nextMap(), true});
  infos.push_back({"output", op.getOutput(), nextMap(), false});
  return infos;
}

/// Infers the dimension roles and extents of `op`. Emits a diagnostic and
/// fails if `emitErrors` is set and the op is malformed. With `inputsOnly`,
/// the extents come from the inputs and the outputs' shapes are not looked
/// at: tiling drivers clone the op with partial-result tensors as its outputs
/// and then ask that clone for its tiles.
static FailureOr<AttentionDims> inferDims(AttentionOp op, bool emitErrors,
                                          bool inputsOnly = false) {
  auto fail = [&](auto &&...args) -> FailureOr<AttentionDims> {
    if (emitErrors)
      (op.emitOpError() << ... << args);
    return failure();
  };

  unsigned numQueries = op.getQueries().size();
  if (numQueries == 0)
    return fail("needs at least one query/key contraction");
  if (op.getKeys().size() != numQueries)
    return fail("has ", numQueries, " queries but ", op.getKeys().size(),
                " keys; each query must be paired with one key");

  SmallVector<OperandInfo> operands = collectOperands(op);
  unsigned numMaps = op.getIndexingMaps().size();
  unsigned expectedMaps = operands.size() + (op.getLogSumExpOutput() ? 1 : 0);
  if (numMaps != expectedMaps)
    return fail("expects ", expectedMaps,
                " indexing maps (queries, keys, value, optional mask, optional "
                "kv_lengths, output, optional log_sum_exp) but got ",
                numMaps);

  // Every map: same iteration space, no symbols, projected permutation whose
  // result count matches the operand rank.
  unsigned numDims = operands.front().map.getNumDims();
  for (const OperandInfo &info : operands) {
    if (inputsOnly && info.name == "output")
      continue;
    if (info.map.getNumSymbols() != 0)
      return fail("indexing map of ", info.name, " must not use symbols");
    if (info.map.getNumDims() != numDims)
      return fail("indexing map of ", info.name, " has ",
                  info.map.getNumDims(), " dimensions but the map of ",
                  operands.front().name, " has ", numDims,
                  "; all maps must share one iteration space");
    if (!info.map.isProjectedPermutation(/*allowZeroInResults=*/false))
      return fail("indexing map of ", info.name,
                  " must be a projected permutation of the iteration space");
    auto type = cast<RankedTensorType>(info.value.getType());
    if (info.map.getNumResults() != type.getRank())
      return fail(info.name, " has rank ", type.getRank(),
                  " but its indexing map has ", info.map.getNumResults(),
                  " results");
    if (!type.hasStaticShape())
      return fail(info.name,
                  " has a dynamic shape; only static shapes are supported");
  }

  // Which operands use each dimension.
  auto usesDim = [](const OperandInfo &info, unsigned dim) {
    return info.map.isFunctionOfDim(dim);
  };
  const OperandInfo &valueInfo = operands[2 * numQueries];
  const OperandInfo &outputInfo = operands.back();
  const OperandInfo *maskInfo =
      op.getMask() ? &operands[2 * numQueries + 1] : nullptr;
  const OperandInfo *lengthsInfo =
      op.getKvLengths() ? &operands[operands.size() - 2] : nullptr;

  AttentionDims dims;
  dims.roles.resize(numDims);
  dims.extents.assign(numDims, ShapedType::kDynamic);
  dims.contractionDims.resize(numQueries);
  for (unsigned d = 0; d < numDims; ++d) {
    unsigned inQ = 0, inK = 0;
    for (unsigned i = 0; i < numQueries; ++i) {
      inQ += usesDim(operands[i], d);
      inK += usesDim(operands[numQueries + i], d);
    }
    bool allQ = inQ == numQueries, anyQ = inQ > 0;
    bool allK = inK == numQueries, anyK = inK > 0;
    bool inV = usesDim(valueInfo, d), inO = usesDim(outputInfo, d);

    if (allQ && allK && inV && inO) {
      dims.roles[d] = DimRole::Batch;
    } else if (allQ && !anyK && !inV && inO) {
      dims.roles[d] = DimRole::M;
    } else if (!anyQ && allK && inV && !inO) {
      dims.roles[d] = DimRole::K2;
    } else if (!anyQ && !anyK && inV && inO) {
      dims.roles[d] = DimRole::N;
    } else if (anyQ && anyK && !inV && !inO) {
      dims.roles[d] = DimRole::K1;
      for (unsigned i = 0; i < numQueries; ++i) {
        bool q = usesDim(operands[i], d), k = usesDim(operands[numQueries + i], d);
        if (q != k)
          return fail("dimension d", d, " is contracted by query #", i,
                      q ? "" : " (absent)", " and key #", i,
                      k ? "" : " (absent)",
                      " unevenly; a reduction dimension must appear in both "
                      "operands of its contraction");
        if (q)
          dims.contractionDims[i].push_back(d);
      }
    } else {
      std::string users;
      for (const OperandInfo &info : operands)
        if (usesDim(info, d))
          users += (users.empty() ? "" : ", ") + info.name;
      return fail("dimension d", d, " has no attention role: it is used by {",
                  users,
                  "}; expected batch (queries, keys, value, output), M "
                  "(queries, output), K1 (a query and its key), K2 (keys, "
                  "value) or N (value, output)");
    }
    if (maskInfo && usesDim(*maskInfo, d) && dims.roles[d] != DimRole::Batch &&
        dims.roles[d] != DimRole::M && dims.roles[d] != DimRole::K2)
      return fail("mask uses dimension d", d, " whose role is ",
                  stringifyDimRole(dims.roles[d]),
                  "; a mask may only use batch, M and K2 dimensions");
    if (lengthsInfo && usesDim(*lengthsInfo, d) &&
        dims.roles[d] != DimRole::Batch)
      return fail("kv_lengths uses dimension d", d, " whose role is ",
                  stringifyDimRole(dims.roles[d]),
                  "; kv_lengths may only use batch dimensions");
  }
  for (unsigned i = 0; i < numQueries; ++i)
    if (dims.contractionDims[i].empty())
      return fail("query #", i, " and key #", i,
                  " share no reduction (K1) dimension");
  SmallVector<unsigned> keyDims = dims.getDimsWithRole(DimRole::K2);
  if (keyDims.empty())
    return fail("has no key (K2) dimension to take the softmax over");
  dims.keyPosDim = keyDims.back();
  SmallVector<unsigned> queryDims = dims.getDimsWithRole(DimRole::M);
  if (!queryDims.empty())
    dims.queryPosDim = queryDims.back();

  // Full extents: batch, M and N from the output, K1 from the queries, K2 from
  // the value.
  auto extentOf = [](const OperandInfo &info, unsigned dim) -> int64_t {
    auto pos = info.map.getResultPosition(getAffineDimExpr(dim, info.map.getContext()));
    return cast<RankedTensorType>(info.value.getType()).getDimSize(*pos);
  };
  for (unsigned d = 0; d < numDims; ++d) {
    switch (dims.roles[d]) {
    case DimRole::Batch:
    case DimRole::M:
      // Queries are never grouped: they have the output's extents.
      dims.extents[d] = extentOf(inputsOnly ? operands.front() : outputInfo, d);
      break;
    case DimRole::N:
      dims.extents[d] = extentOf(inputsOnly ? valueInfo : outputInfo, d);
      break;
    case DimRole::K2:
      dims.extents[d] = extentOf(valueInfo, d);
      break;
    case DimRole::K1:
      for (unsigned i = 0; i < numQueries; ++i)
        if (usesDim(operands[i], d))
          dims.extents[d] = extentOf(operands[i], d);
      break;
    }
  }

  // Every operand agrees with the full extents, except that grouped operands
  // may divide a batch extent.
  for (const OperandInfo &info : operands) {
    if (inputsOnly && info.name == "output")
      continue;
    for (unsigned d = 0; d < numDims; ++d) {
      if (!usesDim(info, d))
        continue;
      int64_t extent = extentOf(info, d), full = dims.extents[d];
      if (extent == full)
        continue;
      if (dims.roles[d] == DimRole::Batch && info.mayGroup) {
        if (extent > 0 && full % extent == 0)
          continue;
        return fail("head counts do not divide: ", info.name, " has extent ",
                    extent, " along batch dimension d", d,
                    ", which does not divide the output's extent ", full);
      }
      return fail(info.name, " has extent ", extent, " along ",
                  stringifyDimRole(dims.roles[d]), " dimension d", d,
                  " but the iteration space has ", full);
    }
  }
  return dims;
}

//===----------------------------------------------------------------------===//
// Shared verification
//===----------------------------------------------------------------------===//

/// The softmax scale: a positive, finite float attribute.
static LogicalResult verifyScale(Operation *op, Attribute attr) {
  auto scale = dyn_cast<FloatAttr>(attr);
  if (!scale)
    return op->emitOpError("scale must be a floating-point attribute, got ")
           << attr;
  double s = scale.getValueAsDouble();
  if (!(s > 0.0) || !std::isfinite(s))
    return op->emitOpError("scale must be positive and finite, got ") << s;
  return success();
}

/// Structural mask parameters: a window exactly with sliding_window.
static LogicalResult verifyMasking(Operation *op, MaskKind kind,
                                   std::optional<int64_t> window) {
  bool isWindow = kind == MaskKind::SlidingWindow;
  if (isWindow && !window)
    return op->emitOpError("masking(sliding_window) needs a window size");
  if (!isWindow && window)
    return op->emitOpError(
        "window is only meaningful with masking(sliding_window)");
  if (window && *window <= 0)
    return op->emitOpError("window must be positive, got ") << *window;
  return success();
}

namespace {
/// Checks operand shapes of the model-level ops against named sizes: the
/// first operand to mention a size fixes it, later ones must agree.
class ShapeChecker {
public:
  explicit ShapeChecker(Operation *op) : op(op) {}

  /// `value` must have rank `names.size()`; each dim is bound to its name.
  LogicalResult expect(Value value, StringRef operand,
                       ArrayRef<StringRef> names) {
    auto type = cast<RankedTensorType>(value.getType());
    if (type.getRank() != static_cast<int64_t>(names.size())) {
      std::string layout = "[" + llvm::join(names, ",") + "]";
      return op->emitOpError() << operand << " must have rank " << names.size()
                               << " (" << layout << "), got " << type;
    }
    if (!type.hasStaticShape())
      return op->emitOpError()
             << operand << " has a dynamic shape; only static shapes are supported";
    for (auto [i, name] : llvm::enumerate(names)) {
      int64_t size = type.getDimSize(i);
      auto [it, inserted] = sizes.try_emplace(name, size, operand.str());
      if (!inserted && it->second.first != size)
        return op->emitOpError()
               << operand << " has " << name << " = " << size << " but "
               << it->second.second << " has " << name << " = "
               << it->second.first;
    }
    return success();
  }

  int64_t get(StringRef name) const { return sizes.lookup(name).first; }

private:
  Operation *op;
  llvm::StringMap<std::pair<int64_t, std::string>> sizes;
};
} // namespace

static LogicalResult verifySameFloatElementType(Operation *op,
                                                ArrayRef<Value> values,
                                                ArrayRef<StringRef> names) {
  Type first = getElementTypeOrSelf(values.front().getType());
  if (!isa<FloatType>(first))
    return op->emitOpError() << names.front()
                             << " must have a floating-point element type, got "
                             << first;
  for (auto [value, name] : llvm::zip(values, names)) {
    Type t = getElementTypeOrSelf(value.getType());
    if (t != first)
      return op->emitOpError("element type mismatch: ")
             << name << " has " << t << " but " << names.front() << " has "
             << first;
  }
  return success();
}

static LogicalResult verifyFloatOutput(Operation *op, Value output,
                                       Type resultType) {
  Type t = getElementTypeOrSelf(output.getType());
  if (!isa<FloatType>(t))
    return op->emitOpError("output must have a floating-point element type, got ")
           << t;
  if (resultType != output.getType())
    return op->emitOpError("result type ")
           << resultType << " does not match the output type "
           << output.getType();
  return success();
}

static LogicalResult verifyKvLengths(Operation *op, Value lengths,
                                     ShapeChecker &shapes) {
  if (!lengths)
    return success();
  Type t = getElementTypeOrSelf(lengths.getType());
  if (!t.isInteger(32) && !t.isInteger(64))
    return op->emitOpError("kv_lengths must have element type i32 or i64, got ")
           << t;
  return shapes.expect(lengths, "kv_lengths", {"B"});
}

//===----------------------------------------------------------------------===//
// AttentionOp
//===----------------------------------------------------------------------===//

MutableOperandRange AttentionOp::getDpsInitsMutable() {
  // The output and the optional log_sum_exp output, consecutive operands.
  unsigned start = getOutputMutable().getOperandNumber();
  return MutableOperandRange(*this, start, getLogSumExpOutput() ? 2 : 1);
}

AttentionDims AttentionOp::getAttentionDimsFromInputs() {
  FailureOr<AttentionDims> dims =
      inferDims(*this, /*emitErrors=*/false, /*inputsOnly=*/true);
  assert(succeeded(dims) && "getAttentionDimsFromInputs on a malformed op");
  return std::move(*dims);
}

AttentionDims AttentionOp::getAttentionDims() {
  FailureOr<AttentionDims> dims = inferDims(*this, /*emitErrors=*/false);
  assert(succeeded(dims) && "getAttentionDims on an op that does not verify");
  return std::move(*dims);
}

LogicalResult AttentionOp::verify() {
  auto elementTypeOf = [](Value v) { return getElementTypeOrSelf(v.getType()); };

  // Element types: queries, keys and value share one float type; the output
  // is a float type of its own choosing (the accumulator is f32).
  Type inputType = elementTypeOf(getValue());
  if (!isa<FloatType>(inputType))
    return emitOpError("value must have a floating-point element type, got ")
           << inputType;
  for (auto [i, q] : llvm::enumerate(getQueries()))
    if (elementTypeOf(q) != inputType)
      return emitOpError("element type mismatch: query #")
             << i << " has " << elementTypeOf(q) << " but the value has "
             << inputType;
  for (auto [i, k] : llvm::enumerate(getKeys()))
    if (elementTypeOf(k) != inputType)
      return emitOpError("element type mismatch: key #")
             << i << " has " << elementTypeOf(k) << " but the value has "
             << inputType;
  if (!isa<FloatType>(elementTypeOf(getOutput())))
    return emitOpError("output must have a floating-point element type, got ")
           << elementTypeOf(getOutput());
  if (getResult().getType() != getOutput().getType())
    return emitOpError("result type ")
           << getResult().getType() << " does not match the output type "
           << getOutput().getType();
  if (Value mask = getMask()) {
    Type t = elementTypeOf(mask);
    if (!isa<FloatType>(t) && !t.isInteger(1))
      return emitOpError("mask must be additive (floating-point) or boolean "
                         "(i1), got element type ")
             << t;
  }
  if (Value lengths = getKvLengths()) {
    Type t = elementTypeOf(lengths);
    if (!t.isInteger(32) && !t.isInteger(64))
      return emitOpError("kv_lengths must have element type i32 or i64, got ")
             << t;
  }

  if (failed(verifyScale(*this, getScale())) ||
      failed(verifyMasking(*this, getMaskKind(), getWindow())))
    return failure();

  FailureOr<AttentionDims> dims = inferDims(*this, /*emitErrors=*/true);
  if (failed(dims))
    return failure();
  if (getMaskKind() != MaskKind::None && !dims->queryPosDim)
    return emitOpError("masking(")
           << stringifyMaskKind(getMaskKind())
           << ") needs a query (M) dimension to take positions from";
  if (failed(verifyPositionFrame(*dims)) || failed(verifyLogSumExp(*dims)))
    return failure();
  return success();
}

LogicalResult AttentionOp::verifyPositionFrame(const AttentionDims &dims) {
  // The parser only builds complete frames; generic IR may not.
  bool hasQuery = getQueryOffset() != nullptr, hasKey = getKeyOffset() != nullptr;
  std::optional<ArrayRef<int64_t>> extents = getPositionExtents();
  if (!hasQuery && !hasKey && !extents)
    return success();
  if (!hasQuery || !hasKey || !extents || extents->size() != 2)
    return emitOpError("positions need a query offset, a key offset and two "
                       "extents [queries, keys]");
  if (!hasPositionalMask())
    return emitOpError("positions(...) only matter to causal, sliding-window "
                       "or kv_lengths masks, and this op has none");
  int64_t localQueries = dims.queryPosDim ? dims.extents[*dims.queryPosDim] : 1;
  int64_t localKeys = dims.extents[dims.keyPosDim];
  int64_t totalQueries = (*extents)[0], totalKeys = (*extents)[1];
  if (totalQueries < localQueries || totalKeys < localKeys)
    return emitOpError("positions frame ")
           << totalQueries << "x" << totalKeys
           << " (queries x keys) is smaller than the op's own " << localQueries
           << "x" << localKeys;
  // Offsets known here must keep the tile inside the frame.
  auto checkOffset = [&](Value offset, int64_t local, int64_t total,
                         StringRef what) -> LogicalResult {
    std::optional<int64_t> c = getConstantIntValue(offset);
    if (c && (*c < 0 || *c + local > total))
      return emitOpError() << what << " offset " << *c << " puts " << local
                           << " " << what << " positions outside [0, " << total
                           << ")";
    return success();
  };
  if (failed(checkOffset(getQueryOffset(), localQueries, totalQueries, "query")) ||
      failed(checkOffset(getKeyOffset(), localKeys, totalKeys, "key")))
    return failure();
  return success();
}

AffineMap AttentionOp::getRowMap(const AttentionDims &dims) {
  SmallVector<AffineExpr> rowExprs;
  for (AffineExpr e : getOutputMap().getResults())
    if (dims.roles[cast<AffineDimExpr>(e).getPosition()] != DimRole::N)
      rowExprs.push_back(e);
  return AffineMap::get(dims.getNumDims(), 0, rowExprs, getContext());
}

LogicalResult AttentionOp::verifyLogSumExp(const AttentionDims &dims) {
  Value lse = getLogSumExpOutput();
  if (!lse) {
    if (getLogSumExp())
      return emitOpError("has a log_sum_exp result but no log_sum_exp output");
    return success();
  }
  if (!getLogSumExp() || getLogSumExp().getType() != lse.getType())
    return emitOpError("log_sum_exp result type must match the log_sum_exp "
                       "output type ")
           << lse.getType();
  auto type = cast<RankedTensorType>(lse.getType());
  if (!type.getElementType().isF32())
    return emitOpError("log_sum_exp must have element type f32, got ")
           << type.getElementType();
  AffineMap expected = getRowMap(dims);
  if (getLogSumExpMap() != expected)
    return emitOpError("log_sum_exp indexing map must be the output's without "
                       "its N dimensions, ")
           << AffineMapAttr::get(expected) << ", got "
           << AffineMapAttr::get(getLogSumExpMap());
  for (auto [r, e] : llvm::enumerate(expected.getResults())) {
    int64_t extent = dims.extents[cast<AffineDimExpr>(e).getPosition()];
    if (type.getDimSize(r) != extent)
      return emitOpError("log_sum_exp has extent ")
             << type.getDimSize(r) << " in dimension " << r << " but "
             << extent << " was expected";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// LatentAttentionOp
//===----------------------------------------------------------------------===//

MutableOperandRange LatentAttentionOp::getDpsInitsMutable() {
  return getOutputMutable();
}

int64_t LatentAttentionOp::getNumBlocks() {
  auto type = cast<RankedTensorType>(getLatent().getType());
  return type.getRank() == 3 ? 1 : type.getDimSize(2);
}

int64_t LatentAttentionOp::getBlockWidth() {
  return cast<RankedTensorType>(getLatent().getType()).getShape().back();
}

SmallVector<LatentBranchAttr> LatentAttentionOp::getBranchList() {
  SmallVector<LatentBranchAttr> list;
  if (std::optional<ArrayAttr> branches = getBranches()) {
    for (Attribute a : *branches)
      list.push_back(cast<LatentBranchAttr>(a));
    return list;
  }
  for (int64_t i = 0, e = getNumBlocks(); i < e; ++i)
    list.push_back(LatentBranchAttr::get(getContext(), i, 1));
  return list;
}

int64_t LatentAttentionOp::getRopeWidth() {
  if (!getKRope())
    return 0;
  return cast<RankedTensorType>(getKRope().getType()).getShape().back();
}

LogicalResult LatentAttentionOp::verify() {
  if (!getQRope() != !getKRope())
    return emitOpError("needs both q_rope and k_rope or neither, got only ")
           << (getQRope() ? "q_rope" : "k_rope");
  SmallVector<Value> values = {getLatent(), getQNope(), getWUk(), getWUv()};
  SmallVector<StringRef> names = {"latent", "q_nope", "w_uk", "w_uv"};
  if (getQRope()) {
    values.append({getQRope(), getKRope()});
    names.append({"q_rope", "k_rope"});
  }
  if (failed(verifySameFloatElementType(*this, values, names)) ||
      failed(verifyFloatOutput(*this, getOutput(), getResult().getType())) ||
      failed(verifyScale(*this, getScale())) ||
      failed(verifyMasking(*this, getMaskKind(), getWindow())))
    return failure();

  ShapeChecker shapes(*this);
  bool blocked = cast<RankedTensorType>(getLatent().getType()).getRank() == 4;
  if (failed(shapes.expect(getQNope(), "q_nope", {"B", "S", "H", "dn"})) ||
      (getQRope() &&
       failed(shapes.expect(getQRope(), "q_rope", {"B", "S", "H", "dR"}))) ||
      failed(blocked ? shapes.expect(getLatent(), "latent", {"B", "T", "nb", "db"})
                     : shapes.expect(getLatent(), "latent", {"B", "T", "db"})) ||
      (getKRope() &&
       failed(shapes.expect(getKRope(), "k_rope", {"B", "T", "dR"}))) ||
      failed(blocked ? shapes.expect(getWUk(), "w_uk", {"nb", "H", "db", "dn"})
                     : shapes.expect(getWUk(), "w_uk", {"H", "db", "dn"})) ||
      failed(blocked ? shapes.expect(getWUv(), "w_uv", {"nb", "H", "db", "dv"})
                     : shapes.expect(getWUv(), "w_uv", {"H", "db", "dv"})) ||
      failed(verifyKvLengths(*this, getKvLengths(), shapes)) ||
      failed(shapes.expect(getOutput(), "output", {"B", "S", "H", "dv"})))
    return failure();

  double weight = getBranchWeight().convertToDouble();
  if (!std::isfinite(weight) || weight == 0.0)
    return emitOpError("weight must be finite and non-zero, got ") << weight;

  int64_t numHeads = shapes.get("H"), numBlocks = getNumBlocks();
  if (std::optional<ArrayAttr> branches = getBranches()) {
    if (branches->empty())
      return emitOpError("needs at least one branch");
    for (auto [j, attr] : llvm::enumerate(*branches)) {
      auto branch = cast<LatentBranchAttr>(attr);
      if (branch.getFirst() < 0 || branch.getCount() < 1 ||
          branch.getFirst() + branch.getCount() > numBlocks)
        return emitOpError("branch #")
               << j << " reads blocks [" << branch.getFirst() << ", "
               << branch.getFirst() + branch.getCount()
               << ") outside the latent's " << numBlocks << " blocks";
      if (numHeads % branch.getCount() != 0)
        return emitOpError("head counts do not divide: branch #")
               << j << " spreads " << numHeads << " heads over "
               << branch.getCount() << " blocks";
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// GroupedHeadAttentionOp
//===----------------------------------------------------------------------===//

MutableOperandRange GroupedHeadAttentionOp::getDpsInitsMutable() {
  return getOutputMutable();
}

int64_t GroupedHeadAttentionOp::getExpansion() {
  auto decoder = cast<RankedTensorType>(getDecoder().getType());
  return decoder.getDimSize(2) / decoder.getDimSize(1);
}

LogicalResult GroupedHeadAttentionOp::verify() {
  if (failed(verifySameFloatElementType(
          *this, {getQueries(), getKeys(), getValues(), getDecoder(), getGate()},
          {"queries", "keys", "values", "decoder", "gate"})) ||
      failed(verifyFloatOutput(*this, getOutput(), getResult().getType())) ||
      failed(verifyScale(*this, getScale())) ||
      failed(verifyMasking(*this, getMaskKind(), getWindow())))
    return failure();
  ShapeChecker shapes(*this);
  if (failed(shapes.expect(getQueries(), "queries", {"B", "S", "nq", "dq"})) ||
      failed(shapes.expect(getKeys(), "keys", {"B", "T", "nk", "dq"})) ||
      failed(shapes.expect(getValues(), "values", {"B", "T", "nc", "dl"})) ||
      failed(shapes.expect(getDecoder(), "decoder", {"nq", "dl", "e*dl"})) ||
      failed(shapes.expect(getGate(), "gate", {"B", "S", "D"})) ||
      failed(verifyKvLengths(*this, getKvLengths(), shapes)) ||
      failed(shapes.expect(getOutput(), "output", {"B", "S", "D"})))
    return failure();
  int64_t nq = shapes.get("nq"), nk = shapes.get("nk"), nc = shapes.get("nc"),
          dl = shapes.get("dl"), width = shapes.get("e*dl"), d = shapes.get("D");
  if (nq % nk != 0)
    return emitOpError("head counts do not divide: ")
           << nk << " key heads for " << nq << " score maps";
  if (nq % nc != 0)
    return emitOpError("head counts do not divide: ")
           << nc << " value heads for " << nq << " score maps";
  if (width % dl != 0)
    return emitOpError("decoder width ")
           << width << " is not a multiple of the value width dl = " << dl;
  if (d != nq * width)
    return emitOpError("gate and output width D = ")
           << d << " must be nq * e * dl = " << nq * width;
  return success();
}

//===----------------------------------------------------------------------===//
// EmbeddingGateOp
//===----------------------------------------------------------------------===//

MutableOperandRange EmbeddingGateOp::getDpsInitsMutable() {
  return getOutputMutable();
}

LogicalResult EmbeddingGateOp::verify() {
  if (failed(verifySameFloatElementType(
          *this, {getLatent(), getTable(), getUpProjection(), getNormWeight()},
          {"latent", "table", "up_projection", "norm_weight"})) ||
      failed(verifyFloatOutput(*this, getOutput(), getResult().getType())))
    return failure();
  Type idType = getElementTypeOrSelf(getIds().getType());
  if (!idType.isInteger(32) && !idType.isInteger(64))
    return emitOpError("ids must have element type i32 or i64, got ") << idType;
  double eps = getEpsilon().convertToDouble();
  if (!(eps > 0.0) || !std::isfinite(eps))
    return emitOpError("epsilon must be positive and finite, got ") << eps;
  ShapeChecker shapes(*this);
  return success(
      succeeded(shapes.expect(getLatent(), "latent", {"B", "T", "dc"})) &&
      succeeded(shapes.expect(getIds(), "ids", {"B", "T"})) &&
      succeeded(shapes.expect(getTable(), "table", {"V", "du"})) &&
      succeeded(shapes.expect(getUpProjection(), "up_projection", {"dc", "du"})) &&
      succeeded(shapes.expect(getNormWeight(), "norm_weight", {"du"})) &&
      succeeded(shapes.expect(getOutput(), "output", {"B", "T", "du"})));
}

//===----------------------------------------------------------------------===//
// Custom assembly: `masking(causal)`, `masking(sliding_window, window = W)`.
//===----------------------------------------------------------------------===//

static ParseResult parseMasking(OpAsmParser &parser, MaskKindAttr &kind,
                                IntegerAttr &window) {
  if (failed(parser.parseOptionalKeyword("masking")))
    return success();
  StringRef keyword;
  if (parser.parseLParen())
    return failure();
  SMLoc kindLoc = parser.getCurrentLocation();
  if (parser.parseKeyword(&keyword))
    return failure();
  std::optional<MaskKind> parsed = symbolizeMaskKind(keyword);
  if (!parsed)
    return parser.emitError(kindLoc, "unknown mask kind '")
           << keyword << "'; expected none, causal or sliding_window";
  kind = MaskKindAttr::get(parser.getContext(), *parsed);
  if (succeeded(parser.parseOptionalComma())) {
    int64_t size;
    if (parser.parseKeyword("window") || parser.parseEqual() ||
        parser.parseInteger(size))
      return failure();
    window = parser.getBuilder().getI64IntegerAttr(size);
  }
  return parser.parseRParen();
}

static void printMasking(OpAsmPrinter &printer, Operation *op,
                         MaskKindAttr kind, IntegerAttr window) {
  if (!kind || kind.getValue() == MaskKind::None)
    return;
  printer << "masking(" << stringifyMaskKind(kind.getValue());
  if (window)
    printer << ", window = " << window.getInt();
  printer << ")";
}

//===----------------------------------------------------------------------===//
// Custom assembly: `positions(queries %q0 of S, keys %k0 of T)`.
//===----------------------------------------------------------------------===//

static ParseResult
parsePositions(OpAsmParser &parser,
               std::optional<OpAsmParser::UnresolvedOperand> &queryOffset,
               std::optional<OpAsmParser::UnresolvedOperand> &keyOffset,
               DenseI64ArrayAttr &extents) {
  if (failed(parser.parseOptionalKeyword("positions")))
    return success();
  int64_t numQueries, numKeys;
  OpAsmParser::UnresolvedOperand q, k;
  if (parser.parseLParen() || parser.parseKeyword("queries") ||
      parser.parseOperand(q) || parser.parseKeyword("of") ||
      parser.parseInteger(numQueries) || parser.parseComma() ||
      parser.parseKeyword("keys") || parser.parseOperand(k) ||
      parser.parseKeyword("of") || parser.parseInteger(numKeys) ||
      parser.parseRParen())
    return failure();
  queryOffset = q;
  keyOffset = k;
  extents = parser.getBuilder().getDenseI64ArrayAttr({numQueries, numKeys});
  return success();
}

static void printPositions(OpAsmPrinter &printer, Operation *op,
                           Value queryOffset, Value keyOffset,
                           DenseI64ArrayAttr extents) {
  if (!queryOffset || !keyOffset || !extents || extents.size() != 2)
    return;
  printer << "positions(queries " << queryOffset << " of " << extents[0]
          << ", keys " << keyOffset << " of " << extents[1] << ")";
}

#define GET_OP_CLASSES
#include "attnc/Dialect/Attn/IR/AttnOps.cpp.inc"
