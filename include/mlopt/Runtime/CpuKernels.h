//===- CpuKernels.h - runtime functions called by CPU code ------*- C++ -*-===//
//
// Functions the lowered CPU code calls by name; the JIT resolves them to
// these definitions (CpuExecutable registers them).
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_CPUKERNELS_H
#define MLOPT_RUNTIME_CPUKERNELS_H

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

extern "C" {
/// C += op(A) op(B) for `batch` row-major f32 matrices (mlopt-linalg-to-blas):
/// op(A) is M x K, op(B) is K x N; `trans*` nonzero transposes; pointers are
/// passed as integers; `stride*` is the distance between batch elements in
/// elements. Served by single-threaded OpenBLAS cblas_sgemm calls, one per
/// batch element and tile of C (runtime::planSgemmTiles), shared out over
/// runtime::parallelFor's threads.
void mlopt_sgemm(int64_t transA, int64_t transB, int64_t m, int64_t n,
                 int64_t k, int64_t a, int64_t lda, int64_t b, int64_t ldb,
                 int64_t c, int64_t ldc, int64_t batch, int64_t strideA,
                 int64_t strideB, int64_t strideC);

/// As mlopt_sgemm with bf16 (f16) A and B and an f32 C: C += op(A) op(B),
/// accumulating in f32, `stride*` in elements of each operand. bf16 uses
/// the CPU's AVX512_BF16 dot products where the CPU has them (detected at
/// run time), else converts to f32 for OpenBLAS; f16 always converts.
void mlopt_gemm_bf16(int64_t transA, int64_t transB, int64_t m, int64_t n,
                     int64_t k, int64_t a, int64_t lda, int64_t b, int64_t ldb,
                     int64_t c, int64_t ldc, int64_t batch, int64_t strideA,
                     int64_t strideB, int64_t strideC);
void mlopt_gemm_f16(int64_t transA, int64_t transB, int64_t m, int64_t n,
                    int64_t k, int64_t a, int64_t lda, int64_t b, int64_t ldb,
                    int64_t c, int64_t ldc, int64_t batch, int64_t strideA,
                    int64_t strideB, int64_t strideC);

/// The selection of mlopt.prune_mask (convert-mlopt-to-linalg): `scores`
/// and `mask` point (as integers) to `groups * length` contiguous row-major
/// elements; each group of `length` gets 0 at its
/// round_half_even(sparsity * length) smallest scores (clamped to
/// [0, length]; ties: lower index first; NaN smallest) and 1 elsewhere.
/// The rule of mlopt/Support/PruneSelection.h, which the reference
/// evaluator shares. The buffers must not overlap.
/// C = (A - aZeroPoint)(op(B) - bZeroPoint) for int8 A and B and an int32
/// C, which is overwritten: C[i][j] = sum_p (A[i][p] - aZeroPoint) *
/// (op(B)[p][j] - bZeroPoint), exact in int32 (two's-complement wrap on
/// overflow). A is M x K row-major (leading dimension lda); B is K x N
/// row-major (ldb) or, when transB != 0, N x K (the linear weight layout);
/// C is M x N (ldc); pointers are passed as integers. Computed in int8
/// with int32 sums on the path getInt8KernelPath() names.
void mlopt_qgemm_s8(int64_t m, int64_t n, int64_t k, int64_t a, int64_t lda,
                    int64_t aZeroPoint, int64_t b, int64_t ldb,
                    int64_t bZeroPoint, int64_t transB, int64_t c, int64_t ldc);

void mlopt_prune_mask_f32(int64_t scores, int64_t mask, int64_t groups,
                          int64_t length, double sparsity);
void mlopt_prune_mask_f64(int64_t scores, int64_t mask, int64_t groups,
                          int64_t length, double sparsity);
}

namespace mlir::mlopt::runtime {
/// Sets OpenBLAS to one thread per call, once per process (before the
/// first product): parallel products run on parallelFor's threads, and
/// OpenBLAS' own threads would spin beside them.
void useSingleThreadedBlas();

/// How mlopt_sgemm cuts one M x N x K product: C in `rows` x `cols` tiles
/// (rows and cols powers of two, each tile one cblas_sgemm call). Depends
/// on the shape only, so results do not depend on the thread count.
struct SgemmTiles {
  int64_t rows = 1, cols = 1;
};
SgemmTiles planSgemmTiles(int64_t m, int64_t n, int64_t k);
/// A product is cut into about M*N*K / kSgemmTileWork tiles, none shorter
/// than kSgemmMinTile rows or columns (a product of 4 tiles' work or more
/// that this leaves whole is halved into tiles of at least kSgemmMinHalf);
/// batch elements and tiles are given to threads in chunks of at least
/// kSgemmMinParallelWork multiply-adds. Chosen by measurement
/// (docs/CpuPerformance.md).
inline constexpr double kSgemmTileWork = double(1 << 22);
inline constexpr int64_t kSgemmMinTile = 512;
inline constexpr int64_t kSgemmMinHalf = 128;
inline constexpr double kSgemmMinParallelWork = double(1 << 20);

/// Whether mlopt_gemm_bf16 uses the AVX512_BF16 kernel: the CPU has the
/// instructions, MLOPT_NO_BF16_DOT_KERNEL=1 is not set, and the kernel is
/// allowed.
bool hasBf16DotProductKernel();
/// Allows or forbids the AVX512_BF16 kernel (tests run the f32 fallback on
/// CPUs with the instructions); returns the previous setting.
bool setBf16DotProductKernelAllowed(bool allowed);

/// The code mlopt_qgemm_s8 runs: VPDPBUSD on zmm (AVX512_VNNI) or ymm
/// (AVX-VNNI), VPMADDWD on int16 (AVX2), or plain loops.
enum class Int8KernelPath { Avx512Vnni, AvxVnni, Avx2, Scalar };
/// "avx512vnni", "avxvnni", "avx2", "scalar"; and back (nullopt for any
/// other name).
const char *getInt8KernelPathName(Int8KernelPath path);
std::optional<Int8KernelPath> parseInt8KernelPath(std::string_view name);
/// The paths this CPU can run, fastest first (scalar always last).
std::vector<Int8KernelPath> availableInt8KernelPaths();
/// The path MLOPT_INT8_KERNEL names if the CPU has it (else, with a warning
/// on stderr, and when it is unset) the fastest available; read from the
/// environment at each call.
Int8KernelPath getDefaultInt8KernelPath();
/// The path in use: the last one set, else getDefaultInt8KernelPath() as
/// it was at the first query or product.
Int8KernelPath getInt8KernelPath();
/// Makes `path` the one in use (for tests and benchmarks) and returns the
/// previous one; refuses (nullopt, nothing changes) a path the CPU lacks.
std::optional<Int8KernelPath> setInt8KernelPath(Int8KernelPath path);
} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_CPUKERNELS_H
