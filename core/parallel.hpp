// Fork-join loops over an index range, on the cores this process may run on. The one place
// that starts worker threads for a computation (the server's long-lived threads are elsewhere).
#pragma once

#include <cstddef>
#include <functional>

namespace onemap::core {

/// The cores the calling thread may run on: its CPU affinity (sched_getaffinity), at least 1.
/// Not std::thread::hardware_concurrency(), which counts the machine's cores whatever taskset,
/// cgroup cpusets or a container allow.
std::size_t available_cores();

/// Runs fn(worker, begin, end) for consecutive chunks [begin, end) of at most `chunk` items that
/// cover [0, n) once each; the workers take the next chunk in turn. There are at most
/// `max_workers` of them (0: no limit of its own), at most available_cores() and at most one per
/// chunk; `worker` is below max_workers, so a caller can keep scratch per worker. Worker 0 is the
/// calling thread; with one worker every chunk runs there, in order. After an exception no
/// chunk starts, and the first one thrown is rethrown once every worker has stopped.
void parallel_chunks(
    std::size_t n, std::size_t chunk, std::size_t max_workers,
    const std::function<void(std::size_t worker, std::size_t begin, std::size_t end)>& fn);

/// fn(worker, i) for every i in [0, n): parallel_chunks, one index at a time.
template <class F>
void parallel_for(std::size_t n, std::size_t chunk, std::size_t max_workers, F&& fn) {
  parallel_chunks(n, chunk, max_workers, [&](std::size_t worker, std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) fn(worker, i);
  });
}

/// fn(i) for every i in [0, n), each index taken in turn by a worker on every available core
/// (for items of real work each: a polygon to simplify, a tile to build).
template <class F>
void parallel_for(std::size_t n, F&& fn) {
  parallel_chunks(n, 1, 0, [&](std::size_t, std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) fn(i);
  });
}

}  // namespace onemap::core
