//===- CpuKernelsInt8.cpp - int8 matrix products with int32 sums ----------===//
//
// mlopt_qgemm_s8: C(i32) = (A - za)(op(B) - zb) for int8 A and B, exact in
// int32 (two's-complement wrap). The products really run in int8; which
// code runs is decided at run time from the CPU (Int8KernelPath):
// - avx512vnni: VPDPBUSD on zmm (four u8 x s8 products per i32 lane),
//   8 x 32 blocks of C in registers (16 x 16 when N <= 16);
// - avxvnni: the VEX form of VPDPBUSD on ymm (AVX-VNNI), 6 x 16 blocks;
// - avx2: VPMADDWD on int16 operands (two s16 x s16 products per i32
//   lane), 4 x 16 blocks. VPMADDUBSW (u8 x s8 pairs into saturating int16)
//   is not used: a pair of products reaches 2 * 255 * 128 = 65280 and would
//   saturate, so the result would not be exact. A is widened to int16 when
//   it is packed and B in the kernel (VPMOVSXBW), both exact. Except where
//   A spans at most 128 values (activations quantized to 7 bits): then
//   A + offset is in [0, 127], no pair of u7 x s8 products saturates, and
//   VPMADDUBSW + VPMADDWD by ones does it in fewer instructions;
// - scalar: plain loops (other CPUs).
// VPDPBUSD multiplies an unsigned operand by a signed one: A is made
// unsigned by adding 128 (xor 0x80) when it is packed, and the sums are
// corrected, with the zero points, exactly in int32:
//   sum_p (a - za)(b - zb) = sum_p (a + 128) b - (128 + za) colsum(B)
//                            - zb rowsum(A) + K za zb.
// B (usually the weights, N x K) is packed a panel of columns at a time
// into groups of 4 (VPDPBUSD, VPMADDUBSW) or 2 (VPMADDWD) consecutive k per
// column; A is packed once into blocks of rows. Large products share B's
// panels out over runtime::parallelFor, the pool mlopt_sgemm uses too.
// Figures and the comparison with oneDNN: docs/CpuPerformance.md.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Runtime/CpuKernels.h"
#include "mlopt/Runtime/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define MLOPT_HAVE_X86_INT8_KERNELS 1
#endif

using mlir::mlopt::runtime::Int8KernelPath;

namespace {

/// One product as mlopt_qgemm_s8 receives it. Zero points are taken modulo
/// 2^32, as every sum is.
struct Product {
  int64_t m, n, k;
  const int8_t *a;
  int64_t lda;
  const int8_t *b;
  int64_t ldb;
  bool transB;
  int32_t *c;
  int64_t ldc;
  uint32_t aZero, bZero;
};

void qgemmScalar(const Product &q) {
  // Unsigned arithmetic wraps as the int32 result must.
  std::vector<uint32_t> row(q.n);
  for (int64_t i = 0; i < q.m; ++i) {
    const int8_t *a = q.a + i * q.lda;
    if (q.transB) {
      for (int64_t j = 0; j < q.n; ++j) {
        const int8_t *b = q.b + j * q.ldb;
        uint32_t sum = 0;
        for (int64_t p = 0; p < q.k; ++p)
          sum += (static_cast<uint32_t>(a[p]) - q.aZero) *
                 (static_cast<uint32_t>(b[p]) - q.bZero);
        row[j] = sum;
      }
    } else {
      std::fill(row.begin(), row.end(), 0u);
      for (int64_t p = 0; p < q.k; ++p) {
        uint32_t av = static_cast<uint32_t>(a[p]) - q.aZero;
        const int8_t *b = q.b + p * q.ldb;
        for (int64_t j = 0; j < q.n; ++j)
          row[j] += av * (static_cast<uint32_t>(b[j]) - q.bZero);
      }
    }
    std::memcpy(q.c + i * q.ldc, row.data(), q.n * sizeof(int32_t));
  }
}

#ifdef MLOPT_HAVE_X86_INT8_KERNELS

//===----------------------------------------------------------------------===//
// Packing, shared by the SIMD paths
//===----------------------------------------------------------------------===//

/// How a path wants its operands: `group` consecutive k per 32-bit lane
/// (4 int8 for VNNI, 2 for VPMADDWD), blocks of `mr` rows of A and panels
/// of `nr` columns of B.
struct Layout {
  int64_t group, mr, nr;
  /// Added to every A value when packing, modulo 256 (128 makes int8
  /// unsigned; the 7-bit AVX2 kernel takes -min(A)), and taken off again
  /// through the column sums.
  uint32_t aOffset;
};

/// The sum of k int8 (modulo 2^32): 16 at a time as unsigned bytes
/// (PSADBW against zero), less 128 for each.
uint32_t sumInt8(const int8_t *values, int64_t k) {
  const __m128i flip = _mm_set1_epi8(static_cast<char>(0x80));
  __m128i wide = _mm_setzero_si128();
  int64_t p = 0;
  for (; p + 16 <= k; p += 16)
    wide = _mm_add_epi64(
        wide,
        _mm_sad_epu8(
            _mm_xor_si128(
                _mm_loadu_si128(reinterpret_cast<const __m128i *>(values + p)),
                flip),
            _mm_setzero_si128()));
  // Two 64-bit sums; their low halves suffice modulo 2^32.
  uint32_t sum =
      static_cast<uint32_t>(_mm_cvtsi128_si32(wide)) +
      static_cast<uint32_t>(_mm_cvtsi128_si32(_mm_srli_si128(wide, 8))) -
      static_cast<uint32_t>(128 * p);
  for (; p < k; ++p)
    sum += static_cast<uint32_t>(values[p]);
  return sum;
}

/// The 4-byte granules [g0, g0 + 4) of four rows, transposed: dst +
/// j * dstStride receives granule g0 + j of rows 0-3 (16 bytes), each byte
/// plus `offset` (modulo 256).
inline void transpose4x4(const int8_t *const rows[4], int64_t g0, int8_t *dst,
                         int64_t dstStride, __m128i offset) {
  auto load = [&](int r) {
    return _mm_add_epi8(
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(rows[r] + 4 * g0)),
        offset);
  };
  __m128i r0 = load(0), r1 = load(1), r2 = load(2), r3 = load(3);
  __m128i lo01 = _mm_unpacklo_epi32(r0, r1), lo23 = _mm_unpacklo_epi32(r2, r3);
  __m128i hi01 = _mm_unpackhi_epi32(r0, r1), hi23 = _mm_unpackhi_epi32(r2, r3);
  auto store = [&](int j, __m128i value) {
    _mm_storeu_si128(reinterpret_cast<__m128i *>(dst + j * dstStride), value);
  };
  store(0, _mm_unpacklo_epi64(lo01, lo23));
  store(1, _mm_unpackhi_epi64(lo01, lo23));
  store(2, _mm_unpacklo_epi64(hi01, hi23));
  store(3, _mm_unpackhi_epi64(hi01, hi23));
}

/// Granules [g0, groups) of one row of k int8 (4 per granule, zero-padded
/// past k), each byte plus `offset` (modulo 256), to out[g * stride] (in
/// 32-bit words).
void copyGranules(const int8_t *row, int64_t k, int64_t g0, int64_t groups,
                  uint8_t offset, uint32_t *out, int64_t stride) {
  for (int64_t g = g0; g < groups; ++g) {
    uint8_t bytes[4] = {0, 0, 0, 0};
    if (4 * g + 4 <= k)
      std::memcpy(bytes, row + 4 * g, 4);
    else
      std::memcpy(bytes, row + 4 * g, k - 4 * g);
    for (uint8_t &byte : bytes)
      byte = static_cast<uint8_t>(byte + offset);
    std::memcpy(out + g * stride, bytes, 4);
  }
}

/// A's rows as blocks of `mr` rows: for each k-group g, the block's rows'
/// 32-bit granules one after another (`mr` per g). The granule holds
/// `group` bytes of A + offset (VNNI) or 2 int16 (AVX2). Padded with zeros
/// in k and rows. Also returns the plain row sums of A (zeros when B's
/// zero point is 0: nothing uses them then).
void packA(const Product &q, const Layout &layout, int64_t groups,
           std::vector<uint32_t> &packed, std::vector<uint32_t> &rowSums) {
  const int64_t mr = layout.mr;
  int64_t blocks = (q.m + mr - 1) / mr;
  packed.assign(blocks * groups * mr, 0);
  rowSums.resize(q.m);
  auto rowOf = [&](int64_t i) { return q.a + i * q.lda; };
  auto outOf = [&](int64_t i) {
    return packed.data() + (i / mr) * groups * mr + i % mr;
  };
  // Only a nonzero zero point of B needs them.
  for (int64_t i = 0; i < q.m; ++i)
    rowSums[i] = q.bZero ? sumInt8(rowOf(i), q.k) : 0;
  // Padding k (zeros in B too) adds nothing whatever A holds there.
  if (layout.group == 4) {
    // Four rows of a block at a time, 4 x 4 granules transposed.
    const int64_t full = q.k / 4;
    const uint8_t offset = static_cast<uint8_t>(layout.aOffset);
    const __m128i offsets = _mm_set1_epi8(static_cast<char>(offset));
    for (int64_t i = 0; i < q.m;) {
      if (i % mr + 4 > mr || i + 4 > q.m) {
        copyGranules(rowOf(i), q.k, 0, groups, offset, outOf(i), mr);
        ++i;
        continue;
      }
      const int8_t *rows[4] = {rowOf(i), rowOf(i + 1), rowOf(i + 2),
                               rowOf(i + 3)};
      uint32_t *out = outOf(i);
      int64_t g = 0;
      for (; g + 4 <= full; g += 4)
        transpose4x4(rows, g, reinterpret_cast<int8_t *>(out + g * mr), mr * 4,
                     offsets);
      for (int r = 0; r < 4; ++r)
        copyGranules(rows[r], q.k, g, groups, offset, out + r, mr);
      i += 4;
    }
    return;
  }
  std::vector<int8_t> padded(groups * 2, 0);
  for (int64_t i = 0; i < q.m; ++i) {
    const int8_t *row = rowOf(i);
    if (q.k % 2) {
      std::memcpy(padded.data(), row, q.k);
      row = padded.data();
    }
    uint32_t *out = outOf(i);
    for (int64_t g = 0; g < groups; ++g) {
      uint32_t low = static_cast<uint16_t>(static_cast<int16_t>(row[2 * g]));
      uint32_t high =
          static_cast<uint16_t>(static_cast<int16_t>(row[2 * g + 1]));
      out[g * mr] = low | (high << 16);
    }
  }
}

/// Columns [col0, col0 + cols) of op(B) as a panel: for each k-group g,
/// `nr` columns of `group` consecutive int8 each (zero-padded in k and
/// columns). Also the column sums of op(B) (nr entries, zero past cols).
void packB(const Product &q, const Layout &layout, int64_t groups, int64_t col0,
           int64_t cols, int8_t *panel, uint32_t *colSums) {
  const int64_t group = layout.group, nr = layout.nr;
  const int64_t stride = nr * group;
  std::memset(panel, 0, groups * stride);
  std::fill(colSums, colSums + nr, 0u);
  if (q.transB) {
    // Each column is a row of B: its groups are contiguous.
    auto rowOf = [&](int64_t lane) { return q.b + (col0 + lane) * q.ldb; };
    for (int64_t lane = 0; lane < cols; ++lane)
      colSums[lane] = sumInt8(rowOf(lane), q.k);
    int64_t full = q.k / group;
    int64_t lane = 0;
    if (group == 4) {
      // Four columns at a time, 4 x 4 granules transposed.
      for (; lane + 4 <= cols; lane += 4) {
        const int8_t *rows[4] = {rowOf(lane), rowOf(lane + 1), rowOf(lane + 2),
                                 rowOf(lane + 3)};
        int64_t g = 0;
        for (; g + 4 <= full; g += 4)
          transpose4x4(rows, g, panel + g * stride + lane * 4, stride,
                       _mm_setzero_si128());
        for (int r = 0; r < 4; ++r)
          copyGranules(rows[r], q.k, g, groups, 0,
                       reinterpret_cast<uint32_t *>(panel + (lane + r) * 4),
                       nr);
      }
    }
    for (; lane < cols; ++lane) {
      const int8_t *row = rowOf(lane);
      int8_t *out = panel + lane * group;
      // Constant sizes, or memcpy is a call per granule.
      if (group == 4) {
        for (int64_t g = 0; g < full; ++g)
          std::memcpy(out + g * stride, row + 4 * g, 4);
      } else {
        for (int64_t g = 0; g < full; ++g)
          std::memcpy(out + g * stride, row + 2 * g, 2);
      }
      for (int64_t p = full * group; p < q.k; ++p)
        out[full * stride + p - full * group] = row[p];
    }
    return;
  }
  // Rows of B: interleave `group` rows, 16 columns at a time where the
  // panel is full.
  for (int64_t p = 0; p < q.k; ++p) {
    const int8_t *row = q.b + p * q.ldb + col0;
    for (int64_t lane = 0; lane < cols; ++lane)
      colSums[lane] += static_cast<uint32_t>(row[lane]);
  }
  int64_t full = q.k / group;
  int64_t vectorCols = cols == nr ? nr : 0;
  for (int64_t g = 0; g < full; ++g) {
    const int8_t *rows = q.b + g * group * q.ldb + col0;
    int8_t *out = panel + g * stride;
    for (int64_t lane = 0; lane < vectorCols; lane += 16) {
      auto load = [&](int64_t r) {
        return _mm_loadu_si128(
            reinterpret_cast<const __m128i *>(rows + r * q.ldb + lane));
      };
      auto *dst = reinterpret_cast<__m128i *>(out + lane * group);
      if (group == 4) {
        __m128i r0 = load(0), r1 = load(1), r2 = load(2), r3 = load(3);
        __m128i lo01 = _mm_unpacklo_epi8(r0, r1),
                hi01 = _mm_unpackhi_epi8(r0, r1);
        __m128i lo23 = _mm_unpacklo_epi8(r2, r3),
                hi23 = _mm_unpackhi_epi8(r2, r3);
        _mm_storeu_si128(dst + 0, _mm_unpacklo_epi16(lo01, lo23));
        _mm_storeu_si128(dst + 1, _mm_unpackhi_epi16(lo01, lo23));
        _mm_storeu_si128(dst + 2, _mm_unpacklo_epi16(hi01, hi23));
        _mm_storeu_si128(dst + 3, _mm_unpackhi_epi16(hi01, hi23));
      } else {
        __m128i r0 = load(0), r1 = load(1);
        _mm_storeu_si128(dst + 0, _mm_unpacklo_epi8(r0, r1));
        _mm_storeu_si128(dst + 1, _mm_unpackhi_epi8(r0, r1));
      }
    }
    for (int64_t lane = vectorCols; lane < cols; ++lane)
      for (int64_t r = 0; r < group; ++r)
        out[lane * group + r] = rows[r * q.ldb + lane];
  }
  for (int64_t p = full * group; p < q.k; ++p) {
    const int8_t *row = q.b + p * q.ldb + col0;
    int8_t *out = panel + full * stride + (p - full * group);
    for (int64_t lane = 0; lane < cols; ++lane)
      out[lane * group] = row[lane];
  }
}

//===----------------------------------------------------------------------===//
// Micro-kernels
//===----------------------------------------------------------------------===//

/// Arguments of one micro-kernel call: a block of packed A (`groups`
/// k-groups of `mr` granules), a packed B panel, and where the
/// `rows` x `cols` block of C goes. C = sums + colCorrection[j] +
/// rowCorrection[i] (the zero-point and offset terms).
struct Tile {
  const uint32_t *a;
  const int8_t *b;
  int64_t groups;
  int32_t *c;
  int64_t ldc, rows, cols;
  const uint32_t *colCorrection, *rowCorrection;
};

/// MR x (16 NV) blocks of C: 8 x 32 in general, 16 x 16 for products of
/// at most 16 columns (the MLP's last layer has 10).
template <int MR, int NV>
__attribute__((target("avx512f,avx512bw,avx512vnni"))) void
kernelAvx512Vnni(const Tile &t) {
  // The accumulators must stay in registers: unroll the loops fully at any
  // optimization level.
  __m512i acc[MR][NV];
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v)
      acc[i][v] = _mm512_setzero_si512();
  const uint32_t *a = t.a;
  const int8_t *b = t.b;
  for (int64_t g = 0; g < t.groups; ++g, a += MR, b += 64 * NV) {
    __m512i bv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v)
      bv[v] = _mm512_loadu_si512(b + 64 * v);
#pragma GCC unroll 16
    for (int i = 0; i < MR; ++i) {
      __m512i ai = _mm512_set1_epi32(static_cast<int>(a[i]));
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v)
        acc[i][v] = _mm512_dpbusd_epi32(acc[i][v], ai, bv[v]);
    }
  }
  __mmask16 masks[NV];
  __m512i colTerms[NV];
#pragma GCC unroll 2
  for (int v = 0; v < NV; ++v) {
    int64_t count = t.cols - 16 * v;
    masks[v] = count >= 16  ? static_cast<__mmask16>(0xFFFF)
               : count <= 0 ? static_cast<__mmask16>(0)
                            : static_cast<__mmask16>((1u << count) - 1);
    colTerms[v] = _mm512_loadu_si512(t.colCorrection + 16 * v);
  }
#pragma GCC unroll 16
  for (int i = 0; i < MR; ++i) {
    if (i >= t.rows)
      break;
    __m512i rowTerm = _mm512_set1_epi32(static_cast<int>(t.rowCorrection[i]));
    int32_t *row = t.c + i * t.ldc;
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v)
      _mm512_mask_storeu_epi32(
          row + 16 * v, masks[v],
          _mm512_add_epi32(acc[i][v], _mm512_add_epi32(colTerms[v], rowTerm)));
  }
}

// 16 ymm registers: AVX-VNNI accumulates in place (12 sums, 2 B vectors and
// a broadcast A granule); VPMADDWD needs a register for the products, so
// AVX2 keeps 4 rows (8 sums) and leaves the compiler room (5 or 6 rows
// spilled and were slower, measured, in both AVX2 kernels).
constexpr int64_t kNR256 = 16, kMRAvxVnni = 6, kMRAvx2 = 4, kMRAvx2Bytes = 4;

/// Stores an MR x 16 block of sums with the corrections (AVX2, AVX-VNNI).
template <int MR>
__attribute__((target("avx2"), always_inline)) inline void
storeTile256(const Tile &t, __m256i (&acc)[MR][2]) {
  __m256i col0 =
      _mm256_loadu_si256(reinterpret_cast<const __m256i *>(t.colCorrection));
  __m256i col1 = _mm256_loadu_si256(
      reinterpret_cast<const __m256i *>(t.colCorrection + 8));
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i) {
    if (i >= t.rows)
      break;
    __m256i rowTerm = _mm256_set1_epi32(static_cast<int>(t.rowCorrection[i]));
    __m256i lo = _mm256_add_epi32(acc[i][0], _mm256_add_epi32(col0, rowTerm));
    __m256i hi = _mm256_add_epi32(acc[i][1], _mm256_add_epi32(col1, rowTerm));
    int32_t *row = t.c + i * t.ldc;
    if (t.cols == kNR256) {
      _mm256_storeu_si256(reinterpret_cast<__m256i *>(row), lo);
      _mm256_storeu_si256(reinterpret_cast<__m256i *>(row + 8), hi);
      continue;
    }
    alignas(32) int32_t tmp[kNR256];
    _mm256_store_si256(reinterpret_cast<__m256i *>(tmp), lo);
    _mm256_store_si256(reinterpret_cast<__m256i *>(tmp + 8), hi);
    std::memcpy(row, tmp, t.cols * sizeof(int32_t));
  }
}

__attribute__((target("avx2,avxvnni"))) void kernelAvxVnni(const Tile &t) {
  constexpr int MR = kMRAvxVnni;
  __m256i acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i)
    acc[i][0] = acc[i][1] = _mm256_setzero_si256();
  const uint32_t *a = t.a;
  const int8_t *b = t.b;
  for (int64_t g = 0; g < t.groups; ++g, a += MR, b += 4 * kNR256) {
    __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b));
    __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b + 32));
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      __m256i ai = _mm256_set1_epi32(static_cast<int>(a[i]));
      acc[i][0] = _mm256_dpbusd_avx_epi32(acc[i][0], ai, b0);
      acc[i][1] = _mm256_dpbusd_avx_epi32(acc[i][1], ai, b1);
    }
  }
  storeTile256<MR>(t, acc);
}

__attribute__((target("avx2"))) void kernelAvx2(const Tile &t) {
  constexpr int MR = kMRAvx2;
  __m256i acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i)
    acc[i][0] = acc[i][1] = _mm256_setzero_si256();
  const uint32_t *a = t.a;
  const int8_t *b = t.b;
  for (int64_t g = 0; g < t.groups; ++g, a += MR, b += 2 * kNR256) {
    // 8 columns x 2 k of int8, widened to the int16 pairs VPMADDWD takes
    // (here rather than when packing: an int16 panel is twice the size and
    // was slower, measured).
    __m256i b0 = _mm256_cvtepi8_epi16(
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(b)));
    __m256i b1 = _mm256_cvtepi8_epi16(
        _mm_loadu_si128(reinterpret_cast<const __m128i *>(b + 16)));
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      __m256i ai = _mm256_set1_epi32(static_cast<int>(a[i]));
      acc[i][0] = _mm256_add_epi32(acc[i][0], _mm256_madd_epi16(ai, b0));
      acc[i][1] = _mm256_add_epi32(acc[i][1], _mm256_madd_epi16(ai, b1));
    }
  }
  storeTile256<MR>(t, acc);
}

/// A spanning at most 128 consecutive values (as activations quantized to 7
/// bits do): A + offset lies in [0, 127], and VPMADDUBSW's pairs of
/// u7 x s8 products, at most 2 * 127 * 128 = 32512 in magnitude, cannot
/// saturate. Four k per 32-bit lane as for VNNI: VPMADDUBSW makes int16
/// pair sums, VPMADDWD by ones adds them into int32 (exact).
__attribute__((target("avx2"))) void kernelAvx2Bytes(const Tile &t) {
  constexpr int MR = kMRAvx2Bytes;
  __m256i acc[MR][2];
#pragma GCC unroll 6
  for (int i = 0; i < MR; ++i)
    acc[i][0] = acc[i][1] = _mm256_setzero_si256();
  const __m256i ones = _mm256_set1_epi16(1);
  const uint32_t *a = t.a;
  const int8_t *b = t.b;
  for (int64_t g = 0; g < t.groups; ++g, a += MR, b += 4 * kNR256) {
    __m256i b0 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b));
    __m256i b1 = _mm256_loadu_si256(reinterpret_cast<const __m256i *>(b + 32));
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      __m256i ai = _mm256_set1_epi32(static_cast<int>(a[i]));
      acc[i][0] = _mm256_add_epi32(
          acc[i][0], _mm256_madd_epi16(_mm256_maddubs_epi16(ai, b0), ones));
      acc[i][1] = _mm256_add_epi32(
          acc[i][1], _mm256_madd_epi16(_mm256_maddubs_epi16(ai, b1), ones));
    }
  }
  storeTile256<MR>(t, acc);
}

/// The offset that takes A into [0, 127] if A spans at most 128 values.
__attribute__((target("avx2"))) std::optional<uint32_t>
sevenBitOffset(const Product &q) {
  int lowest = 127, highest = -128;
  for (int64_t i = 0; i < q.m; ++i) {
    const int8_t *row = q.a + i * q.lda;
    int8_t low = 127, high = -128;
    for (int64_t p = 0; p < q.k; ++p) {
      low = std::min(low, row[p]);
      high = std::max(high, row[p]);
    }
    lowest = std::min<int>(lowest, low);
    highest = std::max<int>(highest, high);
    if (highest - lowest > 127)
      return std::nullopt;
  }
  return static_cast<uint32_t>(-lowest);
}

//===----------------------------------------------------------------------===//
// Driver
//===----------------------------------------------------------------------===//

/// Products of at least this many multiply-adds are split over threads.
constexpr int64_t kParallelWork = int64_t(1) << 22;

void qgemmPacked(const Product &q, const Layout &layout,
                 void (*kernel)(const Tile &)) {
  const int64_t groups = (q.k + layout.group - 1) / layout.group;
  const int64_t panels = (q.n + layout.nr - 1) / layout.nr;
  const int64_t blocks = (q.m + layout.mr - 1) / layout.mr;
  thread_local std::vector<uint32_t> packedA, rowSums;
  packA(q, layout, groups, packedA, rowSums);
  // rowCorrection[i] = -zb rowsum(A)_i; colCorrection[j] = K za zb -
  // (offset + za) colsum(B)_j; all modulo 2^32.
  thread_local std::vector<uint32_t> rowCorrection;
  rowCorrection.assign(blocks * layout.mr, 0);
  for (int64_t i = 0; i < q.m; ++i)
    rowCorrection[i] = 0u - q.bZero * rowSums[i];
  const uint32_t constant = static_cast<uint32_t>(q.k) * q.aZero * q.bZero;
  const uint32_t colFactor = layout.aOffset + q.aZero;
  // Plain pointers for the helper threads (thread_local names would be
  // theirs).
  const uint32_t *aPacked = packedA.data();
  const uint32_t *rowTerms = rowCorrection.data();

  // The panels are shared out in chunks by runtime::parallelFor (threads
  // take the next chunk: the CPUs may be busy with other work unequally).
  // Each panel's sums are the same on any thread.
  auto work = [&](int64_t first, int64_t last) {
    std::vector<int8_t> panel(groups * layout.nr * layout.group);
    std::vector<uint32_t> colSums(layout.nr), colCorrection(layout.nr);
    for (int64_t p = first; p < last; ++p) {
      int64_t col0 = p * layout.nr;
      int64_t cols = std::min(layout.nr, q.n - col0);
      packB(q, layout, groups, col0, cols, panel.data(), colSums.data());
      for (int64_t j = 0; j < layout.nr; ++j)
        colCorrection[j] = constant - colFactor * colSums[j];
      Tile tile{nullptr, panel.data(),         groups, nullptr, q.ldc, 0,
                cols,    colCorrection.data(), nullptr};
      for (int64_t block = 0; block < blocks; ++block) {
        int64_t row0 = block * layout.mr;
        tile.a = aPacked + block * groups * layout.mr;
        tile.c = q.c + row0 * q.ldc + col0;
        tile.rows = std::min(layout.mr, q.m - row0);
        tile.rowCorrection = rowTerms + row0;
        kernel(tile);
      }
    }
  };
  // On the pool's threads (runtime::getNumThreads(), as mlopt_sgemm), in
  // chunks of at least kParallelWork multiply-adds.
  int64_t panelWork = std::max<int64_t>(1, q.m * layout.nr * q.k);
  mlir::mlopt::runtime::parallelFor(
      panels, (kParallelWork + panelWork - 1) / panelWork, work);
}

constexpr Layout kLayoutAvx512Vnni{4, 8, 32, 128};
constexpr Layout kLayoutAvx512VnniNarrow{4, 16, 16, 128};
constexpr Layout kLayoutAvxVnni{4, kMRAvxVnni, kNR256, 128};
constexpr Layout kLayoutAvx2{2, kMRAvx2, kNR256, 0};
/// aOffset is set per product (sevenBitOffset).
constexpr Layout kLayoutAvx2Bytes{4, kMRAvx2Bytes, kNR256, 0};

bool cpuHas(Int8KernelPath path) {
  __builtin_cpu_init();
  switch (path) {
  case Int8KernelPath::Avx512Vnni:
    return __builtin_cpu_supports("avx512f") &&
           __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vnni");
  case Int8KernelPath::AvxVnni:
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("avxvnni");
  case Int8KernelPath::Avx2:
    return __builtin_cpu_supports("avx2");
  case Int8KernelPath::Scalar:
    return true;
  }
  return false;
}

#else

bool cpuHas(Int8KernelPath path) { return path == Int8KernelPath::Scalar; }

#endif

constexpr Int8KernelPath kAllPaths[] = {
    Int8KernelPath::Avx512Vnni, Int8KernelPath::AvxVnni, Int8KernelPath::Avx2,
    Int8KernelPath::Scalar};

bool available(Int8KernelPath path) {
  static const bool has[] = {cpuHas(kAllPaths[0]), cpuHas(kAllPaths[1]),
                             cpuHas(kAllPaths[2]), cpuHas(kAllPaths[3])};
  return has[static_cast<int>(path)];
}

/// The path in use; -1 until the first product (or query) chooses it.
std::atomic<int> selectedPath{-1};

} // namespace

const char *mlir::mlopt::runtime::getInt8KernelPathName(Int8KernelPath path) {
  switch (path) {
  case Int8KernelPath::Avx512Vnni:
    return "avx512vnni";
  case Int8KernelPath::AvxVnni:
    return "avxvnni";
  case Int8KernelPath::Avx2:
    return "avx2";
  case Int8KernelPath::Scalar:
    return "scalar";
  }
  return "unknown";
}

std::optional<Int8KernelPath>
mlir::mlopt::runtime::parseInt8KernelPath(std::string_view name) {
  for (Int8KernelPath path : kAllPaths)
    if (name == getInt8KernelPathName(path))
      return path;
  return std::nullopt;
}

std::vector<Int8KernelPath> mlir::mlopt::runtime::availableInt8KernelPaths() {
  std::vector<Int8KernelPath> paths;
  for (Int8KernelPath path : kAllPaths)
    if (available(path))
      paths.push_back(path);
  return paths;
}

Int8KernelPath mlir::mlopt::runtime::getDefaultInt8KernelPath() {
  Int8KernelPath best = availableInt8KernelPaths().front();
  const char *forced = std::getenv("MLOPT_INT8_KERNEL");
  if (!forced || !*forced)
    return best;
  std::optional<Int8KernelPath> path = parseInt8KernelPath(forced);
  if (path && available(*path))
    return *path;
  std::fprintf(stderr,
               "mlopt: MLOPT_INT8_KERNEL=%s is %s; using %s (choices: "
               "avx512vnni, avxvnni, avx2, scalar)\n",
               forced, path ? "not supported by this CPU" : "not a path",
               getInt8KernelPathName(best));
  return best;
}

Int8KernelPath mlir::mlopt::runtime::getInt8KernelPath() {
  int path = selectedPath.load();
  if (path >= 0)
    return static_cast<Int8KernelPath>(path);
  int chosen = static_cast<int>(getDefaultInt8KernelPath());
  // Another thread may have chosen first; keep its choice.
  if (!selectedPath.compare_exchange_strong(path, chosen))
    return static_cast<Int8KernelPath>(path);
  return static_cast<Int8KernelPath>(chosen);
}

std::optional<Int8KernelPath>
mlir::mlopt::runtime::setInt8KernelPath(Int8KernelPath path) {
  if (!available(path))
    return std::nullopt;
  Int8KernelPath previous = getInt8KernelPath();
  selectedPath.store(static_cast<int>(path));
  return previous;
}

void mlopt_qgemm_s8(int64_t m, int64_t n, int64_t k, int64_t a, int64_t lda,
                    int64_t aZeroPoint, int64_t b, int64_t ldb,
                    int64_t bZeroPoint, int64_t transB, int64_t c,
                    int64_t ldc) {
  if (m <= 0 || n <= 0)
    return;
  Product q{m,
            n,
            std::max<int64_t>(k, 0),
            reinterpret_cast<const int8_t *>(a),
            lda,
            reinterpret_cast<const int8_t *>(b),
            ldb,
            transB != 0,
            reinterpret_cast<int32_t *>(c),
            ldc,
            static_cast<uint32_t>(aZeroPoint),
            static_cast<uint32_t>(bZeroPoint)};
  // An empty sum is zero; C is overwritten.
  if (q.k == 0) {
    for (int64_t i = 0; i < m; ++i)
      std::fill(q.c + i * ldc, q.c + i * ldc + n, 0);
    return;
  }
  switch (mlir::mlopt::runtime::getInt8KernelPath()) {
#ifdef MLOPT_HAVE_X86_INT8_KERNELS
  case Int8KernelPath::Avx512Vnni:
    if (q.n <= 16)
      return qgemmPacked(q, kLayoutAvx512VnniNarrow, kernelAvx512Vnni<16, 1>);
    return qgemmPacked(q, kLayoutAvx512Vnni, kernelAvx512Vnni<8, 2>);
  case Int8KernelPath::AvxVnni:
    return qgemmPacked(q, kLayoutAvxVnni, kernelAvxVnni);
  case Int8KernelPath::Avx2:
    if (std::optional<uint32_t> offset = sevenBitOffset(q)) {
      Layout layout = kLayoutAvx2Bytes;
      layout.aOffset = *offset;
      return qgemmPacked(q, layout, kernelAvx2Bytes);
    }
    return qgemmPacked(q, kLayoutAvx2, kernelAvx2);
#endif
  default:
    return qgemmScalar(q);
  }
}
