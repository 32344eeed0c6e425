//===- ThreadPool.cpp - the one pool of threads compiled code runs on -----===//
//
// Helpers wait for work by polling for a while before they sleep: waking a
// sleeping thread took 250 us and more on the 2-CPU VMs, as long as a whole
// GEMM of an MLP layer, and a step's parallel loops follow each other within
// microseconds. They spin for the first 500 us, then yield while they poll,
// so a busy machine's other threads (the caller's own among them) still get
// the CPU.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Runtime/ThreadPool.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <sched.h>
#include <thread>
#include <unistd.h>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MLOPT_CPU_RELAX() _mm_pause()
#else
#define MLOPT_CPU_RELAX() ((void)0)
#endif

using namespace mlir::mlopt::runtime;

namespace {

/// A positive integer from environment variable `name`, or 0.
int readThreadsVariable(const char *name) {
  const char *text = std::getenv(name);
  if (!text || !*text)
    return 0;
  char *end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value <= 0 || value > 4096)
    return 0;
  return static_cast<int>(value);
}

int defaultNumThreads() {
  for (const char *name :
       {"MLOPT_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"})
    if (int value = readThreadsVariable(name))
      return value;
  cpu_set_t cpus;
  if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0)
    return std::max(1, CPU_COUNT(&cpus));
  return std::max(1u, std::thread::hardware_concurrency());
}

std::atomic<int> configuredThreads{0};

/// One parallelFor's chunks, claimed by the threads one at a time.
struct Job {
  llvm::function_ref<void(int64_t, int64_t)> body;
  int64_t count = 0;
  int64_t chunk = 1;
  std::atomic<int64_t> next{0};

  void work() {
    for (int64_t begin; (begin = next.fetch_add(chunk)) < count;)
      body(begin, std::min(count, begin + chunk));
  }
};

class Pool {
public:
  static Pool &get() {
    static Pool *pool = new Pool(); // never destroyed: helpers outlive main
    return *pool;
  }

  /// Runs `job` on the caller and `helpers` helper threads; false when the
  /// pool is busy or belongs to another process (a forked child has none
  /// of its parent's threads), and nothing ran.
  bool run(Job &job, int helpers) {
    // Nested: the thread already runs a body (a mutex it holds must not be
    // locked again).
    if (insideBody || getpid() != owner)
      return false;
    std::unique_lock<std::mutex> busy(runMutex, std::try_to_lock);
    if (!busy.owns_lock())
      return false;
    start(job, helpers);
    insideBody = true;
    job.work();
    insideBody = false;
    finish();
    return true;
  }

private:
  static constexpr std::chrono::microseconds kPoll{1000};
  /// The first half of a poll spins without yielding: where other
  /// processes want the CPU, a yield hands it to one of them for up to a
  /// scheduler tick (milliseconds), and the next job (the other half of a
  /// 0.5 ms GEMM) finds no helper. Measured with a build running beside:
  /// back-to-back 2-tile products took 0.55 ms (the caller did both tiles)
  /// with yields after 200 us, 0.29 ms with 500 us of spinning.
  static constexpr std::chrono::microseconds kSpin{500};

  template <typename Ready>
  static bool poll(Ready ready, std::chrono::microseconds duration) {
    auto start = std::chrono::steady_clock::now();
    auto spinUntil = start + std::min(duration, kSpin);
    auto until = start + duration;
    for (;;) {
      for (int i = 0; i < 16; ++i) {
        if (ready())
          return true;
        MLOPT_CPU_RELAX();
      }
      auto now = std::chrono::steady_clock::now();
      if (now >= until)
        return false;
      if (now >= spinUntil)
        std::this_thread::yield();
    }
  }

  void start(Job &job, int helpers) {
    std::lock_guard<std::mutex> lock(mutex);
    // A new helper waits for the next generation, this job's.
    while (static_cast<int>(threads.size()) < helpers)
      threads.emplace_back([this, index = threads.size(),
                            seen = generation.load()] { loop(index, seen); });
    current = &job;
    wanted = helpers;
    running.store(0);
    generation.fetch_add(1);
    wake.notify_all();
  }

  /// Called when the caller found no chunk left: closes the job to helpers
  /// that have not joined yet (on a busy machine one may wake milliseconds
  /// late; there is nothing left for it) and waits for those that did.
  void finish() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      current = nullptr;
    }
    // The helpers finish at about the time the caller does.
    if (poll([&] { return running.load() == 0; }, kPoll))
      return;
    std::unique_lock<std::mutex> lock(mutex);
    done.wait(lock, [&] { return running.load() == 0; });
  }

  void loop(size_t index, uint64_t seen) {
    insideBody = true;
    for (;;) {
      poll([&] { return generation.load() != seen; }, kPoll);
      // The generation, its job and its helper count are read together
      // under the lock, and a helper joins (counts itself in `running`)
      // there too: the caller closes the job under the same lock and then
      // waits only for the helpers that joined.
      Job *job;
      {
        std::unique_lock<std::mutex> lock(mutex);
        wake.wait(lock, [&] { return generation.load() != seen; });
        seen = generation.load();
        if (!current || static_cast<int>(index) >= wanted)
          continue;
        job = current;
        running.fetch_add(1);
      }
      job->work();
      if (running.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lock(mutex);
        done.notify_one();
      }
    }
  }

  static thread_local bool insideBody;
  const pid_t owner = getpid();
  std::mutex runMutex;
  std::mutex mutex;
  std::condition_variable wake, done;
  std::vector<std::thread> threads;
  Job *current = nullptr;
  int wanted = 0;
  std::atomic<int> running{0};
  std::atomic<uint64_t> generation{0};
};

thread_local bool Pool::insideBody = false;

/// How many chunks each thread gets on average: more than one, so that a
/// thread slowed by other work on its CPU leaves its later chunks to the
/// others.
constexpr int64_t kChunksPerThread = 4;

} // namespace

int mlir::mlopt::runtime::getNumThreads() {
  if (int configured = configuredThreads.load())
    return configured;
  static const int fromEnvironment = defaultNumThreads();
  return fromEnvironment;
}

int mlir::mlopt::runtime::setNumThreads(int n) {
  int previous = getNumThreads();
  configuredThreads.store(std::max(0, n));
  return previous;
}

bool mlir::mlopt::runtime::wouldRunInParallel(int64_t count, int64_t grain) {
  return getNumThreads() > 1 && count > std::max<int64_t>(1, grain);
}

void mlir::mlopt::runtime::parallelFor(
    int64_t count, int64_t grain,
    llvm::function_ref<void(int64_t, int64_t)> body) {
  if (count <= 0)
    return;
  grain = std::max<int64_t>(1, grain);
  int64_t threads = getNumThreads();
  if (threads <= 1 || count <= grain) {
    body(0, count);
    return;
  }
  Job job;
  job.body = body;
  job.count = count;
  job.chunk = std::max(grain, (count + threads * kChunksPerThread - 1) /
                                  (threads * kChunksPerThread));
  int64_t chunks = (count + job.chunk - 1) / job.chunk;
  int helpers = static_cast<int>(std::min(threads, chunks) - 1);
  if (!Pool::get().run(job, helpers))
    body(0, count);
}

extern "C" void mlopt_parallel_for(void (*body)(void *, int64_t, int64_t),
                                   void *context, int64_t begin, int64_t end,
                                   int64_t grain) {
  parallelFor(end - begin, grain, [&](int64_t first, int64_t last) {
    body(context, begin + first, begin + last);
  });
}
