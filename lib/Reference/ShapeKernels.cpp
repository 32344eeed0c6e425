//===- ShapeKernels.cpp - reshape, broadcast, transpose, slice, concat ----===//
//
// Every shape op moves elements without changing them: each kernel computes,
// for every result element, the index of its source element.
//
//===----------------------------------------------------------------------===//

#include "Kernels.h"

#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::reference;

/// For every element (row-major) of a `resultShape` tensor, the sum over its
/// dimensions d of `offset(d, coordinate along d)`: the row-major index of
/// the input element it reads.
static std::vector<int64_t>
sourceIndices(ArrayRef<int64_t> resultShape,
              function_ref<int64_t(size_t, int64_t)> offset) {
  SmallVector<int64_t> resultStrides = computeStrides(resultShape);
  int64_t count = numElements(resultShape);
  std::vector<int64_t> indices(count);
  for (int64_t i = 0; i < count; ++i) {
    int64_t rest = i, source = 0;
    for (size_t d = 0; d < resultShape.size(); ++d) {
      source += offset(d, rest / resultStrides[d]);
      rest %= resultStrides[d];
    }
    indices[i] = source;
  }
  return indices;
}

/// Source indices of a permutation: result dimension i is input dimension
/// `permutation[i]`.
static std::vector<int64_t> transposeIndices(ArrayRef<int64_t> inputShape,
                                             ArrayRef<int64_t> permutation) {
  SmallVector<int64_t> inStrides = computeStrides(inputShape);
  SmallVector<int64_t> resultShape;
  for (int64_t dim : permutation)
    resultShape.push_back(inputShape[dim]);
  return sourceIndices(resultShape, [&](size_t d, int64_t coordinate) {
    return coordinate * inStrides[permutation[d]];
  });
}

static std::vector<int64_t> sliceIndices(ArrayRef<int64_t> inputShape,
                                         ArrayRef<int64_t> resultShape,
                                         ArrayRef<int64_t> start,
                                         ArrayRef<int64_t> step) {
  SmallVector<int64_t> inStrides = computeStrides(inputShape);
  return sourceIndices(resultShape, [&](size_t d, int64_t coordinate) {
    return (start[d] + coordinate * step[d]) * inStrides[d];
  });
}

static Tensor evaluateConcat(ConcatOp op, ArrayRef<const Tensor *> operands) {
  RankedTensorType type = tensorTypeOf(op.getResult());
  int64_t rank = type.getRank();
  int64_t dim = static_cast<int64_t>(op.getDim());
  if (dim < 0)
    dim += rank;
  int64_t outer = numElements(type.getShape().take_front(dim));
  int64_t inner = numElements(type.getShape().drop_front(dim + 1));
  Tensor result = Tensor::zeros(type);
  int64_t position = 0;
  // Row-major: for each outer index, one block of size[dim] * inner elements
  // from each input in turn.
  for (int64_t o = 0; o < outer; ++o)
    for (const Tensor *input : operands) {
      int64_t block = input->getShape()[dim] * inner;
      for (int64_t j = 0; j < block; ++j, ++position) {
        if (result.isFloat())
          result.getDoubles()[position] = input->getDoubles()[o * block + j];
        else
          result.getInts()[position] = input->getInts()[o * block + j];
      }
    }
  return result;
}

KernelResult reference::evaluateShapeOp(Operation *op,
                                        ArrayRef<const Tensor *> operands) {
  auto type = [&]() { return tensorTypeOf(op->getResult(0)); };
  return llvm::TypeSwitch<Operation *, KernelResult>(op)
      .Case([&](ReshapeOp) -> FailureOr<Tensor> {
        std::vector<int64_t> identity(operands[0]->getNumElements());
        for (size_t i = 0; i < identity.size(); ++i)
          identity[i] = i;
        return gatherElements(*operands[0], type(), identity);
      })
      .Case([&](BroadcastToOp) -> FailureOr<Tensor> {
        return gatherElements(
            *operands[0], type(),
            broadcastIndices(operands[0]->getShape(), type().getShape()));
      })
      .Case([&](TransposeOp transpose) -> FailureOr<Tensor> {
        return gatherElements(*operands[0], type(),
                              transposeIndices(operands[0]->getShape(),
                                               transpose.getPermutation()));
      })
      .Case([&](SliceOp slice) -> FailureOr<Tensor> {
        return gatherElements(*operands[0], type(),
                              sliceIndices(operands[0]->getShape(),
                                           type().getShape(), slice.getStart(),
                                           slice.getStep()));
      })
      .Case([&](ConcatOp concat) -> FailureOr<Tensor> {
        return evaluateConcat(concat, operands);
      })
      .Default([](Operation *) { return std::nullopt; });
}
