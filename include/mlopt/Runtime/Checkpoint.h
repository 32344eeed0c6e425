//===- Checkpoint.h - safetensors checkpoints ------------------*- C++ -*-===//
//
// Checkpoints are safetensors files
// (https://github.com/huggingface/safetensors): an 8-byte little-endian header
// length, a JSON header naming every tensor with its dtype, shape and [begin,
// end) byte range, then the raw little-endian tensor bytes. Files written here
// are byte-identical to the reference implementation's for the same tensors and
// metadata, so PyTorch's `safetensors.torch.load_file` reads them and vice
// versa.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_CHECKPOINT_H
#define MLOPT_RUNTIME_CHECKPOINT_H

#include "mlopt/Runtime/DType.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace mlir::mlopt::runtime {

/// A named tensor's type: one entry of a compiled module's state manifest.
struct TensorSpec {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;

  /// Element count, or std::nullopt for a negative or overflowing shape.
  std::optional<int64_t> numElements() const;
  /// Byte size, or std::nullopt for a negative or overflowing shape.
  std::optional<int64_t> numBytes() const;
};

/// "F32 [10, 784]".
std::string formatTensorType(DType dtype, llvm::ArrayRef<int64_t> shape);

/// Total bytes of `specs` per dtype, in dtype order, omitting absent dtypes.
std::vector<std::pair<std::string, uint64_t>>
bytesPerDType(llvm::ArrayRef<TensorSpec> specs);

/// Elements of each rank's chunk when a tensor of `numElements` elements is
/// split over `ranks` ranks (ZeRO-1's optimizer-state shards): S =
/// ceil(numElements / ranks), at least 0; `ranks` must be at least 1.
int64_t shardElements(int64_t numElements, int64_t ranks);

/// Rank `rank`'s chunk of a full tensor: `full` (dense row-major elements of
/// `elementBytes` bytes each) flattened, zero-padded to `ranks` *
/// shardElements(n, ranks) elements, and its elements [rank * S, (rank + 1)
/// * S). Fails for a rank outside [0, ranks) or a size that is not a whole
/// number of elements.
llvm::Expected<std::vector<uint8_t>> extractShard(llvm::ArrayRef<uint8_t> full,
                                                  int64_t elementBytes,
                                                  int64_t ranks, int64_t rank);

/// The full tensor of `numElements` elements from `gathered`, the chunks of
/// every rank concatenated in rank order (what an all-gather of the chunks
/// returns): its first `numElements` elements, the padding dropped. The
/// bytes are the full tensor's in row-major order, so any shape of that
/// element count reads them. Fails when `gathered` holds fewer elements.
llvm::Expected<std::vector<uint8_t>>
assembleShards(llvm::ArrayRef<uint8_t> gathered, int64_t elementBytes,
               int64_t numElements);

/// A tensor to write: its type and a view of its little-endian bytes.
struct TensorRef {
  TensorSpec spec;
  llvm::ArrayRef<uint8_t> bytes;
};

/// String-to-string metadata stored under "__metadata__". PyTorch checkpoints
/// carry {"format": "pt"}.
using CheckpointMetadata = std::map<std::string, std::string>;

/// The complete file image of a safetensors file. Tensors are laid out like
/// the reference implementation: by dtype alignment, largest first
/// (I64, F64, F32, I32, BF16, F16, I16, I8, U8, BOOL), then by name; the header
/// lists "__metadata__" first (keys sorted; omitted when empty), then the
/// tensors in offset order, and is padded with spaces to a multiple of 8
/// bytes. Fails for duplicate, empty or reserved names, invalid UTF-8 and
/// byte counts that do not match the shape.
llvm::Expected<std::vector<uint8_t>>
serializeSafetensors(llvm::ArrayRef<TensorRef> tensors,
                     const CheckpointMetadata &metadata);

/// Writes a safetensors file atomically: the bytes go to a temporary file in
/// the same directory, which is flushed to disk and renamed over `path`. On
/// any failure the temporary file is removed and an existing `path` is left
/// untouched.
llvm::Error writeSafetensors(llvm::StringRef path,
                             llvm::ArrayRef<TensorRef> tensors,
                             const CheckpointMetadata &metadata);

/// A tensor of a safetensors file: its type and byte range in the data
/// section.
struct SafetensorsEntry {
  TensorSpec spec;
  uint64_t begin = 0;
  uint64_t end = 0;
};

/// A validated safetensors file, memory-mapped.
class SafetensorsFile {
public:
  /// Reads and validates `path`.
  static llvm::Expected<SafetensorsFile> open(llvm::StringRef path);
  /// Validates a file image; `name` is used in messages.
  static llvm::Expected<SafetensorsFile>
  parse(std::unique_ptr<llvm::MemoryBuffer> buffer, llvm::StringRef name);

  llvm::StringRef name() const { return fileName; }
  /// The tensors in offset order.
  llvm::ArrayRef<SafetensorsEntry> tensors() const { return entries; }
  /// The tensor called `name`, or nullptr.
  const SafetensorsEntry *lookup(llvm::StringRef name) const;
  /// The bytes of `entry`.
  llvm::ArrayRef<uint8_t> data(const SafetensorsEntry &entry) const;
  const CheckpointMetadata &metadata() const { return metadataMap; }

  /// Checks the file against the tensors a model expects. The error lists
  /// every mismatch at once: missing tensors, unexpected tensors, and shape
  /// or dtype differences.
  llvm::Error checkCompatible(llvm::ArrayRef<TensorSpec> expected) const;

private:
  SafetensorsFile() = default;

  std::string fileName;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  uint64_t dataStart = 0;
  std::vector<SafetensorsEntry> entries;
  llvm::StringMap<size_t> index;
  CheckpointMetadata metadataMap;
};

} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_CHECKPOINT_H
