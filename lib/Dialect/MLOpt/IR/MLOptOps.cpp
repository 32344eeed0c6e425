//===- MLOptOps.cpp - generated op classes and shared assembly ------------===//
//
// Op implementations live in one file per op family (StateOps.cpp,
// ElementwiseOps.cpp, ShapeOps.cpp, NNOps.cpp, LossOps.cpp).
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

using namespace mlir;
using namespace mlir::mlopt;

/// `: T` when both operands and the result share one type, otherwise
/// `: (L, R) -> T`.
static ParseResult parseBroadcastTypes(OpAsmParser &parser, Type &lhs,
                                       Type &rhs, Type &result) {
  if (failed(parser.parseOptionalLParen())) {
    if (parser.parseType(result))
      return failure();
    lhs = rhs = result;
    return success();
  }
  return failure(parser.parseType(lhs) || parser.parseComma() ||
                 parser.parseType(rhs) || parser.parseRParen() ||
                 parser.parseArrow() || parser.parseType(result));
}

static void printBroadcastTypes(OpAsmPrinter &printer, Operation *, Type lhs,
                                Type rhs, Type result) {
  if (lhs == result && rhs == result) {
    printer << result;
    return;
  }
  printer << '(' << lhs << ", " << rhs << ") -> " << result;
}

#define GET_OP_CLASSES
#include "mlopt/Dialect/MLOpt/IR/MLOptOps.cpp.inc"
