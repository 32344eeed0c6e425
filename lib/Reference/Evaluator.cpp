//===- Evaluator.cpp - driver, state and calls of the reference evaluator -===//

#include "Kernels.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::reference;

Evaluator::Evaluator(ModuleOp module) : module(module) {}

/// The ops that touch state or attributes rather than computing from their
/// operands alone.
static KernelResult evaluateStateOp(Operation *op,
                                    ArrayRef<const Tensor *> operands,
                                    StateMap &state) {
  return llvm::TypeSwitch<Operation *, KernelResult>(op)
      .Case([&](StateReadOp read) -> FailureOr<Tensor> {
        StringRef name = read.getState();
        auto it = state.find(name.str());
        if (it == state.end() || !it->second)
          return read.emitOpError("reads state '")
                 << name << "', which has no value";
        if (it->second.getType() != read.getType())
          return read.emitOpError("reads state '")
                 << name << "' of type " << read.getType()
                 << ", but it holds a value of type " << it->second.getType();
        return it->second;
      })
      .Case([&](StateWriteOp write) -> FailureOr<Tensor> {
        state[write.getState().str()] = *operands[0];
        // No result; the caller binds nothing for a null tensor.
        return Tensor();
      })
      .Case([&](InitialValueOp init) -> FailureOr<Tensor> {
        uint64_t seed = static_cast<uint64_t>(operands[0]->getInts()[0]);
        Tensor value = sampleInitializer(init.getInitializer(), init.getType(),
                                         seed, init.getStream());
        if (!value)
          return init.emitOpError("initializer ")
                 << init.getInitializer()
                 << " is not supported by the reference evaluator for "
                 << init.getType();
        return value;
      })
      .Case([&](ConstantOp constant) -> FailureOr<Tensor> {
        auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
        if (!dense)
          return constant.emitOpError("value ")
                 << constant.getValue()
                 << " is not a DenseElementsAttr, which the reference "
                    "evaluator needs";
        return Tensor::fromAttr(dense);
      })
      .Default([](Operation *) { return std::nullopt; });
}

/// A single-result kernel's outcome as one tensor per result (none for a
/// null tensor: an op without results).
static FailureOr<SmallVector<Tensor>> asResults(FailureOr<Tensor> result) {
  if (failed(result))
    return failure();
  SmallVector<Tensor> results;
  if (*result)
    results.push_back(std::move(*result));
  return results;
}

/// Runs `op` through the kernel family that owns it.
static FailureOr<SmallVector<Tensor>>
evaluateOp(Operation *op, ArrayRef<const Tensor *> operands, StateMap &state) {
  for (auto family :
       {evaluateElementwiseOp, evaluateNNOp, evaluateLossOp, evaluateShapeOp}) {
    if (KernelResult result = family(op, operands))
      return asResults(*result);
  }
  for (auto family :
       {evaluateCompressionOp, evaluateQuantOp, evaluateCollectiveOp}) {
    if (KernelResults results = family(op, operands))
      return *results;
  }
  if (KernelResult result = evaluateStateOp(op, operands, state))
    return asResults(*result);
  return op->emitOpError("is not supported by the reference evaluator");
}

FailureOr<SmallVector<Tensor>>
Evaluator::call(StringRef name, ArrayRef<Tensor> args, StateMap &state) {
  // The kernels rely on verified invariants (shapes, types, attributes).
  if (failed(verify(module)))
    return failure();
  auto func = module.lookupSymbol<func::FuncOp>(name);
  if (!func)
    return emitError(module.getLoc(), "no func.func named '")
           << name << "' in the module";
  return callFunction(func, args, state, /*depth=*/0);
}

FailureOr<SmallVector<Tensor>> Evaluator::callFunction(Operation *funcOp,
                                                       ArrayRef<Tensor> args,
                                                       StateMap &state,
                                                       unsigned depth) {
  auto func = cast<func::FuncOp>(funcOp);
  if (depth > kMaxCallDepth)
    return func.emitOpError("call depth exceeds ")
           << kMaxCallDepth << " (recursion?)";
  if (func.isExternal())
    return func.emitOpError("has no body to evaluate");
  ArrayRef<Type> argTypes = func.getArgumentTypes();
  if (args.size() != argTypes.size())
    return func.emitOpError("takes ")
           << argTypes.size() << " arguments, got " << args.size();
  for (auto [index, arg, type] : llvm::enumerate(args, argTypes)) {
    if (arg.getType() != type)
      return func.emitOpError("argument #")
             << index << " has type " << type << ", got a tensor of type "
             << arg.getType();
  }
  Region &body = func.getBody();
  if (!body.hasOneBlock())
    return func.emitOpError("has ")
           << body.getBlocks().size()
           << " blocks; the reference evaluator runs single-block functions";

  llvm::DenseMap<Value, Tensor> values;
  for (auto [blockArg, arg] : llvm::zip(body.getArguments(), args))
    values[blockArg] = arg;

  SmallVector<const Tensor *> operands;
  for (Operation &op : body.front()) {
    operands.clear();
    for (Value operand : op.getOperands()) {
      auto it = values.find(operand);
      if (it == values.end())
        return op.emitOpError("uses a value the evaluator has not computed");
      operands.push_back(&it->second);
    }

    if (isa<func::ReturnOp>(op)) {
      SmallVector<Tensor> results;
      for (const Tensor *operand : operands)
        results.push_back(*operand);
      return results;
    }

    if (auto callOp = dyn_cast<func::CallOp>(op)) {
      auto callee = SymbolTable::lookupNearestSymbolFrom<func::FuncOp>(
          callOp, callOp.getCalleeAttr());
      if (!callee)
        return callOp.emitOpError("calls unknown function ")
               << callOp.getCalleeAttr();
      SmallVector<Tensor> callArgs;
      for (const Tensor *operand : operands)
        callArgs.push_back(*operand);
      FailureOr<SmallVector<Tensor>> results =
          callFunction(callee, callArgs, state, depth + 1);
      // The callee has reported the located error.
      if (failed(results))
        return failure();
      for (auto [result, value] : llvm::zip(callOp.getResults(), *results))
        values[result] = std::move(value);
      continue;
    }

    FailureOr<SmallVector<Tensor>> results = evaluateOp(&op, operands, state);
    if (failed(results))
      return failure();
    // Guards the kernels themselves: a wrong result count or type is an
    // evaluator bug.
    if (results->size() != op.getNumResults())
      return op.emitOpError("reference kernel produced ")
             << results->size() << " values, expected " << op.getNumResults();
    for (auto [result, value] : llvm::zip(op.getResults(), *results)) {
      if (value.getType() != result.getType())
        return op.emitOpError("reference kernel produced a value of type ")
               << value.getType() << ", expected " << result.getType();
      values[result] = std::move(value);
    }
  }
  return func.emitOpError("ends without func.return");
}

LogicalResult Evaluator::initializeState(uint64_t seed, StateMap &state) {
  if (failed(verify(module)))
    return failure();
  for (StateOp stateOp : module.getOps<StateOp>()) {
    StringRef name = stateOp.getSymName();
    Tensor value = sampleInitializer(
        stateOp.getInitializer(), stateOp.getTensorType(), seed, fnv1a64(name));
    if (!value)
      return stateOp.emitOpError("initializer ")
             << stateOp.getInitializer()
             << " is not supported by the reference evaluator for "
             << stateOp.getTensorType();
    state[name.str()] = std::move(value);
  }
  return success();
}
