//===- DatasetSpec.h - data sets named on the command line ------*- C++ -*-===//
//
// What `--train=` and `--test=` accept, and how a data set is fitted to a
// model's input and label arguments:
//   fashion-mnist          a named data set (Debian's dataset packages)
//   IMAGES:LABELS          a pair of IDX files (gzip or raw)
//   X.npy:Y.npy            a pair of NumPy files
//   synthetic[:N]          N generated samples shaped like the model's
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_DATASETSPEC_H
#define MLOPT_RUNTIME_DATASETSPEC_H

#include "mlopt/Runtime/Data.h"
#include "mlopt/Runtime/Session.h"

#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir::mlopt::runtime {

/// Whether `spec` names generated data (`synthetic` or `synthetic:N`).
bool isSyntheticSpec(llvm::StringRef spec);

/// The files `spec` reads: none for synthetic data, the two of an
/// `A:B` pair, the files of a named data set (none for an unknown name,
/// which loadDatasetSpec reports).
std::vector<std::string> getDatasetSpecFiles(llvm::StringRef spec, Split split);

/// Loads the data set `spec` names for the model of `signature` (synthetic
/// data takes its shapes from it; the test split draws other samples).
llvm::Expected<Dataset> loadDatasetSpec(llvm::StringRef spec, Split split,
                                        const ModelSignature &signature);

/// `synthetic[:N]` (default N = 1024): standard-normal inputs shaped like the
/// model's, labels from a fixed random linear teacher over the last
/// dimension (float labels) or the argmax of a 10-way teacher (class
/// labels), so training can learn them. `streamOffset` selects other
/// samples from the same teacher.
llvm::Expected<Dataset> makeSyntheticDataset(llvm::StringRef spec,
                                             const ModelSignature &signature,
                                             uint64_t streamOffset);

/// out[i] = float(counter_hash::randomNormal(seed, stream, i)) for every i,
/// on the runtime's thread pool: synthetic data's inputs.
void fillStandardNormal(llvm::MutableArrayRef<float> out, uint64_t seed,
                        uint64_t stream);

/// Checks that `dataset` can feed the model (element types, sample sizes,
/// label kind and range) and reshapes its samples to the model's.
llvm::Error fitDataset(Dataset &dataset, const ModelSignature &signature);

/// The bytes of one batch in the model's argument types, kept alive while a
/// step runs.
struct BatchBuffers {
  std::vector<uint8_t> inputs;
  std::vector<uint8_t> labels;
  std::vector<TensorRef> arguments;
};

/// Gathers the samples `indices` (a full batch) of a fitted data set into
/// `buffers`.
void fillBatch(const Dataset &dataset, const ModelSignature &signature,
               llvm::ArrayRef<int64_t> indices, BatchBuffers &buffers);

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_DATASETSPEC_H
