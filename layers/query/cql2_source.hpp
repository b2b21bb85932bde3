// What a CQL2 filter's errors need to know of its encoding (CQL2 text or CQL2 JSON): where a part
// of it is, and how it spells a keyword; and the one way a filter's errors are reported. The
// rules a filter follows are shared by both encodings (cql2_builder.hpp), so their messages are
// written once and read in the encoding's own terms.
// Internal to layers/query: include it from nowhere else (cql2.hpp is the interface).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace onemap::layers::cql2::detail {

/// The kind of error a filter over the limits of input_limits() is: its cost is known up front.
inline constexpr std::string_view kTooLarge = "too large";

/// A filter's source, as its error messages name its parts.
class Source {
 public:
  virtual ~Source() = default;
  /// Where the part at `at` is: "position 17" (text, `at` a byte offset) or "#/args/0" (JSON,
  /// `at` an index the JSON parser gave that part).
  virtual std::string where(std::size_t at) const = 0;
  /// A keyword as the encoding writes it, from its CQL2 text spelling (upper case): "S_INTERSECTS"
  /// in text is "s_intersects" in JSON.
  virtual std::string spell(std::string_view keyword) const = 0;
  /// The encoding's time literals, for the message of a temporal function given something else.
  virtual std::string_view time_literals() const = 0;
};

/// Reports an error in a filter: "<kind> at <where>: <what>".
/// @throws TooExpensive (filter) when kind is kTooLarge, InvalidArgument (filter) otherwise.
[[noreturn]] void fail(const Source& source, std::size_t at, std::string_view kind,
                       const std::string& what);

}  // namespace onemap::layers::cql2::detail
