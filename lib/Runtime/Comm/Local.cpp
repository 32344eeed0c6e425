//===- Local.cpp - the world of one ---------------------------------------===//
//
// A process without a launcher: every collective over one rank is a copy of
// its input (a mean over one rank is the value itself), broadcast and reduce
// have only root 0, and there is no peer to send to or receive from.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Runtime/Communicator.h"

#include "../RuntimeError.h"

#include "llvm/Support/FormatVariadic.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

using namespace mlir::mlopt::runtime;
using llvm::Error;

namespace {

class LocalCommunicator : public Communicator {
public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  llvm::StringRef backendName() const override { return "local"; }

  Error allReduce(const void *send, void *recv, int64_t count, DType dtype,
                  Reduction) override {
    return copy("all_reduce", send, recv, count, dtype);
  }
  Error allGather(const void *send, void *recv, int64_t count,
                  DType dtype) override {
    return copy("all_gather", send, recv, count, dtype);
  }
  Error reduceScatter(const void *send, void *recv, int64_t count, DType dtype,
                      Reduction) override {
    return copy("reduce_scatter", send, recv, count, dtype);
  }
  Error broadcast(void *, int64_t count, DType dtype, int root) override {
    if (Error error = checkRoot("broadcast", root))
      return error;
    countCall(count * dtypeSize(dtype));
    return Error::success();
  }
  Error reduce(const void *send, void *recv, int64_t count, DType dtype,
               Reduction, int root) override {
    if (Error error = checkRoot("reduce", root))
      return error;
    return copy("reduce", send, recv, count, dtype);
  }
  Error send(const void *, int64_t, DType, int dest) override {
    return detail::makeError(llvm::formatv(
        "send to rank {0}: a world of one rank has no other rank", dest));
  }
  Error recv(void *, int64_t, DType, int source) override {
    return detail::makeError(llvm::formatv(
        "recv from rank {0}: a world of one rank has no other rank", source));
  }
  Error barrier() override { return Error::success(); }

  [[noreturn]] void abort(int exitCode) override {
    std::fflush(nullptr);
    std::exit(exitCode);
  }

private:
  Error copy(const char *what, const void *send, void *recv, int64_t count,
             DType dtype) {
    if (count < 0)
      return detail::makeError(
          llvm::formatv("{0}: negative element count {1}", what, count));
    int64_t bytes = count * dtypeSize(dtype);
    countCall(bytes);
    if (send != recv && bytes)
      std::memmove(recv, send, bytes);
    return Error::success();
  }
  Error checkRoot(const char *what, int root) {
    if (root == 0)
      return Error::success();
    return detail::makeError(llvm::formatv(
        "{0}: root rank {1} does not exist in a world of one rank", what,
        root));
  }
};

} // namespace

std::unique_ptr<Communicator> mlir::mlopt::runtime::createLocalCommunicator() {
  return std::make_unique<LocalCommunicator>();
}
