//===- InputGuard.h - reject input that crashes upstream parsers ----------===//
//
// attn-fuzz found inputs that crash MLIR 22's own parsers (not attnc's code).
// Until the Debian LLVM carries a fix, every attnc entry point scans its
// input text for them first and reports a located error instead.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PIPELINES_INPUTGUARD_H
#define ATTNC_PIPELINES_INPUTGUARD_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
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

/// Parses the module in `sourceMgr`'s buffers after rejecting the hazards
/// above; null (with diagnostics) on failure. Every attnc entry point parses
/// through this.
OwningOpRef<ModuleOp> parseModule(const llvm::SourceMgr &sourceMgr,
                                  MLIRContext *context);

/// The tools' way in: opens `path` ("-" is stdin) into `sourceMgr`, whose
/// diagnostic handler the caller owns, rejects the hazards above and parses
/// a module. On failure returns null and sets `error` when there is no
/// diagnostic to say it (a file that cannot be opened or parsed).
OwningOpRef<ModuleOp> parseModuleFile(StringRef path, llvm::SourceMgr &sourceMgr,
                                      MLIRContext *context, std::string &error);

} // namespace mlir::attn

#endif // ATTNC_PIPELINES_INPUTGUARD_H
