//===- DataTest.cpp - tests of the IDX/.npy readers, shuffling, batching --===//

#include "mlopt/Runtime/Data.h"

#include "RuntimeTestUtils.h"

#include "llvm/Support/Endian.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <zlib.h>

#include <cstring>
#include <numeric>
#include <set>

using namespace mlir::mlopt::runtime;
using namespace mlir::mlopt::runtime::testing;
using ::testing::HasSubstr;

namespace {

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

void appendBigEndian32(std::vector<uint8_t> &bytes, uint32_t value) {
  uint8_t buffer[4];
  llvm::support::endian::write32be(buffer, value);
  bytes.insert(bytes.end(), buffer, buffer + 4);
}

std::vector<uint8_t> idxImages(uint32_t count, uint32_t rows, uint32_t cols,
                               const std::vector<uint8_t> &pixels) {
  std::vector<uint8_t> bytes;
  appendBigEndian32(bytes, 0x00000803);
  appendBigEndian32(bytes, count);
  appendBigEndian32(bytes, rows);
  appendBigEndian32(bytes, cols);
  bytes.insert(bytes.end(), pixels.begin(), pixels.end());
  return bytes;
}

std::vector<uint8_t> idxLabels(const std::vector<uint8_t> &labels) {
  std::vector<uint8_t> bytes;
  appendBigEndian32(bytes, 0x00000801);
  appendBigEndian32(bytes, labels.size());
  bytes.insert(bytes.end(), labels.begin(), labels.end());
  return bytes;
}

/// One gzip member, as `gzip` writes it.
std::vector<uint8_t> gzip(const std::vector<uint8_t> &data) {
  z_stream stream;
  std::memset(&stream, 0, sizeof(stream));
  EXPECT_EQ(deflateInit2(&stream, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                         Z_DEFAULT_STRATEGY),
            Z_OK);
  std::vector<uint8_t> out(deflateBound(&stream, data.size()) + 64);
  stream.next_in = const_cast<Bytef *>(data.data());
  stream.avail_in = data.size();
  stream.next_out = out.data();
  stream.avail_out = out.size();
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

/// 3 images of 2x2 with distinct pixels, and their labels.
const std::vector<uint8_t> kPixels = {0,  51, 102, 153, 204, 255,
                                      10, 20, 30,  40,  50,  60};
const std::vector<uint8_t> kLabels = {9, 0, 3};

//===----------------------------------------------------------------------===//
// IDX
//===----------------------------------------------------------------------===//

TEST(IdxTest, ReadsRawFiles) {
  TempDir dir;
  writeFile(dir.file("images"), idxImages(3, 2, 2, kPixels));
  writeFile(dir.file("labels"), idxLabels(kLabels));
  llvm::Expected<IdxArray> images = readIdxImages(dir.file("images"));
  ASSERT_TRUE(bool(images)) << llvm::toString(images.takeError());
  EXPECT_EQ(images->shape, std::vector<int64_t>({3, 2, 2}));
  EXPECT_EQ(images->data, kPixels);
  llvm::Expected<IdxArray> labels = readIdxLabels(dir.file("labels"));
  ASSERT_TRUE(bool(labels)) << llvm::toString(labels.takeError());
  EXPECT_EQ(labels->shape, std::vector<int64_t>({3}));
  EXPECT_EQ(labels->data, kLabels);
}

TEST(IdxTest, ReadsGzipFiles) {
  TempDir dir;
  writeFile(dir.file("images.gz"), gzip(idxImages(3, 2, 2, kPixels)));
  llvm::Expected<IdxArray> images = readIdxImages(dir.file("images.gz"));
  ASSERT_TRUE(bool(images)) << llvm::toString(images.takeError());
  EXPECT_EQ(images->shape, std::vector<int64_t>({3, 2, 2}));
  EXPECT_EQ(images->data, kPixels);
}

TEST(IdxTest, ReadsConcatenatedGzipMembers) {
  TempDir dir;
  std::vector<uint8_t> whole = idxImages(3, 2, 2, kPixels);
  std::vector<uint8_t> first(whole.begin(), whole.begin() + 10);
  std::vector<uint8_t> second(whole.begin() + 10, whole.end());
  std::vector<uint8_t> file = gzip(first);
  std::vector<uint8_t> tail = gzip(second);
  file.insert(file.end(), tail.begin(), tail.end());
  writeFile(dir.file("images.gz"), file);
  llvm::Expected<IdxArray> images = readIdxImages(dir.file("images.gz"));
  ASSERT_TRUE(bool(images)) << llvm::toString(images.takeError());
  EXPECT_EQ(images->data, kPixels);
}

TEST(IdxTest, MissingFile) {
  TempDir dir;
  std::string path = dir.file("absent-images-idx3-ubyte.gz");
  EXPECT_EQ(errorOf(readIdxImages(path)),
            path + ": cannot read: No such file or directory");
}

TEST(IdxTest, BadMagic) {
  TempDir dir;
  writeFile(dir.file("labels"), idxLabels(kLabels));
  EXPECT_EQ(errorOf(readIdxImages(dir.file("labels"))),
            dir.file("labels") +
                ": bad magic number 0x00000801, expected 0x00000803 (IDX "
                "images)");
  writeFile(dir.file("images"), idxImages(3, 2, 2, kPixels));
  EXPECT_THAT(errorOf(readIdxLabels(dir.file("images"))),
              HasSubstr("bad magic number 0x00000803, expected 0x00000801"));
}

TEST(IdxTest, TruncatedHeader) {
  TempDir dir;
  std::vector<uint8_t> bytes = idxImages(3, 2, 2, kPixels);
  bytes.resize(9);
  writeFile(dir.file("images"), bytes);
  EXPECT_EQ(errorOf(readIdxImages(dir.file("images"))),
            dir.file("images") +
                ": truncated: expected a 16-byte IDX header, got 9 bytes");
  writeFile(dir.file("tiny"), {0, 0});
  EXPECT_THAT(errorOf(readIdxImages(dir.file("tiny"))),
              HasSubstr("truncated: expected a 4-byte IDX magic number"));
}

TEST(IdxTest, TruncatedPixelsRawAndGzip) {
  TempDir dir;
  std::vector<uint8_t> bytes = idxImages(3, 2, 2, kPixels);
  bytes.resize(16 + 5);
  writeFile(dir.file("images"), bytes);
  EXPECT_EQ(errorOf(readIdxImages(dir.file("images"))),
            dir.file("images") +
                ": truncated: expected 12 bytes of pixels, got 5");
  // A complete gzip stream of a truncated file is an IDX error, not a gzip
  // one.
  writeFile(dir.file("images.gz"), gzip(bytes));
  EXPECT_EQ(errorOf(readIdxImages(dir.file("images.gz"))),
            dir.file("images.gz") +
                ": truncated: expected 12 bytes of pixels, got 5");
  std::vector<uint8_t> labels = idxLabels(kLabels);
  labels.pop_back();
  writeFile(dir.file("labels"), labels);
  EXPECT_THAT(errorOf(readIdxLabels(dir.file("labels"))),
              HasSubstr("truncated: expected 3 bytes of labels, got 2"));
}

TEST(IdxTest, TrailingBytes) {
  TempDir dir;
  std::vector<uint8_t> bytes = idxImages(3, 2, 2, kPixels);
  bytes.push_back(7);
  writeFile(dir.file("images"), bytes);
  EXPECT_THAT(errorOf(readIdxImages(dir.file("images"))),
              HasSubstr("1 unexpected trailing bytes after 12 bytes of "
                        "pixels"));
}

TEST(IdxTest, CorruptGzip) {
  TempDir dir;
  std::vector<uint8_t> compressed = gzip(idxImages(3, 2, 2, kPixels));
  // Flip the bytes of the CRC-32 in the trailer: inflate must notice.
  std::vector<uint8_t> badCrc = compressed;
  badCrc[badCrc.size() - 8] ^= 0xff;
  writeFile(dir.file("crc.gz"), badCrc);
  EXPECT_EQ(errorOf(readIdxImages(dir.file("crc.gz"))),
            dir.file("crc.gz") + ": corrupt gzip data: incorrect data check");
  // Garbage in the deflate stream itself (an invalid block type).
  std::vector<uint8_t> badBlock = compressed;
  badBlock[10] = 0xff;
  writeFile(dir.file("block.gz"), badBlock);
  EXPECT_THAT(errorOf(readIdxImages(dir.file("block.gz"))),
              HasSubstr(": corrupt gzip data: "));
  // A bad gzip header after the magic bytes.
  std::vector<uint8_t> badHeader = compressed;
  badHeader[2] = 0x07; // compression method other than deflate
  writeFile(dir.file("header.gz"), badHeader);
  EXPECT_THAT(errorOf(readIdxImages(dir.file("header.gz"))),
              HasSubstr(": corrupt gzip data: unknown compression method"));
}

TEST(IdxTest, TruncatedGzip) {
  TempDir dir;
  std::vector<uint8_t> compressed = gzip(idxImages(3, 2, 2, kPixels));
  compressed.resize(compressed.size() / 2);
  writeFile(dir.file("cut.gz"), compressed);
  EXPECT_EQ(errorOf(readIdxImages(dir.file("cut.gz"))),
            dir.file("cut.gz") +
                ": truncated gzip stream (unexpected end of file after " +
                std::to_string(compressed.size()) + " bytes)");
}

TEST(IdxTest, TrailingGarbageAfterGzip) {
  TempDir dir;
  std::vector<uint8_t> compressed = gzip(idxImages(3, 2, 2, kPixels));
  compressed.push_back('x');
  writeFile(dir.file("garbage.gz"), compressed);
  EXPECT_THAT(errorOf(readIdxImages(dir.file("garbage.gz"))),
              HasSubstr("1 bytes of trailing garbage after the gzip stream"));
}

TEST(IdxTest, DatasetScalesPixelsLikeToTensor) {
  TempDir dir;
  writeFile(dir.file("images.gz"), gzip(idxImages(3, 2, 2, kPixels)));
  writeFile(dir.file("labels"), idxLabels(kLabels));
  llvm::Expected<Dataset> dataset =
      loadIdxDataset(dir.file("images.gz"), dir.file("labels"), 10);
  ASSERT_TRUE(bool(dataset)) << llvm::toString(dataset.takeError());
  EXPECT_EQ(dataset->size(), 3);
  EXPECT_EQ(dataset->sampleShape(), llvm::ArrayRef<int64_t>({2, 2}));
  EXPECT_EQ(dataset->sampleNumElements(), 4);
  ASSERT_TRUE(dataset->hasClassLabels());
  EXPECT_EQ(dataset->numClasses(), std::optional<int64_t>(10));
  EXPECT_EQ(dataset->classLabels(), llvm::ArrayRef<int64_t>({9, 0, 3}));
  ASSERT_EQ(dataset->inputs().size(), 12u);
  for (size_t i = 0; i < kPixels.size(); ++i)
    EXPECT_EQ(dataset->inputs()[i], float(kPixels[i]) / 255.0f) << i;
  EXPECT_EQ(dataset->inputs()[1], 0.2f);
  EXPECT_EQ(dataset->inputs()[5], 1.0f);

  // Gather builds a batch in the order of the indices.
  std::vector<float> inputs(8);
  std::vector<int64_t> labels(2);
  dataset->gatherInputs({2, 0}, inputs);
  dataset->gatherClassLabels({2, 0}, labels);
  EXPECT_EQ(inputs[0], 30.0f / 255.0f);
  EXPECT_EQ(inputs[4], 0.0f);
  EXPECT_EQ(labels, std::vector<int64_t>({3, 9}));

  EXPECT_FALSE(bool(dataset->reshapeSamples({4})));
  EXPECT_EQ(dataset->sampleShape(), llvm::ArrayRef<int64_t>({4}));
  EXPECT_THAT(errorOf(dataset->reshapeSamples({5})),
              HasSubstr("cannot reshape samples of shape [4] to [5]"));
}

TEST(IdxTest, DatasetCountMismatch) {
  TempDir dir;
  writeFile(dir.file("images"), idxImages(3, 2, 2, kPixels));
  writeFile(dir.file("labels"), idxLabels({1, 2}));
  EXPECT_EQ(errorOf(loadIdxDataset(dir.file("images"), dir.file("labels"), 10)),
            dir.file("images") + ": 3 images but " + dir.file("labels") +
                " has 2 labels");
}

TEST(IdxTest, DatasetLabelOutOfRange) {
  TempDir dir;
  writeFile(dir.file("images"), idxImages(3, 2, 2, kPixels));
  writeFile(dir.file("labels"), idxLabels(kLabels));
  EXPECT_THAT(
      errorOf(loadIdxDataset(dir.file("images"), dir.file("labels"), 5)),
      HasSubstr("label 9 of sample 0 is outside [0, 5)"));
  // Without a class count any byte is accepted.
  EXPECT_EQ(errorOf(loadIdxDataset(dir.file("images"), dir.file("labels"),
                                   std::nullopt)),
            "<success>");
}

//===----------------------------------------------------------------------===//
// Fashion-MNIST, a declared dependency (scripts/install-deps.sh)
//===----------------------------------------------------------------------===//

void checkFashionMnist(Split split, int64_t expectedSize) {
  llvm::Expected<Dataset> dataset = loadNamedDataset("fashion-mnist", split);
  ASSERT_TRUE(bool(dataset)) << llvm::toString(dataset.takeError())
                             << "\nFashion-MNIST is a declared dependency: run "
                                "scripts/install-deps.sh";
  EXPECT_EQ(dataset->size(), expectedSize);
  EXPECT_EQ(dataset->sampleShape(), llvm::ArrayRef<int64_t>({28, 28}));
  EXPECT_EQ(dataset->numClasses(), std::optional<int64_t>(10));
  std::vector<int64_t> perClass(10);
  for (int64_t label : dataset->classLabels()) {
    ASSERT_GE(label, 0);
    ASSERT_LT(label, 10);
    ++perClass[label];
  }
  // Both splits are balanced: 6000 / 1000 samples per class.
  for (int64_t count : perClass)
    EXPECT_EQ(count, expectedSize / 10);
  auto [minIt, maxIt] =
      std::minmax_element(dataset->inputs().begin(), dataset->inputs().end());
  EXPECT_EQ(*minIt, 0.0f);
  EXPECT_EQ(*maxIt, 1.0f);
  if (split == Split::Train) {
    EXPECT_EQ(dataset->classLabels()[0], 9); // an ankle boot
  }
}

TEST(FashionMnistTest, TrainSplit) { checkFashionMnist(Split::Train, 60000); }
TEST(FashionMnistTest, TestSplit) { checkFashionMnist(Split::Test, 10000); }

TEST(FashionMnistTest, Resolution) {
  llvm::Expected<DatasetFiles> files =
      resolveDatasetFiles("fashion-mnist", Split::Test);
  ASSERT_TRUE(bool(files)) << llvm::toString(files.takeError());
  EXPECT_EQ(files->inputs,
            "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
  EXPECT_EQ(files->labels,
            "/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz");
  EXPECT_EQ(errorOf(resolveDatasetFiles("cifar-10", Split::Train)),
            "unknown dataset 'cifar-10' (known: fashion-mnist)");
}

TEST(FashionMnistTest, MissingDatasetNamesTheFix) {
  TempDir dir;
  std::string message =
      errorOf(loadNamedDataset("fashion-mnist", Split::Train, dir.path()));
  EXPECT_THAT(message, HasSubstr("train-images-idx3-ubyte.gz: no such file"));
  EXPECT_THAT(message, HasSubstr("run scripts/install-deps.sh"));
}

//===----------------------------------------------------------------------===//
// .npy
//===----------------------------------------------------------------------===//

template <typename T>
NpyArray makeNpy(DType dtype, std::vector<int64_t> shape,
                 const std::vector<T> &values) {
  NpyArray array;
  array.dtype = dtype;
  array.shape = std::move(shape);
  array.data.resize(values.size() * sizeof(T));
  std::memcpy(array.data.data(), values.data(), array.data.size());
  return array;
}

/// The .npy image of `array`, which must be writable.
std::vector<uint8_t> npyBytes(const NpyArray &array) {
  llvm::Expected<std::vector<uint8_t>> bytes = writeNpyBytes(array);
  EXPECT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
  return bytes ? *bytes : std::vector<uint8_t>();
}

TEST(NpyTest, WriterRejectsWhatNumPyCannotHold) {
  // NumPy has no bf16, and the bytes must match the shape.
  EXPECT_EQ(errorOf(writeNpyBytes(
                makeNpy<uint16_t>(DType::BF16, {2}, {0x3f80, 0x4000}))),
            "NumPy has no dtype for bf16");
  EXPECT_EQ(errorOf(writeNpyBytes(makeNpy<float>(DType::F32, {2, 2}, {1, 2}))),
            "8 bytes do not hold a f32 array of shape [2, 2]");
}

TEST(NpyTest, HeaderMatchesNumPy) {
  // np.save(np.zeros((2, 3), np.float32)) pads the header with spaces to a
  // 64-byte boundary: 118 bytes of header, data at byte 128 (NumPy >= 1.24
  // reserves some of those spaces for growth; the bytes are the same).
  std::vector<uint8_t> bytes =
      npyBytes(makeNpy<float>(DType::F32, {2, 3}, {0, 0, 0, 0, 0, 0}));
  ASSERT_EQ(bytes.size(), 128u + 24u);
  std::string header(bytes.begin() + 10, bytes.begin() + 128);
  EXPECT_EQ(header, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, "
                    "3), }" +
                        std::string(58, ' ') + "\n");
  EXPECT_EQ(bytes[8], 118);
  EXPECT_EQ(bytes[9], 0);
  std::vector<uint8_t> vector = npyBytes(
      makeNpy<int64_t>(DType::I64, {3}, std::vector<int64_t>{1, 2, 3}));
  std::string expected =
      "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }";
  EXPECT_EQ(
      std::string(vector.begin() + 10, vector.begin() + 10 + expected.size()),
      expected);
}

TEST(NpyTest, RoundTripsEveryDType) {
  TempDir dir;
  struct Case {
    NpyArray array;
    std::vector<float> asFloat;
  };
  std::vector<Case> cases = {
      {makeNpy<float>(DType::F32, {2, 2}, {1.5f, -2, 0, 3e8f}),
       {1.5f, -2, 0, 3e8f}},
      {makeNpy<double>(DType::F64, {3}, {0.25, -1, 7}), {0.25f, -1, 7}},
      {makeNpy<int64_t>(DType::I64, {2}, {-5, 1LL << 40}),
       {-5, float(1LL << 40)}},
      {makeNpy<int32_t>(DType::I32, {1, 2}, {-7, 9}), {-7, 9}},
      {makeNpy<int16_t>(DType::I16, {2}, {-300, 300}), {-300, 300}},
      {makeNpy<int8_t>(DType::I8, {3}, {-128, 0, 127}), {-128, 0, 127}},
      {makeNpy<uint8_t>(DType::U8, {3}, {0, 128, 255}), {0, 128, 255}},
      // float16 1.0, -2.5 and 65504 (the largest finite half).
      {makeNpy<uint16_t>(DType::F16, {3}, {0x3c00, 0xc100, 0x7bff}),
       {1.0f, -2.5f, 65504.0f}},
      {makeNpy<uint8_t>(DType::Bool, {3}, {1, 0, 1}), {1, 0, 1}},
      // A scalar (shape ()) and an empty array.
      {makeNpy<float>(DType::F32, {}, {4.0f}), {4.0f}},
      {makeNpy<float>(DType::F32, {0, 5}, {}), {}},
  };
  for (auto [i, test] : llvm::enumerate(cases)) {
    std::string path = dir.file("a" + std::to_string(i) + ".npy");
    writeFile(path, npyBytes(test.array));
    llvm::Expected<NpyArray> read = readNpy(path);
    ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
    EXPECT_EQ(read->dtype, test.array.dtype) << path;
    EXPECT_EQ(read->shape, test.array.shape) << path;
    EXPECT_EQ(read->data, test.array.data) << path;
    EXPECT_EQ(read->toFloat32(), test.asFloat) << path;
  }
}

TEST(NpyTest, ReadsVersion2AndHandWrittenHeaders) {
  TempDir dir;
  // Version 2.0: 4-byte header length; double quotes, no spaces, no trailing
  // comma are all valid Python literals.
  std::string header =
      "{\"descr\":\"|u1\",\"fortran_order\":False,\"shape\":(2,2)}\n";
  std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0};
  bytes.push_back(header.size());
  bytes.insert(bytes.end(), {0, 0, 0});
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), {1, 2, 3, 4});
  writeFile(dir.file("v2.npy"), bytes);
  llvm::Expected<NpyArray> read = readNpy(dir.file("v2.npy"));
  ASSERT_TRUE(bool(read)) << llvm::toString(read.takeError());
  EXPECT_EQ(read->dtype, DType::U8);
  EXPECT_EQ(read->shape, std::vector<int64_t>({2, 2}));
  EXPECT_EQ(read->data, std::vector<uint8_t>({1, 2, 3, 4}));
}

/// A v1.0 file with `header` verbatim and `payload` bytes of data.
std::vector<uint8_t> rawNpy(const std::string &header, size_t payload) {
  std::vector<uint8_t> bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
  bytes.push_back(header.size() & 0xff);
  bytes.push_back(header.size() >> 8);
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.resize(bytes.size() + payload, 0);
  return bytes;
}

TEST(NpyTest, Errors) {
  TempDir dir;
  auto errorFor = [&](const std::vector<uint8_t> &bytes) {
    writeFile(dir.file("x.npy"), bytes);
    return errorOf(readNpy(dir.file("x.npy")));
  };
  std::string prefix = dir.file("x.npy") + ": ";
  EXPECT_EQ(errorFor({'P', 'K', 3, 4, 0, 0, 0, 0, 0, 0}),
            prefix + "bad magic: not a .npy file (expected \\x93NUMPY)");
  std::vector<uint8_t> version = rawNpy("{}", 0);
  version[6] = 9;
  EXPECT_EQ(errorFor(version), prefix + "unsupported .npy format version 9.0");
  EXPECT_EQ(
      errorFor(rawNpy(
          "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }\n", 16)),
      prefix + "fortran_order arrays are not supported (save "
               "np.ascontiguousarray(arr))");
  EXPECT_THAT(
      errorFor(rawNpy(
          "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }\n", 4)),
      HasSubstr("big-endian dtype '>f4' is not supported"));
  EXPECT_THAT(
      errorFor(rawNpy(
          "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }\n", 8)),
      HasSubstr("unsupported dtype '<c8'"));
  EXPECT_EQ(
      errorFor(rawNpy(
          "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n", 20)),
      prefix + "truncated: expected 24 bytes of data for shape [2, 3], got 20");
  EXPECT_THAT(
      errorFor(rawNpy(
          "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n", 5)),
      HasSubstr("1 unexpected trailing bytes after the data"));
  EXPECT_THAT(errorFor(rawNpy("{'descr': '<f4', 'shape': (1,), }\n", 4)),
              HasSubstr("malformed .npy header: the header must have"));
  EXPECT_THAT(
      errorFor(rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': "
                      "(-1,), }\n",
                      4)),
      HasSubstr("malformed .npy header: expected a non-negative dimension"));
  EXPECT_THAT(errorFor(rawNpy(
                  "{'descr': '<f4', 'fortran_order': False, 'shape': (1,)", 4)),
              HasSubstr("malformed .npy header: expected ',' or '}'"));
  // The declared header length runs past the end of the file.
  std::vector<uint8_t> cut = rawNpy("{}", 0);
  cut[8] = 200;
  EXPECT_THAT(errorFor(cut),
              HasSubstr("truncated: expected a 200-byte .npy header, got 2"));
}

TEST(NpyTest, Datasets) {
  TempDir dir;
  writeFile(dir.file("x.npy"),
            npyBytes(makeNpy<float>(DType::F32, {3, 2}, {1, 2, 3, 4, 5, 6})));
  writeFile(dir.file("y.npy"),
            npyBytes(makeNpy<int64_t>(DType::I64, {3}, {0, 2, 1})));
  writeFile(dir.file("t.npy"),
            npyBytes(makeNpy<double>(DType::F64, {3, 1}, {.5, 1, 2})));
  writeFile(dir.file("short.npy"),
            npyBytes(makeNpy<int32_t>(DType::I32, {2}, {0, 1})));

  llvm::Expected<Dataset> classes =
      loadNpyDataset(dir.file("x.npy"), dir.file("y.npy"), 3);
  ASSERT_TRUE(bool(classes)) << llvm::toString(classes.takeError());
  EXPECT_EQ(classes->size(), 3);
  EXPECT_EQ(classes->sampleShape(), llvm::ArrayRef<int64_t>({2}));
  EXPECT_EQ(classes->classLabels(), llvm::ArrayRef<int64_t>({0, 2, 1}));

  llvm::Expected<Dataset> regression =
      loadNpyDataset(dir.file("x.npy"), dir.file("t.npy"), std::nullopt);
  ASSERT_TRUE(bool(regression)) << llvm::toString(regression.takeError());
  EXPECT_FALSE(regression->hasClassLabels());
  EXPECT_EQ(regression->labelShape(), llvm::ArrayRef<int64_t>({1}));
  std::vector<float> targets(2);
  regression->gatherFloatLabels({2, 0}, targets);
  EXPECT_EQ(targets, std::vector<float>({2, .5}));

  EXPECT_EQ(
      errorOf(loadNpyDataset(dir.file("x.npy"), dir.file("short.npy"), 3)),
      dir.file("x.npy") + ": 3 samples but " + dir.file("short.npy") +
          " has 2 labels");
  EXPECT_THAT(errorOf(loadNpyDataset(dir.file("x.npy"), dir.file("y.npy"), 2)),
              HasSubstr("label 2 of sample 1 is outside [0, 2)"));
  EXPECT_THAT(errorOf(loadNpyDataset(dir.file("x.npy"), dir.file("t.npy"), 2)),
              HasSubstr("floating-point labels cannot be class indices"));
}

//===----------------------------------------------------------------------===//
// Shuffling, sharding and batching
//===----------------------------------------------------------------------===//

TEST(ShuffleTest, SplitMix64MatchesTheReference) {
  // The first outputs of Vigna's splitmix64.c for seed 0.
  SplitMix64 rng(0);
  EXPECT_EQ(rng.next(), 0xE220A8397B1DCDAFull);
  EXPECT_EQ(rng.next(), 0x6E789E6AA1B965F4ull);
  EXPECT_EQ(rng.next(), 0x06C45D188009454Full);
}

TEST(ShuffleTest, PinnedOrders) {
  // Computed by an independent Python implementation of the documented
  // algorithm: any change here breaks reproducibility across versions.
  EXPECT_EQ(shuffledOrder(10, 42, 0),
            std::vector<int64_t>({2, 3, 9, 7, 5, 8, 6, 4, 0, 1}));
  EXPECT_EQ(shuffledOrder(10, 42, 1),
            std::vector<int64_t>({0, 8, 1, 6, 4, 3, 5, 9, 2, 7}));
  EXPECT_EQ(shuffledOrder(10, 7, 0),
            std::vector<int64_t>({6, 4, 8, 3, 1, 7, 0, 2, 5, 9}));
}

TEST(ShuffleTest, EachEpochIsAPermutation) {
  std::vector<int64_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  std::set<std::vector<int64_t>> orders;
  for (uint64_t epoch = 0; epoch < 5; ++epoch) {
    std::vector<int64_t> order = shuffledOrder(1000, 1234, epoch);
    EXPECT_EQ(order, shuffledOrder(1000, 1234, epoch)) << "not deterministic";
    EXPECT_NE(order, identity);
    orders.insert(order);
    std::sort(order.begin(), order.end());
    EXPECT_EQ(order, identity) << "epoch " << epoch << " is no permutation";
  }
  EXPECT_EQ(orders.size(), 5u) << "epochs repeat an order";
  EXPECT_NE(shuffledOrder(1000, 1, 0), shuffledOrder(1000, 2, 0));
}

TEST(ShuffleTest, NextBelowIsRoughlyUniform) {
  SplitMix64 rng(99);
  std::vector<int> counts(6);
  for (int i = 0; i < 60000; ++i) {
    uint64_t value = rng.nextBelow(6);
    ASSERT_LT(value, 6u);
    ++counts[value];
  }
  for (int count : counts) {
    EXPECT_GT(count, 9500);
    EXPECT_LT(count, 10500);
  }
}

TEST(BatchTest, TrainingDropsTheLastPartialBatch) {
  BatchOptions options;
  options.batchSize = 3;
  options.shuffle = true;
  options.seed = 5;
  options.dropLast = true;
  llvm::Expected<EpochPlan> plan = EpochPlan::create(10, options, 0);
  ASSERT_TRUE(bool(plan)) << llvm::toString(plan.takeError());
  ASSERT_EQ(plan->numBatches(), 3);
  std::set<int64_t> seen;
  std::vector<int64_t> order = shuffledOrder(10, 5, 0);
  for (int64_t b = 0; b < 3; ++b) {
    Batch batch = plan->batch(b);
    EXPECT_EQ(batch.numValid, 3);
    ASSERT_EQ(batch.indices.size(), 3u);
    for (int64_t i = 0; i < 3; ++i) {
      EXPECT_EQ(batch.indices[i], order[b * 3 + i]);
      EXPECT_TRUE(seen.insert(batch.indices[i]).second);
    }
  }
}

TEST(BatchTest, EvaluationPadsTheLastBatch) {
  BatchOptions options;
  options.batchSize = 4;
  llvm::Expected<EpochPlan> plan = EpochPlan::create(10, options, 0);
  ASSERT_TRUE(bool(plan)) << llvm::toString(plan.takeError());
  ASSERT_EQ(plan->numBatches(), 3);
  EXPECT_EQ(plan->batch(0).indices, std::vector<int64_t>({0, 1, 2, 3}));
  Batch last = plan->batch(2);
  EXPECT_EQ(last.numValid, 2);
  EXPECT_EQ(last.indices, std::vector<int64_t>({8, 9, 8, 9}));
}

TEST(BatchTest, ShardsAreDisjointAndBalanced) {
  for (bool dropLast : {true, false}) {
    BatchOptions options;
    options.batchSize = 4;
    options.shuffle = true;
    options.seed = 11;
    options.dropLast = dropLast;
    options.numRanks = 4;
    std::set<int64_t> seen;
    int64_t batches = -1;
    int64_t validRows = 0;
    for (int64_t rank = 0; rank < 4; ++rank) {
      options.rank = rank;
      llvm::Expected<EpochPlan> plan = EpochPlan::create(103, options, 2);
      ASSERT_TRUE(bool(plan)) << llvm::toString(plan.takeError());
      if (batches < 0)
        batches = plan->numBatches();
      EXPECT_EQ(plan->numBatches(), batches) << "ranks would desynchronize";
      for (int64_t index : plan->shard())
        EXPECT_TRUE(seen.insert(index).second)
            << "sample " << index << " is in two shards";
      for (int64_t b = 0; b < plan->numBatches(); ++b)
        validRows += plan->batch(b).numValid;
    }
    if (dropLast) {
      // 6 full global batches of 16: the last 7 samples are dropped.
      EXPECT_EQ(batches, 6);
      EXPECT_EQ(seen.size(), 96u);
      EXPECT_EQ(validRows, 96);
    } else {
      // Evaluation sees every sample exactly once.
      EXPECT_EQ(batches, 7);
      EXPECT_EQ(seen.size(), 103u);
      EXPECT_EQ(validRows, 103);
    }
  }
}

TEST(BatchTest, RanksSplitEachGlobalBatch) {
  // 2 ranks at batch 64 see, batch by batch, the samples of 1 rank at 128:
  // rank r takes rows [r * 64, (r + 1) * 64) of each global batch.
  for (bool dropLast : {true, false}) {
    BatchOptions single;
    single.batchSize = 128;
    single.shuffle = true;
    single.seed = 7;
    single.dropLast = dropLast;
    llvm::Expected<EpochPlan> whole = EpochPlan::create(300, single, 3);
    ASSERT_TRUE(bool(whole)) << llvm::toString(whole.takeError());
    BatchOptions split = single;
    split.batchSize = 64;
    split.numRanks = 2;
    std::vector<EpochPlan> ranks;
    for (int64_t rank = 0; rank < 2; ++rank) {
      split.rank = rank;
      llvm::Expected<EpochPlan> plan = EpochPlan::create(300, split, 3);
      ASSERT_TRUE(bool(plan)) << llvm::toString(plan.takeError());
      ranks.push_back(std::move(*plan));
    }
    ASSERT_EQ(whole->numBatches(), dropLast ? 2 : 3);
    for (const EpochPlan &plan : ranks)
      ASSERT_EQ(plan.numBatches(), whole->numBatches());
    for (int64_t b = 0; b < whole->numBatches(); ++b) {
      Batch expected = whole->batch(b);
      std::vector<int64_t> joined;
      int64_t valid = 0;
      for (const EpochPlan &plan : ranks) {
        Batch part = plan.batch(b);
        joined.insert(joined.end(), part.indices.begin(),
                      part.indices.begin() + part.numValid);
        valid += part.numValid;
      }
      EXPECT_EQ(valid, expected.numValid) << "batch " << b;
      EXPECT_EQ(joined, std::vector<int64_t>(expected.indices.begin(),
                                             expected.indices.begin() +
                                                 expected.numValid))
          << "batch " << b;
    }
    if (!dropLast) {
      // The last global batch holds 44 samples: all of them rank 0's.
      EXPECT_EQ(ranks[0].batch(2).numValid, 44);
      EXPECT_EQ(ranks[1].batch(2).numValid, 0);
    }
  }
}

TEST(BatchTest, EmptyShardSlotsArePadding) {
  BatchOptions options;
  options.batchSize = 2;
  options.numRanks = 4;
  options.rank = 3;
  // 5 samples in one global batch of 8: rank 3's rows [6, 8) are empty.
  llvm::Expected<EpochPlan> plan = EpochPlan::create(5, options, 0);
  ASSERT_TRUE(bool(plan)) << llvm::toString(plan.takeError());
  ASSERT_EQ(plan->numBatches(), 1);
  Batch batch = plan->batch(0);
  EXPECT_EQ(batch.numValid, 0);
  EXPECT_EQ(batch.indices, std::vector<int64_t>({0, 0}));
}

TEST(BatchTest, InvalidOptions) {
  BatchOptions options;
  options.batchSize = 0;
  EXPECT_EQ(errorOf(EpochPlan::create(10, options, 0)),
            "the batch size must be positive, got 0");
  options.batchSize = 2;
  options.rank = 2;
  options.numRanks = 2;
  EXPECT_EQ(errorOf(EpochPlan::create(10, options, 0)), "invalid rank 2 of 2");
  options.rank = 0;
  options.batchSize = 8;
  options.dropLast = true;
  EXPECT_EQ(errorOf(EpochPlan::create(10, options, 0)),
            "a dataset of 10 samples has no full batch of 8 for each of 2 "
            "ranks");
}

} // namespace
