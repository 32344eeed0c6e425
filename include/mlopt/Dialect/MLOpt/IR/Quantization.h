//===- Quantization.h - what QuantizableOpInterface speaks ------*- C++ -*-===//
//
// The descriptions that an op with an int8 form (QuantizableOpInterface)
// gives `mlopt-quantize`, and the quantized values the pass hands back.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_MLOPT_IR_QUANTIZATION_H
#define MLOPT_DIALECT_MLOPT_IR_QUANTIZATION_H

#include "mlir/IR/Value.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>

namespace mlir::mlopt {

/// One operand that an op's int8 form quantizes, and how.
struct QuantizedOperand {
  /// The operand's index.
  unsigned index;
  /// Names the operand in the state that quantization adds
  /// (`fc1.input_observer.min_val`, `fc1.weight.scale`): `input`, `weight`,
  /// `lhs`, `rhs`.
  llvm::StringRef role;
  /// Per-channel parameters along this dimension (the output channels of a
  /// weight); per tensor when unset.
  std::optional<int64_t> channelAxis;
  /// Symmetric (zero point 0: weights) or affine (activations).
  bool symmetric;
};

/// An operand quantized to int8, with its parameters: `value` is the i8
/// tensor of the operand's shape, `scale` f32 and `zeroPoint` i32, 0-d per
/// tensor or 1-d along QuantizedOperand::channelAxis.
struct QuantizedValue {
  Value value;
  Value scale;
  Value zeroPoint;
};

} // namespace mlir::mlopt

#endif // MLOPT_DIALECT_MLOPT_IR_QUANTIZATION_H
