//===- MLOptInterfaces.td - per-op rules of mlopt ----------*- tablegen -*-===//
//
// DESIGN section 3: each op carries its own rules (shape inference, VJP,
// mixed-precision class, sharding, cost). Passes query these interfaces and
// never switch over op names.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_DIALECT_MLOPT_IR_MLOPTINTERFACES_TD
#define MLOPT_DIALECT_MLOPT_IR_MLOPTINTERFACES_TD

include "mlir/IR/OpBase.td"

def MLOpt_InitializerAttrInterface : AttrInterface<"InitializerAttrInterface"> {
  let cppNamespace = "::mlir::mlopt";
  let description = [{
    An initializer of a state tensor (`mlopt.state`'s `init`). It checks that
    it can initialize a tensor of a given type.
  }];
  let methods = [
    InterfaceMethod<
      "Checks that this initializer applies to `type`, reporting through "
      "`emitError` when it does not.",
      "::llvm::LogicalResult", "verifyForType",
      (ins "::mlir::RankedTensorType":$type,
           "::llvm::function_ref<::mlir::InFlightDiagnostic()>":$emitError)>,
  ];
}

def MLOpt_DifferentiableOpInterface
    : OpInterface<"DifferentiableOpInterface"> {
  let cppNamespace = "::mlir::mlopt";
  let description = [{
    The op's vector-Jacobian product, used by `mlopt-autodiff`. An op on the
    path from trainable state to the loss must implement it; autodiff reports
    a located error otherwise.
  }];
  let methods = [
    InterfaceMethod<
      "Whether operand `index` carries a gradient (integer labels, indices "
      "and RNG seeds do not).",
      "bool", "isOperandDifferentiable", (ins "unsigned":$index), [{}], [{
        return ::llvm::isa<::mlir::FloatType>(::mlir::getElementTypeOrSelf(
            $_op->getOperand(index).getType()));
      }]>,
    InterfaceMethod<
      "Builds the VJP at the builder's insertion point. `resultCotangents` "
      "holds one cotangent per result (null: zero). On success "
      "`operandCotangents` holds one value per operand, null where the "
      "operand is not differentiable.",
      "::llvm::LogicalResult", "buildVJP",
      (ins "::mlir::OpBuilder &":$builder,
           "::mlir::ValueRange":$resultCotangents,
           "::llvm::SmallVectorImpl<::mlir::Value> &":$operandCotangents)>,
  ];
}

def MLOpt_PrecisionOpInterface : OpInterface<"PrecisionOpInterface"> {
  let cppNamespace = "::mlir::mlopt";
  let description = [{
    The op's mixed-precision class, used by `mlopt-amp`: compute in f16/bf16
    (matmul-like ops), keep in f32 (reductions, softmax, losses, norms), or
    follow the input's precision (elementwise ops).
  }];
  let methods = [
    InterfaceMethod<"The op's mixed-precision class.",
      "::mlir::mlopt::PrecisionClass", "getPrecisionClass">,
  ];
}

def MLOpt_ShardingOpInterface : OpInterface<"ShardingOpInterface"> {
  let cppNamespace = "::mlir::mlopt";
  let description = [{
    How the op splits across devices, used by `mlopt-tensor-parallel`: for a
    split of operand dimensions, which result dimension is split and which
    collective restores the full result.
  }];
  let methods = [
    InterfaceMethod<
      "The result dimension that is split when operand `operand` is split "
      "along `dim`, -1 when the result is a partial sum needing an "
      "all-reduce, or failure when that split is not supported.",
      "::mlir::FailureOr<int64_t>", "getResultDimForOperandSplit",
      (ins "unsigned":$operand, "int64_t":$dim)>,
  ];
}

def MLOpt_CostOpInterface : OpInterface<"CostOpInterface"> {
  let cppNamespace = "::mlir::mlopt";
  let description = [{
    The op's cost: floating-point operations and bytes moved, used by cost
    reports, fusion and pipeline splitting.
  }];
  let methods = [
    InterfaceMethod<"Floating-point operations of one execution.",
      "int64_t", "getFlops", (ins), [{}], [{
        return ::mlir::mlopt::detail::defaultFlops($_op);
      }]>,
    InterfaceMethod<"Bytes read and written, assuming no reuse.",
      "int64_t", "getBytesAccessed", (ins), [{}], [{
        return ::mlir::mlopt::detail::defaultBytesAccessed($_op);
      }]>,
  ];
}

#endif // MLOPT_DIALECT_MLOPT_IR_MLOPTINTERFACES_TD
