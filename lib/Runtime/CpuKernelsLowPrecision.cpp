//===- CpuKernelsLowPrecision.cpp - bf16/f16 matrix products --------------===//
//
// C(f32) += op(A) op(B) with bf16 or f16 A and B (mlopt-linalg-to-blas).
// Which code runs is decided at run time from the CPU:
// - bf16 where the CPU has AVX512_BF16: a packed kernel on VDPBF16PS (two
//   bf16 products per f32 lane per instruction), 8 x 32 blocks of C in
//   registers, column panels (and the elements of a batch of small
//   products) shared out over runtime::parallelFor. Measured against OpenBLAS'
//   sgemm on the same (converted) operands it was 1.2-2x faster at the MLP's
//   and the transformer block's shapes (docs/CpuLowering.md). VDPBF16PS treats
//   subnormal inputs as zero and flushes subnormal results.
// - otherwise (bf16 without AVX512_BF16, and f16 everywhere): the operands
//   are converted to f32 (exact) and mlopt_sgemm computes the product.
// Both accumulate in f32, as the reference evaluator's one-rounding rule
// expects of the linalg op's f32 result.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Runtime/CpuKernels.h"
#include "mlopt/Runtime/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define MLOPT_HAVE_X86_BF16_KERNEL 1
#endif

namespace {

/// Products of at least this many multiply-adds are split over threads.
constexpr int64_t kParallelWork = int64_t(1) << 22;

float bf16ToFloat(uint16_t bits) {
  uint32_t wide = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &wide, sizeof(value));
  return value;
}

float f16ToFloat(uint16_t bits) {
  uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  uint32_t exponent = (bits >> 10) & 0x1F;
  uint32_t mantissa = bits & 0x3FF;
  uint32_t wide;
  if (exponent == 0x1F) {
    wide = sign | 0x7F800000 | (mantissa << 13);
  } else if (exponent != 0) {
    wide = sign | ((exponent + 112) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    wide = sign;
  } else {
    // Subnormal: normalize the mantissa.
    int shift = 0;
    while (!(mantissa & 0x400)) {
      mantissa <<= 1;
      ++shift;
    }
    wide = sign | ((113 - shift) << 23) | ((mantissa & 0x3FF) << 13);
  }
  float value;
  std::memcpy(&value, &wide, sizeof(value));
  return value;
}

/// One operand as stored (`rows` x `cols` with leading dimension `ld`)
/// converted to a dense f32 matrix.
template <float (*convert)(uint16_t)>
void widen(const uint16_t *source, int64_t rows, int64_t cols, int64_t ld,
           std::vector<float> &out) {
  out.resize(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      out[r * cols + c] = convert(source[r * ld + c]);
}

template <float (*convert)(uint16_t)>
void gemmThroughSgemm(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                      const uint16_t *a, int64_t lda, const uint16_t *b,
                      int64_t ldb, float *c, int64_t ldc) {
  thread_local std::vector<float> wideA, wideB;
  int64_t aRows = transA ? k : m, aCols = transA ? m : k;
  int64_t bRows = transB ? n : k, bCols = transB ? k : n;
  widen<convert>(a, aRows, aCols, lda, wideA);
  widen<convert>(b, bRows, bCols, ldb, wideB);
  // mlopt_sgemm shares the product out over the pool (inline when this
  // runs inside a parallel batch).
  mlopt_sgemm(transA, transB, m, n, k, reinterpret_cast<int64_t>(wideA.data()),
              aCols, reinterpret_cast<int64_t>(wideB.data()), bCols,
              reinterpret_cast<int64_t>(c), ldc, 1, 0, 0, 0);
}

#ifdef MLOPT_HAVE_X86_BF16_KERNEL

constexpr int64_t kNR = 32;
constexpr int64_t kMR = 8;

/// C[MR x cols] += A-panel (MR rows of `kp` bf16 pairs) x B-panel (`kp`
/// pairs of 32 columns, pair-interleaved).
template <int MR>
__attribute__((target("avx512f,avx512bw,avx512bf16"))) void
microKernel(const uint32_t *a, int64_t kp, const uint16_t *b, float *c,
            int64_t ldc, int64_t cols) {
  // The accumulators must stay in registers: unroll the row loops fully
  // at any optimization level.
  __m512 acc[MR][2];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
    acc[i][0] = acc[i][1] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kp; ++p) {
    __m512bh b0 = (__m512bh)_mm512_loadu_si512(b + p * 2 * kNR);
    __m512bh b1 = (__m512bh)_mm512_loadu_si512(b + p * 2 * kNR + kNR);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      __m512bh pair =
          (__m512bh)_mm512_set1_epi32(static_cast<int>(a[i * kp + p]));
      acc[i][0] = _mm512_dpbf16_ps(acc[i][0], pair, b0);
      acc[i][1] = _mm512_dpbf16_ps(acc[i][1], pair, b1);
    }
  }
  auto mask = [](int64_t count) -> __mmask16 {
    if (count >= 16)
      return 0xFFFF;
    if (count <= 0)
      return 0;
    return static_cast<__mmask16>((1u << count) - 1);
  };
  __mmask16 low = mask(cols), high = mask(cols - 16);
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    float *row = c + i * ldc;
    _mm512_mask_storeu_ps(
        row, low, _mm512_add_ps(_mm512_maskz_loadu_ps(low, row), acc[i][0]));
    _mm512_mask_storeu_ps(
        row + 16, high,
        _mm512_add_ps(_mm512_maskz_loadu_ps(high, row + 16), acc[i][1]));
  }
}

using MicroKernel = void (*)(const uint32_t *, int64_t, const uint16_t *,
                             float *, int64_t, int64_t);
constexpr MicroKernel kMicroKernels[kMR + 1] = {
    nullptr,        microKernel<1>, microKernel<2>,
    microKernel<3>, microKernel<4>, microKernel<5>,
    microKernel<6>, microKernel<7>, microKernel<8>};

/// Packs columns [col0, col0 + cols) of op(B) into a panel of `kp` k-pairs
/// of 32 columns, pair-interleaved, zero-padded.
void packPanel(bool transB, int64_t k, int64_t kp, const uint16_t *b,
               int64_t ldb, int64_t col0, int64_t cols, uint16_t *panel) {
  std::fill(panel, panel + kp * 2 * kNR, 0);
  if (transB) {
    for (int64_t lane = 0; lane < cols; ++lane) {
      const uint16_t *row = b + (col0 + lane) * ldb;
      for (int64_t q = 0; q < k; ++q)
        panel[((q / 2) * kNR + lane) * 2 + q % 2] = row[q];
    }
    return;
  }
  for (int64_t q = 0; q < k; ++q) {
    const uint16_t *row = b + q * ldb + col0;
    uint16_t *out = panel + (q / 2) * 2 * kNR + q % 2;
    for (int64_t lane = 0; lane < cols; ++lane)
      out[lane * 2] = row[lane];
  }
}

void gemmBf16Dot(bool transA, bool transB, int64_t m, int64_t n, int64_t k,
                 const uint16_t *a, int64_t lda, const uint16_t *b, int64_t ldb,
                 float *c, int64_t ldc) {
  // A as rows of k-pairs (one u32 each), shared by all threads; B packed a
  // panel of 32 columns at a time by the thread that computes it. An odd k
  // is padded with a zero.
  int64_t kp = (k + 1) / 2;
  int64_t panels = (n + kNR - 1) / kNR;
  thread_local std::vector<uint32_t> packedA;
  packedA.assign(m * kp, 0);
  for (int64_t r = 0; r < m; ++r) {
    auto *row = reinterpret_cast<uint16_t *>(packedA.data() + r * kp);
    if (!transA)
      std::memcpy(row, a + r * lda, k * sizeof(uint16_t));
    else
      for (int64_t q = 0; q < k; ++q)
        row[q] = a[q * lda + r];
  }
  const uint32_t *aPacked = packedA.data();
  // Each panel's sums are the same whichever thread computes it.
  auto work = [&](int64_t first, int64_t last) {
    std::vector<uint16_t> panel(kp * 2 * kNR);
    for (int64_t p = first; p < last; ++p) {
      int64_t cols = std::min<int64_t>(kNR, n - p * kNR);
      packPanel(transB, k, kp, b, ldb, p * kNR, cols, panel.data());
      for (int64_t r = 0; r < m; r += kMR) {
        int64_t rows = std::min<int64_t>(kMR, m - r);
        kMicroKernels[rows](aPacked + r * kp, kp, panel.data(),
                            c + r * ldc + p * kNR, ldc, cols);
      }
    }
  };
  // On the pool's threads, in chunks of at least kParallelWork
  // multiply-adds.
  int64_t panelWork = std::max<int64_t>(1, m * kNR * k);
  mlir::mlopt::runtime::parallelFor(
      panels, (kParallelWork + panelWork - 1) / panelWork, work);
}

bool detectBf16DotProducts() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512bf16");
}

#else

bool detectBf16DotProducts() { return false; }

#endif

/// The CPU's answer, unless MLOPT_NO_BF16_DOT_KERNEL=1 asks for the f32
/// fallback (bench/amp.py times the path of CPUs without AVX512_BF16 so).
bool cpuHasBf16DotProducts() {
  static const bool has = [] {
    const char *off = std::getenv("MLOPT_NO_BF16_DOT_KERNEL");
    if (off && std::strcmp(off, "1") == 0)
      return false;
    return detectBf16DotProducts();
  }();
  return has;
}

std::atomic<bool> bf16DotProductsAllowed{true};

} // namespace

bool mlir::mlopt::runtime::hasBf16DotProductKernel() {
  return cpuHasBf16DotProducts() && bf16DotProductsAllowed.load();
}

bool mlir::mlopt::runtime::setBf16DotProductKernelAllowed(bool allowed) {
  return bf16DotProductsAllowed.exchange(allowed);
}

namespace {
using Gemm = void (*)(bool, bool, int64_t, int64_t, int64_t, const uint16_t *,
                      int64_t, const uint16_t *, int64_t, float *, int64_t);

void runBatched(Gemm gemm, int64_t transA, int64_t transB, int64_t m, int64_t n,
                int64_t k, int64_t a, int64_t lda, int64_t b, int64_t ldb,
                int64_t c, int64_t ldc, int64_t batch, int64_t strideA,
                int64_t strideB, int64_t strideC) {
  if (m <= 0 || n <= 0 || batch <= 0)
    return;
  // An empty sum adds nothing.
  if (k <= 0)
    return;
  auto *pa = reinterpret_cast<const uint16_t *>(a);
  auto *pb = reinterpret_cast<const uint16_t *>(b);
  auto *pc = reinterpret_cast<float *>(c);
  auto elements = [&](int64_t first, int64_t last) {
    for (int64_t i = first; i < last; ++i)
      gemm(transA != 0, transB != 0, m, n, k, pa + i * strideA, lda,
           pb + i * strideB, ldb, pc + i * strideC, ldc);
  };
  // Large elements are split inside the product (a batch of 3 on 2
  // threads would leave one idle a third of the time); small ones (the
  // attention's) run whole, several batch elements at once.
  int64_t work = m * n * k;
  if (batch == 1 || work >= kParallelWork) {
    elements(0, batch);
    return;
  }
  mlir::mlopt::runtime::parallelFor(batch, (kParallelWork + work - 1) / work,
                                    elements);
}
} // namespace

void mlopt_gemm_bf16(int64_t transA, int64_t transB, int64_t m, int64_t n,
                     int64_t k, int64_t a, int64_t lda, int64_t b, int64_t ldb,
                     int64_t c, int64_t ldc, int64_t batch, int64_t strideA,
                     int64_t strideB, int64_t strideC) {
  Gemm gemm = gemmThroughSgemm<bf16ToFloat>;
#ifdef MLOPT_HAVE_X86_BF16_KERNEL
  if (mlir::mlopt::runtime::hasBf16DotProductKernel())
    gemm = gemmBf16Dot;
#endif
  runBatched(gemm, transA, transB, m, n, k, a, lda, b, ldb, c, ldc, batch,
             strideA, strideB, strideC);
}

void mlopt_gemm_f16(int64_t transA, int64_t transB, int64_t m, int64_t n,
                    int64_t k, int64_t a, int64_t lda, int64_t b, int64_t ldb,
                    int64_t c, int64_t ldc, int64_t batch, int64_t strideA,
                    int64_t strideB, int64_t strideC) {
  runBatched(gemmThroughSgemm<f16ToFloat>, transA, transB, m, n, k, a, lda, b,
             ldb, c, ldc, batch, strideA, strideB, strideC);
}
