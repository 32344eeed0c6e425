//===- ShardingRule.h - factor-based sharding rules of ops ------*- C++ -*-===//
//
// The value type that `ShardingOpInterface::getShardingRule` returns: a
// factor-based description of how an op's operands and results split
// together, after OpenXLA Shardy's `OpShardingRuleAttr`. See
// docs/DialectRationale.md, "Sharding rules".
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_MLOPT_IR_SHARDINGRULE_H
#define MLOPT_DIALECT_MLOPT_IR_SHARDINGRULE_H

#include "mlir/IR/OpDefinition.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

namespace mlir::mlopt {

/// What splitting a factor across shards means for the op.
enum class FactorKind {
  /// The factor appears in results: each shard computes its slice of the
  /// results from its slices of the operands, with no communication.
  PassThrough,
  /// The factor is reduced over (it appears in operands only): each shard
  /// computes a partial result, which an all-reduce completes.
  Reduction,
  /// The factor must not be split: operands split along it are gathered
  /// before the op (softmax's dimension, layer_norm's normalized dimensions).
  NeedReplication,
};

/// How the partial results of a split reduction factor combine.
enum class AllReduceKind {
  Sum,
  /// The average of the shards' results; exact when the shards have equal
  /// sizes, which the tensor-parallel split guarantees.
  Mean,
  Max,
};

/// The collective that restores an op's full results after a factor split.
enum class CollectiveKind {
  /// Results come out split along the factor; gathering them (along the
  /// dimension `ShardingRule::getResultDim` names) gives the full result.
  AllGather,
  /// Results are partial; an all-reduce with `Collective::reduction` gives
  /// the full result.
  AllReduce,
};

struct Collective {
  CollectiveKind kind;
  /// Only meaningful for `AllReduce`.
  AllReduceKind reduction = AllReduceKind::Sum;
};

struct ShardingFactor {
  int64_t size;
  FactorKind kind = FactorKind::PassThrough;
  /// Only meaningful for `Reduction` factors.
  AllReduceKind reduction = AllReduceKind::Sum;
};

/// The factors one tensor dimension is made of, major to minor. Empty: the
/// dimension cannot be split (a size-1 or broadcast dimension, a sliced or
/// concatenated dimension, a reshape group that does not factor cleanly).
using DimFactors = SmallVector<int64_t, 1>;
/// One `DimFactors` per dimension of a tensor.
using TensorFactors = SmallVector<DimFactors>;

/// How an op's operands and results split jointly. The op's iteration space
/// is a set of factors (sizes); every operand and result dimension is the
/// product of the factors mapped to it. Splitting a factor across N shards
/// splits every dimension it is mapped to, in every operand and result at
/// once. For `linear(x[B, K], w[N, K], b[N]) -> y[B, N]` the factors are
/// `i = B`, `j = N` (pass-through) and `k = K` (a sum reduction), with
/// `x = [i, k]`, `w = [j, k]`, `b = [j]`, `y = [i, j]`, and `b` applied after
/// the reduction.
///
/// Factors of size 1 are never created: size-1 dimensions map to no factor.
struct ShardingRule {
  static constexpr int64_t kNoFactor = -1;

  SmallVector<ShardingFactor> factors;
  SmallVector<TensorFactors> operands;
  SmallVector<TensorFactors> results;
  /// Operands that the op combines with its result after the reduction
  /// (linear's bias: `y = x W^T + b`). When a reduction factor is split, each
  /// shard computes the op without them, the partial results are
  /// all-reduced, and then these operands are applied once; applying them on
  /// every shard would count them once per shard.
  SmallVector<unsigned> postReductionOperands;

  //===--------------------------------------------------------------------===//
  // Building
  //===--------------------------------------------------------------------===//

  /// A rule with no factors and one empty `DimFactors` per dimension of each
  /// of `op`'s operands and results.
  static ShardingRule emptyFor(Operation *op);

  /// Adds a factor; returns its index, or `kNoFactor` when `size` is 1.
  int64_t addFactor(int64_t size, FactorKind kind = FactorKind::PassThrough,
                    AllReduceKind reduction = AllReduceKind::Sum);
  /// Appends `factor` (the next minor one) to a dimension; `kNoFactor` is
  /// ignored.
  void mapOperandDim(unsigned operand, int64_t dim, int64_t factor);
  void mapResultDim(unsigned result, int64_t dim, int64_t factor);

  //===--------------------------------------------------------------------===//
  // Queries
  //===--------------------------------------------------------------------===//

  /// The factor that splitting operand `operand` along `dim` into contiguous
  /// shards splits: the dimension's major factor, or std::nullopt when the
  /// dimension maps to no factor (it cannot be split).
  std::optional<int64_t> getOperandSplitFactor(unsigned operand,
                                               int64_t dim) const;
  std::optional<int64_t> getResultSplitFactor(unsigned result,
                                              int64_t dim) const;

  /// The dimension of an operand or result that `factor` is part of, or
  /// std::nullopt when the tensor does not have the factor (it is
  /// replicated along it, e.g. a weight for the batch factor).
  std::optional<int64_t> getOperandDim(unsigned operand, int64_t factor) const;
  std::optional<int64_t> getResultDim(unsigned result, int64_t factor) const;

  /// Whether `factor` may be split (it is not need-replication).
  bool isSplittable(int64_t factor) const;

  /// The collective that restores the full results when `factor` is split;
  /// failure for a need-replication factor. After an all-reduce, the
  /// `postReductionOperands` are applied.
  FailureOr<Collective> getRestoringCollective(int64_t factor) const;

  /// Checks the rule against `op`'s types: a mapping per operand and result
  /// of the right rank, factor products equal to dimension sizes, no factor
  /// twice in one tensor, reduction factors absent from results. Reports at
  /// `op`.
  LogicalResult verify(Operation *op) const;

  /// Prints in Shardy's notation, factors named i, j, k, ...:
  /// `([i, k], [j, k], [j]) -> ([i, j]) {i=32, j=256, k=784}
  ///  reduction={k:sum} after_reduction={2}`; a dimension made of several
  /// factors prints them side by side (`[i, jk]`), one with none as `_`.
  void print(raw_ostream &os) const;
  std::string str() const;
};

raw_ostream &operator<<(raw_ostream &os, const ShardingRule &rule);

/// Marks an op whose sharding rule is the elementwise rule with NumPy
/// broadcasting (`ShardingOpInterface`'s default implementation).
template <typename ConcreteType>
class ElementwiseShardingRule
    : public OpTrait::TraitBase<ConcreteType, ElementwiseShardingRule> {};

/// Marks an op that has no sharding rule on purpose; docs/DialectRationale.md
/// says why for each (state access, random ops, constants). A
/// tensor-parallel pass treats its results as replicated.
template <typename ConcreteType>
class Unshardable : public OpTrait::TraitBase<ConcreteType, Unshardable> {};

namespace detail {
/// The elementwise rule: one pass-through factor per result dimension (of
/// size > 1), shared by the operand dimensions aligned with it from the
/// right that have the same size; broadcast dimensions map to no factor.
ShardingRule elementwiseShardingRule(Operation *op);
} // namespace detail

} // namespace mlir::mlopt

#endif // MLOPT_DIALECT_MLOPT_IR_SHARDINGRULE_H
