//===- NpyFuzzer.cpp - libFuzzer target for the .npy reader ---------------===//
//
// Reads the input with readNpy (gzip-compressed or raw) and, when it is
// accepted, checks what the reader promises: data of the shape's byte size,
// conversions that run over every element, and a writeNpyBytes round trip
// that reads back the same array. Errors are fine; crashes, sanitizer
// reports and broken promises (abort) are findings.
//
//===----------------------------------------------------------------------===//

#include "FuzzFile.h"

#include "mlopt/Runtime/Data.h"

#include "llvm/Support/Error.h"

#include <cstdlib>

using namespace mlir::mlopt::runtime;

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  mlopt_fuzz::limitAllocations();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = mlopt_fuzz::writeInput(data, size, ".npy");
  llvm::Expected<NpyArray> array = readNpy(path);
  if (!array) {
    llvm::consumeError(array.takeError());
    return 0;
  }
  int64_t count = array->numElements();
  if (count < 0 ||
      array->data.size() != uint64_t(count) * dtypeSize(array->dtype))
    std::abort();
  if (array->toFloat32().size() != uint64_t(count))
    std::abort();
  if (llvm::Expected<std::vector<int64_t>> ints = array->toInt64(path)) {
    if (ints->size() != uint64_t(count))
      std::abort();
  } else {
    llvm::consumeError(ints.takeError());
  }

  // What readNpy accepted, writeNpyBytes writes and readNpy reads back.
  llvm::Expected<std::vector<uint8_t>> bytes = writeNpyBytes(*array);
  if (!bytes) {
    llvm::consumeError(bytes.takeError());
    std::abort();
  }
  std::string again =
      mlopt_fuzz::writeInput(bytes->data(), bytes->size(), ".npy");
  llvm::Expected<NpyArray> reread = readNpy(again);
  if (!reread) {
    llvm::consumeError(reread.takeError());
    std::abort();
  }
  if (reread->dtype != array->dtype || reread->shape != array->shape ||
      reread->data != array->data)
    std::abort();
  return 0;
}
