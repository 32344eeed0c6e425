//===- State.cpp - initializers and constants to linalg -------------------===//
//
// mlopt.initial_value draws from the counter-based generator of
// docs/TrainingIR.md with i64 arithmetic, computing each value in f64 and
// rounding once, exactly as the reference evaluator: uniform-based
// initializers match it bit for bit. `#mlopt.value` is a constant.
//
//===----------------------------------------------------------------------===//

#include "LoweringUtils.h"

#include "mlopt/Conversion/MLOptToLinalg/MLOptToLinalg.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Dialect/MLOpt/IR/ShapeFunctions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::lowering;

namespace {

/// How one element is computed from the generator: an f64 value from the
/// seed, the stream and the element's linear index.
using SampleFn =
    std::function<Value(OpBuilder &, Location, Value, Value, Value)>;

/// `offset + scale * u` with u = uniform(seed, stream, i).
SampleFn affineUniform(double offset, double scale) {
  return [=](OpBuilder &b, Location l, Value seed, Value stream,
             Value index) -> Value {
    Type f64 = b.getF64Type();
    Value u = buildRandomUniform(b, l, seed, stream, index);
    return arith::AddFOp::create(
        b, l, createScalar(b, l, f64, offset),
        arith::MulFOp::create(b, l, createScalar(b, l, f64, scale), u));
  };
}

/// `bound * (2u - 1)`, the symmetric uniform of kaiming and xavier.
SampleFn symmetricUniform(double bound) {
  return [=](OpBuilder &b, Location l, Value seed, Value stream,
             Value index) -> Value {
    Type f64 = b.getF64Type();
    Value u = buildRandomUniform(b, l, seed, stream, index);
    Value centered = arith::SubFOp::create(
        b, l, arith::MulFOp::create(b, l, createScalar(b, l, f64, 2.0), u),
        createScalar(b, l, f64, 1.0));
    return arith::MulFOp::create(b, l, createScalar(b, l, f64, bound),
                                 centered);
  };
}

/// Box-Muller on uniform(2i) and uniform(2i + 1).
SampleFn normal(double mean, double std) {
  return [=](OpBuilder &b, Location l, Value seed, Value stream,
             Value index) -> Value {
    Type f64 = b.getF64Type();
    Value two = createScalar(b, l, b.getI64Type(), 2);
    Value even = arith::MulIOp::create(b, l, index, two);
    Value odd = arith::AddIOp::create(b, l, even,
                                      createScalar(b, l, b.getI64Type(), 1));
    Value u1 = buildRandomUniform(b, l, seed, stream, even);
    Value u2 = buildRandomUniform(b, l, seed, stream, odd);
    Value radius = math::SqrtOp::create(
        b, l,
        arith::MulFOp::create(
            b, l, createScalar(b, l, f64, -2.0),
            math::LogOp::create(b, l,
                                arith::SubFOp::create(
                                    b, l, createScalar(b, l, f64, 1.0), u1))));
    Value angle = arith::MulFOp::create(
        b, l, createScalar(b, l, f64, 2.0 * 3.14159265358979323846), u2);
    Value z =
        arith::MulFOp::create(b, l, radius, math::CosOp::create(b, l, angle));
    return arith::AddFOp::create(
        b, l, createScalar(b, l, f64, mean),
        arith::MulFOp::create(b, l, createScalar(b, l, f64, std), z));
  };
}

struct InitialValueLowering : public OpRewritePattern<InitialValueOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(InitialValueOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type elementType = type.getElementType();
    ArrayRef<int64_t> shape = type.getShape();
    Attribute initializer = op.getInitializer();

    // The embedded values: a constant, exact.
    if (auto value = dyn_cast<ValueInitAttr>(initializer)) {
      if (value.getValue().getType() != type)
        return op.emitOpError("cannot lower initializer ")
               << initializer << " for " << type;
      rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value.getValue());
      return success();
    }

    std::optional<double> constant =
        llvm::TypeSwitch<Attribute, std::optional<double>>(initializer)
            .Case([](ZerosInitAttr) { return 0.0; })
            .Case([](OnesInitAttr) { return 1.0; })
            .Case([](ConstantInitAttr attr) {
              return attr.getValue().convertToDouble();
            })
            .Default([](Attribute) { return std::nullopt; });
    if (constant) {
      rewriter.replaceOp(
          op,
          createFilled(rewriter, loc, type,
                       createScalar(rewriter, loc, elementType, *constant)));
      return success();
    }

    // The scalar operands of the generator, created once the op is known to
    // lower.
    auto seedAndStream = [&]() -> std::pair<Value, Value> {
      Value seed =
          tensor::ExtractOp::create(rewriter, loc, op.getSeed(), ValueRange{});
      Value stream = arith::ConstantOp::create(
          rewriter, loc, rewriter.getI64IntegerAttr(op.getStream()));
      return {seed, stream};
    };

    // Replaces the op by the tensor whose element at each linear index is
    // `element(seed, stream, index)`.
    auto replaceByGenerator =
        [&](function_ref<Value(OpBuilder &, Location, Value, Value, Value)>
                element) {
          auto [seed, stream] = seedAndStream();
          Value result = buildElementwise(
              rewriter, loc, ValueRange{}, type,
              [&](OpBuilder &b, Location l, ValueRange) {
                Value index = buildLinearIndex(b, l, shape);
                return SmallVector<Value>{element(b, l, seed, stream, index)};
              });
          rewriter.replaceOp(op, result);
          return success();
        };

    // from_seed: integer keys straight from the generator, no f64 step.
    if (isa<FromSeedInitAttr>(initializer)) {
      if (!elementType.isSignlessInteger(64))
        return op.emitOpError("cannot lower initializer ")
               << initializer << " for " << type;
      return replaceByGenerator(buildSeedKey);
    }

    SampleFn sample =
        llvm::TypeSwitch<Attribute, SampleFn>(initializer)
            .Case([](UniformInitAttr attr) {
              double low = attr.getLow().convertToDouble();
              double high = attr.getHigh().convertToDouble();
              return affineUniform(low, high - low);
            })
            .Case([](NormalInitAttr attr) {
              return normal(attr.getMean().convertToDouble(),
                            attr.getStd().convertToDouble());
            })
            .Case([&](KaimingUniformInitAttr attr) -> SampleFn {
              int64_t fanIn = attr.getFanIn();
              if (fanIn <= 0) {
                if (shape.size() < 2)
                  return nullptr;
                fanIn = computeFans(shape).first;
              }
              double a = attr.getA().convertToDouble();
              double gain = std::sqrt(2.0 / (1.0 + a * a));
              return symmetricUniform(
                  gain * std::sqrt(3.0 / static_cast<double>(fanIn)));
            })
            .Case([&](XavierUniformInitAttr attr) -> SampleFn {
              if (shape.size() < 2)
                return nullptr;
              auto [fanIn, fanOut] = computeFans(shape);
              double gain = attr.getGain().convertToDouble();
              return symmetricUniform(
                  gain * std::sqrt(6.0 / static_cast<double>(fanIn + fanOut)));
            })
            .Default([](Attribute) { return nullptr; });
    if (!sample || !isa<FloatType>(elementType))
      return op.emitOpError("cannot lower initializer ")
             << initializer << " for " << type;

    return replaceByGenerator(
        [&](OpBuilder &b, Location l, Value seed, Value stream, Value index) {
          return convertScalar(b, l, sample(b, l, seed, stream, index),
                               elementType);
        });
  }
};

struct ConstantLowering : public OpRewritePattern<ConstantOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ConstantOp op,
                                PatternRewriter &rewriter) const override {
    auto value = dyn_cast<DenseElementsAttr>(op.getValue());
    if (!value)
      return op.emitOpError("needs a dense elements value to lower, got ")
             << op.getValue();
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};

} // namespace

void mlir::mlopt::populateMLOptStateToLinalgPatterns(
    RewritePatternSet &patterns) {
  patterns.add<InitialValueLowering, ConstantLowering>(patterns.getContext());
}
