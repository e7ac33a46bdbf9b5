//===- InputGuard.h - reject input that crashes upstream parsers ----------===//
//
// attn-fuzz found inputs that crash MLIR 22's own parsers (not attnc's code).
// Until the Debian LLVM carries a fix, every attnc entry point scans its
// input text for them first and reports a located error instead.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PIPELINES_INPUTGUARD_H
#define ATTNC_PIPELINES_INPUTGUARD_H

#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/LLVM.h"
#include "llvm/Support/SourceMgr.h"

namespace mlir::attn {

/// Reports (as errors on `context`, located in `sourceMgr`'s buffers) input
/// known to crash upstream parsers; fails when there was any:
///  - a linalg.generic `iterator_types` list with an element that is not a
///    string or #linalg.iterator_type (MLIR 22 reads each element as a
///    string without checking, and crashes);
///  - linalg.transpose / broadcast / reduce whose `permutation =` or
///    `dimensions =` is not followed by a complete list of integers.
LogicalResult checkUpstreamParserHazards(const llvm::SourceMgr &sourceMgr,
                                         MLIRContext *context);

} // namespace mlir::attn

#endif // ATTNC_PIPELINES_INPUTGUARD_H
