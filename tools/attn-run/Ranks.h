//===- Ranks.h - attn-run's MPI ranks ---------------------------*- C++ -*-===//
//
// What attn-run --tensor-parallel needs from MPI (the system's OpenMPI or
// MPICH; the compiled program makes its own MPI calls for its collectives):
// start and stop, the rank, and rank 0 gathering what the ranks computed.
// Built without MPI, start() reports that.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TOOLS_ATTN_RUN_RANKS_H
#define ATTNC_TOOLS_ATTN_RUN_RANKS_H

#include <cstdint>
#include <string>
#include <vector>

namespace attnc::ranks {

/// MPI_Init; the rank and the number of ranks. False, with `error`, when
/// attn-run was built without MPI.
bool start(int &rank, int &size, std::string &error);
/// MPI_Finalize.
void stop();
/// Ends every rank of the job (MPI_Abort): one rank's error must not leave
/// the others waiting in a collective.
[[noreturn]] void abortAll(int code);

/// Rank 0 receives the slices that the ranks hold of an array cut along
/// `axis` into equal contiguous parts (`localShape` is one rank's part) and
/// returns the whole array's bytes; other ranks return nothing.
std::vector<char> gatherAlongAxis(const char *data,
                                  const std::vector<int64_t> &localShape,
                                  unsigned axis, size_t itemSize);

/// Waits until every rank is here (MPI_Barrier).
void barrier();

/// Rank 0 receives one value from every rank.
std::vector<double> gatherValues(double value);

/// The median over iterations of the time from the first rank's start of
/// an iteration to the last rank's end of it (all ranks on one machine,
/// whose steady clock they share): a step as the job sees it, whoever ran
/// when. `starts` and `ends` are this rank's times in milliseconds. Rank 0
/// gets it; other ranks get 0.
double stepMedian(const std::vector<double> &starts,
                  const std::vector<double> &ends);

/// Median time in milliseconds of `iterations` MPI_Allreduce sums of
/// `count` floats over all ranks (after one warm-up).
double timeAllReduce(int64_t count, unsigned iterations);

} // namespace attnc::ranks

#endif // ATTNC_TOOLS_ATTN_RUN_RANKS_H
