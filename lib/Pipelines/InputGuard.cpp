//===- InputGuard.cpp - reject input that crashes upstream parsers --------===//

#include "attnc/Pipelines/InputGuard.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Support/FileUtilities.h"

using namespace mlir;

/// Index just past the string literal starting at text[i] (a '"'), or npos.
static size_t skipString(StringRef text, size_t i) {
  for (size_t j = i + 1; j < text.size(); ++j) {
    if (text[j] == '\\')
      ++j;
    else if (text[j] == '"')
      return j + 1;
  }
  return StringRef::npos;
}

static size_t skipSpace(StringRef text, size_t i) {
  while (i < text.size() && isspace(static_cast<unsigned char>(text[i])))
    ++i;
  return i;
}

LogicalResult attn::checkUpstreamParserHazards(const llvm::SourceMgr &sourceMgr,
                                               MLIRContext *context) {
  bool ok = true;
  for (unsigned id = 1; id <= sourceMgr.getNumBuffers(); ++id) {
    const llvm::MemoryBuffer *buffer = sourceMgr.getMemoryBuffer(id);
    StringRef text = buffer->getBuffer();
    auto report = [&](size_t at) {
      auto [line, column] = sourceMgr.getLineAndColumn(
          llvm::SMLoc::getFromPointer(text.data() + at), id);
      emitError(FileLineColLoc::get(context, buffer->getBufferIdentifier(),
                                    line, column))
          << "iterator_types elements must be \"parallel\", \"reduction\" "
             "or #linalg.iterator_type<...> (MLIR 22's linalg.generic parser "
             "crashes on any other attribute)";
      ok = false;
    };
    for (size_t pos = text.find("iterator_types"); pos != StringRef::npos;
         pos = text.find("iterator_types", pos + 1)) {
      size_t i = skipSpace(text, pos + strlen("iterator_types"));
      if (i >= text.size() || text[i] != '=')
        continue;
      i = skipSpace(text, i + 1);
      if (i >= text.size() || text[i] != '[')
        continue;
      i = skipSpace(text, i + 1);
      while (i < text.size() && text[i] != ']') {
        if (text[i] == '"') {
          i = skipString(text, i);
        } else if (text.substr(i).starts_with("#linalg.iterator_type<")) {
          i = text.find('>', i);
          if (i != StringRef::npos)
            ++i;
        } else {
          report(i);
          break;
        }
        if (i == StringRef::npos)
          break;
        i = skipSpace(text, i);
        if (i < text.size() && text[i] == ',')
          i = skipSpace(text, i + 1);
        else
          break;
      }
    }
    // linalg.transpose / broadcast / reduce in custom form: `outs(...)
    // permutation = [..]` / `dimensions = [..]`. MLIR 22 crashes on anything
    // but a complete list of integers there.
    for (StringRef keyword : {StringRef("permutation"), StringRef("dimensions")}) {
      for (size_t pos = text.find(keyword); pos != StringRef::npos;
           pos = text.find(keyword, pos + 1)) {
        size_t before = pos;
        while (before > 0 &&
               isspace(static_cast<unsigned char>(text[before - 1])))
          --before;
        if (before == 0 || text[before - 1] != ')')
          continue;
        size_t i = skipSpace(text, pos + keyword.size());
        if (i >= text.size() || text[i] != '=')
          continue;
        size_t listStart = skipSpace(text, i + 1);
        size_t j = listStart;
        bool wellFormed = j < text.size() && text[j] == '[';
        if (wellFormed) {
          j = skipSpace(text, j + 1);
          bool first = true;
          while (wellFormed && j < text.size() && text[j] != ']') {
            if (!first) {
              wellFormed = text[j] == ',';
              j = skipSpace(text, j + 1);
            }
            first = false;
            size_t digits = j + (j < text.size() && text[j] == '-');
            size_t end = digits;
            while (end < text.size() && isdigit(static_cast<unsigned char>(text[end])))
              ++end;
            wellFormed = wellFormed && end > digits;
            j = skipSpace(text, end);
          }
          wellFormed = wellFormed && j < text.size() && text[j] == ']';
        }
        if (!wellFormed) {
          auto [line, column] = sourceMgr.getLineAndColumn(
              llvm::SMLoc::getFromPointer(text.data() + listStart), id);
          emitError(FileLineColLoc::get(context, buffer->getBufferIdentifier(),
                                        line, column))
              << "expected a list of integers `[i, j, ...]` after `" << keyword
              << " =` (MLIR 22's linalg parsers crash on anything else)";
          ok = false;
        }
      }
    }
  }
  return success(ok);
}

OwningOpRef<ModuleOp> attn::parseModule(const llvm::SourceMgr &sourceMgr,
                                        MLIRContext *context) {
  if (failed(checkUpstreamParserHazards(sourceMgr, context)))
    return nullptr;
  return parseSourceFile<ModuleOp>(sourceMgr, context);
}

OwningOpRef<ModuleOp> attn::parseModuleFile(StringRef path,
                                            llvm::SourceMgr &sourceMgr,
                                            MLIRContext *context,
                                            std::string &error) {
  std::unique_ptr<llvm::MemoryBuffer> file = openInputFile(path, &error);
  if (!file)
    return nullptr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  if (failed(checkUpstreamParserHazards(sourceMgr, context)))
    return nullptr; // Already reported at its location.
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, context);
  if (!module)
    error = ("could not parse " + path).str();
  return module;
}
