// What the CQL2 tests share: the queryables, and 200 random records (with nulls, edge values and
// points on a 0.25° grid, so that many fall on the zones' edges) that the filters run on.
#pragma once

#include "layers/query/cql2.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace onemap::layers::cql2::test {

using spatial::MultiPolygon;
using spatial::Point;

// 2026-01-01T00:00:00Z (date -d 2026-01-01T00:00:00Z +%s) and the next days.
inline constexpr int64_t D0 = 1767225600;
inline constexpr int64_t kDay = 86400;
inline constexpr int64_t D1 = D0 + kDay, D2 = D0 + 2 * kDay;

inline const std::vector<Queryable> kQueryables = {
    {"name", Type::String},       {"members", Type::Number},        {"ratio", Type::Number},
    {"on_duty", Type::Boolean},   {"reported_at", Type::Timestamp}, {"location", Type::Geometry},
    {"zone", Type::Geometry},     {"category", Type::String},       {"my field", Type::String},
    {"extra:floor", Type::Number}};

/// An axis-aligned rectangle: the zones' shapes, so the oracle needs no geometry library.
struct Rect {
  double minx, miny, maxx, maxy;
};

inline MultiPolygon polygon_of(const Rect& r) {
  spatial::Polygon p;  // counter-clockwise, closed
  p.outer() = {Point(r.minx, r.miny), Point(r.maxx, r.miny), Point(r.maxx, r.maxy),
               Point(r.minx, r.maxy), Point(r.minx, r.miny)};
  return MultiPolygon{p};
}

inline const std::vector<Rect> kZones = {{120, 30, 120.5, 30.5},
                                         {120.5, 30.5, 121.5, 31.5},
                                         {121, 31, 122, 32},
                                         {120.25, 31.25, 120.75, 31.75}};

struct Record {
  std::optional<std::string> name;
  std::optional<double> members;
  std::optional<double> ratio;
  std::optional<bool> on_duty;
  std::optional<int64_t> reported_at;
  std::optional<Point> location;  ///< on a 0.25° grid, so that points fall on edges often
  int zone = -1;                  ///< index in kZones, -1 for null
  std::optional<std::string> category;
  std::optional<std::string> my_field;
  std::optional<double> floor;
};

class Cql2Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    records_.clear();
    zones_.clear();
    for (const Rect& r : kZones) zones_.push_back(polygon_of(r));
    std::mt19937 rng(20260101);
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    auto null = [&] { return pick(8) == 0; };
    const std::vector<std::string> names = {
        "alpha", "Alpha", "ALPHA",  "alpine",   "beta", "it's",      "50%_off", "a_b",
        "axb",   "a\\b",  "网格一", "网格二号", "",     "gamma ray", "delta",   "x"};
    const std::vector<std::string> categories = {"fire", "flood", "noise", "traffic"};
    const int64_t offsets[] = {0, 1, 43200, 45000, 86399};
    for (int i = 0; i < 200; ++i) {
      Record r;
      if (!null()) r.name = names[pick(static_cast<int>(names.size()))];
      if (!null()) r.members = pick(13);
      if (!null()) r.ratio = (pick(41) - 20) * 0.25;
      if (!null()) r.on_duty = pick(2) == 0;
      if (!null())
        r.reported_at = D0 + (pick(5) - 1) * kDay + (pick(2) ? offsets[pick(5)] : pick(86400));
      if (!null()) r.location = Point(120 + 0.25 * pick(9), 30 + 0.25 * pick(9));
      if (!null()) r.zone = pick(static_cast<int>(kZones.size()));
      if (!null()) r.category = categories[pick(4)];
      if (!null()) r.my_field = pick(2) ? "x" : "y";
      if (!null()) r.floor = pick(6);
      records_.push_back(std::move(r));
    }
  }

  /// The value of queryables[i] for a record, as a layer would hand it to the filter.
  static Value value_of(const Record& r, std::size_t i) {
    auto text = [](const std::optional<std::string>& s) {
      return s ? Value(std::string_view(*s)) : Value();
    };
    auto number = [](const std::optional<double>& d) { return d ? Value(*d) : Value(); };
    switch (i) {
      case 0:
        return text(r.name);
      case 1:
        return number(r.members);
      case 2:
        return number(r.ratio);
      case 3:
        return r.on_duty ? Value(*r.on_duty) : Value();
      case 4:
        return r.reported_at ? Value(Timestamp{*r.reported_at}) : Value();
      case 5:
        return r.location ? Value(*r.location) : Value();
      case 6:
        return Value(r.zone < 0 ? nullptr
                                : static_cast<const MultiPolygon*>(
                                      &zones_[static_cast<std::size_t>(r.zone)]));
      case 7:
        return text(r.category);
      case 8:
        return text(r.my_field);
      case 9:
        return number(r.floor);
      default:
        return Value();
    }
  }

  static bool matches(const Filter& f, const Record& r) {
    return f.matches([&](std::size_t i) { return value_of(r, i); });
  }

  static inline std::vector<Record> records_;
  static inline std::vector<MultiPolygon> zones_;
};

}  // namespace onemap::layers::cql2::test
