// Feeds into county layers: the batch endpoint and the pulls (feeds.hpp).
#include "api/feeds.hpp"

#include "api/upload.hpp"
#include "core/errors.hpp"
#include "http/errors.hpp"
#include "layers/ingest/import.hpp"
#include "layers/model/text.hpp"

#include <nlohmann/json.hpp>

#include <cctype>
#include <ctime>

namespace onemap::api {

namespace {

using json = nlohmann::ordered_json;
using http::Context;
using http::Response;

json result_json(const std::string& layer, const layers::FeedResult& r) {
  return {{"layer", layer},
          {"inserted", r.inserted},
          {"updated", r.updated},
          {"unchanged", r.unchanged},
          {"deleted", r.deleted},
          {"join",
           {{"contained", r.join.contained},
            {"nearest", r.join.nearest},
            {"unassigned", r.join.unassigned},
            {"unassigned_indices", r.join.unassigned_indices}}}};
}

// The definition of the county layer `name` as it is now. @throws NotFound.
layers::LayerDef definition_of(const layers::County& county, const std::string& name) {
  auto lock = county.read();
  const layers::FeatureLayer* l = county.feature_layer(name);
  if (!l)
    throw NotFound("there is no county layer named " + name +
                   " (feeds go to the county's own layers: GET /admin/layers lists them)");
  return l->def;
}

// Newline-delimited features (RFC 8142's records, each after an RS character, or one per line)
// as one FeatureCollection, in order: one reader for both forms, and a feature's index is its
// place among the non-empty lines.
std::string collection_of_lines(std::string_view text) {
  std::string out = R"({"type":"FeatureCollection","features":[)";
  out.reserve(text.size() + out.size() + 2);
  bool first = true;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(at, end - at);
    at = end + 1;
    while (!line.empty() &&
           (line.front() == '\x1e' || std::isspace(static_cast<unsigned char>(line.front()))))
      line.remove_prefix(1);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
      line.remove_suffix(1);
    if (line.empty()) continue;
    if (!first) out += ',';
    out += line;
    first = false;
  }
  return out + "]}";
}

Response post_feed(layers::County& county, Context& c) {
  const std::string name(c.param("id"));
  if (!layers::may_feed(*c.user, name))
    throw Forbidden("user " + c.user->id + " (" + c.user->role + ") may not feed " + name +
                    (c.user->role == "feed" ? ": its scope names " + c.user->scope : ""));
  const layers::LayerDef def = definition_of(county, name);
  layers::check_feedable(def);
  const std::string type = media_type(c.request);
  std::string lines;
  std::string_view text = c.request.body;
  if (type == "application/geo+json-seq" || type == "application/x-ndjson") {
    lines = collection_of_lines(text);
    text = lines;
  } else if (type != "application/geo+json" && type != "application/json") {
    throw InvalidArgument("Content-Type",
                          "a batch is a GeoJSON FeatureCollection (application/geo+json or "
                          "application/json) or one Feature per line (application/geo+json-seq "
                          "or application/x-ndjson), not '" +
                              type + "'");
  }
  const Upload upload(text, ".geojson");
  layers::FeedSource source;
  source.source = upload.source();
  std::vector<layers::FeedEntry> batch;
  try {
    batch = layers::read_feed(source, def);
  } catch (const InvalidFeature&) {
    throw;
  } catch (const InvalidArgument& e) {
    throw upload.about_body(e);
  }
  const layers::FeedResult r = county.feed_feature_layer(
      name, def, std::move(batch), {c.user->id, c.user->role, std::string(c.request_id)});
  Response answer;
  answer.body = layers::json_text(result_json(name, r));
  answer.set_header("Cache-Control", "no-store");
  return answer;
}

}  // namespace

void add_feed_routes(http::Router& router, const std::shared_ptr<layers::County>& county,
                     std::size_t max_body) {
  http::Route r;
  r.methods = {"POST"};
  r.pattern = "/collections/{id}/feed";
  r.handler = [county](Context& c) { return post_feed(*county, c); };
  r.lane = http::Lane::Write;
  r.audience = http::Audience::Roles;
  r.roles = {"admin", "feed"};
  r.max_body = max_body;
  r.parameters = std::vector<std::string>{};
  router.add(std::move(r));
}

FeedPuller::FeedPuller(std::shared_ptr<layers::County> county)
    : county_(std::move(county)), store_(layers::open_store(county_->location(), false)) {}

FeedPuller::~FeedPuller() = default;

std::vector<PullOutcome> FeedPuller::run_due(int64_t now) {
  if (now == 0) now = static_cast<int64_t>(std::time(nullptr));
  std::vector<PullOutcome> out;
  for (const layers::PullFeed& f : store_->load_feeds()) {
    if (!f.due(now)) continue;
    PullOutcome o{f.name, f.layer, false, {}};
    try {
      const layers::LayerDef def = definition_of(*county_, f.layer);
      layers::check_feedable(def);
      layers::FeedSource source;
      source.source = f.source;
      source.source_layer = f.source_layer;
      source.ignore_unknown_fields = true;
      const layers::FeedResult r = county_->feed_feature_layer(
          f.layer, def, layers::read_feed(source, def), {"feed:" + f.name, "feed", ""});
      o.result = layers::json_text(result_json(f.layer, r));
      o.ok = true;
    } catch (const std::exception& e) {
      // As the endpoint would answer it, less what only a request has.
      const http::ApiError a = http::error_from(e);
      json j = {{"error", a.code}, {"message", a.message.empty() ? e.what() : a.message}};
      if (a.index) {
        j["index"] = *a.index;
        j["reason"] = a.reason;
      }
      o.result = layers::json_text(j);
    }
    store_->record_feed_run(f.name, now, o.result);
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace onemap::api
