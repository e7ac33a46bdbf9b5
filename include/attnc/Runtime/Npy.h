//===- Npy.h - .npy array files ---------------------------------*- C++ -*-===//
//
// Reading and writing NumPy's .npy format (versions 1-3, little-endian, C
// order). No MLIR dependency: compiled code and tools share it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_NPY_H
#define ATTNC_RUNTIME_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace attnc::runtime {

/// Bytes for array data that compiled kernels read: 64-byte aligned (a cache
/// line), and from 2 MiB on 2 MiB aligned and, on Linux, advised for
/// transparent huge pages, as NumPy does for its large arrays. Decode
/// kernels stream K/V and latent caches of tens of megabytes: with 4 KiB
/// pages their prefetches miss the TLB on every page. Aborts when memory is
/// exhausted, as `new` does without exceptions.
void *allocateArrayData(size_t bytes);
void freeArrayData(void *data);

/// A std::vector allocator over allocateArrayData.
template <typename T>
struct ArrayDataAllocator {
  using value_type = T;
  ArrayDataAllocator() = default;
  template <typename U>
  ArrayDataAllocator(const ArrayDataAllocator<U> &) {}
  T *allocate(size_t n) {
    return static_cast<T *>(allocateArrayData(n * sizeof(T)));
  }
  void deallocate(T *p, size_t) { freeArrayData(p); }
  template <typename U>
  bool operator==(const ArrayDataAllocator<U> &) const {
    return true;
  }
};

struct NpyArray {
  /// NumPy type string, e.g. "<f4", "<u2", "|b1".
  std::string descr;
  std::vector<int64_t> shape;
  std::vector<char, ArrayDataAllocator<char>> data;

  size_t getNumElements() const;
  /// Human-readable dtype, e.g. "float32"; the descr itself if unknown.
  std::string getDTypeName() const;
};

/// Size in bytes of one element of `descr`, or 0 if attnc does not read it.
size_t getNpyItemSize(const std::string &descr);

/// Reads `path`. On failure returns false and sets `error` to a message that
/// says what is wrong with the file (not where it came from).
bool readNpy(const std::string &path, NpyArray &array, std::string &error);

/// Serialises `array` in .npy version 1.0 to `path`.
bool writeNpy(const std::string &path, const NpyArray &array,
              std::string &error);

/// Serialises `bytes` bytes at `data`, a C-order array of `shape` and
/// `descr`, without copying them first.
bool writeNpy(const std::string &path, const std::string &descr,
              const std::vector<int64_t> &shape, const char *data, size_t bytes,
              std::string &error);

/// "(1, 8, 256)"-style rendering of a shape, as NumPy prints it.
std::string formatShape(const std::vector<int64_t> &shape);

} // namespace attnc::runtime

#endif // ATTNC_RUNTIME_NPY_H
