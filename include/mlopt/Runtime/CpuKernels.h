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
}

#endif // MLOPT_RUNTIME_CPUKERNELS_H
