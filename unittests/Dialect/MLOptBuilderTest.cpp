//===- MLOptBuilderTest.cpp - tests of the shared mlopt emitter -----------===//
//
// MLOptBuilder's helpers that do more than create one op: the identities it
// folds away, and the adjoints of broadcasting and of reductions, checked by
// evaluating what they build.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Dialect/MLOpt/IR/MLOptBuilder.h"
#include "mlopt/Reference/Evaluator.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"
#include "mlir/IR/Verifier.h"

#include "gtest/gtest.h"

#include <numeric>
#include <vector>

using namespace mlir;
using namespace mlir::mlopt;

namespace {

class MLOptBuilderTest : public ::testing::Test {
protected:
  MLOptBuilderTest() : builder(&context), loc(UnknownLoc::get(&context)) {
    context.loadDialect<MLOptDialect, func::FuncDialect>();
    module = ModuleOp::create(loc);
    builder.setInsertionPointToEnd(module->getBody());
  }

  RankedTensorType f32(ArrayRef<int64_t> shape) {
    return RankedTensorType::get(shape, builder.getF32Type());
  }

  /// `func.func @f(%x: inputType) -> resultType` whose body `build` emits;
  /// returns the argument for `build` to use.
  void buildFunction(RankedTensorType inputType,
                     function_ref<Value(MLOptBuilder &, Value)> build) {
    auto func = func::FuncOp::create(builder, loc, "f",
                                     builder.getFunctionType({inputType}, {}));
    Block *body = func.addEntryBlock();
    OpBuilder b = OpBuilder::atBlockEnd(body);
    MLOptBuilder e(b, loc);
    Value result = build(e, body->getArgument(0));
    func::ReturnOp::create(b, loc, result);
    func.setType(builder.getFunctionType({inputType}, {result.getType()}));
  }

  /// Runs @f on 0, 1, 2, ... and returns the result's elements.
  std::vector<double> evaluate(RankedTensorType inputType) {
    EXPECT_TRUE(succeeded(verify(*module)));
    std::vector<double> input(inputType.getNumElements());
    std::iota(input.begin(), input.end(), 0.0);
    reference::StateMap state;
    FailureOr<SmallVector<reference::Tensor>> results =
        reference::Evaluator(*module).call(
            "f", {reference::Tensor::fromDoubles(inputType, input)}, state);
    EXPECT_TRUE(succeeded(results));
    if (failed(results))
      return {};
    ArrayRef<double> values = (*results)[0].getDoubles();
    return std::vector<double>(values.begin(), values.end());
  }

  MLIRContext context;
  OpBuilder builder;
  Location loc;
  OwningOpRef<ModuleOp> module;
};

TEST_F(MLOptBuilderTest, FoldsIdentities) {
  buildFunction(f32({2, 3}), [&](MLOptBuilder &e, Value x) {
    EXPECT_EQ(e.sum(x, {}, /*keepDims=*/false), x);
    EXPECT_EQ(e.reshape(x, f32({2, 3})), x);
    EXPECT_EQ(e.broadcastTo(x, f32({2, 3})), x);
    EXPECT_EQ(e.cast(x, builder.getF32Type()), x);
    EXPECT_EQ(e.sumToType(x, f32({2, 3})), x);
    Value scalar = e.constant(builder.getF32Type(), 2.0);
    EXPECT_EQ(e.sumAll(scalar), scalar);
    // A cast that changes the element type keeps the shape.
    EXPECT_EQ(e.cast(x, builder.getF64Type()).getType(),
              RankedTensorType::get({2, 3}, builder.getF64Type()));
    return x;
  });
  // Nothing but the constant and the cast were built.
  auto func = cast<func::FuncOp>(module->getBody()->front());
  EXPECT_EQ(func.getBody().front().getOperations().size(), 3u);
}

TEST_F(MLOptBuilderTest, Constants) {
  buildFunction(f32({2}), [&](MLOptBuilder &e, Value x) {
    Value c = e.constant(builder.getI64Type(), 2.9);
    auto attr =
        cast<DenseElementsAttr>(cast<ConstantOp>(c.getDefiningOp()).getValue());
    EXPECT_EQ(attr.getType(), RankedTensorType::get({}, builder.getI64Type()));
    // Integers truncate.
    EXPECT_EQ(attr.getSplatValue<APInt>().getSExtValue(), 2);
    Value like = e.constantLike(x, 0.5);
    EXPECT_EQ(like.getType(), f32({}));
    return e.add(x, like);
  });
  EXPECT_EQ(evaluate(f32({2})), (std::vector<double>{0.5, 1.5}));
}

TEST_F(MLOptBuilderTest, SumToTypeIsTheAdjointOfBroadcasting) {
  // [2, 3, 4] was broadcast from [3, 1]: sum the leading dim and the last.
  buildFunction(f32({2, 3, 4}), [&](MLOptBuilder &e, Value x) {
    Value reduced = e.sumToType(x, f32({3, 1}));
    EXPECT_EQ(reduced.getType(), f32({3, 1}));
    return reduced;
  });
  // Element (i, j, k) is 12 i + 4 j + k; row j sums 2 * 4 of them.
  std::vector<double> expected;
  for (int j = 0; j < 3; ++j) {
    double total = 0;
    for (int i = 0; i < 2; ++i)
      for (int k = 0; k < 4; ++k)
        total += 12 * i + 4 * j + k;
    expected.push_back(total);
  }
  EXPECT_EQ(evaluate(f32({2, 3, 4})), expected);
}

TEST_F(MLOptBuilderTest, BroadcastReducedIsTheAdjointOfASum) {
  // The cotangent of sum(x[2, 3], dims = [1]) without kept dims is [2].
  buildFunction(f32({2}), [&](MLOptBuilder &e, Value g) {
    Value expanded = e.broadcastReduced(g, f32({2, 3}), {1});
    EXPECT_EQ(expanded.getType(), f32({2, 3}));
    return expanded;
  });
  EXPECT_EQ(evaluate(f32({2})), (std::vector<double>{0, 0, 0, 1, 1, 1}));
}

TEST_F(MLOptBuilderTest, SumAllAndTransposeLastTwo) {
  buildFunction(f32({2, 3}), [&](MLOptBuilder &e, Value x) {
    Value t = e.transposeLastTwo(x);
    EXPECT_EQ(t.getType(), f32({3, 2}));
    Value total = e.sumAll(t);
    EXPECT_EQ(total.getType(), f32({}));
    return total;
  });
  EXPECT_EQ(evaluate(f32({2, 3})), (std::vector<double>{15}));
}

TEST_F(MLOptBuilderTest, MaskToFloat) {
  buildFunction(f32({4}), [&](MLOptBuilder &e, Value x) {
    Value mask = e.compare(ComparePredicate::GT, x, e.constantLike(x, 1.5));
    return e.maskToFloat(mask, x);
  });
  EXPECT_EQ(evaluate(f32({4})), (std::vector<double>{0, 0, 1, 1}));
}

} // namespace
