// Fuzz target: the text rule of request fields (layers/model/text.hpp) and the JSON string escaper
// (core/json_text.hpp). Checked: both UTF-8 validators agree, the repaired and the escaped text
// are valid UTF-8, valid text survives both unchanged, a field that passes the rule is valid
// UTF-8 of at most its length, and the stored-JSON reader never throws.
#include "core/errors.hpp"
#include "core/json_text.hpp"
#include "fuzz/fuzz_check.hpp"
#include "layers/model/text.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace onemap;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view s(reinterpret_cast<const char*>(data), size);

  const bool valid = layers::is_valid_utf8(s);
  FUZZ_CHECK(valid == onemap::is_valid_utf8(s));
  std::size_t chars = 0;
  for (std::size_t i = 0; i < s.size(); ++chars) {
    const std::size_t n = layers::utf8_sequence(s, i);
    if (n == 0) {
      FUZZ_CHECK(!valid);
      ++i;
    } else {
      FUZZ_CHECK(n <= 4 && i + n <= s.size());
      i += n;
    }
  }

  const std::string repaired = layers::to_valid_utf8(s);
  FUZZ_CHECK(layers::is_valid_utf8(repaired));
  if (valid) FUZZ_CHECK(repaired == s);

  std::string escaped;
  append_json_escaped(escaped, s);
  FUZZ_CHECK(onemap::is_valid_utf8(escaped));
  // The escaped text is the inside of a JSON string: it parses, and to the input when that is
  // valid.
  const nlohmann::json parsed = nlohmann::json::parse("\"" + escaped + "\"", nullptr, false);
  FUZZ_CHECK(parsed.is_string());
  if (valid) FUZZ_CHECK(parsed.get<std::string>() == s);

  for (const auto kind : {layers::TextKind::FreeText, layers::TextKind::Name, layers::TextKind::Id,
                          layers::TextKind::Url}) {
    try {
      layers::check_text(s, "field", kind);
      FUZZ_CHECK(valid);
      FUZZ_CHECK(s.find('\0') == std::string_view::npos);
      FUZZ_CHECK(chars <= layers::input_limits().free_text_chars);
    } catch (const InvalidArgument& e) {
      FUZZ_CHECK(e.parameter() == "field");
    }
  }

  // Depth check, then the parse and dump it protects.
  try {
    layers::check_json_depth(s, "body", 16);
    const nlohmann::json j = nlohmann::json::parse(s, nullptr, false);
    if (!j.is_discarded()) FUZZ_CHECK(layers::is_valid_utf8(layers::json_text(j)));
  } catch (const InvalidArgument& e) {
    FUZZ_CHECK(e.parameter() == "body");
  }
  // Text read back from the store, whatever it holds.
  FUZZ_CHECK(layers::is_valid_utf8(layers::json_text(layers::stored_json<nlohmann::json>(s))));
  return 0;
}
