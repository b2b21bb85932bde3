// OGC API - Features - Part 4 (features.hpp FeatureService::edit): create, replace, update (JSON
// merge patch) and delete the features of the county layers and of the enterprises, conditioned
// on If-Match, with who may edit what; each record's history; the methods a requester may use.
// Bodies are read as a feed's features are (layers/ingest/import.hpp read_feed) and written
// through the county's feed path (County::edit_feature), or the enterprises' record writes.
#include "api/features_internal.hpp"

#include "api/json_body.hpp"
#include "api/records.hpp"
#include "api/upload.hpp"
#include "core/errors.hpp"
#include "layers/ingest/import.hpp"
#include "layers/model/feed.hpp"
#include "layers/model/text.hpp"

#include <algorithm>
#include <charconv>

namespace onemap::api {

namespace features {

namespace {

using layers::EditAction;

constexpr std::string_view kMergePatch = "application/merge-patch+json";

// Properties a GET shows that follow from the geometry and the grids: a body that sends back
// what it read carries them, and they are left out rather than refused.
bool is_derived_property(std::string_view name) {
  return name == "grid_code" || name == "grids" || name == "join_kind" || name == "join_distance_m";
}

EditAction action_of(std::string_view method) {
  if (method == "POST") return EditAction::Create;
  if (method == "PUT") return EditAction::Replace;
  if (method == "PATCH") return EditAction::Update;
  return EditAction::Delete;
}

int64_t feature_id(std::string_view id, std::string_view collection) {
  int64_t fid = 0;
  const auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), fid);
  if (id.empty() || ec != std::errc() || p != id.data() + id.size() || fid <= 0)
    throw NotFound("no feature '" + std::string(id) + "' in " + std::string(collection) +
                   " (feature ids are positive integers)");
  return fid;
}

// A write's body as a GeoJSON Feature: its media type and CRS checked, its members read. A
// PATCH is a JSON merge patch (RFC 7396) of the feature: the members it names change.
struct FeatureBody {
  std::optional<json> geometry;  ///< given (a PATCH may leave it out)
  json properties = json::object();
};

FeatureBody read_feature_body(const EditRequest& rq, EditAction action, int64_t fid) {
  const std::string type(rq.content_type);
  const bool patch = action == EditAction::Update;
  const bool taken =
      type == kGeoJson || type == "application/json" || (patch && type == kMergePatch);
  if (!taken)
    throw UnsupportedMediaType(
        std::string(patch ? "a PATCH is a JSON merge patch of the feature (" +
                                std::string(kMergePatch) + ", or application/json)"
                          : "a feature is GeoJSON (application/geo+json, or application/json)") +
        ", not '" + type + "'");
  // Bodies are in CRS84 (Part 2's default); another CRS is refused rather than misread.
  if (!rq.content_crs.empty() && rq.content_crs != "<" + std::string(kCrs84) + ">" &&
      rq.content_crs != kCrs84)
    throw InvalidArgument("Content-Crs", "features are written in CRS84 only (<" +
                                             std::string(kCrs84) + ">), not " +
                                             std::string(rq.content_crs));
  const json j = parse_request_json<json>(rq.body, "body");
  if (!j.is_object()) throw InvalidArgument("body", "must be a GeoJSON Feature (a JSON object)");
  FeatureBody out;
  for (const auto& [k, v] : j.items()) {
    if (k == "type") {
      if (v != "Feature") throw InvalidArgument("type", "must be \"Feature\"");
    } else if (k == "id") {
      // The id is the server's: a create ignores one; a replace or patch may only repeat it.
      if (action != EditAction::Create && v != fid && v != std::to_string(fid))
        throw InvalidArgument("id",
                              "is the feature's id " + std::to_string(fid) + " and cannot change");
    } else if (k == "geometry") {
      if (v.is_null()) throw InvalidArgument("geometry", "a feature needs one: it cannot be null");
      check_geometry_vertices(v, "geometry");
      out.geometry = v;
    } else if (k == "properties") {
      if (!v.is_object() && !v.is_null()) throw InvalidArgument("properties", "must be an object");
      if (v.is_object())
        for (const auto& [name, value] : v.items())
          if (!is_derived_property(name)) out.properties[name] = value;
    } else if (k != "links" && k != "bbox") {
      layers::check_text(k, "body", layers::TextKind::Id);  // echoed: it must be text
      throw InvalidArgument(k, "unknown member of a Feature (type, id, geometry, properties)");
    }
  }
  if (!patch && !out.geometry) throw InvalidArgument("geometry", "a feature needs one");
  if (!patch && !j.contains("type")) throw InvalidArgument("type", "must be \"Feature\"");
  return out;
}

// 403 unless `viewer` reads `field` of the county layer: nobody writes what it may not read.
void check_writes(const layers::LayerDef& def, const std::string& field,
                  const auth::Viewer& viewer) {
  const layers::Field* f = def.find(field);
  if (!f) return;  // refused by the reader, naming it
  const auto needs = f->personal ? layers::Audience::Personal : std::max(f->audience, def.audience);
  if (static_cast<int>(viewer.audience) < static_cast<int>(needs))
    throw Forbidden("user " + viewer.user_id + " may not write " + field + ": it reads only " +
                        std::string(auth::audience_name(viewer.audience)) + " fields, " + field +
                        " is " + std::string(auth::audience_name(needs)),
                    "forbidden", field);
}

// The GeoJSON of a single feature read as a feed's (all its checks), as one InvalidArgument
// naming the property or geometry at fault.
layers::Feature read_one(const layers::LayerDef& def, const json& geometry,
                         const json& properties) {
  if (properties.contains(layers::kFeedDeleteMember))
    throw InvalidArgument(std::string(layers::kFeedDeleteMember),
                          "is a feed's mark of a deletion: delete a feature with DELETE");
  const std::string text = layers::json_text(json{
      {"type", "FeatureCollection"},
      {"features",
       json::array({{{"type", "Feature"}, {"geometry", geometry}, {"properties", properties}}})}});
  const Upload upload(text, ".geojson");
  layers::FeedSource source;
  source.source = upload.source();
  try {
    std::vector<layers::FeedEntry> read = layers::read_feed(source, def);
    if (read.size() != 1) throw InvalidArgument("body", "must be one GeoJSON Feature");
    return std::move(read.front().feature);
  } catch (const InvalidFeature& e) {
    // "height: not an integer 'tall'", "unknown property 'x' (…)", or about the geometry.
    const std::string& reason = e.reason();
    std::string parameter = "geometry";
    if (const auto colon = reason.find(": ");
        colon != std::string::npos && def.find(reason.substr(0, colon)))
      parameter = reason.substr(0, colon);
    else if (const auto q = reason.find("property '"); q != std::string::npos)
      parameter = reason.substr(q + 10, reason.find('\'', q + 10) - q - 10);
    throw InvalidArgument(parameter, reason);
  } catch (const InvalidArgument& e) {
    throw upload.about_body(e);
  }
}

// A geometry of the layer's kind for a patch that leaves the geometry as it is: read_feed wants
// one, and the patch does not take it (FeatureEdit::patches_geometry is false).
json placeholder_geometry(layers::GeometryKind kind) {
  switch (kind) {
    case layers::GeometryKind::Point:
      return {{"type", "Point"}, {"coordinates", {0, 0}}};
    case layers::GeometryKind::Line:
      return {{"type", "LineString"}, {"coordinates", {{0, 0}, {1, 1}}}};
    case layers::GeometryKind::Polygon:
      break;
  }
  return {{"type", "Polygon"}, {"coordinates", {{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}};
}

HttpAnswer edit_county_layer(const Context& ctx, const EditRequest& rq, const layers::Actor& actor,
                             const auth::Viewer& viewer) {
  const std::string name(rq.collection);
  const EditAction action = action_of(rq.method);
  layers::LayerDef def;
  {
    auto lock = ctx.county->read();
    const layers::FeatureLayer* l = ctx.county->feature_layer(name);
    if (!l) throw no_collection(name, ctx.county->feature_layers());
    def = l->def;
  }
  if (static_cast<int>(viewer.audience) < static_cast<int>(def.audience))
    throw Forbidden("user " + actor.id + " may not edit " + name + ": the layer is for " +
                    std::string(auth::audience_name(def.audience)));
  layers::FeatureEdit edit;
  edit.action = action;
  if (action != EditAction::Create) edit.fid = feature_id(rq.feature_id, name);
  if (!rq.if_match.empty()) edit.if_match = layers::parse_if_match(rq.if_match);
  if (action != EditAction::Delete) {
    const FeatureBody body = read_feature_body(rq, action, edit.fid);
    for (const auto& [k, v] : body.properties.items()) check_writes(def, k, viewer);
    edit.feature =
        read_one(def, body.geometry.value_or(placeholder_geometry(def.geometry)), body.properties);
    if (action == EditAction::Update) {
      for (const auto& [k, v] : body.properties.items()) edit.patched.push_back(k);
      edit.patches_geometry = body.geometry.has_value();
    } else if (action == EditAction::Replace) {
      // What the writer may not read it does not replace either: those fields keep their values.
      std::vector<std::string> readable;
      for (const layers::Field& f : def.fields) try {
          check_writes(def, f.name, viewer);
          readable.push_back(f.name);
        } catch (const Forbidden&) {
        }
      if (readable.size() < def.fields.size()) edit.patched = std::move(readable);
    }
  }
  const std::optional<layers::Feature> after =
      ctx.county->edit_feature(name, def, std::move(edit), actor, rq.request_id);
  if (!after) return {204, "", "", {}};
  HttpAnswer a = county_feature_answer(def, *after, kCrsList[0], rq.base_url, viewer);
  if (action == EditAction::Create) {
    a.status = 201;
    a.headers.emplace_back("Location",
                           "/collections/" + name + "/items/" + std::to_string(after->fid));
  }
  return a;
}

HttpAnswer edit_enterprise(const Context& ctx, const EditRequest& rq, const layers::Actor& actor,
                           const auth::Viewer& viewer) {
  const EditAction action = action_of(rq.method);
  layers::EditOptions options;
  options.action = action;
  options.request_id = rq.request_id;
  if (!rq.if_match.empty()) options.if_match = layers::parse_if_match(rq.if_match);
  const int64_t fid = action == EditAction::Create ? 0 : feature_id(rq.feature_id, rq.collection);
  layers::County& county = *ctx.county;
  if (action == EditAction::Delete) {
    county.delete_enterprise(fid, actor, options);
    return {204, "", "", {}};
  }
  const FeatureBody body = read_feature_body(rq, action, fid);
  // The record endpoints' body: the properties as fields, the point as lon and lat.
  json flat = body.properties;
  for (const auto& [k, v] : flat.items())
    if (!viewer.policy->reaches(viewer.audience, LayerKind::Enterprises, k))
      throw Forbidden("user " + actor.id + " may not write " + k, "forbidden", k);
  if (body.geometry) {
    if (body.geometry->value("type", "") != "Point")
      throw InvalidArgument("geometry", "an enterprise is a GeoJSON Point");
    const json& c = body.geometry->at("coordinates");
    flat["lon"] = c.at(0);
    flat["lat"] = c.at(1);
  }
  const bool create = action == EditAction::Create;
  layers::PointPatch patch =
      read_point_body(LayerKind::Enterprises, layers::json_text(flat), create);
  if (action == EditAction::Replace)  // every field it may change: a property left out is null
    for (const auto& f : layers::schema<layers::Enterprise>().fields)
      if (f.on_patch && !flat.contains(f.name) &&
          viewer.policy->reaches(viewer.audience, LayerKind::Enterprises, f.name))
        patch.set(f.name, layers::AttributeValue{});
  layers::Enterprise out;
  if (create) {
    if (!patch.location) throw InvalidArgument("geometry", "a feature needs one");
    out.location = *patch.location;
    layers::apply(layers::schema<layers::Enterprise>(), out, patch.values, false);
    out = county.create_enterprise(std::move(out), actor, options);
  } else {
    out = county.update_enterprise(fid, patch, actor, options);
  }
  HttpAnswer a = record_answer(out, LayerKind::Enterprises, kCrsList[0], rq.base_url, viewer);
  if (create) {
    a.status = 201;
    a.headers.emplace_back("Location", "/collections/enterprises/items/" + std::to_string(out.fid));
  }
  return a;
}

json history_json(const layers::FeatureHistory& h) {
  return {{"id", h.id},
          {"at", layers::format_time(h.at)},
          {"actor", h.actor},
          {"role", h.role},
          {"action", layers::edit_action_name(h.action)},
          {"fields", h.fields},
          {"geometry_changed", h.geometry_changed},
          {"request_id", h.request_id}};
}

}  // namespace

bool writable_collection(const Context& ctx, std::string_view id) {
  if (id == layers::layer_name(LayerKind::Enterprises)) return true;
  if (fixed_collection(id)) return false;
  auto lock = ctx.county->read();
  return ctx.county->feature_layer(id) != nullptr;
}

}  // namespace features

bool FeatureService::creates(std::string_view path, std::string_view body) const {
  if (!takes_post(path)) return false;
  const std::string_view id = path.substr(13, path.size() - 13 - 6);
  if (!features::writable_collection(impl_->ctx, id)) return false;
  // A Feature is created; a geometry (Polygon, MultiPolygon) is the items query.
  try {
    const auto j = parse_request_json<features::json>(body, "body");
    return j.is_object() && j.value("type", "") == "Feature";
  } catch (const InvalidArgument&) {
    return false;  // the query reports it
  }
}

std::vector<std::string> FeatureService::allowed_methods(
    std::string_view collection, bool item, const std::optional<layers::Actor>& user) const {
  std::vector<std::string> out = {"GET", "HEAD"};
  if (!item) out.push_back("POST");  // the items query, or a create
  bool editor = false;
  if (user && features::writable_collection(impl_->ctx, collection)) try {
      layers::check_may_edit(*user);
      editor = true;
    } catch (const Forbidden&) {
    }
  if (editor && item) out.insert(out.end(), {"PUT", "PATCH", "DELETE"});
  out.push_back("OPTIONS");
  return out;
}

HttpAnswer FeatureService::edit(const EditRequest& rq, const auth::Viewer& viewer) const {
  using namespace features;
  const Context& ctx = impl_->ctx;
  if (!writable_collection(ctx, rq.collection)) {
    if (fixed_collection(rq.collection))
      throw MethodNotAllowed("the " + std::string(rq.collection) +
                                 " collection's features are read here and written through "
                                 "their own endpoints (/" +
                                 std::string(rq.collection) + ")",
                             rq.feature_id.empty() ? "GET, HEAD, POST" : "GET, HEAD");
    auto lock = ctx.county->read();
    throw no_collection(rq.collection, ctx.county->feature_layers());
  }
  if (!rq.actor)
    throw Unauthorized(
        "editing needs Authorization: Bearer <token> (an administrator's or a command-centre "
        "user's)");
  layers::check_may_edit(*rq.actor);
  if (rq.collection == layers::layer_name(LayerKind::Enterprises)) {
    if (!auth::may_see_layer(viewer, LayerKind::Enterprises))
      throw Forbidden("user " + rq.actor->id + " may not edit enterprises");
    return edit_enterprise(ctx, rq, *rq.actor, viewer);
  }
  return edit_county_layer(ctx, rq, *rq.actor, viewer);
}

HttpAnswer FeatureService::history(std::string_view collection, std::string_view feature,
                                   const std::vector<std::pair<std::string, std::string>>& query,
                                   const std::optional<layers::Actor>& user) const {
  using namespace features;
  const Context& ctx = impl_->ctx;
  if (!writable_collection(ctx, collection)) {
    auto lock = ctx.county->read();
    if (fixed_collection(collection))
      throw NotFound("histories are kept for the enterprises and the county layers");
    throw no_collection(collection, ctx.county->feature_layers());
  }
  if (!user) throw Unauthorized("a feature's history needs Authorization: Bearer <token>");
  std::size_t limit = 100, offset = 0;
  for (const auto& [k, v] : query) {
    std::size_t* into = k == "limit" ? &limit : k == "offset" ? &offset : nullptr;
    if (!into) {
      if (k == "f") {
        check_format(v);
        continue;
      }
      throw InvalidArgument(k, "unknown query parameter for a history (limit, offset, f)");
    }
    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), *into);
    if (ec != std::errc() || p != v.data() + v.size() ||
        (into == &limit && (*into < 1 || *into > 1000)))
      throw InvalidArgument(
          k, into == &limit ? "must be an integer in [1, 1000]" : "must be a non-negative integer");
  }
  const std::string name(collection);
  const int64_t fid = feature_id(feature, collection);
  // The administrator, or a command-centre user whose scope holds the record (every grid it
  // lies in): the history shows who works where.
  if (user->role != "admin" && user->role != "centre")
    throw Forbidden("user " + user->id + " (" + user->role +
                    ") may not read histories: it needs an admin or command-centre user");
  {
    auto lock = ctx.county->read();
    std::vector<std::string> grids;
    if (name == layers::layer_name(LayerKind::Enterprises)) {
      const auto& v = ctx.county->data().enterprises;
      const auto it = std::lower_bound(v.begin(), v.end(), fid,
                                       [](const auto& r, int64_t f) { return r.fid < f; });
      if (it != v.end() && it->fid == fid) grids.push_back(it->join.grid_code);
    } else if (const layers::FeatureLayer* l = ctx.county->feature_layer(name)) {
      const auto it = std::lower_bound(l->features.begin(), l->features.end(), fid,
                                       [](const auto& r, int64_t f) { return r.fid < f; });
      if (it != l->features.end() && it->fid == fid) {
        for (const auto& s : it->shares) grids.push_back(s.grid_code);
        if (grids.empty()) grids.push_back(it->join.grid_code);
      }
    }
    // A deleted record's history is the administrator's (its place is gone with it).
    if (grids.empty() && user->role != "admin")
      throw NotFound("no feature " + std::to_string(fid) + " in " + name);
    for (const auto& g : grids) layers::check_area(*user, g, name + " " + std::to_string(fid));
  }
  const layers::FeatureHistoryPage page = ctx.county->feature_history(name, fid, limit, offset);
  json rows = json::array();
  for (const auto& h : page.rows) rows.push_back(history_json(h));
  const json j = {{"collection", name},
                  {"id", fid},
                  {"numberMatched", page.total},
                  {"numberReturned", page.rows.size()},
                  {"changes", rows}};
  return {200, layers::json_text(j), "application/json", {{"Cache-Control", "no-store"}}};
}

}  // namespace onemap::api
