//===- CollectiveVJP.cpp - VJP rules of the collectives -------------------===//
//
// Every rank runs the same program and its copy of a result feeds its own
// loss; the global loss is the sum over ranks. So each rule exchanges the
// cotangents in the mirrored collective: all_gather <-> reduce_scatter,
// broadcast <-> reduce, send <-> recv, all_reduce to itself. Every rank must
// call the backward collectives in the same sequence, so a rule whose result
// cotangent is null (zero) still communicates: it sends zeros rather than
// skipping its part of the exchange. The variadic rules take the float
// operands only (their types, and so the choice, are the same on every rank).
//
//===----------------------------------------------------------------------===//

#include "VJPUtils.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::vjp;

static bool isFloatTensor(Value value) {
  return isa<FloatType>(getElementTypeOrSelf(value.getType()));
}

/// The cotangent of `result`, zeros of its type when null.
static Value cotangentOrZeros(MLOptBuilder &e, Value result, Value cotangent) {
  return cotangent ? cotangent : e.splat(tensorType(result), 0.0);
}

namespace {
/// The float results of a variadic collective and their cotangents (zeros
/// where null, which are exchanged but whose operand cotangents stay null),
/// in operand order.
struct FloatCotangents {
  SmallVector<unsigned> indices;
  SmallVector<Value> cotangents;
  SmallVector<bool> isZero;
};
} // namespace

static FloatCotangents floatCotangents(MLOptBuilder &e, Operation *op,
                                       ValueRange resultCotangents) {
  FloatCotangents floats;
  for (auto [index, result, cotangent] :
       llvm::enumerate(op->getResults(), resultCotangents)) {
    if (!isFloatTensor(result))
      continue;
    floats.indices.push_back(index);
    floats.cotangents.push_back(cotangentOrZeros(e, result, cotangent));
    floats.isZero.push_back(!cotangent);
  }
  return floats;
}

/// `select(x == y, g, 0)`: the cotangent routed to the elements of `x` equal
/// to the reduced `y` (every one of them on a tie).
static Value routeToExtremum(MLOptBuilder &e, Value x, Value y, Value g) {
  Value zero = e.constantLike(g, 0.0);
  return e.select(e.compare(ComparePredicate::EQ, x, y), g, zero);
}

//===----------------------------------------------------------------------===//
// all_reduce
//===----------------------------------------------------------------------===//

// y = reduce_q x_q on every rank, L = sum_q L_q: dL/dx_r = sum_q g_q for
// `sum`, divided by ranks for `mean`; `max`/`min` route sum_q g_q to the
// elements of x_r that equal y.
LogicalResult AllReduceOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                    SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  MLOptBuilder e(b, getLoc());
  FloatCotangents floats = floatCotangents(e, *this, resultCotangents);
  if (floats.indices.empty())
    return success();
  ReduceKind kind =
      getReduction() == ReduceKind::Mean ? ReduceKind::Mean : ReduceKind::Sum;
  auto exchange =
      AllReduceOp::create(b, getLoc(), kind, floats.cotangents, getRanks());
  for (auto [index, isZero, reduced] :
       llvm::zip(floats.indices, floats.isZero, exchange.getResults())) {
    if (isZero)
      continue;
    Value cotangent = reduced;
    if (getReduction() == ReduceKind::Max || getReduction() == ReduceKind::Min)
      cotangent =
          routeToExtremum(e, getInputs()[index], getResult(index), reduced);
    operandCotangents[index] = cotangent;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// all_gather, reduce_scatter
//===----------------------------------------------------------------------===//

// y = concat_q x_q: dL/dx_r = chunk r of sum_q g_q, a reduce_scatter sum.
LogicalResult AllGatherOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                    SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  MLOptBuilder e(b, getLoc());
  FloatCotangents floats = floatCotangents(e, *this, resultCotangents);
  if (floats.indices.empty())
    return success();
  auto exchange = ReduceScatterOp::create(
      b, getLoc(), ReduceKind::Sum, floats.cotangents, getDim(), getRanks());
  for (auto [index, isZero, cotangent] :
       llvm::zip(floats.indices, floats.isZero, exchange.getResults()))
    if (!isZero)
      operandCotangents[index] = cotangent;
  return success();
}

// y_r = chunk r of reduce_q x_q: dL/dx_q = concat_r g_r, an all_gather
// (divided by ranks for `mean`).
LogicalResult
ReduceScatterOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                          SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  if (getReduction() == ReduceKind::Max || getReduction() == ReduceKind::Min)
    return emitOpError("has no VJP rule for ")
           << stringifyReduceKind(getReduction());
  MLOptBuilder e(b, getLoc());
  FloatCotangents floats = floatCotangents(e, *this, resultCotangents);
  if (floats.indices.empty())
    return success();
  auto exchange =
      AllGatherOp::create(b, getLoc(), floats.cotangents, getDim(), getRanks());
  for (auto [index, isZero, gathered] :
       llvm::zip(floats.indices, floats.isZero, exchange.getResults())) {
    if (isZero)
      continue;
    Value cotangent = gathered;
    if (getReduction() == ReduceKind::Mean)
      cotangent = e.div(
          gathered, e.constantLike(gathered, static_cast<double>(getRanks())));
    operandCotangents[index] = cotangent;
  }
  return success();
}

//===----------------------------------------------------------------------===//
// broadcast, reduce
//===----------------------------------------------------------------------===//

// y = x_root on every rank: dL/dx_root = sum_q g_q, zero on the other ranks,
// which is what `reduce sum` to the root returns.
LogicalResult BroadcastOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                    SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  operandCotangents[0] = ReduceOp::create(
      b, getLoc(), ReduceKind::Sum, resultCotangents[0], getRoot(), getRanks());
  return success();
}

// y_root = reduce_q x_q, zeros elsewhere: only the root's loss sees y, so
// dL/dx_q = g_root (broadcast from the root), divided by ranks for `mean`;
// `max`/`min` route it to the elements of x_q equal to the root's result,
// which is broadcast too (the other ranks hold zeros).
LogicalResult ReduceOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                                 SmallVectorImpl<Value> &operandCotangents) {
  if (initCotangents(*this, resultCotangents, operandCotangents))
    return success();
  Location loc = getLoc();
  MLOptBuilder e(b, loc);
  Value fromRoot =
      BroadcastOp::create(b, loc, resultCotangents[0], getRoot(), getRanks());
  switch (getReduction()) {
  case ReduceKind::Sum:
    operandCotangents[0] = fromRoot;
    break;
  case ReduceKind::Mean:
    operandCotangents[0] = e.div(
        fromRoot, e.constantLike(fromRoot, static_cast<double>(getRanks())));
    break;
  case ReduceKind::Max:
  case ReduceKind::Min: {
    Value result =
        BroadcastOp::create(b, loc, getResult(), getRoot(), getRanks());
    operandCotangents[0] = routeToExtremum(e, getInput(), result, fromRoot);
    break;
  }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// send, recv
//===----------------------------------------------------------------------===//

// The receiving rank's loss depends on the sent value: its cotangent comes
// back from `dest`. A send has no results, so autodiff calls this rule with
// no result cotangents whenever the operand is varied (PointToPoint).
LogicalResult SendOp::buildVJP(OpBuilder &b, ValueRange,
                               SmallVectorImpl<Value> &operandCotangents) {
  operandCotangents.assign(1, Value());
  if (!isFloatTensor(getInput()))
    return success();
  operandCotangents[0] =
      RecvOp::create(b, getLoc(), getInput().getType(), getDest(), getRanks());
  return success();
}

// The mirror of send: the cotangent goes back to `source`, zeros when null
// so that the sender's backward recv is always matched.
LogicalResult RecvOp::buildVJP(OpBuilder &b, ValueRange resultCotangents,
                               SmallVectorImpl<Value> &operandCotangents) {
  operandCotangents.clear();
  if (!isFloatTensor(getResult()))
    return success();
  MLOptBuilder e(b, getLoc());
  Value cotangent = cotangentOrZeros(
      e, getResult(), resultCotangents.empty() ? Value() : resultCotangents[0]);
  SendOp::create(b, getLoc(), cotangent, getSource(), getRanks());
  return success();
}
