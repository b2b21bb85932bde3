// Single-record edits (layers/model/feature_edit.hpp): a record's entity tag follows every change
// of its geometry and values and nothing else; If-Match is read and evaluated as RFC 9110 §13.1.1
// says; a merge patch changes the fields it names, null unsetting one, and keeps the rest.
#include "layers/model/feature_edit.hpp"

#include "core/errors.hpp"

#include <gtest/gtest.h>

namespace {

using namespace onemap::layers;

LayerDef def_of_three() {
  LayerDef d;
  d.name = "cams";
  d.id_field = "code";
  for (const char* n : {"code", "status", "height"}) {
    Field f;
    f.name = n;
    d.fields.push_back(f);
  }
  d.fields[2].type = FieldType::Integer;
  return d;
}

Feature camera() {
  Feature f;
  f.fid = 7;
  f.geometry = LonLat{120.1, 30.1};
  f.attributes = {std::string("A1"), std::string("on"), int64_t{3}};
  f.join.grid_code = "330521001001001";
  return f;
}

TEST(FeatureEtag, ChangesWithTheGeometryAndEveryValueAndWithNothingElse) {
  const Feature f = camera();
  const std::string tag = etag_of(f);
  EXPECT_EQ(tag.front(), '"');
  EXPECT_EQ(tag.back(), '"');
  Feature same = f;
  same.fid = 8;
  same.join.grid_code = "other";   // the join follows from the grids: not the record's state
  same.attributes.emplace_back();  // a field added since: null, as same_content says
  EXPECT_EQ(etag_of(same), tag);
  Feature moved = f;
  moved.geometry = LonLat{120.1, 30.1000001};
  EXPECT_NE(etag_of(moved), tag);
  Feature retyped = f;
  retyped.attributes[2] = 3.0;  // the same number, another type
  EXPECT_NE(etag_of(retyped), tag);
  Feature emptied = f;
  emptied.attributes[1] = std::monostate{};
  EXPECT_NE(etag_of(emptied), tag);
  Feature shifted = f;  // "on" + "" and "o" + "n" must differ
  shifted.attributes[0] = std::string("A1o");
  shifted.attributes[1] = std::string("n");
  EXPECT_NE(etag_of(shifted), tag);
}

TEST(IfMatch, StarListsAndWeakTagsAsRfc9110Says) {
  const std::string current = "\"abc\"";
  EXPECT_TRUE(parse_if_match("*").matches(&current));
  EXPECT_FALSE(parse_if_match("*").matches(nullptr)) << "no record: nothing matches";
  EXPECT_TRUE(parse_if_match("\"x\", \"abc\"").matches(&current));
  EXPECT_FALSE(parse_if_match("\"x\"").matches(&current));
  EXPECT_FALSE(parse_if_match("W/\"abc\"").matches(&current)) << "strong comparison";
  for (const char* bad : {"abc", "\"a\"b\"", "\"abc", "", "\"a\",,"})
    EXPECT_THROW(parse_if_match(bad), onemap::InvalidArgument) << bad;
}

TEST(MergePatch, NamedFieldsChangeNullUnsetsTheRestStays) {
  const LayerDef def = def_of_three();
  const Feature current = camera();
  FeatureEdit edit;
  edit.action = EditAction::Update;
  edit.feature.geometry = LonLat{0, 0};
  edit.feature.attributes = {std::monostate{}, std::monostate{}, int64_t{9}};
  edit.patched = {"height", "status"};
  const Feature out = merge_patch(def, current, edit);
  EXPECT_EQ(out.attributes[0], current.attributes[0]);
  EXPECT_EQ(out.attributes[1], AttributeValue{});
  EXPECT_EQ(out.attributes[2], AttributeValue{int64_t{9}});
  EXPECT_TRUE(same_geometry(out.geometry, current.geometry)) << "a patch without a geometry";
  EXPECT_EQ(out.join.grid_code, current.join.grid_code);
  edit.patches_geometry = true;
  EXPECT_TRUE(same_geometry(merge_patch(def, current, edit).geometry, LonLat{0, 0}));
  edit.patched = {"colour"};
  EXPECT_THROW(merge_patch(def, current, edit), onemap::InvalidArgument);
  EXPECT_EQ(changed_fields(def, &current, out), (std::vector<std::string>{"status", "height"}));
  EXPECT_EQ(changed_fields(def, nullptr, out), (std::vector<std::string>{"code", "height"}));
}

}  // namespace
