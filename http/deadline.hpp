// The time budget of the request a thread is working on. The transport sets it before a handler
// runs; long loops (feature queries, statistics) call check_deadline() now and then, so that a
// request past its budget stops with a 503 instead of holding a worker.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

namespace onemap::http {

using Clock = std::chrono::steady_clock;

/// Sets (or clears, with nullopt) the calling thread's deadline.
void set_deadline(std::optional<Clock::time_point> deadline);
/// @throws Unavailable (503) when the calling thread's request is past its deadline.
void check_deadline();

/// check_deadline() once every 1,024 steps of a loop: `step` counts the loop's iterations.
inline void poll_deadline(std::size_t step) {
  if ((step & 1023) == 0) check_deadline();
}

/// Sets the deadline for a scope and clears it after.
class DeadlineScope {
 public:
  explicit DeadlineScope(Clock::time_point deadline) { set_deadline(deadline); }
  ~DeadlineScope() { set_deadline(std::nullopt); }
  DeadlineScope(const DeadlineScope&) = delete;
  DeadlineScope& operator=(const DeadlineScope&) = delete;
};

}  // namespace onemap::http
