//===- ShardingRule.cpp - factor-based sharding rules ---------------------===//
//
// The rule type and the elementwise rule; each op's own rule lives beside the
// op (NNOps.cpp, ShapeOps.cpp, LossOps.cpp).
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallBitVector.h"
#include "llvm/ADT/StringExtras.h"

using namespace mlir;
using namespace mlir::mlopt;

static int64_t rankOf(Type type) {
  if (auto shaped = dyn_cast<ShapedType>(type); shaped && shaped.hasRank())
    return shaped.getRank();
  return 0;
}

ShardingRule ShardingRule::emptyFor(Operation *op) {
  ShardingRule rule;
  for (Type type : op->getOperandTypes())
    rule.operands.emplace_back(rankOf(type));
  for (Type type : op->getResultTypes())
    rule.results.emplace_back(rankOf(type));
  return rule;
}

int64_t ShardingRule::addFactor(int64_t size, FactorKind kind,
                                AllReduceKind reduction) {
  if (size == 1)
    return kNoFactor;
  factors.push_back({size, kind, reduction});
  return static_cast<int64_t>(factors.size()) - 1;
}

void ShardingRule::mapOperandDim(unsigned operand, int64_t dim,
                                 int64_t factor) {
  if (factor != kNoFactor)
    operands[operand][dim].push_back(factor);
}

void ShardingRule::mapResultDim(unsigned result, int64_t dim, int64_t factor) {
  if (factor != kNoFactor)
    results[result][dim].push_back(factor);
}

static std::optional<int64_t> majorFactor(ArrayRef<TensorFactors> tensors,
                                          unsigned index, int64_t dim) {
  if (index >= tensors.size() || dim < 0 ||
      dim >= static_cast<int64_t>(tensors[index].size()) ||
      tensors[index][dim].empty())
    return std::nullopt;
  return tensors[index][dim].front();
}

static std::optional<int64_t> dimOfFactor(ArrayRef<TensorFactors> tensors,
                                          unsigned index, int64_t factor) {
  if (index >= tensors.size())
    return std::nullopt;
  for (auto [dim, dimFactors] : llvm::enumerate(tensors[index]))
    if (llvm::is_contained(dimFactors, factor))
      return static_cast<int64_t>(dim);
  return std::nullopt;
}

std::optional<int64_t> ShardingRule::getOperandSplitFactor(unsigned operand,
                                                           int64_t dim) const {
  return majorFactor(operands, operand, dim);
}

std::optional<int64_t> ShardingRule::getResultSplitFactor(unsigned result,
                                                          int64_t dim) const {
  return majorFactor(results, result, dim);
}

std::optional<int64_t> ShardingRule::getOperandDim(unsigned operand,
                                                   int64_t factor) const {
  return dimOfFactor(operands, operand, factor);
}

std::optional<int64_t> ShardingRule::getResultDim(unsigned result,
                                                  int64_t factor) const {
  return dimOfFactor(results, result, factor);
}

bool ShardingRule::isSplittable(int64_t factor) const {
  return factor >= 0 && factor < static_cast<int64_t>(factors.size()) &&
         factors[factor].kind != FactorKind::NeedReplication;
}

FailureOr<Collective>
ShardingRule::getRestoringCollective(int64_t factor) const {
  if (!isSplittable(factor))
    return failure();
  const ShardingFactor &f = factors[factor];
  if (f.kind == FactorKind::Reduction)
    return Collective{CollectiveKind::AllReduce, f.reduction};
  return Collective{CollectiveKind::AllGather};
}

LogicalResult ShardingRule::verify(Operation *op) const {
  auto numFactors = static_cast<int64_t>(factors.size());
  for (auto [index, factor] : llvm::enumerate(factors))
    if (factor.size < 2)
      return op->emitError("sharding rule: factor #")
             << index << " has size " << factor.size << ", expected >= 2";
  auto checkTensors = [&](StringRef what, ArrayRef<TensorFactors> tensors,
                          TypeRange types) -> LogicalResult {
    if (tensors.size() != types.size())
      return op->emitError("sharding rule maps ")
             << tensors.size() << " " << what << "s, the op has "
             << types.size();
    for (auto [index, pair] : llvm::enumerate(llvm::zip(tensors, types))) {
      auto [mapping, type] = pair;
      auto shaped = dyn_cast<ShapedType>(type);
      ArrayRef<int64_t> shape =
          shaped && shaped.hasRank() ? shaped.getShape() : ArrayRef<int64_t>();
      if (mapping.size() != shape.size())
        return op->emitError("sharding rule maps ")
               << mapping.size() << " dimensions of " << what << " #" << index
               << ", which has rank " << shape.size();
      llvm::SmallBitVector seen(numFactors);
      for (auto [dim, dimFactors] : llvm::enumerate(mapping)) {
        if (dimFactors.empty())
          continue;
        int64_t product = 1;
        for (int64_t factor : dimFactors) {
          if (factor < 0 || factor >= numFactors)
            return op->emitError("sharding rule: ")
                   << what << " #" << index << " refers to factor #" << factor
                   << " of " << numFactors;
          if (seen.test(factor))
            return op->emitError("sharding rule: factor #")
                   << factor << " appears twice in " << what << " #" << index;
          seen.set(factor);
          product *= factors[factor].size;
        }
        if (product != shape[dim])
          return op->emitError("sharding rule: the factors of ")
                 << what << " #" << index << " dimension " << dim
                 << " have size " << product << ", the dimension "
                 << shape[dim];
      }
    }
    return success();
  };
  if (failed(checkTensors("operand", operands, op->getOperandTypes())) ||
      failed(checkTensors("result", results, op->getResultTypes())))
    return failure();
  for (auto [index, factor] : llvm::enumerate(factors))
    if (factor.kind == FactorKind::Reduction)
      for (unsigned result = 0; result < results.size(); ++result)
        if (getResultDim(result, index))
          return op->emitError("sharding rule: reduction factor #")
                 << index << " appears in result #" << result;
  for (unsigned operand : postReductionOperands)
    if (operand >= operands.size())
      return op->emitError("sharding rule: post-reduction operand #")
             << operand << " of " << operands.size();
  return success();
}

static std::string factorName(int64_t factor) {
  if (factor < 18)
    return std::string(1, static_cast<char>('i' + factor));
  return "f" + std::to_string(factor);
}

static StringRef reductionName(AllReduceKind kind) {
  switch (kind) {
  case AllReduceKind::Sum:
    return "sum";
  case AllReduceKind::Mean:
    return "mean";
  case AllReduceKind::Max:
    return "max";
  }
  llvm_unreachable("unknown reduction kind");
}

void ShardingRule::print(raw_ostream &os) const {
  auto printTensors = [&](ArrayRef<TensorFactors> tensors) {
    os << '(';
    llvm::interleaveComma(tensors, os, [&](const TensorFactors &tensor) {
      os << '[';
      llvm::interleaveComma(tensor, os, [&](const DimFactors &dim) {
        if (dim.empty())
          os << '_';
        for (int64_t factor : dim)
          os << factorName(factor);
      });
      os << ']';
    });
    os << ')';
  };
  printTensors(operands);
  os << " -> ";
  printTensors(results);
  os << " {";
  llvm::interleaveComma(
      llvm::seq<int64_t>(0, factors.size()), os, [&](int64_t factor) {
        os << factorName(factor) << '=' << factors[factor].size;
      });
  os << '}';
  SmallVector<std::string> reductions, replicated;
  for (auto [index, factor] : llvm::enumerate(factors)) {
    if (factor.kind == FactorKind::Reduction)
      reductions.push_back(factorName(index) + ":" +
                           reductionName(factor.reduction).str());
    else if (factor.kind == FactorKind::NeedReplication)
      replicated.push_back(factorName(index));
  }
  if (!reductions.empty())
    os << " reduction={" << llvm::join(reductions, ", ") << '}';
  if (!replicated.empty())
    os << " need_replication={" << llvm::join(replicated, ", ") << '}';
  if (!postReductionOperands.empty()) {
    os << " after_reduction={";
    llvm::interleaveComma(postReductionOperands, os);
    os << '}';
  }
}

std::string ShardingRule::str() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  print(os);
  return text;
}

raw_ostream &mlir::mlopt::operator<<(raw_ostream &os,
                                     const ShardingRule &rule) {
  rule.print(os);
  return os;
}

ShardingRule mlir::mlopt::detail::elementwiseShardingRule(Operation *op) {
  ShardingRule rule = ShardingRule::emptyFor(op);
  if (op->getNumResults() != 1)
    return rule;
  auto resultType = cast<ShapedType>(op->getResult(0).getType());
  int64_t rank = resultType.getRank();
  for (int64_t dim = 0; dim < rank; ++dim) {
    int64_t size = resultType.getDimSize(dim);
    int64_t factor = rule.addFactor(size);
    rule.mapResultDim(0, dim, factor);
    // Operands align with the result from the right (NumPy broadcasting); a
    // size-1 dimension broadcast to `size` maps to no factor.
    for (auto [index, type] : llvm::enumerate(op->getOperandTypes())) {
      auto operandType = cast<ShapedType>(type);
      int64_t operandDim = dim - (rank - operandType.getRank());
      if (operandDim >= 0 && operandType.getDimSize(operandDim) == size)
        rule.mapOperandDim(index, operandDim, factor);
    }
  }
  return rule;
}
