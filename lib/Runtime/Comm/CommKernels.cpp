//===- CommKernels.cpp - the mlopt_comm_* runtime functions ---------------===//
//
// Compiled code's side of the communicator (CommKernels.h): checks the
// op's rank count, packs a bucket into one buffer per dtype for a single
// exchange, and records errors on the communicator instead of returning
// them.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Runtime/CommKernels.h"
#include "mlopt/Runtime/Communicator.h"

#include "../RuntimeError.h"

#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

using namespace mlir::mlopt::runtime;

namespace {

struct BucketEntry {
  const uint8_t *input;
  uint8_t *output;
  int64_t outer;
  int64_t inner;
  int64_t dtype; // checked when the bucket is exchanged
};

/// The operands added since the last bucketed collective (calls from one
/// thread of compiled code follow one another).
thread_local std::vector<BucketEntry> pendingBucket;

std::vector<BucketEntry> takeBucket() {
  std::vector<BucketEntry> bucket = std::move(pendingBucket);
  pendingBucket.clear();
  return bucket;
}

void *toPointer(int64_t address) {
  return reinterpret_cast<void *>(static_cast<intptr_t>(address));
}

bool validDType(int64_t code) {
  return code >= 0 && code <= static_cast<int64_t>(DType::Bool);
}

/// The communicator to run `op` on, or null when it must not run (an error
/// is pending, or has just been recorded).
Communicator *prepare(const char *op, int64_t ranks) {
  Communicator &communicator = getCommunicatorForCompiledCode();
  if (communicator.hasPendingError())
    return nullptr;
  if (ranks != communicator.size()) {
    communicator.recordError(detail::makeError(
        llvm::formatv("mlopt.{0} compiled for {1} ranks, running on {2}", op,
                      ranks, communicator.size())));
    return nullptr;
  }
  return &communicator;
}

bool checkCodes(Communicator &communicator, const char *op, int64_t dtype,
                std::optional<int64_t> reduction) {
  if (!validDType(dtype)) {
    communicator.recordError(detail::makeError(
        llvm::formatv("mlopt.{0}: unknown dtype code {1}", op, dtype)));
    return false;
  }
  if (reduction && (*reduction < 0 || *reduction > 3)) {
    communicator.recordError(detail::makeError(llvm::formatv(
        "mlopt.{0}: unknown reduction code {1}", op, *reduction)));
    return false;
  }
  return true;
}

/// The bucket's entries grouped by dtype, in order of first appearance.
std::vector<std::vector<const BucketEntry *>>
groupByDType(const std::vector<BucketEntry> &bucket) {
  std::vector<std::vector<const BucketEntry *>> groups;
  for (const BucketEntry &entry : bucket) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const auto &g) {
      return g.front()->dtype == entry.dtype;
    });
    if (it == groups.end())
      groups.push_back({&entry});
    else
      it->push_back(&entry);
  }
  return groups;
}

int64_t elementSize(const BucketEntry &entry) {
  return dtypeSize(static_cast<DType>(entry.dtype));
}

/// Zeros in every output of the bucket, `outputBlocks` blocks of
/// outer * inner elements each.
void zeroOutputs(const std::vector<BucketEntry> &bucket, int64_t outputBlocks) {
  for (const BucketEntry &entry : bucket)
    if (validDType(entry.dtype))
      std::memset(entry.output, 0,
                  entry.outer * entry.inner * outputBlocks *
                      elementSize(entry));
}

/// Runs `exchange` for each dtype group of a bucket, zero-filling the
/// outputs when anything fails.
template <typename Exchange>
void runBucket(const char *op, int64_t ranks, std::optional<int64_t> reduction,
               int64_t outputBlocks, Exchange exchange) {
  std::vector<BucketEntry> bucket = takeBucket();
  Communicator *communicator = prepare(op, ranks);
  bool ok = communicator != nullptr;
  for (const BucketEntry &entry : bucket)
    ok = ok && checkCodes(*communicator, op, entry.dtype, reduction);
  if (ok) {
    for (const auto &group : groupByDType(bucket)) {
      if (llvm::Error error = exchange(*communicator, group)) {
        communicator->recordError(std::move(error));
        ok = false;
        break;
      }
    }
  }
  if (!ok)
    zeroOutputs(bucket, outputBlocks);
}

} // namespace

extern "C" void mlopt_comm_bucket_add(int64_t input, int64_t output,
                                      int64_t outer, int64_t inner,
                                      int64_t dtype) {
  pendingBucket.push_back({static_cast<const uint8_t *>(toPointer(input)),
                           static_cast<uint8_t *>(toPointer(output)), outer,
                           inner, dtype});
}

extern "C" void mlopt_comm_all_reduce(int64_t reduction, int64_t ranks) {
  auto kind = static_cast<Reduction>(reduction);
  runBucket("all_reduce", ranks, reduction, 1,
            [&](Communicator &communicator,
                const std::vector<const BucketEntry *> &group) -> llvm::Error {
              auto dtype = static_cast<DType>(group.front()->dtype);
              int64_t size = dtypeSize(dtype);
              if (group.size() == 1) {
                const BucketEntry &entry = *group.front();
                return communicator.allReduce(entry.input, entry.output,
                                              entry.outer * entry.inner, dtype,
                                              kind);
              }
              int64_t total = 0;
              for (const BucketEntry *entry : group)
                total += entry->outer * entry->inner;
              std::vector<uint8_t> packed(total * size);
              int64_t offset = 0;
              for (const BucketEntry *entry : group) {
                int64_t bytes = entry->outer * entry->inner * size;
                std::memcpy(packed.data() + offset, entry->input, bytes);
                offset += bytes;
              }
              if (llvm::Error error = communicator.allReduce(
                      packed.data(), packed.data(), total, dtype, kind))
                return error;
              offset = 0;
              for (const BucketEntry *entry : group) {
                int64_t bytes = entry->outer * entry->inner * size;
                std::memcpy(entry->output, packed.data() + offset, bytes);
                offset += bytes;
              }
              return llvm::Error::success();
            });
}

extern "C" void mlopt_comm_all_gather(int64_t ranks) {
  runBucket("all_gather", ranks, std::nullopt, ranks,
            [&](Communicator &communicator,
                const std::vector<const BucketEntry *> &group) -> llvm::Error {
              auto dtype = static_cast<DType>(group.front()->dtype);
              int64_t size = dtypeSize(dtype);
              int world = communicator.size();
              if (group.size() == 1 && group.front()->outer == 1) {
                const BucketEntry &entry = *group.front();
                return communicator.allGather(entry.input, entry.output,
                                              entry.inner, dtype);
              }
              // Each rank sends its operands back to back (T elements); rank
              // r's block of the gathered buffer lands in row r of every
              // [outer][ranks][inner] output.
              int64_t total = 0;
              for (const BucketEntry *entry : group)
                total += entry->outer * entry->inner;
              std::vector<uint8_t> packed(total * size);
              int64_t offset = 0;
              for (const BucketEntry *entry : group) {
                std::memcpy(packed.data() + offset * size, entry->input,
                            entry->outer * entry->inner * size);
                offset += entry->outer * entry->inner;
              }
              std::vector<uint8_t> gathered(total * world * size);
              if (llvm::Error error = communicator.allGather(
                      packed.data(), gathered.data(), total, dtype))
                return error;
              offset = 0;
              for (const BucketEntry *entry : group) {
                int64_t row = entry->inner * size;
                for (int r = 0; r < world; ++r)
                  for (int64_t o = 0; o < entry->outer; ++o)
                    std::memcpy(entry->output + (o * world + r) * row,
                                gathered.data() +
                                    (r * total + offset + o * entry->inner) *
                                        size,
                                row);
                offset += entry->outer * entry->inner;
              }
              return llvm::Error::success();
            });
}

extern "C" void mlopt_comm_reduce_scatter(int64_t reduction, int64_t ranks) {
  auto kind = static_cast<Reduction>(reduction);
  runBucket("reduce_scatter", ranks, reduction, 1,
            [&](Communicator &communicator,
                const std::vector<const BucketEntry *> &group) -> llvm::Error {
              auto dtype = static_cast<DType>(group.front()->dtype);
              int64_t size = dtypeSize(dtype);
              int world = communicator.size();
              if (group.size() == 1 && group.front()->outer == 1) {
                const BucketEntry &entry = *group.front();
                return communicator.reduceScatter(entry.input, entry.output,
                                                  entry.inner, dtype, kind);
              }
              // Block r of the packed buffer holds chunk r of every operand (C
              // elements per rank); this rank's reduced block unpacks in order.
              int64_t chunk = 0;
              for (const BucketEntry *entry : group)
                chunk += entry->outer * entry->inner;
              std::vector<uint8_t> packed(chunk * world * size);
              int64_t offset = 0;
              for (const BucketEntry *entry : group) {
                int64_t row = entry->inner * size;
                for (int r = 0; r < world; ++r)
                  for (int64_t o = 0; o < entry->outer; ++o)
                    std::memcpy(packed.data() +
                                    (r * chunk + offset + o * entry->inner) *
                                        size,
                                entry->input + (o * world + r) * row, row);
                offset += entry->outer * entry->inner;
              }
              std::vector<uint8_t> mine(chunk * size);
              if (llvm::Error error = communicator.reduceScatter(
                      packed.data(), mine.data(), chunk, dtype, kind))
                return error;
              offset = 0;
              for (const BucketEntry *entry : group) {
                int64_t bytes = entry->outer * entry->inner * size;
                std::memcpy(entry->output, mine.data() + offset * size, bytes);
                offset += entry->outer * entry->inner;
              }
              return llvm::Error::success();
            });
}

extern "C" void mlopt_comm_broadcast(int64_t input, int64_t output,
                                     int64_t count, int64_t dtype, int64_t root,
                                     int64_t ranks) {
  void *out = toPointer(output);
  Communicator *communicator = prepare("broadcast", ranks);
  if (!communicator || !checkCodes(*communicator, "broadcast", dtype, {})) {
    if (validDType(dtype))
      std::memset(out, 0, count * dtypeSize(static_cast<DType>(dtype)));
    return;
  }
  auto type = static_cast<DType>(dtype);
  std::memcpy(out, toPointer(input), count * dtypeSize(type));
  if (llvm::Error error =
          communicator->broadcast(out, count, type, static_cast<int>(root))) {
    communicator->recordError(std::move(error));
    std::memset(out, 0, count * dtypeSize(type));
  }
}

extern "C" void mlopt_comm_reduce(int64_t input, int64_t output, int64_t count,
                                  int64_t dtype, int64_t reduction,
                                  int64_t root, int64_t ranks) {
  void *out = toPointer(output);
  if (validDType(dtype))
    std::memset(out, 0, count * dtypeSize(static_cast<DType>(dtype)));
  Communicator *communicator = prepare("reduce", ranks);
  if (!communicator || !checkCodes(*communicator, "reduce", dtype, reduction))
    return;
  auto type = static_cast<DType>(dtype);
  if (llvm::Error error = communicator->reduce(
          toPointer(input), out, count, type, static_cast<Reduction>(reduction),
          static_cast<int>(root))) {
    communicator->recordError(std::move(error));
    std::memset(out, 0, count * dtypeSize(type));
  }
}

extern "C" void mlopt_comm_send(int64_t input, int64_t count, int64_t dtype,
                                int64_t dest, int64_t ranks) {
  Communicator *communicator = prepare("send", ranks);
  if (!communicator || !checkCodes(*communicator, "send", dtype, {}))
    return;
  if (llvm::Error error =
          communicator->send(toPointer(input), count, static_cast<DType>(dtype),
                             static_cast<int>(dest)))
    communicator->recordError(std::move(error));
}

extern "C" void mlopt_comm_recv(int64_t output, int64_t count, int64_t dtype,
                                int64_t source, int64_t ranks) {
  void *out = toPointer(output);
  if (validDType(dtype))
    std::memset(out, 0, count * dtypeSize(static_cast<DType>(dtype)));
  Communicator *communicator = prepare("recv", ranks);
  if (!communicator || !checkCodes(*communicator, "recv", dtype, {}))
    return;
  auto type = static_cast<DType>(dtype);
  if (llvm::Error error =
          communicator->recv(out, count, type, static_cast<int>(source))) {
    communicator->recordError(std::move(error));
    std::memset(out, 0, count * dtypeSize(type));
  }
}

extern "C" int64_t mlopt_comm_rank(int64_t ranks) {
  Communicator *communicator = prepare("local_shard", ranks);
  return communicator ? communicator->rank() : 0;
}
