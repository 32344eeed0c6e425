//===- Checkpoint.cpp - safetensors checkpoints ---------------------------===//

#include "mlopt/Runtime/Checkpoint.h"

#include "FileUtils.h"
#include "RuntimeError.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <limits>
#include <unistd.h>

using namespace mlir::mlopt::runtime;
using namespace mlir::mlopt::runtime::detail;
using llvm::ArrayRef;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;

/// The reference implementation refuses larger headers.
static constexpr uint64_t kMaxHeaderSize = 100'000'000;

//===----------------------------------------------------------------------===//
// TensorSpec
//===----------------------------------------------------------------------===//

std::optional<int64_t> TensorSpec::numElements() const {
  return checkedProduct(shape);
}

std::optional<int64_t> TensorSpec::numBytes() const {
  std::optional<int64_t> count = numElements();
  int64_t bytes;
  if (!count || __builtin_mul_overflow(*count, dtypeSize(dtype), &bytes))
    return std::nullopt;
  return bytes;
}

std::string mlir::mlopt::runtime::formatTensorType(DType dtype,
                                                   ArrayRef<int64_t> shape) {
  return dtypeName(dtype).str() + " " + formatShape(shape);
}

std::vector<std::pair<std::string, uint64_t>>
mlir::mlopt::runtime::bytesPerDType(ArrayRef<TensorSpec> specs) {
  std::vector<std::pair<std::string, uint64_t>> result;
  for (const DTypeInfo &info : allDTypes()) {
    DType dtype = info.dtype;
    uint64_t total = 0;
    bool present = false;
    for (const TensorSpec &spec : specs) {
      if (spec.dtype != dtype)
        continue;
      present = true;
      total += spec.numBytes().value_or(0);
    }
    if (present)
      result.emplace_back(dtypeName(dtype).str(), total);
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Shards
//===----------------------------------------------------------------------===//

int64_t mlir::mlopt::runtime::shardElements(int64_t numElements,
                                            int64_t ranks) {
  if (numElements <= 0 || ranks < 1)
    return 0;
  return (numElements + ranks - 1) / ranks;
}

Expected<std::vector<uint8_t>>
mlir::mlopt::runtime::extractShard(ArrayRef<uint8_t> full, int64_t elementBytes,
                                   int64_t ranks, int64_t rank) {
  if (elementBytes < 1 || full.size() % elementBytes != 0)
    return makeError("a tensor of " + Twine(full.size()) +
                     " bytes is not a whole number of " + Twine(elementBytes) +
                     "-byte elements");
  if (ranks < 1 || rank < 0 || rank >= ranks)
    return makeError("rank " + Twine(rank) + " is not one of " + Twine(ranks) +
                     " ranks");
  int64_t numElements = full.size() / elementBytes;
  int64_t chunk = shardElements(numElements, ranks);
  // Elements past the end of the full tensor are the zero padding.
  std::vector<uint8_t> shard(chunk * elementBytes, 0);
  int64_t begin = std::min(rank * chunk, numElements);
  int64_t end = std::min(begin + chunk, numElements);
  std::copy(full.begin() + begin * elementBytes,
            full.begin() + end * elementBytes, shard.begin());
  return shard;
}

Expected<std::vector<uint8_t>> mlir::mlopt::runtime::assembleShards(
    ArrayRef<uint8_t> gathered, int64_t elementBytes, int64_t numElements) {
  if (elementBytes < 1 || numElements < 0 ||
      gathered.size() / elementBytes < static_cast<uint64_t>(numElements))
    return makeError("the gathered chunks hold " + Twine(gathered.size()) +
                     " bytes, fewer than " + Twine(numElements) +
                     " elements of " + Twine(elementBytes) + " bytes");
  return std::vector<uint8_t>(gathered.begin(),
                              gathered.begin() + numElements * elementBytes);
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

Expected<std::vector<uint8_t>>
mlir::mlopt::runtime::serializeSafetensors(ArrayRef<TensorRef> tensors,
                                           const CheckpointMetadata &metadata) {
  // Validate everything before producing a byte.
  llvm::StringMap<bool> seen;
  for (const TensorRef &tensor : tensors) {
    StringRef name = tensor.spec.name;
    if (name.empty())
      return llvm::createStringError("a tensor has an empty name");
    if (name == "__metadata__")
      return llvm::createStringError("tensor name '__metadata__' is reserved");
    if (!llvm::json::isUTF8(name))
      return llvm::createStringError("tensor name '" + name +
                                     "' is not valid UTF-8");
    if (!seen.try_emplace(name, true).second)
      return llvm::createStringError("duplicate tensor name '" + name + "'");
    std::optional<int64_t> bytes = tensor.spec.numBytes();
    if (!bytes)
      return llvm::createStringError(
          "tensor '" + name + "': invalid shape " +
          formatTensorType(tensor.spec.dtype, tensor.spec.shape));
    if (uint64_t(*bytes) != tensor.bytes.size())
      return llvm::createStringError(
          "tensor '" + name + "': " +
          formatTensorType(tensor.spec.dtype, tensor.spec.shape) + " needs " +
          Twine(*bytes) + " bytes, got " + Twine(tensor.bytes.size()));
  }
  for (const auto &[key, value] : metadata)
    if (!llvm::json::isUTF8(key) || !llvm::json::isUTF8(value))
      return llvm::createStringError("metadata entry '" + key +
                                     "' is not valid UTF-8");

  std::vector<const TensorRef *> order;
  for (const TensorRef &tensor : tensors)
    order.push_back(&tensor);
  llvm::stable_sort(order, [](const TensorRef *a, const TensorRef *b) {
    int orderA = dtypeInfo(a->spec.dtype).safetensorsOrder;
    int orderB = dtypeInfo(b->spec.dtype).safetensorsOrder;
    if (orderA != orderB)
      return orderA > orderB;
    return a->spec.name < b->spec.name;
  });

  // json::OStream keeps keys in call order (json::Object would sort them),
  // which the byte-exact layout needs.
  std::string header;
  {
    llvm::raw_string_ostream os(header);
    llvm::json::OStream json(os);
    json.object([&] {
      if (!metadata.empty())
        json.attributeObject("__metadata__", [&] {
          for (const auto &[key, value] : metadata)
            json.attribute(key, value);
        });
      uint64_t offset = 0;
      for (const TensorRef *tensor : order) {
        json.attributeObject(tensor->spec.name, [&] {
          json.attribute("dtype", dtypeName(tensor->spec.dtype));
          json.attributeArray("shape", [&] {
            for (int64_t dim : tensor->spec.shape)
              json.value(dim);
          });
          json.attributeArray("data_offsets", [&] {
            json.value(offset);
            json.value(offset + tensor->bytes.size());
          });
        });
        offset += tensor->bytes.size();
      }
    });
  }
  // Pad so the data section starts 8-byte aligned.
  header.append((8 - header.size() % 8) % 8, ' ');

  std::vector<uint8_t> file(8);
  llvm::support::endian::write64le(file.data(), header.size());
  file.insert(file.end(), header.begin(), header.end());
  for (const TensorRef *tensor : order)
    file.insert(file.end(), tensor->bytes.begin(), tensor->bytes.end());
  return file;
}

Error mlir::mlopt::runtime::writeSafetensors(
    StringRef path, ArrayRef<TensorRef> tensors,
    const CheckpointMetadata &metadata) {
  Expected<std::vector<uint8_t>> bytes =
      serializeSafetensors(tensors, metadata);
  if (!bytes)
    return fileError(path, llvm::toString(bytes.takeError()));

  return detail::writeFileAtomically(path, *bytes);
}

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

Expected<SafetensorsFile> SafetensorsFile::open(StringRef path) {
  Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      detail::readWholeFile(path);
  if (!buffer)
    return buffer.takeError();
  return parse(std::move(*buffer), path);
}

/// Parses one tensor entry of the header.
static Expected<SafetensorsEntry> parseEntry(StringRef file, StringRef name,
                                             const llvm::json::Value &value) {
  auto error = [&](const Twine &message) {
    return fileError(file, "tensor '" + name + "': " + message);
  };
  const llvm::json::Object *object = value.getAsObject();
  if (!object)
    return error("expected an object with dtype, shape and data_offsets");
  SafetensorsEntry entry;
  entry.spec.name = name.str();

  std::optional<StringRef> dtypeText = object->getString("dtype");
  if (!dtypeText)
    return error("missing or non-string 'dtype'");
  std::optional<DType> dtype = parseDType(*dtypeText);
  if (!dtype)
    return error("unsupported dtype '" + *dtypeText +
                 "' (supported: " + supportedSafetensorsNames() + ")");
  entry.spec.dtype = *dtype;

  const llvm::json::Array *shape = object->getArray("shape");
  if (!shape)
    return error("missing or non-array 'shape'");
  for (const llvm::json::Value &dim : *shape) {
    // getAsUINT64 takes integers only: 2.0 is not a dimension.
    std::optional<uint64_t> size = dim.getAsUINT64();
    if (!size || *size > uint64_t(std::numeric_limits<int64_t>::max()))
      return error("'shape' must hold non-negative integers");
    entry.spec.shape.push_back(static_cast<int64_t>(*size));
  }

  const llvm::json::Array *offsets = object->getArray("data_offsets");
  std::optional<uint64_t> begin, end;
  if (offsets && offsets->size() == 2) {
    begin = (*offsets)[0].getAsUINT64();
    end = (*offsets)[1].getAsUINT64();
  }
  if (!begin || !end)
    return error("'data_offsets' must be [begin, end] with non-negative "
                 "integers");
  if (*end < *begin)
    return error("data_offsets [" + Twine(*begin) + ", " + Twine(*end) +
                 "] end before they begin");
  entry.begin = *begin;
  entry.end = *end;

  std::optional<int64_t> bytes = entry.spec.numBytes();
  if (!bytes)
    return error("shape overflows");
  if (uint64_t(*bytes) != *end - *begin)
    return error(formatTensorType(entry.spec.dtype, entry.spec.shape) +
                 " needs " + Twine(*bytes) + " bytes but data_offsets [" +
                 Twine(*begin) + ", " + Twine(*end) + "] hold " +
                 Twine(*end - *begin));
  return entry;
}

/// How deep arrays and objects may nest in a header: a safetensors header
/// needs 3 levels; the JSON parser recurses once per level.
static constexpr int kMaxHeaderDepth = 16;

/// Whether `header` nests arrays and objects deeper than kMaxHeaderDepth
/// (checked before parsing, so a hostile header cannot exhaust the stack).
static bool nestsTooDeep(StringRef header) {
  int depth = 0;
  for (size_t i = 0; i < header.size(); ++i) {
    char c = header[i];
    if (c == '"') {
      for (++i; i < header.size() && header[i] != '"'; ++i)
        if (header[i] == '\\')
          ++i;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxHeaderDepth)
        return true;
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return false;
}

/// The first top-level key of the (valid) JSON object `header` that occurs
/// twice, compared after decoding its escapes ("fc\u002ebias" is
/// "fc.bias"). llvm::json keeps one of the duplicates silently, and a
/// checkpoint naming a tensor twice is ambiguous.
static std::optional<std::string> findDuplicateKey(StringRef header) {
  llvm::StringSet<> keys;
  int depth = 0;
  for (size_t i = 0; i < header.size(); ++i) {
    char c = header[i];
    if (c == '{' || c == '[') {
      ++depth;
    } else if (c == '}' || c == ']') {
      --depth;
    } else if (c == '"') {
      size_t end = i + 1;
      while (end < header.size() && header[end] != '"')
        end += header[end] == '\\' ? 2 : 1;
      StringRef quoted = header.slice(i, end + 1);
      i = end;
      // A string at depth 1 followed by ':' is a key of the root object.
      if (depth != 1 || !header.drop_front(end + 1).ltrim().starts_with(":"))
        continue;
      std::string key = quoted.str();
      if (Expected<llvm::json::Value> decoded = llvm::json::parse(quoted)) {
        if (std::optional<StringRef> text = decoded->getAsString())
          key = text->str();
      } else {
        llvm::consumeError(decoded.takeError());
      }
      if (!keys.insert(key).second)
        return key;
    }
  }
  return std::nullopt;
}

Expected<SafetensorsFile>
SafetensorsFile::parse(std::unique_ptr<llvm::MemoryBuffer> buffer,
                       StringRef name) {
  StringRef bytes = buffer->getBuffer();
  if (bytes.size() < 8)
    return fileError(name, "truncated: " + Twine(bytes.size()) +
                               " bytes, too short for the 8-byte header "
                               "length");
  uint64_t headerSize = llvm::support::endian::read64le(bytes.data());
  if (headerSize > kMaxHeaderSize)
    return fileError(name, "header length " + Twine(headerSize) +
                               " exceeds the limit of " +
                               Twine(kMaxHeaderSize) + " bytes");
  if (headerSize > bytes.size() - 8)
    return fileError(name, "truncated: header length " + Twine(headerSize) +
                               " runs past the end of the " +
                               Twine(bytes.size()) + "-byte file");
  StringRef header = bytes.substr(8, headerSize);
  if (!header.starts_with("{"))
    return fileError(name, "the header does not start with '{'");
  if (nestsTooDeep(header))
    return fileError(name, "the header nests deeper than " +
                               Twine(kMaxHeaderDepth) + " levels");
  Expected<llvm::json::Value> json = llvm::json::parse(header);
  if (!json)
    return fileError(name, "invalid JSON header: " +
                               llvm::toString(json.takeError()));
  const llvm::json::Object *root = json->getAsObject();
  if (!root)
    return fileError(name, "the header is not a JSON object");
  if (std::optional<std::string> duplicate = findDuplicateKey(header))
    return fileError(name, "the header names '" + *duplicate + "' twice");

  SafetensorsFile file;
  file.fileName = name.str();
  file.dataStart = 8 + headerSize;
  for (const auto &[key, value] : *root) {
    StringRef tensorName = key;
    if (tensorName == "__metadata__") {
      const llvm::json::Object *metadata = value.getAsObject();
      if (!metadata)
        return fileError(name, "'__metadata__' must be an object");
      for (const auto &[metaKey, metaValue] : *metadata) {
        std::optional<StringRef> text = metaValue.getAsString();
        if (!text)
          return fileError(name, "'__metadata__' entry '" + metaKey.str() +
                                     "' is not a string");
        file.metadataMap[metaKey.str()] = text->str();
      }
      continue;
    }
    Expected<SafetensorsEntry> entry = parseEntry(name, tensorName, value);
    if (!entry)
      return entry.takeError();
    file.entries.push_back(std::move(*entry));
  }

  // The data section must be exactly covered by the tensors, without gaps or
  // overlaps, as the reference implementation requires.
  llvm::sort(file.entries,
             [](const SafetensorsEntry &a, const SafetensorsEntry &b) {
               return std::tie(a.begin, a.end, a.spec.name) <
                      std::tie(b.begin, b.end, b.spec.name);
             });
  uint64_t dataSize = bytes.size() - file.dataStart;
  uint64_t expectedBegin = 0;
  for (auto [i, entry] : llvm::enumerate(file.entries)) {
    if (entry.begin != expectedBegin) {
      std::string where =
          i == 0 ? std::string("the start of the data section")
                 : "the end of tensor '" + file.entries[i - 1].spec.name + "'";
      return fileError(
          name,
          "tensor '" + entry.spec.name + "': data_offsets [" +
              Twine(entry.begin) + ", " + Twine(entry.end) + "] " +
              (entry.begin < expectedBegin ? "overlap" : "leave a gap after") +
              " " + where + " at " + Twine(expectedBegin));
    }
    if (entry.end > dataSize)
      return fileError(name, "truncated: tensor '" + entry.spec.name +
                                 "' ends at byte " + Twine(entry.end) +
                                 " of a " + Twine(dataSize) +
                                 "-byte data section");
    expectedBegin = entry.end;
    file.index[entry.spec.name] = i;
  }
  if (expectedBegin != dataSize)
    return fileError(name, "the data section has " + Twine(dataSize) +
                               " bytes but the tensors cover " +
                               Twine(expectedBegin));
  file.buffer = std::move(buffer);
  return file;
}

const SafetensorsEntry *SafetensorsFile::lookup(StringRef name) const {
  auto it = index.find(name);
  return it == index.end() ? nullptr : &entries[it->second];
}

ArrayRef<uint8_t> SafetensorsFile::data(const SafetensorsEntry &entry) const {
  const uint8_t *start =
      reinterpret_cast<const uint8_t *>(buffer->getBufferStart()) + dataStart;
  return ArrayRef<uint8_t>(start + entry.begin, start + entry.end);
}

Error SafetensorsFile::checkCompatible(ArrayRef<TensorSpec> expected) const {
  std::vector<std::string> problems;
  llvm::StringMap<bool> expectedNames;
  for (const TensorSpec &spec : expected) {
    expectedNames[spec.name] = true;
    const SafetensorsEntry *entry = lookup(spec.name);
    if (!entry) {
      problems.push_back("missing tensor '" + spec.name + "' (" +
                         formatTensorType(spec.dtype, spec.shape) + ")");
      continue;
    }
    if (entry->spec.dtype != spec.dtype || entry->spec.shape != spec.shape)
      problems.push_back(
          "tensor '" + spec.name + "' is " +
          formatTensorType(entry->spec.dtype, entry->spec.shape) +
          ", expected " + formatTensorType(spec.dtype, spec.shape));
  }
  std::vector<const SafetensorsEntry *> unexpected;
  for (const SafetensorsEntry &entry : entries)
    if (!expectedNames.count(entry.spec.name))
      unexpected.push_back(&entry);
  llvm::sort(unexpected,
             [](const SafetensorsEntry *a, const SafetensorsEntry *b) {
               return a->spec.name < b->spec.name;
             });
  for (const SafetensorsEntry *entry : unexpected)
    problems.push_back("unexpected tensor '" + entry->spec.name + "' (" +
                       formatTensorType(entry->spec.dtype, entry->spec.shape) +
                       ")");
  if (problems.empty())
    return Error::success();
  std::string message = "does not match the model (" +
                        std::to_string(problems.size()) + " mismatch" +
                        (problems.size() == 1 ? "" : "es") + "): ";
  message += llvm::join(problems, "; ");
  return fileError(fileName, message);
}
