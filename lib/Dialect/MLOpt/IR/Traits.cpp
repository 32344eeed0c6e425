//===- Traits.cpp - native traits of every mlopt op -----------------------===//

#include "mlopt/Dialect/MLOpt/IR/Traits.h"

#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::mlopt;

std::optional<int64_t> mlopt::getCheckedNumElements(ShapedType type) {
  if (!type.hasStaticShape())
    return std::nullopt;
  int64_t count = 1;
  for (int64_t dim : type.getShape())
    if (dim < 0 || llvm::MulOverflow(count, dim, count))
      return std::nullopt;
  return count;
}

std::optional<int64_t> mlopt::getCheckedNumBytes(ShapedType type) {
  std::optional<int64_t> count = getCheckedNumElements(type);
  if (!count)
    return std::nullopt;
  unsigned bits = type.getElementType().getIntOrFloatBitWidth();
  int64_t bytes = 0;
  if (llvm::MulOverflow(*count, static_cast<int64_t>((bits + 7) / 8), bytes))
    return std::nullopt;
  return bytes;
}

LogicalResult mlopt::detail::verifyBoundedTensorTypes(Operation *op) {
  auto check = [&](Type type, StringRef what, unsigned index) -> LogicalResult {
    auto shaped = dyn_cast<ShapedType>(type);
    if (!shaped || !shaped.hasStaticShape() ||
        !shaped.getElementType().isIntOrFloat())
      return success();
    if (getCheckedNumBytes(shaped))
      return success();
    return op->emitOpError() << what << " #" << index << " has type " << type
                             << ", whose size does not fit in 64 bits";
  };
  for (auto [i, type] : llvm::enumerate(op->getOperandTypes()))
    if (failed(check(type, "operand", i)))
      return failure();
  for (auto [i, type] : llvm::enumerate(op->getResultTypes()))
    if (failed(check(type, "result", i)))
      return failure();
  return success();
}

LogicalResult mlopt::detail::verifyPreservesZero(Operation *op) {
  if (op->getNumOperands() == 0 || op->getNumResults() != 1)
    return op->emitOpError("maps zero to zero elementwise, so it needs a "
                           "first operand and one result");
  auto input = dyn_cast<ShapedType>(op->getOperand(0).getType());
  auto result = dyn_cast<ShapedType>(op->getResult(0).getType());
  if (input && result && input.hasRank() && result.hasRank() &&
      input.getShape() != result.getShape())
    return op->emitOpError("maps zero to zero elementwise, so its result "
                           "needs the shape of its first operand");
  return success();
}
