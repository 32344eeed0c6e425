//===- CpuKernels.cpp - runtime functions called by CPU code --------------===//

#include "mlopt/Runtime/CpuKernels.h"
#include "mlopt/Support/PruneSelection.h"

#include <cblas.h>

void mlopt_sgemm(int64_t transA, int64_t transB, int64_t m, int64_t n,
                 int64_t k, int64_t a, int64_t lda, int64_t b, int64_t ldb,
                 int64_t c, int64_t ldc, int64_t batch, int64_t strideA,
                 int64_t strideB, int64_t strideC) {
  // An empty product adds nothing (and BLAS rejects zero leading dims).
  if (m <= 0 || n <= 0 || k <= 0 || batch <= 0)
    return;
  auto *pa = reinterpret_cast<const float *>(a);
  auto *pb = reinterpret_cast<const float *>(b);
  auto *pc = reinterpret_cast<float *>(c);
  CBLAS_TRANSPOSE ta = transA ? CblasTrans : CblasNoTrans;
  CBLAS_TRANSPOSE tb = transB ? CblasTrans : CblasNoTrans;
  for (int64_t i = 0; i < batch; ++i)
    cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, pa + i * strideA, lda,
                pb + i * strideB, ldb, 1.0f, pc + i * strideC, ldc);
}

void mlopt_prune_mask_f32(int64_t scores, int64_t mask, int64_t groups,
                          int64_t length, double sparsity) {
  mlir::mlopt::prune_selection::selectPruneMask(
      reinterpret_cast<const float *>(scores), reinterpret_cast<float *>(mask),
      groups, length, sparsity);
}

void mlopt_prune_mask_f64(int64_t scores, int64_t mask, int64_t groups,
                          int64_t length, double sparsity) {
  mlir::mlopt::prune_selection::selectPruneMask(
      reinterpret_cast<const double *>(scores),
      reinterpret_cast<double *>(mask), groups, length, sparsity);
}
