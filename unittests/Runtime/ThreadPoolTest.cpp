//===- ThreadPoolTest.cpp - runtime::parallelFor and mlopt_parallel_for ---===//
//
// Every index is run exactly once, in chunks of at least the grain, for
// many counts, grains and thread counts; nested calls, calls from two
// threads at once and calls in a forked child run (inline where the pool
// is not theirs) and still cover everything.
//
//===----------------------------------------------------------------------===//

#include "mlopt/Runtime/ThreadPool.h"
#include "RuntimeTestUtils.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

using namespace mlir::mlopt::runtime;
using mlir::mlopt::runtime::testing::ThreadsGuard;

namespace {

/// Counts how often each index ran and checks the chunks' sizes.
class Coverage {
public:
  Coverage(int64_t count, int64_t grain)
      : count(count), grain(std::max<int64_t>(1, grain)),
        hits(new std::atomic<int>[std::max<int64_t>(1, count)]) {
    for (int64_t i = 0; i < count; ++i)
      hits[i] = 0;
  }

  void record(int64_t begin, int64_t end) {
    if (begin < 0 || end > count || begin >= end)
      badChunks.fetch_add(1);
    // Only the last chunk may be shorter than the grain.
    if (end - begin < grain && end != count)
      badChunks.fetch_add(1);
    for (int64_t i = std::max<int64_t>(0, begin); i < std::min(end, count); ++i)
      hits[i].fetch_add(1);
  }

  /// The number of indices not run exactly once, plus bad chunks.
  int64_t errors() const {
    int64_t wrong = badChunks.load();
    for (int64_t i = 0; i < count; ++i)
      wrong += hits[i].load() != 1;
    return wrong;
  }

private:
  int64_t count, grain;
  std::unique_ptr<std::atomic<int>[]> hits;
  std::atomic<int64_t> badChunks{0};
};

TEST(ThreadPoolTest, CoversEveryIndexOnce) {
  for (int threads : {1, 2, 3, 4, 8}) {
    ThreadsGuard guard(threads);
    for (int64_t count : {0, 1, 2, 3, 7, 64, 1000, 100003})
      for (int64_t grain : {0, 1, 3, 64, 1000, 200000}) {
        Coverage coverage(count, grain);
        parallelFor(count, grain, [&](int64_t begin, int64_t end) {
          coverage.record(begin, end);
        });
        EXPECT_EQ(coverage.errors(), 0) << "threads " << threads << " count "
                                        << count << " grain " << grain;
      }
  }
}

TEST(ThreadPoolTest, UsesAtMostTheThreadsSet) {
  for (int threads : {1, 2, 3}) {
    ThreadsGuard guard(threads);
    EXPECT_EQ(getNumThreads(), threads);
    std::mutex mutex;
    std::set<std::thread::id> seen;
    // Chunks slow enough for the helpers to take some.
    parallelFor(64, 1, [&](int64_t, int64_t) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      std::lock_guard<std::mutex> lock(mutex);
      seen.insert(std::this_thread::get_id());
    });
    EXPECT_GE(seen.size(), 1u);
    EXPECT_LE(seen.size(), static_cast<size_t>(threads));
  }
}

TEST(ThreadPoolTest, SetNumThreadsReturnsThePreviousSetting) {
  int initial = getNumThreads();
  EXPECT_GE(initial, 1);
  EXPECT_EQ(setNumThreads(3), initial);
  EXPECT_EQ(getNumThreads(), 3);
  EXPECT_EQ(setNumThreads(5), 3);
  EXPECT_EQ(getNumThreads(), 5);
  // 0 (or less) goes back to the environment's or the CPUs' number.
  EXPECT_EQ(setNumThreads(0), 5);
  EXPECT_EQ(getNumThreads(), initial);
  EXPECT_EQ(setNumThreads(-2), initial);
  EXPECT_EQ(getNumThreads(), initial);
}

TEST(ThreadPoolTest, WouldRunInParallel) {
  {
    ThreadsGuard guard(1);
    EXPECT_FALSE(wouldRunInParallel(1000, 1));
  }
  ThreadsGuard guard(2);
  EXPECT_TRUE(wouldRunInParallel(1000, 1));
  EXPECT_TRUE(wouldRunInParallel(2, 1));
  EXPECT_FALSE(wouldRunInParallel(1, 1));
  EXPECT_FALSE(wouldRunInParallel(100, 100));
  EXPECT_FALSE(wouldRunInParallel(0, 1));
}

TEST(ThreadPoolTest, NestedCallsRunInline) {
  ThreadsGuard guard(4);
  const int64_t outer = 16, inner = 1000;
  Coverage coverage(outer * inner, 1);
  std::atomic<int> foreignChunks{0};
  parallelFor(outer, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      std::thread::id self = std::this_thread::get_id();
      parallelFor(inner, 1, [&](int64_t b, int64_t e) {
        if (std::this_thread::get_id() != self)
          foreignChunks.fetch_add(1);
        coverage.record(i * inner + b, i * inner + e);
      });
    }
  });
  EXPECT_EQ(foreignChunks.load(), 0);
  // Inline means one chunk of everything: record() checks the indices.
  EXPECT_EQ(coverage.errors(), 0);
}

TEST(ThreadPoolTest, CallsFromTwoThreadsAtOnce) {
  ThreadsGuard guard(2);
  std::atomic<int64_t> errors{0};
  auto caller = [&](int seed) {
    for (int round = 0; round < 200; ++round) {
      int64_t count = 1 + (round * 37 + seed * 11) % 5000;
      int64_t grain = 1 + (round + seed) % 17;
      Coverage coverage(count, grain);
      parallelFor(count, grain, [&](int64_t begin, int64_t end) {
        coverage.record(begin, end);
      });
      errors.fetch_add(coverage.errors());
    }
  };
  std::thread first(caller, 1), second(caller, 2);
  first.join();
  second.join();
  EXPECT_EQ(errors.load(), 0);
}

struct CAbiContext {
  Coverage *coverage;
  int64_t offset;
};

void recordShifted(void *context, int64_t begin, int64_t end) {
  auto *state = static_cast<CAbiContext *>(context);
  state->coverage->record(begin - state->offset, end - state->offset);
}

TEST(ThreadPoolTest, CEntryWithNonZeroBegin) {
  ThreadsGuard guard(2);
  for (int64_t begin : {0, 10, 1000003})
    for (int64_t length : {0, 1, 5, 999}) {
      Coverage coverage(length, 4);
      CAbiContext context{&coverage, begin};
      mlopt_parallel_for(recordShifted, &context, begin, begin + length, 4);
      EXPECT_EQ(coverage.errors(), 0) << begin << " " << length;
    }
  // An empty or reversed range runs nothing.
  Coverage none(0, 1);
  CAbiContext context{&none, 0};
  mlopt_parallel_for(recordShifted, &context, 10, 5, 1);
  EXPECT_EQ(none.errors(), 0);
}

/// Exits with 0 if every chunk of a parallelFor ran on the calling thread
/// and covered the range once.
[[noreturn]] void exitWithInlineCheck() {
  std::thread::id self = std::this_thread::get_id();
  Coverage coverage(10000, 1);
  std::atomic<int> foreign{0};
  parallelFor(10000, 1, [&](int64_t begin, int64_t end) {
    if (std::this_thread::get_id() != self)
      foreign.fetch_add(1);
    coverage.record(begin, end);
  });
  std::exit(coverage.errors() == 0 && foreign.load() == 0 ? 0 : 1);
}

TEST(ThreadPoolDeathTest, ForkedChildRunsInline) {
  // The parent's helpers exist (a parallel call ran); a fork (the fast
  // death-test style) has none of them and must not wait for them.
  GTEST_FLAG_SET(death_test_style, "fast");
  ThreadsGuard guard(2);
  Coverage coverage(10000, 1);
  parallelFor(10000, 1,
              [&](int64_t begin, int64_t end) { coverage.record(begin, end); });
  EXPECT_EQ(coverage.errors(), 0);
  EXPECT_EXIT(exitWithInlineCheck(), ::testing::ExitedWithCode(0), "");
}

} // namespace
