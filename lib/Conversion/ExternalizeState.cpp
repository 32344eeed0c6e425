//===- ExternalizeState.cpp - state and results as function arguments ----===//
//
// The runtime owns the state buffers; this pass gives every entry point the
// calling convention (state..., arguments..., results...) and stores the new
// state values into their arguments in destination-passing style, so that
// one-shot bufferization updates the runtime's buffers in place.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Conversion/Passes.h"
#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/DenseMap.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTEXTERNALIZESTATE
#include "mlopt/Conversion/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;
using namespace mlir::mlopt;

// Not `mlopt.`: the dialect verifies those; no dialect is named mlopt_abi.
static constexpr StringLiteral kStateArgAttrName = "mlopt_abi.state";
static constexpr StringLiteral kResultArgAttrName = "mlopt_abi.result";

/// Rewrites one function; `states` in declaration order.
static LogicalResult externalize(func::FuncOp func, ArrayRef<StateOp> states,
                                 bool cInterface) {
  MLIRContext *ctx = func.getContext();
  Builder b(ctx);
  Block &entry = func.getBody().front();
  // State accesses must be straight-line code of the entry block: their
  // order is the order of the effects.
  WalkResult nested = func.walk([&](Operation *op) {
    if (isa<StateReadOp, StateWriteOp>(op) && op->getBlock() != &entry) {
      op->emitOpError("accesses state inside a nested region or block, which "
                      "mlopt-externalize-state does not support");
      return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (nested.wasInterrupted())
    return failure();
  auto returnOp = dyn_cast<func::ReturnOp>(entry.getTerminator());
  if (!returnOp || func.getBody().getBlocks().size() != 1)
    return func.emitOpError("needs a single-block body ending in func.return "
                            "for mlopt-externalize-state");

  unsigned numStates = states.size();
  unsigned numInputs = func.getNumArguments();
  SmallVector<Type> resultTypes(func.getResultTypes());
  for (Type type : resultTypes)
    if (!isa<RankedTensorType>(type))
      return func.emitOpError("result type ")
             << type << " is not a ranked tensor";

  // The runtime's input buffers are read-only. The model-level markers go:
  // the dialect verifies them against results this pass removes.
  func->removeAttr(MLOptDialect::kLossAttrName);
  for (unsigned i = 0; i < numInputs; ++i) {
    func.removeArgAttr(i, MLOptDialect::kInputAttrName);
    func.removeArgAttr(i, MLOptDialect::kLabelAttrName);
    func.setArgAttr(i, bufferization::BufferizationDialect::kWritableAttrName,
                    b.getBoolAttr(false));
  }

  // State arguments first, then the results as out-arguments.
  SmallVector<unsigned> indices;
  SmallVector<Type> types;
  SmallVector<DictionaryAttr> attrs;
  SmallVector<Location> locs;
  for (StateOp state : llvm::to_vector(states)) {
    indices.push_back(0);
    types.push_back(state.getType());
    attrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
        kStateArgAttrName, b.getStringAttr(state.getSymName()))));
    locs.push_back(state.getLoc());
  }
  for (auto [i, type] : llvm::enumerate(resultTypes)) {
    indices.push_back(numInputs);
    types.push_back(type);
    attrs.push_back(b.getDictionaryAttr(b.getNamedAttr(
        kResultArgAttrName, b.getI64IntegerAttr(static_cast<int64_t>(i)))));
    locs.push_back(returnOp.getLoc());
  }
  if (failed(func.insertArguments(indices, types, attrs, locs)))
    return failure();

  llvm::DenseMap<StringAttr, unsigned> stateIndex;
  SmallVector<Value> current;
  for (unsigned i = 0; i < numStates; ++i) {
    stateIndex[StateOp(states[i]).getSymNameAttr()] = i;
    current.push_back(entry.getArgument(i));
  }
  for (Operation &op : llvm::make_early_inc_range(entry)) {
    if (auto read = dyn_cast<StateReadOp>(op)) {
      auto it = stateIndex.find(read.getStateAttr().getAttr());
      if (it == stateIndex.end())
        return read.emitOpError("reads unknown state ") << read.getStateAttr();
      read.getResult().replaceAllUsesWith(current[it->second]);
      read.erase();
    } else if (auto write = dyn_cast<StateWriteOp>(op)) {
      auto it = stateIndex.find(write.getStateAttr().getAttr());
      if (it == stateIndex.end())
        return write.emitOpError("writes unknown state ")
               << write.getStateAttr();
      current[it->second] = write.getValue();
      write.erase();
    }
  }

  OpBuilder builder(returnOp);
  Location loc = returnOp.getLoc();
  SmallVector<std::pair<Value, Value>> stores; // (value, destination)
  for (unsigned i = 0; i < numStates; ++i) {
    Value arg = entry.getArgument(i);
    if (current[i] != arg)
      stores.push_back({current[i], arg});
  }
  unsigned firstResult = numStates + numInputs;
  for (auto [i, value] : llvm::enumerate(returnOp.getOperands()))
    stores.push_back({value, entry.getArgument(firstResult + i)});
  // A value stored twice (CSE merges identical initializers) gets its own
  // tensor for the second destination before any store: one buffer cannot
  // become two. A fill of a fresh tensor (what zeros/ones/constant
  // initializers lower to) is recomputed per destination; anything else is
  // copied. Recomputing keeps the IR linear for bufferization: N copies of
  // one fill give that fill N readers, and one-shot analysis and empty-tensor
  // elimination then visit all N readers for each of the N writes (4,000
  // zero-initialized states took 17 s there).
  llvm::SmallPtrSet<Value, 8> stored;
  for (auto &[value, dest] : stores) {
    if (stored.insert(value).second)
      continue;
    if (auto fill = value.getDefiningOp<linalg::FillOp>();
        fill && fill.getOutputs()[0].getDefiningOp<tensor::EmptyOp>()) {
      Operation *empty = builder.clone(*fill.getOutputs()[0].getDefiningOp());
      IRMapping mapping;
      mapping.map(fill.getOutputs()[0], empty->getResult(0));
      value = builder.clone(*fill, mapping)->getResult(0);
      continue;
    }
    auto type = cast<RankedTensorType>(value.getType());
    Value empty = tensor::EmptyOp::create(builder, loc, type.getShape(),
                                          type.getElementType());
    value = linalg::CopyOp::create(builder, loc, TypeRange{type},
                                   ValueRange{value}, ValueRange{empty})
                .getResult(0);
  }
  for (auto [value, dest] : stores)
    bufferization::MaterializeInDestinationOp::create(
        builder, loc, dest.getType(), value, dest);
  func::ReturnOp::create(builder, loc);
  returnOp.erase();
  if (cInterface) {
    func->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                  UnitAttr::get(ctx));
    // The runtime calls only the C wrapper. The function itself takes every
    // memref descriptor expanded (5+ scalars per state); as an external
    // symbol it is compiled on its own and called from the wrapper with
    // thousands of arguments, and LLVM's instruction selection is quadratic
    // in the stack-argument stores of one call (400 states: 50 s). Internal
    // and always-inlined into the wrapper (func-to-llvm gives the wrapper
    // the same attribute, so the JIT's packed wrapper inlines it in turn),
    // no call with one argument per state remains.
    func->setAttr("llvm.linkage",
                  LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
    func->setAttr("passthrough",
                  b.getArrayAttr({b.getStringAttr("alwaysinline")}));
  }
  llvm::BitVector allResults(resultTypes.size(), true);
  return func.eraseResults(allResults);
}

namespace {
struct ExternalizeStatePass
    : public mlir::mlopt::impl::MLOptExternalizeStateBase<
          ExternalizeStatePass> {
  using Base::Base;

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    // For the #llvm.linkage attribute of the c-interface entry points.
    registry.insert<LLVM::LLVMDialect>();
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<StateOp> states(module.getOps<StateOp>());
    // The states go: the manifest stays their only record.
    if (!module->hasAttr(MLOptDialect::kManifestAttrName)) {
      FailureOr<ManifestAttr> manifest = buildStateManifest(module);
      if (failed(manifest))
        return signalPassFailure();
      module->setAttr(MLOptDialect::kManifestAttrName, *manifest);
    }
    for (auto func :
         llvm::make_early_inc_range(module.getOps<func::FuncOp>())) {
      if (func.isExternal())
        continue;
      if (func.isPrivate()) {
        WalkResult result = func.walk([](Operation *op) {
          if (isa<StateReadOp, StateWriteOp>(op)) {
            op->emitOpError("accesses state in a private function; only "
                            "public entry points receive state arguments");
            return WalkResult::interrupt();
          }
          return WalkResult::advance();
        });
        if (result.wasInterrupted())
          return signalPassFailure();
        continue;
      }
      if (failed(externalize(func, states, cInterface)))
        return signalPassFailure();
    }
    for (StateOp state : states)
      state.erase();
  }
};
} // namespace
