// Chinese addresses as people write them (a hotline ticket, a petition, an SMS) brought to one
// form, and read into their parts: town (乡镇/街道), village or community (村/社区), road, group
// (组), house number (号). The gazetteer (gazetteer.hpp) matches the parts against the county's
// own places; nothing here knows the county.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onemap::geocode {

/// `text` in the one form the gazetteer compares: full-width letters, digits and signs as ASCII;
/// Chinese numerals before a unit (组, 号, 幢, 单元, 室, 弄) as digits (十二组 → 12组); the
/// synonyms of a unit as the unit (村民小组, 小组, 队 after a number → 组; 栋, 号楼 → 幢; 號, # →
/// 号; 村委会 → 村; 居委会 → 社区); the province, city and county of the address dropped
/// (浙江省湖州市德清县); spaces, punctuation and invalid UTF-8 removed. Idempotent.
std::string normalise(std::string_view text);

/// The code points of a UTF-8 text (invalid bytes skipped).
std::u32string code_points(std::string_view text);
/// The UTF-8 text of code points.
std::string utf8(std::u32string_view text);

/// A number written in Chinese numerals (三, 十二, 二十三, 一百零五, 两) or digits; nullopt for
/// anything else or above 9,999.
std::optional<int> chinese_number(std::u32string_view text);

/// What follows a place's name in an address, read: "3组12号", "英溪路88号", "12号".
struct AddressTail {
  std::optional<int> group;   ///< 组
  std::string road;           ///< the text before a house number that is not a group ("英溪路")
  std::optional<int> number;  ///< 号
};

/// Reads the tail of a normalised address: a group, then a road or nothing, then a house number;
/// what else is there (a building, a room, "附近") is ignored.
AddressTail read_tail(std::u32string_view normalised_tail);

}  // namespace onemap::geocode
