//===- CpuKernels.h - runtime functions called by CPU code ------*- C++ -*-===//
//
// Functions the lowered CPU code calls by name; the JIT resolves them to
// these definitions (CpuExecutable registers them).
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_CPUKERNELS_H
#define MLOPT_RUNTIME_CPUKERNELS_H

#include <cstdint>

extern "C" {
/// C += op(A) op(B) for `batch` row-major f32 matrices (mlopt-linalg-to-blas):
/// op(A) is M x K, op(B) is K x N; `trans*` nonzero transposes; pointers are
/// passed as integers; `stride*` is the distance between batch elements in
/// elements. Served by OpenBLAS' cblas_sgemm.
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
void mlopt_prune_mask_f32(int64_t scores, int64_t mask, int64_t groups,
                          int64_t length, double sparsity);
void mlopt_prune_mask_f64(int64_t scores, int64_t mask, int64_t groups,
                          int64_t length, double sparsity);
}

namespace mlir::mlopt::runtime {
/// Whether mlopt_gemm_bf16 uses the AVX512_BF16 kernel: the CPU has the
/// instructions, MLOPT_NO_BF16_DOT_KERNEL=1 is not set, and the kernel is
/// allowed.
bool hasBf16DotProductKernel();
/// Allows or forbids the AVX512_BF16 kernel (tests run the f32 fallback on
/// CPUs with the instructions); returns the previous setting.
bool setBf16DotProductKernelAllowed(bool allowed);
} // namespace mlir::mlopt::runtime

#endif // MLOPT_RUNTIME_CPUKERNELS_H
