// Fork-join loops (parallel.hpp).
#include "core/parallel.hpp"

#include <sched.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <system_error>
#include <thread>
#include <vector>

namespace onemap::core {

std::size_t available_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  // More CPUs than a cpu_set_t holds (1,024): the machine's count is the best guess left.
  return std::max(1u, std::thread::hardware_concurrency());
}

void parallel_chunks(
    std::size_t n, std::size_t chunk, std::size_t max_workers,
    const std::function<void(std::size_t worker, std::size_t begin, std::size_t end)>& fn) {
  chunk = std::max<std::size_t>(chunk, 1);
  const std::size_t chunks = n / chunk + (n % chunk != 0);
  std::size_t workers = std::min(available_cores(), chunks);
  if (max_workers > 0) workers = std::min(workers, max_workers);
  if (workers <= 1) {
    for (std::size_t b = 0; b < n; b += chunk) fn(0, b, b + std::min(chunk, n - b));
    return;
  }
  std::atomic<std::size_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mutex;
  std::exception_ptr first;
  auto run = [&](std::size_t worker) {
    try {
      while (!failed.load(std::memory_order_relaxed)) {
        const std::size_t b = next.fetch_add(chunk, std::memory_order_relaxed);
        if (b >= n) return;
        fn(worker, b, b + std::min(chunk, n - b));
      }
    } catch (...) {
      const std::lock_guard<std::mutex> lock(mutex);
      if (!first) first = std::current_exception();
      failed.store(true, std::memory_order_relaxed);
    }
  };
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (std::size_t w = 1; w < workers; ++w) {
    try {
      pool.emplace_back(run, w);
    } catch (const std::system_error&) {
      break;  // no thread to be had: the workers started (and this one) take every chunk
    }
  }
  run(0);
  for (auto& t : pool) t.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace onemap::core
