//===- OpBuilderTest.h - a fixture that builds mlopt ops --------*- C++ -*-===//

#ifndef MLOPT_UNITTESTS_DIALECT_OPBUILDERTEST_H
#define MLOPT_UNITTESTS_DIALECT_OPBUILDERTEST_H

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"

#include "gtest/gtest.h"

#include <string>
#include <vector>

namespace mlir::mlopt::testing {

/// A context with the mlopt dialect, a module to build functions in, and
/// the diagnostics it reported.
class OpBuilderTest : public ::testing::Test {
protected:
  OpBuilderTest()
      : builder(&context), loc(UnknownLoc::get(&context)),
        handler(&context, [this](Diagnostic &diag) {
          messages.push_back(diag.str());
          return success();
        }) {
    context.loadDialect<MLOptDialect, func::FuncDialect>();
    module = ModuleOp::create(loc);
  }

  RankedTensorType tensor(ArrayRef<int64_t> shape, Type elementType) {
    return RankedTensorType::get(shape, elementType);
  }
  RankedTensorType f32(ArrayRef<int64_t> shape) {
    return tensor(shape, builder.getF32Type());
  }
  RankedTensorType i64(ArrayRef<int64_t> shape) {
    return tensor(shape, builder.getI64Type());
  }

  /// Arguments of the given types, from a fresh function in the module; the
  /// builder is left in its body.
  SmallVector<Value> arguments(TypeRange types) {
    builder.setInsertionPointToEnd(module->getBody());
    auto func = func::FuncOp::create(builder, loc,
                                     "f" + std::to_string(functionCount++),
                                     builder.getFunctionType(types, {}));
    builder.setInsertionPointToStart(func.addEntryBlock());
    return SmallVector<Value>(func.getArguments());
  }

  MLIRContext context;
  OpBuilder builder;
  Location loc;
  OwningOpRef<ModuleOp> module;
  std::vector<std::string> messages;
  ScopedDiagnosticHandler handler;
  int functionCount = 0;
};

} // namespace mlir::mlopt::testing

#endif // MLOPT_UNITTESTS_DIALECT_OPBUILDERTEST_H
