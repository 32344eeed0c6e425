//===- CollectiveOps.cpp - shape rules and verifiers of the collectives ---===//
//
// The VJP rules live in CollectiveVJP.cpp.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include <limits>

using namespace mlir;
using namespace mlir::mlopt;

/// The group size and, when given, a rank of that group.
static LogicalResult
verifyRanks(Operation *op, int64_t ranks,
            std::optional<std::pair<StringRef, int64_t>> rank = std::nullopt) {
  if (ranks < 1)
    return op->emitOpError("needs ranks >= 1, got ") << ranks;
  if (rank && (rank->second < 0 || rank->second >= ranks))
    return op->emitOpError("has ")
           << rank->first << " = " << rank->second << ", outside the " << ranks
           << " ranks [0, " << ranks << ")";
  return success();
}

/// `mean` averages: it needs float elements.
static LogicalResult verifyReduction(Operation *op, ReduceKind reduction,
                                     TypeRange types) {
  if (reduction != ReduceKind::Mean)
    return success();
  for (auto [index, type] : llvm::enumerate(types))
    if (!isa<FloatType>(getElementTypeOrSelf(type)))
      return op->emitOpError("reduction 'mean' needs float tensors; operand #")
             << index << " is " << type;
  return success();
}

/// `type` with dimension `dim` scaled by `ranks` (all_gather) or divided by
/// it (reduce_scatter, local_shard).
static FailureOr<Type> resizeDim(std::optional<Location> loc, StringRef opName,
                                 unsigned index, Type type, int64_t dim,
                                 int64_t ranks, bool gather) {
  // Runs before the operand constraints are verified (the parser infers the
  // result types), so it checks what it relies on itself.
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor || !tensor.hasStaticShape())
    return emitOptionalError(loc, opName, " operand #", index,
                             " must be a statically shaped tensor");
  if (ranks < 1)
    return emitOptionalError(loc, opName, " needs ranks >= 1, got ", ranks);
  if (dim < 0 || dim >= tensor.getRank())
    return emitOptionalError(loc, opName, " dim ", dim,
                             " is out of range for operand #", index,
                             " of type ", type);
  SmallVector<int64_t> shape(tensor.getShape());
  if (gather) {
    if (shape[dim] > std::numeric_limits<int64_t>::max() / ranks)
      return emitOptionalError(loc, opName, " dimension ", dim, " (",
                               shape[dim], ") of operand #", index,
                               " times ranks = ", ranks, " overflows");
    shape[dim] *= ranks;
  } else {
    if (shape[dim] % ranks != 0)
      return emitOptionalError(loc, opName, " dimension ", dim, " (",
                               shape[dim], ") of operand #", index,
                               " does not divide by ranks = ", ranks);
    shape[dim] /= ranks;
  }
  return Type(tensor.clone(shape));
}

//===----------------------------------------------------------------------===//
// all_reduce
//===----------------------------------------------------------------------===//

LogicalResult AllReduceOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location>,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  for (Value input : adaptor.getInputs())
    inferred.push_back(input.getType());
  return success();
}

LogicalResult AllReduceOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one operand");
  if (failed(verifyRanks(*this, getRanks())))
    return failure();
  return verifyReduction(*this, getReduction(), getInputs().getTypes());
}

//===----------------------------------------------------------------------===//
// all_gather, reduce_scatter, local_shard
//===----------------------------------------------------------------------===//

LogicalResult AllGatherOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            Adaptor adaptor,
                                            SmallVectorImpl<Type> &inferred) {
  for (auto [index, input] : llvm::enumerate(adaptor.getInputs())) {
    FailureOr<Type> type =
        resizeDim(loc, "'mlopt.all_gather' op", index, input.getType(),
                  adaptor.getDim(), adaptor.getRanks(), /*gather=*/true);
    if (failed(type))
      return failure();
    inferred.push_back(*type);
  }
  return success();
}

LogicalResult AllGatherOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one operand");
  return verifyRanks(*this, getRanks());
}

LogicalResult
ReduceScatterOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                  Adaptor adaptor,
                                  SmallVectorImpl<Type> &inferred) {
  for (auto [index, input] : llvm::enumerate(adaptor.getInputs())) {
    FailureOr<Type> type =
        resizeDim(loc, "'mlopt.reduce_scatter' op", index, input.getType(),
                  adaptor.getDim(), adaptor.getRanks(), /*gather=*/false);
    if (failed(type))
      return failure();
    inferred.push_back(*type);
  }
  return success();
}

LogicalResult ReduceScatterOp::verify() {
  if (getInputs().empty())
    return emitOpError("needs at least one operand");
  if (failed(verifyRanks(*this, getRanks())))
    return failure();
  return verifyReduction(*this, getReduction(), getInputs().getTypes());
}

LogicalResult LocalShardOp::inferReturnTypes(MLIRContext *,
                                             std::optional<Location> loc,
                                             Adaptor adaptor,
                                             SmallVectorImpl<Type> &inferred) {
  FailureOr<Type> type =
      resizeDim(loc, "'mlopt.local_shard' op", 0, adaptor.getInput().getType(),
                adaptor.getDim(), adaptor.getRanks(), /*gather=*/false);
  if (failed(type))
    return failure();
  inferred.push_back(*type);
  return success();
}

LogicalResult LocalShardOp::verify() { return verifyRanks(*this, getRanks()); }

//===----------------------------------------------------------------------===//
// broadcast, reduce, send, recv
//===----------------------------------------------------------------------===//

LogicalResult BroadcastOp::verify() {
  return verifyRanks(*this, getRanks(), std::make_pair("root", getRoot()));
}

LogicalResult ReduceOp::verify() {
  if (failed(verifyRanks(*this, getRanks(), std::make_pair("root", getRoot()))))
    return failure();
  return verifyReduction(*this, getReduction(), getInput().getType());
}

LogicalResult SendOp::verify() {
  if (failed(verifyRanks(*this, getRanks(), std::make_pair("dest", getDest()))))
    return failure();
  if (getRanks() < 2)
    return emitOpError("needs ranks >= 2: a rank cannot send to itself");
  return success();
}

LogicalResult RecvOp::verify() {
  if (failed(verifyRanks(*this, getRanks(),
                         std::make_pair("source", getSource()))))
    return failure();
  if (getRanks() < 2)
    return emitOpError("needs ranks >= 2: a rank cannot receive from itself");
  return success();
}

//===----------------------------------------------------------------------===//
// What an op communicates (Traits.h)
//===----------------------------------------------------------------------===//

bool mlopt::usesCommunicator(Operation *op) {
  auto effects = dyn_cast<MemoryEffectOpInterface>(op);
  if (!effects)
    return false;
  SmallVector<MemoryEffects::EffectInstance> instances;
  effects.getEffects(instances);
  return llvm::any_of(instances, [](const MemoryEffects::EffectInstance &e) {
    return isa<CommunicatorResource>(e.getResource());
  });
}

int64_t mlopt::getCommunicatedBytes(Operation *op) {
  if (!usesCommunicator(op) || isa<LocalShardOp>(op))
    return 0;
  int64_t bytes = 0;
  for (Type type : op->getOperandTypes())
    if (auto shaped = dyn_cast<ShapedType>(type))
      bytes += getCheckedNumBytes(shaped).value_or(0);
  return bytes;
}
