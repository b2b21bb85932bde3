// core/json_text: the JSON string escaper yields valid JSON and valid UTF-8 for any bytes, and
// keeps valid UTF-8 as it is; is_valid_utf8 agrees with a decoder written from the code point
// ranges of RFC 3629.
#include "core/json_text.hpp"

#include "tests/support/utf8.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <random>
#include <string>

namespace {

std::string escaped(const std::string& s) {
  std::string out = "\"";
  onemap::append_json_escaped(out, s);
  return out + "\"";
}

TEST(JsonText, AgreesWithAnIndependentDecoderOnRandomBytes) {
  std::mt19937 rng(20261206);
  // Bytes drawn mostly from the interesting ranges, so that valid multi-byte sequences occur.
  const unsigned char pool[] = {0x00, 0x1f, 0x22, 0x41, 0x5c, 0x7f, 0x80, 0x8f, 0x90,
                                0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1,
                                0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf4, 0xf5, 0xff};
  int valid = 0;
  for (int t = 0; t < 200000; ++t) {
    std::string s(rng() % 7, '\0');
    for (char& c : s) c = static_cast<char>(pool[rng() % sizeof pool]);
    const bool expect = onemap::testing::reference_utf8_valid(s);
    valid += expect;
    ASSERT_EQ(onemap::is_valid_utf8(s), expect)
        << nlohmann::json(s).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
    const std::string text = escaped(s);
    ASSERT_TRUE(onemap::is_valid_utf8(text));
    nlohmann::json j;
    ASSERT_NO_THROW(j = nlohmann::json::parse(text));
    if (expect) {
      ASSERT_EQ(j.get<std::string>(), s);  // valid text survives whole
    }
  }
  EXPECT_GT(valid, 1000);  // the pool makes valid sequences often enough to test the pass-through
}

TEST(JsonText, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(escaped(std::string("a\"b\\c\n\t\x01\x7f", 9)), "\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\"");
  EXPECT_EQ(escaped(std::string("nul\0here", 8)), "\"nul\\u0000here\"");
}

TEST(JsonText, ReplacesInvalidBytesWithTheReplacementCharacter) {
  EXPECT_EQ(escaped("\xff\xfe"), "\"\xEF\xBF\xBD\xEF\xBF\xBD\"");
  EXPECT_EQ(escaped("\xe4\xb8"), "\"\xEF\xBF\xBD\"");      // a cut-off 3-byte sequence
  EXPECT_EQ(escaped("\xe4\xb8\xad"), "\"\xe4\xb8\xad\"");  // 中 stays
  EXPECT_EQ(escaped("\xed\xa0\x80"), "\"\xEF\xBF\xBD\"");  // a surrogate: one replacement
}

}  // namespace
