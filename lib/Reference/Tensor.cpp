//===- Tensor.cpp - values of the reference evaluator ---------------------===//

#include "Kernels.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/APInt.h"
#include "llvm/Support/MathExtras.h"

#include <cassert>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::reference;

//===----------------------------------------------------------------------===//
// Element conversions
//===----------------------------------------------------------------------===//

/// `value` (in any semantics) as a double; exact for every mlopt float type.
static double toDouble(APFloat value) {
  bool losesInfo = false;
  value.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven,
                &losesInfo);
  return value.convertToDouble();
}

double reference::roundToFloat(double value, Type elementType) {
  auto floatType = cast<FloatType>(elementType);
  if (floatType.isF64())
    return value;
  if (floatType.isF32())
    return static_cast<double>(static_cast<float>(value));
  // f16, bf16: one rounding straight from the double, ties to even.
  APFloat rounded(value);
  bool losesInfo = false;
  rounded.convert(floatType.getFloatSemantics(), APFloat::rmNearestTiesToEven,
                  &losesInfo);
  return toDouble(rounded);
}

int64_t reference::wrapToInteger(int64_t value, Type elementType) {
  unsigned width = cast<IntegerType>(elementType).getWidth();
  if (width == 1)
    return value != 0 ? 1 : 0;
  if (width >= 64)
    return value;
  return llvm::SignExtend64(static_cast<uint64_t>(value), width);
}

int64_t reference::floatToInteger(double value, Type elementType) {
  // PyTorch's bool(x) is x != 0, which holds for NaN.
  if (cast<IntegerType>(elementType).getWidth() == 1)
    return value != 0.0 ? 1 : 0;
  if (std::isnan(value))
    return 0;
  double truncated = std::trunc(value);
  // Saturate first: converting an out-of-range double to int64_t is UB.
  constexpr double kTwoPow63 = 9223372036854775808.0;
  int64_t integer;
  if (truncated >= kTwoPow63)
    integer = std::numeric_limits<int64_t>::max();
  else if (truncated < -kTwoPow63)
    integer = std::numeric_limits<int64_t>::min();
  else
    integer = static_cast<int64_t>(truncated);
  return wrapToInteger(integer, elementType);
}

double reference::integerToFloat(int64_t value, Type elementType) {
  auto floatType = cast<FloatType>(elementType);
  // Convert in the target semantics so that the value is rounded only once.
  APFloat result(floatType.getFloatSemantics());
  result.convertFromAPInt(APInt(64, static_cast<uint64_t>(value),
                                /*isSigned=*/true),
                          /*IsSigned=*/true, APFloat::rmNearestTiesToEven);
  return toDouble(result);
}

//===----------------------------------------------------------------------===//
// Indexing
//===----------------------------------------------------------------------===//

int64_t reference::numElements(ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t size : shape)
    count *= size;
  return count;
}

SmallVector<int64_t> reference::computeStrides(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t d = static_cast<int64_t>(shape.size()) - 2; d >= 0; --d)
    strides[d] = strides[d + 1] * shape[d + 1];
  return strides;
}

std::vector<int64_t>
reference::broadcastIndices(ArrayRef<int64_t> shape,
                            ArrayRef<int64_t> resultShape) {
  size_t rank = resultShape.size();
  assert(shape.size() <= rank && "broadcast to a lower rank");
  size_t offset = rank - shape.size();
  SmallVector<int64_t> sourceStrides = computeStrides(shape);
  // Stride of each result dimension in the source; 0 where it broadcasts.
  SmallVector<int64_t> strides(rank, 0);
  for (size_t d = offset; d < rank; ++d)
    strides[d] = shape[d - offset] == 1 ? 0 : sourceStrides[d - offset];
  SmallVector<int64_t> resultStrides = computeStrides(resultShape);
  int64_t count = numElements(resultShape);
  std::vector<int64_t> indices(count);
  for (int64_t i = 0; i < count; ++i) {
    int64_t rest = i, source = 0;
    for (size_t d = 0; d < rank; ++d) {
      source += (rest / resultStrides[d]) * strides[d];
      rest %= resultStrides[d];
    }
    indices[i] = source;
  }
  return indices;
}

Tensor reference::gatherElements(const Tensor &source, RankedTensorType type,
                                 ArrayRef<int64_t> sourceIndices) {
  Tensor result = Tensor::zeros(type);
  if (source.isFloat()) {
    MutableArrayRef<double> out = result.getDoubles();
    ArrayRef<double> in = source.getDoubles();
    for (auto [i, index] : llvm::enumerate(sourceIndices))
      out[i] = in[index];
  } else {
    MutableArrayRef<int64_t> out = result.getInts();
    ArrayRef<int64_t> in = source.getInts();
    for (auto [i, index] : llvm::enumerate(sourceIndices))
      out[i] = in[index];
  }
  return result;
}

//===----------------------------------------------------------------------===//
// Tensor
//===----------------------------------------------------------------------===//

Tensor Tensor::zeros(RankedTensorType type) {
  Tensor tensor;
  tensor.type = type;
  if (isa<FloatType>(type.getElementType()))
    tensor.doubles.assign(type.getNumElements(), 0.0);
  else
    tensor.ints.assign(type.getNumElements(), 0);
  return tensor;
}

Tensor Tensor::fromDoubles(RankedTensorType type, ArrayRef<double> values) {
  assert(static_cast<int64_t>(values.size()) == type.getNumElements() &&
         "one value per element");
  Tensor tensor = zeros(type);
  Type elementType = type.getElementType();
  if (tensor.isFloat()) {
    for (auto [i, value] : llvm::enumerate(values))
      tensor.doubles[i] = roundToFloat(value, elementType);
  } else {
    for (auto [i, value] : llvm::enumerate(values))
      tensor.ints[i] = floatToInteger(value, elementType);
  }
  return tensor;
}

Tensor Tensor::fromInts(RankedTensorType type, ArrayRef<int64_t> values) {
  assert(static_cast<int64_t>(values.size()) == type.getNumElements() &&
         "one value per element");
  Tensor tensor = zeros(type);
  Type elementType = type.getElementType();
  if (tensor.isFloat()) {
    for (auto [i, value] : llvm::enumerate(values))
      tensor.doubles[i] = integerToFloat(value, elementType);
  } else {
    for (auto [i, value] : llvm::enumerate(values))
      tensor.ints[i] = wrapToInteger(value, elementType);
  }
  return tensor;
}

Tensor Tensor::fromAttr(DenseElementsAttr attr) {
  auto type = cast<RankedTensorType>(attr.getType());
  Tensor tensor = zeros(type);
  if (tensor.isFloat()) {
    for (auto [i, value] : llvm::enumerate(attr.getValues<APFloat>()))
      tensor.doubles[i] = toDouble(value);
  } else {
    bool isBool = type.getElementType().isInteger(1);
    for (auto [i, value] : llvm::enumerate(attr.getValues<APInt>()))
      tensor.ints[i] = isBool ? static_cast<int64_t>(value.getZExtValue())
                              : value.getSExtValue();
  }
  return tensor;
}

Type Tensor::getElementType() const {
  return type ? type.getElementType() : Type();
}

ArrayRef<int64_t> Tensor::getShape() const {
  return type ? type.getShape() : ArrayRef<int64_t>();
}

int64_t Tensor::getNumElements() const {
  return type ? type.getNumElements() : 0;
}

bool Tensor::isFloat() const {
  return type && isa<FloatType>(type.getElementType());
}

double Tensor::getAsDouble(int64_t index) const {
  return isFloat() ? doubles[index] : static_cast<double>(ints[index]);
}

DenseElementsAttr Tensor::toAttr() const {
  if (isFloat()) {
    const llvm::fltSemantics &semantics =
        cast<FloatType>(type.getElementType()).getFloatSemantics();
    SmallVector<APFloat> values;
    values.reserve(doubles.size());
    for (double value : doubles) {
      APFloat converted(value);
      bool losesInfo = false;
      converted.convert(semantics, APFloat::rmNearestTiesToEven, &losesInfo);
      values.push_back(converted);
    }
    return DenseElementsAttr::get(type, values);
  }
  unsigned width = type.getElementType().getIntOrFloatBitWidth();
  SmallVector<APInt> values;
  values.reserve(ints.size());
  for (int64_t value : ints)
    values.push_back(APInt(width, static_cast<uint64_t>(value),
                           /*isSigned=*/width != 1));
  return DenseElementsAttr::get(type, values);
}
