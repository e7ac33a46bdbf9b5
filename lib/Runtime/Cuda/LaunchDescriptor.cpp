//===- LaunchDescriptor.cpp - attnc's GPU launch descriptor ---------------===//
//
// A small JSON reader for the one document it reads: the runtime builds
// without LLVM, whose llvm::json writes it.
//
//===----------------------------------------------------------------------===//

#include "attnc/Runtime/Cuda/LaunchDescriptor.h"
#include "attnc/Runtime/Npy.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <map>
#include <memory>

using namespace attnc::runtime;

namespace {
struct Json {
  enum Kind { Null, Bool, Number, String, Array, Object } kind = Null;
  double number = 0;
  std::string text;
  std::vector<Json> items;
  std::map<std::string, Json> fields;

  const Json *get(const std::string &key) const {
    auto it = fields.find(key);
    return it == fields.end() ? nullptr : &it->second;
  }
};

class Parser {
public:
  explicit Parser(const std::string &text) : text(text) {}

  bool parse(Json &value, std::string &error) {
    if (!parseValue(value, 0) || (skip(), pos != text.size())) {
      error = "malformed JSON at offset " + std::to_string(pos);
      return false;
    }
    return true;
  }

private:
  void skip() {
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos])))
      ++pos;
  }
  bool consume(char c) {
    skip();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool parseString(std::string &out) {
    if (!consume('"'))
      return false;
    while (pos < text.size() && text[pos] != '"') {
      char c = text[pos++];
      if (c == '\\') {
        if (pos >= text.size())
          return false;
        char e = text[pos++];
        static const std::string from = "\"\\/bfnrt", to = "\"\\/\b\f\n\r\t";
        size_t at = from.find(e);
        if (at == std::string::npos)
          return false; // \u escapes do not occur in descriptors.
        c = to[at];
      }
      out.push_back(c);
    }
    return consume('"');
  }
  bool parseValue(Json &value, int depth) {
    if (depth > 32)
      return false;
    skip();
    if (pos >= text.size())
      return false;
    char c = text[pos];
    if (c == '{') {
      ++pos;
      value.kind = Json::Object;
      if (consume('}'))
        return true;
      do {
        std::string key;
        if (!parseString(key) || !consume(':') ||
            !parseValue(value.fields[key], depth + 1))
          return false;
      } while (consume(','));
      return consume('}');
    }
    if (c == '[') {
      ++pos;
      value.kind = Json::Array;
      if (consume(']'))
        return true;
      do {
        value.items.emplace_back();
        if (!parseValue(value.items.back(), depth + 1))
          return false;
      } while (consume(','));
      return consume(']');
    }
    if (c == '"') {
      value.kind = Json::String;
      return parseString(value.text);
    }
    for (auto [word, kind, number] :
         {std::make_tuple("true", Json::Bool, 1.0),
          std::make_tuple("false", Json::Bool, 0.0),
          std::make_tuple("null", Json::Null, 0.0)})
      if (text.compare(pos, std::string(word).size(), word) == 0) {
        pos += std::string(word).size();
        value.kind = kind;
        value.number = number;
        return true;
      }
    const char *start = text.c_str() + pos;
    char *end = nullptr;
    value.number = std::strtod(start, &end);
    if (end == start)
      return false;
    value.kind = Json::Number;
    pos += end - start;
    return true;
  }

  const std::string &text;
  size_t pos = 0;
};

bool getString(const Json &object, const char *key, std::string &out) {
  const Json *v = object.get(key);
  if (!v || v->kind != Json::String)
    return false;
  out = v->text;
  return true;
}

/// A non-negative integer that a double holds exactly.
bool isCount(const Json &v) {
  return v.kind == Json::Number && std::isfinite(v.number) && v.number >= 0 &&
         v.number <= 9007199254740992.0 && std::floor(v.number) == v.number;
}

bool getInteger(const Json &object, const char *key, int64_t &out) {
  const Json *v = object.get(key);
  if (!v || !isCount(*v))
    return false;
  out = static_cast<int64_t>(v->number);
  return true;
}

bool getIntegers(const Json &object, const char *key,
                 std::vector<int64_t> &out) {
  const Json *v = object.get(key);
  if (!v || v->kind != Json::Array)
    return false;
  for (const Json &item : v->items) {
    if (!isCount(item))
      return false;
    out.push_back(static_cast<int64_t>(item.number));
  }
  return true;
}
} // namespace

std::vector<int64_t> GpuFunction::getBuffers(const std::string &kind) const {
  std::vector<int64_t> ids;
  for (size_t i = 0; i < buffers.size(); ++i)
    if (buffers[i].kind == kind)
      ids.push_back(i);
  std::sort(ids.begin(), ids.end(), [&](int64_t a, int64_t b) {
    return buffers[a].index < buffers[b].index;
  });
  return ids;
}

const GpuFunction *LaunchDescriptor::lookup(const std::string &name) const {
  for (const GpuFunction &function : functions)
    if (function.name == name)
      return &function;
  return nullptr;
}

bool attnc::runtime::parseLaunchDescriptor(const std::string &text,
                                           LaunchDescriptor &result,
                                           std::string &error) {
  Json root;
  if (!Parser(text).parse(root, error))
    return false;
  std::string format;
  if (root.kind != Json::Object || !getString(root, "format", format) ||
      format != "attnc-gpu-launch/1") {
    error = "not an attnc launch descriptor (format attnc-gpu-launch/1)";
    return false;
  }
  const Json *binary = root.get("binary");
  const Json *functions = root.get("functions");
  if (!binary || !getString(*binary, "file", result.binaryFile) ||
      !getString(*binary, "format", result.binaryFormat) ||
      !getString(root, "chip", result.chip) || !functions ||
      functions->kind != Json::Array) {
    error = "the descriptor lacks its binary, chip or functions";
    return false;
  }
  for (const Json &f : functions->items) {
    GpuFunction function;
    const Json *buffers = f.get("buffers");
    const Json *launches = f.get("launches");
    if (!getString(f, "name", function.name) || !buffers ||
        buffers->kind != Json::Array || !launches ||
        launches->kind != Json::Array) {
      error = "a function of the descriptor lacks its name, buffers or "
              "launches";
      return false;
    }
    for (const Json &b : buffers->items) {
      GpuBuffer buffer;
      if (!getString(b, "kind", buffer.kind) ||
          !getString(b, "dtype", buffer.dtype) ||
          !getIntegers(b, "shape", buffer.shape) ||
          !getInteger(b, "bytes", buffer.bytes) ||
          (buffer.kind != "temporary" && !getInteger(b, "index", buffer.index))) {
        error = "a buffer of @" + function.name + " is malformed";
        return false;
      }
      size_t itemSize = getNpyItemSize(buffer.dtype);
      int64_t elements = 1;
      for (int64_t d : buffer.shape)
        elements *= d;
      if (itemSize == 0 || buffer.bytes != elements * static_cast<int64_t>(itemSize)) {
        error = "a buffer of @" + function.name + " has dtype " + buffer.dtype +
                " and " + std::to_string(buffer.bytes) +
                " bytes, which its shape does not give";
        return false;
      }
      function.buffers.push_back(buffer);
    }
    // Inputs and outputs are numbered 0, 1, ... once each.
    for (const char *kind : {"input", "output"}) {
      std::vector<int64_t> ids = function.getBuffers(kind);
      for (size_t i = 0; i < ids.size(); ++i)
        if (function.buffers[ids[i]].index != static_cast<int64_t>(i)) {
          error = std::string("the ") + kind + "s of @" + function.name +
                  " are not numbered 0 to " + std::to_string(ids.size() - 1);
          return false;
        }
    }
    for (const Json &l : launches->items) {
      GpuLaunch launch;
      std::vector<int64_t> grid, block;
      int64_t shared = 0;
      if (!getString(l, "kernel", launch.kernel) ||
          !getIntegers(l, "grid", grid) || grid.size() != 3 ||
          !getIntegers(l, "block", block) || block.size() != 3 ||
          !getInteger(l, "shared_memory_bytes", shared) ||
          !getIntegers(l, "args", launch.args)) {
        error = "a launch of @" + function.name + " is malformed";
        return false;
      }
      for (int i = 0; i < 3; ++i) {
        if (grid[i] < 1 || grid[i] > 0x7fffffff || block[i] < 1 ||
            block[i] > 1024) {
          error = "a launch of @" + function.name + " has grid or block "
                  "sizes out of range";
          return false;
        }
        launch.grid[i] = static_cast<unsigned>(grid[i]);
        launch.block[i] = static_cast<unsigned>(block[i]);
      }
      if (shared > 0x7fffffff) {
        error = "a launch of @" + function.name + " asks for " +
                std::to_string(shared) + " bytes of shared memory";
        return false;
      }
      launch.sharedMemoryBytes = static_cast<unsigned>(shared);
      for (int64_t arg : launch.args)
        if (arg >= static_cast<int64_t>(function.buffers.size())) {
          error = "a launch of @" + function.name + " names buffer " +
                  std::to_string(arg) + " of " +
                  std::to_string(function.buffers.size());
          return false;
        }
      function.launches.push_back(launch);
    }
    result.functions.push_back(std::move(function));
  }
  return true;
}
