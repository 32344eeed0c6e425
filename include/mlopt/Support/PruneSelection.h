//===- PruneSelection.h - the selection rule of mlopt.prune_mask -*- C++
//-*-===//
//
// `mlopt.prune_mask` zeroes, in every group of `length` scores, the
// k = round_half_even(sparsity * length) smallest ones (ties: lower index
// first; NaN counts as the smallest). The rule is written once, here, for
// the reference evaluator and the CPU runtime kernel, so that both select
// the same elements bit for bit. Header-only and dependency-free.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_SUPPORT_PRUNESELECTION_H
#define MLOPT_SUPPORT_PRUNESELECTION_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace mlir::mlopt::prune_selection {

/// The number of elements pruned in a group of `length`: sparsity * length
/// rounded half to even (Python's round, as torch.nn.utils.prune), clamped
/// to [0, length]. A NaN sparsity prunes nothing. The rounding is done by
/// hand rather than by std::nearbyint so that it does not depend on the
/// floating-point environment.
inline int64_t prunedCount(double sparsity, int64_t length) {
  if (length <= 0 || !(sparsity > 0.0))
    return 0;
  double product = sparsity * static_cast<double>(length);
  if (!(product < static_cast<double>(length)))
    return length;
  double floor = std::floor(product);
  double fraction = product - floor;
  auto count = static_cast<int64_t>(floor);
  if (fraction > 0.5 || (fraction == 0.5 && count % 2 != 0))
    ++count;
  return std::min(count, length);
}

/// Whether score `a` at index `ia` is pruned before score `b` at index `ib`:
/// NaN first, then by value, then by index. A strict total order on
/// (score, index), so the k smallest are one well-defined set.
template <typename Score>
inline bool prunedBefore(Score a, int64_t ia, Score b, int64_t ib) {
  bool aNan = std::isnan(a), bNan = std::isnan(b);
  if (aNan != bNan)
    return aNan;
  if (!aNan && a != b)
    return a < b;
  return ia < ib;
}

/// Writes the 0/1 mask of `groups` groups of `length` contiguous scores to
/// `mask` (same layout): 0 at the prunedCount(sparsity, length) smallest
/// scores of each group, 1 elsewhere. std::nth_element: O(length) per group
/// on average. `scores` and `mask` may not overlap.
template <typename Score, typename Mask = Score>
void selectPruneMask(const Score *scores, Mask *mask, int64_t groups,
                     int64_t length, double sparsity) {
  if (groups <= 0 || length <= 0)
    return;
  int64_t count = prunedCount(sparsity, length);
  std::fill(mask, mask + groups * length, static_cast<Mask>(1));
  if (count == 0)
    return;
  if (count == length) {
    std::fill(mask, mask + groups * length, static_cast<Mask>(0));
    return;
  }
  std::vector<int64_t> order(static_cast<size_t>(length));
  for (int64_t g = 0; g < groups; ++g) {
    const Score *group = scores + g * length;
    for (int64_t i = 0; i < length; ++i)
      order[i] = i;
    std::nth_element(order.begin(), order.begin() + count, order.end(),
                     [group](int64_t i, int64_t j) {
                       return prunedBefore(group[i], i, group[j], j);
                     });
    Mask *out = mask + g * length;
    for (int64_t i = 0; i < count; ++i)
      out[order[i]] = static_cast<Mask>(0);
  }
}

} // namespace mlir::mlopt::prune_selection

#endif // MLOPT_SUPPORT_PRUNESELECTION_H
