//===- ParallelizeLoops.cpp - scf.parallel on the runtime's thread pool ---===//
//
// The loops of fused elementwise ops, row reductions and optimizer updates
// lower to scf.parallel (convert-linalg-to-parallel-loops). A large outermost
// one becomes a call of mlopt_parallel_for with its body outlined into a
// function of (context, begin, end); the values the body reads from outside
// travel in a struct on the caller's stack. The types stay those of the
// memref/arith level: unrealized casts bridge to the LLVM types of the
// context, and they cancel out once everything is lowered to LLVM.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Conversion/Passes.h"

#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTPARALLELIZELOOPS
#include "mlopt/Conversion/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kParallelFor = "mlopt_parallel_for";

/// What a loop of unknown trip count counts as: enough that any loop around
/// a body op or two goes parallel.
constexpr int64_t kUnknownTripCount = int64_t(1) << 20;
constexpr int64_t kMaxWork = int64_t(1) << 50;

int64_t saturatingMul(int64_t a, int64_t b) {
  if (a == 0 || b == 0)
    return 0;
  return a > kMaxWork / b ? kMaxWork : a * b;
}

/// Trip count of one loop dimension, kUnknownTripCount when not constant.
int64_t getTripCount(OpFoldResult lb, OpFoldResult ub, OpFoldResult step) {
  std::optional<int64_t> l = getConstantIntValue(lb);
  std::optional<int64_t> u = getConstantIntValue(ub);
  std::optional<int64_t> s = getConstantIntValue(step);
  if (!l || !u || !s || *s <= 0)
    return kUnknownTripCount;
  return *u <= *l ? 0 : (*u - *l + *s - 1) / *s;
}

/// The iterations of `loop`, all dimensions together.
int64_t getTripCount(LoopLikeOpInterface loop) {
  std::optional<SmallVector<OpFoldResult>> lbs = loop.getLoopLowerBounds();
  std::optional<SmallVector<OpFoldResult>> ubs = loop.getLoopUpperBounds();
  std::optional<SmallVector<OpFoldResult>> steps = loop.getLoopSteps();
  if (!lbs || !ubs || !steps)
    return kUnknownTripCount;
  int64_t trips = 1;
  for (auto [lb, ub, step] : llvm::zip_equal(*lbs, *ubs, *steps))
    trips = saturatingMul(trips, getTripCount(lb, ub, step));
  return trips;
}

int64_t estimateWork(Region &region);

/// Ops executed by one run of `op`: itself plus its regions, those of a
/// loop once per iteration.
int64_t estimateWork(Operation &op) {
  int64_t inner = 0;
  for (Region &region : op.getRegions())
    inner = std::min(kMaxWork, inner + estimateWork(region));
  if (auto loop = dyn_cast<LoopLikeOpInterface>(op))
    inner = saturatingMul(inner, getTripCount(loop));
  return std::min(kMaxWork, 1 + inner);
}

int64_t estimateWork(Region &region) {
  int64_t work = 0;
  for (Block &block : region)
    for (Operation &op : block)
      work = std::min(kMaxWork, work + estimateWork(op));
  return work;
}

/// Whether `value` is best recreated inside the outlined function than
/// passed in the context: an operand-free op without side effects
/// (constants keep the bounds and sizes known to LLVM; memref.get_global).
bool isRematerializable(Value value) {
  Operation *def = value.getDefiningOp();
  return def && def->getNumOperands() == 0 && def->getNumRegions() == 0 &&
         def->getNumResults() == 1 && isMemoryEffectFree(def);
}

struct ParallelizeLoopsPass
    : public mlir::mlopt::impl::MLOptParallelizeLoopsBase<
          ParallelizeLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<scf::ParallelOp, int64_t>> loops;
    module.walk([&](scf::ParallelOp loop) {
      if (loop->getParentOfType<LoopLikeOpInterface>() ||
          !loop->getParentOfType<func::FuncOp>() || loop.getNumResults() != 0)
        return;
      int64_t work = estimateWork(*loop.getOperation());
      if (work > minWork)
        loops.push_back({loop, work});
    });
    if (loops.empty())
      return;
    LLVMTypeConverter converter(&getContext());
    SymbolTable symbols(module);
    if (failed(declareParallelFor(module, symbols)))
      return signalPassFailure();
    // Per caller: the last function outlined from it (the next goes after
    // it, so that they stay in the order of their loops) and their count.
    llvm::DenseMap<Operation *, std::pair<Operation *, unsigned>> outlined;
    for (auto [loop, work] : loops)
      outline(loop, work, converter, symbols, outlined);
  }

  /// Declares mlopt_parallel_for, or checks the declaration there is.
  LogicalResult declareParallelFor(ModuleOp module, SymbolTable &symbols) {
    MLIRContext *ctx = &getContext();
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    Type i64 = IntegerType::get(ctx, 64);
    FunctionType type =
        FunctionType::get(ctx, {ptr, ptr, i64, i64, i64}, TypeRange());
    if (Operation *existing = symbols.lookup(kParallelFor)) {
      auto function = dyn_cast<func::FuncOp>(existing);
      if (!function || function.getFunctionType() != type)
        return existing->emitError()
               << "'" << kParallelFor << "' is declared here as something "
               << "other than a function of type " << type;
      return success();
    }
    OpBuilder builder = OpBuilder::atBlockBegin(module.getBody());
    auto decl =
        func::FuncOp::create(builder, module.getLoc(), kParallelFor, type);
    decl.setPrivate();
    symbols.insert(decl);
    return success();
  }

  void outline(
      scf::ParallelOp loop, int64_t work, const LLVMTypeConverter &converter,
      SymbolTable &symbols,
      llvm::DenseMap<Operation *, std::pair<Operation *, unsigned>> &outlined) {
    MLIRContext *ctx = &getContext();
    Location loc = loop.getLoc();
    auto parent = loop->getParentOfType<func::FuncOp>();
    Type ptr = LLVM::LLVMPointerType::get(ctx);
    Type i64 = IntegerType::get(ctx, 64);
    Type indexType = IndexType::get(ctx);

    Value lb0 = loop.getLowerBound()[0];
    Value ub0 = loop.getUpperBound()[0];
    Value step0 = loop.getStep()[0];
    std::optional<int64_t> constStep = getConstantIntValue(step0);
    bool unitStep = constStep && *constStep == 1;

    // Everything the new function reads from the caller: the values the
    // body uses, the other dimensions' bounds and, for a step != 1, the
    // first dimension's lower bound and step.
    llvm::SetVector<Value> used;
    getUsedValuesDefinedAbove(loop.getRegion(), used);
    for (unsigned d = 1, e = loop.getNumLoops(); d < e; ++d) {
      used.insert(loop.getLowerBound()[d]);
      used.insert(loop.getUpperBound()[d]);
      used.insert(loop.getStep()[d]);
    }
    if (!unitStep) {
      used.insert(lb0);
      used.insert(step0);
    }
    SmallVector<Value> passed, rematerialized;
    SmallVector<Type> fieldTypes;
    for (Value value : used) {
      if (isRematerializable(value)) {
        rematerialized.push_back(value);
        continue;
      }
      Type fieldType = converter.convertType(value.getType());
      if (!fieldType || !LLVM::isCompatibleType(fieldType))
        return; // no LLVM form to pass it in: the loop stays serial
      passed.push_back(value);
      fieldTypes.push_back(fieldType);
    }
    auto contextType = LLVM::LLVMStructType::getLiteral(ctx, fieldTypes);

    // The outlined function, after its caller.
    auto &[previous, counter] = outlined[parent];
    std::string name;
    do {
      name = (parent.getName() + "_parallel" + Twine(counter++)).str();
    } while (symbols.lookup(name));
    OpBuilder builder(ctx);
    builder.setInsertionPointAfter(previous ? previous : parent.getOperation());
    auto bodyType = FunctionType::get(ctx, {ptr, i64, i64}, TypeRange());
    auto body = func::FuncOp::create(builder, loc, name, bodyType);
    body.setPrivate();
    symbols.insert(body);
    previous = body;
    Block *entry = body.addEntryBlock();
    builder.setInsertionPointToStart(entry);
    IRMapping mapping;
    for (Value value : rematerialized)
      mapping.map(value,
                  builder.clone(*value.getDefiningOp(), mapping)->getResult(0));
    for (auto [index, value] : llvm::enumerate(passed)) {
      Value field = LLVM::GEPOp::create(
          builder, loc, ptr, contextType, entry->getArgument(0),
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(index)});
      Value loaded =
          LLVM::LoadOp::create(builder, loc, fieldTypes[index], field);
      if (loaded.getType() != value.getType())
        loaded = UnrealizedConversionCastOp::create(builder, loc,
                                                    value.getType(), loaded)
                     .getResult(0);
      mapping.map(value, loaded);
    }
    Value begin = arith::IndexCastOp::create(builder, loc, indexType,
                                             entry->getArgument(1));
    Value end = arith::IndexCastOp::create(builder, loc, indexType,
                                           entry->getArgument(2));
    Value one = arith::ConstantIndexOp::create(builder, loc, 1);
    SmallVector<Value> lbs{begin}, ubs{end}, steps{one};
    for (unsigned d = 1, e = loop.getNumLoops(); d < e; ++d) {
      lbs.push_back(mapping.lookup(loop.getLowerBound()[d]));
      ubs.push_back(mapping.lookup(loop.getUpperBound()[d]));
      steps.push_back(mapping.lookup(loop.getStep()[d]));
    }
    auto inner = scf::ParallelOp::create(builder, loc, lbs, ubs, steps);
    inner.getRegion().getBlocks().clear();
    inner.getRegion().takeBody(loop.getRegion());
    func::ReturnOp::create(builder, loc);
    for (auto [from, to] : mapping.getValueMap())
      replaceAllUsesInRegionWith(from, to, inner.getRegion());
    if (!unitStep) {
      // The function's range counts iterations; the body wants lb + k * s.
      Block &loopBody = inner.getRegion().front();
      Value k = loopBody.getArgument(0);
      builder.setInsertionPointToStart(&loopBody);
      Value scaled =
          arith::MulIOp::create(builder, loc, k, mapping.lookup(step0));
      Value iv =
          arith::AddIOp::create(builder, loc, mapping.lookup(lb0), scaled);
      k.replaceAllUsesExcept(iv, scaled.getDefiningOp());
    }

    // The call site: the context at the caller's entry (one stack slot per
    // loop, not one per execution), its fields stored where the loop was.
    builder.setInsertionPointToStart(&parent.getBody().front());
    Value context;
    if (passed.empty()) {
      context = LLVM::ZeroOp::create(builder, loc, ptr);
    } else {
      Value count = LLVM::ConstantOp::create(builder, loc, i64,
                                             builder.getI64IntegerAttr(1));
      context = LLVM::AllocaOp::create(builder, loc, ptr, contextType, count);
    }
    builder.setInsertionPoint(loop);
    for (auto [index, value] : llvm::enumerate(passed)) {
      Value stored = value;
      if (stored.getType() != fieldTypes[index])
        stored = UnrealizedConversionCastOp::create(builder, loc,
                                                    fieldTypes[index], stored)
                     .getResult(0);
      Value field = LLVM::GEPOp::create(
          builder, loc, ptr, contextType, context,
          ArrayRef<LLVM::GEPArg>{0, static_cast<int32_t>(index)});
      LLVM::StoreOp::create(builder, loc, stored, field);
    }
    Value function = func::ConstantOp::create(builder, loc, bodyType,
                                              SymbolRefAttr::get(body));
    Value functionPtr =
        UnrealizedConversionCastOp::create(builder, loc, ptr, function)
            .getResult(0);
    Value first = lb0, last = ub0;
    if (!unitStep) {
      Value span = arith::SubIOp::create(builder, loc, ub0, lb0);
      last = arith::CeilDivSIOp::create(builder, loc, span, step0);
      first = arith::ConstantIndexOp::create(builder, loc, 0);
    }
    Value firstI64 = arith::IndexCastOp::create(builder, loc, i64, first);
    Value lastI64 = arith::IndexCastOp::create(builder, loc, i64, last);
    // Work per first-dimension iteration; with an unknown trip count the
    // estimate already counts it as large, so the grain comes out small.
    int64_t trips = getTripCount(lb0, ub0, step0);
    int64_t perIteration =
        std::max<int64_t>(1, work / std::max<int64_t>(1, trips));
    int64_t grain =
        std::max<int64_t>(1, (grainWork + perIteration - 1) / perIteration);
    Value grainValue = arith::ConstantOp::create(
        builder, loc, i64, builder.getI64IntegerAttr(grain));
    func::CallOp::create(
        builder, loc, kParallelFor, TypeRange(),
        ValueRange{functionPtr, context, firstI64, lastI64, grainValue});
    loop.erase();
  }
};

} // namespace
