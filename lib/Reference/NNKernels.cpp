//===- NNKernels.cpp - layers, reductions, normalization, dropout ---------===//

#include "Kernels.h"

#include "llvm/ADT/TypeSwitch.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::reference;

int64_t reference::firstArgmax(const double *data, int64_t count,
                               int64_t stride) {
  // torch.argmax: the first maximum, NaN counting as the maximum.
  int64_t best = 0;
  for (int64_t k = 1; k < count; ++k) {
    double value = data[k * stride], bestValue = data[best * stride];
    if (!std::isnan(bestValue) && (std::isnan(value) || value > bestValue))
      best = k;
  }
  return best;
}

/// The sizes before, along and after dimension `dim` of `shape`.
struct DimSplit {
  int64_t outer, size, inner;
};
static DimSplit splitAt(ArrayRef<int64_t> shape, int64_t dim) {
  return {numElements(shape.take_front(dim)), shape[dim],
          numElements(shape.drop_front(dim + 1))};
}

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

static Tensor evaluateLinear(LinearOp op, ArrayRef<const Tensor *> operands) {
  const Tensor &input = *operands[0], &weight = *operands[1];
  const Tensor *bias = operands.size() > 2 ? operands[2] : nullptr;
  int64_t in = weight.getShape()[1], out = weight.getShape()[0];
  int64_t rows = numElements(input.getShape().drop_back());
  ArrayRef<double> x = input.getDoubles(), w = weight.getDoubles();
  std::vector<double> y(rows * out);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t o = 0; o < out; ++o) {
      double acc = 0.0;
      for (int64_t k = 0; k < in; ++k)
        acc += x[r * in + k] * w[o * in + k];
      if (bias)
        acc += bias->getDoubles()[o];
      y[r * out + o] = acc;
    }
  }
  return Tensor::fromDoubles(op.getType(), y);
}

/// `batch` independent [m, k] x [k, n] products.
static std::vector<double> batchedProduct(ArrayRef<double> a,
                                          ArrayRef<double> b, int64_t batch,
                                          int64_t m, int64_t k, int64_t n) {
  std::vector<double> c(batch * m * n, 0.0);
  for (int64_t p = 0; p < batch; ++p)
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0.0;
        for (int64_t l = 0; l < k; ++l)
          acc += a[(p * m + i) * k + l] * b[(p * k + l) * n + j];
        c[(p * m + i) * n + j] = acc;
      }
  return c;
}

static Tensor evaluateMatmul(Operation *op, const Tensor &lhs,
                             const Tensor &rhs) {
  ArrayRef<int64_t> lhsShape = lhs.getShape(), rhsShape = rhs.getShape();
  int64_t rank = lhsShape.size();
  int64_t batch = numElements(lhsShape.drop_back(2));
  std::vector<double> c =
      batchedProduct(lhs.getDoubles(), rhs.getDoubles(), batch,
                     lhsShape[rank - 2], lhsShape[rank - 1], rhsShape.back());
  return Tensor::fromDoubles(tensorTypeOf(op->getResult(0)), c);
}

//===----------------------------------------------------------------------===//
// Softmax and reductions
//===----------------------------------------------------------------------===//

static Tensor evaluateSoftmax(Operation *op, const Tensor &input, int64_t dim,
                              bool logarithm) {
  DimSplit split = splitAt(input.getShape(), dim);
  ArrayRef<double> x = input.getDoubles();
  std::vector<double> y(x.size());
  for (int64_t o = 0; o < split.outer; ++o)
    for (int64_t i = 0; i < split.inner; ++i) {
      auto at = [&](int64_t k) {
        return (o * split.size + k) * split.inner + i;
      };
      double maxValue = -std::numeric_limits<double>::infinity();
      for (int64_t k = 0; k < split.size; ++k)
        maxValue = std::max(maxValue, x[at(k)]);
      // A row of -inf (or +inf) would give inf - inf; subtract 0 instead.
      if (!std::isfinite(maxValue))
        maxValue = 0.0;
      double sum = 0.0;
      for (int64_t k = 0; k < split.size; ++k)
        sum += std::exp(x[at(k)] - maxValue);
      double logSum = std::log(sum);
      for (int64_t k = 0; k < split.size; ++k)
        y[at(k)] = logarithm ? x[at(k)] - maxValue - logSum
                             : std::exp(x[at(k)] - maxValue) / sum;
    }
  return Tensor::fromDoubles(tensorTypeOf(op->getResult(0)), y);
}

enum class Reduction { Sum, Mean, Max };

static Tensor evaluateReduction(Operation *op, const Tensor &input,
                                ArrayRef<int64_t> dims, Reduction kind) {
  ArrayRef<int64_t> shape = input.getShape();
  // Output strides over the input's dimensions, 0 along reduced ones; the
  // keepdim and dropped layouts are the same row-major order.
  SmallVector<int64_t> keptShape(shape);
  for (int64_t d : dims)
    keptShape[d] = 1;
  SmallVector<int64_t> outStrides = computeStrides(keptShape);
  for (int64_t d : dims)
    outStrides[d] = 0;
  SmallVector<int64_t> inStrides = computeStrides(shape);
  RankedTensorType type = tensorTypeOf(op->getResult(0));
  double init =
      kind == Reduction::Max ? -std::numeric_limits<double>::infinity() : 0.0;
  std::vector<double> acc(type.getNumElements(), init);
  ArrayRef<double> x = input.getDoubles();
  for (int64_t i = 0, e = x.size(); i < e; ++i) {
    int64_t rest = i, out = 0;
    for (size_t d = 0; d < shape.size(); ++d) {
      out += (rest / inStrides[d]) * outStrides[d];
      rest %= inStrides[d];
    }
    if (kind != Reduction::Max)
      acc[out] += x[i];
    else if (std::isnan(x[i]) || x[i] > acc[out]) // NaN propagates.
      acc[out] = x[i];
  }
  if (kind == Reduction::Mean) {
    int64_t count = 1;
    for (int64_t d : dims)
      count *= shape[d];
    for (double &value : acc)
      value /= static_cast<double>(count);
  }
  return Tensor::fromDoubles(type, acc);
}

static Tensor evaluateArgmax(ArgmaxOp op, const Tensor &input) {
  int64_t rank = input.getShape().size();
  int64_t dim = static_cast<int64_t>(op.getDim());
  if (dim < 0)
    dim += rank;
  DimSplit split = splitAt(input.getShape(), dim);
  RankedTensorType type = op.getType();
  Tensor result = Tensor::zeros(type);
  if (split.size == 0)
    return result;
  const double *x = input.getDoubles().data();
  for (int64_t o = 0; o < split.outer; ++o)
    for (int64_t i = 0; i < split.inner; ++i)
      result.getInts()[o * split.inner + i] = firstArgmax(
          x + o * split.size * split.inner + i, split.size, split.inner);
  return result;
}

//===----------------------------------------------------------------------===//
// Embedding, normalization, dropout
//===----------------------------------------------------------------------===//

/// Checks that every index lies in [0, count).
static LogicalResult checkIndices(Operation *op, const Tensor &indices,
                                  int64_t count, StringRef what) {
  for (auto [position, index] : llvm::enumerate(indices.getInts()))
    if (index < 0 || index >= count)
      return op->emitOpError()
             << what << " " << index << " at position " << position
             << " is out of range [0, " << count << ")";
  return success();
}

static FailureOr<Tensor>
evaluateEmbedding(EmbeddingOp op, const Tensor &indices, const Tensor &weight) {
  int64_t rows = weight.getShape()[0], dim = weight.getShape()[1];
  if (failed(checkIndices(op, indices, rows, "index")))
    return failure();
  std::vector<int64_t> source;
  source.reserve(indices.getNumElements() * dim);
  for (int64_t index : indices.getInts())
    for (int64_t j = 0; j < dim; ++j)
      source.push_back(index * dim + j);
  return gatherElements(weight, op.getType(), source);
}

static FailureOr<Tensor> evaluateEmbeddingGrad(EmbeddingGradOp op,
                                               const Tensor &indices,
                                               const Tensor &grad) {
  RankedTensorType type = op.getType();
  int64_t rows = type.getShape()[0], dim = type.getShape()[1];
  if (failed(checkIndices(op, indices, rows, "index")))
    return failure();
  std::vector<double> table(rows * dim, 0.0);
  ArrayRef<double> g = grad.getDoubles();
  for (auto [position, index] : llvm::enumerate(indices.getInts()))
    for (int64_t j = 0; j < dim; ++j)
      table[index * dim + j] += g[position * dim + j];
  return Tensor::fromDoubles(type, table);
}

static Tensor evaluateOneHot(OneHotOp op, const Tensor &indices) {
  RankedTensorType type = op.getType();
  int64_t classes = type.getShape().back();
  std::vector<double> values(type.getNumElements(), 0.0);
  for (auto [position, index] : llvm::enumerate(indices.getInts()))
    if (index >= 0 && index < classes)
      values[position * classes + index] = 1.0;
  return Tensor::fromDoubles(type, values);
}

static Tensor evaluateLayerNorm(LayerNormOp op,
                                ArrayRef<const Tensor *> operands) {
  const Tensor &input = *operands[0];
  unsigned next = 1;
  const Tensor *weight = op.getWeight() ? operands[next++] : nullptr;
  const Tensor *bias = op.getBias() ? operands[next++] : nullptr;
  int64_t normalizedRank = static_cast<int64_t>(op.getNormalizedRank());
  int64_t groupSize = numElements(input.getShape().take_back(normalizedRank));
  double eps = op.getEps().convertToDouble();
  ArrayRef<double> x = input.getDoubles();
  std::vector<double> y(x.size());
  int64_t groups = groupSize == 0 ? 0 : input.getNumElements() / groupSize;
  for (int64_t g = 0; g < groups; ++g) {
    ArrayRef<double> row = x.slice(g * groupSize, groupSize);
    double mean = 0.0;
    for (double value : row)
      mean += value;
    mean /= static_cast<double>(groupSize);
    double variance = 0.0; // Biased, as PyTorch.
    for (double value : row)
      variance += (value - mean) * (value - mean);
    variance /= static_cast<double>(groupSize);
    double invStd = 1.0 / std::sqrt(variance + eps);
    for (int64_t j = 0; j < groupSize; ++j) {
      double value = (row[j] - mean) * invStd;
      if (weight)
        value *= weight->getDoubles()[j];
      if (bias)
        value += bias->getDoubles()[j];
      y[g * groupSize + j] = value;
    }
  }
  return Tensor::fromDoubles(op.getType(), y);
}

static Tensor evaluateDropout(DropoutOp op, const Tensor &input,
                              const Tensor &seed) {
  double p = op.getP().convertToDouble();
  uint64_t seedValue = static_cast<uint64_t>(seed.getInts()[0]);
  uint64_t stream = op.getStream();
  double scale = 1.0 / (1.0 - p);
  ArrayRef<double> x = input.getDoubles();
  std::vector<double> y(x.size());
  for (size_t i = 0; i < x.size(); ++i)
    y[i] = dropoutUniform(seedValue, stream, i) < p ? 0.0 : x[i] * scale;
  return Tensor::fromDoubles(cast<RankedTensorType>(op.getType()), y);
}

KernelResult reference::evaluateNNOp(Operation *op,
                                     ArrayRef<const Tensor *> operands) {
  return llvm::TypeSwitch<Operation *, KernelResult>(op)
      .Case([&](LinearOp linear) -> FailureOr<Tensor> {
        return evaluateLinear(linear, operands);
      })
      .Case<MatmulOp, BatchMatmulOp>([&](Operation *product) {
        return FailureOr<Tensor>(
            evaluateMatmul(product, *operands[0], *operands[1]));
      })
      .Case([&](SoftmaxOp softmax) -> FailureOr<Tensor> {
        return evaluateSoftmax(softmax, *operands[0],
                               softmax.getNormalizedDim(),
                               /*logarithm=*/false);
      })
      .Case([&](LogSoftmaxOp softmax) -> FailureOr<Tensor> {
        return evaluateSoftmax(softmax, *operands[0],
                               softmax.getNormalizedDim(),
                               /*logarithm=*/true);
      })
      .Case([&](SumOp sum) -> FailureOr<Tensor> {
        return evaluateReduction(sum, *operands[0], sum.getNormalizedDims(),
                                 Reduction::Sum);
      })
      .Case([&](MeanOp mean) -> FailureOr<Tensor> {
        return evaluateReduction(mean, *operands[0], mean.getNormalizedDims(),
                                 Reduction::Mean);
      })
      .Case([&](MaxOp max) -> FailureOr<Tensor> {
        return evaluateReduction(max, *operands[0], max.getNormalizedDims(),
                                 Reduction::Max);
      })
      .Case([&](ArgmaxOp argmax) -> FailureOr<Tensor> {
        return evaluateArgmax(argmax, *operands[0]);
      })
      .Case([&](EmbeddingOp embedding) {
        return evaluateEmbedding(embedding, *operands[0], *operands[1]);
      })
      .Case([&](EmbeddingGradOp grad) {
        return evaluateEmbeddingGrad(grad, *operands[0], *operands[1]);
      })
      .Case([&](OneHotOp oneHot) -> FailureOr<Tensor> {
        return evaluateOneHot(oneHot, *operands[0]);
      })
      .Case([&](LayerNormOp norm) -> FailureOr<Tensor> {
        return evaluateLayerNorm(norm, operands);
      })
      .Case([&](DropoutOp dropout) -> FailureOr<Tensor> {
        return evaluateDropout(dropout, *operands[0], *operands[1]);
      })
      // The identity; only its name is for passes.
      .Case([&](TapOp) -> FailureOr<Tensor> { return *operands[0]; })
      // The evaluator runs what it is given: a function with mode_select is in
      // training form (@eval_step has the evaluation operand in its place).
      .Case([&](ModeSelectOp) -> FailureOr<Tensor> { return *operands[0]; })
      .Default([](Operation *) { return std::nullopt; });
}
