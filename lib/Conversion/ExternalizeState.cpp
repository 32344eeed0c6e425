//===- ExternalizeState.cpp - state and results as function arguments ----===//
//
// The runtime owns the state buffers; this pass gives every entry point the
// calling convention (state..., arguments..., results...) and stores the new
// state values into their arguments in destination-passing style, so that
// one-shot bufferization updates the runtime's buffers in place.
//
// It also prepares the function for one-shot bufferization in linear time,
// which upstream's eliminate-empty-tensors does not: that pass runs a whole
// one-shot analysis first, and both analyses are quadratic in the uses of one
// tensor.empty (CSE merges all empties of a type, so every op of a long chain
// writes into the same one: a 4,000-op chain took 5 s in the two). Here the
// op chain computing each stored value writes into its destination directly
// (empty-tensor elimination for this IR: no analysis is needed to replace an
// undefined init), every other tensor.empty gets one use, and no tensor is
// read by more than a few linalg ops: the analysis visits every read of a
// value for each of its reads, so one input read by 1,300 ops of a chain
// (or one gradient read by the updates of 4,000 parameters) is quadratic
// too; further readers read a copy.
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

/// Makes the destination-passing chain that computes `value` write into
/// `dest`: from `value` back through the tied init of each op (an
/// intermediate with one use, so nothing else sees its buffer) to a
/// tensor.empty, whose use becomes `dest`. An empty's contents are
/// undefined, so any tensor may stand for it; one-shot bufferization then
/// computes in `dest`'s buffer, or copies where that would conflict with a
/// later read of `dest`. `dest` is an entry-block argument: it dominates
/// every use. O(length of the chain).
static void computeInDestination(Value value, Value dest) {
  while (auto result = dyn_cast<OpResult>(value)) {
    auto dps = dyn_cast<DestinationStyleOpInterface>(result.getOwner());
    if (!dps || !dps.hasPureTensorSemantics())
      return;
    OpOperand *init = dps.getTiedOpOperand(result);
    if (!init)
      return;
    Value next = init->get();
    if (auto empty = next.getDefiningOp<tensor::EmptyOp>()) {
      if (next.getType() == dest.getType()) {
        init->set(dest);
        if (empty->use_empty())
          empty->erase();
      }
      return;
    }
    if (!next.hasOneUse())
      return;
    value = next;
  }
}

/// Gives every tensor.empty in `func` one use (clones right after it, so
/// they dominate the same ops). One-shot analysis treats the results
/// written into one empty as aliases and checks each write against every
/// use of all of them: a shared empty makes it quadratic. Bufferization
/// allocates each written empty separately either way.
static void splitEmptyTensors(func::FuncOp func) {
  SmallVector<tensor::EmptyOp> empties;
  func.walk([&](tensor::EmptyOp empty) { empties.push_back(empty); });
  OpBuilder builder(func.getContext());
  for (tensor::EmptyOp empty : empties) {
    SmallVector<OpOperand *> uses = llvm::map_to_vector(
        empty->getUses(), [](OpOperand &use) { return &use; });
    if (uses.size() < 2)
      continue;
    builder.setInsertionPointAfter(empty);
    for (OpOperand *use : llvm::drop_begin(uses))
      use->set(builder.clone(*empty)->getResult(0));
  }
}

/// The most linalg ops that read one tensor before the next ones read a
/// copy of it.
static constexpr unsigned kMaxReaders = 16;

/// Bounds the linalg readers of every tensor defined in `func`'s entry
/// block: in program order, each group of kMaxReaders readers after the
/// first reads a copy of the previous group's tensor, made before the
/// group's first reader (a chain of copies, so no tensor gets more than
/// kMaxReaders + 1 uses). Models read a value a handful of times; the copies
/// are for generated IR that reads one tensor thousands of times.
static void boundReaders(func::FuncOp func) {
  Block &entry = func.getBody().front();
  llvm::DenseMap<Operation *, unsigned> order;
  SmallVector<Value> values(entry.getArguments());
  for (Operation &op : entry) {
    order[&op] = order.size();
    llvm::append_range(values, op.getResults());
  }
  OpBuilder builder(func.getContext());
  for (Value value : values) {
    auto type = dyn_cast<RankedTensorType>(value.getType());
    if (!type || !type.hasStaticShape())
      continue;
    // (position of the reader's ancestor in the entry block, the use)
    SmallVector<std::pair<unsigned, OpOperand *>> reads;
    for (OpOperand &use : value.getUses()) {
      auto reader = dyn_cast<linalg::LinalgOp>(use.getOwner());
      if (!reader || !reader.isDpsInput(&use))
        continue;
      if (Operation *ancestor = entry.findAncestorOpInBlock(*reader))
        reads.push_back({order.lookup(ancestor), &use});
    }
    if (reads.size() <= kMaxReaders)
      continue;
    llvm::stable_sort(reads, llvm::less_first());
    Value current = value;
    for (size_t first = kMaxReaders; first < reads.size();
         first += kMaxReaders) {
      Operation *reader = reads[first].second->getOwner();
      builder.setInsertionPoint(entry.findAncestorOpInBlock(*reader));
      Location loc = value.getLoc();
      Value empty = tensor::EmptyOp::create(builder, loc, type.getShape(),
                                            type.getElementType());
      current = linalg::CopyOp::create(builder, loc, TypeRange{type},
                                       ValueRange{current}, ValueRange{empty})
                    .getResult(0);
      size_t last = std::min(first + kMaxReaders, reads.size());
      for (size_t i = first; i < last; ++i)
        reads[i].second->set(current);
    }
  }
}

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
  for (auto [value, dest] : stores) {
    computeInDestination(value, dest);
    bufferization::MaterializeInDestinationOp::create(
        builder, loc, dest.getType(), value, dest);
  }
  boundReaders(func);
  splitEmptyTensors(func);
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
    // For the #llvm.linkage attribute of the c-interface entry points, and
    // the manifest of a module that holds no mlopt op.
    registry.insert<LLVM::LLVMDialect, MLOptDialect>();
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
