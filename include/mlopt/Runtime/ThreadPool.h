//===- ThreadPool.h - the one pool of threads compiled code runs on -*- C++
//-*-//
//
// Every parallel piece of a compiled step runs on these threads: the
// generated loops (mlopt_parallel_for, from mlopt-parallelize-loops), the
// f32 GEMMs (mlopt_sgemm, OpenBLAS kept to one thread per call) and the
// bf16 and int8 kernels. One pool means one set of threads that takes turns
// with itself: OpenBLAS' own threads spin for about 2^28 cycles after each
// call and would fight the generated loops for the cores.
//
//===----------------------------------------------------------------------===//

#ifndef MLOPT_RUNTIME_THREADPOOL_H
#define MLOPT_RUNTIME_THREADPOOL_H

#include "llvm/ADT/STLFunctionalExtras.h"

#include <cstdint>

namespace mlir::mlopt::runtime {

/// The number of threads parallel work uses, the caller's included:
/// setNumThreads' value, else MLOPT_NUM_THREADS, else OMP_NUM_THREADS, else
/// the CPUs this process may run on. At least 1.
int getNumThreads();

/// Sets the number of threads (n <= 0: back to the environment's or the
/// CPUs' number) and returns the previous setting. Not to be called while
/// parallel work runs.
int setNumThreads(int n);

/// Runs body(begin, end) over disjoint chunks that cover [0, count), each
/// of at least `grain` iterations (except the last), on the calling thread
/// and up to getNumThreads() - 1 helpers, and returns when every chunk is
/// done. Threads take the next chunk until none is left, so a CPU busy with
/// other work slows its share only. A call made while the pool is busy (from
/// inside a body, or from another thread) runs every chunk on its caller.
void parallelFor(int64_t count, int64_t grain,
                 llvm::function_ref<void(int64_t begin, int64_t end)> body);

/// Whether parallelFor would use more than one thread for `count`
/// iterations of `grain` (kernels choose their blocking by it).
bool wouldRunInParallel(int64_t count, int64_t grain);

} // namespace mlir::mlopt::runtime

extern "C" {
/// The C entry generated code calls (mlopt-parallelize-loops): runs
/// body(context, b, e) over chunks [b, e) of [begin, end) with parallelFor.
void mlopt_parallel_for(void (*body)(void *context, int64_t begin, int64_t end),
                        void *context, int64_t begin, int64_t end,
                        int64_t grain);
}

#endif // MLOPT_RUNTIME_THREADPOOL_H
