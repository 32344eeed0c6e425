//===- MLOptInterfaces.cpp - per-op rule interfaces -----------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

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
