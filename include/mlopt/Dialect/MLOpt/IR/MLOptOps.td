//===- MLOptOps.td - mlopt operations ----------------------*- tablegen -*-===//
//
// Ops are grouped by family in the included files; they all generate into
// MLOptOps.{h,cpp}.inc.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_MLOPT_IR_MLOPTOPS_TD
#define MLOPT_DIALECT_MLOPT_IR_MLOPTOPS_TD

include "mlopt/Dialect/MLOpt/IR/MLOptBase.td"
include "mlopt/Dialect/MLOpt/IR/MLOptAttrs.td"
include "mlopt/Dialect/MLOpt/IR/MLOptInterfaces.td"
include "mlir/IR/SymbolInterfaces.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/Interfaces/CastInterfaces.td"

/// A side-effect-free compute op with a cost rule and a precision class;
/// `costOverrides` names the cost methods the op implements itself instead of
/// the defaults.
class MLOpt_ComputeOp<string mnemonic, list<Trait> traits = [],
                      list<string> costOverrides = []>
    : MLOpt_Op<mnemonic, !listconcat([Pure,
        DeclareOpInterfaceMethods<MLOpt_CostOpInterface, costOverrides>,
        DeclareOpInterfaceMethods<MLOpt_PrecisionOpInterface>],
        traits)>;

include "mlopt/Dialect/MLOpt/IR/MLOptStateOps.td"
include "mlopt/Dialect/MLOpt/IR/MLOptElementwiseOps.td"
include "mlopt/Dialect/MLOpt/IR/MLOptShapeOps.td"
include "mlopt/Dialect/MLOpt/IR/MLOptNNOps.td"
include "mlopt/Dialect/MLOpt/IR/MLOptLossOps.td"
include "mlopt/Dialect/MLOpt/IR/MLOptCompressionOps.td"
include "mlopt/Dialect/MLOpt/IR/MLOptQuantOps.td"
include "mlopt/Dialect/MLOpt/IR/MLOptCollectiveOps.td"

#endif // MLOPT_DIALECT_MLOPT_IR_MLOPTOPS_TD
