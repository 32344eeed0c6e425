//===- Data.h - training data: IDX and .npy readers, batching ---*- C++ -*-===//
//
// Everything here reports failures as llvm::Error values whose message starts
// with the offending file; nothing asserts on the contents of a file.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_DATA_H
#define MLOPT_RUNTIME_DATA_H

#include "mlopt/Runtime/DType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace mlir::mlopt::runtime {

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

/// The total size a file's contents declare, given a prefix of them, or
/// std::nullopt while the prefix is too short to tell.
using ExpectedSizeFn =
    std::function<std::optional<uint64_t>(llvm::ArrayRef<uint8_t>)>;

/// Reads a whole regular file; when it starts with the gzip magic (1f 8b)
/// it is inflated (concatenated gzip members included). Corrupt or
/// truncated gzip streams are errors, and so is inflating past what
/// `expectedSize` reports for the contents' header or past the allocation
/// limit (allocationLimit()).
llvm::Expected<std::vector<uint8_t>>
readFileMaybeGzip(llvm::StringRef path,
                  const ExpectedSizeFn &expectedSize = nullptr);

/// The most bytes one allocation of the runtime may take: three quarters of
/// the machine's physical memory, or $MLOPT_MAX_ALLOCATION_BYTES when set.
uint64_t allocationLimit();
/// An error naming `what` when `bytes` exceed allocationLimit().
llvm::Error checkAllocation(uint64_t bytes, const llvm::Twine &what);

//===----------------------------------------------------------------------===//
// IDX (MNIST / Fashion-MNIST)
//===----------------------------------------------------------------------===//

/// An IDX array of unsigned bytes (type code 0x08), the only element type the
/// MNIST family uses. `shape` holds the dimensions from the header.
struct IdxArray {
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
};

/// Reads an IDX file of images (magic 0x00000803: [N, rows, cols] uint8),
/// gzip-compressed or raw.
llvm::Expected<IdxArray> readIdxImages(llvm::StringRef path);

/// Reads an IDX file of labels (magic 0x00000801: [N] uint8), gzip-compressed
/// or raw.
llvm::Expected<IdxArray> readIdxLabels(llvm::StringRef path);

//===----------------------------------------------------------------------===//
// NumPy .npy
//===----------------------------------------------------------------------===//

/// A C-ordered array read from a .npy file, with its little-endian bytes.
/// Its element type is any DType with a NumPy descr (npyDescr): every one
/// but bf16.
struct NpyArray {
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;

  int64_t numElements() const;
  /// The elements converted to float32 (integers are converted by value).
  std::vector<float> toFloat32() const;
  /// The elements converted to int64; fails for floating-point arrays.
  llvm::Expected<std::vector<int64_t>> toInt64(llvm::StringRef path) const;
};

/// Reads a .npy file (format versions 1.0, 2.0 and 3.0; C order only;
/// little-endian or byte-sized element types, see parseNpyDescr).
llvm::Expected<NpyArray> readNpy(llvm::StringRef path);

/// Serializes `array` in .npy format version 1.0 (used by tests and tools that
/// export data). The header is padded so the data starts 64-byte aligned, as
/// NumPy does. Fails for a dtype NumPy lacks (bf16) and for data whose size
/// does not match the shape.
llvm::Expected<std::vector<uint8_t>> writeNpyBytes(const NpyArray &array);

//===----------------------------------------------------------------------===//
// Dataset
//===----------------------------------------------------------------------===//

/// A dataset held in memory: inputs as float32 [N, sample shape...] and labels
/// either as class indices (int64 [N]) or as float32 targets [N, label
/// shape...].
class Dataset {
public:
  /// A classification dataset. When `numClasses` is set, every label must lie
  /// in [0, numClasses).
  static llvm::Expected<Dataset>
  createClassification(std::string name, std::vector<int64_t> sampleShape,
                       std::vector<float> inputs, std::vector<int64_t> labels,
                       std::optional<int64_t> numClasses);
  /// A dataset with float targets of shape `labelShape` per sample.
  static llvm::Expected<Dataset>
  createRegression(std::string name, std::vector<int64_t> sampleShape,
                   std::vector<float> inputs, std::vector<int64_t> labelShape,
                   std::vector<float> labels);

  /// What the dataset is called in error messages (usually the input file).
  llvm::StringRef name() const { return datasetName; }
  int64_t size() const { return numSamples; }
  llvm::ArrayRef<int64_t> sampleShape() const { return sampleDims; }
  /// Number of float32 values per sample.
  int64_t sampleNumElements() const { return sampleElements; }
  bool hasClassLabels() const { return !isRegression; }
  /// Number of classes, or std::nullopt for regression or when not given.
  std::optional<int64_t> numClasses() const { return classCount; }
  /// Shape of one float label (empty for class labels).
  llvm::ArrayRef<int64_t> labelShape() const { return labelDims; }
  int64_t labelNumElements() const { return labelElements; }

  llvm::ArrayRef<float> inputs() const { return inputValues; }
  llvm::ArrayRef<int64_t> classLabels() const { return classLabelValues; }
  llvm::ArrayRef<float> floatLabels() const { return floatLabelValues; }

  /// Reinterprets each sample with a new shape of the same element count
  /// (e.g. [28, 28] -> [784] for a model that takes flattened images).
  llvm::Error reshapeSamples(llvm::ArrayRef<int64_t> newShape);

  /// Copies the inputs of the samples `indices` into `out` (row-major,
  /// indices.size() * sampleNumElements() floats).
  void gatherInputs(llvm::ArrayRef<int64_t> indices,
                    llvm::MutableArrayRef<float> out) const;
  /// Copies the class labels of `indices` into `out`.
  void gatherClassLabels(llvm::ArrayRef<int64_t> indices,
                         llvm::MutableArrayRef<int64_t> out) const;
  /// Copies the float labels of `indices` into `out`.
  void gatherFloatLabels(llvm::ArrayRef<int64_t> indices,
                         llvm::MutableArrayRef<float> out) const;

private:
  Dataset() = default;

  std::string datasetName;
  int64_t numSamples = 0;
  std::vector<int64_t> sampleDims;
  int64_t sampleElements = 0;
  std::vector<float> inputValues;
  bool isRegression = false;
  std::optional<int64_t> classCount;
  std::vector<int64_t> classLabelValues;
  std::vector<int64_t> labelDims;
  int64_t labelElements = 1;
  std::vector<float> floatLabelValues;
};

/// Loads a pair of IDX files (images + labels). Pixels become float32 in
/// [0, 1] (value / 255, as torchvision's ToTensor); samples keep the
/// [rows, cols] shape of the file.
llvm::Expected<Dataset> loadIdxDataset(llvm::StringRef imagesPath,
                                       llvm::StringRef labelsPath,
                                       std::optional<int64_t> numClasses);

/// Loads a pair of .npy files. Inputs of any supported type are converted to
/// float32 by value (no scaling); integer labels become class indices and
/// must be one-dimensional, floating-point labels become float targets.
llvm::Expected<Dataset> loadNpyDataset(llvm::StringRef inputsPath,
                                       llvm::StringRef labelsPath,
                                       std::optional<int64_t> numClasses);

enum class Split { Train, Test };

/// Where Debian's dataset packages install their files.
inline constexpr const char *kDefaultDatasetRoot = "/usr/share/datasets";

/// The files of a named dataset.
struct DatasetFiles {
  std::string inputs;
  std::string labels;
  std::optional<int64_t> numClasses;
};

/// Resolves a dataset name ("fashion-mnist") to its files under `root`
/// (`<root>/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz`).
/// Unknown names are an error listing the known ones. Existence is checked
/// when loading.
llvm::Expected<DatasetFiles>
resolveDatasetFiles(llvm::StringRef name, Split split,
                    llvm::StringRef root = kDefaultDatasetRoot);

/// Resolves and loads a named dataset. A missing file of a known dataset is
/// reported together with the package that provides it.
llvm::Expected<Dataset>
loadNamedDataset(llvm::StringRef name, Split split,
                 llvm::StringRef root = kDefaultDatasetRoot);

//===----------------------------------------------------------------------===//
// Shuffling, sharding and batching
//===----------------------------------------------------------------------===//

/// SplitMix64 (Steele, Lea, Flood 2014): a 64-bit generator whose output is
/// fully specified, so a seed gives the same stream on every machine.
class SplitMix64 {
public:
  explicit SplitMix64(uint64_t seed) : state(seed) {}
  uint64_t next();
  /// A uniform integer in [0, bound) for bound > 0, by rejection sampling
  /// (no modulo bias): draws until r >= (2^64 - bound) % bound, returns
  /// r % bound.
  uint64_t nextBelow(uint64_t bound);

private:
  uint64_t state;
};

/// The order of `n` samples in `epoch` for `seed`: the identity permutation
/// shuffled by Fisher-Yates (for i = n-1 down to 1, swap i with
/// nextBelow(i + 1)) driven by SplitMix64 seeded with
/// seed ^ (0x9E3779B97F4A7C15 * (epoch + 1)). Same seed and epoch, same order,
/// on every machine; different epochs give different orders.
std::vector<int64_t> shuffledOrder(int64_t n, uint64_t seed, uint64_t epoch);

struct BatchOptions {
  int64_t batchSize = 1;
  /// Shuffle the samples every epoch (training); otherwise file order.
  bool shuffle = false;
  uint64_t seed = 0;
  /// Training drops the last partial batch. Evaluation keeps it: the batch is
  /// padded to batchSize by repeating its own valid samples from the first,
  /// and Batch::numValid says how many leading rows are real.
  bool dropLast = false;
  /// Data parallelism: this process is `rank` of `numRanks`.
  int64_t rank = 0;
  int64_t numRanks = 1;
};

/// One batch: exactly batchSize sample indices, of which the first numValid
/// are real samples and the rest padding.
struct Batch {
  std::vector<int64_t> indices;
  int64_t numValid = 0;
};

/// The batches of one epoch for one rank.
///
/// Sharding: every rank computes the same epoch order (shuffled or not) and
/// the same global batches of G = batchSize * numRanks samples: global batch
/// b is order[b * G, (b + 1) * G), and rank r takes its part
/// order[b * G + r * batchSize, +batchSize), clipped to N. So numRanks ranks
/// at batchSize B see, together, exactly the batches one rank sees at batch
/// G, and every rank gets the same number of batches (floor(N / G) with
/// dropLast, ceil(N / G) without), so the collectives of the step line up.
/// A rank whose part of the last global batch is empty (evaluation) gets a
/// batch of numValid 0 padded with the epoch's first sample.
class EpochPlan {
public:
  static llvm::Expected<EpochPlan>
  create(int64_t numSamples, const BatchOptions &options, uint64_t epoch);

  int64_t numBatches() const { return batchCount; }
  int64_t batchSize() const { return options.batchSize; }
  /// The sample indices this rank sees this epoch, in order, before padding.
  llvm::ArrayRef<int64_t> shard() const { return shardIndices; }
  /// Batch `b` in [0, numBatches()).
  Batch batch(int64_t b) const;
  /// The same into `into`, reusing its memory (the training loop's
  /// per-step call).
  void batch(int64_t b, Batch &into) const;

private:
  EpochPlan() = default;

  BatchOptions options;
  std::vector<int64_t> shardIndices;
  /// Where each batch's samples start in shardIndices.
  std::vector<int64_t> batchStarts;
  int64_t batchCount = 0;
  int64_t padIndex = 0;
};

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_DATA_H
