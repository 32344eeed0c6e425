//===- SgemmTest.cpp - mlopt_sgemm on the runtime pool --------------------===//
//
// mlopt_sgemm against a double-precision reference over odd, tiny and
// large shapes, every transpose, padded leading dimensions and batch
// strides, batches larger and smaller than the thread count; and the same
// bits on 1, 2 and 3 threads (the tiles depend on the shape only). The
// bf16 kernel's results do not depend on the thread count either.
//
//===----------------------------------------------------------------------===//

#include "RuntimeTestUtils.h"
#include "mlopt/Runtime/CpuKernels.h"
#include "mlopt/Runtime/ThreadPool.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

// OpenBLAS' own (the runtime links it).
extern "C" int openblas_get_num_threads(void);

using namespace mlir::mlopt::runtime;
using mlir::mlopt::runtime::testing::ThreadsGuard;

namespace {

struct Case {
  int64_t batch, m, n, k;
  bool transA, transB;
  /// Extra elements per row (leading dimension) and per batch element.
  int64_t pad = 0, gap = 0;
};

/// The operands of one case with C's initial values (C += op(A) op(B)).
struct Operands {
  Case p;
  int64_t lda, ldb, ldc, strideA, strideB, strideC;
  std::vector<float> a, b, c0;

  Operands(const Case &p, std::mt19937 &rng) : p(p) {
    int64_t aRows = p.transA ? p.k : p.m, aCols = p.transA ? p.m : p.k;
    int64_t bRows = p.transB ? p.n : p.k, bCols = p.transB ? p.k : p.n;
    lda = aCols + p.pad;
    ldb = bCols + p.pad;
    ldc = p.n + p.pad;
    strideA = aRows * lda + p.gap;
    strideB = bRows * ldb + p.gap;
    strideC = p.m * ldc + p.gap;
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    auto fill = [&](std::vector<float> &v, int64_t size) {
      v.resize(size);
      for (float &x : v)
        x = dist(rng);
    };
    fill(a, p.batch * strideA);
    fill(b, p.batch * strideB);
    fill(c0, p.batch * strideC);
  }

  float opA(int64_t e, int64_t i, int64_t q) const {
    return p.transA ? a[e * strideA + q * lda + i]
                    : a[e * strideA + i * lda + q];
  }
  float opB(int64_t e, int64_t q, int64_t j) const {
    return p.transB ? b[e * strideB + j * ldb + q]
                    : b[e * strideB + q * ldb + j];
  }

  std::vector<float> run() const {
    std::vector<float> c = c0;
    mlopt_sgemm(p.transA, p.transB, p.m, p.n, p.k,
                reinterpret_cast<int64_t>(a.data()), lda,
                reinterpret_cast<int64_t>(b.data()), ldb,
                reinterpret_cast<int64_t>(c.data()), ldc, p.batch, strideA,
                strideB, strideC);
    return c;
  }

  /// Elements off the double reference by more than f32 rounding allows,
  /// plus padding that changed.
  int64_t errors(const std::vector<float> &c) const {
    int64_t wrong = 0;
    std::vector<bool> inside(c.size(), false);
    for (int64_t e = 0; e < p.batch; ++e)
      for (int64_t i = 0; i < p.m; ++i)
        for (int64_t j = 0; j < p.n; ++j) {
          int64_t at = e * strideC + i * ldc + j;
          inside[at] = true;
          double sum = c0[at], magnitude = std::fabs(c0[at]);
          for (int64_t q = 0; q < p.k; ++q) {
            double product = double(opA(e, i, q)) * opB(e, q, j);
            sum += product;
            magnitude += std::fabs(product);
          }
          // Each of the k + 1 additions rounds once in f32.
          double bound = 2.0 * (p.k + 2) * 6e-8 * magnitude + 1e-30;
          if (!(std::fabs(c[at] - sum) <= bound))
            ++wrong;
        }
    for (size_t at = 0; at < c.size(); ++at)
      if (!inside[at] && std::memcmp(&c[at], &c0[at], sizeof(float)) != 0)
        ++wrong;
    return wrong;
  }
};

std::vector<Case> cases() {
  std::vector<Case> all;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      // Tiny and odd.
      all.push_back({1, 1, 1, 1, ta, tb});
      all.push_back({1, 3, 5, 7, ta, tb, 2, 0});
      all.push_back({1, 37, 45, 131, ta, tb, 3, 0});
      // Batches: more elements than threads, and fewer; padded strides.
      all.push_back({7, 19, 23, 29, ta, tb, 1, 5});
      all.push_back({2, 64, 48, 40, ta, tb, 0, 3});
      all.push_back({33, 128, 64, 64, ta, tb});
      // Large enough to be cut into tiles, with partial tiles.
      all.push_back({1, 517, 300, 257, ta, tb, 1, 0});
      all.push_back({1, 96, 1030, 128, ta, tb});
      all.push_back({3, 300, 290, 200, ta, tb, 0, 7});
    }
  return all;
}

TEST(SgemmTest, MatchesDoubleReference) {
  std::mt19937 rng(1);
  for (const Case &p : cases()) {
    Operands operands(p, rng);
    for (int threads : {1, 2}) {
      ThreadsGuard guard(threads);
      EXPECT_EQ(operands.errors(operands.run()), 0)
          << "batch " << p.batch << " " << p.m << "x" << p.n << "x" << p.k
          << " transA " << p.transA << " transB " << p.transB << " threads "
          << threads;
    }
  }
}

TEST(SgemmTest, SameBitsOnAnyThreadCount) {
  std::mt19937 rng(2);
  std::vector<Case> all = cases();
  // The MLP's and the transformer block's shapes, forward and backward.
  all.push_back({1, 128, 512, 784, false, true});
  all.push_back({1, 512, 784, 128, true, false});
  all.push_back({1, 2048, 256, 256, false, true});
  all.push_back({1, 256, 1024, 2048, true, false});
  all.push_back({64, 128, 128, 64, false, true});
  all.push_back({64, 128, 64, 128, true, false});
  for (const Case &p : all) {
    Operands operands(p, rng);
    std::vector<float> serial;
    {
      ThreadsGuard guard(1);
      serial = operands.run();
    }
    for (int threads : {2, 3}) {
      ThreadsGuard guard(threads);
      std::vector<float> parallel = operands.run();
      EXPECT_EQ(std::memcmp(serial.data(), parallel.data(),
                            serial.size() * sizeof(float)),
                0)
          << "batch " << p.batch << " " << p.m << "x" << p.n << "x" << p.k
          << " threads " << threads;
    }
  }
}

TEST(SgemmTest, EmptyProductsChangeNothing) {
  std::vector<float> c(4, 1.5f), a(4, 1.0f), b(4, 1.0f);
  auto pa = reinterpret_cast<int64_t>(a.data());
  auto pb = reinterpret_cast<int64_t>(b.data());
  auto pc = reinterpret_cast<int64_t>(c.data());
  mlopt_sgemm(0, 0, 2, 2, 0, pa, 1, pb, 2, pc, 2, 1, 0, 0, 0);
  mlopt_sgemm(0, 0, 0, 2, 2, pa, 2, pb, 2, pc, 2, 1, 0, 0, 0);
  mlopt_sgemm(0, 0, 2, 2, 2, pa, 2, pb, 2, pc, 2, 0, 0, 0, 0);
  for (float x : c)
    EXPECT_EQ(x, 1.5f);
}

TEST(SgemmTest, OpenBlasRunsOneThreadPerCall) {
  std::vector<float> a(4, 1.0f), b(4, 1.0f), c(4, 0.0f);
  mlopt_sgemm(0, 0, 2, 2, 2, reinterpret_cast<int64_t>(a.data()), 2,
              reinterpret_cast<int64_t>(b.data()), 2,
              reinterpret_cast<int64_t>(c.data()), 2, 1, 0, 0, 0);
  EXPECT_EQ(openblas_get_num_threads(), 1);
  EXPECT_EQ(c[0], 2.0f);
}

TEST(SgemmTest, TilesDependOnTheShapeOnly) {
  // Small products stay whole.
  for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{128, 10, 512},
                         {10, 512, 128},
                         {128, 128, 64},
                         {1, 1, 1}}) {
    SgemmTiles tiles = planSgemmTiles(m, n, k);
    EXPECT_EQ(tiles.rows * tiles.cols, 1) << m << "x" << n << "x" << k;
  }
  // Large ones are cut, along the longer side first, into tiles no
  // shorter than kSgemmMinTile (kSgemmMinHalf for a product only halved).
  for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{2048, 256, 256},
                         {2048, 1024, 256},
                         {256, 1024, 2048},
                         {128, 512, 784},
                         {2048, 2048, 2048}}) {
    SgemmTiles tiles = planSgemmTiles(m, n, k);
    EXPECT_GE(tiles.rows * tiles.cols, 2) << m << "x" << n << "x" << k;
    EXPECT_GE(m / tiles.rows, std::min(m, kSgemmMinHalf));
    EXPECT_GE(n / tiles.cols, std::min(n, kSgemmMinHalf));
    if (tiles.rows > 1 && tiles.cols > 1) {
      EXPECT_GE(m / tiles.rows, kSgemmMinTile);
      EXPECT_GE(n / tiles.cols, kSgemmMinTile);
    }
    if (m > n) {
      EXPECT_GE(tiles.rows, tiles.cols);
    }
    if (n > m) {
      EXPECT_GE(tiles.cols, tiles.rows);
    }
  }
  // A large product without a side of 2 * kSgemmMinTile is halved.
  SgemmTiles halves = planSgemmTiles(256, 256, 2048);
  EXPECT_EQ(halves.rows * halves.cols, 2);
  // The same plan whatever the thread setting.
  SgemmTiles one, two;
  {
    ThreadsGuard guard(1);
    one = planSgemmTiles(2048, 1024, 256);
  }
  {
    ThreadsGuard guard(2);
    two = planSgemmTiles(2048, 1024, 256);
  }
  EXPECT_EQ(one.rows, two.rows);
  EXPECT_EQ(one.cols, two.cols);
}

/// bf16 bits of `x` (truncated: any bf16 value will do).
uint16_t toBf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  return static_cast<uint16_t>(bits >> 16);
}

TEST(SgemmTest, Bf16SameBitsOnAnyThreadCount) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  struct Shape {
    int64_t batch, m, n, k;
  };
  for (bool dotKernel : {true, false}) {
    bool previous = setBf16DotProductKernelAllowed(dotKernel);
    for (Shape s : {Shape{1, 256, 300, 129}, Shape{1, 512, 512, 128},
                    Shape{9, 64, 64, 64}}) {
      std::vector<uint16_t> a(s.batch * s.m * s.k), b(s.batch * s.k * s.n);
      for (uint16_t &x : a)
        x = toBf16(dist(rng));
      for (uint16_t &x : b)
        x = toBf16(dist(rng));
      auto run = [&](int threads) {
        ThreadsGuard guard(threads);
        std::vector<float> c(s.batch * s.m * s.n, 0.25f);
        mlopt_gemm_bf16(0, 1, s.m, s.n, s.k,
                        reinterpret_cast<int64_t>(a.data()), s.k,
                        reinterpret_cast<int64_t>(b.data()), s.k,
                        reinterpret_cast<int64_t>(c.data()), s.n, s.batch,
                        s.m * s.k, s.k * s.n, s.m * s.n);
        return c;
      };
      std::vector<float> serial = run(1), parallel = run(2);
      EXPECT_EQ(std::memcmp(serial.data(), parallel.data(),
                            serial.size() * sizeof(float)),
                0)
          << "dot kernel " << dotKernel << " batch " << s.batch << " " << s.m
          << "x" << s.n << "x" << s.k;
    }
    setBf16DotProductKernelAllowed(previous);
  }
}

} // namespace
