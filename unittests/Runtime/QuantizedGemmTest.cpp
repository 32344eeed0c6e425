//===- QuantizedGemmTest.cpp - mlopt_qgemm_s8 against exact integers ------===//
//
// Every kernel path the CPU has (avx512vnni, avxvnni, avx2, scalar) must
// give the exact int32 result of an int64 reference reduced modulo 2^32,
// over odd shapes, both B layouts, zero points (zero, small, and large
// enough to wrap), extreme values and padded leading dimensions.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Runtime/CpuKernels.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace mlir::mlopt::runtime;

namespace {

/// Restores the path in use when a test ends.
class PathGuard {
public:
  PathGuard() : saved(getInt8KernelPath()) {}
  ~PathGuard() { setInt8KernelPath(saved); }

private:
  Int8KernelPath saved;
};

struct Shape {
  int64_t m, n, k;
};

/// Operands with leading dimensions larger than their rows (padding filled
/// with values that must not be read), and C with a sentinel padding that
/// must not be written.
struct Operands {
  Shape shape;
  bool transB;
  int64_t lda, ldb, ldc;
  std::vector<int8_t> a, b;

  /// fill as value() takes it; aLow: for fill 4 and 5, the lowest value
  /// of A's window of 128.
  Operands(Shape shape, bool transB, std::mt19937 &rng, int fill = 0,
           int aLow = 0)
      : shape(shape), transB(transB) {
    lda = shape.k + 5;
    ldb = (transB ? shape.k : shape.n) + 3;
    ldc = shape.n + 7;
    int64_t bRows = transB ? shape.n : shape.k;
    a.resize(shape.m * lda);
    b.resize(bRows * ldb);
    std::uniform_int_distribution<int> dist(-128, 127);
    std::uniform_int_distribution<int> window(aLow, aLow + 127);
    for (int64_t i = 0; i < shape.m; ++i)
      for (int64_t p = 0; p < lda; ++p) {
        int8_t v = value(fill, dist(rng), i + p);
        if (fill == 4)
          v = static_cast<int8_t>(window(rng));
        else if (fill == 5)
          v = static_cast<int8_t>((i + p) % 2 ? aLow + 127 : aLow);
        a[i * lda + p] = p < shape.k ? v : 99;
      }
    int64_t bCols = transB ? shape.k : shape.n;
    for (int64_t r = 0; r < bRows; ++r)
      for (int64_t c = 0; c < ldb; ++c)
        b[r * ldb + c] =
            c < bCols ? value(fill == 5 ? 3 : fill, dist(rng), r * 3 + c) : -99;
  }

  /// fill 0: random; 1: -128 everywhere; 2: 127 everywhere; 3: -128 and
  /// 127 alternating; 4: A random in [aLow, aLow + 127], B random; 5: A
  /// alternating between aLow and aLow + 127, B between -128 and 127.
  static int8_t value(int fill, int random, int64_t index) {
    switch (fill) {
    case 1:
      return -128;
    case 2:
      return 127;
    case 3:
      return index % 2 ? 127 : -128;
    default:
      return static_cast<int8_t>(random);
    }
  }

  int8_t bAt(int64_t p, int64_t j) const {
    return transB ? b[j * ldb + p] : b[p * ldb + j];
  }

  /// The 64-bit sum reduced to int32 (two's complement). The sum wraps
  /// modulo 2^64 (unsigned) where it would overflow int64, which leaves it
  /// unchanged modulo 2^32.
  std::vector<int32_t> reference(int64_t aZero, int64_t bZero) const {
    std::vector<int32_t> c(shape.m * shape.n);
    for (int64_t i = 0; i < shape.m; ++i)
      for (int64_t j = 0; j < shape.n; ++j) {
        uint64_t sum = 0;
        for (int64_t p = 0; p < shape.k; ++p)
          sum += static_cast<uint64_t>(a[i * lda + p] - aZero) *
                 static_cast<uint64_t>(bAt(p, j) - bZero);
        c[i * shape.n + j] = static_cast<int32_t>(static_cast<uint32_t>(sum));
      }
    return c;
  }

  static constexpr int32_t kSentinel = 0x5A5A5A5A;

  std::vector<int32_t> run(int64_t aZero, int64_t bZero) const {
    std::vector<int32_t> c(shape.m * ldc, kSentinel);
    mlopt_qgemm_s8(shape.m, shape.n, shape.k,
                   reinterpret_cast<int64_t>(a.data()), lda, aZero,
                   reinterpret_cast<int64_t>(b.data()), ldb, bZero,
                   transB ? 1 : 0, reinterpret_cast<int64_t>(c.data()), ldc);
    return c;
  }

  /// Runs the kernel and compares with `expected` (the reference); returns
  /// the number of wrong entries (and reports the first).
  int64_t check(int64_t aZero, int64_t bZero,
                const std::vector<int32_t> &expected) const {
    std::vector<int32_t> got = run(aZero, bZero);
    int64_t wrong = 0;
    for (int64_t i = 0; i < shape.m; ++i)
      for (int64_t j = 0; j < ldc; ++j) {
        int32_t want = j < shape.n ? expected[i * shape.n + j] : kSentinel;
        if (got[i * ldc + j] == want)
          continue;
        if (wrong++ == 0)
          ADD_FAILURE() << getInt8KernelPathName(getInt8KernelPath())
                        << " M=" << shape.m << " N=" << shape.n
                        << " K=" << shape.k << " transB=" << transB
                        << " za=" << aZero << " zb=" << bZero << ": C[" << i
                        << "][" << j << "] = " << got[i * ldc + j]
                        << ", expected " << want
                        << (j >= shape.n ? " (padding)" : "");
      }
    return wrong;
  }
};

/// Each of 1, 3, 17, 255 and 1000 in every dimension: all shapes of
/// {1, 3, 17, 255}, and 1000 with the others in each position.
std::vector<Shape> oddShapes() {
  std::vector<Shape> shapes;
  const int64_t small[] = {1, 3, 17, 255};
  for (int64_t m : small)
    for (int64_t n : small)
      for (int64_t k : small)
        shapes.push_back({m, n, k});
  const Shape large[] = {{1000, 17, 255}, {17, 1000, 255}, {255, 17, 1000},
                         {1000, 3, 1000}, {3, 1000, 1000}, {1, 1000, 1000},
                         {1000, 1000, 1}, {1000, 1, 17}};
  shapes.insert(shapes.end(), std::begin(large), std::end(large));
  return shapes;
}

TEST(QuantizedGemmTest, ExactOnEveryPathOverOddShapes) {
  PathGuard guard;
  std::mt19937 rng(12);
  std::vector<Operands> cases;
  for (Shape shape : oddShapes())
    for (bool transB : {true, false})
      cases.emplace_back(shape, transB, rng);
  // Zero points: none; activation-like (weights symmetric); both nonzero.
  const int64_t zeroPoints[][2] = {{0, 0}, {-7, 0}, {127, -128}};
  std::vector<std::vector<int32_t>> expected;
  for (const Operands &operands : cases)
    for (const auto &zp : zeroPoints)
      expected.push_back(operands.reference(zp[0], zp[1]));
  for (Int8KernelPath path : availableInt8KernelPaths()) {
    ASSERT_TRUE(setInt8KernelPath(path).has_value());
    int64_t wrong = 0;
    for (size_t c = 0; c < cases.size(); ++c)
      for (size_t z = 0; z < std::size(zeroPoints); ++z)
        wrong += cases[c].check(zeroPoints[z][0], zeroPoints[z][1],
                                expected[c * std::size(zeroPoints) + z]);
    EXPECT_EQ(wrong, 0) << getInt8KernelPathName(path);
  }
}

TEST(QuantizedGemmTest, ExtremeValuesAndWrapAround) {
  PathGuard guard;
  std::mt19937 rng(3);
  std::vector<Operands> cases;
  // -128/127 everywhere (the largest products, VPDPBUSD's widest sums).
  for (int fill : {1, 2, 3})
    for (bool transB : {true, false}) {
      cases.emplace_back(Shape{17, 33, 1000}, transB, rng, fill);
      cases.emplace_back(Shape{9, 40, 255}, transB, rng, fill);
    }
  // Sums past int32: 16384 * 140000 > 2^31 wraps.
  for (bool transB : {true, false})
    cases.emplace_back(Shape{2, 3, 140000}, transB, rng, 1);
  const int64_t zeroPoints[][2] = {{0, 0},
                                   {-128, 127},
                                   {127, -128},
                                   {70000, -90000},
                                   {-(int64_t(1) << 40), 5}};
  std::vector<std::vector<int32_t>> expected;
  for (const Operands &operands : cases)
    for (const auto &zp : zeroPoints)
      expected.push_back(operands.reference(zp[0], zp[1]));
  for (Int8KernelPath path : availableInt8KernelPaths()) {
    ASSERT_TRUE(setInt8KernelPath(path).has_value());
    int64_t wrong = 0;
    for (size_t c = 0; c < cases.size(); ++c)
      for (size_t z = 0; z < std::size(zeroPoints); ++z)
        wrong += cases[c].check(zeroPoints[z][0], zeroPoints[z][1],
                                expected[c * std::size(zeroPoints) + z]);
    EXPECT_EQ(wrong, 0) << getInt8KernelPathName(path);
  }
}

TEST(QuantizedGemmTest, SevenBitActivationsOnEveryPath) {
  // A within a window of 128 values (activations quantized to 7 bits),
  // which the AVX2 path multiplies with VPMADDUBSW; a window of 129 does not
  // qualify. Fill 5 makes the largest pairs of products (127 * -128 twice).
  PathGuard guard;
  std::mt19937 rng(7);
  std::vector<Operands> cases;
  for (bool transB : {true, false})
    for (int aLow : {-128, -64, 0, -1}) {
      cases.emplace_back(Shape{17, 255, 1000}, transB, rng, 4, aLow);
      cases.emplace_back(Shape{255, 3, 17}, transB, rng, 4, aLow);
      cases.emplace_back(Shape{9, 40, 255}, transB, rng, 5, aLow);
    }
  for (bool transB : {true, false}) {
    Operands wider(Shape{17, 33, 255}, transB, rng, 4, -64);
    wider.a[0] = -65; // 129 values
    cases.push_back(wider);
  }
  const int64_t zeroPoints[][2] = {{0, 0}, {-7, 0}, {127, -128}};
  std::vector<std::vector<int32_t>> expected;
  for (const Operands &operands : cases)
    for (const auto &zp : zeroPoints)
      expected.push_back(operands.reference(zp[0], zp[1]));
  for (Int8KernelPath path : availableInt8KernelPaths()) {
    ASSERT_TRUE(setInt8KernelPath(path).has_value());
    int64_t wrong = 0;
    for (size_t c = 0; c < cases.size(); ++c)
      for (size_t z = 0; z < std::size(zeroPoints); ++z)
        wrong += cases[c].check(zeroPoints[z][0], zeroPoints[z][1],
                                expected[c * std::size(zeroPoints) + z]);
    EXPECT_EQ(wrong, 0) << getInt8KernelPathName(path);
  }
}

TEST(QuantizedGemmTest, ConcurrentProductsAreExact) {
  // Products from several threads at once: one gets the helper threads,
  // the others run alone; every result is exact.
  std::mt19937 rng(8);
  std::vector<Operands> cases;
  for (int t = 0; t < 4; ++t)
    cases.emplace_back(Shape{64, 512, 300 + t}, t % 2 == 0, rng);
  std::vector<std::vector<int32_t>> expected;
  for (const Operands &operands : cases)
    expected.push_back(operands.reference(2, 0));
  std::vector<int64_t> wrong(cases.size(), 0);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < cases.size(); ++t)
    threads.emplace_back([&, t] {
      for (int r = 0; r < 20; ++r)
        wrong[t] += cases[t].check(2, 0, expected[t]);
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(wrong, std::vector<int64_t>(cases.size(), 0));
}

TEST(QuantizedGemmTest, EmptySumOverwritesWithZero) {
  PathGuard guard;
  for (Int8KernelPath path : availableInt8KernelPaths()) {
    ASSERT_TRUE(setInt8KernelPath(path).has_value());
    int8_t a = 1, b = 1;
    std::vector<int32_t> c(6, 42);
    mlopt_qgemm_s8(2, 3, 0, reinterpret_cast<int64_t>(&a), 1, 5,
                   reinterpret_cast<int64_t>(&b), 3, 7, 0,
                   reinterpret_cast<int64_t>(c.data()), 3);
    EXPECT_EQ(c, std::vector<int32_t>(6, 0)) << getInt8KernelPathName(path);
  }
}

TEST(QuantizedGemmTest, PathsAreNamedAndScalarIsAlwaysThere) {
  std::vector<Int8KernelPath> paths = availableInt8KernelPaths();
  ASSERT_FALSE(paths.empty());
  EXPECT_EQ(paths.back(), Int8KernelPath::Scalar);
  for (Int8KernelPath path :
       {Int8KernelPath::Avx512Vnni, Int8KernelPath::AvxVnni,
        Int8KernelPath::Avx2, Int8KernelPath::Scalar})
    EXPECT_EQ(parseInt8KernelPath(getInt8KernelPathName(path)), path);
  EXPECT_EQ(parseInt8KernelPath("avx512"), std::nullopt);
}

TEST(QuantizedGemmTest, SetRefusesAPathTheCpuLacks) {
  PathGuard guard;
  std::vector<Int8KernelPath> paths = availableInt8KernelPaths();
  ASSERT_TRUE(setInt8KernelPath(Int8KernelPath::Scalar).has_value());
  for (Int8KernelPath path : {Int8KernelPath::Avx512Vnni,
                              Int8KernelPath::AvxVnni, Int8KernelPath::Avx2}) {
    bool has = std::find(paths.begin(), paths.end(), path) != paths.end();
    std::optional<Int8KernelPath> previous = setInt8KernelPath(path);
    if (!has) {
      EXPECT_EQ(previous, std::nullopt) << getInt8KernelPathName(path);
      EXPECT_EQ(getInt8KernelPath(), Int8KernelPath::Scalar);
      continue;
    }
    EXPECT_EQ(previous, Int8KernelPath::Scalar) << getInt8KernelPathName(path);
    EXPECT_EQ(getInt8KernelPath(), path);
    setInt8KernelPath(Int8KernelPath::Scalar);
  }
}

/// Sets an environment variable for the scope of a test.
class ScopedEnv {
public:
  ScopedEnv(const char *name, const char *value) : name(name) {
    if (const char *old = std::getenv(name))
      saved = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (saved)
      ::setenv(name, saved->c_str(), 1);
    else
      ::unsetenv(name);
  }

private:
  const char *name;
  std::optional<std::string> saved;
};

TEST(QuantizedGemmTest, EnvironmentForcesAPath) {
  std::vector<Int8KernelPath> paths = availableInt8KernelPaths();
  for (Int8KernelPath path : paths) {
    ScopedEnv env("MLOPT_INT8_KERNEL", getInt8KernelPathName(path));
    EXPECT_EQ(getDefaultInt8KernelPath(), path);
  }
  {
    // Unknown names and paths the CPU lacks fall back to the fastest.
    ScopedEnv env("MLOPT_INT8_KERNEL", "avx1024");
    EXPECT_EQ(getDefaultInt8KernelPath(), paths.front());
  }
  for (Int8KernelPath path :
       {Int8KernelPath::Avx512Vnni, Int8KernelPath::AvxVnni}) {
    if (std::find(paths.begin(), paths.end(), path) != paths.end())
      continue;
    ScopedEnv env("MLOPT_INT8_KERNEL", getInt8KernelPathName(path));
    EXPECT_EQ(getDefaultInt8KernelPath(), paths.front());
  }
}

/// Exits with 0 if the first product of a fresh process runs on the
/// scalar path and is right.
[[noreturn]] void exitWithFirstPathCheck() {
  int8_t a = 2, b = 3;
  int32_t c = 0;
  mlopt_qgemm_s8(1, 1, 1, reinterpret_cast<int64_t>(&a), 1, 0,
                 reinterpret_cast<int64_t>(&b), 1, 0, 1,
                 reinterpret_cast<int64_t>(&c), 1);
  std::exit(c == 6 && getInt8KernelPath() == Int8KernelPath::Scalar ? 0 : 1);
}

TEST(QuantizedGemmDeathTest, EnvironmentChoosesThePathAtFirstUse) {
  // A fresh process (the threadsafe style re-runs this test alone), where
  // the first product reads MLOPT_INT8_KERNEL.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  ScopedEnv env("MLOPT_INT8_KERNEL", "scalar");
  EXPECT_EXIT(exitWithFirstPathCheck(), ::testing::ExitedWithCode(0), "");
}

/// Exits with 0 if a product large enough for the helper threads is right.
[[noreturn]] void exitWithLargeProductCheck() {
  std::mt19937 rng(5);
  Operands operands(Shape{64, 512, 512}, true, rng);
  std::vector<int32_t> expected = operands.reference(1, 0);
  std::exit(operands.check(1, 0, expected) == 0 ? 0 : 1);
}

TEST(QuantizedGemmDeathTest, ForkedChildRunsProductsWithoutTheHelpers) {
  // The parent's helper threads exist (a product split over threads ran),
  // and a fork (the fast death-test style) has none of them.
  GTEST_FLAG_SET(death_test_style, "fast");
  std::mt19937 rng(6);
  Operands operands(Shape{64, 512, 512}, true, rng);
  EXPECT_EQ(operands.check(0, 0, operands.reference(0, 0)), 0);
  EXPECT_EXIT(exitWithLargeProductCheck(), ::testing::ExitedWithCode(0), "");
}

} // namespace
