//===- Passes.h - mlopt lowering passes and pipelines -----------*- C++ -*-===//

#ifndef MLOPT_CONVERSION_PASSES_H
#define MLOPT_CONVERSION_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::mlopt {

#define GEN_PASS_DECL
#include "mlopt/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "mlopt/Conversion/Passes.h.inc"

/// How `mlopt-lower-to-cpu` runs f32 matmuls.
enum class MatmulMode {
  /// Calls of mlopt_sgemm, served by OpenBLAS.
  Blas,
  /// Tiled and vectorized generated code (mlopt-vectorize-matmuls).
  Vector,
  /// Scalar loops.
  Loops,
};

/// Options of the `mlopt-lower-to-cpu` pipeline.
struct LowerToCPUOptions : public PassPipelineOptions<LowerToCPUOptions> {
  PassOptions::Option<MatmulMode> matmul{
      *this, "matmul", llvm::cl::desc("how f32 matmuls run"),
      llvm::cl::init(MatmulMode::Blas),
      llvm::cl::values(clEnumValN(MatmulMode::Blas, "blas",
                                  "calls of mlopt_sgemm, served by OpenBLAS"),
                       clEnumValN(MatmulMode::Vector, "vector",
                                  "tiled and vectorized generated code"),
                       clEnumValN(MatmulMode::Loops, "loops", "scalar loops"))};
  PassOptions::Option<bool> cInterface{
      *this, "c-interface",
      llvm::cl::desc("give public functions a _mlir_ciface_ wrapper"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("compute f32 (f16, bf16) exp, log, erf, tanh, ... inline "
                     "with polynomials (mlopt-approximate-math) instead of "
                     "calling libm"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> parallelLoops{
      *this, "parallel-loops",
      llvm::cl::desc("lower linalg ops to scf.parallel and run the large "
                     "loops on the runtime's thread pool "
                     "(mlopt-parallelize-loops); off: serial scf.for loops"),
      llvm::cl::init(true)};
};

/// mlopt (after the training-step passes) -> linalg -> fused elementwise ops
/// -> state as arguments -> one-shot bufferization -> loops / BLAS calls ->
/// LLVM dialect, ready for the JIT or mlir-translate.
void buildLowerToCPUPipeline(OpPassManager &pm,
                             const LowerToCPUOptions &options);

/// Registers the `mlopt-lower-to-cpu` pipeline (the passes themselves are
/// registered by the generated registerMLOptConversionPasses()).
void registerMLOptConversionPipelines();

} // namespace mlir::mlopt

#endif // MLOPT_CONVERSION_PASSES_H
