// Request input limits and the text rule (text.hpp).
#include "layers/model/text.hpp"

#include "core/errors.hpp"

#include <cstdio>

namespace onemap::layers {

namespace {

InputLimits& limits() {
  static InputLimits l;
  return l;
}

std::size_t max_chars(TextKind kind) {
  const InputLimits& l = input_limits();
  switch (kind) {
    case TextKind::FreeText:
      return l.free_text_chars;
    case TextKind::Name:
      return l.name_chars;
    case TextKind::Id:
      return l.id_chars;
    case TextKind::Url:
      return l.url_chars;
  }
  return l.id_chars;
}

std::string code_point_text(uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  return buf;
}

}  // namespace

const InputLimits& input_limits() {
  return limits();
}

void set_input_limits(const InputLimits& l) {
  limits() = l;
}

std::string to_valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  return out;
}

void check_text(std::string_view s, const std::string& parameter, TextKind kind) {
  const std::size_t limit = max_chars(kind);
  // A field longer than 4 bytes per character of its limit cannot fit: say so without reading it.
  if (s.size() > 4 * limit)
    throw InvalidArgument(parameter, "is too long: at most " + std::to_string(limit) +
                                         " characters (" + std::to_string(s.size()) +
                                         " bytes given)");
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++chars) {
    const std::size_t n = utf8_sequence(s, i);
    if (n == 0)
      throw InvalidArgument(parameter, "is not valid UTF-8 (byte " + std::to_string(i + 1) +
                                           " of " + std::to_string(s.size()) + ")");
    uint32_t cp = static_cast<unsigned char>(s[i]);
    if (n > 1) {
      cp &= 0xFFu >> (n + 1);
      for (std::size_t k = 1; k < n; ++k)
        cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
    }
    const bool control = cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
    const bool line = cp == '\t' || cp == '\n' || cp == '\r';
    if (control && !(line && kind == TextKind::FreeText))
      throw InvalidArgument(
          parameter,
          "holds a control character (" + code_point_text(cp) + ") at character " +
              std::to_string(chars + 1) +
              (kind == TextKind::FreeText ? " (only tab and line breaks are allowed)" : ""));
    i += n;
  }
  if (chars > limit)
    throw InvalidArgument(parameter, "is too long: at most " + std::to_string(limit) +
                                         " characters (" + std::to_string(chars) + " given)");
}

void check_json_depth(std::string_view json, const std::string& parameter, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth)
        throw InvalidArgument(parameter, "nests arrays and objects deeper than " +
                                             std::to_string(max_depth) + " levels (at byte " +
                                             std::to_string(i + 1) + ")");
    } else if (c == ']' || c == '}') {
      --depth;  // unbalanced brackets are the parser's to report
    }
  }
}

}  // namespace onemap::layers
