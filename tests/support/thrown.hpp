// What a call throws, as a value a test compares: the exception of a type, or the parameter an
// InvalidArgument names.
#pragma once

#include "core/errors.hpp"

#include <optional>
#include <string>

namespace onemap::testing {

/// The exception of type E that `f` throws, or nullopt when it returns (an exception of another
/// type goes through).
template <class E, class F>
std::optional<E> thrown(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e;
  }
  return std::nullopt;
}

/// The parameter of the InvalidArgument that `f` throws, or "(none)" when it returns.
template <class F>
std::string refused(F&& f) {
  const auto e = thrown<InvalidArgument>(f);
  return e ? e->parameter() : "(none)";
}

}  // namespace onemap::testing
