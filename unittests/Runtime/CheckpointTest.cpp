//===- CheckpointTest.cpp - tests of the safetensors writer and reader ----===//

#include "mlopt/Runtime/Checkpoint.h"
#include "mlopt/Runtime/CheckpointPolicy.h"

#include "RuntimeTestUtils.h"

#include "llvm/Support/Endian.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

#include <csignal>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>

using namespace mlir::mlopt::runtime;
using namespace mlir::mlopt::runtime::testing;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

/// An 8-byte little-endian length, `header` verbatim, then `data`.
std::vector<uint8_t> assemble(const std::string &header,
                              const std::vector<uint8_t> &data) {
  std::vector<uint8_t> bytes(8);
  llvm::support::endian::write64le(bytes.data(), header.size());
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

std::vector<uint8_t> floatBytes(const std::vector<float> &values) {
  std::vector<uint8_t> bytes(values.size() * 4);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

std::vector<uint8_t> serialize(llvm::ArrayRef<TensorRef> tensors,
                               const CheckpointMetadata &metadata) {
  llvm::Expected<std::vector<uint8_t>> bytes =
      serializeSafetensors(tensors, metadata);
  EXPECT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
  return bytes ? *bytes : std::vector<uint8_t>();
}

//===----------------------------------------------------------------------===//
// Byte-exact layout
//===----------------------------------------------------------------------===//

TEST(SafetensorsTest, MatchesTheReferenceSerialization) {
  // The reference implementation's own test vector (tensor.rs,
  // test_serialization): one F32 [1, 2, 3] tensor, no metadata, a 64-byte
  // header that needs no padding.
  std::vector<uint8_t> data = floatBytes({0, 1, 2, 3, 4, 5});
  std::vector<uint8_t> expected = assemble(
      R"({"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}})",
      data);
  ASSERT_EQ(expected[0], 64);
  EXPECT_EQ(serialize({{{"attn.0", DType::F32, {1, 2, 3}}, data}}, {}),
            expected);

  // test_serialization_forced_alignement: a 65-byte header padded to 72.
  EXPECT_EQ(
      serialize({{{"attn0", DType::F32, {1, 1, 2, 3}}, data}}, {}),
      assemble(
          R"({"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}})"
          "       ",
          data));

  // test_empty with metadata: {"framework": "pt"} and no tensor.
  EXPECT_EQ(serialize({}, {{"framework", "pt"}}),
            assemble(R"({"__metadata__":{"framework":"pt"}})"
                     "     ",
                     {}));
  EXPECT_EQ(serialize({}, {}), assemble("{}      ", {}));
}

TEST(SafetensorsTest, OrdersByAlignmentThenName) {
  std::vector<uint8_t> b = floatBytes({1});
  std::vector<uint8_t> a2 = floatBytes({2, 3});
  std::vector<uint8_t> a(8, 0xaa);
  std::vector<uint8_t> c = {7, 8, 9};
  std::vector<uint8_t> h = {0x3c, 0x00}; // F16 1.0
  std::vector<TensorRef> tensors = {
      {{"b", DType::F32, {1}}, b}, {{"c", DType::U8, {3}}, c},
      {{"a", DType::I64, {1}}, a}, {{"a2", DType::F32, {2}}, a2},
      {{"h", DType::F16, {}}, h},
  };
  std::string header =
      R"({"__metadata__":{"format":"pt","step":"7"},)"
      R"("a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},)"
      R"("a2":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},)"
      R"("b":{"dtype":"F32","shape":[1],"data_offsets":[16,20]},)"
      R"("h":{"dtype":"F16","shape":[],"data_offsets":[20,22]},)"
      R"("c":{"dtype":"U8","shape":[3],"data_offsets":[22,25]}})";
  header.append((8 - header.size() % 8) % 8, ' ');
  std::vector<uint8_t> data;
  for (const std::vector<uint8_t> *part : {&a, &a2, &b, &h, &c})
    data.insert(data.end(), part->begin(), part->end());
  EXPECT_EQ(serialize(tensors, {{"step", "7"}, {"format", "pt"}}),
            assemble(header, data));
}

//===----------------------------------------------------------------------===//
// Round trips
//===----------------------------------------------------------------------===//

TEST(SafetensorsTest, RoundTripsEveryDType) {
  TempDir dir;
  std::vector<std::vector<uint8_t>> storage;
  std::vector<TensorRef> tensors;
  for (auto [i, info] : llvm::enumerate(allDTypes())) {
    DType dtype = info.dtype;
    TensorSpec spec{"layer" + std::to_string(i) + ".weight", dtype, {2, 3}};
    std::vector<uint8_t> bytes(*spec.numBytes());
    for (size_t j = 0; j < bytes.size(); ++j)
      bytes[j] = dtype == DType::Bool ? j % 2 : uint8_t(i * 31 + j);
    storage.push_back(std::move(bytes));
    tensors.push_back({spec, storage.back()});
  }
  // A scalar and an empty tensor are legal too.
  storage.push_back({1, 0, 0, 0});
  tensors.push_back({{"step", DType::I32, {}}, storage.back()});
  storage.push_back({});
  tensors.push_back({{"empty", DType::F32, {0, 4}}, storage.back()});

  std::string path = dir.file("model.safetensors");
  ASSERT_EQ(errorOf(writeSafetensors(path, tensors, {{"format", "pt"}})),
            "<success>");
  llvm::Expected<SafetensorsFile> file = SafetensorsFile::open(path);
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_EQ(file->tensors().size(), tensors.size());
  EXPECT_EQ(file->metadata(), CheckpointMetadata({{"format", "pt"}}));
  for (const TensorRef &tensor : tensors) {
    const SafetensorsEntry *entry = file->lookup(tensor.spec.name);
    ASSERT_NE(entry, nullptr) << tensor.spec.name;
    EXPECT_EQ(entry->spec.dtype, tensor.spec.dtype) << tensor.spec.name;
    EXPECT_EQ(entry->spec.shape, tensor.spec.shape) << tensor.spec.name;
    EXPECT_EQ(file->data(*entry), tensor.bytes) << tensor.spec.name;
  }
  EXPECT_EQ(file->lookup("nothing"), nullptr);
  // Offsets ascend and tile the data section.
  uint64_t offset = 0;
  for (const SafetensorsEntry &entry : file->tensors()) {
    EXPECT_EQ(entry.begin, offset);
    offset = entry.end;
  }
  EXPECT_EQ(errorOf(file->checkCompatible([&] {
              std::vector<TensorSpec> specs;
              for (const TensorRef &tensor : tensors)
                specs.push_back(tensor.spec);
              return specs;
            }())),
            "<success>");
  EXPECT_EQ(dir.list(), std::vector<std::string>({"model.safetensors"}));
}

TEST(SafetensorsTest, DTypeNames) {
  for (const DTypeInfo &info : allDTypes())
    EXPECT_EQ(parseDType(dtypeName(info.dtype)), info.dtype);
  EXPECT_EQ(dtypeName(DType::Bool), "BOOL");
  EXPECT_EQ(dtypeSize(DType::BF16), 2);
  EXPECT_EQ(parseDType("F8_E4M3"), std::nullopt);
  EXPECT_EQ(bytesPerDType({{"a", DType::F32, {10, 784}},
                           {"b", DType::F32, {10}},
                           {"step", DType::I64, {}}}),
            (std::vector<std::pair<std::string, uint64_t>>{{"F32", 31400},
                                                           {"I64", 8}}));
}

//===----------------------------------------------------------------------===//
// Writing failures leave nothing behind
//===----------------------------------------------------------------------===//

TEST(SafetensorsTest, NoFileLeftWhenTheDirectoryIsMissing) {
  TempDir dir;
  std::vector<uint8_t> data = floatBytes({1, 2});
  std::string path = dir.file("missing/model.safetensors");
  EXPECT_THAT(
      errorOf(writeSafetensors(path, {{{"w", DType::F32, {2}}, data}}, {})),
      HasSubstr(path + ": cannot create a temporary file: "));
  EXPECT_TRUE(dir.list().empty());
}

// A save killed at any moment leaves either no file or a complete one, under
// any name: the writer runs in a child process that is killed after a
// varying delay.
TEST(SafetensorsTest, KilledSaveLeavesNoPartialFile) {
  std::vector<float> values(16 << 20, 0.5f); // 64 MiB: a save takes a while
  std::vector<uint8_t> data(values.size() * sizeof(float));
  std::memcpy(data.data(), values.data(), data.size());
  std::vector<TensorRef> tensors = {
      {{"w", DType::F32, {static_cast<int64_t>(values.size())}}, data}};
  for (int delayMs : {0, 2, 5, 10, 20, 40, 80}) {
    TempDir dir;
    std::string path = dir.file("model.safetensors");
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      llvm::Error error = writeSafetensors(path, tensors, {});
      ::_exit(error ? (llvm::consumeError(std::move(error)), 1) : 0);
    }
    ::usleep(delayMs * 1000);
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    for (const std::string &name : dir.list()) {
      auto file = SafetensorsFile::open(dir.file(name));
      ASSERT_TRUE(bool(file)) << "after " << delayMs << " ms, '" << name
                              << "' is not a complete checkpoint: "
                              << llvm::toString(file.takeError());
      EXPECT_EQ(file->tensors().size(), 1u);
    }
    // The next save cleans up whatever a killed save left and succeeds.
    ASSERT_FALSE(bool(writeSafetensors(path, tensors, {})));
    EXPECT_EQ(dir.list(), std::vector<std::string>({"model.safetensors"}));
  }
}

TEST(SafetensorsTest, NoFileLeftWhenTheRenameFails) {
  TempDir dir;
  // A non-empty directory where the checkpoint should go: rename(2) fails
  // after the temporary file was written.
  std::string path = dir.file("model.safetensors");
  ASSERT_FALSE(llvm::sys::fs::create_directory(path));
  writeFile(path + "/keep", {1});
  std::vector<uint8_t> data = floatBytes({1, 2});
  EXPECT_THAT(
      errorOf(writeSafetensors(path, {{{"w", DType::F32, {2}}, data}}, {})),
      HasSubstr(path + ": cannot rename "));
  EXPECT_EQ(dir.list(), std::vector<std::string>({"model.safetensors"}));
}

TEST(SafetensorsTest, InvalidTensorsKeepTheOldCheckpoint) {
  TempDir dir;
  std::string path = dir.file("model.safetensors");
  std::vector<uint8_t> good = floatBytes({1, 2, 3, 4});
  ASSERT_EQ(
      errorOf(writeSafetensors(path, {{{"w", DType::F32, {2, 2}}, good}}, {})),
      "<success>");
  std::vector<uint8_t> before = readFile(path);
  std::vector<uint8_t> shortData = floatBytes({1, 2, 3});
  EXPECT_EQ(errorOf(writeSafetensors(
                path, {{{"w", DType::F32, {2, 2}}, shortData}}, {})),
            path + ": tensor 'w': F32 [2, 2] needs 16 bytes, got 12");
  EXPECT_EQ(errorOf(writeSafetensors(path,
                                     {{{"w", DType::F32, {2, 2}}, good},
                                      {{"w", DType::F32, {2, 2}}, good}},
                                     {})),
            path + ": duplicate tensor name 'w'");
  EXPECT_EQ(errorOf(writeSafetensors(
                path, {{{"__metadata__", DType::F32, {2, 2}}, good}}, {})),
            path + ": tensor name '__metadata__' is reserved");
  EXPECT_EQ(
      errorOf(writeSafetensors(path, {{{"w", DType::F32, {-1, 2}}, good}}, {})),
      path + ": tensor 'w': invalid shape F32 [-1, 2]");
  EXPECT_EQ(readFile(path), before);
  EXPECT_EQ(dir.list(), std::vector<std::string>({"model.safetensors"}));
}

//===----------------------------------------------------------------------===//
// Corrupt files
//===----------------------------------------------------------------------===//

class CorruptSafetensorsTest : public ::testing::Test {
protected:
  /// The reader's message for a file of `bytes`, without the path prefix.
  std::string errorFor(const std::vector<uint8_t> &bytes) {
    std::string path = dir.file("bad.safetensors");
    writeFile(path, bytes);
    std::string message = errorOf(SafetensorsFile::open(path));
    llvm::StringRef text = message;
    if (!text.consume_front(path + ": "))
      return "message without the file name: " + message;
    return text.str();
  }
  std::string errorForHeader(const std::string &header, size_t dataSize) {
    return errorFor(assemble(header, std::vector<uint8_t>(dataSize)));
  }

  TempDir dir;
};

TEST_F(CorruptSafetensorsTest, HeaderLength) {
  EXPECT_EQ(errorFor({1, 0, 0}),
            "truncated: 3 bytes, too short for the 8-byte header length");
  std::vector<uint8_t> tooLong = assemble("{}", {});
  tooLong[0] = 100;
  EXPECT_EQ(errorFor(tooLong),
            "truncated: header length 100 runs past the end of the 10-byte "
            "file");
  std::vector<uint8_t> huge = assemble("{}", {});
  llvm::support::endian::write64le(huge.data(), 1ull << 40);
  EXPECT_EQ(errorFor(huge), "header length 1099511627776 exceeds the limit "
                            "of 100000000 bytes");
}

TEST_F(CorruptSafetensorsTest, Json) {
  EXPECT_EQ(errorForHeader("[1, 2]", 0), "the header does not start with '{'");
  EXPECT_THAT(errorForHeader(R"({"a": )", 0),
              HasSubstr("invalid JSON header: "));
  EXPECT_EQ(errorForHeader(R"({"a": 5})", 0),
            "tensor 'a': expected an object with dtype, shape and "
            "data_offsets");
  EXPECT_EQ(errorForHeader(R"({"__metadata__": {"k": 1}})", 0),
            "'__metadata__' entry 'k' is not a string");
  EXPECT_EQ(errorForHeader(R"({"__metadata__": [1]})", 0),
            "'__metadata__' must be an object");
  // llvm::json alone would keep one of the two silently.
  EXPECT_EQ(errorForHeader(
                R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                R"("x":{"dtype":"U8","shape":[1],"data_offsets":[1,2]},)"
                R"( "w" :{"dtype":"U8","shape":[1],"data_offsets":[1,2]}})",
                2),
            "the header names 'w' twice");
  // Keys compare after decoding: "fc\u002ebias" is "fc.bias".
  EXPECT_EQ(errorForHeader(
                R"({"fc.bias":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},)"
                R"("fc\u002ebias":{"dtype":"U8","shape":[1],)"
                R"("data_offsets":[1,2]}})",
                2),
            "the header names 'fc.bias' twice");
  // Deep nesting is refused before the (recursive) JSON parser sees it.
  std::string deep = R"({"__metadata__":)" + std::string(100000, '[') +
                     std::string(100000, ']') + "}";
  EXPECT_EQ(errorForHeader(deep, 0), "the header nests deeper than 16 levels");
  // Keys of nested objects and string values are not root keys.
  std::string path = dir.file("nested.safetensors");
  writeFile(path, assemble(R"({"__metadata__":{"w":"w","x\"y":"w"},)"
                           R"("w":{"dtype":"U8","shape":[1],)"
                           R"("data_offsets":[0,1]}})",
                           {1}));
  llvm::Expected<SafetensorsFile> nested = SafetensorsFile::open(path);
  ASSERT_TRUE(bool(nested)) << llvm::toString(nested.takeError());
  EXPECT_EQ(nested->metadata().at("x\"y"), "w");
}

TEST_F(CorruptSafetensorsTest, TensorEntries) {
  EXPECT_EQ(
      errorForHeader(R"({"w":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}})",
                     1),
      "tensor 'w': unsupported dtype 'F8' (supported: F64 F32 F16 BF16 I64 "
      "I32 I16 I8 U8 BOOL)");
  EXPECT_EQ(errorForHeader(R"({"w":{"shape":[1],"data_offsets":[0,4]}})", 4),
            "tensor 'w': missing or non-string 'dtype'");
  EXPECT_EQ(
      errorForHeader(
          R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4),
      "tensor 'w': 'shape' must hold non-negative integers");
  EXPECT_EQ(
      errorForHeader(
          R"({"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4),
      "tensor 'w': 'shape' must hold non-negative integers");
  // An integral float is still not a dimension.
  EXPECT_EQ(
      errorForHeader(
          R"({"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}})", 4),
      "tensor 'w': 'shape' must hold non-negative integers");
  EXPECT_EQ(errorForHeader(
                R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 4),
            "tensor 'w': 'data_offsets' must be [begin, end] with non-negative "
            "integers");
  EXPECT_EQ(errorForHeader(
                R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}})", 4),
            "tensor 'w': data_offsets [4, 0] end before they begin");
  EXPECT_EQ(errorForHeader(
                R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 4),
            "tensor 'w': F32 [2] needs 8 bytes but data_offsets [0, 4] hold "
            "4");
}

TEST_F(CorruptSafetensorsTest, Offsets) {
  EXPECT_EQ(errorForHeader(
                R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                R"("b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})",
                12),
            "tensor 'b': data_offsets [8, 12] leave a gap after the end of "
            "tensor 'a' at 4");
  EXPECT_EQ(
      errorForHeader(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                     R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                     8),
      "tensor 'b': data_offsets [4, 8] overlap the end of tensor 'a' "
      "at 8");
  EXPECT_EQ(errorForHeader(
                R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8),
            "tensor 'a': data_offsets [4, 8] leave a gap after the start of "
            "the data section at 0");
  EXPECT_EQ(errorForHeader(
                R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4),
            "truncated: tensor 'a' ends at byte 8 of a 4-byte data section");
  EXPECT_EQ(
      errorForHeader(
          R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 12),
      "the data section has 12 bytes but the tensors cover 4");
}

TEST_F(CorruptSafetensorsTest, TruncatedWrittenFile) {
  std::vector<uint8_t> data = floatBytes({1, 2, 3, 4});
  std::vector<uint8_t> bytes =
      serialize({{{"w", DType::F32, {4}}, data}}, {{"format", "pt"}});
  bytes.resize(bytes.size() - 3);
  EXPECT_EQ(errorFor(bytes),
            "truncated: tensor 'w' ends at byte 16 of a 13-byte data section");
}

//===----------------------------------------------------------------------===//
// checkCompatible
//===----------------------------------------------------------------------===//

TEST(SafetensorsTest, CheckCompatibleListsEveryMismatch) {
  TempDir dir;
  std::string path = dir.file("ckpt.safetensors");
  std::vector<uint8_t> w1(10 * 4 * 4), b1(10 * 4), w2(4 * 8), extra(2);
  ASSERT_EQ(errorOf(writeSafetensors(path,
                                     {{{"fc1.weight", DType::F32, {10, 4}}, w1},
                                      {{"fc1.bias", DType::F32, {10}}, b1},
                                      {{"fc2.weight", DType::F64, {4}}, w2},
                                      {{"zz.extra", DType::U8, {2}}, extra}},
                                     {{"format", "pt"}})),
            "<success>");
  llvm::Expected<SafetensorsFile> file = SafetensorsFile::open(path);
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  std::vector<TensorSpec> expected = {
      {"fc1.weight", DType::F32, {20, 4}},
      {"fc1.bias", DType::F32, {10}},
      {"fc2.weight", DType::F32, {4}},
      {"fc2.bias", DType::F32, {4}},
  };
  EXPECT_EQ(errorOf(file->checkCompatible(expected)),
            path + ": does not match the model (4 mismatches): "
                   "tensor 'fc1.weight' is F32 [10, 4], expected F32 [20, 4]; "
                   "tensor 'fc2.weight' is F64 [4], expected F32 [4]; "
                   "missing tensor 'fc2.bias' (F32 [4]); "
                   "unexpected tensor 'zz.extra' (U8 [2])");
  EXPECT_EQ(errorOf(file->checkCompatible({{"fc1.bias", DType::F32, {10}},
                                           {"fc1.weight", DType::F32, {10, 4}},
                                           {"fc2.weight", DType::F64, {4}}})),
            path + ": does not match the model (1 mismatch): unexpected "
                   "tensor 'zz.extra' (U8 [2])");
}

//===----------------------------------------------------------------------===//
// Checkpoint policy: derived state
//===----------------------------------------------------------------------===//

/// A linear model whose weight is multiplied by a mask state when `masked`,
/// as a model pruned by mlopt-prune reads it (kind mask, derived state);
/// Adam gives it optimizer moments and a step counter.
std::string linearModel(bool masked) {
  std::string text = R"(
mlopt.state @fc.weight : tensor<1x4xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.bias : tensor<1xf32> parameter trainable init #mlopt.zeros
)";
  if (masked)
    text += "mlopt.state @fc.weight.mask : tensor<1x4xf32> mask "
            "init #mlopt.ones\n";
  text += R"(
func.func @loss(%x: tensor<2x4xf32> {mlopt.input},
                %y: tensor<2x1xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w0 = mlopt.state_read @fc.weight : tensor<1x4xf32>
  %b = mlopt.state_read @fc.bias : tensor<1xf32>
)";
  if (masked)
    text += "  %m = mlopt.state_read @fc.weight.mask : tensor<1x4xf32>\n"
            "  %w = mlopt.mul %w0, %m : tensor<1x4xf32>\n";
  text += masked ? "  %p = mlopt.linear %x, %w, %b"
                 : "  %p = mlopt.linear %x, %w0, %b";
  text += R"(
      : (tensor<2x4xf32>, tensor<1x4xf32>, tensor<1xf32>) -> tensor<2x1xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<2x1xf32>, tensor<2x1xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
)";
  return text;
}

/// A compiled linear model (reference backend, Adam), initialized.
struct CompiledModel {
  std::unique_ptr<Model> model;
  std::unique_ptr<Session> session;
};

CompiledModel compileLinear(bool masked) {
  CompiledModel result;
  auto model = Model::parse(linearModel(masked), "linear.mlir");
  EXPECT_TRUE(bool(model)) << llvm::toString(model.takeError());
  if (!model)
    return result;
  result.model = std::move(*model);
  SessionOptions options;
  options.backend = "reference";
  options.pipeline.optimizer.optimizer = "adam";
  options.pipeline.optimizer.lr = 0.1;
  auto session = Session::compile(*result.model, options);
  EXPECT_TRUE(bool(session)) << llvm::toString(session.takeError());
  if (!session)
    return result;
  result.session = std::move(*session);
  EXPECT_EQ(errorOf(result.session->init(1)), "<success>");
  return result;
}

std::vector<float> readFloats(Session &session, llvm::StringRef name) {
  auto bytes = session.readState(name);
  EXPECT_TRUE(bool(bytes)) << llvm::toString(bytes.takeError());
  std::vector<float> values(bytes ? bytes->size() / 4 : 0);
  if (bytes)
    std::memcpy(values.data(), bytes->data(), bytes->size());
  return values;
}

/// A checkpoint of the unmasked model after two Adam steps: its optimizer
/// moments and step are not the initial ones.
class DerivedStateTest : public ::testing::Test {
protected:
  void SetUp() override {
    CompiledModel trained = compileLinear(/*masked=*/false);
    ASSERT_TRUE(trained.session);
    std::vector<float> x = {1, 2, 3, 4, -1, 0, 1, 2}, y = {1, -1};
    for (int step = 0; step < 2; ++step) {
      auto result = trained.session->trainStep(
          {viewTensor("x", DType::F32, {2, 4}, x.data()),
           viewTensor("y", DType::F32, {2, 1}, y.data())});
      ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
    }
    weight = readFloats(*trained.session, "fc.weight");
    ASSERT_NE(readFloats(*trained.session, "optimizer.fc.weight.exp_avg"),
              std::vector<float>(4, 0.0f));
    unpruned = dir.file("unpruned.safetensors");
    ASSERT_EQ(errorOf(saveCheckpoint(*trained.session, unpruned, 2)),
              "<success>");
  }

  TempDir dir;
  std::string unpruned;
  std::vector<float> weight;
};

// Pruning a trained model: the masks the file lacks are derived state, so
// training starts over from its model tensors, with fresh optimizer state
// at step 0, rather than resuming its Adam moments.
TEST_F(DerivedStateTest, MissingMaskStartsANewTrainingPhase) {
  CompiledModel pruned = compileLinear(/*masked=*/true);
  ASSERT_TRUE(pruned.session);
  auto loaded = loadCheckpoint(*pruned.session, unpruned, CheckpointUse::Train);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  EXPECT_EQ(loaded->fresh, FreshTrainingState::NewDerivedState);
  EXPECT_EQ(loaded->step, 0);
  EXPECT_FALSE(loaded->restoredTrainingState);
  EXPECT_THAT(loaded->derived, ElementsAre("fc.weight.mask"));
  EXPECT_THAT(loaded->initialized,
              ElementsAre("fc.weight.mask", "optimizer.fc.weight.exp_avg",
                          "optimizer.fc.weight.exp_avg_sq",
                          "optimizer.fc.bias.exp_avg",
                          "optimizer.fc.bias.exp_avg_sq", "optimizer.step"));
  EXPECT_EQ(readFloats(*pruned.session, "fc.weight"), weight);
  EXPECT_EQ(readFloats(*pruned.session, "fc.weight.mask"),
            std::vector<float>(4, 1.0f));
  EXPECT_EQ(readFloats(*pruned.session, "optimizer.fc.weight.exp_avg"),
            std::vector<float>(4, 0.0f));
  auto step = pruned.session->readState("optimizer.step");
  ASSERT_TRUE(bool(step));
  EXPECT_EQ(*step, std::vector<uint8_t>(8, 0));

  // --load-weights-only says why by itself; the mask is still derived.
  loaded = loadCheckpoint(*pruned.session, unpruned, CheckpointUse::Weights);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  EXPECT_EQ(loaded->fresh, FreshTrainingState::WeightsOnly);
  EXPECT_THAT(loaded->derived, ElementsAre("fc.weight.mask"));

  // Evaluation reads the mask: it must be in the file.
  EXPECT_THAT(
      errorOf(
          loadCheckpoint(*pruned.session, unpruned, CheckpointUse::Evaluate)),
      HasSubstr("(1 mismatch): missing tensor 'fc.weight.mask' (F32 [1, 4])"));
}

// A checkpoint of the pruned model, masks included, resumes as any other.
TEST_F(DerivedStateTest, CheckpointWithMasksResumes) {
  CompiledModel pruned = compileLinear(/*masked=*/true);
  ASSERT_TRUE(pruned.session);
  std::vector<float> mask = {1, 0, 1, 0};
  ASSERT_EQ(errorOf(pruned.session->writeState(
                "fc.weight.mask",
                llvm::ArrayRef<uint8_t>(
                    reinterpret_cast<const uint8_t *>(mask.data()), 16))),
            "<success>");
  int64_t seven = 7;
  ASSERT_EQ(
      errorOf(pruned.session->writeState(
          "optimizer.step", llvm::ArrayRef<uint8_t>(
                                reinterpret_cast<const uint8_t *>(&seven), 8))),
      "<success>");
  std::string path = dir.file("pruned.safetensors");
  ASSERT_EQ(errorOf(saveCheckpoint(*pruned.session, path, 7)), "<success>");

  CompiledModel resumed = compileLinear(/*masked=*/true);
  ASSERT_TRUE(resumed.session);
  auto loaded = loadCheckpoint(*resumed.session, path, CheckpointUse::Train);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  EXPECT_EQ(loaded->fresh, FreshTrainingState::None);
  EXPECT_TRUE(loaded->restoredTrainingState);
  EXPECT_EQ(loaded->step, 7);
  EXPECT_TRUE(loaded->initialized.empty());
  EXPECT_TRUE(loaded->derived.empty());
  EXPECT_EQ(readFloats(*resumed.session, "fc.weight.mask"), mask);

  // For finalization: every model tensor, masks included, from a file of
  // any optimizer; the file's training state is not loaded.
  CompiledModel finalizing = compileLinear(/*masked=*/true);
  ASSERT_TRUE(finalizing.session);
  loaded =
      loadCheckpoint(*finalizing.session, path, CheckpointUse::ModelTensors);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  EXPECT_EQ(loaded->fresh, FreshTrainingState::None);
  EXPECT_EQ(readFloats(*finalizing.session, "fc.weight.mask"), mask);
  auto step = finalizing.session->readState("optimizer.step");
  ASSERT_TRUE(bool(step));
  EXPECT_EQ(*step, std::vector<uint8_t>(8, 0));
  EXPECT_EQ(errorOf(loadCheckpoint(*finalizing.session, unpruned,
                                   CheckpointUse::ModelTensors)),
            unpruned + ": does not match the model (1 mismatch): missing "
                       "tensor 'fc.weight.mask' (F32 [1, 4])");

  // Into the unpruned model, the masks are tensors it does not have.
  CompiledModel plain = compileLinear(/*masked=*/false);
  ASSERT_TRUE(plain.session);
  EXPECT_THAT(
      errorOf(loadCheckpoint(*plain.session, path, CheckpointUse::Train)),
      HasSubstr("unexpected tensor 'fc.weight.mask' (F32 [1, 4])"));
}

// A state_dict (model tensors only) without the mask: a new phase too.
TEST_F(DerivedStateTest, StateDictWithoutMask) {
  CompiledModel plain = compileLinear(/*masked=*/false);
  ASSERT_TRUE(plain.session);
  std::string path = dir.file("state_dict.safetensors");
  std::vector<float> bias = {0.25f};
  ASSERT_EQ(errorOf(saveModelTensors(
                {{{"fc.weight", DType::F32, {1, 4}},
                  llvm::ArrayRef<uint8_t>(
                      reinterpret_cast<const uint8_t *>(weight.data()), 16)},
                 {{"fc.bias", DType::F32, {1}},
                  llvm::ArrayRef<uint8_t>(
                      reinterpret_cast<const uint8_t *>(bias.data()), 4)}},
                path)),
            "<success>");
  auto file = SafetensorsFile::open(path);
  ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
  EXPECT_EQ(file->metadata(), CheckpointMetadata({{"format", "pt"}}));

  // Without derived state missing, it is a state_dict as before.
  auto loaded = loadCheckpoint(*plain.session, path, CheckpointUse::Train);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  EXPECT_EQ(loaded->fresh, FreshTrainingState::NotInFile);
  EXPECT_TRUE(loaded->derived.empty());

  CompiledModel pruned = compileLinear(/*masked=*/true);
  ASSERT_TRUE(pruned.session);
  loaded = loadCheckpoint(*pruned.session, path, CheckpointUse::Train);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  EXPECT_EQ(loaded->fresh, FreshTrainingState::NewDerivedState);
  EXPECT_EQ(readFloats(*pruned.session, "fc.bias"), bias);

  // Non-finite values are not saved.
  std::vector<float> bad = {1, NAN, 0, 0};
  EXPECT_EQ(errorOf(saveModelTensors(
                {{{"fc.weight", DType::F32, {1, 4}},
                  llvm::ArrayRef<uint8_t>(
                      reinterpret_cast<const uint8_t *>(bad.data()), 16)}},
                dir.file("bad.safetensors"))),
            "not saving " + dir.file("bad.safetensors") +
                ": tensor 'fc.weight' holds NaN at element 1");
}

//===----------------------------------------------------------------------===//
// Checkpoint policy: teacher state
//===----------------------------------------------------------------------===//

/// The linear model of linearModel, with a frozen teacher when `teacher`:
/// the states `teacher.fc.weight` and `teacher.fc.bias` of kind teacher
/// hold their embedded values (as mlopt-distill writes them), and the loss
/// adds the MSE between the student's and the teacher's outputs (regression
/// distillation, without mode_select: @eval_step reads the teacher too).
std::string distilledLinearModel(bool teacher) {
  std::string text = R"(
mlopt.state @fc.weight : tensor<1x4xf32> parameter trainable
    init #mlopt.kaiming_uniform<a = 2.2360679774997898>
mlopt.state @fc.bias : tensor<1xf32> parameter trainable init #mlopt.zeros
)";
  if (teacher)
    text += R"(
mlopt.state @teacher.fc.weight : tensor<1x4xf32> teacher
    init #mlopt.value<dense<[[0.5, -1.0, 2.0, 0.25]]> : tensor<1x4xf32>>
mlopt.state @teacher.fc.bias : tensor<1xf32> teacher
    init #mlopt.value<dense<[0.75]> : tensor<1xf32>>
)";
  text += R"(
func.func @loss(%x: tensor<2x4xf32> {mlopt.input},
                %y: tensor<2x1xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<1x4xf32>
  %b = mlopt.state_read @fc.bias : tensor<1xf32>
  %p = mlopt.linear %x, %w, %b
      : (tensor<2x4xf32>, tensor<1x4xf32>, tensor<1xf32>) -> tensor<2x1xf32>
  %s = mlopt.mse_loss %p, %y : (tensor<2x1xf32>, tensor<2x1xf32>) -> tensor<f32>
)";
  text += teacher ? R"(
  %tw = mlopt.state_read @teacher.fc.weight : tensor<1x4xf32>
  %tb = mlopt.state_read @teacher.fc.bias : tensor<1xf32>
  %t = mlopt.linear %x, %tw, %tb
      : (tensor<2x4xf32>, tensor<1x4xf32>, tensor<1xf32>) -> tensor<2x1xf32>
  %d = mlopt.mse_loss %p, %t : (tensor<2x1xf32>, tensor<2x1xf32>) -> tensor<f32>
  %l = mlopt.add %s, %d : tensor<f32>
  return %l : tensor<f32>
}
)"
                  : R"(
  return %s : tensor<f32>
}
)";
  return text;
}

CompiledModel compileDistilled(bool teacher) {
  CompiledModel result;
  auto model = Model::parse(distilledLinearModel(teacher), "distilled.mlir");
  EXPECT_TRUE(bool(model)) << llvm::toString(model.takeError());
  if (!model)
    return result;
  result.model = std::move(*model);
  SessionOptions options;
  options.backend = "reference";
  options.pipeline.optimizer.optimizer = "adam";
  options.pipeline.optimizer.lr = 0.1;
  auto session = Session::compile(*result.model, options);
  EXPECT_TRUE(bool(session)) << llvm::toString(session.takeError());
  if (!session)
    return result;
  result.session = std::move(*session);
  EXPECT_EQ(errorOf(result.session->init(1)), "<success>");
  return result;
}

const std::vector<float> kTeacherWeight = {0.5f, -1.0f, 2.0f, 0.25f};
const std::vector<float> kTeacherBias = {0.75f};

/// The names of the tensors of the safetensors file `path`.
std::vector<std::string> tensorNames(const std::string &path) {
  auto file = SafetensorsFile::open(path);
  EXPECT_TRUE(bool(file)) << llvm::toString(file.takeError());
  std::vector<std::string> names;
  if (file)
    for (const SafetensorsEntry &entry : file->tensors())
      names.push_back(entry.spec.name);
  std::sort(names.begin(), names.end());
  return names;
}

/// A distilled model trained two Adam steps and saved at step 2.
class TeacherStateTest : public ::testing::Test {
protected:
  void SetUp() override {
    trained = compileDistilled(/*teacher=*/true);
    ASSERT_TRUE(trained.session);
    for (int step = 0; step < 2; ++step) {
      auto result = trainStep(*trained.session);
      ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
    }
    path = dir.file("student.safetensors");
    ASSERT_EQ(errorOf(saveCheckpoint(*trained.session, path, 2)), "<success>");
  }

  llvm::Expected<StepResult> trainStep(Session &session) {
    return session.trainStep({viewTensor("x", DType::F32, {2, 4}, x.data()),
                              viewTensor("y", DType::F32, {2, 1}, y.data())});
  }
  llvm::Expected<StepResult> evalStep(Session &session) {
    return session.evalStep({viewTensor("x", DType::F32, {2, 4}, x.data()),
                             viewTensor("y", DType::F32, {2, 1}, y.data())});
  }

  std::vector<float> x = {1, 2, 3, 4, -1, 0, 1, 2}, y = {1, -1};
  TempDir dir;
  CompiledModel trained;
  std::string path;
};

// The teacher is frozen (training leaves it at its embedded value) and no
// checkpoint holds it: its value is part of the model.
TEST_F(TeacherStateTest, CheckpointsLeaveTheTeacherOut) {
  auto states = trained.session->getStates();
  auto teacher = llvm::find_if(states, [](const StateInfo &info) {
    return info.spec.name == "teacher.fc.weight";
  });
  ASSERT_NE(teacher, states.end());
  EXPECT_EQ(teacher->kind, mlir::mlopt::StateKind::Teacher);
  EXPECT_TRUE(isTeacherState(*teacher));
  EXPECT_FALSE(isTrainingState(*teacher));
  EXPECT_FALSE(isDerivedState(*teacher));
  EXPECT_FALSE(teacher->trainable);
  EXPECT_EQ(readFloats(*trained.session, "teacher.fc.weight"), kTeacherWeight);
  EXPECT_EQ(readFloats(*trained.session, "teacher.fc.bias"), kTeacherBias);
  EXPECT_THAT(tensorNames(path),
              ElementsAre("fc.bias", "fc.weight", "optimizer.fc.bias.exp_avg",
                          "optimizer.fc.bias.exp_avg_sq",
                          "optimizer.fc.weight.exp_avg",
                          "optimizer.fc.weight.exp_avg_sq", "optimizer.step"));
}

// Resuming needs no teacher tensor and continues exactly: the next step of
// the resumed session is the next step of the trained one.
TEST_F(TeacherStateTest, ResumesWithoutTheTeacher) {
  CompiledModel resumed = compileDistilled(/*teacher=*/true);
  ASSERT_TRUE(resumed.session);
  auto loaded = loadCheckpoint(*resumed.session, path, CheckpointUse::Train);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  EXPECT_EQ(loaded->fresh, FreshTrainingState::None);
  EXPECT_TRUE(loaded->restoredTrainingState);
  EXPECT_EQ(loaded->step, 2);
  EXPECT_TRUE(loaded->initialized.empty());
  auto next = trainStep(*trained.session);
  ASSERT_TRUE(bool(next)) << llvm::toString(next.takeError());
  auto again = trainStep(*resumed.session);
  ASSERT_TRUE(bool(again)) << llvm::toString(again.takeError());
  EXPECT_EQ(next->loss, again->loss);
  EXPECT_EQ(readFloats(*resumed.session, "fc.weight"),
            readFloats(*trained.session, "fc.weight"));
  EXPECT_EQ(readFloats(*resumed.session, "teacher.fc.weight"), kTeacherWeight);

  // Fine-tuning and finalization need no teacher tensor either.
  for (CheckpointUse use : {CheckpointUse::Weights, CheckpointUse::ModelTensors,
                            CheckpointUse::Evaluate}) {
    CompiledModel other = compileDistilled(/*teacher=*/true);
    ASSERT_TRUE(other.session);
    auto result = loadCheckpoint(*other.session, path, use);
    ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
    EXPECT_EQ(readFloats(*other.session, "teacher.fc.bias"), kTeacherBias);
    for (const std::string &name : result->initialized)
      EXPECT_NE(name.rfind("teacher.", 0), 0u) << name;
  }
}

// The student's checkpoint evaluates the distilled model (whose @eval_step
// here reads the teacher: it comes from the model) and the student alone.
TEST_F(TeacherStateTest, EvaluatesFromTheStudentsCheckpoint) {
  auto expected = evalStep(*trained.session);
  ASSERT_TRUE(bool(expected)) << llvm::toString(expected.takeError());
  CompiledModel distilled = compileDistilled(/*teacher=*/true);
  ASSERT_TRUE(distilled.session);
  ASSERT_THAT(distilled.session->getStatesReadBy("eval_step"),
              ::testing::Contains("teacher.fc.weight"));
  auto loaded =
      loadCheckpoint(*distilled.session, path, CheckpointUse::Evaluate);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  auto evaluated = evalStep(*distilled.session);
  ASSERT_TRUE(bool(evaluated)) << llvm::toString(evaluated.takeError());
  EXPECT_EQ(evaluated->loss, expected->loss);

  CompiledModel student = compileDistilled(/*teacher=*/false);
  ASSERT_TRUE(student.session);
  loaded = loadCheckpoint(*student.session, path, CheckpointUse::Evaluate);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  EXPECT_EQ(readFloats(*student.session, "fc.weight"),
            readFloats(*trained.session, "fc.weight"));
  // ... and resumes its training: the same optimizer state names.
  loaded = loadCheckpoint(*student.session, path, CheckpointUse::Train);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  EXPECT_EQ(loaded->step, 2);
}

// A file that holds teacher tensors (another writer's) loads for every use:
// the model's own teacher states keep their embedded values. Into a model
// without that teacher, they are tensors it does not have, which training
// refuses and evaluation accepts, as any other.
TEST_F(TeacherStateTest, TeacherTensorsInAFileAreIgnored) {
  std::vector<float> weight = readFloats(*trained.session, "fc.weight");
  std::vector<float> bias = readFloats(*trained.session, "fc.bias");
  std::vector<float> otherWeight = {9, 9, 9, 9}, otherBias = {9};
  std::string withTeacher = dir.file("with-teacher.safetensors");
  auto bytesOf = [](const std::vector<float> &values) {
    return llvm::ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(values.data()), values.size() * 4);
  };
  ASSERT_EQ(
      errorOf(saveModelTensors(
          {{{"fc.weight", DType::F32, {1, 4}}, bytesOf(weight)},
           {{"fc.bias", DType::F32, {1}}, bytesOf(bias)},
           {{"teacher.fc.weight", DType::F32, {1, 4}}, bytesOf(otherWeight)},
           {{"teacher.fc.bias", DType::F32, {1}}, bytesOf(otherBias)}},
          withTeacher)),
      "<success>");
  for (CheckpointUse use :
       {CheckpointUse::Train, CheckpointUse::Weights, CheckpointUse::Evaluate,
        CheckpointUse::ModelTensors}) {
    CompiledModel distilled = compileDistilled(/*teacher=*/true);
    ASSERT_TRUE(distilled.session);
    auto loaded = loadCheckpoint(*distilled.session, withTeacher, use);
    ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
    EXPECT_EQ(readFloats(*distilled.session, "fc.weight"), weight);
    EXPECT_EQ(readFloats(*distilled.session, "teacher.fc.weight"),
              kTeacherWeight);
    EXPECT_EQ(readFloats(*distilled.session, "teacher.fc.bias"), kTeacherBias);
  }

  CompiledModel student = compileDistilled(/*teacher=*/false);
  ASSERT_TRUE(student.session);
  auto loaded =
      loadCheckpoint(*student.session, withTeacher, CheckpointUse::Evaluate);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  EXPECT_EQ(readFloats(*student.session, "fc.weight"), weight);
  EXPECT_EQ(errorOf(loadCheckpoint(*student.session, withTeacher,
                                   CheckpointUse::Train)),
            withTeacher +
                ": does not match the model (2 mismatches): unexpected "
                "tensor 'teacher.fc.bias' (F32 [1]); unexpected tensor "
                "'teacher.fc.weight' (F32 [1, 4])");
}

} // namespace

//===----------------------------------------------------------------------===//
// Checkpoint policy: sharded state (ZeRO-1)
//===----------------------------------------------------------------------===//

namespace {

std::vector<float> floatsOf(llvm::ArrayRef<uint8_t> bytes) {
  std::vector<float> values(bytes.size() / 4);
  std::memcpy(values.data(), bytes.data(), values.size() * 4);
  return values;
}

std::vector<float> shardOf(const std::vector<float> &full, int64_t ranks,
                           int64_t rank) {
  auto shard = extractShard(floatBytes(full), 4, ranks, rank);
  EXPECT_TRUE(bool(shard)) << llvm::toString(shard.takeError());
  return shard ? floatsOf(*shard) : std::vector<float>();
}

TEST(ShardTest, ChunkSizes) {
  EXPECT_EQ(shardElements(5, 1), 5);
  EXPECT_EQ(shardElements(5, 2), 3);
  EXPECT_EQ(shardElements(5, 4), 2);
  EXPECT_EQ(shardElements(8, 4), 2);
  EXPECT_EQ(shardElements(3, 4), 1);
  EXPECT_EQ(shardElements(1, 1), 1);
  EXPECT_EQ(shardElements(0, 2), 0);
}

// Flattened, zero-padded to ranks * S, chunk `rank`.
TEST(ShardTest, ExtractPadsWithZeros) {
  std::vector<float> full = {1, 2, 3, 4, 5};
  EXPECT_EQ(shardOf(full, 1, 0), full);
  EXPECT_EQ(shardOf(full, 2, 0), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(shardOf(full, 2, 1), (std::vector<float>{4, 5, 0}));
  EXPECT_EQ(shardOf(full, 4, 0), (std::vector<float>{1, 2}));
  EXPECT_EQ(shardOf(full, 4, 1), (std::vector<float>{3, 4}));
  EXPECT_EQ(shardOf(full, 4, 2), (std::vector<float>{5, 0}));
  EXPECT_EQ(shardOf(full, 4, 3), (std::vector<float>{0, 0}));
  // 3 elements over 4 ranks: the last rank holds padding only.
  EXPECT_EQ(shardOf({7, 8, 9}, 4, 3), (std::vector<float>{0}));
  EXPECT_EQ(shardOf({1, 2, 3, 4, 5, 6, 7, 8}, 4, 3),
            (std::vector<float>{7, 8}));
}

// The chunks of every rank in rank order, truncated, are the full tensor,
// whether or not the element count divides by the world size.
TEST(ShardTest, AssembleInvertsExtract) {
  for (const std::vector<float> &full :
       {std::vector<float>{1, 2, 3, 4, 5}, std::vector<float>{1, 2, 3, 4},
        std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}, std::vector<float>{42}}) {
    for (int64_t ranks : {1, 2, 4}) {
      std::vector<uint8_t> gathered;
      for (int64_t rank = 0; rank < ranks; ++rank) {
        std::vector<float> shard = shardOf(full, ranks, rank);
        EXPECT_EQ(static_cast<int64_t>(shard.size()),
                  shardElements(full.size(), ranks));
        std::vector<uint8_t> bytes = floatBytes(shard);
        gathered.insert(gathered.end(), bytes.begin(), bytes.end());
      }
      EXPECT_EQ(gathered.size(), 4 * ranks * shardElements(full.size(), ranks));
      auto assembled = assembleShards(gathered, 4, full.size());
      ASSERT_TRUE(bool(assembled)) << llvm::toString(assembled.takeError());
      EXPECT_EQ(floatsOf(*assembled), full) << ranks << " ranks";
    }
  }
  // Other element sizes (f64, i8).
  std::vector<uint8_t> bytes = {1, 2,  3,  4,  5,  6,  7,  8,
                                9, 10, 11, 12, 13, 14, 15, 16};
  auto chunk = extractShard(bytes, 8, 2, 1);
  ASSERT_TRUE(bool(chunk)) << llvm::toString(chunk.takeError());
  EXPECT_THAT(*chunk, ElementsAre(9, 10, 11, 12, 13, 14, 15, 16));
  chunk = extractShard(bytes, 8, 4, 3);
  ASSERT_TRUE(bool(chunk)) << llvm::toString(chunk.takeError());
  EXPECT_THAT(*chunk, ElementsAre(0, 0, 0, 0, 0, 0, 0, 0));
  chunk = extractShard(bytes, 1, 5, 3);
  ASSERT_TRUE(bool(chunk)) << llvm::toString(chunk.takeError());
  EXPECT_THAT(*chunk, ElementsAre(13, 14, 15, 16));
  chunk = extractShard(bytes, 1, 5, 4);
  ASSERT_TRUE(bool(chunk)) << llvm::toString(chunk.takeError());
  EXPECT_THAT(*chunk, ElementsAre(0, 0, 0, 0));
}

TEST(ShardTest, Errors) {
  std::vector<uint8_t> bytes(12);
  EXPECT_EQ(errorOf(extractShard(bytes, 4, 2, 2)),
            "rank 2 is not one of 2 ranks");
  EXPECT_EQ(errorOf(extractShard(bytes, 4, 2, -1)),
            "rank -1 is not one of 2 ranks");
  EXPECT_EQ(errorOf(extractShard(bytes, 8, 2, 0)),
            "a tensor of 12 bytes is not a whole number of 8-byte elements");
  EXPECT_EQ(errorOf(assembleShards(bytes, 4, 4)),
            "the gathered chunks hold 12 bytes, fewer than 4 elements of 4 "
            "bytes");
}

/// A linear model trained with plain SGD that carries an optimizer state of
/// @fc.weight's size (tensor<1x5xf32>), `optimizer.fc.weight.momentum_buffer`:
/// one rank's chunk (tensor<S>, mlopt.shard_of, S = ceil(5 / ranks)) when
/// `ranks` > 0, as mlopt-optimizer makes it under ZeRO-1, else the full
/// tensor; it starts at `initial` (S or 5 values).
std::string shardedStateModel(int64_t ranks,
                              const std::vector<float> &initial) {
  std::string values;
  for (float value : initial)
    values += (values.empty() ? "" : ", ") + std::to_string(value);
  std::string type =
      ranks > 0 ? "tensor<" + std::to_string(shardElements(5, ranks)) + "xf32>"
                : "tensor<1x5xf32>";
  std::string dense = ranks > 0 ? "[" + values + "]" : "[[" + values + "]]";
  std::string text = R"(
mlopt.state @fc.weight : tensor<1x5xf32> parameter trainable
    init #mlopt.value<dense<[[0.5, -1.0, 2.0, 0.25, 1.5]]> : tensor<1x5xf32>>
mlopt.state @fc.bias : tensor<1xf32> parameter trainable init #mlopt.zeros
)";
  text += "mlopt.state @optimizer.fc.weight.momentum_buffer : " + type +
          " optimizer_state init #mlopt.value<dense<" + dense + "> : " + type +
          ">";
  if (ranks > 0)
    text += " {mlopt.shard_of = @fc.weight, mlopt.shard_ranks = " +
            std::to_string(ranks) + " : i64}";
  text += R"(
func.func @loss(%x: tensor<2x5xf32> {mlopt.input},
                %y: tensor<2x1xf32> {mlopt.label}) -> tensor<f32>
    attributes {mlopt.loss} {
  %w = mlopt.state_read @fc.weight : tensor<1x5xf32>
  %b = mlopt.state_read @fc.bias : tensor<1xf32>
  %p = mlopt.linear %x, %w, %b
      : (tensor<2x5xf32>, tensor<1x5xf32>, tensor<1xf32>) -> tensor<2x1xf32>
  %l = mlopt.mse_loss %p, %y : (tensor<2x1xf32>, tensor<2x1xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
)";
  return text;
}

CompiledModel compileShardedState(int64_t ranks,
                                  const std::vector<float> &initial) {
  CompiledModel result;
  auto model =
      Model::parse(shardedStateModel(ranks, initial), "sharded-state.mlir");
  EXPECT_TRUE(bool(model)) << llvm::toString(model.takeError());
  if (!model)
    return result;
  result.model = std::move(*model);
  SessionOptions options;
  options.backend = "reference";
  options.pipeline.optimizer.optimizer = "sgd";
  options.pipeline.optimizer.lr = 0.1;
  auto session = Session::compile(*result.model, options);
  EXPECT_TRUE(bool(session)) << llvm::toString(session.takeError());
  if (!session)
    return result;
  result.session = std::move(*session);
  EXPECT_EQ(errorOf(result.session->init(1)), "<success>");
  return result;
}

constexpr llvm::StringLiteral kBuffer = "optimizer.fc.weight.momentum_buffer";

const StateInfo *findState(Session &session, llvm::StringRef name) {
  for (const StateInfo &info : session.getStates())
    if (info.spec.name == name)
      return &info;
  return nullptr;
}

TEST(ShardedCheckpointTest, ManifestDescribesTheShard) {
  CompiledModel sharded = compileShardedState(2, {1, 2, 3});
  ASSERT_TRUE(sharded.session);
  const StateInfo *info = findState(*sharded.session, kBuffer);
  ASSERT_TRUE(info);
  ASSERT_TRUE(info->shard);
  EXPECT_EQ(info->shard->of, "fc.weight");
  EXPECT_EQ(info->shard->ranks, 2);
  EXPECT_THAT(info->shard->fullShape, ElementsAre(1, 5));
  EXPECT_THAT(info->spec.shape, ElementsAre(3));
  EXPECT_THAT(info->fullSpec().shape, ElementsAre(1, 5));
  EXPECT_EQ(info->fullSpec().name, kBuffer);
  const StateInfo *weight = findState(*sharded.session, "fc.weight");
  ASSERT_TRUE(weight);
  EXPECT_FALSE(weight->shard);
  EXPECT_THAT(weight->fullSpec().shape, ElementsAre(1, 5));
}

// A world of one with shards over one rank writes the full tensor under the
// state's own name with the full shape; it loads into the unsharded model,
// and the unsharded model's checkpoint loads back into the sharded one.
TEST(ShardedCheckpointTest, RoundTripsThroughTheUnshardedModel) {
  TempDir dir;
  CompiledModel sharded = compileShardedState(1, {1, 2, 3, 4, 5});
  ASSERT_TRUE(sharded.session);
  EXPECT_THAT(findState(*sharded.session, kBuffer)->spec.shape, ElementsAre(5));
  std::string path = dir.file("sharded.safetensors");
  ASSERT_EQ(errorOf(saveCheckpoint(*sharded.session, path, 0)), "<success>");
  {
    auto file = SafetensorsFile::open(path);
    ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
    const SafetensorsEntry *entry = file->lookup(kBuffer);
    ASSERT_TRUE(entry);
    EXPECT_THAT(entry->spec.shape, ElementsAre(1, 5));
    EXPECT_EQ(floatsOf(file->data(*entry)),
              (std::vector<float>{1, 2, 3, 4, 5}));
  }

  CompiledModel plain = compileShardedState(0, {0, 0, 0, 0, 0});
  ASSERT_TRUE(plain.session);
  EXPECT_FALSE(findState(*plain.session, kBuffer)->shard);
  auto loaded = loadCheckpoint(*plain.session, path, CheckpointUse::Train);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  EXPECT_TRUE(loaded->restoredTrainingState);
  EXPECT_EQ(readFloats(*plain.session, kBuffer),
            (std::vector<float>{1, 2, 3, 4, 5}));

  std::vector<float> updated = {-1, 0.5, 7, 8, 9};
  ASSERT_EQ(errorOf(plain.session->writeState(kBuffer, floatBytes(updated))),
            "<success>");
  std::string back = dir.file("plain.safetensors");
  ASSERT_EQ(errorOf(saveCheckpoint(*plain.session, back, 0)), "<success>");
  loaded = loadCheckpoint(*sharded.session, back, CheckpointUse::Train);
  ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
  EXPECT_EQ(readFloats(*sharded.session, kBuffer), updated);
  // And the full tensor the sharded session reads back is the same.
  auto full =
      readFullState(*sharded.session, *findState(*sharded.session, kBuffer));
  ASSERT_TRUE(bool(full)) << llvm::toString(full.takeError());
  EXPECT_EQ(floatsOf(*full), updated);
}

// A checkpoint holds the full tensor: a file with a shard-shaped tensor is a
// shape mismatch that names the full shape.
TEST(ShardedCheckpointTest, MismatchNamesTheFullShape) {
  TempDir dir;
  CompiledModel sharded = compileShardedState(1, {1, 2, 3, 4, 5});
  ASSERT_TRUE(sharded.session);
  std::string path = dir.file("bad.safetensors");
  std::vector<uint8_t> weight = floatBytes({1, 2, 3, 4, 5}),
                       bias = floatBytes({0}), buffer = floatBytes({1, 2, 3});
  ASSERT_EQ(errorOf(saveModelTensors(
                {{{"fc.weight", DType::F32, {1, 5}}, weight},
                 {{"fc.bias", DType::F32, {1}}, bias},
                 {{std::string(kBuffer), DType::F32, {3}}, buffer}},
                path)),
            "<success>");
  EXPECT_EQ(
      errorOf(loadCheckpoint(*sharded.session, path, CheckpointUse::Train)),
      path + ": does not match the model (1 mismatch): tensor "
             "'optimizer.fc.weight.momentum_buffer' is F32 [3], "
             "expected F32 [1, 5]");
}

// Code compiled for 2 ranks cannot take or give its chunks in a world of
// one.
TEST(ShardedCheckpointTest, ShardsOfAnotherWorldSizeAreAnError) {
  TempDir dir;
  CompiledModel sharded = compileShardedState(2, {1, 2, 3});
  ASSERT_TRUE(sharded.session);
  std::string message = "state 'optimizer.fc.weight.momentum_buffer' is "
                        "compiled as one of 2 chunks of 'fc.weight', but the "
                        "run has 1 rank";
  std::string path = dir.file("two.safetensors");
  EXPECT_EQ(errorOf(saveCheckpoint(*sharded.session, path, 0)), message);
  EXPECT_FALSE(llvm::sys::fs::exists(path));
  CompiledModel plain = compileShardedState(0, {1, 2, 3, 4, 5});
  ASSERT_TRUE(plain.session);
  ASSERT_EQ(errorOf(saveCheckpoint(*plain.session, path, 0)), "<success>");
  EXPECT_EQ(
      errorOf(loadCheckpoint(*sharded.session, path, CheckpointUse::Train)),
      message);
}

} // namespace

namespace {

/// Rank `rank` of a world of `peers.size()` ranks in one process: allGather
/// returns `peers[q]` as rank q's chunk for every other rank (what those
/// ranks would send) and records each call; no other collective is used by
/// checkpoints.
class FakeCommunicator : public Communicator {
public:
  FakeCommunicator(int rank, std::vector<std::vector<float>> peers)
      : thisRank(rank), peers(std::move(peers)) {}

  int rank() const override { return thisRank; }
  int size() const override { return static_cast<int>(peers.size()); }
  llvm::StringRef backendName() const override { return "fake"; }

  llvm::Error allGather(const void *send, void *recv, int64_t count,
                        DType dtype) override {
    gathers.push_back(count);
    EXPECT_EQ(dtype, DType::F32);
    auto *out = static_cast<float *>(recv);
    for (int q = 0; q < size(); ++q) {
      const float *chunk =
          q == thisRank ? static_cast<const float *>(send) : peers[q].data();
      if (q != thisRank) {
        EXPECT_EQ(static_cast<int64_t>(peers[q].size()), count);
      }
      std::memcpy(out + q * count, chunk, count * sizeof(float));
    }
    stats.calls++;
    stats.bytes += count * 4;
    return llvm::Error::success();
  }
  llvm::Error allReduce(const void *, void *, int64_t, DType,
                        Reduction) override {
    return unexpected("allReduce");
  }
  llvm::Error reduceScatter(const void *, void *, int64_t, DType,
                            Reduction) override {
    return unexpected("reduceScatter");
  }
  llvm::Error broadcast(void *, int64_t, DType, int) override {
    return unexpected("broadcast");
  }
  llvm::Error reduce(const void *, void *, int64_t, DType, Reduction,
                     int) override {
    return unexpected("reduce");
  }
  llvm::Error send(const void *, int64_t, DType, int) override {
    return unexpected("send");
  }
  llvm::Error recv(void *, int64_t, DType, int) override {
    return unexpected("recv");
  }
  llvm::Error barrier() override { return unexpected("barrier"); }
  [[noreturn]] void abort(int exitCode) override { std::exit(exitCode); }

  /// The element count of every allGather call, in order.
  std::vector<int64_t> gathers;

private:
  llvm::Error unexpected(llvm::StringRef what) {
    ADD_FAILURE() << "unexpected collective " << what.str();
    return llvm::createStringError("unexpected collective");
  }

  int thisRank;
  std::vector<std::vector<float>> peers;
};

const std::vector<float> kFull = {1, 2, 3, 4, 5};

// Every rank gathers the chunks; rank 0 alone writes the full tensor, which
// loads into the unsharded model and, chunk by chunk, into any world size.
TEST(ShardedCheckpointTest, RanksGatherAndOnlyRankZeroWrites) {
  for (int64_t ranks : {2, 4}) {
    TempDir dir;
    std::string path = dir.file("full.safetensors");
    std::vector<std::vector<float>> chunks;
    for (int64_t rank = 0; rank < ranks; ++rank)
      chunks.push_back(shardOf(kFull, ranks, rank));
    // A rank other than 0 takes part in the gather and writes nothing.
    {
      CompiledModel sharded = compileShardedState(ranks, chunks[1]);
      ASSERT_TRUE(sharded.session);
      FakeCommunicator communicator(1, chunks);
      ASSERT_EQ(
          errorOf(saveCheckpoint(*sharded.session, path, 0, &communicator)),
          "<success>");
      EXPECT_THAT(communicator.gathers, ElementsAre(shardElements(5, ranks)));
      EXPECT_EQ(communicator.getStats().bytes, 4 * shardElements(5, ranks));
      EXPECT_FALSE(llvm::sys::fs::exists(path));
      EXPECT_TRUE(dir.list().empty());
    }
    CompiledModel sharded = compileShardedState(ranks, chunks[0]);
    ASSERT_TRUE(sharded.session);
    FakeCommunicator communicator(0, chunks);
    ASSERT_EQ(errorOf(saveCheckpoint(*sharded.session, path, 0, &communicator)),
              "<success>");
    EXPECT_THAT(communicator.gathers, ElementsAre(shardElements(5, ranks)));
    auto file = SafetensorsFile::open(path);
    ASSERT_TRUE(bool(file)) << llvm::toString(file.takeError());
    const SafetensorsEntry *entry = file->lookup(kBuffer);
    ASSERT_TRUE(entry);
    EXPECT_THAT(entry->spec.shape, ElementsAre(1, 5));
    EXPECT_EQ(floatsOf(file->data(*entry)), kFull);

    CompiledModel plain = compileShardedState(0, {0, 0, 0, 0, 0});
    ASSERT_TRUE(plain.session);
    auto loaded = loadCheckpoint(*plain.session, path, CheckpointUse::Train);
    ASSERT_TRUE(bool(loaded)) << llvm::toString(loaded.takeError());
    EXPECT_EQ(readFloats(*plain.session, kBuffer), kFull);

    // Loaded into every world size, each rank takes its padded chunk.
    for (int64_t world : {1, 2, 4}) {
      std::vector<float> zeros(shardElements(5, world), 0);
      for (int64_t rank = 0; rank < world; ++rank) {
        CompiledModel other = compileShardedState(world, zeros);
        ASSERT_TRUE(other.session);
        FakeCommunicator peer(rank,
                              std::vector<std::vector<float>>(world, zeros));
        auto result =
            loadCheckpoint(*other.session, path, CheckpointUse::Train, &peer);
        ASSERT_TRUE(bool(result)) << llvm::toString(result.takeError());
        EXPECT_TRUE(result->restoredTrainingState);
        EXPECT_EQ(readFloats(*other.session, kBuffer),
                  shardOf(kFull, world, rank))
            << "rank " << rank << " of " << world;
        // Loading calls no collective.
        EXPECT_TRUE(peer.gathers.empty());
      }
    }
  }
}

// Code compiled for 2 ranks refuses a world of 4, on save and load.
TEST(ShardedCheckpointTest, CommunicatorOfAnotherSizeIsAnError) {
  TempDir dir;
  CompiledModel sharded = compileShardedState(2, {1, 2, 3});
  ASSERT_TRUE(sharded.session);
  FakeCommunicator four(0, std::vector<std::vector<float>>(4));
  std::string message = "state 'optimizer.fc.weight.momentum_buffer' is "
                        "compiled as one of 2 chunks of 'fc.weight', but the "
                        "run has 4 ranks";
  std::string path = dir.file("x.safetensors");
  EXPECT_EQ(errorOf(saveCheckpoint(*sharded.session, path, 0, &four)), message);
  EXPECT_TRUE(four.gathers.empty());
  CompiledModel plain = compileShardedState(0, kFull);
  ASSERT_TRUE(plain.session);
  ASSERT_EQ(errorOf(saveCheckpoint(*plain.session, path, 0)), "<success>");
  EXPECT_EQ(errorOf(loadCheckpoint(*sharded.session, path, CheckpointUse::Train,
                                   &four)),
            message);
}

} // namespace
