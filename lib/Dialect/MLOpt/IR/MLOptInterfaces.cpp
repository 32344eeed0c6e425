//===- MLOptInterfaces.cpp - per-op rule interfaces -----------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "llvm/ADT/SmallPtrSet.h"

using namespace mlir;

#include "mlopt/Dialect/MLOpt/IR/MLOptAttrInterfaces.cpp.inc"
#include "mlopt/Dialect/MLOpt/IR/MLOptOpInterfaces.cpp.inc"

static int64_t numBytes(Type type) {
  auto shaped = dyn_cast<ShapedType>(type);
  if (!shaped || !shaped.hasStaticShape())
    return 0;
  int64_t bits = shaped.getElementTypeBitWidth();
  return shaped.getNumElements() * ((bits + 7) / 8);
}

int64_t mlopt::detail::defaultFlops(Operation *op) {
  // Moving, repeating or converting elements (reshape, transpose, slice,
  // concat, broadcast_to, select, cast) does no arithmetic; their cost is in
  // getBytesAccessed.
  if (isa<ElementForwardingOpInterface>(op))
    return 0;
  int64_t flops = 0;
  auto countElements = [&](Type type) {
    auto shaped = dyn_cast<ShapedType>(type);
    if (shaped && shaped.hasStaticShape())
      flops = std::max(flops, shaped.getNumElements());
  };
  llvm::for_each(op->getOperandTypes(), countElements);
  llvm::for_each(op->getResultTypes(), countElements);
  return flops;
}

int64_t mlopt::detail::defaultBytesAccessed(Operation *op) {
  int64_t bytes = 0;
  for (Type type : op->getOperandTypes())
    bytes += numBytes(type);
  for (Type type : op->getResultTypes())
    bytes += numBytes(type);
  return bytes;
}

std::optional<int64_t> mlopt::getIndexBound(Value value) {
  std::optional<int64_t> bound;
  SmallVector<Value> worklist = {value};
  llvm::SmallPtrSet<Value, 8> visited = {value};
  while (!worklist.empty()) {
    Value current = worklist.pop_back_val();
    for (OpOperand &use : current.getUses()) {
      Operation *user = use.getOwner();
      unsigned number = use.getOperandNumber();
      if (auto indexed = dyn_cast<IndexOperandOpInterface>(user)) {
        SmallVector<IndexOperand> indexOperands;
        indexed.getIndexOperands(indexOperands);
        for (const IndexOperand &operand : indexOperands)
          if (operand.operandNumber == number)
            bound = bound ? std::min(*bound, operand.bound) : operand.bound;
      }
      auto forwarding = dyn_cast<ElementForwardingOpInterface>(user);
      if (!forwarding || !forwarding.forwardsOperandElements(number))
        continue;
      for (Value result : user->getResults())
        if (visited.insert(result).second)
          worklist.push_back(result);
    }
  }
  return bound;
}
