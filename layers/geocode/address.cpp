// Addresses to one form, and their tails read (address.hpp).
#include "layers/geocode/address.hpp"

#include "core/json_text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace onemap::geocode {

namespace {

// Signs that separate an address's parts without meaning anything: ASCII and CJK punctuation.
bool separator(char32_t c) {
  if (c <= 0x7F) return c <= 0x20 || (c != '#' && !std::isalnum(static_cast<int>(c)));
  static constexpr std::u32string_view kCjk = U"　，。、；：！？（）【】《》〈〉「」『』“”‘’·…—～";
  return kCjk.find(c) != std::u32string_view::npos;
}

// A full-width form as its ASCII one (U+FF01..U+FF5E), the traditional 號 as 号.
char32_t narrow(char32_t c) {
  if (c >= 0xFF01 && c <= 0xFF5E) c -= 0xFEE0;
  if (c >= 'A' && c <= 'Z') c += 'a' - 'A';
  if (c == U'號') c = U'号';
  return c;
}

void replace_all(std::u32string& s, std::u32string_view from, std::u32string_view to) {
  for (std::size_t at = s.find(from); at != std::u32string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
}

bool numeral(char32_t c) {
  return std::u32string_view(U"零〇一二两三四五六七八九十百千").find(c) !=
         std::u32string_view::npos;
}
bool digit(char32_t c) {
  return c >= '0' && c <= '9';
}

// The units a number of an address stands before.
bool unit_at(std::u32string_view s, std::size_t at) {
  if (at >= s.size()) return false;
  if (std::u32string_view(U"组号幢室弄队栋楼").find(s[at]) != std::u32string_view::npos)
    return true;
  return s.substr(at, 2) == U"单元";
}

// The synonyms of a part of an address, longest first where one holds another.
constexpr std::array<std::pair<std::u32string_view, std::u32string_view>, 10> kSynonyms{{
    {U"社区居委会", U"社区"},
    {U"村民委员会", U"村"},
    {U"居民委员会", U"社区"},
    {U"村委会", U"村"},
    {U"居委会", U"社区"},
    {U"村民小组", U"组"},
    {U"小组", U"组"},
    {U"号楼", U"幢"},
    {U"栋", U"幢"},
    {U"#", U"号"},
}};

// What an address of the county may start with and says nothing the county's places do not.
constexpr std::array<std::u32string_view, 6> kPrefixes{U"中国",   U"浙江省", U"浙江",
                                                       U"湖州市", U"湖州",   U"德清县"};

}  // namespace

std::u32string code_points(std::string_view text) {
  std::u32string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t n = utf8_sequence(text, i);
    if (n == 0) {
      ++i;
      continue;
    }
    const auto b = [&](std::size_t k) { return static_cast<unsigned char>(text[i + k]); };
    char32_t c = 0;
    if (n == 1)
      c = b(0);
    else if (n == 2)
      c = ((b(0) & 0x1Fu) << 6) | (b(1) & 0x3Fu);
    else if (n == 3)
      c = ((b(0) & 0x0Fu) << 12) | ((b(1) & 0x3Fu) << 6) | (b(2) & 0x3Fu);
    else
      c = ((b(0) & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
    out.push_back(c);
    i += n;
  }
  return out;
}

std::string utf8(std::u32string_view text) {
  std::string out;
  out.reserve(text.size() * 3);
  for (char32_t c : text) {
    if (c < 0x80) {
      out += static_cast<char>(c);
    } else if (c < 0x800) {
      out += static_cast<char>(0xC0 | (c >> 6));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else if (c < 0x10000) {
      out += static_cast<char>(0xE0 | (c >> 12));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (c >> 18));
      out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (c & 0x3F));
    }
  }
  return out;
}

std::optional<int> chinese_number(std::u32string_view text) {
  if (text.empty() || text.size() > 8) return std::nullopt;
  if (std::all_of(text.begin(), text.end(), digit)) {
    int v = 0;
    for (char32_t c : text) v = v * 10 + static_cast<int>(c - '0');
    return v <= 9999 ? std::optional<int>(v) : std::nullopt;
  }
  auto value = [](char32_t c) -> int {
    static constexpr std::u32string_view kDigits = U"零一二三四五六七八九";
    if (c == U'〇') return 0;
    if (c == U'两') return 2;
    const std::size_t at = kDigits.find(c);
    return at == std::u32string_view::npos ? -1 : static_cast<int>(at);
  };
  auto magnitude = [](char32_t c) {
    return c == U'十' ? 10 : c == U'百' ? 100 : c == U'千' ? 1000 : 0;
  };
  const bool positional = std::none_of(text.begin(), text.end(), magnitude);
  int total = 0, current = 0, last_magnitude = 10'000;
  for (char32_t c : text) {
    if (const int d = value(c); d >= 0) {
      current = positional ? current * 10 + d : d;
    } else if (const int m = magnitude(c); m > 0) {
      if (m >= last_magnitude) return std::nullopt;          // 十百: not a number
      total += (current == 0 && m == 10 ? 1 : current) * m;  // 十二: ten and two
      current = 0;
      last_magnitude = m;
    } else {
      return std::nullopt;
    }
  }
  total += current;
  return total <= 9999 ? std::optional<int>(total) : std::nullopt;
}

std::string normalise(std::string_view text) {
  std::u32string s;
  for (char32_t c : code_points(text)) {
    c = narrow(c);
    if (!separator(c)) s.push_back(c);
  }
  for (const auto& [from, to] : kSynonyms) replace_all(s, from, to);
  // Numbers before a unit, in Chinese numerals or after 第, as digits.
  std::u32string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    std::size_t start = i + (s[i] == U'第' ? 1 : 0);
    std::size_t end = start;
    while (end < s.size() && (numeral(s[end]) || digit(s[end]))) ++end;
    if (end > start && unit_at(s, end)) {
      if (const auto n = chinese_number(std::u32string_view(s).substr(start, end - start))) {
        const std::string d = std::to_string(*n);
        out.append(d.begin(), d.end());
        // A group called a team (队) is a group.
        out.push_back(s[end] == U'队' ? U'组' : s[end]);
        i = end + 1;
        continue;
      }
    }
    out.push_back(s[i]);
    ++i;
  }
  for (bool dropped = true; dropped;) {
    dropped = false;
    for (std::u32string_view p : kPrefixes)
      if (out.size() > p.size() && std::u32string_view(out).substr(0, p.size()) == p) {
        out.erase(0, p.size());
        dropped = true;
      }
  }
  return utf8(out);
}

AddressTail read_tail(std::u32string_view s) {
  AddressTail tail;
  auto digits_at = [&](std::size_t at) {
    std::size_t end = at;
    while (end < s.size() && digit(s[end])) ++end;
    return end;
  };
  // A group wherever it is: what comes before it (a mistyped 村, "委会") says nothing.
  std::size_t i = 0;
  for (std::size_t j = 0; j < s.size(); ++j) {
    if (!digit(s[j])) continue;
    const std::size_t end = digits_at(j);
    if (end < s.size() && s[end] == U'组') {
      tail.group = chinese_number(s.substr(j, end - j));
      i = end + 1;
      break;
    }
    j = end;
  }
  // The first number after it that is a house number (a unit of 号, or nothing after it).
  for (std::size_t j = i; j < s.size(); ++j) {
    if (!digit(s[j])) continue;
    const std::size_t end = digits_at(j);
    if (end == s.size() || s[end] == U'号') {
      tail.road = utf8(s.substr(i, j - i));
      tail.number = chinese_number(s.substr(j, end - j));
      return tail;
    }
    j = end;
  }
  // No house number: what there is may name a road.
  std::size_t end = i;
  while (end < s.size() && !digit(s[end])) ++end;
  tail.road = utf8(s.substr(i, end - i));
  return tail;
}

}  // namespace onemap::geocode
