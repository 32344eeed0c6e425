//===- NNVJP.cpp - VJP rules of layers, reductions, normalization ---------===//

#include "VJPUtils.h"

#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::vjp;

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

/// Swaps the last two dimensions.
static Value transposeLastTwo(OpBuilder &b, Location loc, Value value) {
  int64_t rank = tensorType(value).getRank();
  SmallVector<int64_t> permutation =
      llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(permutation[rank - 1], permutation[rank - 2]);
  return TransposeOp::create(b, loc, value, permutation);
}

LogicalResult LinearOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                 SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  RankedTensorType inputType = tensorType(getInput());
  RankedTensorType weightType = tensorType(getWeight());
  Type elementType = inputType.getElementType();
  int64_t in = weightType.getDimSize(1), out = weightType.getDimSize(0);
  // Leading dimensions fold into one row dimension: y[m, out] = x[m, in] W^T.
  int64_t rows = in == 0 ? 0 : inputType.getNumElements() / in;
  Value g = reshape(b, loc, resultCotangents[0],
                    RankedTensorType::get({rows, out}, elementType));
  Value x = reshape(b, loc, getInput(),
                    RankedTensorType::get({rows, in}, elementType));
  operandCotangents[0] =
      reshape(b, loc, MatmulOp::create(b, loc, g, getWeight()), inputType);
  operandCotangents[1] =
      MatmulOp::create(b, loc, transposeLastTwo(b, loc, g), x);
  if (getBias())
    operandCotangents[2] = sum(b, loc, g, {0}, /*keepDims=*/false);
  return success();
}

LogicalResult MatmulOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                 SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  Value g = resultCotangents[0];
  operandCotangents[0] =
      MatmulOp::create(b, loc, g, transposeLastTwo(b, loc, getRhs()));
  operandCotangents[1] =
      MatmulOp::create(b, loc, transposeLastTwo(b, loc, getLhs()), g);
  return success();
}

LogicalResult
BatchMatmulOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                        SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  Value g = resultCotangents[0];
  operandCotangents[0] =
      BatchMatmulOp::create(b, loc, g, transposeLastTwo(b, loc, getRhs()));
  operandCotangents[1] =
      BatchMatmulOp::create(b, loc, transposeLastTwo(b, loc, getLhs()), g);
  return success();
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

// dx = y * (g - sum(g * y)).
LogicalResult SoftmaxOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                  SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  Value g = resultCotangents[0], y = getResult();
  Value dot = sum(b, loc, mul(b, loc, g, y), {getNormalizedDim()},
                  /*keepDims=*/true);
  operandCotangents[0] = mul(b, loc, y, sub(b, loc, g, dot));
  return success();
}

// dx = g - exp(y) * sum(g).
LogicalResult
LogSoftmaxOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                       SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  Value g = resultCotangents[0];
  Value total = sum(b, loc, g, {getNormalizedDim()}, /*keepDims=*/true);
  Value probabilities = ExpOp::create(b, loc, getResult());
  operandCotangents[0] = sub(b, loc, g, mul(b, loc, probabilities, total));
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

LogicalResult SumOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                              SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  operandCotangents[0] =
      expandReduced(b, getLoc(), resultCotangents[0], tensorType(getInput()),
                    getNormalizedDims());
  return success();
}

LogicalResult MeanOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                               SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  RankedTensorType inputType = tensorType(getInput());
  SmallVector<int64_t> dims = getNormalizedDims();
  int64_t count = 1;
  for (int64_t dim : dims)
    count *= inputType.getDimSize(dim);
  Value expanded = expandReduced(b, loc, resultCotangents[0], inputType, dims);
  operandCotangents[0] = scale(b, loc, expanded, 1.0 / count);
  return success();
}

// The cotangent goes to the maximal elements, split evenly among ties
// (PyTorch's amax rule).
LogicalResult MaxOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                              SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  Value x = getInput();
  RankedTensorType inputType = tensorType(x);
  SmallVector<int64_t> dims = getNormalizedDims();
  RankedTensorType kept = RankedTensorType::get(
      reducedShape(inputType.getShape(), dims, /*keepDims=*/true),
      inputType.getElementType());
  Value maximum = reshape(b, loc, getResult(), kept);
  Value mask = maskToFloat(
      b, loc, CompareOp::create(b, loc, ComparePredicate::EQ, x, maximum), x);
  Value ties = sum(b, loc, mask, dims, /*keepDims=*/true);
  Value g = reshape(b, loc, resultCotangents[0], kept);
  operandCotangents[0] = mul(b, loc, mask, div(b, loc, g, ties));
  return success();
}

//===----------------------------------------------------------------------===//
// Embedding, normalization, dropout
//===----------------------------------------------------------------------===//

LogicalResult EmbeddingOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                    SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  int64_t numEmbeddings = tensorType(getWeight()).getDimSize(0);
  operandCotangents[1] =
      EmbeddingGradOp::create(b, getLoc(), getIndices(), resultCotangents[0],
                              static_cast<uint64_t>(numEmbeddings));
  return success();
}

// With xhat = (x - mean) * rstd and dxhat = g * weight:
// dx = rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),
// dweight = sum over the leading dimensions of g * xhat, dbias of g.
LogicalResult LayerNormOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                    SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  Value x = getInput(), g = resultCotangents[0];
  int64_t rank = tensorType(x).getRank();
  int64_t normalizedRank = static_cast<int64_t>(getNormalizedRank());
  SmallVector<int64_t> dims =
      llvm::to_vector(llvm::seq<int64_t>(rank - normalizedRank, rank));
  SmallVector<int64_t> leading =
      llvm::to_vector(llvm::seq<int64_t>(0, rank - normalizedRank));
  auto mean = [&](Value value) -> Value {
    return MeanOp::create(b, loc, value, dims, /*keepdim=*/true);
  };
  Value centered = sub(b, loc, x, mean(x));
  Value variance = mean(mul(b, loc, centered, centered));
  Value rstd = RsqrtOp::create(
      b, loc,
      add(b, loc, variance, scalarLike(b, loc, x, getEps().convertToDouble())));
  Value xhat = mul(b, loc, centered, rstd);
  Value dxhat = getWeight() ? mul(b, loc, g, getWeight()) : g;
  Value correction = add(b, loc, mean(dxhat),
                         mul(b, loc, xhat, mean(mul(b, loc, dxhat, xhat))));
  operandCotangents[0] = mul(b, loc, rstd, sub(b, loc, dxhat, correction));
  unsigned next = 1;
  if (getWeight())
    operandCotangents[next++] =
        sum(b, loc, mul(b, loc, g, xhat), leading, /*keepDims=*/false);
  if (getBias())
    operandCotangents[next] = sum(b, loc, g, leading, /*keepDims=*/false);
  return success();
}

// The same seed and stream draw the same mask, so dx = dropout(g).
LogicalResult DropoutOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                  SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  operandCotangents[0] = DropoutOp::create(
      b, getLoc(), resultCotangents[0], getSeed(), getPAttr(), getStreamAttr());
  return success();
}
