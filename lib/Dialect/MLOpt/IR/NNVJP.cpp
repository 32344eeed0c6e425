//===- NNVJP.cpp - VJP rules of layers, reductions, normalization ---------===//

#include "VJPUtils.h"

#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::vjp;

//===----------------------------------------------------------------------===//
// Matrix products
//===----------------------------------------------------------------------===//

LogicalResult LinearOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                 SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  MLOptBuilder e(b, loc);
  RankedTensorType inputType = tensorType(getInput());
  RankedTensorType weightType = tensorType(getWeight());
  Type elementType = inputType.getElementType();
  int64_t in = weightType.getDimSize(1), out = weightType.getDimSize(0);
  // Leading dimensions fold into one row dimension: y[m, out] = x[m, in] W^T.
  int64_t rows = in == 0 ? 0 : inputType.getNumElements() / in;
  Value g = e.reshape(resultCotangents[0],
                      RankedTensorType::get({rows, out}, elementType));
  Value x =
      e.reshape(getInput(), RankedTensorType::get({rows, in}, elementType));
  operandCotangents[0] =
      e.reshape(MatmulOp::create(b, loc, g, getWeight()), inputType);
  operandCotangents[1] = MatmulOp::create(b, loc, e.transposeLastTwo(g), x);
  if (getBias())
    operandCotangents[2] = e.sum(g, {0}, /*keepDims=*/false);
  return success();
}

LogicalResult MatmulOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                 SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  MLOptBuilder e(b, loc);
  Value g = resultCotangents[0];
  operandCotangents[0] =
      MatmulOp::create(b, loc, g, e.transposeLastTwo(getRhs()));
  operandCotangents[1] =
      MatmulOp::create(b, loc, e.transposeLastTwo(getLhs()), g);
  return success();
}

LogicalResult
BatchMatmulOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                        SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  MLOptBuilder e(b, loc);
  Value g = resultCotangents[0];
  operandCotangents[0] =
      BatchMatmulOp::create(b, loc, g, e.transposeLastTwo(getRhs()));
  operandCotangents[1] =
      BatchMatmulOp::create(b, loc, e.transposeLastTwo(getLhs()), g);
  return success();
}

//===----------------------------------------------------------------------===//
// Softmax
//===----------------------------------------------------------------------===//

/// `g - sum_k u_k * reduce(g * v_k)` (a null u or v stands for 1): softmax,
/// log_softmax and layer_norm all have Jacobians that remove from `g` its
/// components along a few directions, and differ only in which.
static Value removeComponents(MLOptBuilder &e, Value g,
                              ArrayRef<std::pair<Value, Value>> directions,
                              function_ref<Value(Value)> reduce) {
  Value correction;
  for (auto [u, v] : directions) {
    Value reduced = reduce(v ? e.mul(g, v) : g);
    Value term = u ? e.mul(u, reduced) : reduced;
    correction = correction ? e.add(correction, term) : term;
  }
  return e.sub(g, correction);
}

// dx = y * (g - sum(g * y)).
LogicalResult SoftmaxOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                  SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  MLOptBuilder e(b, getLoc());
  Value y = getResult();
  int64_t dim = getNormalizedDim();
  Value projected =
      removeComponents(e, resultCotangents[0], {{Value(), y}}, [&](Value v) {
        return e.sum(v, {dim}, /*keepDims=*/true);
      });
  operandCotangents[0] = e.mul(y, projected);
  return success();
}

// dx = g - exp(y) * sum(g).
LogicalResult
LogSoftmaxOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                       SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  MLOptBuilder e(b, getLoc());
  int64_t dim = getNormalizedDim();
  Value probabilities = e.exp(getResult());
  operandCotangents[0] = removeComponents(
      e, resultCotangents[0], {{probabilities, Value()}},
      [&](Value v) { return e.sum(v, {dim}, /*keepDims=*/true); });
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions
//===----------------------------------------------------------------------===//

LogicalResult SumOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                              SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  MLOptBuilder e(b, getLoc());
  operandCotangents[0] = e.broadcastReduced(
      resultCotangents[0], tensorType(getInput()), getNormalizedDims());
  return success();
}

LogicalResult MeanOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                               SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  MLOptBuilder e(b, loc);
  RankedTensorType inputType = tensorType(getInput());
  SmallVector<int64_t> dims = getNormalizedDims();
  int64_t count = 1;
  for (int64_t dim : dims)
    count *= inputType.getDimSize(dim);
  Value expanded = e.broadcastReduced(resultCotangents[0], inputType, dims);
  operandCotangents[0] = e.scale(expanded, 1.0 / count);
  return success();
}

// The cotangent goes to the maximal elements, split evenly among ties
// (PyTorch's amax rule).
LogicalResult MaxOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                              SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  MLOptBuilder e(b, loc);
  Value x = getInput();
  RankedTensorType inputType = tensorType(x);
  SmallVector<int64_t> dims = getNormalizedDims();
  RankedTensorType kept = RankedTensorType::get(
      reducedShape(inputType.getShape(), dims, /*keepDims=*/true),
      inputType.getElementType());
  Value maximum = e.reshape(getResult(), kept);
  Value mask = e.maskToFloat(e.compare(ComparePredicate::EQ, x, maximum), x);
  Value ties = e.sum(mask, dims, /*keepDims=*/true);
  Value g = e.reshape(resultCotangents[0], kept);
  operandCotangents[0] = e.mul(mask, e.div(g, ties));
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
  MLOptBuilder e(b, getLoc());
  Value x = getInput(), g = resultCotangents[0];
  int64_t rank = tensorType(x).getRank();
  int64_t normalizedRank = static_cast<int64_t>(getNormalizedRank());
  SmallVector<int64_t> dims =
      llvm::to_vector(llvm::seq<int64_t>(rank - normalizedRank, rank));
  SmallVector<int64_t> leading =
      llvm::to_vector(llvm::seq<int64_t>(0, rank - normalizedRank));
  auto mean = [&](Value value) {
    return e.mean(value, dims, /*keepDims=*/true);
  };
  Value centered = e.sub(x, mean(x));
  Value variance = mean(e.mul(centered, centered));
  Value rstd =
      e.rsqrt(e.add(variance, e.constantLike(x, getEps().convertToDouble())));
  Value xhat = e.mul(centered, rstd);
  Value dxhat = getWeight() ? e.mul(g, getWeight()) : g;
  Value projected =
      removeComponents(e, dxhat, {{Value(), Value()}, {xhat, xhat}}, mean);
  operandCotangents[0] = e.mul(rstd, projected);
  unsigned next = 1;
  if (getWeight())
    operandCotangents[next++] =
        e.sum(e.mul(g, xhat), leading, /*keepDims=*/false);
  if (getBias())
    operandCotangents[next] = e.sum(g, leading, /*keepDims=*/false);
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

// The identity.
LogicalResult TapOp::buildVJP(OpBuilder &, ValueRange resultCotangents,
                              SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  operandCotangents[0] = resultCotangents[0];
  return success();
}

// Training differentiates the training value only.
LogicalResult
ModeSelectOp::buildVJP(OpBuilder &, ValueRange resultCotangents,
                       SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  operandCotangents[0] = resultCotangents[0];
  return success();
}
