// Request time budgets (deadline.hpp).
#include "http/deadline.hpp"

#include "core/errors.hpp"

namespace onemap::http {

namespace {
thread_local std::optional<Clock::time_point> t_deadline;
}

void set_deadline(std::optional<Clock::time_point> deadline) {
  t_deadline = deadline;
}

void check_deadline() {
  if (t_deadline && Clock::now() > *t_deadline)
    throw Unavailable(
        "the request ran past its time budget (onemap serve --request-timeout); narrow it or "
        "retry");
}

}  // namespace onemap::http
