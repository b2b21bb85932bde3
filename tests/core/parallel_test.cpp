// core/parallel: every index is visited exactly once, worker numbers stay below the limit, the
// first exception reaches the caller, and available_cores() follows the CPU affinity (a thread
// pinned to one CPU counts one core and runs a loop alone).
#include "core/parallel.hpp"

#include <gtest/gtest.h>
#include <sched.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using onemap::core::available_cores;
using onemap::core::parallel_chunks;
using onemap::core::parallel_for;

TEST(Parallel, EveryIndexExactlyOnce) {
  for (const std::size_t n : {0, 1, 2, 7, 64, 1000, 100'003}) {
    for (const std::size_t chunk : {1, 3, 64, 5000}) {
      for (const std::size_t max_workers : {0, 1, 2, 3}) {
        auto seen = std::make_unique<std::atomic<int>[]>(n + 1);
        std::atomic<bool> worker_ok{true}, chunk_ok{true};
        parallel_chunks(n, chunk, max_workers, [&](std::size_t w, std::size_t b, std::size_t e) {
          if (max_workers > 0 && w >= max_workers) worker_ok = false;
          if (b >= e || e - b > chunk || e > n) chunk_ok = false;
          for (std::size_t i = b; i < e; ++i) ++seen[i];
        });
        for (std::size_t i = 0; i < n; ++i)
          ASSERT_EQ(seen[i].load(), 1) << "n " << n << " chunk " << chunk << " index " << i;
        EXPECT_TRUE(worker_ok) << n << " " << chunk << " " << max_workers;
        EXPECT_TRUE(chunk_ok) << n << " " << chunk << " " << max_workers;
      }
    }
  }
  std::vector<std::atomic<int>> each(12345);
  parallel_for(each.size(), [&](std::size_t i) { ++each[i]; });
  for (const auto& e : each) ASSERT_EQ(e.load(), 1);
}

TEST(Parallel, OneWorkerRunsTheChunksInOrderOnTheCallingThread) {
  std::vector<std::size_t> begins;
  const auto caller = std::this_thread::get_id();
  parallel_chunks(10, 3, 1, [&](std::size_t w, std::size_t b, std::size_t) {
    EXPECT_EQ(w, 0u);
    EXPECT_EQ(std::this_thread::get_id(), caller);
    begins.push_back(b);
  });
  EXPECT_EQ(begins, (std::vector<std::size_t>{0, 3, 6, 9}));
}

TEST(Parallel, TheFirstExceptionReachesTheCaller) {
  for (const std::size_t max_workers : {0, 1, 4}) {
    std::atomic<int> calls{0};
    try {
      parallel_for(100'000, 10, max_workers, [&](std::size_t, std::size_t i) {
        ++calls;
        if (i == 5'000) throw std::runtime_error("at 5000");
      });
      ADD_FAILURE() << "no exception, max_workers " << max_workers;
    } catch (const std::runtime_error& e) {
      EXPECT_STREQ(e.what(), "at 5000");
    }
    EXPECT_LT(calls.load(), 100'000) << "chunks kept starting after the exception";
  }
  // Several failing workers: one of their exceptions, whole.
  EXPECT_THROW(parallel_for(1000, [](std::size_t) { throw std::out_of_range("every one"); }),
               std::out_of_range);
}

TEST(Parallel, AvailableCoresFollowsTheAffinityMask) {
  cpu_set_t mine;
  CPU_ZERO(&mine);
  ASSERT_EQ(sched_getaffinity(0, sizeof mine, &mine), 0);
  EXPECT_EQ(available_cores(), static_cast<std::size_t>(CPU_COUNT(&mine)));
  // A thread of its own pinned to one CPU: the test's other threads keep their mask.
  std::size_t pinned_cores = 0;
  bool alone = true;
  std::thread pinned([&] {
    int cpu = 0;
    while (!CPU_ISSET(cpu, &mine)) ++cpu;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
    pinned_cores = available_cores();
    const auto self = std::this_thread::get_id();
    parallel_chunks(10'000, 1, 0, [&](std::size_t w, std::size_t, std::size_t) {
      if (w != 0 || std::this_thread::get_id() != self) alone = false;
    });
  });
  pinned.join();
  EXPECT_EQ(pinned_cores, 1u);
  EXPECT_TRUE(alone) << "a thread pinned to one CPU started workers";
  EXPECT_EQ(available_cores(), static_cast<std::size_t>(CPU_COUNT(&mine)));
}

}  // namespace
