// The administrator's endpoints for the county's own layers (layers_admin.hpp).
#include "api/layers_admin.hpp"

#include "api/upload.hpp"

#include "core/errors.hpp"
#include "layers/ingest/import.hpp"
#include "layers/model/text.hpp"

#include <nlohmann/json.hpp>

namespace onemap::api {

namespace {

using json = nlohmann::ordered_json;
using http::Context;
using http::Response;

Response json_answer(int status, const json& body) {
  Response r;
  r.status = status;
  r.body = layers::json_text(body);
  r.set_header("Cache-Control", "no-store");
  return r;
}

json layer_json(const layers::FeatureLayer& l) {
  json j = json::parse(layers::definition_json(l.def));
  j["features"] = l.features.size();
  return j;
}

// The extension GDAL knows a posted layer's format by, from its media type.
std::string source_extension(const Context& c) {
  const std::string type = media_type(c.request);
  if (type == "application/geo+json" || type == "application/json") return ".geojson";
  if (type == "text/csv") return ".csv";
  if (type == "application/zip") return ".zip";
  if (type == "application/geopackage+sqlite3") return ".gpkg";
  throw InvalidArgument("Content-Type",
                        "a layer comes as application/geo+json, text/csv, application/zip (a "
                        "zipped Shapefile) or application/geopackage+sqlite3, not '" +
                            type + "'");
}

std::string parameter(const Context& c, std::string_view name) {
  for (const auto& [k, v] : c.query)
    if (k == name) return v;
  return {};
}

json report_json(const layers::ImportReport& r, const layers::JoinStats& join) {
  json issues = json::array();
  for (const auto& i : r.issues)
    issues.push_back({{"kind", layers::issue_kind_name(i.kind)},
                      {"index", i.index},
                      {"id", i.id},
                      {"reason", i.reason}});
  return {
      {"read", r.read},
      {"loaded", r.loaded},
      {"repaired", r.repaired},
      {"rejected", r.rejected},
      {"source_crs", r.source_crs},
      {"join",
       {{"contained", join.contained}, {"nearest", join.nearest}, {"unassigned", join.unassigned}}},
      {"notes", r.notes},
      {"issues", issues}};
}

Response post_layer(layers::County& county, Context& c) {
  static const char* kKnown[] = {"name",     "title",   "theme",   "geometry",
                                 "id_field", "src_crs", "encoding"};
  for (const auto& [k, v] : c.query)
    if (std::none_of(std::begin(kKnown), std::end(kKnown), [&](const char* n) { return k == n; }))
      throw InvalidArgument(k,
                            "unknown parameter (name, title, theme, geometry, id_field, "
                            "src_crs, encoding)");
  layers::ImportOptions o;
  layers::LayerDef def;
  def.name = parameter(c, "name");
  if (def.name.empty()) throw InvalidArgument("name", "is required: the new layer's name");
  def.title = parameter(c, "title").empty() ? def.name : parameter(c, "title");
  def.theme = parameter(c, "theme");
  def.id_field = parameter(c, "id_field");
  if (const std::string g = parameter(c, "geometry"); !g.empty()) {
    def.geometry = layers::geometry_kind_from_name(g);
    o.geometry_from_source = false;
  }
  // The name and style now (the fields come with the source): a bad name costs no read.
  layers::LayerDef named = def;
  named.id_field.clear();
  layers::check_definition(named);
  {
    auto lock = county.read();
    if (county.feature_layer(def.name))
      throw Conflict("name", "a layer named " + def.name + " exists", "conflict_duplicate");
  }
  o.src_crs = parameter(c, "src_crs");
  o.encoding = parameter(c, "encoding");
  o.new_layer = def;
  const Upload upload(c.request.body, source_extension(c));
  o.source = upload.source();
  std::vector<layers::Grid> grids;
  {
    auto lock = county.read();
    grids = county.data().grids;
  }
  layers::NewLayer l;
  try {
    l = layers::read_new_layer(o, grids);
  } catch (const InvalidArgument& e) {
    throw upload.about_body(e);
  }
  const layers::JoinStats join = county.add_feature_layer(l.def, std::move(l.features));
  json j = {{"definition", json::parse(layers::definition_json(l.def))},
            {"report", report_json(l.report, join)}};
  Response r = json_answer(201, j);
  r.set_header("Location", c.base_url + "/collections/" + l.def.name);
  return r;
}

Response patch_layer(layers::County& county, Context& c) {
  // An alteration is JSON; a JSON merge patch (RFC 7396) is what a client sends for a PATCH of a
  // JSON resource, and the alteration reads as one (a null member takes its default).
  const std::string type = media_type(c.request);
  if (!type.empty() && type != "application/json" && type != "application/merge-patch+json")
    throw InvalidArgument("Content-Type",
                          "an alteration is application/json or application/merge-patch+json, "
                          "not '" +
                              type + "'");
  const layers::LayerAltered altered =
      county.alter_feature_layer(std::string(c.param("name")), c.request.body);
  return json_answer(200, json::parse(layers::definition_json(altered.after)));
}

}  // namespace

void add_layer_routes(http::Router& router, const std::shared_ptr<layers::County>& county,
                      std::size_t max_body) {
  auto add = [&](std::string method, std::string pattern, http::Handler h, http::Lane lane,
                 std::size_t body) {
    http::Route r;
    r.methods = {std::move(method)};
    r.pattern = std::move(pattern);
    r.handler = std::move(h);
    r.lane = lane;
    r.audience = http::Audience::Roles;
    r.roles = {"admin"};
    r.max_body = body;
    router.add(std::move(r));
  };
  add(
      "GET", "/admin/layers",
      [county](Context&) {
        auto lock = county->read();
        json list = json::array();
        for (const auto& l : county->feature_layers()) list.push_back(layer_json(l));
        return json_answer(200, {{"layers", list}});
      },
      http::Lane::Read, 0);
  add(
      "GET", "/admin/layers/{name}",
      [county](Context& c) {
        auto lock = county->read();
        const layers::FeatureLayer* l = county->feature_layer(c.param("name"));
        if (!l) throw NotFound("there is no layer named " + std::string(c.param("name")));
        return json_answer(200, layer_json(*l));
      },
      http::Lane::Read, 0);
  add(
      "POST", "/admin/layers", [county](Context& c) { return post_layer(*county, c); },
      http::Lane::Write, max_body);
  add(
      "PUT", "/admin/layers/{name}",
      [county](Context& c) {
        layers::LayerDef def = layers::definition_from_json(c.request.body, c.param("name"));
        county->add_feature_layer(def, {});
        Response r = json_answer(201, json::parse(layers::definition_json(def)));
        r.set_header("Location", c.base_url + "/collections/" + def.name);
        return r;
      },
      http::Lane::Write, 64 * 1024);
  add(
      "PATCH", "/admin/layers/{name}", [county](Context& c) { return patch_layer(*county, c); },
      http::Lane::Write, 64 * 1024);
  add(
      "DELETE", "/admin/layers/{name}",
      [county](Context& c) {
        county->drop_feature_layer(std::string(c.param("name")));
        Response r;
        r.status = 204;
        return r;
      },
      http::Lane::Write, 0);
}

}  // namespace onemap::api
