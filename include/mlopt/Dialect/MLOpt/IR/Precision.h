//===- Precision.h - mixed-precision classes of ops -------------*- C++ -*-===//
//
// The traits that give an op its `PrecisionOpInterface` class; see
// docs/DialectRationale.md, "Precision classes".
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_MLOPT_IR_PRECISION_H
#define MLOPT_DIALECT_MLOPT_IR_PRECISION_H

#include "mlir/IR/OpDefinition.h"

namespace mlir::mlopt {

/// The op computes in f16/bf16 under mixed precision (matrix products).
template <typename ConcreteType>
class LowPrecisionCompute
    : public OpTrait::TraitBase<ConcreteType, LowPrecisionCompute> {};

/// The op computes in f32 under mixed precision (reductions, softmax, norms,
/// losses, metrics, exp/log-like functions).
template <typename ConcreteType>
class KeepF32Compute : public OpTrait::TraitBase<ConcreteType, KeepF32Compute> {
};

} // namespace mlir::mlopt

#endif // MLOPT_DIALECT_MLOPT_IR_PRECISION_H
