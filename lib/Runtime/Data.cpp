//===- Data.cpp - training data: IDX and .npy readers, batching -----------===//

#include "mlopt/Runtime/Data.h"

#include "FileUtils.h"

#include "mlopt/Support/CounterHash.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/raw_ostream.h"

#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>
#include <numeric>

using namespace mlir::mlopt::runtime;
using namespace mlir::mlopt::runtime::detail;
using llvm::ArrayRef;
using llvm::Error;
using llvm::Expected;
using llvm::StringRef;
using llvm::Twine;

//===----------------------------------------------------------------------===//
// Files
//===----------------------------------------------------------------------===//

uint64_t mlir::mlopt::runtime::allocationLimit() {
  if (std::optional<std::string> text =
          llvm::sys::Process::GetEnv("MLOPT_MAX_ALLOCATION_BYTES")) {
    uint64_t bytes = 0;
    if (!StringRef(*text).getAsInteger(10, bytes) && bytes > 0)
      return bytes;
  }
  long pages = ::sysconf(_SC_PHYS_PAGES);
  long pageSize = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || pageSize <= 0)
    return uint64_t(1) << 40;
  return uint64_t(pages) * uint64_t(pageSize) / 4 * 3;
}

Error mlir::mlopt::runtime::checkAllocation(uint64_t bytes, const Twine &what) {
  uint64_t limit = allocationLimit();
  if (bytes <= limit)
    return Error::success();
  return llvm::createStringError(what + ": needs more than " + Twine(bytes) +
                                 " bytes, over the limit of " + Twine(limit) +
                                 " bytes (3/4 of this machine's memory; "
                                 "MLOPT_MAX_ALLOCATION_BYTES overrides it)");
}

/// Inflates a gzip file image. zlib's inflate with windowBits 15 + 16 checks
/// the gzip header, the CRC-32 and the length trailer of each member.
static Expected<std::vector<uint8_t>>
inflateGzip(StringRef path, ArrayRef<uint8_t> input,
            const ExpectedSizeFn &expectedSize) {
  // The output never grows past what the contents' own header implies (once
  // enough is inflated to read it), nor past the allocation limit.
  std::optional<uint64_t> implied;
  uint64_t limit = allocationLimit();
  z_stream stream;
  std::memset(&stream, 0, sizeof(stream));
  if (inflateInit2(&stream, 15 + 16) != Z_OK)
    return fileError(path, "cannot initialize zlib");
  llvm::scope_exit cleanup([&] { inflateEnd(&stream); });

  std::vector<uint8_t> output;
  output.resize(std::min<uint64_t>(std::max<size_t>(input.size() * 4, 1 << 16),
                                   limit + 1));
  size_t produced = 0;
  size_t consumed = 0;
  // zlib counts in 32-bit uInt: feed and drain in chunks of at most 1 GiB.
  constexpr size_t kChunk = size_t(1) << 30;
  while (true) {
    if (stream.avail_in == 0 && consumed < input.size()) {
      size_t chunk = std::min(kChunk, input.size() - consumed);
      stream.next_in = const_cast<Bytef *>(input.data() + consumed);
      stream.avail_in = static_cast<uInt>(chunk);
      consumed += chunk;
    }
    if (!implied && expectedSize) {
      implied = expectedSize(ArrayRef<uint8_t>(output.data(), produced));
      if (implied)
        limit = std::min(limit, *implied);
    }
    if (produced > limit) {
      if (implied)
        return fileError(path, "decompresses past the " + Twine(*implied) +
                                   " bytes its header describes");
      return checkAllocation(produced, "decompressing " + path);
    }
    if (produced == output.size()) {
      // One byte past the limit shows that the stream goes on.
      size_t grown = std::min<uint64_t>(output.size() * 2, limit + 1);
      if (grown <= output.size())
        grown = output.size() + 1;
      output.resize(grown);
    }
    size_t room = std::min(kChunk, output.size() - produced);
    stream.next_out = output.data() + produced;
    stream.avail_out = static_cast<uInt>(room);
    int status = inflate(&stream, Z_NO_FLUSH);
    produced += room - stream.avail_out;
    size_t remaining = stream.avail_in + (input.size() - consumed);
    if (status == Z_STREAM_END) {
      if (remaining == 0)
        break;
      // Another gzip member follows (as `cat a.gz b.gz` produces).
      size_t next = input.size() - remaining;
      if (remaining < 2 || input[next] != 0x1f || input[next + 1] != 0x8b)
        return fileError(path, Twine(remaining) +
                                   " bytes of trailing garbage after the "
                                   "gzip stream");
      if (inflateReset(&stream) != Z_OK)
        return fileError(path, "cannot reset zlib");
      continue;
    }
    if (status == Z_OK)
      continue;
    if (status == Z_BUF_ERROR) {
      // No progress: either the output is full (grow it) or the input ended.
      if (stream.avail_out == 0)
        continue;
      if (remaining == 0)
        return fileError(path, "truncated gzip stream (unexpected end of "
                               "file after " +
                                   Twine(input.size()) + " bytes)");
      continue;
    }
    if (status == Z_MEM_ERROR)
      return fileError(path, "out of memory while decompressing");
    return fileError(path, Twine("corrupt gzip data: ") +
                               (stream.msg ? stream.msg : "unknown error"));
  }
  output.resize(produced);
  return output;
}

Expected<std::vector<uint8_t>>
mlir::mlopt::runtime::readFileMaybeGzip(StringRef path,
                                        const ExpectedSizeFn &expectedSize) {
  Expected<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      detail::readWholeFile(path);
  if (!buffer)
    return buffer.takeError();
  ArrayRef<uint8_t> bytes(
      reinterpret_cast<const uint8_t *>((*buffer)->getBufferStart()),
      (*buffer)->getBufferSize());
  if (bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b)
    return inflateGzip(path, bytes, expectedSize);
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

//===----------------------------------------------------------------------===//
// IDX
//===----------------------------------------------------------------------===//

static uint32_t readBigEndian32(const uint8_t *p) {
  return llvm::support::endian::read32be(p);
}

/// Reads an unsigned-byte IDX array of `rank` dimensions whose magic number
/// is 0x000008<rank>; `what` names the payload in messages ("pixels").
static Expected<IdxArray> readIdx(StringRef path, unsigned rank, StringRef kind,
                                  StringRef what) {
  size_t headerSize = 4 + 4 * size_t(rank);
  // The header gives the file's size: a small gzip file cannot inflate to
  // gigabytes behind a valid header.
  auto sizeFromHeader =
      [&](ArrayRef<uint8_t> prefix) -> std::optional<uint64_t> {
    if (prefix.size() < headerSize)
      return std::nullopt;
    std::vector<int64_t> dims;
    for (unsigned i = 0; i < rank; ++i)
      dims.push_back(readBigEndian32(prefix.data() + 4 + 4 * i));
    std::optional<int64_t> count = checkedProduct(dims);
    return count ? uint64_t(*count) + headerSize : uint64_t(headerSize);
  };
  Expected<std::vector<uint8_t>> bytes =
      readFileMaybeGzip(path, sizeFromHeader);
  if (!bytes)
    return bytes.takeError();
  const uint32_t expectedMagic = 0x00000800u | rank;
  if (bytes->size() < 4)
    return fileError(path, "truncated: expected a 4-byte IDX magic number, "
                           "got " +
                               Twine(bytes->size()) + " bytes");
  uint32_t magic = readBigEndian32(bytes->data());
  if (magic != expectedMagic) {
    std::string message;
    llvm::raw_string_ostream os(message);
    os << "bad magic number " << llvm::format_hex(magic, 10) << ", expected "
       << llvm::format_hex(expectedMagic, 10) << " (IDX " << kind << ")";
    return fileError(path, message);
  }
  if (bytes->size() < headerSize)
    return fileError(path, "truncated: expected a " + Twine(headerSize) +
                               "-byte IDX header, got " + Twine(bytes->size()) +
                               " bytes");
  IdxArray array;
  for (unsigned i = 0; i < rank; ++i)
    array.shape.push_back(readBigEndian32(bytes->data() + 4 + 4 * i));
  // Each dimension is below 2^32, so three of them can overflow int64_t.
  std::optional<int64_t> count = checkedProduct(array.shape);
  if (!count)
    return fileError(path,
                     "dimensions " + formatShape(array.shape) + " overflow");
  size_t payload = bytes->size() - headerSize;
  if (payload < uint64_t(*count))
    return fileError(path, "truncated: expected " + Twine(*count) +
                               " bytes of " + what + ", got " + Twine(payload));
  if (payload > uint64_t(*count))
    return fileError(path, Twine(payload - *count) +
                               " unexpected trailing bytes after " +
                               Twine(*count) + " bytes of " + what);
  array.data.assign(bytes->begin() + headerSize, bytes->end());
  return array;
}

Expected<IdxArray> mlir::mlopt::runtime::readIdxImages(StringRef path) {
  return readIdx(path, 3, "images", "pixels");
}

Expected<IdxArray> mlir::mlopt::runtime::readIdxLabels(StringRef path) {
  return readIdx(path, 1, "labels", "labels");
}

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

int64_t NpyArray::numElements() const {
  return std::accumulate(shape.begin(), shape.end(), int64_t(1),
                         std::multiplies<int64_t>());
}

std::vector<float> NpyArray::toFloat32() const {
  int64_t n = numElements();
  std::vector<float> result(n);
  for (int64_t i = 0; i < n; ++i)
    result[i] = static_cast<float>(loadElementAsDouble(dtype, data.data(), i));
  return result;
}

Expected<std::vector<int64_t>> NpyArray::toInt64(StringRef path) const {
  if (isFloat(dtype))
    return fileError(
        path, "expected an integer array, got dtype '" +
                  npyDescr(dtype).value_or(dtypeMLIRName(dtype).str()) + "'");
  int64_t n = numElements();
  std::vector<int64_t> result(n);
  for (int64_t i = 0; i < n; ++i)
    result[i] = loadElementAsInt64(dtype, data.data(), i);
  return result;
}

namespace {
/// A parser for the Python dict literal of a .npy header, e.g.
/// {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
class NpyHeaderParser {
public:
  NpyHeaderParser(StringRef path, StringRef text) : path(path), text(text) {}

  Error parse(std::string &descr, bool &fortranOrder,
              std::vector<int64_t> &shape) {
    bool seenDescr = false, seenOrder = false, seenShape = false;
    skipSpace();
    if (!consume('{'))
      return error("expected '{'");
    while (true) {
      skipSpace();
      if (consume('}'))
        break;
      std::string key;
      if (Error err = parseString(key))
        return err;
      skipSpace();
      if (!consume(':'))
        return error("expected ':' after '" + key + "'");
      skipSpace();
      if (key == "descr") {
        if (Error err = parseString(descr))
          return err;
        seenDescr = true;
      } else if (key == "fortran_order") {
        if (text.consume_front("True"))
          fortranOrder = true;
        else if (text.consume_front("False"))
          fortranOrder = false;
        else
          return error("expected True or False for 'fortran_order'");
        seenOrder = true;
      } else if (key == "shape") {
        if (Error err = parseShape(shape))
          return err;
        seenShape = true;
      } else {
        return error("unexpected key '" + key + "'");
      }
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      if (consume('}'))
        break;
      return error("expected ',' or '}'");
    }
    if (!seenDescr || !seenOrder || !seenShape)
      return error("the header must have 'descr', 'fortran_order' and "
                   "'shape'");
    return Error::success();
  }

private:
  Error error(const Twine &message) {
    return fileError(path, "malformed .npy header: " + message);
  }
  void skipSpace() { text = text.ltrim(" \t\r\n"); }
  bool consume(char c) { return text.consume_front(StringRef(&c, 1)); }

  Error parseString(std::string &out) {
    if (text.empty() || (text.front() != '\'' && text.front() != '"'))
      return error("expected a quoted string");
    char quote = text.front();
    size_t end = text.find(quote, 1);
    if (end == StringRef::npos)
      return error("unterminated string");
    out = text.substr(1, end - 1).str();
    text = text.drop_front(end + 1);
    return Error::success();
  }

  Error parseShape(std::vector<int64_t> &shape) {
    if (!consume('('))
      return error("expected '(' for 'shape'");
    while (true) {
      skipSpace();
      if (consume(')'))
        return Error::success();
      size_t digits = 0;
      while (digits < text.size() && llvm::isDigit(text[digits]))
        ++digits;
      int64_t dim;
      if (digits == 0 || text.substr(0, digits).getAsInteger(10, dim))
        return error("expected a non-negative dimension in 'shape'");
      // NumPy may write Python 2 long literals such as 3L.
      text = text.drop_front(digits);
      text.consume_front("L");
      shape.push_back(dim);
      skipSpace();
      if (consume(','))
        continue;
      skipSpace();
      if (consume(')'))
        return Error::success();
      return error("expected ',' or ')' in 'shape'");
    }
  }

  StringRef path;
  StringRef text;
};
} // namespace

static Expected<DType> parseDescr(StringRef path, StringRef descr) {
  if (std::optional<DType> dtype = parseNpyDescr(descr))
    return *dtype;
  if (isBigEndianNpyDescr(descr))
    return fileError(path, "big-endian dtype '" + descr +
                               "' is not supported (convert with "
                               "arr.astype(arr.dtype.newbyteorder('<')))");
  return fileError(path, "unsupported dtype '" + descr +
                             "' (supported: " + supportedNpyDescrs() + ")");
}

Expected<NpyArray> mlir::mlopt::runtime::readNpy(StringRef path) {
  using namespace llvm::support;
  Expected<std::vector<uint8_t>> bytes = readFileMaybeGzip(path);
  if (!bytes)
    return bytes.takeError();
  const std::vector<uint8_t> &b = *bytes;
  static const uint8_t kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
  if (b.size() < 6 || std::memcmp(b.data(), kMagic, 6) != 0)
    return fileError(path, "bad magic: not a .npy file (expected "
                           "\\x93NUMPY)");
  if (b.size() < 10)
    return fileError(path, "truncated: expected a .npy preamble of at least "
                           "10 bytes, got " +
                               Twine(b.size()));
  unsigned major = b[6], minor = b[7];
  size_t lengthSize;
  if (major == 1)
    lengthSize = 2;
  else if (major == 2 || major == 3)
    lengthSize = 4;
  else
    return fileError(path, "unsupported .npy format version " + Twine(major) +
                               "." + Twine(minor));
  if (b.size() < 8 + lengthSize)
    return fileError(path, "truncated: the .npy header length is missing");
  uint64_t headerLength =
      lengthSize == 2 ? endian::read16le(&b[8]) : endian::read32le(&b[8]);
  size_t dataStart = 8 + lengthSize + headerLength;
  if (b.size() < dataStart)
    return fileError(path, "truncated: expected a " + Twine(headerLength) +
                               "-byte .npy header, got " +
                               Twine(b.size() - 8 - lengthSize));
  StringRef header(reinterpret_cast<const char *>(&b[8 + lengthSize]),
                   headerLength);

  std::string descr;
  bool fortranOrder = false;
  NpyArray array;
  if (Error err =
          NpyHeaderParser(path, header).parse(descr, fortranOrder, array.shape))
    return std::move(err);
  Expected<DType> dtype = parseDescr(path, descr);
  if (!dtype)
    return dtype.takeError();
  array.dtype = *dtype;
  if (fortranOrder)
    return fileError(path, "fortran_order arrays are not supported (save "
                           "np.ascontiguousarray(arr))");
  std::optional<int64_t> count = checkedProduct(array.shape);
  int64_t elementSize = dtypeSize(array.dtype);
  int64_t expectedBytes;
  if (!count || __builtin_mul_overflow(*count, elementSize, &expectedBytes))
    return fileError(path, "shape " + formatShape(array.shape) + " overflows");
  size_t payload = b.size() - dataStart;
  if (payload < uint64_t(expectedBytes))
    return fileError(path, "truncated: expected " + Twine(expectedBytes) +
                               " bytes of data for shape " +
                               formatShape(array.shape) + ", got " +
                               Twine(payload));
  if (payload > uint64_t(expectedBytes))
    return fileError(path, Twine(payload - expectedBytes) +
                               " unexpected trailing bytes after the data");
  array.data.assign(b.begin() + dataStart, b.end());
  return array;
}

Expected<std::vector<uint8_t>>
mlir::mlopt::runtime::writeNpyBytes(const NpyArray &array) {
  std::optional<std::string> descr = npyDescr(array.dtype);
  if (!descr)
    return llvm::createStringError("NumPy has no dtype for " +
                                   dtypeMLIRName(array.dtype));
  std::optional<int64_t> count = checkedProduct(array.shape);
  int64_t expectedBytes;
  if (!count ||
      __builtin_mul_overflow(*count, dtypeSize(array.dtype), &expectedBytes) ||
      uint64_t(expectedBytes) != array.data.size())
    return llvm::createStringError(
        Twine(array.data.size()) + " bytes do not hold a " +
        dtypeMLIRName(array.dtype) + " array of shape " +
        formatShape(array.shape));
  std::string header =
      "{'descr': '" + *descr + "', 'fortran_order': False, 'shape': (";
  for (int64_t dim : array.shape)
    header += std::to_string(dim) + ", ";
  if (array.shape.size() > 1)
    header.resize(header.size() - 2);
  else if (array.shape.size() == 1)
    header.resize(header.size() - 1); // keeps the 1-tuple comma: (3,)
  header += "), }";
  // Magic (6) + version (2) + length (2) + header + '\n', 64-byte aligned.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  bytes.push_back(header.size() & 0xff);
  bytes.push_back((header.size() >> 8) & 0xff);
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), array.data.begin(), array.data.end());
  return bytes;
}

//===----------------------------------------------------------------------===//
// Dataset
//===----------------------------------------------------------------------===//

static Error validateInputs(StringRef name, ArrayRef<int64_t> sampleShape,
                            size_t numInputs, int64_t numSamples,
                            int64_t &sampleElements) {
  std::optional<int64_t> elements = checkedProduct(sampleShape);
  if (!elements)
    return fileError(name, "invalid sample shape " + formatShape(sampleShape));
  sampleElements = *elements;
  int64_t expected;
  if (__builtin_mul_overflow(numSamples, *elements, &expected) ||
      uint64_t(expected) != numInputs)
    return fileError(name, Twine(numInputs) + " input values do not form " +
                               Twine(numSamples) + " samples of shape " +
                               formatShape(sampleShape));
  return Error::success();
}

Expected<Dataset> Dataset::createClassification(
    std::string name, std::vector<int64_t> sampleShape,
    std::vector<float> inputs, std::vector<int64_t> labels,
    std::optional<int64_t> numClasses) {
  Dataset dataset;
  dataset.numSamples = labels.size();
  if (Error err = validateInputs(name, sampleShape, inputs.size(),
                                 dataset.numSamples, dataset.sampleElements))
    return std::move(err);
  if (numClasses) {
    if (*numClasses <= 0)
      return fileError(name, "the number of classes must be positive, got " +
                                 Twine(*numClasses));
    for (auto [i, label] : llvm::enumerate(labels))
      if (label < 0 || label >= *numClasses)
        return fileError(name, "label " + Twine(label) + " of sample " +
                                   Twine(i) + " is outside [0, " +
                                   Twine(*numClasses) + ")");
  }
  dataset.datasetName = std::move(name);
  dataset.sampleDims = std::move(sampleShape);
  dataset.inputValues = std::move(inputs);
  dataset.classLabelValues = std::move(labels);
  dataset.classCount = numClasses;
  return dataset;
}

Expected<Dataset> Dataset::createRegression(std::string name,
                                            std::vector<int64_t> sampleShape,
                                            std::vector<float> inputs,
                                            std::vector<int64_t> labelShape,
                                            std::vector<float> labels) {
  Dataset dataset;
  std::optional<int64_t> labelElements = checkedProduct(labelShape);
  if (!labelElements || *labelElements == 0)
    return fileError(name, "invalid label shape " + formatShape(labelShape));
  if (labels.size() % *labelElements != 0)
    return fileError(name, Twine(labels.size()) +
                               " label values do not form labels of shape " +
                               formatShape(labelShape));
  dataset.numSamples = labels.size() / *labelElements;
  if (Error err = validateInputs(name, sampleShape, inputs.size(),
                                 dataset.numSamples, dataset.sampleElements))
    return std::move(err);
  dataset.datasetName = std::move(name);
  dataset.sampleDims = std::move(sampleShape);
  dataset.inputValues = std::move(inputs);
  dataset.isRegression = true;
  dataset.labelDims = std::move(labelShape);
  dataset.labelElements = *labelElements;
  dataset.floatLabelValues = std::move(labels);
  return dataset;
}

Error Dataset::reshapeSamples(ArrayRef<int64_t> newShape) {
  std::optional<int64_t> elements = checkedProduct(newShape);
  if (!elements || *elements != sampleElements)
    return fileError(datasetName, "cannot reshape samples of shape " +
                                      formatShape(sampleDims) + " to " +
                                      formatShape(newShape));
  sampleDims.assign(newShape.begin(), newShape.end());
  return Error::success();
}

void Dataset::gatherInputs(ArrayRef<int64_t> indices,
                           llvm::MutableArrayRef<float> out) const {
  assert(out.size() == indices.size() * size_t(sampleElements) &&
         "output size mismatch");
  for (auto [row, index] : llvm::enumerate(indices)) {
    assert(index >= 0 && index < numSamples && "sample index out of range");
    std::copy_n(inputValues.begin() + index * sampleElements, sampleElements,
                out.begin() + row * sampleElements);
  }
}

void Dataset::gatherClassLabels(ArrayRef<int64_t> indices,
                                llvm::MutableArrayRef<int64_t> out) const {
  assert(!isRegression && out.size() == indices.size() &&
         "output size mismatch");
  for (auto [row, index] : llvm::enumerate(indices))
    out[row] = classLabelValues[index];
}

void Dataset::gatherFloatLabels(ArrayRef<int64_t> indices,
                                llvm::MutableArrayRef<float> out) const {
  assert(isRegression && out.size() == indices.size() * size_t(labelElements) &&
         "output size mismatch");
  for (auto [row, index] : llvm::enumerate(indices))
    std::copy_n(floatLabelValues.begin() + index * labelElements, labelElements,
                out.begin() + row * labelElements);
}

Expected<Dataset>
mlir::mlopt::runtime::loadIdxDataset(StringRef imagesPath, StringRef labelsPath,
                                     std::optional<int64_t> numClasses) {
  Expected<IdxArray> images = readIdxImages(imagesPath);
  if (!images)
    return images.takeError();
  Expected<IdxArray> labels = readIdxLabels(labelsPath);
  if (!labels)
    return labels.takeError();
  if (images->shape[0] != labels->shape[0])
    return fileError(imagesPath, Twine(images->shape[0]) + " images but " +
                                     labelsPath + " has " +
                                     Twine(labels->shape[0]) + " labels");
  std::vector<float> pixels(images->data.size());
  for (size_t i = 0; i < pixels.size(); ++i)
    pixels[i] = float(images->data[i]) / 255.0f;
  std::vector<int64_t> classes(labels->data.begin(), labels->data.end());
  Expected<Dataset> dataset = Dataset::createClassification(
      imagesPath.str(), {images->shape[1], images->shape[2]}, std::move(pixels),
      std::move(classes), numClasses);
  if (!dataset)
    // Out-of-range labels are a property of the labels file.
    return fileError(labelsPath, llvm::toString(dataset.takeError()));
  return dataset;
}

Expected<Dataset>
mlir::mlopt::runtime::loadNpyDataset(StringRef inputsPath, StringRef labelsPath,
                                     std::optional<int64_t> numClasses) {
  Expected<NpyArray> inputs = readNpy(inputsPath);
  if (!inputs)
    return inputs.takeError();
  Expected<NpyArray> labels = readNpy(labelsPath);
  if (!labels)
    return labels.takeError();
  if (inputs->shape.empty())
    return fileError(inputsPath, "expected inputs of shape [N, ...], got a "
                                 "scalar");
  if (labels->shape.empty())
    return fileError(labelsPath, "expected labels of shape [N, ...], got a "
                                 "scalar");
  if (inputs->shape[0] != labels->shape[0])
    return fileError(inputsPath, Twine(inputs->shape[0]) + " samples but " +
                                     labelsPath + " has " +
                                     Twine(labels->shape[0]) + " labels");
  std::vector<int64_t> sampleShape(inputs->shape.begin() + 1,
                                   inputs->shape.end());
  std::vector<float> values = inputs->toFloat32();
  bool floatLabels = isFloat(labels->dtype);
  if (!floatLabels) {
    if (labels->shape.size() != 1)
      return fileError(labelsPath, "integer (class) labels must have shape "
                                   "[N], got " +
                                       formatShape(labels->shape));
    Expected<std::vector<int64_t>> classes = labels->toInt64(labelsPath);
    if (!classes)
      return classes.takeError();
    Expected<Dataset> dataset = Dataset::createClassification(
        inputsPath.str(), std::move(sampleShape), std::move(values),
        std::move(*classes), numClasses);
    if (!dataset)
      return fileError(labelsPath, llvm::toString(dataset.takeError()));
    return dataset;
  }
  if (numClasses)
    return fileError(labelsPath, "floating-point labels cannot be class "
                                 "indices (got dtype '" +
                                     npyDescr(labels->dtype).value_or("") +
                                     "')");
  std::vector<int64_t> labelShape(labels->shape.begin() + 1,
                                  labels->shape.end());
  return Dataset::createRegression(inputsPath.str(), std::move(sampleShape),
                                   std::move(values), std::move(labelShape),
                                   labels->toFloat32());
}

Expected<DatasetFiles>
mlir::mlopt::runtime::resolveDatasetFiles(StringRef name, Split split,
                                          StringRef root) {
  if (name == "fashion-mnist") {
    StringRef prefix = split == Split::Train ? "train" : "t10k";
    llvm::SmallString<256> images(root), labels(root);
    llvm::sys::path::append(images, name, prefix + "-images-idx3-ubyte.gz");
    llvm::sys::path::append(labels, name, prefix + "-labels-idx1-ubyte.gz");
    return DatasetFiles{images.str().str(), labels.str().str(), 10};
  }
  return llvm::createStringError("unknown dataset '" + name +
                                 "' (known: fashion-mnist)");
}

Expected<Dataset> mlir::mlopt::runtime::loadNamedDataset(StringRef name,
                                                         Split split,
                                                         StringRef root) {
  Expected<DatasetFiles> files = resolveDatasetFiles(name, split, root);
  if (!files)
    return files.takeError();
  for (const std::string &path : {files->inputs, files->labels})
    if (!llvm::sys::fs::exists(path))
      return fileError(path, "no such file: the " + name +
                                 " dataset comes from the Debian package "
                                 "dataset-" +
                                 name + "; run scripts/install-deps.sh");
  return loadIdxDataset(files->inputs, files->labels, files->numClasses);
}

//===----------------------------------------------------------------------===//
// Shuffling, sharding and batching
//===----------------------------------------------------------------------===//

uint64_t SplitMix64::next() {
  // The sequential generator is the counter hash's mix on a Weyl sequence.
  uint64_t z = counter_hash::splitmix64(state);
  state += counter_hash::kGoldenGamma;
  return z;
}

uint64_t SplitMix64::nextBelow(uint64_t bound) {
  assert(bound > 0 && "empty range");
  // 2^64 mod bound: draws below it would favour small results.
  uint64_t threshold = (0 - bound) % bound;
  uint64_t r;
  do
    r = next();
  while (r < threshold);
  return r % bound;
}

std::vector<int64_t>
mlir::mlopt::runtime::shuffledOrder(int64_t n, uint64_t seed, uint64_t epoch) {
  std::vector<int64_t> order(std::max<int64_t>(n, 0));
  std::iota(order.begin(), order.end(), int64_t(0));
  SplitMix64 rng(seed ^ (counter_hash::kGoldenGamma * (epoch + 1)));
  for (int64_t i = n - 1; i > 0; --i)
    std::swap(order[i], order[rng.nextBelow(uint64_t(i) + 1)]);
  return order;
}

Expected<EpochPlan> EpochPlan::create(int64_t numSamples,
                                      const BatchOptions &options,
                                      uint64_t epoch) {
  if (options.batchSize <= 0)
    return llvm::createStringError("the batch size must be positive, got " +
                                   Twine(options.batchSize));
  if (options.numRanks <= 0 || options.rank < 0 ||
      options.rank >= options.numRanks)
    return llvm::createStringError("invalid rank " + Twine(options.rank) +
                                   " of " + Twine(options.numRanks));
  if (numSamples < 0)
    return llvm::createStringError("invalid dataset size " + Twine(numSamples));
  EpochPlan plan;
  plan.options = options;
  std::vector<int64_t> order;
  if (options.shuffle) {
    order = shuffledOrder(numSamples, options.seed, epoch);
  } else {
    order.resize(numSamples);
    std::iota(order.begin(), order.end(), int64_t(0));
  }
  // Global batch b is order[b * G, (b + 1) * G); this rank's part of it is
  // order[b * G + rank * B, +B), clipped to the order.
  int64_t global = options.batchSize * options.numRanks;
  plan.batchCount = options.dropLast ? numSamples / global
                                     : llvm::divideCeil(numSamples, global);
  if (options.dropLast && plan.batchCount == 0)
    return llvm::createStringError("a dataset of " + Twine(numSamples) +
                                   " samples has no full batch " + "of " +
                                   Twine(options.batchSize) + " for each of " +
                                   Twine(options.numRanks) + " ranks");
  plan.batchStarts.reserve(plan.batchCount);
  for (int64_t b = 0; b < plan.batchCount; ++b) {
    int64_t begin =
        std::min(numSamples, b * global + options.rank * options.batchSize);
    int64_t end = std::min(numSamples, begin + options.batchSize);
    plan.batchStarts.push_back(plan.shardIndices.size());
    plan.shardIndices.insert(plan.shardIndices.end(), order.begin() + begin,
                             order.begin() + end);
  }
  plan.padIndex = order.empty() ? 0 : order.front();
  return plan;
}

Batch EpochPlan::batch(int64_t b) const {
  Batch result;
  batch(b, result);
  return result;
}

void EpochPlan::batch(int64_t b, Batch &batch) const {
  assert(b >= 0 && b < batchCount && "batch index out of range");
  int64_t size = options.batchSize;
  int64_t begin = batchStarts[b];
  int64_t end = b + 1 < batchCount ? batchStarts[b + 1]
                                   : static_cast<int64_t>(shardIndices.size());
  batch.numValid = end - begin;
  batch.indices.assign(shardIndices.begin() + begin,
                       shardIndices.begin() + end);
  // Pad by cycling through the batch's own samples so the padding rows are
  // plausible inputs (no NaN-producing garbage) that callers then mask out.
  for (int64_t i = 0; int64_t(batch.indices.size()) < size; ++i) {
    int64_t index =
        batch.numValid ? batch.indices[i % batch.numValid] : padIndex;
    batch.indices.push_back(index);
  }
}
