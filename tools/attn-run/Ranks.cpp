//===- Ranks.cpp - attn-run's MPI ranks -----------------------------------===//

#include "Ranks.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#ifdef ATTNC_HAVE_MPI
#include <mpi.h>
#endif

namespace attnc::ranks {

#ifdef ATTNC_HAVE_MPI

bool start(int &rank, int &size, std::string &error) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized && MPI_Init(nullptr, nullptr) != MPI_SUCCESS) {
    error = "MPI_Init failed";
    return false;
  }
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  return true;
}

void stop() { MPI_Finalize(); }

void abortAll(int code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

std::vector<char> gatherAlongAxis(const char *data,
                                  const std::vector<int64_t> &localShape,
                                  unsigned axis, size_t itemSize) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  int64_t outer = 1, chunk = itemSize;
  for (unsigned d = 0; d < localShape.size(); ++d)
    (d < axis ? outer : chunk) *= localShape[d];
  int64_t bytes = outer * chunk;
  std::vector<char> gathered(rank == 0 ? bytes * size : 0);
  // Byte counts may pass INT_MAX for large results: one datatype for a
  // rank's whole part keeps the count at 1.
  MPI_Datatype item;
  MPI_Type_contiguous(static_cast<int>(itemSize), MPI_BYTE, &item);
  MPI_Type_commit(&item);
  MPI_Datatype slice;
  MPI_Type_contiguous(static_cast<int>(bytes / itemSize), item, &slice);
  MPI_Type_commit(&slice);
  MPI_Gather(data, 1, slice, gathered.data(), 1, slice, 0, MPI_COMM_WORLD);
  MPI_Type_free(&slice);
  MPI_Type_free(&item);
  if (rank != 0)
    return {};
  // Gathered rank by rank: [rank][outer][chunk]; the array is
  // [outer][rank][chunk].
  std::vector<char> whole(gathered.size());
  for (int r = 0; r < size; ++r)
    for (int64_t o = 0; o < outer; ++o)
      std::memcpy(whole.data() + (o * size + r) * chunk,
                  gathered.data() + (r * outer + o) * chunk, chunk);
  return whole;
}

void barrier() { MPI_Barrier(MPI_COMM_WORLD); }

std::vector<double> gatherValues(double value) {
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  std::vector<double> values(rank == 0 ? size : 0);
  MPI_Gather(&value, 1, MPI_DOUBLE, values.data(), 1, MPI_DOUBLE, 0,
             MPI_COMM_WORLD);
  return values;
}

double stepMedian(const std::vector<double> &starts,
                  const std::vector<double> &ends) {
  int n = static_cast<int>(starts.size());
  std::vector<double> first(n), last(n);
  MPI_Reduce(starts.data(), first.data(), n, MPI_DOUBLE, MPI_MIN, 0,
             MPI_COMM_WORLD);
  MPI_Reduce(ends.data(), last.data(), n, MPI_DOUBLE, MPI_MAX, 0,
             MPI_COMM_WORLD);
  std::vector<double> steps(n);
  for (int i = 0; i < n; ++i)
    steps[i] = last[i] - first[i];
  std::sort(steps.begin(), steps.end());
  return n == 0 ? 0.0 : steps[n / 2];
}

double timeAllReduce(int64_t count, unsigned iterations) {
  std::vector<float> buffer(count, 1.0f);
  std::vector<double> times;
  for (unsigned i = 0; i <= iterations; ++i) {
    MPI_Barrier(MPI_COMM_WORLD);
    auto begin = std::chrono::steady_clock::now();
    MPI_Allreduce(MPI_IN_PLACE, buffer.data(), static_cast<int>(count),
                  MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    auto end = std::chrono::steady_clock::now();
    if (i > 0)
      times.push_back(std::chrono::duration<double, std::milli>(end - begin)
                          .count());
  }
  std::sort(times.begin(), times.end());
  return times.empty() ? 0.0 : times[times.size() / 2];
}

#else

bool start(int &, int &, std::string &error) {
  error = "attn-run was built without MPI (install OpenMPI or MPICH and "
          "reconfigure): --tensor-parallel needs it";
  return false;
}
void stop() {}
void abortAll(int code) { std::exit(code); }
std::vector<char> gatherAlongAxis(const char *, const std::vector<int64_t> &,
                                  unsigned, size_t) {
  return {};
}
void barrier() {}
std::vector<double> gatherValues(double value) { return {value}; }
double stepMedian(const std::vector<double> &, const std::vector<double> &) {
  return 0.0;
}
double timeAllReduce(int64_t, unsigned) { return 0.0; }

#endif

} // namespace attnc::ranks
