//===- ParallelLoopsDifferentialTest.cpp - generated loops on threads -----===//
//
// Ops whose loops are large enough for mlopt-parallelize-loops (elementwise
// chains with broadcasting, row softmax and layer norm, a bias gradient
// summed over the batch, an Adam-like update) are compiled with
// parallel-loops on and off. The parallel code must call mlopt_parallel_for,
// agree with the reference evaluator (f32 tolerance 1e-5 + 1e-4 |ref|: rows
// are summed in f32), and give bit-identical results on 1, 2 and 4 threads
// and to the serial lowering: threads split only parallel dimensions, so
// every element is computed by the same instructions in the same order.
//
//===----------------------------------------------------------------------===//

#include "CompiledTestFixture.h"

#include "mlopt/Dialect/MLOpt/IR/MLOpt.h"
#include "mlopt/Reference/Evaluator.h"
#include "mlopt/Runtime/CpuExecutable.h"
#include "mlopt/Runtime/ThreadPool.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <random>

using namespace mlir;
using namespace mlir::mlopt;
using namespace mlir::mlopt::runtime;
using reference::Tensor;
using testutil::CompiledTest;
using testutil::hostElement;
using testutil::toHost;

namespace {

constexpr const char *kModule = R"mlir(
  func.func @bias_gelu(%x: tensor<256x1024xf32>, %b: tensor<1024xf32>) -> tensor<256x1024xf32> {
    %y = mlopt.add %x, %b : (tensor<256x1024xf32>, tensor<1024xf32>) -> tensor<256x1024xf32>
    %g = mlopt.gelu %y : tensor<256x1024xf32>
    %z = mlopt.mul %g, %x : (tensor<256x1024xf32>, tensor<256x1024xf32>) -> tensor<256x1024xf32>
    return %z : tensor<256x1024xf32>
  }
  func.func @softmax(%x: tensor<16x64x128xf32>) -> tensor<16x64x128xf32> {
    %y = mlopt.softmax %x dim = -1 : tensor<16x64x128xf32>
    return %y : tensor<16x64x128xf32>
  }
  func.func @layer_norm(%x: tensor<16x128x256xf32>, %w: tensor<256xf32>, %b: tensor<256xf32>) -> tensor<16x128x256xf32> {
    %y = mlopt.layer_norm %x weight %w bias %b : (tensor<16x128x256xf32>, tensor<256xf32>, tensor<256xf32>) -> tensor<16x128x256xf32>
    return %y : tensor<16x128x256xf32>
  }
  func.func @bias_grad(%g: tensor<2048x256xf32>) -> tensor<256xf32> {
    %s = mlopt.sum %g dims = [0] : tensor<2048x256xf32> -> tensor<256xf32>
    return %s : tensor<256xf32>
  }
  func.func @adam_like(%p: tensor<1000x263xf32>, %g: tensor<1000x263xf32>, %m: tensor<1000x263xf32>, %v: tensor<1000x263xf32>) -> (tensor<1000x263xf32>, tensor<1000x263xf32>, tensor<1000x263xf32>) {
    %b1 = mlopt.constant dense<0.9> : tensor<f32>
    %c1 = mlopt.constant dense<0.1> : tensor<f32>
    %b2 = mlopt.constant dense<0.999> : tensor<f32>
    %c2 = mlopt.constant dense<0.001> : tensor<f32>
    %lr = mlopt.constant dense<0.001> : tensor<f32>
    %eps = mlopt.constant dense<1.0e-8> : tensor<f32>
    %m1 = mlopt.mul %m, %b1 : (tensor<1000x263xf32>, tensor<f32>) -> tensor<1000x263xf32>
    %m2 = mlopt.mul %g, %c1 : (tensor<1000x263xf32>, tensor<f32>) -> tensor<1000x263xf32>
    %mn = mlopt.add %m1, %m2 : (tensor<1000x263xf32>, tensor<1000x263xf32>) -> tensor<1000x263xf32>
    %gg = mlopt.mul %g, %g : (tensor<1000x263xf32>, tensor<1000x263xf32>) -> tensor<1000x263xf32>
    %v1 = mlopt.mul %v, %b2 : (tensor<1000x263xf32>, tensor<f32>) -> tensor<1000x263xf32>
    %v2 = mlopt.mul %gg, %c2 : (tensor<1000x263xf32>, tensor<f32>) -> tensor<1000x263xf32>
    %vn = mlopt.add %v1, %v2 : (tensor<1000x263xf32>, tensor<1000x263xf32>) -> tensor<1000x263xf32>
    %sq = mlopt.sqrt %vn : tensor<1000x263xf32>
    %den = mlopt.add %sq, %eps : (tensor<1000x263xf32>, tensor<f32>) -> tensor<1000x263xf32>
    %q = mlopt.div %mn, %den : (tensor<1000x263xf32>, tensor<1000x263xf32>) -> tensor<1000x263xf32>
    %u = mlopt.mul %q, %lr : (tensor<1000x263xf32>, tensor<f32>) -> tensor<1000x263xf32>
    %pn = mlopt.sub %p, %u : tensor<1000x263xf32>
    return %pn, %mn, %vn : tensor<1000x263xf32>, tensor<1000x263xf32>, tensor<1000x263xf32>
  }
  func.func @relu_mask(%x: tensor<524288xf32>) -> (tensor<524288xf32>, tensor<524288xi1>) {
    %r = mlopt.relu %x : tensor<524288xf32>
    %z = mlopt.constant dense<0.0> : tensor<f32>
    %k = mlopt.compare gt, %x, %z : (tensor<524288xf32>, tensor<f32>) -> tensor<524288xi1>
    return %r, %k : tensor<524288xf32>, tensor<524288xi1>
  }
)mlir";

class ParallelLoopsDifferentialTest : public CompiledTest<> {
protected:
  ParallelLoopsDifferentialTest()
      : CompiledTest("mlopt-parallel-loops-differential") {}

  void TearDown() override {
    setNumThreads(0);
    CompiledTest::TearDown();
  }

  std::unique_ptr<CpuExecutable> compileWith(ModuleOp module,
                                             bool parallelLoops) {
    CpuCompileOptions options;
    options.parallelLoops = parallelLoops;
    return compile(module, options);
  }

  /// The functions of the lowered module that loops were outlined into
  /// (mlopt-parallelize-loops names them <caller>_parallel<N>), and the
  /// calls of mlopt_parallel_for.
  std::pair<llvm::StringMap<int>, int> countParallelLoops(ModuleOp module) {
    OwningOpRef<ModuleOp> clone(module.clone());
    PassManager pm(&context, ModuleOp::getOperationName());
    EXPECT_FALSE(static_cast<bool>(buildCpuLowering(pm, {})));
    EXPECT_TRUE(succeeded(pm.run(*clone))) << messages;
    llvm::StringMap<int> outlined;
    int calls = 0;
    clone->walk([&](Operation *op) {
      if (auto func = dyn_cast<LLVM::LLVMFuncOp>(op)) {
        llvm::StringRef name = func.getSymName();
        size_t at = name.rfind("_parallel");
        if (at != llvm::StringRef::npos)
          ++outlined[name.take_front(at)];
      } else if (auto call = dyn_cast<LLVM::CallOp>(op)) {
        if (call.getCallee() == "mlopt_parallel_for")
          ++calls;
      }
    });
    return {outlined, calls};
  }

  static bool sameBits(const HostBuffer &a, const HostBuffer &b) {
    return a.getType() == b.getType() && a.getNumBytes() == b.getNumBytes() &&
           std::memcmp(a.data(), b.data(), a.getNumBytes()) == 0;
  }

  std::mt19937_64 rng{20261202};
};

TEST_F(ParallelLoopsDifferentialTest, ThreadsAgreeBitForBit) {
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(kModule, &context);
  ASSERT_TRUE(module);

  std::unique_ptr<CpuExecutable> parallel = compileWith(*module, true);
  std::unique_ptr<CpuExecutable> serial = compileWith(*module, false);
  ASSERT_TRUE(parallel && serial);

  // The test is about threads only if the loops were dispatched: every
  // function but the bias gradient (its outer dimension is the batch
  // reduction, see docs/CpuPerformance.md) has outlined loops. (After
  // compile(), which registers the bufferization models the pipeline needs.)
  auto [outlined, calls] = countParallelLoops(*module);
  EXPECT_GE(calls, 5);
  for (const char *name :
       {"bias_gelu", "softmax", "layer_norm", "adam_like", "relu_mask"})
    EXPECT_GE(outlined.lookup(name), 1) << name;
  EXPECT_EQ(outlined.lookup("bias_grad"), 0);
  reference::Evaluator evaluator(*module);
  for (auto func : module->getOps<func::FuncOp>()) {
    llvm::StringRef name = func.getSymName();
    SCOPED_TRACE(name.str());
    std::vector<Tensor> args;
    std::vector<HostBuffer> hostArgs;
    for (Type type : func.getArgumentTypes()) {
      // Positive: the Adam-like update takes square roots.
      args.push_back(testutil::randomTensor(cast<RankedTensorType>(type),
                                            {0.1, 2.0}, rng));
      hostArgs.push_back(toHost(args.back()));
    }
    std::vector<const HostBuffer *> pointers;
    for (HostBuffer &arg : hostArgs)
      pointers.push_back(&arg);

    auto serialResults = serial->call(name, pointers);
    ASSERT_TRUE(static_cast<bool>(serialResults))
        << llvm::toString(serialResults.takeError());
    std::vector<std::vector<HostBuffer>> byThreads;
    for (int threads : {1, 2, 4}) {
      setNumThreads(threads);
      auto results = parallel->call(name, pointers);
      ASSERT_TRUE(static_cast<bool>(results))
          << llvm::toString(results.takeError());
      byThreads.push_back(std::move(*results));
    }
    setNumThreads(0);
    for (size_t t = 0; t < byThreads.size(); ++t) {
      ASSERT_EQ(byThreads[t].size(), serialResults->size());
      for (size_t i = 0; i < serialResults->size(); ++i)
        EXPECT_TRUE(sameBits(byThreads[t][i], (*serialResults)[i]))
            << "result " << i << " on " << (t == 0 ? 1 : 2 * t)
            << " threads differs from the serial lowering";
    }

    reference::StateMap state;
    auto expected = evaluator.call(name, args, state);
    ASSERT_TRUE(succeeded(expected)) << messages;
    ASSERT_EQ(expected->size(), byThreads[0].size());
    for (size_t i = 0; i < expected->size(); ++i) {
      const Tensor &want = (*expected)[i];
      const HostBuffer &got = byThreads[0][i];
      int64_t mismatches = 0;
      for (int64_t k = 0, e = want.getNumElements(); k < e; ++k) {
        double a = hostElement(got, k), r = want.getAsDouble(k);
        bool ok = want.isFloat()
                      ? std::fabs(a - r) <= 1e-5 + 1e-4 * std::fabs(r)
                      : a == r;
        if (!ok && ++mismatches <= 5)
          ADD_FAILURE() << "result " << i << " element " << k << ": cpu " << a
                        << ", reference " << r;
      }
      EXPECT_EQ(mismatches, 0) << "result " << i;
    }
  }
}

} // namespace
