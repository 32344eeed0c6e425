//===- VJPUtils.h - what the VJP rules share --------------------*- C++ -*-===//
//
// The per-family VJP files build their IR with MLOptBuilder (the emitter
// they share with the optimizer rules); this header adds the one piece of
// bookkeeping that is theirs alone.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_LIB_DIALECT_MLOPT_IR_VJPUTILS_H
#define MLOPT_LIB_DIALECT_MLOPT_IR_VJPUTILS_H

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Dialect/MLOpt/IR/MLOptBuilder.h"

namespace mlir::mlopt::vjp {

inline RankedTensorType tensorType(Value value) {
  return cast<RankedTensorType>(value.getType());
}

/// Resets `cotangents` to one null (zero) value per operand of `op`, and
/// reports whether every result cotangent is null, in which case the VJP is
/// zero and nothing needs to be built.
inline bool initCotangents(Operation *op, ValueRange resultCotangents,
                           SmallVectorImpl<Value> &cotangents) {
  cotangents.assign(op->getNumOperands(), Value());
  return llvm::all_of(resultCotangents, [](Value v) { return !v; });
}

} // namespace mlir::mlopt::vjp

#endif // MLOPT_LIB_DIALECT_MLOPT_IR_VJPUTILS_H
