//===- Communicator.h - collectives between the ranks of a run --*- C++ -*-===//
//
// DESIGN section 5: one interface for the collectives, with an MPI backend
// for CPU buffers (Open MPI) and a world of one for a plain process; the
// GPU backend's NCCL communicator implements the same interface. A program
// started with `mpirun -np N` is one rank per process; without a launcher
// it is a world of one and needs no MPI at all.
//
// Compiled code reaches the communicator through the runtime functions
// `mlopt_comm_*` (CpuKernels.h), which use the *active* communicator: the
// one Session sets around each entry-point call (setActiveCommunicator).
// A failed collective (a timeout, an MPI error) does not unwind through the
// compiled code: the communicator records the first error, turns every
// later call into a no-op, and the session returns that error after the
// step (takeError).
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_COMMUNICATOR_H
#define MLOPT_RUNTIME_COMMUNICATOR_H

#include "mlopt/Runtime/DType.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <memory>
#include <string>

namespace mlir::mlopt::runtime {

/// How a collective combines the ranks' values (the IR's ReduceKind).
enum class Reduction { Sum, Mean, Max, Min };

/// What one communicator moved, counted on the calling rank: the bytes of
/// the buffers it handed to the collectives (the payload, before the
/// algorithm's own traffic).
struct CommStats {
  int64_t calls = 0;
  int64_t bytes = 0;
};

class Communicator {
public:
  virtual ~Communicator();

  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// "mpi", "local".
  virtual llvm::StringRef backendName() const = 0;

  /// `count` elements of `dtype` from `send` combined over all ranks into
  /// `recv` (which may equal `send`).
  virtual llvm::Error allReduce(const void *send, void *recv, int64_t count,
                                DType dtype, Reduction reduction) = 0;
  /// `count` elements from every rank, concatenated in rank order into
  /// `recv` (size() * count elements).
  virtual llvm::Error allGather(const void *send, void *recv, int64_t count,
                                DType dtype) = 0;
  /// size() * `count` elements combined over all ranks; rank r keeps the
  /// r-th block of `count` elements in `recv`.
  virtual llvm::Error reduceScatter(const void *send, void *recv, int64_t count,
                                    DType dtype, Reduction reduction) = 0;
  /// `root`'s `count` elements into `buffer` on every rank.
  virtual llvm::Error broadcast(void *buffer, int64_t count, DType dtype,
                                int root) = 0;
  /// Combined over all ranks into `recv` on `root`; other ranks' `recv` is
  /// left unchanged.
  virtual llvm::Error reduce(const void *send, void *recv, int64_t count,
                             DType dtype, Reduction reduction, int root) = 0;
  virtual llvm::Error send(const void *buffer, int64_t count, DType dtype,
                           int dest) = 0;
  virtual llvm::Error recv(void *buffer, int64_t count, DType dtype,
                           int source) = 0;
  virtual llvm::Error barrier() = 0;

  /// Ends every rank of the run now with a non-zero exit code (MPI_Abort
  /// for MPI; exit for a world of one). Used after this rank has printed
  /// its error, so that no other rank waits forever in a collective.
  [[noreturn]] virtual void abort(int exitCode) = 0;

  /// Seconds one collective may wait for the other ranks before it fails
  /// with an error naming the operation (0: no limit).
  void setTimeoutSeconds(double seconds) { timeoutSeconds = seconds; }
  double getTimeoutSeconds() const { return timeoutSeconds; }

  /// What this communicator moved since creation or resetStats.
  const CommStats &getStats() const { return stats; }
  void resetStats() { stats = {}; }

  /// The first error of a collective called from compiled code (see the
  /// file comment), or success; clears it.
  llvm::Error takeError();
  /// Records `error` as the pending one unless one is pending already.
  void recordError(llvm::Error error);
  bool hasPendingError() const { return !pendingError.empty(); }

protected:
  /// Counts one collective handing `bytes` of payload (CommStats).
  void countCall(int64_t bytes) {
    ++stats.calls;
    stats.bytes += bytes;
  }

  CommStats stats;
  double timeoutSeconds = 0;

private:
  /// Agreement is not a step's traffic: it leaves the statistics alone.
  friend llvm::Error agreeOnError(Communicator &communicator,
                                  llvm::Error local);

  std::string pendingError;
};

/// The world this process belongs to: MPI when the process was started by
/// an MPI launcher (mpirun sets OMPI_COMM_WORLD_SIZE / PMI_RANK), else a
/// world of one. Made on first use (MPI_Init_thread), finalized at exit.
llvm::Expected<Communicator &> getWorldCommunicator();

/// A world of one, with no MPI (collectives copy their input).
std::unique_ptr<Communicator> createLocalCommunicator();

/// The communicator compiled code uses (the mlopt_comm_* functions); null
/// means a world of one. Session sets it around each entry-point call.
void setActiveCommunicator(Communicator *communicator);
Communicator *getActiveCommunicator();
/// The communicator the mlopt_comm_* functions use: the active one, else a
/// process-wide world of one (whose pending error, e.g. a module compiled
/// for more ranks, a caller without an active communicator takes from it).
Communicator &getCommunicatorForCompiledCode();

/// Agreement at a synchronization point: every rank passes its own outcome
/// (success or an error); every rank gets back success when all succeeded,
/// else one error naming the failing ranks and the first one's message,
/// e.g. "rank 1 of 2 failed: cannot open 'x.idx': No such file" (each
/// rank's message is cut to 1019 bytes). Collective: every rank must call
/// it. Its exchange is not counted in getStats().
llvm::Error agreeOnError(Communicator &communicator, llvm::Error local);

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_COMMUNICATOR_H
