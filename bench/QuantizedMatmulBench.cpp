//===- QuantizedMatmulBench.cpp - int8 against f32 matrix products --------===//
//
// Times the linear layer's product C = A B^T (A: M x K activations, B:
// N x K weights) in f32 with OpenBLAS' cblas_sgemm and in int8 with
// mlopt_qgemm_s8 on each kernel path the CPU has (and oneDNN's int8 gemm
// where the bench was built with it), and prints ms (median) and the ratio
// f32 / int8.
//   mlopt-bench-qmatmul [M N K]...   default: the 1024x1024 linear and the
//                                    Fashion-MNIST MLP's layers, batch 256
// The AVX2 path is timed twice: on A of the full int8 range (VPMADDWD) and
// on A within 128 values (VPMADDUBSW, as with 7-bit activations).
//
//===----------------------------------------------------------------------===//

#include "mlopt/Runtime/CpuKernels.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cblas.h>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#ifdef MLOPT_BENCH_HAVE_DNNL
#include <dnnl.h>
#endif

using namespace mlir::mlopt::runtime;

namespace {

/// The products of one shape, timed in rounds: each round runs every
/// variant (a block of calls), so that the load of the machine, which other
/// processes share, changes all of them alike. Before its timed calls a
/// variant runs alone for 0.1 s: the threads of the library run before
/// (OpenBLAS' spin for about 2^28 cycles after a product) must be asleep,
/// or they take the CPUs from the next one. The figure is the median ms per
/// call over the rounds.
struct Variant {
  std::string name;
  std::function<void()> body;
  int calls = 1;
  std::vector<double> ms;
};

void timeInRounds(std::vector<Variant> &variants, int rounds) {
  using Clock = std::chrono::steady_clock;
  auto seconds = [](Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
  };
  for (int r = 0; r < rounds; ++r)
    for (Variant &variant : variants) {
      auto settle = Clock::now();
      int settleCalls = 0;
      while (seconds(settle) < 0.1 || settleCalls < 2) {
        variant.body();
        ++settleCalls;
      }
      // About 20 ms of calls per round.
      variant.calls = std::clamp(
          static_cast<int>(0.02 * settleCalls / seconds(settle)), 1, 1000);
      auto start = Clock::now();
      for (int i = 0; i < variant.calls; ++i)
        variant.body();
      variant.ms.push_back(1e3 * seconds(start) / variant.calls);
    }
}

double median(std::vector<double> values) {
  std::nth_element(values.begin(), values.begin() + values.size() / 2,
                   values.end());
  return values[values.size() / 2];
}

std::string cpuFeatures() {
  std::string features;
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();
  auto add = [&](const char *name, bool has) {
    if (has)
      features += std::string(features.empty() ? "" : " ") + name;
  };
  add("avx2", __builtin_cpu_supports("avx2"));
  add("fma", __builtin_cpu_supports("fma"));
  add("avx512f", __builtin_cpu_supports("avx512f"));
  add("avx512bw", __builtin_cpu_supports("avx512bw"));
  add("avx512vnni", __builtin_cpu_supports("avx512vnni"));
  add("avxvnni", __builtin_cpu_supports("avxvnni"));
  add("avx512bf16", __builtin_cpu_supports("avx512bf16"));
#endif
  return features.empty() ? "-" : features;
}

struct Shape {
  int64_t m, n, k;
};

} // namespace

int main(int argc, char **argv) {
  std::vector<Shape> shapes;
  for (int i = 1; i + 2 < argc; i += 3)
    shapes.push_back({std::atoll(argv[i]), std::atoll(argv[i + 1]),
                      std::atoll(argv[i + 2])});
  if (shapes.empty())
    shapes = {{256, 1024, 1024}, {256, 256, 784}, {256, 10, 256}};
  for (const Shape &shape : shapes)
    if (shape.m <= 0 || shape.n <= 0 || shape.k <= 0) {
      llvm::errs() << "mlopt-bench-qmatmul: M, N, K must be positive\n";
      return 1;
    }

  const char *coretype = std::getenv("OPENBLAS_CORETYPE");
  llvm::outs() << "CPU features: " << cpuFeatures() << "\n"
               << "int8 paths:";
  for (Int8KernelPath path : availableInt8KernelPaths())
    llvm::outs() << " " << getInt8KernelPathName(path);
  llvm::outs() << " (default "
               << getInt8KernelPathName(getDefaultInt8KernelPath()) << ")\n"
               << "threads: OpenBLAS " << openblas_get_num_threads()
               << " (mlopt_qgemm_s8 uses as many), hardware "
               << std::thread::hardware_concurrency()
               << "; OPENBLAS_CORETYPE=" << (coretype ? coretype : "(unset)")
               << "\n";
#ifdef MLOPT_BENCH_HAVE_DNNL
  const dnnl_version_t *version = dnnl_version();
  const char *ompThreads = std::getenv("OMP_NUM_THREADS");
  llvm::outs() << llvm::formatv("oneDNN {0}.{1}.{2} (OMP_NUM_THREADS={3})\n",
                                version->major, version->minor, version->patch,
                                ompThreads ? ompThreads : "(unset)");
#else
  llvm::outs() << "oneDNN: not built in (no dnnl.h)\n";
#endif
  llvm::outs() << "C = A B^T (linear layer), A activations with zero point "
                  "3, B symmetric weights; median ms\n";

  std::mt19937 rng(1);
  std::uniform_int_distribution<int> dist(-128, 127);
  for (const Shape &shape : shapes) {
    const int64_t m = shape.m, n = shape.n, k = shape.k;
    std::vector<int8_t> a(m * k), b(n * k);
    std::vector<float> af(m * k), bf(n * k), cf(m * n);
    for (int64_t i = 0; i < m * k; ++i)
      af[i] = a[i] = static_cast<int8_t>(dist(rng));
    for (int64_t i = 0; i < n * k; ++i)
      bf[i] = b[i] = static_cast<int8_t>(dist(rng));
    llvm::outs() << llvm::formatv("\nM={0} N={1} K={2}\n", m, n, k);
    std::vector<Variant> variants;
    variants.push_back({"f32 cblas_sgemm", [&] {
                          cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans,
                                      m, n, k, 1.0f, af.data(), k, bf.data(), k,
                                      0.0f, cf.data(), n);
                        }});
    // Each path's result, to check they agree (and oneDNN with them).
    std::vector<std::vector<int32_t>> results;
    results.reserve(8); // result7 points into it
    for (Int8KernelPath path : availableInt8KernelPaths()) {
      // The scalar loops are only a fallback: time them on small products.
      if (path == Int8KernelPath::Scalar && m * n * k > (int64_t(1) << 26))
        continue;
      results.emplace_back(m * n);
      int32_t *out = results.back().data();
      variants.push_back(
          {std::string("int8 mlopt ") + getInt8KernelPathName(path),
           [&, path, out] {
             setInt8KernelPath(path);
             mlopt_qgemm_s8(m, n, k, reinterpret_cast<int64_t>(a.data()), k, 3,
                            reinterpret_cast<int64_t>(b.data()), k, 0, 1,
                            reinterpret_cast<int64_t>(out), n);
           }});
    }
    // The AVX2 path's kernel for A within 128 values (activations quantized
    // to 7 bits), checked against the scalar loops on the same operands.
    std::vector<int8_t> a7(m * k);
    std::vector<int32_t> expected7(m * n);
    bool hasAvx2 = false;
    for (Int8KernelPath path : availableInt8KernelPaths())
      hasAvx2 |= path == Int8KernelPath::Avx2;
    std::vector<int32_t> *result7 = nullptr;
    if (hasAvx2) {
      for (int64_t i = 0; i < m * k; ++i)
        a7[i] = static_cast<int8_t>(a[i] / 2);
      setInt8KernelPath(Int8KernelPath::Scalar);
      mlopt_qgemm_s8(m, n, k, reinterpret_cast<int64_t>(a7.data()), k, 3,
                     reinterpret_cast<int64_t>(b.data()), k, 0, 1,
                     reinterpret_cast<int64_t>(expected7.data()), n);
      results.emplace_back(m * n);
      int32_t *out = results.back().data();
      variants.push_back({"int8 mlopt avx2, 7-bit A", [&, out] {
                            setInt8KernelPath(Int8KernelPath::Avx2);
                            mlopt_qgemm_s8(
                                m, n, k, reinterpret_cast<int64_t>(a7.data()),
                                k, 3, reinterpret_cast<int64_t>(b.data()), k, 0,
                                1, reinterpret_cast<int64_t>(out), n);
                          }});
      result7 = &results.back();
    }
#ifdef MLOPT_BENCH_HAVE_DNNL
    // The same product (s8 x s8, A's zero point), and oneDNN's native
    // u8 x s8 form (A as u8 with zero point 131: the same values).
    std::vector<uint8_t> au(m * k);
    for (int64_t i = 0; i < m * k; ++i)
      au[i] = static_cast<uint8_t>(a[i] + 128);
    const int32_t zeroOffset = 0;
    dnnl_status_t status = dnnl_success;
    results.emplace_back(m * n);
    int32_t *s8Out = results.back().data();
    variants.push_back({"int8 oneDNN s8s8s32", [&, s8Out] {
                          status = dnnl_gemm_s8s8s32(
                              'N', 'T', 'F', m, n, k, 1.0f, a.data(), k, 3,
                              b.data(), k, 0, 0.0f, s8Out, n, &zeroOffset);
                        }});
    results.emplace_back(m * n);
    int32_t *u8Out = results.back().data();
    variants.push_back({"int8 oneDNN u8s8s32", [&, u8Out] {
                          status = dnnl_gemm_u8s8s32(
                              'N', 'T', 'F', m, n, k, 1.0f, au.data(), k, 131,
                              b.data(), k, 0, 0.0f, u8Out, n, &zeroOffset);
                        }});
#endif
    Int8KernelPath saved = getInt8KernelPath();
    timeInRounds(variants, 7);
    setInt8KernelPath(saved);
#ifdef MLOPT_BENCH_HAVE_DNNL
    if (status != dnnl_success) {
      llvm::errs() << "oneDNN gemm failed: " << status << "\n";
      return 1;
    }
#endif
    double f32 = median(variants.front().ms);
    double gops = 2.0 * m * n * k / 1e6;
    for (size_t v = 0; v < variants.size(); ++v) {
      double ms = median(variants[v].ms);
      llvm::outs() << llvm::formatv("  {0,-24} {1,8:f4} ms {2,7:f1} GOP/s",
                                    variants[v].name, ms, gops / ms);
      if (v > 0)
        llvm::outs() << llvm::formatv("   f32/int8 {0,5:f2}x", f32 / ms);
      if (v > 0 && &results[v - 1] == result7) {
        if (*result7 != expected7)
          llvm::outs() << "   DIFFERS from the scalar loops";
      } else if (v > 0 && results[v - 1] != results[0]) {
        llvm::outs() << "   DIFFERS from " << variants[1].name;
      }
      llvm::outs() << "\n";
    }
  }
  return 0;
}
