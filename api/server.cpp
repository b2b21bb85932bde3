// The onemap HTTP server (server.hpp): the route table of every endpoint, and the transport
// that serves it.
#include "api/server.hpp"

#include "api/feeds.hpp"
#include "api/geocode.hpp"
#include "api/joint.hpp"
#include "api/layers_admin.hpp"
#include "api/map_style.hpp"
#include "api/media_api.hpp"
#include "api/ogc_tiles.hpp"
#include "api/open311.hpp"
#include "api/records.hpp"
#include "api/residents_api.hpp"
#include "api/tickets.hpp"
#include "api/upload.hpp"
#include "api/users_api.hpp"
#include "core/errors.hpp"
#include "layers/model/schema.hpp"
#include "layers/store/store.hpp"
#include "spatial/geometry.hpp"

#include <nlohmann/json.hpp>

#include <openssl/crypto.h>
#include <pthread.h>

#include <cmath>
#include <csignal>
#include <ctime>
#include <utility>
#include <vector>

#ifndef ONEMAP_VERSION
#define ONEMAP_VERSION "unknown"
#endif

namespace onemap::api {

using json = nlohmann::ordered_json;  // keys in the order written
using http::Audience;
using http::Context;
using http::Lane;
using http::Response;
using http::Route;

namespace {

// ---------------------------------------------------------------------------------------------
// Rendering of the loaded county

std::string level_key(layers::GridLevel l) {
  return std::string(layers::level_name(l));
}

/// [minx, miny, maxx, maxy] of a layer, or null when it holds no (finite) geometry.
json extent_json(const layers::Dataset& d, layers::LayerKind k) {
  const spatial::Box b = layers::layer_extent(d, k);
  const double minx = b.min_corner().x(), miny = b.min_corner().y();
  const double maxx = b.max_corner().x(), maxy = b.max_corner().y();
  if (!(minx <= maxx && miny <= maxy)) return nullptr;
  return json::array({minx, miny, maxx, maxy});
}

std::string render_health(const ServerState& s) {
  auto lock = s.county->read();
  const layers::Dataset& data = s.county->data();
  json layer_counts = json::object();
  for (auto k : layers::kAllLayers)
    layer_counts[std::string(layers::layer_name(k))] = data.count(k);
  std::size_t per_level[5] = {0, 0, 0, 0, 0};
  for (const auto& g : data.grids) {
    const auto i = static_cast<std::size_t>(g.level);
    if (i < 5) ++per_level[i];
  }
  json by_level = json::object();
  for (auto l : {layers::GridLevel::County, layers::GridLevel::Town, layers::GridLevel::Village,
                 layers::GridLevel::Grid, layers::GridLevel::MicroGrid})
    by_level[level_key(l)] = per_level[static_cast<std::size_t>(l)];
  json h = {
      {"status", "ok"},
      {"version", ONEMAP_VERSION},
      {"layers", layer_counts},
      {"grids_by_level", by_level},
      {"load_seconds", std::round(s.county->load_seconds() * 1000.0) / 1000.0},
      {"data", s.data_path},
      {"join", {{"max_distance_m", s.county->join_options().max_distance_m}}},
  };
  return h.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string render_layers(const ServerState& s, const auth::ReadPolicy& policy) {
  auto lock = s.county->read();
  const layers::Dataset& data = s.county->data();
  json out = json::array();
  for (auto k : layers::kAllLayers) {
    json fields = json::array();
    for (const auto& f : layers::layer_fields(k)) {
      if (f.personal) continue;  // personal information is never listed publicly
      fields.push_back(
          {{"name", f.name},
           {"type", std::string(layers::type_name(f.type))},
           {"audience", std::string(auth::audience_name(policy.field_audience(k, f.name)))}});
    }
    out.push_back({
        {"name", std::string(layers::layer_name(k))},
        {"geometry_type", std::string(layers::geometry_type(k))},
        {"count", data.count(k)},
        {"extent", extent_json(data, k)},
        {"crs", "EPSG:4490"},
        {"audience", std::string(auth::audience_name(policy.layer_audience(k)))},
        {"fields", fields},
    });
  }
  return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

Response from_answer(HttpAnswer a) {
  Response r;
  r.status = a.status;
  r.body = std::move(a.body);
  r.content_type = std::move(a.content_type);
  r.headers = std::move(a.headers);
  return r;
}

Response json_response(int status, std::string body, std::vector<http::Header> headers = {}) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

// The record endpoints (api/records.hpp) take the pipeline's user.
Response record_route(layers::County& county, const auth::ReadPolicy& policy, Geocoder& geocoder,
                      Context& c) {
  RecordRequest rq;
  rq.policy = &policy;
  rq.place = [&geocoder](layers::Report& r) { geocoder.place(r); };
  rq.method = c.request.method;
  rq.path = c.request.path;
  if (!c.query.empty()) rq.query_parameter = c.query.front().first;
  rq.body = c.request.body;
  rq.authenticate = [&c] { return c.user; };
  rq.if_match = std::string(c.request.header("if-match"));
  rq.peer = c.request.peer;
  rq.request_id = c.request_id;
  rq.base_url = c.base_url;
  RecordAnswer a = handle_record_request(county, rq);
  return json_response(a.status, std::move(a.body), std::move(a.headers));
}

Response open311_route(layers::County& county, const auth::ReadPolicy& policy, Geocoder& geocoder,
                       Context& c) {
  Open311Request rq;
  rq.policy = &policy;
  rq.place = [&geocoder](layers::Report& r) { geocoder.place(r); };
  rq.method = c.request.method;
  rq.path = c.request.path;
  rq.query = c.query;
  rq.body = c.request.body;
  rq.content_type = std::string(c.request.header("content-type"));
  rq.base_url = c.base_url;
  // A form's api_key counts when no bearer token or query api_key signed the request in.
  rq.authenticate = [&c](const std::string& key) -> std::optional<layers::Actor> {
    if (c.user || key.empty()) return c.user;
    auto a = c.authenticate ? c.authenticate(key) : std::nullopt;
    if (!a) throw Unauthorized("unknown, revoked or disabled api_key");
    return a;
  };
  Open311Answer a = handle_open311(county, rq);
  return json_response(a.status, std::move(a.body), std::move(a.headers));
}

}  // namespace

std::shared_ptr<http::Router> make_router(const ServerOptions& options,
                                          const std::shared_ptr<const ServerState>& state) {
  http::Router::Options ro;
  ro.cors_origin = options.cors_origin;
  ro.default_base_url = "http://" + options.address + ":" + std::to_string(options.port);
  // Residents sign in by phone (auth/residents.hpp); their tokens are told apart by prefix.
  auto residents = std::make_shared<auth::Residents>(state->county->location());
  ro.authenticate = [county = state->county, admin = options.write_token,
                     residents](std::string_view token) -> std::optional<layers::Actor> {
    if (auth::Residents::is_resident_token(token))
      return residents->authenticate(token, std::time(nullptr));
    if (!admin.empty() && token.size() == admin.size() &&
        CRYPTO_memcmp(token.data(), admin.data(), admin.size()) == 0) {
      layers::Actor a;
      a.id = "admin";
      a.role = "admin";
      return a;
    }
    return county->users().authenticate(token);
  };
  auto router = std::make_shared<http::Router>(std::move(ro));
  // What each audience reads, in every output; the viewers of requests point into it.
  const std::shared_ptr<const auth::ReadPolicy> policy =
      options.read_policy ? options.read_policy
                          : std::make_shared<const auth::ReadPolicy>(auth::ReadPolicy::standard());
  auto tiles = std::make_shared<TileService>(state->county, options.tiles, *policy);
  auto features = std::make_shared<FeatureService>(state->county, options.features);
  std::shared_ptr<WebApp> web;
  if (!options.web.dir.empty()) web = std::make_shared<WebApp>(options.web);
  auto& county = *state->county;
  const std::vector<std::string> writers = {"admin", "centre"};
  const std::size_t large_body = options.max_request_bytes;
  // Records are small, but a body is read whole before its fields are judged, so that a field
  // over its length (a 300 KB description) is a 400 naming it rather than a 413.
  const std::size_t record_body = 1024 * 1024;

  auto add = [&](std::vector<std::string> methods, std::string pattern, http::Handler h,
                 Lane lane = Lane::Read, Audience audience = Audience::Public,
                 std::vector<std::string> roles = {}, std::size_t max_body = 64 * 1024) {
    Route r;
    r.methods = std::move(methods);
    r.pattern = std::move(pattern);
    r.handler = std::move(h);
    r.lane = lane;
    r.audience = audience;
    r.roles = std::move(roles);
    r.max_body = std::min(max_body, large_body);
    router->add(std::move(r));
  };

  // ---- status
  auto add_plain = [&](std::string pattern, http::Handler h) {
    Route r;
    r.methods = {"GET"};
    r.pattern = std::move(pattern);
    r.handler = std::move(h);
    r.parameters = std::vector<std::string>{};
    router->add(std::move(r));
  };
  add_plain("/health", [state](Context&) {
    return json_response(200, render_health(*state), {{"Cache-Control", "no-store"}});
  });
  add_plain("/layers", [state, policy](Context&) {
    return json_response(200, render_layers(*state, *policy));
  });
  add_plain("/metrics", [tiles](Context&) {
    Response r = json_response(200, tiles->metrics(), {{"Cache-Control", "no-store"}});
    r.content_type = "text/plain; version=0.0.4";
    return r;
  });

  // ---- vector tiles: OGC API - Tiles (api/ogc_tiles.hpp) first, as /tiles/{path*} takes the
  // rest of /tiles/ (TileService's tiles and TileJSON). `answer(c, viewer, cached_only)`.
  auto add_tiles = [&](std::string pattern, auto answer) {
    Route r;
    r.methods = {"GET"};
    r.pattern = std::move(pattern);
    r.handler = [answer, policy](Context& c) {
      return from_answer(*answer(c, policy->viewer(c.user), false));
    };
    // A cached tile is answered on the event loop: no worker wakes for the commonest request.
    r.answer_now = [answer, policy](Context& c) -> std::optional<Response> {
      auto a = answer(c, policy->viewer(c.user), true);
      if (!a) return std::nullopt;
      return from_answer(std::move(*a));
    };
    router->add(std::move(r));
  };
  auto ogc_tiles = std::make_shared<OgcTiles>(state->county, tiles);
  for (std::string& p : OgcTiles::patterns())
    add_tiles(std::move(p), [ogc_tiles](Context& c, const auth::Viewer& viewer, bool cached_only) {
      return ogc_tiles->answer(c, viewer, cached_only);
    });
  add_tiles("/tiles/{path*}", [tiles](Context& c, const auth::Viewer& viewer, bool cached_only) {
    const auto encoding = c.request.header("accept-encoding");
    const auto none_match = c.request.header("if-none-match");
    if (cached_only)
      return tiles->handle_cached(c.request.path, c.query, encoding, none_match, viewer);
    return std::optional(
        tiles->handle(c.request.path, c.query, encoding, none_match, c.base_url, viewer));
  });

  // ---- the whole map as a MapLibre style (api/map_style.hpp)
  add({"GET"}, "/style.json", [state, policy](Context& c) {
    return json_response(200,
                         map_style(*state->county, policy->viewer(c.user), c.base_url, c.query),
                         {{"Cache-Control", "no-cache"}});
  });

  // ---- the web map, and the OGC API landing page for everything but browsers
  auto features_get = [features, policy](Context& c) {
    Response r = from_answer(
        features->handle(c.request.path, c.query, c.base_url, "GET", {}, policy->viewer(c.user)));
    // A feature answered with its ETag (Part 4): 304 when the client holds that state already.
    if (const std::string_view tag = r.header("etag");
        !tag.empty() && c.request.has_header("if-none-match")) {
      const std::string_view none_match = c.request.header("if-none-match");
      if (none_match == "*" || none_match.find(tag) != std::string_view::npos) {
        r.status = 304;
        r.body.clear();
      }
    }
    return r;
  };
  add({"GET"}, "/", [web, features_get](Context& c) {
    if (web)
      if (auto a =
              web->handle("/", c.query, c.request.header("accept"),
                          c.request.header("accept-encoding"), c.request.header("if-none-match")))
        return from_answer(std::move(*a));
    return features_get(c);
  });
  auto app = [web](Context& c) {
    if (!web) throw NotFound("no web map is served (onemap serve --web-dir)");
    auto a = web->handle(c.request.path, c.query, c.request.header("accept"),
                         c.request.header("accept-encoding"), c.request.header("if-none-match"));
    if (!a) throw NotFound("no file at " + c.request.path);
    return from_answer(std::move(*a));
  };
  add({"GET"}, "/app", app);
  add({"GET"}, "/app/{path*}", app);

  // ---- OGC API - Features
  for (const char* p : {"/conformance", "/api", "/collections", "/collections/{id}",
                        "/collections/{id}/queryables"})
    add({"GET"}, p, features_get);
  // Part 4: what each requester may do with the items (OPTIONS), and the writes.
  auto allow_on = [features](bool item) {
    return [features, item](Context& c) {
      return features->allowed_methods(c.param("id"), item, c.user);
    };
  };
  auto edit = [features, policy](Context& c) {
    EditRequest rq;
    rq.method = c.request.method;
    rq.collection = c.param("id");
    rq.feature_id = c.param("fid");
    rq.body = c.request.body;
    rq.content_type = media_type(c.request);
    rq.content_crs = c.request.header("content-crs");
    rq.if_match = c.request.header("if-match");
    rq.actor = c.user;
    rq.request_id = std::string(c.request_id);
    rq.base_url = c.base_url;
    if (!c.query.empty())
      throw InvalidArgument(c.query.front().first, "unknown query parameter for a write");
    Response r = from_answer(features->edit(rq, policy->viewer(c.user)));
    r.set_header("Cache-Control", "no-store");
    return r;
  };
  for (const bool item : {true, false}) {
    Route r;
    r.methods = {"GET"};
    r.pattern = item ? "/collections/{id}/items/{fid}" : "/collections/{id}/items";
    r.handler = features_get;
    r.lane = item ? Lane::Read : Lane::Query;
    r.allow = allow_on(item);
    router->add(std::move(r));
  }
  add(
      {"POST"}, "/collections/{id}/items",
      [features, policy, edit](Context& c) {
        if (features->creates(c.request.path, c.request.body)) return edit(c);
        return from_answer(features->handle(c.request.path, c.query, c.base_url, "POST",
                                            c.request.body, policy->viewer(c.user)));
      },
      Lane::Query, Audience::Public, {}, large_body);
  add({"PUT", "PATCH", "DELETE"}, "/collections/{id}/items/{fid}", edit, Lane::Write,
      Audience::Public, {}, large_body);
  add({"GET"}, "/collections/{id}/items/{fid}/history", [features](Context& c) {
    return from_answer(features->history(c.param("id"), c.param("fid"), c.query, c.user));
  });
  add({"GET"}, "/collections/{id}/stats", features_get, Lane::Query);

  // ---- records, intake and the closed loop
  // Addresses to places: GET /geocode, and intake of reports that give only an address.
  auto geocoder = std::make_shared<Geocoder>(state->county);
  auto record = [&county, policy, geocoder](Context& c) {
    return record_route(county, *policy, *geocoder, c);
  };
  add({"POST"}, "/incidents", record, Lane::Write, Audience::Signed, {}, record_body);
  add({"GET"}, "/incidents/{id}", record);
  add({"PATCH"}, "/incidents/{id}", record, Lane::Write, Audience::Roles, writers, record_body);
  add({"POST"}, "/incidents/{id}/actions", record, Lane::Write, Audience::Signed, {}, record_body);
  add({"GET"}, "/incidents/{id}/history", record);
  add({"POST"}, "/households", record, Lane::Write, Audience::Roles, writers, record_body);
  add({"GET"}, "/households/{id}", record, Lane::Read, Audience::Roles, writers);
  add({"PATCH"}, "/households/{id}", record, Lane::Write, Audience::Roles, writers, record_body);
  add({"POST"}, "/enterprises", record, Lane::Write, Audience::Roles, writers, record_body);
  add({"GET"}, "/enterprises/{id}", record);
  add({"PATCH"}, "/enterprises/{id}", record, Lane::Write, Audience::Roles, writers, record_body);
  add({"GET"}, "/grids/{id}", record);
  add({"PATCH"}, "/grids/{id}", record, Lane::Write, Audience::Roles, writers, large_body);
  add({"POST"}, "/dispatch/batch", record, Lane::Query, Audience::Roles, writers, record_body);
  add({"POST"}, "/escalations/sweep", record, Lane::Query, Audience::Roles, writers, record_body);
  add({"GET"}, "/users/me", record, Lane::Read, Audience::Signed);
  add({"GET"}, "/users/me/incidents", record, Lane::Read, Audience::Signed);
  add({"GET"}, "/users/me/reports", record, Lane::Read, Audience::Signed);
  // ---- residents' sign-in by phone (api/residents_api.hpp)
  add_resident_routes(*router, residents);

  // ---- users and the audit: the administrator's (api/users_api.hpp); after /users/me
  add_user_routes(*router, state->county);
  // ---- the county's own layers, added and dropped while serving (api/layers_admin.hpp)
  add_layer_routes(*router, state->county, large_body);
  // ---- feeds into them from other systems (api/feeds.hpp)
  add_feed_routes(*router, state->county, options.max_feed_bytes);
  // ---- the outbox as server-sent events (api/events.hpp)
  add_event_routes(*router, state->county, policy, options.events);
  // ---- addresses to places (api/geocode.hpp)
  add_geocode_routes(*router, geocoder, policy);
  // ---- photos of incidents, served under the read policy (api/media_api.hpp)
  add_media_routes(*router, state->county, policy);
  // ---- the command centre's intake queue (api/tickets.hpp)
  add_ticket_routes(*router, state->county);
  // ---- joint cases, summons and the agencies' tasks (api/joint.hpp)
  add_joint_routes(*router, state->county, policy);

  // ---- Open311 GeoReport v2: its own error format; api_key signs a request in
  auto open311 = [&county, policy, geocoder](Context& c) {
    return open311_route(county, *policy, *geocoder, c);
  };
  // max_body 0: a record's.
  auto add311 = [&](std::vector<std::string> methods, std::string pattern, Lane lane,
                    std::size_t max_body = 0) {
    Route r;
    r.methods = std::move(methods);
    r.pattern = std::move(pattern);
    r.handler = open311;
    r.lane = lane;
    r.errors = http::ErrorFormat::Open311;
    r.api_key = true;
    r.max_body = max_body ? max_body : record_body;
    router->add(std::move(r));
  };
  add311({"GET"}, "/open311/v2/services.json", Lane::Read);
  add311({"GET"}, "/open311/v2/requests.json", Lane::Query);
  // A new request may bring a photo (multipart/form-data): its limit and the form's fields.
  add311({"POST"}, "/open311/v2/requests.json", Lane::Write, kMaxPhotoBytes + record_body);
  add311({"GET"}, "/open311/v2/requests/{file}", Lane::Read);
  add311({"GET"}, "/open311/{path*}", Lane::Read);  // Open311's own 404s name its paths
  return router;
}

std::shared_ptr<const ServerState> load_state(const std::string& data_path,
                                              layers::JoinOptions join, layers::TileConfig tiles,
                                              layers::DispatchConfig dispatch) {
  auto state = std::make_shared<ServerState>();
  state->county = std::make_shared<layers::County>(layers::open_store(data_path, false), join,
                                                   std::move(tiles), std::move(dispatch));
  state->data_path = data_path;
  return state;
}

Server::Server(ServerOptions options, const std::shared_ptr<const ServerState>& state)
    : options_(std::move(options)) {
  if (!state) throw InvalidArgument("state", "the server needs a loaded dataset");
  if (options_.threads < 1) throw InvalidArgument("threads", "must be at least 1");
  http::TransportOptions t;
  t.address = options_.address;
  t.port = options_.port;
  t.event_threads = options_.threads;
  t.lane_threads = options_.lane_threads;
  t.header_timeout = options_.header_timeout;
  t.keepalive_timeout = options_.keepalive_timeout;
  t.request_budget = options_.request_budget;
  t.limits.max_body_bytes = options_.max_request_bytes;
  t.server_header = std::string("onemap/") + ONEMAP_VERSION;
  if (options_.log_requests) t.log = std::make_shared<http::RequestLog>();
  transport_ = std::make_unique<http::Transport>(std::move(t), make_router(options_, state));
}

Server::~Server() {
  shutdown();
}

void Server::start() {
  transport_->start();
}

uint16_t Server::port() const {
  return transport_->port();
}

std::string Server::url() const {
  const std::string& a = options_.address;
  const bool v6 = a.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + a + "]" : a) + ":" + std::to_string(port());
}

void Server::shutdown() {
  if (transport_) transport_->shutdown();
}

void Server::block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int Server::wait_for_shutdown_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

}  // namespace onemap::api
