//===- Mpi.cpp - the Open MPI communicator --------------------------------===//
//
// Collectives on CPU buffers over a duplicate of MPI_COMM_WORLD. Every call
// is non-blocking (MPI_I*) and polled with MPI_Test against the timeout, so
// a rank that never joins gives an error naming the operation and the
// ranks it waits for instead of a hang; a timed-out request is kept (MPI
// may still complete it) and never freed. Errors come back as codes
// (MPI_ERRORS_RETURN). f16 and bf16 reductions run in f32 on the host
// (converted before and rounded once after), which the reduction of any
// two ranks' values needs to be correct; their other collectives move the
// bits. Booleans (one byte, 0/1) reduce as logical or (sum, mean, max) and
// logical and (min). A mean is the sum divided by the size on the host.
//
//===----------------------------------------------------------------------===//

#include "../RuntimeError.h"
#include "Backends.h"

#include "llvm/Support/FormatVariadic.h"

// The C API only (Open MPI's C++ bindings warn).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <chrono>
#include <climits>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <thread>
#include <vector>

using namespace mlir::mlopt::runtime;
using llvm::Error;
using llvm::Expected;

namespace {

const char *reductionName(Reduction reduction) {
  switch (reduction) {
  case Reduction::Sum:
    return "sum";
  case Reduction::Mean:
    return "mean";
  case Reduction::Max:
    return "max";
  case Reduction::Min:
    return "min";
  }
  return "?";
}

/// The MPI type elements of `dtype` move as (f16 and bf16 as their bits).
MPI_Datatype mpiType(DType dtype) {
  switch (dtype) {
  case DType::F64:
    return MPI_DOUBLE;
  case DType::F32:
    return MPI_FLOAT;
  case DType::F16:
  case DType::BF16:
    return MPI_UINT16_T;
  case DType::I64:
    return MPI_INT64_T;
  case DType::I32:
    return MPI_INT32_T;
  case DType::I16:
    return MPI_INT16_T;
  case DType::I8:
    return MPI_INT8_T;
  case DType::U8:
  case DType::Bool:
    return MPI_UINT8_T;
  }
  return MPI_BYTE;
}

MPI_Op mpiOp(DType dtype, Reduction reduction) {
  if (dtype == DType::Bool)
    return reduction == Reduction::Min ? MPI_LAND : MPI_LOR;
  switch (reduction) {
  case Reduction::Sum:
  case Reduction::Mean:
    return MPI_SUM;
  case Reduction::Max:
    return MPI_MAX;
  case Reduction::Min:
    return MPI_MIN;
  }
  return MPI_SUM;
}

bool isHalf(DType dtype) { return dtype == DType::F16 || dtype == DType::BF16; }

float bf16ToF32(uint16_t bits) {
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof(value));
  return value;
}

uint16_t f32ToBF16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  if ((bits & 0x7fffffffu) > 0x7f800000u) // NaN: keep it quiet
    return static_cast<uint16_t>((bits >> 16) | 0x40);
  uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  return static_cast<uint16_t>((bits + rounding) >> 16);
}

/// `count` f16/bf16 elements widened to f32.
std::vector<float> widen(DType dtype, const void *data, int64_t count) {
  std::vector<float> wide(count);
  const auto *bytes = static_cast<const uint8_t *>(data);
  if (dtype == DType::BF16) {
    const auto *bits = static_cast<const uint16_t *>(data);
    for (int64_t i = 0; i < count; ++i)
      wide[i] = bf16ToF32(bits[i]);
  } else {
    for (int64_t i = 0; i < count; ++i)
      wide[i] = static_cast<float>(loadElementAsDouble(dtype, bytes, i));
  }
  return wide;
}

/// f32 values rounded (to nearest even) into `count` f16/bf16 elements.
void narrow(DType dtype, const float *wide, void *data, int64_t count) {
  if (dtype == DType::BF16) {
    auto *bits = static_cast<uint16_t *>(data);
    for (int64_t i = 0; i < count; ++i)
      bits[i] = f32ToBF16(wide[i]);
    return;
  }
  auto *bytes = static_cast<uint8_t *>(data);
  for (int64_t i = 0; i < count; ++i)
    storeElement(dtype, bytes, i, wide[i]);
}

/// `data` (count elements of `dtype`) divided by `size`: the mean's step
/// after the sum (integers truncate; booleans stay).
void divideBySize(DType dtype, void *data, int64_t count, int size) {
  if (size == 1)
    return;
  auto divide = [&](auto *values) {
    for (int64_t i = 0; i < count; ++i)
      values[i] = values[i] / size;
  };
  switch (dtype) {
  case DType::F64:
    return divide(static_cast<double *>(data));
  case DType::F32:
    return divide(static_cast<float *>(data));
  case DType::I64:
    return divide(static_cast<int64_t *>(data));
  case DType::I32:
    return divide(static_cast<int32_t *>(data));
  case DType::I16:
    return divide(static_cast<int16_t *>(data));
  case DType::I8:
    return divide(static_cast<int8_t *>(data));
  case DType::U8:
    return divide(static_cast<uint8_t *>(data));
  case DType::F16:
  case DType::BF16:
  case DType::Bool:
    return;
  }
}

class MpiCommunicator : public Communicator {
public:
  explicit MpiCommunicator(MPI_Comm comm) : comm(comm) {
    MPI_Comm_rank(comm, &rankValue);
    MPI_Comm_size(comm, &sizeValue);
  }

  int rank() const override { return rankValue; }
  int size() const override { return sizeValue; }
  llvm::StringRef backendName() const override { return "mpi"; }

  Error allReduce(const void *send, void *recv, int64_t count, DType dtype,
                  Reduction reduction) override {
    std::string what = describe("all_reduce", reduction, count, dtype);
    if (Error error = checkCount(what, count))
      return error;
    countCall(count * dtypeSize(dtype));
    if (isHalf(dtype)) {
      std::vector<float> wide = widen(dtype, send, count);
      if (Error error = allReduceRaw(
              wide.data(), wide.data(), count, DType::F32,
              reduction == Reduction::Mean ? Reduction::Sum : reduction, what))
        return error;
      if (reduction == Reduction::Mean)
        divideBySize(DType::F32, wide.data(), count, sizeValue);
      narrow(dtype, wide.data(), recv, count);
      return Error::success();
    }
    if (Error error = allReduceRaw(send, recv, count, dtype, reduction, what))
      return error;
    if (reduction == Reduction::Mean)
      divideBySize(dtype, recv, count, sizeValue);
    return Error::success();
  }

  Error allGather(const void *send, void *recv, int64_t count,
                  DType dtype) override {
    std::string what = describe("all_gather", std::nullopt, count, dtype);
    if (Error error = checkCount(what, count))
      return error;
    countCall(count * dtypeSize(dtype));
    MPI_Request request;
    if (int code = MPI_Iallgather(send, static_cast<int>(count), mpiType(dtype),
                                  recv, static_cast<int>(count), mpiType(dtype),
                                  comm, &request))
      return mpiError(what, code);
    return wait(request, what, othersText());
  }

  Error reduceScatter(const void *send, void *recv, int64_t count, DType dtype,
                      Reduction reduction) override {
    std::string what = describe("reduce_scatter", reduction, count, dtype);
    if (Error error = checkCount(what, count * sizeValue))
      return error;
    int64_t total = count * sizeValue;
    countCall(total * dtypeSize(dtype));
    Reduction combined =
        reduction == Reduction::Mean ? Reduction::Sum : reduction;
    if (isHalf(dtype)) {
      std::vector<float> wide = widen(dtype, send, total);
      std::vector<float> chunk(count);
      if (Error error = reduceScatterRaw(wide.data(), chunk.data(), count,
                                         DType::F32, combined, what))
        return error;
      if (reduction == Reduction::Mean)
        divideBySize(DType::F32, chunk.data(), count, sizeValue);
      narrow(dtype, chunk.data(), recv, count);
      return Error::success();
    }
    std::vector<uint8_t> copy;
    if (send == recv) {
      const auto *bytes = static_cast<const uint8_t *>(send);
      copy.assign(bytes, bytes + total * dtypeSize(dtype));
      send = copy.data();
    }
    if (Error error =
            reduceScatterRaw(send, recv, count, dtype, combined, what))
      return error;
    if (reduction == Reduction::Mean)
      divideBySize(dtype, recv, count, sizeValue);
    return Error::success();
  }

  Error broadcast(void *buffer, int64_t count, DType dtype, int root) override {
    std::string what = describe("broadcast", std::nullopt, count, dtype) +
                       llvm::formatv(" from rank {0}", root).str();
    if (Error error = checkCount(what, count))
      return error;
    if (Error error = checkRank(what, root))
      return error;
    countCall(count * dtypeSize(dtype));
    MPI_Request request;
    if (int code = MPI_Ibcast(buffer, static_cast<int>(count), mpiType(dtype),
                              root, comm, &request))
      return mpiError(what, code);
    return wait(request, what, othersText());
  }

  Error reduce(const void *send, void *recv, int64_t count, DType dtype,
               Reduction reduction, int root) override {
    std::string what = describe("reduce", reduction, count, dtype) +
                       llvm::formatv(" to rank {0}", root).str();
    if (Error error = checkCount(what, count))
      return error;
    if (Error error = checkRank(what, root))
      return error;
    countCall(count * dtypeSize(dtype));
    Reduction combined =
        reduction == Reduction::Mean ? Reduction::Sum : reduction;
    bool isRoot = rankValue == root;
    if (isHalf(dtype)) {
      std::vector<float> wide = widen(dtype, send, count);
      std::vector<float> result(isRoot ? count : 0);
      if (Error error = reduceRaw(wide.data(), result.data(), count, DType::F32,
                                  combined, root, what))
        return error;
      if (isRoot) {
        if (reduction == Reduction::Mean)
          divideBySize(DType::F32, result.data(), count, sizeValue);
        narrow(dtype, result.data(), recv, count);
      }
      return Error::success();
    }
    if (Error error = reduceRaw(send, recv, count, dtype, combined, root, what))
      return error;
    if (isRoot && reduction == Reduction::Mean)
      divideBySize(dtype, recv, count, sizeValue);
    return Error::success();
  }

  Error send(const void *buffer, int64_t count, DType dtype,
             int dest) override {
    std::string what = describe("send", std::nullopt, count, dtype) +
                       llvm::formatv(" to rank {0}", dest).str();
    if (Error error = checkPeer(what, dest))
      return error;
    int64_t bytes = count * dtypeSize(dtype);
    if (Error error = checkCount(what, bytes))
      return error;
    countCall(bytes);
    MPI_Request request;
    if (int code = MPI_Isend(buffer, static_cast<int>(bytes), MPI_BYTE, dest,
                             kTag, comm, &request))
      return mpiError(what, code);
    return wait(request, what, llvm::formatv("rank {0}", dest).str());
  }

  Error recv(void *buffer, int64_t count, DType dtype, int source) override {
    std::string what = describe("recv", std::nullopt, count, dtype) +
                       llvm::formatv(" from rank {0}", source).str();
    if (Error error = checkPeer(what, source))
      return error;
    int64_t bytes = count * dtypeSize(dtype);
    if (Error error = checkCount(what, bytes))
      return error;
    countCall(0);
    MPI_Request request;
    if (int code = MPI_Irecv(buffer, static_cast<int>(bytes), MPI_BYTE, source,
                             kTag, comm, &request))
      return mpiError(what, code);
    MPI_Status status;
    if (Error error = wait(request, what,
                           llvm::formatv("rank {0}", source).str(), &status))
      return error;
    int received = 0;
    MPI_Get_count(&status, MPI_BYTE, &received);
    if (received != bytes)
      return detail::makeError(llvm::formatv(
          "{0} on rank {1} of {2}: received {3} bytes, expected {4}", what,
          rankValue, sizeValue, received, bytes));
    return Error::success();
  }

  Error barrier() override {
    MPI_Request request;
    if (int code = MPI_Ibarrier(comm, &request))
      return mpiError("barrier", code);
    return wait(request, "barrier", othersText());
  }

  [[noreturn]] void abort(int exitCode) override {
    std::fflush(nullptr);
    MPI_Abort(MPI_COMM_WORLD, exitCode);
    std::_Exit(exitCode);
  }

private:
  static constexpr int kTag = 7001;

  std::string describe(const char *op, std::optional<Reduction> reduction,
                       int64_t count, DType dtype) const {
    std::string text = op;
    if (reduction)
      text += std::string(" ") + reductionName(*reduction);
    return text +
           llvm::formatv(" of {0} {1} elements", count, dtypeMLIRName(dtype))
               .str();
  }

  /// The ranks a collective waits for: every other one.
  std::string othersText() const {
    if (sizeValue - 1 > 8)
      return llvm::formatv("the {0} other ranks", sizeValue - 1).str();
    std::string text = sizeValue == 2 ? "rank" : "ranks";
    bool first = true;
    for (int r = 0; r < sizeValue; ++r) {
      if (r == rankValue)
        continue;
      text += (first ? " " : ", ") + std::to_string(r);
      first = false;
    }
    return text;
  }

  Error checkCount(llvm::StringRef what, int64_t count) const {
    if (count >= 0 && count <= INT_MAX)
      return Error::success();
    return detail::makeError(llvm::formatv(
        "{0}: {1} elements are more than one MPI call moves", what, count));
  }
  Error checkRank(llvm::StringRef what, int root) const {
    if (root >= 0 && root < sizeValue)
      return Error::success();
    return detail::makeError(llvm::formatv("{0}: no rank {1} in a world of {2}",
                                           what, root, sizeValue));
  }
  Error checkPeer(llvm::StringRef what, int peer) const {
    if (Error error = checkRank(what, peer))
      return error;
    if (peer != rankValue)
      return Error::success();
    return detail::makeError(
        llvm::formatv("{0}: rank {1} cannot exchange with itself", what, peer));
  }

  Error mpiError(llvm::StringRef what, int code) const {
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    MPI_Error_string(code, text, &length);
    return detail::makeError(llvm::formatv("{0} failed on rank {1} of {2}: {3}",
                                           what, rankValue, sizeValue,
                                           llvm::StringRef(text, length)));
  }

  /// `seconds` as written by hand: 0.5, 60.
  static std::string secondsText(double seconds) {
    std::ostringstream os;
    os << seconds;
    return os.str();
  }

  /// Polls `request` until it completes, fails or the timeout passes.
  Error wait(MPI_Request &request, llvm::StringRef what, llvm::StringRef peers,
             MPI_Status *status = nullptr) {
    using Clock = std::chrono::steady_clock;
    Clock::time_point start = Clock::now();
    for (int64_t polls = 0;; ++polls) {
      int done = 0;
      MPI_Status local;
      if (int code = MPI_Test(&request, &done, status ? status : &local))
        return mpiError(what, code);
      if (done)
        return Error::success();
      double waited =
          std::chrono::duration<double>(Clock::now() - start).count();
      if (timeoutSeconds > 0 && waited > timeoutSeconds) {
        // MPI may still complete it into the caller's buffers; freeing a
        // collective's request is erroneous, so it stays here.
        abandoned.push_back(request);
        return detail::makeError(llvm::formatv(
            "{0} timed out after {1} s on rank {2} of {3} waiting for {4}",
            what, secondsText(timeoutSeconds), rankValue, sizeValue, peers));
      }
      // Spin briefly (the common, fast case), then yield the core: ranks
      // often outnumber cores.
      if (polls > 2000)
        std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }

  Error allReduceRaw(const void *send, void *recv, int64_t count, DType dtype,
                     Reduction reduction, llvm::StringRef what) {
    MPI_Request request;
    const void *in = send == recv ? MPI_IN_PLACE : send;
    if (int code =
            MPI_Iallreduce(in, recv, static_cast<int>(count), mpiType(dtype),
                           mpiOp(dtype, reduction), comm, &request))
      return mpiError(what, code);
    return wait(request, what, othersText());
  }

  Error reduceScatterRaw(const void *send, void *recv, int64_t count,
                         DType dtype, Reduction reduction,
                         llvm::StringRef what) {
    MPI_Request request;
    if (int code = MPI_Ireduce_scatter_block(
            send, recv, static_cast<int>(count), mpiType(dtype),
            mpiOp(dtype, reduction), comm, &request))
      return mpiError(what, code);
    return wait(request, what, othersText());
  }

  Error reduceRaw(const void *send, void *recv, int64_t count, DType dtype,
                  Reduction reduction, int root, llvm::StringRef what) {
    MPI_Request request;
    bool isRoot = rankValue == root;
    const void *in = isRoot && send == recv ? MPI_IN_PLACE : send;
    if (int code = MPI_Ireduce(in, isRoot ? recv : nullptr,
                               static_cast<int>(count), mpiType(dtype),
                               mpiOp(dtype, reduction), root, comm, &request))
      return mpiError(what, code);
    return wait(request, what,
                isRoot ? othersText() : llvm::formatv("rank {0}", root).str());
  }

  MPI_Comm comm;
  int rankValue = 0;
  int sizeValue = 1;
  std::vector<MPI_Request> abandoned;
};

/// The process's MPI world; MPI_Finalize when it is destroyed at exit.
struct MpiWorld {
  std::unique_ptr<MpiCommunicator> communicator;
  bool initializedHere = false;
  std::string error;

  MpiWorld() {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized) {
      int provided = 0;
      if (MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided) !=
          MPI_SUCCESS) {
        error = "MPI_Init_thread failed";
        return;
      }
      initializedHere = true;
    }
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm comm;
    if (int code = MPI_Comm_dup(MPI_COMM_WORLD, &comm)) {
      char text[MPI_MAX_ERROR_STRING];
      int length = 0;
      MPI_Error_string(code, text, &length);
      error = "MPI_Comm_dup failed: " + std::string(text, length);
      return;
    }
    MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    communicator = std::make_unique<MpiCommunicator>(comm);
  }
  ~MpiWorld() {
    communicator.reset();
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (initializedHere && !finalized)
      MPI_Finalize();
  }
};

} // namespace

namespace mlir::mlopt::runtime::detail {
Expected<Communicator &> getMpiWorldCommunicator() {
  static MpiWorld world;
  if (!world.communicator)
    return detail::makeError("cannot start MPI: " + world.error);
  return *world.communicator;
}
} // namespace mlir::mlopt::runtime::detail
