//===- ShapeFunctionsTest.cpp - tests of the shared mlopt shape rules -----===//

#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"

#include "gtest/gtest.h"

#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::mlopt;

namespace {

using Shape = SmallVector<int64_t>;

//===----------------------------------------------------------------------===//
// broadcastShapes / isBroadcastableTo
//===----------------------------------------------------------------------===//

TEST(BroadcastShapesTest, EqualShapes) {
  std::optional<Shape> result = broadcastShapes({4, 8}, {4, 8});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, Shape({4, 8}));
}

TEST(BroadcastShapesTest, AlignsFromTheRight) {
  std::optional<Shape> result = broadcastShapes({16, 128, 256}, {256});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, Shape({16, 128, 256}));

  // The shorter operand may come first.
  result = broadcastShapes({8}, {4, 8});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, Shape({4, 8}));
}

TEST(BroadcastShapesTest, StretchesOnesOnBothSides) {
  std::optional<Shape> result = broadcastShapes({4, 1, 3}, {1, 5, 3});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, Shape({4, 5, 3}));

  result = broadcastShapes({2, 1}, {1, 8});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, Shape({2, 8}));
}

TEST(BroadcastShapesTest, ScalarBroadcastsToAnything) {
  std::optional<Shape> result = broadcastShapes({}, {16, 4, 128, 128});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, Shape({16, 4, 128, 128}));

  result = broadcastShapes({}, {});
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->empty());
}

TEST(BroadcastShapesTest, SizeOneDoesNotShrinkZero) {
  // NumPy: a size-1 dimension stretches to 0.
  std::optional<Shape> result = broadcastShapes({1, 3}, {0, 3});
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(*result, Shape({0, 3}));
}

TEST(BroadcastShapesTest, IncompatibleShapes) {
  EXPECT_FALSE(broadcastShapes({4, 8}, {4, 7}).has_value());
  EXPECT_FALSE(broadcastShapes({3}, {4}).has_value());
  // Leading dimensions disagree even though the trailing ones match.
  EXPECT_FALSE(broadcastShapes({2, 5, 3}, {4, 5, 3}).has_value());
  EXPECT_FALSE(broadcastShapes({8}, {4, 2}).has_value());
}

TEST(IsBroadcastableToTest, Accepts) {
  EXPECT_TRUE(isBroadcastableTo({8}, {4, 8}));
  EXPECT_TRUE(isBroadcastableTo({1, 8}, {4, 8}));
  EXPECT_TRUE(isBroadcastableTo({4, 1}, {4, 8}));
  EXPECT_TRUE(isBroadcastableTo({}, {4, 8}));
  EXPECT_TRUE(isBroadcastableTo({4, 8}, {4, 8}));
  EXPECT_TRUE(isBroadcastableTo({}, {}));
}

TEST(IsBroadcastableToTest, RejectsShrinkingAndMismatch) {
  // Broadcasting is one-way: the target never gets a size-1 dim stretched.
  EXPECT_FALSE(isBroadcastableTo({4, 8}, {1, 8}));
  EXPECT_FALSE(isBroadcastableTo({4, 8}, {8}));
  EXPECT_FALSE(isBroadcastableTo({3}, {4, 8}));
  EXPECT_FALSE(isBroadcastableTo({2, 8}, {4, 8}));
  // broadcastShapes accepts both directions; isBroadcastableTo does not.
  EXPECT_TRUE(broadcastShapes({4, 1}, {1, 8}).has_value());
  EXPECT_FALSE(isBroadcastableTo({4, 1}, {1, 8}));
}

//===----------------------------------------------------------------------===//
// normalizeDim / normalizeDims
//===----------------------------------------------------------------------===//

TEST(NormalizeDimTest, PositiveAndNegative) {
  EXPECT_EQ(normalizeDim(0, 3), std::optional<int64_t>(0));
  EXPECT_EQ(normalizeDim(2, 3), std::optional<int64_t>(2));
  EXPECT_EQ(normalizeDim(-1, 3), std::optional<int64_t>(2));
  EXPECT_EQ(normalizeDim(-3, 3), std::optional<int64_t>(0));
}

TEST(NormalizeDimTest, OutOfRange) {
  EXPECT_FALSE(normalizeDim(3, 3).has_value());
  EXPECT_FALSE(normalizeDim(-4, 3).has_value());
  // A 0-d tensor has no dimension at all.
  EXPECT_FALSE(normalizeDim(0, 0).has_value());
  EXPECT_FALSE(normalizeDim(-1, 0).has_value());
}

/// Collects the diagnostics emitted in a context.
class NormalizeDimsTest : public ::testing::Test {
protected:
  NormalizeDimsTest()
      : loc(FileLineColLoc::get(&context, "model.mlir", 7, 3)),
        handler(&context, [this](Diagnostic &diag) {
          messages.push_back(diag.str());
          return success();
        }) {}

  MLIRContext context;
  Location loc;
  std::vector<std::string> messages;
  ScopedDiagnosticHandler handler;
};

TEST_F(NormalizeDimsTest, SortsAndNormalizes) {
  FailureOr<Shape> dims = normalizeDims(loc, {-1, 0}, 3);
  ASSERT_TRUE(succeeded(dims));
  EXPECT_EQ(*dims, Shape({0, 2}));

  dims = normalizeDims(loc, {3, -4, 1}, 4);
  ASSERT_TRUE(succeeded(dims));
  EXPECT_EQ(*dims, Shape({0, 1, 3}));

  dims = normalizeDims(loc, {}, 2);
  ASSERT_TRUE(succeeded(dims));
  EXPECT_TRUE(dims->empty());
  EXPECT_TRUE(messages.empty());
}

TEST_F(NormalizeDimsTest, ReportsOutOfRangeDimension) {
  FailureOr<Shape> dims = normalizeDims(loc, {0, 5}, 3);
  EXPECT_TRUE(failed(dims));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages.front(), "dimension 5 is out of range for rank 3");
}

TEST_F(NormalizeDimsTest, ReportsRepeatedDimension) {
  // -1 and 2 name the same dimension of a rank-3 tensor.
  FailureOr<Shape> dims = normalizeDims(loc, {2, -1}, 3);
  EXPECT_TRUE(failed(dims));
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages.front(), "dimension -1 is repeated");
}

TEST_F(NormalizeDimsTest, SilentWithoutLocation) {
  // Without a location (e.g. a builder probing) it fails quietly.
  EXPECT_TRUE(failed(normalizeDims(std::nullopt, {3}, 2)));
  EXPECT_TRUE(failed(normalizeDims(std::nullopt, {1, 1}, 2)));
  EXPECT_TRUE(messages.empty());
}

//===----------------------------------------------------------------------===//
// reducedShape
//===----------------------------------------------------------------------===//

TEST(ReducedShapeTest, DropsOrKeepsReducedDims) {
  EXPECT_EQ(reducedShape({4, 8, 16}, {1}, /*keepDims=*/false), Shape({4, 16}));
  EXPECT_EQ(reducedShape({4, 8, 16}, {1}, /*keepDims=*/true),
            Shape({4, 1, 16}));
  EXPECT_EQ(reducedShape({4, 8, 16}, {0, 2}, /*keepDims=*/false), Shape({8}));
  EXPECT_EQ(reducedShape({4, 8, 16}, {0, 2}, /*keepDims=*/true),
            Shape({1, 8, 1}));
}

TEST(ReducedShapeTest, FullReduction) {
  EXPECT_TRUE(reducedShape({4, 8}, {0, 1}, /*keepDims=*/false).empty());
  EXPECT_EQ(reducedShape({4, 8}, {0, 1}, /*keepDims=*/true), Shape({1, 1}));
}

TEST(ReducedShapeTest, NoDims) {
  EXPECT_EQ(reducedShape({4, 8}, {}, /*keepDims=*/false), Shape({4, 8}));
}

//===----------------------------------------------------------------------===//
// computeFans, checked against torch.nn.init._calculate_fan_in_and_fan_out
//===----------------------------------------------------------------------===//

TEST(ComputeFansTest, LinearWeight) {
  // nn.Linear(784, 256).weight is [256, 784]: fan_in 784, fan_out 256.
  EXPECT_EQ(computeFans({256, 784}),
            std::make_pair(int64_t{784}, int64_t{256}));
  EXPECT_EQ(computeFans({1, 10}), std::make_pair(int64_t{10}, int64_t{1}));
}

TEST(ComputeFansTest, Conv2dWeight) {
  // nn.Conv2d(3, 64, kernel_size=7).weight is [64, 3, 7, 7]:
  // fan_in = 3 * 49 = 147, fan_out = 64 * 49 = 3136.
  EXPECT_EQ(computeFans({64, 3, 7, 7}),
            std::make_pair(int64_t{147}, int64_t{3136}));
  // nn.Conv2d(32, 16, kernel_size=(3, 5)).weight is [16, 32, 3, 5].
  EXPECT_EQ(computeFans({16, 32, 3, 5}),
            std::make_pair(int64_t{480}, int64_t{240}));
}

TEST(ComputeFansTest, Conv1dWeight) {
  // nn.Conv1d(8, 16, kernel_size=5).weight is [16, 8, 5].
  EXPECT_EQ(computeFans({16, 8, 5}), std::make_pair(int64_t{40}, int64_t{80}));
}

} // namespace
