//===- CollectiveVJP.cpp - VJP rules of the collectives -------------------===//
// PLACEHOLDER: the IR-rules helper writes these.
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

using namespace mlir;
using namespace mlir::mlopt;

#define MLOPT_VJP_TODO(OP)                                                     \
  LogicalResult OP::buildVJP(OpBuilder &, ValueRange,                          \
                             SmallVectorImpl<Value> &) {                       \
    return emitOpError("VJP not written yet");                                 \
  }
MLOPT_VJP_TODO(AllReduceOp)
MLOPT_VJP_TODO(AllGatherOp)
MLOPT_VJP_TODO(ReduceScatterOp)
MLOPT_VJP_TODO(BroadcastOp)
MLOPT_VJP_TODO(ReduceOp)
MLOPT_VJP_TODO(SendOp)
MLOPT_VJP_TODO(RecvOp)
