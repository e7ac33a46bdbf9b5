//===- CodegenDialect.cpp - attnc's lowering configurations ---------------===//

#include "attnc/Codegen/IR/CodegenDialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::attn::codegen;

#include "attnc/Codegen/IR/CodegenDialect.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "attnc/Codegen/IR/CodegenAttrs.cpp.inc"

void AttnCodegenDialect::initialize() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "attnc/Codegen/IR/CodegenAttrs.cpp.inc"
      >();
}

LogicalResult
FlashConfigAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                        int64_t queryTile, int64_t keyTile, int64_t kvSplits,
                        int64_t minOuterProductRows, bool bf16Dot,
                        bool bf16Probabilities, bool prefetch, bool amx) {
  if (queryTile < 1 || keyTile < 1)
    return emitError() << "tile sizes must be positive, got query_tile = "
                       << queryTile << ", key_tile = " << keyTile;
  if (kvSplits < 1)
    return emitError() << "kv_splits must be at least 1, got " << kvSplits;
  if (minOuterProductRows < 1)
    return emitError() << "min_outer_product_rows must be positive, got "
                       << minOuterProductRows;
  if (bf16Probabilities && !bf16Dot)
    return emitError() << "bf16_probabilities needs bf16_dot";
  // AMX's P.V multiplies bf16 probabilities.
  if (amx && !bf16Probabilities)
    return emitError() << "amx needs bf16_probabilities";
  return success();
}

LogicalResult
GpuFlashConfigAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                           int64_t warps, int64_t valueSplit, int64_t keyTile,
                           int64_t stages, int64_t kvSplits) {
  // 32 warps make the 1024 threads a block can have.
  if (warps < 1 || warps > 32)
    return emitError() << "warps must be in [1, 32], got " << warps;
  if (valueSplit < 1 || warps % valueSplit != 0)
    return emitError() << "value_split must divide warps, got " << valueSplit
                       << " for " << warps << " warps";
  if (keyTile < 16 || keyTile % 16 != 0)
    return emitError() << "key_tile must be a positive multiple of 16, got "
                       << keyTile;
  if (stages < 2 || stages > 4)
    return emitError() << "stages must be in [2, 4], got " << stages;
  // Splits are a grid dimension (z: at most 65535 blocks).
  if (kvSplits < 1 || kvSplits > 65535)
    return emitError() << "kv_splits must be in [1, 65535], got " << kvSplits;
  return success();
}
