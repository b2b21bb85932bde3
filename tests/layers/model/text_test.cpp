// The request text rule and JSON limits (layers/model/text.hpp): UTF-8 validity against a reference
// decoder on random bytes, the depth scan against the depth of random JSON values, the text rule
// field by field, and stored JSON that never throws.
#include "layers/model/text.hpp"

#include "core/errors.hpp"
#include "tests/support/thrown.hpp"
#include "tests/support/utf8.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <random>

using namespace onemap;
using namespace onemap::layers;
using onemap::testing::refused;

namespace {

std::string encode(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

}  // namespace

TEST(Utf8, AgreesWithAReferenceDecoderOnRandomBytes) {
  std::mt19937_64 rng(7);
  // Bytes drawn mostly from the interesting ranges: lead bytes, continuation bytes, ASCII.
  std::uniform_int_distribution<int> len(0, 12), pick(0, 9), any(0, 255), cont(0x80, 0xBF),
      lead(0xC0, 0xFF);
  std::size_t valid = 0;
  for (int round = 0; round < 200000; ++round) {
    std::string s;
    for (int k = len(rng); k > 0; --k) {
      const int p = pick(rng);
      s += static_cast<char>(p < 3 ? cont(rng) : p < 6 ? lead(rng) : p < 8 ? any(rng) : 'a' + p);
    }
    const bool expected = onemap::testing::reference_utf8_valid(s);
    valid += expected;
    ASSERT_EQ(is_valid_utf8(s), expected) << ::testing::PrintToString(s);
    const std::string fixed = to_valid_utf8(s);
    ASSERT_TRUE(onemap::testing::reference_utf8_valid(fixed));
    if (expected) {
      ASSERT_EQ(fixed, s);
    }
  }
  EXPECT_GT(valid, 1000u);  // both outcomes were exercised
}

TEST(Utf8, EveryScalarValueIsValidAndEverySurrogateIsNot) {
  for (uint32_t cp = 0; cp <= 0x10FFFF; cp += (cp < 0x20000 ? 1 : 97)) {
    const std::string s = encode(cp);
    const bool surrogate = cp >= 0xD800 && cp <= 0xDFFF;
    ASSERT_EQ(is_valid_utf8(s), !surrogate) << cp;
    ASSERT_EQ(utf8_sequence(s, 0), surrogate ? 0 : s.size()) << cp;
  }
  EXPECT_FALSE(is_valid_utf8("\xC0\x80"));          // overlong NUL
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // U+110000
  EXPECT_FALSE(is_valid_utf8("\xFF\xFE"));
  EXPECT_EQ(to_valid_utf8("a\xFF\xFE"), "a\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(TextRule, RefusesBadBytesControlsAndLengthByField) {
  EXPECT_EQ(refused([] { check_text("乱扔垃圾\n第二行\t", "description", TextKind::FreeText); }),
            "(none)");
  EXPECT_EQ(
      refused([] { check_text(std::string("ab\0cd", 5), "description", TextKind::FreeText); }),
      "description");
  EXPECT_EQ(refused([] { check_text("a\nb", "name", TextKind::Name); }), "name");
  EXPECT_EQ(refused([] { check_text("a\x7F", "id", TextKind::Id); }), "id");
  EXPECT_EQ(refused([] { check_text("\xC2\x85", "id", TextKind::Id); }),
            "id");  // U+0085, a C1 control
  EXPECT_EQ(refused([] { check_text("\xFF\xFE", "description", TextKind::FreeText); }),
            "description");
  // Lengths count characters, not bytes: 4,000 Chinese characters are 12,000 bytes and fit.
  std::string zh;
  for (int i = 0; i < 4000; ++i) zh += "事";
  EXPECT_EQ(refused([&] { check_text(zh, "description", TextKind::FreeText); }), "(none)");
  EXPECT_EQ(refused([&] { check_text(zh + "事", "description", TextKind::FreeText); }),
            "description");
  EXPECT_EQ(
      refused([] { check_text(std::string(300 * 1024, 'x'), "description", TextKind::FreeText); }),
      "description");
  EXPECT_EQ(refused([] { check_text(std::string(200, 'x'), "name", TextKind::Name); }), "(none)");
  EXPECT_EQ(refused([] { check_text(std::string(201, 'x'), "name", TextKind::Name); }), "name");
  EXPECT_EQ(refused([] { check_text(std::string(64, 'x'), "hh_id", TextKind::Id); }), "(none)");
  EXPECT_EQ(refused([] { check_text(std::string(65, 'x'), "hh_id", TextKind::Id); }), "hh_id");
  // The limits are configuration.
  const InputLimits saved = input_limits();
  InputLimits small = saved;
  small.id_chars = 3;
  set_input_limits(small);
  EXPECT_EQ(refused([] { check_text("abcd", "hh_id", TextKind::Id); }), "hh_id");
  set_input_limits(saved);
}

TEST(JsonDepth, AgreesWithTheDepthOfRandomValues) {
  std::mt19937_64 rng(11);
  std::uniform_int_distribution<int> pick(0, 9);
  // A random value whose deepest branch has `depth` nested arrays and objects; strings hold
  // brackets and escaped quotes so that the scan must skip them.
  auto make = [&](auto& self, int depth) -> nlohmann::json {
    if (depth == 0) return pick(rng) < 5 ? nlohmann::json("[{\\\"]}") : nlohmann::json(pick(rng));
    nlohmann::json children = nlohmann::json::array();
    children.push_back(self(self, depth - 1));
    for (int k = pick(rng) % 3; k > 0; --k) children.push_back(self(self, pick(rng) % depth));
    std::shuffle(children.begin(), children.end(), rng);
    if (pick(rng) < 5) return children;
    nlohmann::json o = nlohmann::json::object();
    for (std::size_t k = 0; k < children.size(); ++k)
      o["k{" + std::to_string(k) + "\"["] = children[k];
    return o;
  };
  for (int round = 0; round < 300; ++round) {
    const int depth = 1 + static_cast<int>(rng() % 12);
    const std::string text = make(make, depth).dump();
    EXPECT_EQ(refused([&] { check_json_depth(text, "body", depth); }), "(none)") << text;
    EXPECT_EQ(refused([&] { check_json_depth(text, "body", depth - 1); }), "body") << text;
  }
  // The hostile case: 100,000 levels, refused by a scan and not a recursion.
  EXPECT_EQ(refused([] { check_json_depth(std::string(100000, '['), "body"); }), "body");
  EXPECT_EQ(refused([] { check_json_depth(std::string(64, '[') + std::string(64, ']'), "body"); }),
            "(none)");
  EXPECT_EQ(refused([] { check_json_depth(std::string(65, '{'), "body"); }), "body");
}

TEST(StoredJson, NeverThrowsAndAlwaysWritesValidText) {
  using json = nlohmann::ordered_json;
  EXPECT_TRUE(stored_json<json>("").is_null());
  EXPECT_EQ(stored_json<json>(R"({"text":"ok"})")["text"], "ok");
  // Bad bytes inside a string: parsed with U+FFFD in their place.
  const json bad = stored_json<json>("{\"text\":\"a\xFF\xFE\"}");
  ASSERT_TRUE(bad.is_object());
  EXPECT_EQ(bad["text"], "a\xEF\xBF\xBD\xEF\xBF\xBD");
  // Truncated and too deep: the text itself, as a string.
  EXPECT_TRUE(stored_json<json>("{\"text\":").is_string());
  EXPECT_TRUE(stored_json<json>(std::string(100000, '[')).is_string());
  // Any bytes in a value: json_text replaces them instead of throwing.
  json j = {{"description", std::string("x\xFF\xFE\0y", 5)}};
  const std::string text = json_text(j);
  EXPECT_TRUE(is_valid_utf8(text));
  EXPECT_EQ(json::parse(text)["description"], std::string("x\xEF\xBF\xBD\xEF\xBF\xBD\0y", 9));
}
