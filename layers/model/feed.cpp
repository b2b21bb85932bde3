// Feeds (feed.hpp): who may be fed, and the pull interval's text.
#include "layers/model/feed.hpp"

#include "core/errors.hpp"

#include <cctype>
#include <charconv>
#include <limits>

namespace onemap::layers {

namespace {

struct Unit {
  char suffix;
  int64_t seconds;
};
constexpr Unit kUnits[] = {{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}};

}  // namespace

void check_feedable(const LayerDef& def) {
  if (def.id_field.empty())
    throw Conflict("the layer " + def.name +
                       " has no id field: a feed matches records by it (a layer is given one "
                       "when it is made: id_field)",
                   "conflict");
}

int64_t parse_interval(std::string_view text) {
  const std::string_view digits =
      !text.empty() && !std::isdigit(static_cast<unsigned char>(text.back()))
          ? text.substr(0, text.size() - 1)
          : text;
  int64_t unit = 1;
  if (digits.size() != text.size()) {
    unit = 0;
    for (const Unit& u : kUnits)
      if (u.suffix == text.back()) unit = u.seconds;
  }
  int64_t n = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  if (unit == 0 || digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
      n < 1 || n > std::numeric_limits<int64_t>::max() / unit / 1000)
    throw InvalidArgument("every",
                          "an interval is a positive number of seconds or of s, m, h or "
                          "d (90s, 10m, 2h, 1d), not '" +
                              std::string(text) + "'");
  return n * unit;
}

std::string format_interval(int64_t seconds) {
  for (const Unit& u : kUnits)
    if (seconds > 0 && seconds % u.seconds == 0)
      return std::to_string(seconds / u.seconds) + u.suffix;
  return std::to_string(seconds) + "s";
}

}  // namespace onemap::layers
