//===- Npy.cpp - .npy array files -----------------------------------------===//

#include "attnc/Runtime/Npy.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace attnc::runtime {

namespace {
struct DTypeInfo {
  const char *descr;
  size_t itemSize;
  const char *name;
};
// "<u2" carries bf16 as raw 16-bit patterns: NumPy has no bfloat16.
constexpr DTypeInfo kDTypes[] = {
    {"<f4", 4, "float32"}, {"<f8", 8, "float64"}, {"<f2", 2, "float16"},
    {"<u2", 2, "uint16"},  {"<i4", 4, "int32"},   {"<i8", 8, "int64"},
    {"|b1", 1, "bool"},    {"|i1", 1, "int8"},    {"|u1", 1, "uint8"},
};

const DTypeInfo *lookup(const std::string &descr) {
  for (const DTypeInfo &info : kDTypes)
    if (descr == info.descr)
      return &info;
  return nullptr;
}

/// A tiny cursor over the Python-literal dict of a .npy header.
class HeaderParser {
public:
  explicit HeaderParser(const std::string &text) : text(text) {}

  void skipSpace() {
    while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos])))
      ++pos;
  }
  bool consume(char c) {
    skipSpace();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool parseString(std::string &out) {
    skipSpace();
    if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
      return false;
    char quote = text[pos++];
    size_t end = text.find(quote, pos);
    if (end == std::string::npos)
      return false;
    out = text.substr(pos, end - pos);
    pos = end + 1;
    return true;
  }
  bool parseBool(bool &out) {
    skipSpace();
    if (text.compare(pos, 4, "True") == 0) {
      pos += 4;
      out = true;
      return true;
    }
    if (text.compare(pos, 5, "False") == 0) {
      pos += 5;
      out = false;
      return true;
    }
    return false;
  }
  bool parseShape(std::vector<int64_t> &shape) {
    if (!consume('('))
      return false;
    while (true) {
      skipSpace();
      if (consume(')'))
        return true;
      if (pos >= text.size() || !std::isdigit(static_cast<unsigned char>(text[pos])))
        return false;
      int64_t value = 0;
      while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
        int digit = text[pos++] - '0';
        if (value > (std::numeric_limits<int64_t>::max() - digit) / 10)
          return false;
        value = value * 10 + digit;
      }
      shape.push_back(value);
      if (!consume(',')) {
        if (!consume(')'))
          return false;
        return true;
      }
    }
  }

private:
  const std::string &text;
  size_t pos = 0;
};
} // namespace

size_t getNpyItemSize(const std::string &descr) {
  const DTypeInfo *info = lookup(descr);
  return info ? info->itemSize : 0;
}

size_t NpyArray::getNumElements() const {
  size_t n = 1;
  for (int64_t d : shape)
    n *= static_cast<size_t>(d);
  return n;
}

std::string NpyArray::getDTypeName() const {
  const DTypeInfo *info = lookup(descr);
  return info ? info->name : descr;
}

std::string formatShape(const std::vector<int64_t> &shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1)
    s += ",";
  return s + ")";
}

void *allocateArrayData(size_t bytes) {
  constexpr size_t kLine = 64, kHugePage = size_t(2) << 20;
  size_t alignment = bytes >= kHugePage ? kHugePage : kLine;
  // aligned_alloc wants a multiple of the alignment, and a non-zero size.
  size_t rounded = (std::max<size_t>(bytes, 1) + alignment - 1) / alignment *
                   alignment;
  void *data = std::aligned_alloc(alignment, rounded);
  if (!data) {
    std::fprintf(stderr, "attnc: out of memory allocating %zu bytes\n", bytes);
    std::abort();
  }
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // Only a hint: kernels without transparent huge pages ignore it.
  if (alignment == kHugePage)
    (void)madvise(data, rounded, MADV_HUGEPAGE);
#endif
  return data;
}

void freeArrayData(void *data) { std::free(data); }

bool readNpy(const std::string &path, NpyArray &array, std::string &error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open file: " + std::string(std::strerror(errno));
    return false;
  }
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  static const char kMagic[] = "\x93NUMPY";
  if (bytes.size() < 10 || std::memcmp(bytes.data(), kMagic, 6) != 0) {
    error = "not a .npy file (bad magic string)";
    return false;
  }
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t headerLen, headerStart;
  auto byteAt = [&](size_t i) {
    return static_cast<size_t>(static_cast<unsigned char>(bytes[i]));
  };
  if (major == 1) {
    headerLen = byteAt(8) | (byteAt(9) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) {
      error = "truncated .npy header";
      return false;
    }
    headerLen = byteAt(8) | (byteAt(9) << 8) | (byteAt(10) << 16) | (byteAt(11) << 24);
    headerStart = 12;
  } else {
    error = "unsupported .npy format version " + std::to_string(major);
    return false;
  }
  if (bytes.size() < headerStart + headerLen) {
    error = "truncated .npy header";
    return false;
  }
  std::string header(bytes.data() + headerStart, headerLen);

  HeaderParser parser(header);
  std::string descr;
  bool fortranOrder = false, haveDescr = false, haveOrder = false,
       haveShape = false;
  std::vector<int64_t> shape;
  if (!parser.consume('{')) {
    error = "malformed .npy header (expected a dict)";
    return false;
  }
  while (!parser.consume('}')) {
    std::string key;
    if (!parser.parseString(key) || !parser.consume(':')) {
      error = "malformed .npy header";
      return false;
    }
    bool ok;
    if (key == "descr")
      ok = haveDescr = parser.parseString(descr);
    else if (key == "fortran_order")
      ok = haveOrder = parser.parseBool(fortranOrder);
    else if (key == "shape")
      ok = haveShape = parser.parseShape(shape);
    else
      ok = false;
    if (!ok) {
      error = "malformed .npy header (bad or unknown key '" + key + "')";
      return false;
    }
    // Entries are separated by ',' (a trailing one is allowed); anything
    // else must close the dict.
    if (!parser.consume(',')) {
      if (!parser.consume('}')) {
        error = "malformed .npy header";
        return false;
      }
      break;
    }
  }
  if (!haveDescr || !haveOrder || !haveShape) {
    error = "malformed .npy header (needs descr, fortran_order and shape)";
    return false;
  }
  if (fortranOrder) {
    error = "Fortran-ordered arrays are not supported; save a C-contiguous array";
    return false;
  }
  // NumPy writes '<' for little-endian, '|' for byte-sized types; '=' is the
  // native order, little-endian on every host attnc runs on.
  if (descr.size() == 3 && descr[0] == '=')
    descr[0] = descr[2] == '1' ? '|' : '<';
  size_t itemSize = getNpyItemSize(descr);
  if (itemSize == 0) {
    error = "unsupported dtype '" + descr + "'";
    return false;
  }
  size_t numElements = 1;
  for (int64_t d : shape) {
    if (d != 0 && numElements > std::numeric_limits<size_t>::max() / itemSize / d) {
      error = "shape " + formatShape(shape) + " is too large";
      return false;
    }
    numElements *= d;
  }
  size_t expected = numElements * itemSize;
  size_t available = bytes.size() - headerStart - headerLen;
  if (available != expected) {
    error = (available < expected ? "truncated data: " : "trailing data: ") +
            std::string("shape ") + formatShape(shape) + " needs " +
            std::to_string(expected) + " bytes, the file holds " +
            std::to_string(available);
    return false;
  }
  array.descr = descr;
  array.shape = std::move(shape);
  array.data.assign(bytes.begin() + headerStart + headerLen, bytes.end());
  return true;
}

bool writeNpy(const std::string &path, const NpyArray &array,
              std::string &error) {
  return writeNpy(path, array.descr, array.shape, array.data.data(),
                  array.data.size(), error);
}

bool writeNpy(const std::string &path, const std::string &descr,
              const std::vector<int64_t> &shape, const char *data, size_t bytes,
              std::string &error) {
  std::string header = "{'descr': '" + descr +
                       "', 'fortran_order': False, 'shape': " +
                       formatShape(shape) + ", }";
  // Pad so that the data starts on a 64-byte boundary, ending in '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) {
    error = "cannot open for writing: " + std::string(std::strerror(errno));
    return false;
  }
  const char preamble[8] = {'\x93', 'N', 'U', 'M', 'P', 'Y', 1, 0};
  out.write(preamble, 8);
  char len[2] = {static_cast<char>(header.size() & 0xff),
                 static_cast<char>(header.size() >> 8)};
  out.write(len, 2);
  out.write(header.data(), header.size());
  out.write(data, bytes);
  out.close();
  if (!out) {
    error = "write failed: " + std::string(std::strerror(errno));
    return false;
  }
  return true;
}

} // namespace attnc::runtime
