//===- Report.cpp - KV-cache and decode-cost report of attn ops -----------===//
//
// Counts follow VARIANTS.md: FLOPs count a multiply-add as 2; a decode step is
// one new token of one sequence against `context` cached tokens, one layer.
//
//===----------------------------------------------------------------------===//

#include "attnc/Dialect/Attn/Utils/Report.h"
#include "attnc/Dialect/Attn/IR/AttnOps.h"
#include "attnc/Dialect/Attn/Utils/CostModel.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace mlir::attn;

static std::string locationString(Location loc) {
  if (auto fileLoc = dyn_cast<FileLineColLoc>(loc))
    return (llvm::sys::path::filename(fileLoc.getFilename().getValue()) + ":" +
            llvm::Twine(fileLoc.getLine()) + ":" + llvm::Twine(fileLoc.getColumn()))
        .str();
  return "unknown";
}

static double elementBytes(Value v) {
  return getElementTypeOrSelf(v.getType()).getIntOrFloatBitWidth() / 8.0;
}

static double ceilDiv(double a, double b) { return std::ceil(a / b); }

/// The tensor a K/V operand is a view of: slices and reshapes read the same
/// cache, so the cache is counted once.
static Value cacheRoot(Value v) {
  while (Operation *def = v.getDefiningOp()) {
    if (auto slice = dyn_cast<tensor::ExtractSliceOp>(def))
      v = slice.getSource();
    else if (auto expand = dyn_cast<tensor::ExpandShapeOp>(def))
      v = expand.getSrc();
    else if (auto collapse = dyn_cast<tensor::CollapseShapeOp>(def))
      v = collapse.getSrc();
    else
      break;
  }
  return v;
}

static int64_t numElements(Value v) {
  return cast<RankedTensorType>(v.getType()).getNumElements();
}

static AttentionReport reportCore(AttentionOp op, std::optional<int64_t> context,
                                  int64_t tp) {
  AttentionReport r;
  r.form = r.decodeForm = "direct";
  AttentionDims dims = op.getAttentionDims();
  // The sequence batch is the output's leading dimension when it is a batch
  // dimension; every other batch dimension counts heads.
  std::optional<unsigned> seqDim;
  unsigned outerDim = cast<AffineDimExpr>(op.getOutputMap().getResult(0)).getPosition();
  if (dims.roles[outerDim] == DimRole::Batch)
    seqDim = outerDim;
  double numSequences = seqDim ? dims.extents[*seqDim] : 1;
  int64_t numKeys = dims.extents[dims.keyPosDim];
  r.context = context.value_or(numKeys);

  double rows = 1, scoreWidth = 0, valueWidth = 1, headExtent = 1;
  SmallVector<unsigned> headDims;
  for (unsigned d = 0; d < dims.getNumDims(); ++d) {
    if (dims.roles[d] == DimRole::Batch && d != seqDim) {
      rows *= dims.extents[d];
      headExtent *= dims.extents[d];
      headDims.push_back(d);
    }
    if (dims.roles[d] == DimRole::M && d != dims.queryPosDim)
      rows *= dims.extents[d];
    if (dims.roles[d] == DimRole::N)
      valueWidth *= dims.extents[d];
  }
  for (ArrayRef<unsigned> contracted : dims.contractionDims) {
    double width = 1;
    for (unsigned d : contracted)
      width *= dims.extents[d];
    scoreWidth += width;
  }
  r.attentionFlopsPerDecodeStep = 2.0 * r.context * rows * (scoreWidth + valueWidth);

  // Heads of an operand along the head (non-sequence batch) dimensions.
  auto headsOf = [&](Value operand, AffineMap map) {
    auto type = cast<RankedTensorType>(operand.getType());
    double heads = 1;
    for (unsigned d : headDims)
      if (std::optional<unsigned> pos = map.getResultPosition(
              getAffineDimExpr(d, op.getContext())))
        heads *= type.getDimSize(*pos);
    return heads;
  };
  SmallVector<std::pair<Value, AffineMap>> kvOperands;
  for (unsigned i = 0; i < op.getKeys().size(); ++i)
    kvOperands.push_back({op.getKeys()[i], op.getKeyMap(i)});
  kvOperands.push_back({op.getValue(), op.getValueMap()});
  llvm::SmallDenseSet<Value> counted;
  for (auto [operand, map] : kvOperands) {
    Value root = cacheRoot(operand);
    if (!counted.insert(root).second)
      continue;
    double perToken = numElements(root) / (numSequences * numKeys);
    double heads = headsOf(operand, map);
    r.cacheElementsPerToken += perToken;
    r.cacheElementsPerTokenPerDevice += perToken / heads * ceilDiv(heads, tp);
    r.kvBytesPerDecodeStep += r.context * perToken * elementBytes(root);
  }

  Value valueRoot = cacheRoot(op.getValue());
  bool tied = llvm::any_of(op.getKeys(),
                           [&](Value k) { return cacheRoot(k) == valueRoot; });
  double keyHeads = headsOf(op.getKeys()[0], op.getKeyMap(0));
  r.variant = tied                     ? "grouped-tied"
              : keyHeads == headExtent ? "mha"
              : keyHeads == 1          ? "mqa"
                                       : "gqa";
  return r;
}

static std::string latentVariant(LatentAttentionOp op) {
  SmallVector<LatentBranchAttr> branches = op.getBranchList();
  int64_t numBlocks = op.getNumBlocks();
  if (numBlocks == 1)
    return "mla";
  if (!op.getBranches())
    return "mlra-" + std::to_string(numBlocks);
  if (branches.size() == 1 && branches[0].getFirst() == 0 &&
      branches[0].getCount() == numBlocks)
    return "gla-" + std::to_string(numBlocks);
  if (numBlocks == 4 && branches.size() == 2 && branches[0].getFirst() == 0 &&
      branches[0].getCount() == 2 && branches[1].getFirst() == 2 &&
      branches[1].getCount() == 2)
    return "mlra-2";
  return "latent";
}

static AttentionReport reportLatent(LatentAttentionOp op,
                                    std::optional<int64_t> context, int64_t tp) {
  AttentionReport r;
  auto q = cast<RankedTensorType>(op.getQNope().getType());
  auto out = cast<RankedTensorType>(op.getOutput().getType());
  double heads = q.getDimSize(2), dn = q.getDimSize(3), dv = out.getDimSize(3),
         db = op.getBlockWidth(), numBlocks = op.getNumBlocks(),
         dR = op.getRopeWidth();
  int64_t numQueries = q.getDimSize(1),
          numKeys = cast<RankedTensorType>(op.getLatent().getType()).getDimSize(1);
  r.context = context.value_or(numKeys);
  double n = r.context;

  // EG-MLA: the cache holds the gate's small input latent (and the token
  // ids); the gate is recomputed for every cached token when it is read.
  auto gate = op.getLatent().getDefiningOp<EmbeddingGateOp>();
  double ropeBytes = dR * elementBytes(op.getLatent());
  if (gate) {
    auto gateIn = cast<RankedTensorType>(gate.getLatent().getType());
    double dc = gateIn.getDimSize(2), du = db;
    r.variant = "eg-mla";
    r.cacheElementsPerToken = dc + dR;
    r.cacheElementsPerTokenPerDevice = dc + dR; // one latent: not split
    r.indexBytesPerToken = elementBytes(gate.getIds());
    r.readGateFlopsPerDecodeStep = n * (2 * dc * du + 6 * du);
    r.kvBytesPerDecodeStep =
        n * (dc * elementBytes(gate.getLatent()) + ropeBytes + r.indexBytesPerToken);
  } else {
    r.variant = latentVariant(op);
    r.cacheElementsPerToken = numBlocks * db + dR;
    // Blocks spread over the devices; the RoPE key is replicated. One latent
    // (MLA) cannot be split.
    r.cacheElementsPerTokenPerDevice = ceilDiv(numBlocks, tp) * db + dR;
    r.kvBytesPerDecodeStep =
        n * (numBlocks * db * elementBytes(op.getLatent()) + ropeBytes);
  }

  LatentForm decodeForm = chooseLatentForm(op, 1, r.context);
  r.form = chooseLatentForm(op, numQueries, numKeys) == LatentForm::Absorbed
               ? "absorbed"
               : "expanded";
  r.decodeForm = decodeForm == LatentForm::Absorbed ? "absorbed" : "expanded";
  for (size_t j = 0, e = op.getBranchList().size(); j < e; ++j) {
    if (decodeForm == LatentForm::Absorbed) {
      r.attentionFlopsPerDecodeStep += 2 * n * heads * (db + dR) + 2 * n * heads * db;
      r.projectionFlopsPerToken += 2 * heads * dn * db + 2 * heads * db * dv;
    } else {
      // Expanded: every cached token's K and V are up-projected again.
      r.attentionFlopsPerDecodeStep += 2 * n * heads * (dn + dR) +
                                       2 * n * heads * dv +
                                       2 * n * heads * db * (dn + dv);
    }
  }
  return r;
}

static AttentionReport reportGroupedHead(GroupedHeadAttentionOp op,
                                         std::optional<int64_t> context,
                                         int64_t tp) {
  AttentionReport r;
  r.variant = "gta";
  r.form = r.decodeForm = "direct";
  auto q = cast<RankedTensorType>(op.getQueries().getType());
  auto k = cast<RankedTensorType>(op.getKeys().getType());
  auto v = cast<RankedTensorType>(op.getValues().getType());
  double nq = q.getDimSize(2), dq = q.getDimSize(3), nk = k.getDimSize(2),
         nc = v.getDimSize(2), dl = v.getDimSize(3), e = op.getExpansion();
  r.context = context.value_or(k.getDimSize(1));
  double n = r.context;
  r.cacheElementsPerToken = nk * dq + nc * dl;
  r.cacheElementsPerTokenPerDevice = ceilDiv(nk, tp) * dq + ceilDiv(nc, tp) * dl;
  r.attentionFlopsPerDecodeStep = 2 * n * nq * (dq + dl);
  // The value decoder's matmul and the gate's multiply.
  r.projectionFlopsPerToken = 2 * nq * dl * (e * dl) + nq * e * dl;
  r.kvBytesPerDecodeStep =
      n * (nk * dq * elementBytes(op.getKeys()) + nc * dl * elementBytes(op.getValues()));
  return r;
}

SmallVector<AttentionReport>
attn::reportAttention(ModuleOp module, std::optional<int64_t> context,
                      int64_t tensorParallel) {
  SmallVector<AttentionReport> reports;
  module.walk([&](Operation *op) {
    std::optional<AttentionReport> r;
    if (auto core = dyn_cast<AttentionOp>(op))
      r = reportCore(core, context, tensorParallel);
    else if (auto latent = dyn_cast<LatentAttentionOp>(op))
      r = reportLatent(latent, context, tensorParallel);
    else if (auto gta = dyn_cast<GroupedHeadAttentionOp>(op))
      r = reportGroupedHead(gta, context, tensorParallel);
    if (!r)
      return;
    r->op = op->getName().getStringRef().str();
    r->location = locationString(op->getLoc());
    if (auto func = op->getParentOfType<func::FuncOp>())
      r->function = func.getName().str();
    reports.push_back(std::move(*r));
  });
  return reports;
}
