//===- MLOpt.h - the mlopt dialect ------------------------------*- C++ -*-===//

#ifndef MLOPT_DIALECT_MLOPT_IR_MLOPT_H
#define MLOPT_DIALECT_MLOPT_IR_MLOPT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Interfaces/CastInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "mlopt/Dialect/MLOpt/IR/Precision.h"
#include "mlopt/Dialect/MLOpt/IR/Quantization.h"
#include "mlopt/Dialect/MLOpt/IR/ShardingRule.h"
#include "mlopt/Dialect/MLOpt/IR/Traits.h"

#include "mlopt/Dialect/MLOpt/IR/MLOptEnums.h.inc"

#include <optional>

namespace mlir::mlopt {
/// Checkpoint policy by kind: training state (optimizer_state, step,
/// loss_scale, rng) versus the model's tensors (parameter, buffer, mask,
/// observer), which are what a PyTorch `state_dict` holds.
bool isTrainingStateKind(StateKind kind);

/// An index operand of an op (`IndexOperandOpInterface`): every element of
/// operand `operandNumber` must lie in `[0, bound)`.
struct IndexOperand {
  unsigned operandNumber;
  int64_t bound;
};
} // namespace mlir::mlopt

#include "mlopt/Dialect/MLOpt/IR/MLOptAttrInterfaces.h.inc"

#define GET_ATTRDEF_CLASSES
#include "mlopt/Dialect/MLOpt/IR/MLOptAttrs.h.inc"

namespace mlir::mlopt::detail {
/// Default cost rules: one flop per element of the largest operand or result
/// (none for ElementForwardingOpInterface ops, which only move elements);
/// every operand and result byte touched once.
int64_t defaultFlops(Operation *op);
int64_t defaultBytesAccessed(Operation *op);
} // namespace mlir::mlopt::detail

#include "mlopt/Dialect/MLOpt/IR/MLOptOpInterfaces.h.inc"

#include "mlopt/Dialect/MLOpt/IR/MLOptDialect.h.inc"

#define GET_OP_CLASSES
#include "mlopt/Dialect/MLOpt/IR/MLOptOps.h.inc"

namespace mlir::mlopt {
/// The manifest of `module`'s `mlopt.state` symbols, in declaration order.
/// Fails with an error at the state the runtime cannot hold (say, an `i16`
/// element type).
FailureOr<ManifestAttr> buildStateManifest(ModuleOp module);

/// The tightest exclusive upper bound that index operands
/// (`IndexOperandOpInterface`) put on the elements of `value`, following its
/// uses through element-forwarding ops (`ElementForwardingOpInterface`:
/// reshape, cast, ...); none when no index operand is reached.
std::optional<int64_t> getIndexBound(Value value);
} // namespace mlir::mlopt

#endif // MLOPT_DIALECT_MLOPT_IR_MLOPT_H
