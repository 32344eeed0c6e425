//===- IdxFuzzer.cpp - libFuzzer target for the IDX readers ---------------===//
//
// Reads the input with readIdxImages and readIdxLabels (gzip-compressed or
// raw); an accepted array must hold exactly the bytes its shape describes.
// When the images parse, loadIdxDataset is run on them with a labels file of
// as many zeros, which covers the conversion to a Dataset. Errors are fine;
// crashes, sanitizer reports and broken promises (abort) are findings.
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

static void checkArray(const IdxArray &array, size_t rank) {
  if (array.shape.size() != rank)
    std::abort();
  uint64_t count = 1;
  for (int64_t dim : array.shape) {
    if (dim < 0)
      std::abort();
    count *= uint64_t(dim);
  }
  if (array.data.size() != count)
    std::abort();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string path = mlopt_fuzz::writeInput(data, size, ".idx");
  llvm::Expected<IdxArray> labels = readIdxLabels(path);
  if (labels)
    checkArray(*labels, 1);
  else
    llvm::consumeError(labels.takeError());

  llvm::Expected<IdxArray> images = readIdxImages(path);
  if (!images) {
    llvm::consumeError(images.takeError());
    return 0;
  }
  checkArray(*images, 3);

  // A matching labels file: magic 0x00000801, N, then N zero labels.
  // Every dimension may be huge when another is 0: keep the labels small.
  int64_t n = images->shape[0];
  if (n > (int64_t(1) << 16))
    return 0;
  std::vector<uint8_t> labelFile = {0, 0, 8, 1};
  for (int shift = 24; shift >= 0; shift -= 8)
    labelFile.push_back(uint8_t(uint64_t(n) >> shift));
  labelFile.resize(labelFile.size() + size_t(n), 0);
  std::string labelPath =
      mlopt_fuzz::writeInput(labelFile.data(), labelFile.size(), ".labels");
  llvm::Expected<Dataset> dataset =
      loadIdxDataset(path, labelPath, /*numClasses=*/10);
  if (!dataset) {
    llvm::consumeError(dataset.takeError());
    return 0;
  }
  if (dataset->size() != n || dataset->inputs().size() != images->data.size() ||
      dataset->classLabels().size() != uint64_t(n))
    std::abort();
  for (float pixel : dataset->inputs())
    if (!(pixel >= 0.0f && pixel <= 1.0f))
      std::abort();
  return 0;
}
