//===- Communicator.cpp - pending errors, the world, agreement ------------===//
//
// What every backend shares: the pending error of compiled code's
// collectives, the process's world and active communicator, and
// agreeOnError, which exchanges one fixed-size record per rank.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Runtime/Communicator.h"

#include "../RuntimeError.h"
#include "Backends.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace mlir::mlopt::runtime;
using llvm::Error;
using llvm::Expected;

Communicator::~Communicator() = default;

Error Communicator::takeError() {
  if (pendingError.empty())
    return Error::success();
  std::string message = std::move(pendingError);
  pendingError.clear();
  return detail::makeError(message);
}

void Communicator::recordError(Error error) {
  if (!error)
    return;
  std::string message = llvm::toString(std::move(error));
  if (pendingError.empty())
    pendingError = message.empty() ? "collective failed" : message;
}

namespace mlir::mlopt::runtime::detail {
bool isLaunchedByMpi() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") || std::getenv("PMI_RANK") ||
         std::getenv("PMIX_RANK");
}
} // namespace mlir::mlopt::runtime::detail

Expected<Communicator &> mlir::mlopt::runtime::getWorldCommunicator() {
  if (detail::isLaunchedByMpi()) {
#ifdef MLOPT_HAVE_MPI
    return detail::getMpiWorldCommunicator();
#else
    const char *size = std::getenv("OMPI_COMM_WORLD_SIZE");
    if (size && std::strcmp(size, "1") != 0)
      return detail::makeError(
          llvm::formatv("started by an MPI launcher with {0} ranks, but this "
                        "mlopt was built without MPI",
                        size));
#endif
  }
  static std::unique_ptr<Communicator> local = createLocalCommunicator();
  return *local;
}

static Communicator *activeCommunicator = nullptr;

void mlir::mlopt::runtime::setActiveCommunicator(Communicator *communicator) {
  activeCommunicator = communicator;
}

Communicator *mlir::mlopt::runtime::getActiveCommunicator() {
  return activeCommunicator;
}

Communicator &mlir::mlopt::runtime::getCommunicatorForCompiledCode() {
  if (activeCommunicator)
    return *activeCommunicator;
  static std::unique_ptr<Communicator> local = createLocalCommunicator();
  return *local;
}

namespace {
/// One rank's outcome as agreeOnError exchanges it: fixed size, so that one
/// allGather of bytes carries every rank's.
struct OutcomeRecord {
  int32_t failed;
  char message[1020];
};
static_assert(sizeof(OutcomeRecord) == 1024, "a fixed-size record");
} // namespace

Error mlir::mlopt::runtime::agreeOnError(Communicator &communicator,
                                         Error local) {
  int size = communicator.size();
  std::string localMessage;
  bool failed = static_cast<bool>(local);
  if (failed) {
    localMessage = llvm::toString(std::move(local));
  } else {
    llvm::consumeError(std::move(local));
  }
  OutcomeRecord mine;
  std::memset(&mine, 0, sizeof(mine));
  mine.failed = failed ? 1 : 0;
  std::strncpy(mine.message, localMessage.c_str(), sizeof(mine.message) - 1);

  std::vector<OutcomeRecord> all(size);
  // Agreement is not the step's traffic: leave the statistics as they were.
  CommStats saved = communicator.getStats();
  Error exchange =
      communicator.allGather(&mine, all.data(), sizeof(mine), DType::U8);
  communicator.stats = saved;
  if (exchange) {
    std::string message = llvm::toString(std::move(exchange));
    if (failed)
      message =
          localMessage + " (and the ranks could not agree: " + message + ")";
    return detail::makeError(message);
  }

  std::vector<int> failing;
  for (int r = 0; r < size; ++r)
    if (all[r].failed)
      failing.push_back(r);
  if (failing.empty())
    return Error::success();
  std::string ranks;
  for (size_t i = 0; i < failing.size(); ++i)
    ranks += (i ? ", " : "") + std::to_string(failing[i]);
  OutcomeRecord &first = all[failing.front()];
  first.message[sizeof(first.message) - 1] = 0;
  return detail::makeError(llvm::formatv("{0} {1} of {2} failed: {3}",
                                         failing.size() == 1 ? "rank" : "ranks",
                                         ranks, size, first.message));
}
