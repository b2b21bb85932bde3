// The administrator's endpoints for the county's own layers (layers_admin.hpp).
#include "api/layers_admin.hpp"

#include "core/errors.hpp"
#include "layers/ingest/import.hpp"
#include "layers/model/text.hpp"

#include <cpl_vsi.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <cctype>

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

// The body as a file GDAL reads, in memory (/vsimem/), removed with this object.
class Upload {
 public:
  Upload(const std::string& body, std::string_view content_type) {
    static std::atomic<uint64_t> next{0};
    const std::string type(content_type.substr(0, content_type.find(';')));
    std::string ext;
    if (type == "application/geo+json" || type == "application/json")
      ext = ".geojson";
    else if (type == "text/csv")
      ext = ".csv";
    else if (type == "application/zip")
      ext = ".zip";
    else if (type == "application/geopackage+sqlite3")
      ext = ".gpkg";
    else
      throw InvalidArgument("Content-Type",
                            "a layer comes as application/geo+json, text/csv, application/zip (a "
                            "zipped Shapefile) or application/geopackage+sqlite3, not '" +
                                type + "'");
    if (body.empty()) throw InvalidArgument("body", "the source is empty");
    path_ = "/vsimem/onemap-layer-" + std::to_string(next++) + ext;
    VSILFILE* f = VSIFileFromMemBuffer(path_.c_str(),
                                       reinterpret_cast<GByte*>(const_cast<char*>(body.data())),
                                       body.size(), FALSE);
    if (!f) throw Error("cannot stage the upload");
    VSIFCloseL(f);
    source_ = ext == ".zip" ? "/vsizip/" + path_ : path_;
  }
  ~Upload() { VSIUnlink(path_.c_str()); }
  Upload(const Upload&) = delete;
  Upload& operator=(const Upload&) = delete;
  const std::string& source() const { return source_; }

 private:
  std::string path_, source_;
};

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
  const Upload upload(c.request.body, c.request.header("content-type"));
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
    // The staged file's name means nothing to the caller: the body is the source.
    std::string detail = e.detail();
    for (std::size_t at; (at = detail.find(o.source)) != std::string::npos;)
      detail.replace(at, o.source.size(), "the body");
    throw InvalidArgument(e.parameter() == "source" ? "body" : e.parameter(), detail);
  }
  const layers::JoinStats join = county.add_feature_layer(l.def, std::move(l.features));
  json j = {{"definition", json::parse(layers::definition_json(l.def))},
            {"report", report_json(l.report, join)}};
  Response r = json_answer(201, j);
  r.set_header("Location", c.base_url + "/collections/" + l.def.name);
  return r;
}

// The media type of a request, without its parameters ("application/json; charset=utf-8").
std::string media_type(const Context& c) {
  std::string type(c.request.header("content-type"));
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.pop_back();
  for (char& ch : type) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return type;
}

Response patch_layer(layers::County& county, Context& c) {
  // An alteration is JSON; a JSON merge patch (RFC 7396) is what a client sends for a PATCH of a
  // JSON resource, and the alteration reads as one (a null member takes its default).
  const std::string type = media_type(c);
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
