//===- AllocsToGlobals.cpp - plan an entry point's buffers once -----------===//
//
// A training step must not allocate parameter-sized buffers on every call
// (DESIGN section 2): its static temporaries become module globals.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Conversion/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::mlopt {
#define GEN_PASS_DEF_MLOPTALLOCSTOGLOBALS
#include "mlopt/Conversion/Passes.h.inc"
} // namespace mlir::mlopt

using namespace mlir;

namespace {
struct AllocsToGlobalsPass
    : mlopt::impl::MLOptAllocsToGlobalsBase<AllocsToGlobalsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    for (auto func : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (func.isExternal())
        continue;
      unsigned index = 0;
      // Only allocations in the function's own body run once per call.
      for (Block &block : func.getBody())
        for (auto alloc : llvm::to_vector(block.getOps<memref::AllocOp>())) {
          MemRefType type = alloc.getType();
          if (!type.hasStaticShape() || !type.getLayout().isIdentity() ||
              !alloc.getDynamicSizes().empty() ||
              !alloc.getSymbolOperands().empty())
            continue;
          // A returned buffer must stay distinct from one call to the next.
          if (llvm::any_of(alloc->getUsers(), [](Operation *user) {
                return isa<func::ReturnOp>(user);
              }))
            continue;
          OpBuilder builder(module.getBodyRegion());
          builder.setInsertionPoint(func);
          std::string name = ("__mlopt_buffer_" + func.getSymName() + "_" +
                              llvm::Twine(index++))
                                 .str();
          auto global = memref::GlobalOp::create(
              builder, alloc.getLoc(), name, builder.getStringAttr("private"),
              type, builder.getUnitAttr(), /*constant=*/false,
              alloc.getAlignmentAttr());
          symbols.insert(global);
          builder.setInsertionPoint(alloc);
          auto use = memref::GetGlobalOp::create(builder, alloc.getLoc(), type,
                                                 global.getSymName());
          alloc.replaceAllUsesWith(use.getResult());
          alloc.erase();
        }
    }
  }
};
} // namespace
