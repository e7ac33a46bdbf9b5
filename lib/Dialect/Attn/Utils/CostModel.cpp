//===- CostModel.cpp - FLOPs and bytes of attn ops ------------------------===//

#include "attnc/Dialect/Attn/Utils/CostModel.h"
#include "attnc/Dialect/Attn/IR/AttnOps.h"

#include "mlir/IR/TypeUtilities.h"

using namespace mlir;
using namespace mlir::attn;

WorkEstimate attn::estimateLatentWork(LatentAttentionOp op, LatentForm form,
                                      int64_t numQueries, int64_t numKeys) {
  auto qType = cast<RankedTensorType>(op.getQNope().getType());
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  double batch = qType.getDimSize(0), heads = qType.getDimSize(2),
         dn = qType.getDimSize(3), dR = op.getRopeWidth(),
         dv = outType.getDimSize(3), db = op.getBlockWidth();
  double s = numQueries, t = numKeys;
  double elementBytes =
      getElementTypeOrSelf(op.getLatent().getType()).getIntOrFloatBitWidth() / 8.0;

  WorkEstimate work;
  for (LatentBranchAttr branch : op.getBranchList()) {
    // Every branch reads its latent blocks, the shared RoPE key and its
    // per-head up-projections.
    double cacheBytes = batch * t * (branch.getCount() * db + dR) * elementBytes;
    double weightBytes = heads * db * (dn + dv) * elementBytes;
    if (form == LatentForm::Absorbed) {
      work.flops += 2 * batch * s * heads * dn * db          // q_nope W_UK^T
                    + 2 * batch * s * heads * t * (db + dR)  // scores
                    + 2 * batch * s * heads * t * db         // p . latent
                    + 2 * batch * s * heads * db * dv;       // W_UV
      work.bytes += cacheBytes + weightBytes;
    } else {
      work.flops += 2 * batch * t * heads * db * (dn + dv)   // K, V up-projection
                    + 2 * batch * s * heads * t * (dn + dR)  // scores
                    + 2 * batch * s * heads * t * dv;        // p . v
      // The expanded K and V are written once and read back.
      work.bytes += cacheBytes + weightBytes +
                    2 * batch * t * heads * (dn + dv) * elementBytes;
    }
  }
  return work;
}

LatentForm attn::chooseLatentForm(LatentAttentionOp op, int64_t numQueries,
                                  int64_t numKeys) {
  auto cost = [&](LatentForm form) {
    WorkEstimate w = estimateLatentWork(op, form, numQueries, numKeys);
    return w.flops + kMachineBalanceFlopsPerByte * w.bytes;
  };
  return cost(LatentForm::Absorbed) <= cost(LatentForm::Expanded)
             ? LatentForm::Absorbed
             : LatentForm::Expanded;
}
