//===- MatmulBench.cpp - f32 matmul throughput of the CPU lowering --------===//
//
// Compiles `mlopt.matmul` of N x N matrices with each matmul mode of
// mlopt-lower-to-cpu and reports GFLOP/s (best of the repetitions).
//   mlopt-bench-matmul [N] [modes...]     e.g. mlopt-bench-matmul 2048 blas
//
//===----------------------------------------------------------------------===//

#include "mlopt/InitAll.h"
#include "mlopt/Runtime/CpuExecutable.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

using namespace mlir;
using namespace mlir::mlopt::runtime;

int main(int argc, char **argv) {
  int64_t n = argc > 1 ? std::atoll(argv[1]) : 2048;
  if (n <= 0) {
    llvm::errs() << "mlopt-bench-matmul: N must be positive\n";
    return 1;
  }
  std::vector<std::string> modes;
  for (int i = 2; i < argc; ++i)
    modes.push_back(argv[i]);
  if (modes.empty())
    modes = {"blas", "loops"};

  DialectRegistry registry;
  mlir::mlopt::registerAllDialects(registry);
  MLIRContext context(registry);
  std::string source =
      llvm::formatv("func.func @mm(%a: tensor<{0}x{0}xf32>, %b: "
                    "tensor<{0}x{0}xf32>) -> tensor<{0}x{0}xf32> {{\n"
                    "  %c = mlopt.matmul %a, %b : (tensor<{0}x{0}xf32>, "
                    "tensor<{0}x{0}xf32>) -> tensor<{0}x{0}xf32>\n"
                    "  return %c : tensor<{0}x{0}xf32>\n}\n",
                    n)
          .str();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  if (!module)
    return 1;

  auto type = RankedTensorType::get({n, n}, Float32Type::get(&context));
  HostBuffer a(type), b(type);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (int64_t i = 0; i < n * n; ++i) {
    a.as<float>()[i] = dist(rng);
    b.as<float>()[i] = dist(rng);
  }
  const char *coretype = std::getenv("OPENBLAS_CORETYPE");
  llvm::outs() << "N = " << n
               << ", OPENBLAS_CORETYPE=" << (coretype ? coretype : "(unset)")
               << "\n";
  for (const std::string &mode : modes) {
    CpuCompileOptions options;
    options.matmul = mode;
    options.useCache = false;
    auto start = std::chrono::steady_clock::now();
    auto exec = CpuExecutable::compile(*module, options);
    if (!exec) {
      llvm::errs() << mode << ": " << llvm::toString(exec.takeError()) << "\n";
      return 1;
    }
    double compileSeconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
            .count();
    double flops = 2.0 * n * n * n;
    int repetitions = flops > 4e9 && mode != "blas" ? 1 : 5;
    double best = 1e300;
    for (int r = 0; r < repetitions; ++r) {
      auto begin = std::chrono::steady_clock::now();
      auto result = (*exec)->call("mm", {&a, &b});
      double seconds = std::chrono::duration<double>(
                           std::chrono::steady_clock::now() - begin)
                           .count();
      if (!result) {
        llvm::errs() << mode << ": " << llvm::toString(result.takeError())
                     << "\n";
        return 1;
      }
      best = std::min(best, seconds);
    }
    llvm::outs() << llvm::formatv(
        "{0,-8} compile {1,6:f2} s   best {2,8:f4} s   {3,8:f1} GFLOP/s\n",
        mode, compileSeconds, best, flops / best / 1e9);
  }
  return 0;
}
