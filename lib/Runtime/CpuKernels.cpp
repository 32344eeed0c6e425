//===- CpuKernels.cpp - runtime functions called by CPU code --------------===//

#include "mlopt/Runtime/CpuKernels.h"
#include "mlopt/Runtime/ThreadPool.h"
#include "mlopt/Support/PruneSelection.h"

#include <algorithm>
#include <cblas.h>
#include <mutex>

using namespace mlir::mlopt;

void runtime::useSingleThreadedBlas() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

runtime::SgemmTiles runtime::planSgemmTiles(int64_t m, int64_t n, int64_t k) {
  SgemmTiles tiles;
  // The tiles depend on the shape only, never on the thread count: every
  // tile is one single-threaded cblas_sgemm call with the same arguments
  // whichever thread runs it, so 1 and N threads give the same bits (a
  // split made per thread count would change OpenBLAS' blocking and
  // kernel choice, and with it the rounding).
  double work = static_cast<double>(m) * n * k;
  int64_t wanted = static_cast<int64_t>(work / kSgemmTileWork);
  // Split the longer side of C first: a row tile repacks all of op(B), a
  // column tile all of op(A), so the shorter side's operand is the one
  // packed again.
  while (tiles.rows * tiles.cols < wanted) {
    int64_t rowLength = m / tiles.rows, colLength = n / tiles.cols;
    bool canRows = rowLength >= 2 * kSgemmMinTile;
    bool canCols = colLength >= 2 * kSgemmMinTile;
    if (canRows && (!canCols || rowLength >= colLength))
      tiles.rows *= 2;
    else if (canCols)
      tiles.cols *= 2;
    else
      break;
  }
  // A large product with no side of 2 * kSgemmMinTile (256 x 256 x 2048,
  // a weight gradient) is still halved, into tiles of kSgemmMinHalf.
  if (tiles.rows * tiles.cols == 1 && wanted >= 4) {
    if (m >= n && m >= 2 * kSgemmMinHalf)
      tiles.rows = 2;
    else if (n >= 2 * kSgemmMinHalf)
      tiles.cols = 2;
  }
  return tiles;
}

namespace {

/// Splits [0, length) into `parts` pieces that are multiples of 16 (the
/// kernels' register blocking) except the last; returns the piece length.
int64_t pieceLength(int64_t length, int64_t parts) {
  int64_t piece = (length + parts - 1) / parts;
  return std::min(length, (piece + 15) / 16 * 16);
}

} // namespace

void mlopt_sgemm(int64_t transA, int64_t transB, int64_t m, int64_t n,
                 int64_t k, int64_t a, int64_t lda, int64_t b, int64_t ldb,
                 int64_t c, int64_t ldc, int64_t batch, int64_t strideA,
                 int64_t strideB, int64_t strideC) {
  // An empty product adds nothing (and BLAS rejects zero leading dims).
  if (m <= 0 || n <= 0 || k <= 0 || batch <= 0)
    return;
  runtime::useSingleThreadedBlas();
  auto *pa = reinterpret_cast<const float *>(a);
  auto *pb = reinterpret_cast<const float *>(b);
  auto *pc = reinterpret_cast<float *>(c);
  CBLAS_TRANSPOSE ta = transA ? CblasTrans : CblasNoTrans;
  CBLAS_TRANSPOSE tb = transB ? CblasTrans : CblasNoTrans;
  runtime::SgemmTiles plan = runtime::planSgemmTiles(m, n, k);
  int64_t rowPiece = pieceLength(m, plan.rows);
  int64_t colPiece = pieceLength(n, plan.cols);
  int64_t rowTiles = (m + rowPiece - 1) / rowPiece;
  int64_t colTiles = (n + colPiece - 1) / colPiece;
  int64_t perElement = rowTiles * colTiles;
  // One index space over batch elements x tiles: a batched product of
  // small matrices (attention) runs whole elements on each thread.
  auto run = [&](int64_t first, int64_t last) {
    for (int64_t item = first; item < last; ++item) {
      int64_t element = item / perElement, tile = item % perElement;
      int64_t row0 = (tile / colTiles) * rowPiece;
      int64_t col0 = (tile % colTiles) * colPiece;
      int64_t rows = std::min(rowPiece, m - row0);
      int64_t cols = std::min(colPiece, n - col0);
      // Row-major: op(A)'s row r starts at r * lda (or column r when
      // transposed), op(B)'s column j at j (or row j * ldb).
      const float *tileA =
          pa + element * strideA + (transA ? row0 : row0 * lda);
      const float *tileB =
          pb + element * strideB + (transB ? col0 * ldb : col0);
      float *tileC = pc + element * strideC + row0 * ldc + col0;
      cblas_sgemm(CblasRowMajor, ta, tb, rows, cols, k, 1.0f, tileA, lda, tileB,
                  ldb, 1.0f, tileC, ldc);
    }
  };
  int64_t items = batch * perElement;
  // Items of one small product each are grouped so a chunk holds enough
  // work to be worth a thread.
  double itemWork = static_cast<double>(rowPiece) * colPiece * k;
  int64_t grain = std::max<int64_t>(
      1, static_cast<int64_t>(runtime::kSgemmMinParallelWork / itemWork));
  runtime::parallelFor(items, grain, run);
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
