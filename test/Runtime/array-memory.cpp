//===- array-memory.cpp - where attn-run's input arrays live ----------------===//
//
// Reads back .npy files written to the directory given as the only argument
// and reports, for a large (3 MiB) and a small array, the alignment of their
// data and whether Linux marks the large one's mapping as advised for
// transparent huge pages (the "hg" flag in /proc/self/smaps).
//
//===----------------------------------------------------------------------===//

#include "attnc/Runtime/Npy.h"

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

using attnc::runtime::NpyArray;

static bool roundTrip(const std::string &path, int64_t elements,
                      NpyArray &read) {
  NpyArray written;
  written.descr = "<f4";
  written.shape = {elements};
  written.data.resize(elements * sizeof(float));
  for (int64_t i = 0; i < elements; ++i) {
    float value = static_cast<float>(i % 1000) * 0.5f - 7.0f;
    std::memcpy(written.data.data() + i * sizeof(float), &value, sizeof(float));
  }
  std::string error;
  if (!attnc::runtime::writeNpy(path, written, error) ||
      !attnc::runtime::readNpy(path, read, error)) {
    std::fprintf(stderr, "%s: %s\n", path.c_str(), error.c_str());
    return false;
  }
  return read.data == written.data;
}

/// The VmFlags of the mapping of /proc/self/smaps that holds `address`.
static std::string vmFlagsAt(const void *address) {
  std::ifstream smaps("/proc/self/smaps");
  auto target = reinterpret_cast<uintptr_t>(address);
  std::string line;
  bool inside = false;
  while (std::getline(smaps, line)) {
    unsigned long begin, end;
    if (std::sscanf(line.c_str(), "%lx-%lx ", &begin, &end) == 2) {
      inside = begin <= target && target < end;
      continue;
    }
    if (inside && line.rfind("VmFlags:", 0) == 0)
      return line.substr(8) + " ";
  }
  return "";
}

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIRECTORY\n", argv[0]);
    return 2;
  }
  std::string dir = argv[1];
  NpyArray large, small;
  bool ok = roundTrip(dir + "/large.npy", 3 << 18, large) &&
            roundTrip(dir + "/small.npy", 10, small);
  std::printf("values read back: %d\n", ok);
  if (!ok)
    return 1;
  auto offset = [](const NpyArray &a, uintptr_t alignment) {
    return reinterpret_cast<uintptr_t>(a.data.data()) % alignment;
  };
  std::printf("large data offset from 2 MiB: %zu\n",
              static_cast<size_t>(offset(large, uintptr_t(2) << 20)));
  std::printf("small data offset from 64 bytes: %zu\n",
              static_cast<size_t>(offset(small, 64)));
  std::ifstream thp("/sys/kernel/mm/transparent_hugepage/enabled");
  if (!thp) {
    std::printf("huge pages: not supported by this kernel\n");
    return 0;
  }
  std::string flags = vmFlagsAt(large.data.data());
  std::printf("huge pages advised: %d\n",
              flags.find(" hg ") != std::string::npos);
  return 0;
}
