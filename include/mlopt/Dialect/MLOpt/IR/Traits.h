//===- Traits.h - native traits of every mlopt op ---------------*- C++ -*-===//

#ifndef MLOPT_DIALECT_MLOPT_IR_TRAITS_H
#define MLOPT_DIALECT_MLOPT_IR_TRAITS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <optional>

namespace mlir::mlopt {

/// The element count of a statically shaped type, or std::nullopt when it
/// does not fit in int64_t (ShapedType::getNumElements would overflow).
std::optional<int64_t> getCheckedNumElements(ShapedType type);

/// The byte size of a statically shaped type (i1 counted as a byte, as in
/// the lowered code), or std::nullopt when it does not fit in int64_t.
std::optional<int64_t> getCheckedNumBytes(ShapedType type);

namespace detail {
LogicalResult verifyBoundedTensorTypes(Operation *op);
} // namespace detail

/// Every tensor an op takes or returns has an element count and a byte size
/// that fit in 64 bits, so shape rules, lowerings and the runtime can
/// multiply dimensions without overflowing. Part of every mlopt op.
template <typename ConcreteType>
class BoundedTensorTypes
    : public OpTrait::TraitBase<ConcreteType, BoundedTensorTypes> {
public:
  static LogicalResult verifyTrait(Operation *op) {
    return detail::verifyBoundedTensorTypes(op);
  }
};

namespace detail {
LogicalResult verifyPreservesZero(Operation *op);
} // namespace detail

/// An op that maps zero to zero elementwise: its result has the shape of its
/// first operand, and each result element is 0 wherever the same element of
/// that operand is 0, whatever the other operands (dropout's seed).
/// `relu`, `gelu`, `tanh`, `neg`, `abs`, `sqrt`, `erf`, `dropout`, `cast` and
/// `apply_mask` have it; `sigmoid`, `exp`, `cos` or `softmax` do not.
/// Pruning's finalize follows the zero outputs of removed neurons through
/// such ops (docs: `mlopt-prune-finalize`).
template <typename ConcreteType>
class PreservesZero : public OpTrait::TraitBase<ConcreteType, PreservesZero> {
public:
  static LogicalResult verifyTrait(Operation *op) {
    return detail::verifyPreservesZero(op);
  }
};

/// A point-to-point op (`send`, `recv`): it exchanges a value with another
/// rank, so the value's gradient crosses ranks too. `mlopt-autodiff` treats
/// a `send` of a varied value as contributing to the loss (the receiving
/// rank's loss depends on it) and a `recv`'s result as varied (the sending
/// rank's parameters produced it); their VJP rules exchange the cotangents
/// in the mirrored direction.
template <typename ConcreteType>
class PointToPoint : public OpTrait::TraitBase<ConcreteType, PointToPoint> {};

/// The resource every collective and point-to-point op reads and writes:
/// the communicator. The ops keep their order among themselves (every rank
/// must call them in the same order) and are never erased as dead or merged.
struct CommunicatorResource
    : public SideEffects::Resource::Base<CommunicatorResource> {
  StringRef getName() final { return "mlopt::Communicator"; }
};

/// Whether `op` reads or writes the communicator: a collective, a
/// point-to-point op, or `local_shard` (which only reads the rank).
bool usesCommunicator(Operation *op);

/// The payload bytes `op` hands to the communicator in one execution: the
/// bytes of its operand tensors (getCheckedNumBytes) for a collective or a
/// `send`; 0 for `recv` (no operands), `local_shard` (exchanges nothing) and
/// every op that does not use the communicator. The runtime's measured
/// counter (CommStats::bytes) uses the same definition.
int64_t getCommunicatedBytes(Operation *op);

} // namespace mlir::mlopt

#endif // MLOPT_DIALECT_MLOPT_IR_TRAITS_H
