// The read policy as configuration (auth/read_policy.hpp): the built-in default is
// data/read_policy.json and says what the README promises; a county's file is checked entry by
// entry; roles map to audiences and scopes as the file says.
#include "auth/read_policy.hpp"

#include "core/errors.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>

namespace {

using json = nlohmann::json;
using onemap::InvalidArgument;
using onemap::auth::Audience;
using onemap::auth::ReadPolicy;
using onemap::layers::LayerKind;

json standard_file() {
  std::ifstream in(std::string(ONEMAP_SOURCE_DIR) + "/data/read_policy.json");
  std::stringstream text;
  text << in.rdbuf();
  return json::parse(text.str());
}

onemap::layers::Actor user(const std::string& role, const std::string& scope = "") {
  onemap::layers::Actor a;
  a.id = "u-" + role;
  a.role = role;
  a.scope = scope;
  return a;
}

// The error of parsing `policy`: its message, or "" when it parses.
std::string error_of(const json& policy) {
  try {
    ReadPolicy::parse(policy.dump(), "county.json");
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "read-policy");
    return e.detail();
  }
  return "";
}

TEST(ReadPolicy, TheBuiltInPolicyIsTheDataFileWithTheSchemasFields) {
  const ReadPolicy& p = ReadPolicy::standard();
  const json file = standard_file();
  for (const auto& [layer, entry] : file["layers"].items()) {
    const LayerKind kind = onemap::layers::layer_from_name(layer);
    const Audience layer_audience = p.layer_audience(kind);
    EXPECT_EQ(onemap::auth::audience_name(layer_audience), entry["audience"].get<std::string>())
        << layer;
    if (entry.contains("fields")) {
      for (const auto& [field, audience] : entry["fields"].items()) {
        EXPECT_EQ(onemap::auth::audience_name(p.field_audience(kind, field)),
                  audience.get<std::string>())
            << layer << "." << field;
      }
    }
    // A field the file leaves out has its schema's audience, never less than its layer's.
    for (const auto& f : onemap::layers::layer_fields(kind)) {
      if (!entry.contains("fields") || !entry["fields"].contains(f.name)) {
        EXPECT_EQ(p.field_audience(kind, f.name), std::max(f.audience, layer_audience))
            << layer << "." << f.name;
      }
    }
    EXPECT_EQ(p.field_audience(kind, "geometry"), layer_audience) << layer;
  }
  EXPECT_EQ(p.field_audience(LayerKind::Incidents, "history"), Audience::Staff);
}

TEST(ReadPolicy, TheDefaultsKeepPersonsAndFreeTextFromThePublic) {
  const ReadPolicy& p = ReadPolicy::standard();
  EXPECT_EQ(p.layer_audience(LayerKind::Workers), Audience::Staff);
  EXPECT_EQ(p.layer_audience(LayerKind::Incidents), Audience::Public);
  for (const char* f : {"description", "assignee", "handler", "dispatch_reason", "history"})
    EXPECT_FALSE(p.reaches(Audience::Public, LayerKind::Incidents, f)) << f;
  EXPECT_TRUE(p.reaches(Audience::Staff, LayerKind::Incidents, "description"));
  EXPECT_FALSE(p.reaches(Audience::Staff, LayerKind::Incidents, "reporter"));
  for (const char* f : {"head_name", "phone", "id_number"})
    EXPECT_EQ(p.field_audience(LayerKind::Households, f), Audience::Personal) << f;
  EXPECT_EQ(p.field_audience(LayerKind::Workers, "name"), Audience::Personal);
  // Every field of the data model that holds a person's identity is personal.
  for (const LayerKind k : onemap::layers::kAllLayers) {
    for (const auto& f : onemap::layers::layer_fields(k)) {
      if (f.personal) {
        EXPECT_EQ(p.field_audience(k, f.name), Audience::Personal) << f.name;
      }
    }
  }
  // A field no entry names (an imported extra attribute) needs staff.
  EXPECT_EQ(p.field_audience(LayerKind::Incidents, "extra"), Audience::Staff);
}

TEST(ReadPolicy, RolesMapToAudiencesAndScopes) {
  const ReadPolicy& p = ReadPolicy::standard();
  const auto anonymous = p.viewer(std::nullopt);
  EXPECT_EQ(anonymous.audience, Audience::Public);
  EXPECT_TRUE(anonymous.anonymous());
  EXPECT_EQ(anonymous.policy, &p);
  const auto centre = p.viewer(user("centre", "330521001"));
  EXPECT_EQ(centre.audience, Audience::Personal);
  EXPECT_EQ(centre.scope, "330521001");
  EXPECT_EQ(centre.at("330521001002"), Audience::Personal);
  EXPECT_EQ(centre.at("330521002001"), Audience::Public);
  EXPECT_EQ(p.viewer(user("admin", "330521001")).scope, "");  // "detail": "county"
  EXPECT_EQ(p.viewer(user("department", "县应急管理局")).scope, "");
  EXPECT_EQ(p.viewer(user("worker", "330521001001001")).audience, Audience::Staff);
  EXPECT_EQ(p.viewer(user("reporter")).audience, Audience::Public);
  EXPECT_EQ(p.viewer(user("feed", "cameras")).audience, Audience::Public);
}

TEST(ReadPolicy, ACountyFileChangesAudiencesAndScopes) {
  json f = standard_file();
  f["roles"]["centre"]["detail"] = "county";
  f["roles"]["department"] = {{"audience", "staff"}, {"detail", "scope"}};
  f["layers"]["incidents"]["fields"]["description"] = "public";
  f["layers"]["enterprises"]["fields"]["ent_id"] = "staff";  // industry not named: the schema's
  f["layers"]["grids"]["audience"] = "staff";
  const ReadPolicy p = ReadPolicy::parse(f.dump(), "county.json");
  EXPECT_EQ(p.viewer(user("centre", "330521001")).scope, "");
  const auto department = p.viewer(user("department", "县应急管理局"));
  EXPECT_EQ(department.scope, "县应急管理局");
  EXPECT_EQ(department.at("330521001001", "县应急管理局"), Audience::Staff);  // its own incidents
  EXPECT_EQ(department.at("330521001001", "县住建局"), Audience::Public);
  // A joint case's other agencies read it as its lead does.
  onemap::layers::Incident joint;
  joint.join.grid_code = "330521001001001";
  joint.agency = "县住建局";
  EXPECT_EQ(onemap::auth::incident_audience(department, joint), Audience::Public);
  joint.co_agencies = "330521001.执法中队,县应急管理局";
  EXPECT_EQ(onemap::auth::incident_audience(department, joint), Audience::Staff);
  joint.co_agencies = "县应急管理局局";  // a code that only starts like its own
  EXPECT_EQ(onemap::auth::incident_audience(department, joint), Audience::Public);
  EXPECT_TRUE(p.reaches(Audience::Public, LayerKind::Incidents, "description"));
  EXPECT_EQ(p.field_audience(LayerKind::Enterprises, "ent_id"), Audience::Staff);
  EXPECT_EQ(p.field_audience(LayerKind::Enterprises, "industry"), Audience::Public);
  EXPECT_EQ(p.field_audience(LayerKind::Incidents, "assignee"), Audience::Staff);
  // A field never needs less than its layer.
  EXPECT_EQ(p.field_audience(LayerKind::Grids, "name"), Audience::Staff);
  // A person's identity the file leaves out is personal.
  f["layers"]["households"]["fields"] = {{"members", "public"}};
  EXPECT_EQ(
      ReadPolicy::parse(f.dump(), "county.json").field_audience(LayerKind::Households, "phone"),
      Audience::Personal);
  // Without a role's entry, its users read what the public does.
  f["roles"].erase("worker");
  EXPECT_EQ(ReadPolicy::parse(f.dump(), "county.json").viewer(user("worker", "330521001")).audience,
            Audience::Public);
}

TEST(ReadPolicy, AWrongEntryIsAnErrorNamingIt) {
  const json good = standard_file();
  EXPECT_EQ(error_of(good), "");
  struct Case {
    json policy;
    std::string names;
  };
  auto with = [&](auto&& edit) {
    json p = good;
    edit(p);
    return p;
  };
  const std::vector<Case> cases = {
      {json::array(), "JSON object"},
      {with([](json& p) { p["extra"] = 1; }), "extra"},
      {with([](json& p) { p.erase("roles"); }), "roles"},
      {with([](json& p) {
         p["roles"]["mayor"] = {{"audience", "staff"}};
       }),
       "roles.mayor"},
      {with([](json& p) { p["roles"]["centre"]["audience"] = "everyone"; }),
       "roles.centre.audience"},
      {with([](json& p) { p["roles"]["centre"]["detail"] = "town"; }), "roles.centre.detail"},
      {with([](json& p) {
         p["roles"]["feed"] = {{"audience", "staff"}};
       }),
       "roles.feed.audience"},
      {with([](json& p) { p["roles"]["centre"].erase("audience"); }), "roles.centre"},
      {with([](json& p) {
         p["layers"]["roads"] = {{"audience", "public"}, {"fields", json::object()}};
       }),
       "layers.roads"},
      {with([](json& p) { p["layers"].erase("workers"); }), "workers is missing"},
      {with([](json& p) { p["layers"]["incidents"]["fields"]["colour"] = "public"; }),
       "layers.incidents.fields.colour"},
      {with([](json& p) { p["layers"]["households"]["fields"]["phone"] = "staff"; }),
       "layers.households.fields.phone"},
      {with([](json& p) { p["layers"]["incidents"]["fields"]["reporter"] = "public"; }),
       "personal information"},
      {with([](json& p) { p["layers"]["grids"]["fields"] = "all"; }), "layers.grids"},
      {with([](json& p) { p["layers"]["grids"]["fields"]["name"] = 3; }),
       "layers.grids.fields.name"},
  };
  for (const Case& c : cases) {
    const std::string e = error_of(c.policy);
    EXPECT_NE(e.find(c.names), std::string::npos) << c.policy.dump().substr(0, 80) << " -> " << e;
    EXPECT_EQ(e.rfind("county.json: ", 0), 0u) << e;
  }
  EXPECT_THROW(ReadPolicy::parse("{\"roles\": ", "county.json"), InvalidArgument);
  EXPECT_THROW(ReadPolicy::parse(std::string(10000, '['), "county.json"), InvalidArgument);
  EXPECT_THROW(ReadPolicy::read("/nonexistent/read_policy.json"), InvalidArgument);
}

}  // namespace
