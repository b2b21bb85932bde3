// The layers' schemas: names, the rules every entry must keep, accessors that write what they
// read, and the checks of written values.
#include "layers/model/schema.hpp"

#include "core/errors.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace onemap::layers;

namespace {

// A value of the field's type that is not its record's default, checked by the field.
FieldValue sample(const Field& f) {
  if (!f.values.empty()) return std::string_view(f.values.back());
  switch (f.type) {
    case FieldType::String:
      return f.iso_date ? std::string_view("2026-11-25") : std::string_view("x1");
    case FieldType::Integer:
      return int64_t{f.min > 0 ? static_cast<int64_t>(f.min) + 1 : 7};
    case FieldType::Real:
      return 12.5;
    case FieldType::Boolean:
      return true;
    case FieldType::DateTime:
      return int64_t{1'764'000'000};
  }
  return {};
}

template <class T>
void expect_accessors_round_trip() {
  const Schema<T>& s = schema<T>();
  ASSERT_EQ(s.access.size(), s.fields.size()) << layer_name(s.kind);
  for (std::size_t i = 0; i < s.fields.size(); ++i) {
    const Field& f = s.fields[i];
    const FieldValue v = sample(f);
    EXPECT_NO_THROW(f.check(v)) << f.name;
    T r;
    s.set(r, i, v);
    EXPECT_EQ(s.get(r, i), v) << layer_name(s.kind) << "." << f.name;
    // Setting one field leaves the others as a fresh record has them.
    const T fresh;
    for (std::size_t j = 0; j < s.fields.size(); ++j) {
      if (j != i) {
        EXPECT_EQ(s.get(r, j), s.get(fresh, j)) << f.name << " changed " << s.fields[j].name;
      }
    }
  }
}

}  // namespace

TEST(Schema, EveryLayersFieldsHaveDistinctNamesAndKeepTheRules) {
  for (const LayerKind k : kAllLayers) {
    std::set<std::string> names;
    for (const Field& f : layer_fields(k)) {
      EXPECT_TRUE(names.insert(f.name).second) << layer_name(k) << "." << f.name << " twice";
      EXPECT_NE(f.name, "geometry");
      if (f.personal) {
        // A person's identity: read by the personal audience only, in no filter and no tile.
        EXPECT_EQ(f.audience, Audience::Personal) << f.name;
        EXPECT_FALSE(f.queryable) << f.name;
        EXPECT_FALSE(f.in_tiles()) << f.name;
      }
      EXPECT_EQ(find_field(k, f.name), &f);
    }
  }
  EXPECT_EQ(find_field(LayerKind::Enterprises, "no_such_field"), nullptr);
  EXPECT_TRUE(is_personal(LayerKind::Households, "phone"));
  EXPECT_FALSE(is_personal(LayerKind::Households, "members"));
}

TEST(Schema, AccessorsWriteWhatTheyRead) {
  expect_accessors_round_trip<Grid>();
  expect_accessors_round_trip<Household>();
  expect_accessors_round_trip<Enterprise>();
  expect_accessors_round_trip<Incident>();
  expect_accessors_round_trip<Worker>();
}

TEST(Schema, AccessorsReachTheRecordsMembers) {
  // An independent look at the records: the accessors read the members they are named after.
  Enterprise e;
  e.id = "E1";
  e.open_hazards = 3;
  e.risk = RiskLevel::Major;
  e.join.grid_code = "330521001001001";
  const auto& s = schema<Enterprise>();
  EXPECT_EQ(s.get(e, s.index("ent_id")), FieldValue(std::string_view("E1")));
  EXPECT_EQ(s.get(e, s.index("open_hazards")), FieldValue(int64_t{3}));
  EXPECT_EQ(s.get(e, s.index("risk")), FieldValue(std::string_view("major")));
  EXPECT_EQ(s.get(e, s.index("grid_code")), FieldValue(std::string_view("330521001001001")));
  // Risk levels are accepted in every form risk_from_name knows.
  s.set(e, s.index("risk"), std::string_view("较大"));
  EXPECT_EQ(e.risk, RiskLevel::Significant);
}

TEST(Schema, OutputsShowFlagsWithoutTheSensitiveOnesAndTheFirstLevelByName) {
  Household h;
  h.flags = kRental | kLowIncome;
  const auto& hs = schema<Household>();
  EXPECT_EQ(hs.get(h, hs.index("flags")), FieldValue(int64_t{kRental | kLowIncome}));
  EXPECT_EQ(hs.shown(h, hs.index("flags")), FieldValue(int64_t{kRental}));
  Incident i;
  const auto& is = schema<Incident>();
  EXPECT_EQ(is.get(i, is.index("level")), FieldValue(std::string_view("")));
  EXPECT_EQ(is.shown(i, is.index("level")), FieldValue(std::string_view("grid")));
}

TEST(Schema, WrittenValuesAreCheckedNamingTheField) {
  const Field* hazards = find_field(LayerKind::Enterprises, "open_hazards");
  ASSERT_NE(hazards, nullptr);
  EXPECT_NO_THROW(hazards->check(int64_t{0}));
  EXPECT_NO_THROW(hazards->check(FieldValue{}));  // null passes; required is the writer's rule
  try {
    hazards->check(int64_t{-1});
    FAIL() << "a negative count passed";
  } catch (const onemap::InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "open_hazards");
    EXPECT_NE(std::string(e.detail()).find("[0, 1000000]"), std::string::npos) << e.detail();
  }
  EXPECT_THROW(hazards->check(std::string_view("3")), onemap::InvalidArgument);
  const Field* inspected = find_field(LayerKind::Enterprises, "last_inspection");
  EXPECT_NO_THROW(inspected->check(std::string_view("2026-02-28")));
  EXPECT_THROW(inspected->check(std::string_view("2026-02-30")), onemap::InvalidArgument);
  EXPECT_THROW(inspected->check(std::string_view("yesterday")), onemap::InvalidArgument);
  const Field* description = find_field(LayerKind::Incidents, "description");
  EXPECT_NO_THROW(description->check(std::string_view("two\nlines")));
  EXPECT_THROW(description->check(std::string_view("nul\0inside", 10)), onemap::InvalidArgument);
  const Field* members = find_field(LayerKind::Households, "members");
  EXPECT_THROW(members->check(int64_t{1001}), onemap::InvalidArgument);
  EXPECT_THROW(find_field(LayerKind::Enterprises, "hazardous_chemicals")->check(int64_t{1}),
               onemap::InvalidArgument);
}
