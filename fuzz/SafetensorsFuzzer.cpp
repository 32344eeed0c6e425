//===- SafetensorsFuzzer.cpp - libFuzzer target for the checkpoint reader -===//
//
// Parses the input with SafetensorsFile::parse and, when it is accepted,
// checks what the reader promises: every tensor's bytes lie in the buffer and
// match its shape, lookup finds each tensor, the file is compatible with its
// own tensor list, and serializeSafetensors writes a file that parses to the
// same tensors and metadata. Errors are fine; crashes, sanitizer reports and
// broken promises (abort) are findings.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Runtime/Checkpoint.h"

#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdlib>

using namespace mlir::mlopt::runtime;

static llvm::Expected<SafetensorsFile> parseBytes(llvm::StringRef bytes) {
  return SafetensorsFile::parse(
      llvm::MemoryBuffer::getMemBufferCopy(bytes, "fuzz.safetensors"),
      "fuzz.safetensors");
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::Expected<SafetensorsFile> file =
      parseBytes(llvm::StringRef(reinterpret_cast<const char *>(data), size));
  if (!file) {
    llvm::consumeError(file.takeError());
    return 0;
  }

  std::vector<TensorSpec> specs;
  std::vector<TensorRef> refs;
  for (const SafetensorsEntry &entry : file->tensors()) {
    std::optional<int64_t> bytes = entry.spec.numBytes();
    llvm::ArrayRef<uint8_t> contents = file->data(entry);
    if (!bytes || contents.size() != uint64_t(*bytes) ||
        entry.end - entry.begin != contents.size())
      std::abort();
    // Touch every byte, so ASan sees a range past the buffer.
    volatile uint8_t sum = 0;
    for (uint8_t byte : contents)
      sum = sum + byte;
    if (file->lookup(entry.spec.name) != &entry)
      std::abort();
    specs.push_back(entry.spec);
    refs.push_back({entry.spec, contents});
  }
  if (llvm::Error err = file->checkCompatible(specs)) {
    llvm::consumeError(std::move(err));
    std::abort();
  }
  // A model's manifest that the file most likely does not match.
  TensorSpec weight{"fc.weight", DType::F32, {1, 10}};
  llvm::consumeError(file->checkCompatible({weight}));

  // What parse accepted, serializeSafetensors writes and parse reads back.
  llvm::Expected<std::vector<uint8_t>> image =
      serializeSafetensors(refs, file->metadata());
  if (!image) {
    llvm::consumeError(image.takeError());
    return 0;
  }
  llvm::Expected<SafetensorsFile> reread = parseBytes(llvm::StringRef(
      reinterpret_cast<const char *>(image->data()), image->size()));
  if (!reread) {
    llvm::consumeError(reread.takeError());
    std::abort();
  }
  if (reread->metadata() != file->metadata() ||
      reread->tensors().size() != file->tensors().size())
    std::abort();
  for (const SafetensorsEntry &entry : file->tensors()) {
    const SafetensorsEntry *again = reread->lookup(entry.spec.name);
    if (!again || again->spec.dtype != entry.spec.dtype ||
        again->spec.shape != entry.spec.shape ||
        reread->data(*again) != file->data(entry))
      std::abort();
  }
  return 0;
}
