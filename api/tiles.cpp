// Vector-tile endpoints, cache and metrics (tiles.hpp).
#include "api/tiles.hpp"

#include "api/hash.hpp"

#include "core/errors.hpp"
#include "layers/model/schema.hpp"
#include "layers/model/text.hpp"
#include "spatial/chinacrs.hpp"

#include <zlib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <list>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace onemap::api {

using json = nlohmann::json;
using spatial::TileId;
using spatial::TileMatrixSet;
namespace bg = spatial::bg;

// ---------------------------------------------------------------------------------------------
// gzip and content negotiation

std::string gzip(std::string_view data) {
  z_stream zs{};
  // windowBits 15 + 16: a gzip header and trailer instead of zlib's.
  if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw Error("gzip: deflateInit2 failed");
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw Error("gzip: deflate failed");
  out.resize(zs.total_out);
  return out;
}

namespace {

// The items of a separated list, empty ones included.
std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (true) {
    const auto end = s.find(sep, pos);
    out.emplace_back(
        s.substr(pos, end == std::string_view::npos ? std::string_view::npos : end - pos));
    if (end == std::string_view::npos) break;
    pos = end + 1;
  }
  return out;
}

// Without the optional white space (RFC 9110 OWS: spaces and tabs) around it.
std::string_view trim_ows(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool accepts_gzip(std::string_view header) {
  // Each element: coding [; q=value]. gzip (or x-gzip) with q > 0 allows it; an explicit
  // gzip;q=0 forbids it even when "*" allows everything.
  std::optional<bool> gzip_allowed, star_allowed;
  for (const std::string& element : split(header, ',')) {
    const std::string_view item = element;
    const std::string_view coding = trim_ows(item.substr(0, item.find(';')));
    if (coding.empty()) continue;
    double q = 1.0;
    if (const auto semi = item.find(';'); semi != std::string_view::npos) {
      std::string_view params = item.substr(semi + 1);
      const auto qpos = params.find("q=");
      if (qpos != std::string_view::npos) {
        std::string qs(trim_ows(params.substr(qpos + 2)));
        char* endp = nullptr;
        q = std::strtod(qs.c_str(), &endp);
        if (endp == qs.c_str()) q = 1.0;
      }
    }
    std::string lower(coding);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    if (lower == "gzip" || lower == "x-gzip")
      gzip_allowed = q > 0;
    else if (lower == "*")
      star_allowed = q > 0;
  }
  if (gzip_allowed) return *gzip_allowed;
  return star_allowed.value_or(false);
}

void check_tile_access(const auth::Viewer& viewer, std::string_view name, auth::Audience audience,
                       std::string_view collection) {
  const std::string n(name);
  if (static_cast<int>(viewer.audience) < static_cast<int>(audience)) {
    if (viewer.anonymous()) throw Unauthorized("the " + n + " tile layer is for staff: sign in");
    throw Forbidden("the " + n + " tile layer is for staff");
  }
  // Tiles are cut for the whole county: whereabouts of staff only for county-wide users.
  if (audience != auth::Audience::Public && !viewer.scope.empty())
    throw Forbidden("the " + n + " tile layer is for county-wide staff; " + viewer.user_id +
                        " sees its area's in /collections/" + std::string(collection) + "/items",
                    "forbidden_scope");
}

void check_tile_access(const auth::Viewer& viewer, std::string_view name) {
  const auto kind = layers::tile_layer_source(name).kind;
  check_tile_access(viewer, name, viewer.policy->layer_audience(kind), layers::layer_name(kind));
}

namespace {

// ---------------------------------------------------------------------------------------------
// Requests

struct ParsedTilePath {
  const TileMatrixSet* tms = &TileMatrixSet::web_mercator();
  std::vector<std::string> layer_names;
  bool tilejson = false;
  TileId tile;
};

uint32_t parse_index(std::string_view s, const char* name) {
  uint64_t v = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty() || v > 0xFFFFFFFFull)
    throw InvalidArgument(name, "'" + std::string(s) + "' is not a non-negative integer");
  return static_cast<uint32_t>(v);
}

// "cgcs2000/incidents,grids.town/14/13604/6696.mvt", "households.json", …
ParsedTilePath parse_tile_path(std::string_view rest) {
  ParsedTilePath p;
  if (rest.starts_with("cgcs2000/")) {
    p.tms = &TileMatrixSet::cgcs2000();
    rest.remove_prefix(9);
  }
  auto parts = split(rest, '/');
  std::string layers;
  if (parts.size() == 1 && parts[0].ends_with(".json")) {
    p.tilejson = true;
    layers = parts[0].substr(0, parts[0].size() - 5);
  } else if (parts.size() == 4 && parts[3].ends_with(".mvt")) {
    layers = parts[0];
    p.tile.z = parse_index(parts[1], "z");
    p.tile.x = parse_index(parts[2], "x");
    p.tile.y = parse_index(parts[3].substr(0, parts[3].size() - 4), "y");
  } else {
    throw NotFound(
        "no tile resource at /tiles/" + std::string(rest) +
        " (tiles: /tiles/{layers}/{z}/{x}/{y}.mvt, /tiles/cgcs2000/{layers}/{z}/{x}/{y}.mvt, "
        "TileJSON: /tiles/{layers}.json, /tiles/cgcs2000/{layers}.json)");
  }
  if (layers.empty()) throw InvalidArgument("layers", "no layer named (e.g. /tiles/incidents/…)");
  p.layer_names = split(layers, ',');
  for (const auto& n : p.layer_names) {
    if (n.empty()) throw InvalidArgument("layers", "empty layer name in '" + layers + "'");
    if (std::count(p.layer_names.begin(), p.layer_names.end(), n) > 1)
      throw InvalidArgument("layers", "layer '" + n + "' is named twice");
  }
  return p;
}

int64_t parse_time_param(const std::string& name, const std::string& v) {
  if (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int64_t t = 0;
    const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), t);
    if (ec == std::errc() && p == v.data() + v.size()) return t;
  }
  if (auto t = layers::parse_time(v)) return *t;
  throw InvalidArgument(
      name,
      "'" + v + "' is not a time (ISO 8601 such as 2026-11-01T00:00:00+08:00, or Unix seconds)");
}

struct TileQuery {
  bool gcj02 = false;
  layers::IncidentFilter filter;
  std::string canonical;  // the recognised parameters, for TileJSON's tile URLs
};

TileQuery parse_query(const std::vector<std::pair<std::string, std::string>>& query,
                      bool has_incidents) {
  TileQuery q;
  std::vector<std::pair<std::string, std::string>> kept;
  for (const auto& [k, v] : query) {
    if (k == "offset") {
      if (v != "gcj02" && v != "none")
        throw InvalidArgument(
            "offset", "must be gcj02 (shift into GCJ-02 for Amap/Tencent basemaps) or none");
      q.gcj02 = v == "gcj02";
    } else if (k == "status" || k == "category" || k == "since" || k == "until") {
      if (!has_incidents)
        throw InvalidArgument(k,
                              "filters the incidents layer, which this request does not include");
      if (k == "status" || k == "category") {
        auto items = split(v, ',');
        for (const auto& item : items)
          if (item.empty()) throw InvalidArgument(k, "empty item in the list '" + v + "'");
        (k == "status" ? q.filter.statuses : q.filter.categories) = items;
      } else {
        (k == "since" ? q.filter.since : q.filter.until) = parse_time_param(k, v);
      }
    } else {
      throw InvalidArgument(
          k,
          "unknown query parameter for tiles (parameters: offset, status, category, since, until)");
    }
    kept.emplace_back(k, v);
  }
  if (q.filter.since && q.filter.until && *q.filter.since >= *q.filter.until)
    throw InvalidArgument("until", "must be later than since");
  std::sort(kept.begin(), kept.end());
  for (const auto& [k, v] : kept) q.canonical += (q.canonical.empty() ? "" : "&") + k + "=" + v;
  return q;
}

std::string hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// Whether If-None-Match (a list of entity tags, or *) holds `etag` (weak comparison).
bool none_match_holds(std::string_view header, std::string_view etag) {
  for (const std::string& item : split(header, ',')) {
    std::string_view t = trim_ows(item);
    if (t == "*") return true;
    if (t.starts_with("W/")) t.remove_prefix(2);
    std::string_view e = etag;
    if (e.starts_with("W/")) e.remove_prefix(2);
    if (t == e) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// The cache

struct CachedTile {
  std::string mvt;
  std::string etag;  // of the identity encoding; the gzip one adds "-gz"
  mutable std::mutex gz_mutex;
  mutable std::string gz;  // made on first demand
  // What invalidation needs to know.
  const TileMatrixSet* tms = nullptr;
  bool gcj02 = false;
  TileId tile;
  uint32_t layer_mask = 0;                  // bit per LayerKind
  std::vector<std::string> feature_layers;  // the county layers in it
  layers::IncidentFilter filter;
  std::size_t bytes() const { return mvt.size() + gz.size() + 256; }
};

uint32_t bit(layers::LayerKind k) {
  return 1u << static_cast<unsigned>(k);
}

// Prometheus histogram buckets for tile build times, seconds.
constexpr std::array<double, 9> kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                            0.05,  0.1,    0.25,  1.0};

}  // namespace

struct TileService::Impl {
  std::shared_ptr<layers::County> county;
  TileServiceOptions options;
  uint64_t listener = 0;  // our handle among the county's listeners

  // The county layers by name with their audiences, kept in step by on_change, so that a
  // request finds its layers without the county's lock (handle_cached runs on the event loop).
  mutable std::mutex layers_mutex;
  std::map<std::string, layers::Audience, std::less<>> feature_layers;
  void note_feature_layer(const std::string& name) {
    const layers::FeatureLayer* l = county->feature_layer(name);
    std::lock_guard lock(layers_mutex);
    if (l)
      feature_layers[name] = l->def.audience;
    else
      feature_layers.erase(name);
  }
  std::optional<layers::Audience> feature_layer_audience(std::string_view name) const {
    std::lock_guard lock(layers_mutex);
    const auto it = feature_layers.find(name);
    return it == feature_layers.end() ? std::nullopt : std::optional(it->second);
  }

  mutable std::mutex mutex;    // guards the cache below
  std::list<std::string> lru;  // most recent first
  struct Slot {
    std::shared_ptr<const CachedTile> tile;
    std::list<std::string>::iterator pos;
  };
  std::unordered_map<std::string, Slot> cache;
  std::size_t cache_bytes = 0;

  std::atomic<uint64_t> hits{0}, misses{0}, evictions{0}, invalidations{0}, built_bytes{0},
      empty{0};
  std::array<std::atomic<uint64_t>, kBuckets.size() + 1> build_hist{};
  std::atomic<uint64_t> build_ns{0}, builds{0};

  void record_build(double seconds, std::size_t bytes) {
    std::size_t b = 0;
    while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
    ++build_hist[b];
    build_ns += static_cast<uint64_t>(seconds * 1e9);
    ++builds;
    built_bytes += bytes;
  }

  std::shared_ptr<const CachedTile> lookup(const std::string& key) {
    std::lock_guard lock(mutex);
    auto it = cache.find(key);
    if (it == cache.end()) return nullptr;
    lru.splice(lru.begin(), lru, it->second.pos);
    return it->second.tile;
  }

  void insert(const std::string& key, std::shared_ptr<const CachedTile> t) {
    if (options.cache_bytes == 0) return;
    std::lock_guard lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) erase(it);
    lru.push_front(key);
    cache_bytes += t->bytes() + key.size();
    const Place place = place_of(*t);
    scheme_tms[place.scheme] = t->tms;
    auto [it, added] = cache.emplace(key, Slot{std::move(t), lru.begin()});
    by_place[place].push_back(&it->first);
    ++at_zoom[place.scheme][place.z];
    while (cache_bytes > options.cache_bytes && !lru.empty()) {
      erase(cache.find(lru.back()));
      ++evictions;
    }
  }

  void erase(std::unordered_map<std::string, Slot>::iterator it) {
    const Place place = place_of(*it->second.tile);
    auto at = by_place.find(place);
    std::erase(at->second, &it->first);
    if (at->second.empty()) by_place.erase(at);
    --at_zoom[place.scheme][place.z];
    cache_bytes -= it->second.tile->bytes() + it->first.size();
    lru.erase(it->second.pos);
    cache.erase(it);
  }

  // Where each cached tile lies, so that a point's change looks only at the cached tiles around
  // its old and new positions (at most 9 per zoom and matrix set) and not at every cached tile:
  // invalidation holds the cache's mutex and the county's exclusive lock, so with a full cache
  // a scan of every tile on each write would hold up every read.
  struct Place {
    uint32_t scheme = 0;  // 0, 1: Web Mercator (1: GCJ-02); 2, 3: CGCS2000 (3: GCJ-02)
    uint32_t z = 0, x = 0, y = 0;
    bool operator==(const Place&) const = default;
  };
  struct PlaceHash {
    std::size_t operator()(const Place& p) const noexcept {
      const uint64_t h = ((uint64_t{p.x} << 32) | p.y) * 0x9E3779B97F4A7C15ull ^
                         (uint64_t{p.scheme} << 8 | p.z) * 0xC2B2AE3D27D4EB4Full;
      return static_cast<std::size_t>(h ^ (h >> 31));
    }
  };
  static uint32_t scheme_of(const TileMatrixSet& tms, bool gcj02) {
    return (tms.kind() == TileMatrixSet::Kind::WebMercatorQuad ? 0 : 2) + (gcj02 ? 1 : 0);
  }
  static Place place_of(const CachedTile& t) {
    return {scheme_of(*t.tms, t.gcj02), t.tile.z, t.tile.x, t.tile.y};
  }
  std::unordered_map<Place, std::vector<const std::string*>, PlaceHash> by_place;  // cache keys
  std::array<const TileMatrixSet*, 4> scheme_tms{};
  std::array<std::array<std::size_t, 32>, 4> at_zoom{};  // cached tiles per scheme and zoom

  // A county layer's change: every cached tile holding the layer, or those whose buffered box
  // meets one of the changed boxes.
  void on_feature_layer_change(const layers::Change& c, uint32_t extent, uint32_t buffer) {
    if (c.whole_layer) note_feature_layer(c.feature_layer);
    std::lock_guard lock(mutex);
    for (auto it = cache.begin(); it != cache.end();) {
      auto next = std::next(it);
      const CachedTile& t = *it->second.tile;
      if (std::find(t.feature_layers.begin(), t.feature_layers.end(), c.feature_layer) !=
          t.feature_layers.end()) {
        bool hit = c.whole_layer;
        if (!hit) {
          const spatial::Box q = layers::tile_query_box(*t.tms, t.gcj02, t.tile, extent, buffer);
          hit = std::any_of(c.boxes.begin(), c.boxes.end(),
                            [&](const spatial::Box& b) { return bg::intersects(b, q); });
        }
        if (hit) {
          erase(it);
          ++invalidations;
        }
      }
      it = next;
    }
  }

  // Called by County under its write lock, before the write is acknowledged.
  void on_change(const layers::Change& c) {
    if (c.ticket) return;  // the intake queue is in no tile
    const uint32_t extent = county->tiles().config().extent;
    const uint32_t buffer = county->tiles().config().buffer;
    if (!c.feature_layer.empty()) return on_feature_layer_change(c, extent, buffer);
    // The old and new positions in each matrix set and offset, projected once for all tiles.
    std::array<std::array<std::optional<spatial::Point>, 4>, 2> at;  // [before/after][scheme]
    auto position = [&](std::size_t which, uint32_t scheme, const TileMatrixSet& tms,
                        const layers::LonLat& p) -> const spatial::Point& {
      auto& cached = at[which][scheme];
      if (!cached) cached = layers::tile_crs_point(tms, scheme % 2 == 1, p);
      return *cached;
    };
    auto reaches = [&](const CachedTile& t, std::size_t which,
                       const std::optional<layers::LonLat>& p) {
      return p && layers::tile_reaches(*t.tms, t.tile,
                                       position(which, scheme_of(*t.tms, t.gcj02), *t.tms, *p),
                                       extent, buffer);
    };
    // A point whose attributes alone changed changes the tiles that draw it as itself (above the
    // layer's cluster zoom: a cluster's count does not change) at zooms where one of those
    // attributes is in the tile; a point that moved, appeared or left changes every tile that
    // reaches its old or new position, clustered or not.
    const bool moved = c.moved();
    const layers::TileLayerConfig* cfg =
        c.layer == layers::LayerKind::Grids
            ? nullptr
            : county->tiles().config().find(layers::layer_name(c.layer));
    auto shows_change = [&](uint32_t z) {
      if (!cfg || z <= cfg->cluster_maxzoom || z < cfg->minzoom || z > cfg->maxzoom) return false;
      for (const auto& f : cfg->fields)
        if (z >= f.minzoom && std::find(c.fields.begin(), c.fields.end(), f.name) != c.fields.end())
          return true;
      return false;
    };
    auto affected = [&](const CachedTile& t) {
      if (c.layer == layers::LayerKind::Grids) {
        // A grid's outline or name: the tiles of grid layers meeting its box before or after (the
        // points it joins again come as changes of their own).
        if (!(t.layer_mask & bit(layers::LayerKind::Grids))) return false;
        const spatial::Box q = layers::tile_query_box(*t.tms, t.gcj02, t.tile, extent, buffer);
        return (c.grid_before && bg::intersects(*c.grid_before, q)) ||
               (c.grid_after && bg::intersects(*c.grid_after, q));
      }
      if (!(t.layer_mask & bit(c.layer))) return false;
      // A filtered incident tile sees the incident only when it matches the filter: entering
      // or leaving the filter is, for that tile, like appearing or leaving.
      bool was = c.before.has_value(), is = c.after.has_value();
      if (c.layer == layers::LayerKind::Incidents && !t.filter.empty()) {
        was = was && c.incident_before && t.filter.matches(*c.incident_before);
        is = is && c.incident_after && t.filter.matches(*c.incident_after);
      }
      if (!was && !is) return false;
      if (moved || was != is)
        return (was && reaches(t, 0, c.before)) || (is && reaches(t, 1, c.after));
      return shows_change(t.tile.z) && reaches(t, 1, c.after);
    };
    std::lock_guard lock(mutex);
    auto invalidate = [&](std::unordered_map<std::string, Slot>::iterator it) {
      erase(it);
      ++invalidations;
    };
    // A grid's change may reach tiles anywhere in its box, and a buffer of a tile or more reaches
    // beyond the neighbours: every cached tile is checked (grid edits are rare).
    if (c.layer == layers::LayerKind::Grids || buffer + 1 >= extent) {
      for (auto it = cache.begin(); it != cache.end();) {
        auto next = std::next(it);
        if (affected(*it->second.tile)) invalidate(it);
        it = next;
      }
      return;
    }
    // A point reaches only the tile it lies in and, within the buffer, its 8 neighbours.
    std::vector<const std::string*> candidates;
    for (uint32_t s = 0; s < scheme_tms.size(); ++s) {
      if (!scheme_tms[s]) continue;
      const TileMatrixSet& tms = *scheme_tms[s];
      for (uint32_t z = 0; z < at_zoom[s].size(); ++z) {
        if (at_zoom[s][z] == 0) continue;
        for (std::size_t which = 0; which < 2; ++which) {
          const auto& p = which == 0 ? c.before : c.after;
          if (!p) continue;
          const spatial::Point& pt = position(which, s, tms, *p);
          const TileId home = tms.tile_at(pt.x(), pt.y(), z);
          for (int dx = -1; dx <= 1; ++dx)
            for (int dy = -1; dy <= 1; ++dy) {
              if ((dx < 0 && home.x == 0) || (dy < 0 && home.y == 0)) continue;
              auto found = by_place.find({s, z, home.x + dx, home.y + dy});
              if (found != by_place.end())
                candidates.insert(candidates.end(), found->second.begin(), found->second.end());
            }
        }
      }
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());
    for (const std::string* key : candidates) {
      auto it = cache.find(*key);
      if (affected(*it->second.tile)) invalidate(it);
    }
  }

  // The county layers' configurations (null in `cfgs`), under the county's read lock.
  // @throws NotFound for a layer dropped since the request named it.
  void resolve(std::vector<const layers::TileLayerConfig*>& cfgs,
               const std::vector<std::string>& names) const {
    for (std::size_t i = 0; i < cfgs.size(); ++i)
      if (!cfgs[i] && !(cfgs[i] = county->tiles().feature_layer_config(names[i])))
        throw NotFound("there is no layer named " + names[i]);
  }

  // A county layer in TileJSON's vector_layers.
  json feature_vector_layer(const layers::FeatureLayer& l, const layers::TileLayerConfig& c) const {
    json fields = json::object();
    for (const auto& f : c.fields) {
      const layers::Field* field = l.def.find(f.name);
      const auto type = field ? field->type : layers::FieldType::String;
      fields[f.name] =
          std::string(type == layers::FieldType::Integer || type == layers::FieldType::Real
                          ? "Number"
                      : type == layers::FieldType::Boolean ? "Boolean"
                                                           : "String") +
          (f.minzoom > 0 ? " (from zoom " + std::to_string(f.minzoom) + ")" : "");
    }
    std::string desc = l.def.title.empty() ? l.def.name : l.def.title;
    switch (l.def.geometry) {
      case layers::GeometryKind::Point:
        fields["count"] = "Number (clusters: points the cluster stands for)";
        fields["cluster"] = "Boolean (clusters only)";
        desc += ": points; clustered (count, cluster=true) at zooms up to " +
                std::to_string(c.cluster_maxzoom) + " and wherever a tile would hold more than " +
                std::to_string(county->tiles().config().max_points_per_tile) + " of them";
        break;
      case layers::GeometryKind::Line:
      case layers::GeometryKind::Polygon:
        desc += std::string(": ") +
                (l.def.geometry == layers::GeometryKind::Line ? "lines" : "polygons") +
                "; up to zoom " + std::to_string(layers::kThinMaxZoom) +
                " the largest of each of " + std::to_string(layers::kThinGrid) + " x " +
                std::to_string(layers::kThinGrid) + " cells per tile, every one above";
        break;
    }
    return {{"id", c.name},
            {"fields", fields},
            {"minzoom", c.minzoom},
            {"maxzoom", c.maxzoom},
            {"description", desc}};
  }

  // Called under the county's read lock.
  json tilejson(const ParsedTilePath& p, const std::vector<const layers::TileLayerConfig*>& cfgs,
                const TileQuery& q, const std::string& base_url) const {
    const bool cgcs = p.tms->kind() == TileMatrixSet::Kind::Cgcs2000;
    std::string names;
    for (const auto& n : p.layer_names) names += (names.empty() ? "" : ",") + n;
    std::string url = base_url + "/tiles/" + (cgcs ? "cgcs2000/" : "") + names + "/{z}/{x}/{y}.mvt";
    if (!q.canonical.empty()) url += "?" + q.canonical;
    uint32_t minz = 24, maxz = 0;
    json vector_layers = json::array();
    for (const auto* c : cfgs) {
      minz = std::min(minz, c->minzoom);
      maxz = std::max(maxz, c->maxzoom);
      if (const layers::FeatureLayer* l = county->feature_layer(c->name)) {
        vector_layers.push_back(feature_vector_layer(*l, *c));
        continue;
      }
      const auto src = layers::tile_layer_source(c->name);
      json fields = json::object();
      for (const auto& f : c->fields) {
        std::string type = "String";
        for (const auto& fi : layers::layer_fields(src.kind))
          if (fi.name == f.name)
            type = fi.type == layers::FieldType::Integer || fi.type == layers::FieldType::Real
                       ? "Number"
                   : fi.type == layers::FieldType::Boolean ? "Boolean"
                                                           : "String";
        if (src.kind == layers::LayerKind::Grids && f.name == "area_m2") type = "Number";
        fields[f.name] =
            type + (f.minzoom > 0 ? " (from zoom " + std::to_string(f.minzoom) + ")" : "");
      }
      std::string desc;
      if (src.kind == layers::LayerKind::Grids) {
        desc = src.level ? "grid polygons of level " + std::string(layers::level_name(*src.level))
                         : "grid polygons of every level (see the level field)";
      } else {
        fields["count"] = "Number (clusters: points the cluster stands for)";
        fields["cluster"] = "Boolean (clusters only)";
        desc = "points; clustered (count, cluster=true) at zooms up to " +
               std::to_string(c->cluster_maxzoom) + " and wherever a tile would hold more than " +
               std::to_string(county->tiles().config().max_points_per_tile) + " of them";
      }
      vector_layers.push_back({{"id", c->name},
                               {"fields", fields},
                               {"minzoom", c->minzoom},
                               {"maxzoom", c->maxzoom},
                               {"description", desc}});
    }
    // Bounds: the county's grids (shifted like the tiles when offset=gcj02).
    const spatial::Box extent = layers::grids_extent(county->data().grids);
    double w = extent.min_corner().x(), s = extent.min_corner().y();
    double e = extent.max_corner().x(), n = extent.max_corner().y();
    if (w > e) {
      w = -180;
      s = -85;
      e = 180;
      n = 85;
    }
    if (q.gcj02) {
      const auto a = spatial::wgs84_to_gcj02({w, s}), b = spatial::wgs84_to_gcj02({e, n});
      w = a.lon;
      s = a.lat;
      e = b.lon;
      n = b.lat;
    }
    json tj = {
        {"tilejson", "3.0.0"},
        {"name", "onemap " + names},
        {"tiles", json::array({url})},
        {"vector_layers", vector_layers},
        {"minzoom", std::max(minz, p.tms->min_zoom())},
        {"maxzoom", std::min(maxz, p.tms->max_zoom())},
        {"bounds", {w, s, e, n}},
        {"center",
         {(w + e) / 2, (s + n) / 2,
          std::clamp<uint32_t>(10, std::max(minz, p.tms->min_zoom()), maxz)}},
        {"scheme", "xyz"},
        {"crs", std::string(p.tms->crs())},
        {"tile_matrix_set", std::string(p.tms->name())},
        {"coordinates", q.gcj02 ? "GCJ-02" : "CGCS2000"},
    };
    return tj;
  }
};

TileService::TileService(std::shared_ptr<layers::County> county, TileServiceOptions options,
                         const auth::ReadPolicy& policy)
    : impl_(std::make_unique<Impl>()) {
  impl_->county = std::move(county);
  impl_->options = std::move(options);
  if (impl_->options.empty_status != 204 && impl_->options.empty_status != 200)
    throw InvalidArgument("empty_status", "must be 204 or 200");
  // Tiles are shared by every viewer of an audience: their attributes are those the layer's
  // audience may read (no free text or person in incident tiles, no name in workers').
  for (const auto& l : impl_->county->tiles().config().layers) {
    const auto kind = layers::tile_layer_source(l.name).kind;
    for (const auto& f : l.fields)
      if (!policy.reaches(policy.layer_audience(kind), kind, f.name))
        throw InvalidArgument(
            "tiles-config",
            "attribute '" + f.name + "' of tile layer " + l.name + " is for the " +
                std::string(auth::audience_name(policy.field_audience(kind, f.name))) +
                " audience and cannot go into shared tiles");
  }
  Impl* m = impl_.get();
  impl_->listener = impl_->county->on_change([m](const layers::Change& c) { m->on_change(c); });
  auto lock = impl_->county->read();  // after the listener: no layer added in between is missed
  for (const auto& l : impl_->county->feature_layers()) impl_->note_feature_layer(l.def.name);
}

TileService::~TileService() {
  // The county may outlive this service: it must not call into it afterwards.
  impl_->county->remove_listener(impl_->listener);
}

HttpAnswer TileService::handle(std::string_view path,
                               const std::vector<std::pair<std::string, std::string>>& query,
                               std::string_view accept_encoding, std::string_view if_none_match,
                               const std::string& base_url, const auth::Viewer& viewer) {
  return *answer(path, query, accept_encoding, if_none_match, base_url, viewer, false);
}

std::optional<HttpAnswer> TileService::handle_cached(
    std::string_view path, const std::vector<std::pair<std::string, std::string>>& query,
    std::string_view accept_encoding, std::string_view if_none_match, const auth::Viewer& viewer) {
  return answer(path, query, accept_encoding, if_none_match, "", viewer, true);
}

std::optional<HttpAnswer> TileService::answer(
    std::string_view path, const std::vector<std::pair<std::string, std::string>>& query,
    std::string_view accept_encoding, std::string_view if_none_match, const std::string& base_url,
    const auth::Viewer& viewer, bool cached_only) {
  Impl& m = *impl_;
  if (!path.starts_with("/tiles/")) throw NotFound("no resource at " + std::string(path));
  const ParsedTilePath p = parse_tile_path(path.substr(7));
  // The five layers' configurations; a county layer's (null here) is read under the county's
  // lock when it is needed, as it changes with the layer.
  std::vector<const layers::TileLayerConfig*> cfgs;
  std::vector<std::string> county_layers;
  const layers::TileConfig& config = m.county->tiles().config();
  bool has_incidents = false;
  uint32_t mask = 0;
  for (const auto& n : p.layer_names) {
    if (const auto* c = config.find(n)) {
      cfgs.push_back(c);
      const auto src = layers::tile_layer_source(n);
      check_tile_access(viewer, n);
      has_incidents = has_incidents || src.kind == layers::LayerKind::Incidents;
      mask |= bit(src.kind);
    } else if (const auto audience = m.feature_layer_audience(n)) {
      check_tile_access(viewer, n, *audience, n);
      cfgs.push_back(nullptr);
      county_layers.push_back(n);
    } else {
      std::string known;
      for (const auto& k : layers::tile_layer_names())
        if (config.find(k)) known += (known.empty() ? "" : ", ") + k;
      {
        std::lock_guard lock(m.layers_mutex);
        for (const auto& [k, a] : m.feature_layers) known += ", " + k;
      }
      throw InvalidArgument("layers", "unknown tile layer '" + n + "' (layers: " + known + ")");
    }
  }
  TileQuery q = parse_query(query, has_incidents);
  // Sensitive categories are counts only (statistics) for all but county-wide staff; the filter
  // is part of the cache key, so that no cached tile crosses audiences.
  if (has_incidents && (viewer.audience == auth::Audience::Public || !viewer.scope.empty()))
    for (const auto& c : m.county->dispatch_config().categories)
      if (c.sensitive) q.filter.hidden_categories.push_back(c.code);

  HttpAnswer a;
  if (p.tilejson && cached_only) return std::nullopt;
  if (p.tilejson) {
    auto lock = m.county->read();
    m.resolve(cfgs, p.layer_names);
    a.body = layers::json_text(m.tilejson(p, cfgs, q, base_url));  // Host may hold any bytes
    a.headers.emplace_back("Cache-Control", "no-cache");
    return a;
  }

  const TileMatrixSet& tms = *p.tms;
  if (p.tile.z < tms.min_zoom() || p.tile.z > tms.max_zoom())
    throw InvalidArgument("z", "zoom " + std::to_string(p.tile.z) + " is outside " +
                                   std::string(tms.name()) + "'s range [" +
                                   std::to_string(tms.min_zoom()) + ", " +
                                   std::to_string(tms.max_zoom()) + "]");
  if (p.tile.x >= tms.matrix_width(p.tile.z))
    throw InvalidArgument("x", "column " + std::to_string(p.tile.x) + " is outside [0, " +
                                   std::to_string(tms.matrix_width(p.tile.z) - 1) + "] at zoom " +
                                   std::to_string(p.tile.z));
  if (p.tile.y >= tms.matrix_height(p.tile.z))
    throw InvalidArgument("y", "row " + std::to_string(p.tile.y) + " is outside [0, " +
                                   std::to_string(tms.matrix_height(p.tile.z) - 1) + "] at zoom " +
                                   std::to_string(p.tile.z));

  std::string key = std::string(tms.name()) + "|" + (q.gcj02 ? "gcj02" : "") + "|";
  for (const auto& n : p.layer_names) key += n + ",";
  key += "|" + std::to_string(p.tile.z) + "/" + std::to_string(p.tile.x) + "/" +
         std::to_string(p.tile.y);
  key += "|" + q.filter.key();

  std::shared_ptr<const CachedTile> t = m.lookup(key);
  if (cached_only) {
    if (!t) return std::nullopt;
    if (accepts_gzip(accept_encoding) && !t->mvt.empty()) {  // made already, not being made now
      std::unique_lock lock(t->gz_mutex, std::try_to_lock);
      if (!lock.owns_lock() || t->gz.empty()) return std::nullopt;
    }
  }
  a.headers.emplace_back("X-Cache", t ? "hit" : "miss");
  if (t) {
    ++m.hits;
  } else {
    ++m.misses;
    auto lock = m.county->read();  // held until the tile is cached: no write can slip between
    m.resolve(cfgs, p.layer_names);
    layers::TileRequest rq;
    rq.feature_layers = &m.county->feature_layers();
    rq.tms = &tms;
    rq.tile = p.tile;
    rq.gcj02 = q.gcj02;
    rq.layers = cfgs;
    rq.incidents = q.filter;
    const auto t0 = std::chrono::steady_clock::now();
    auto built = std::make_shared<CachedTile>();
    built->mvt = m.county->tiles().build(m.county->data(), rq);
    m.record_build(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(),
                   built->mvt.size());
    built->etag = "\"" + hex64(fnv1a(built->mvt)) + "\"";
    built->tms = &tms;
    built->gcj02 = q.gcj02;
    built->tile = p.tile;
    built->layer_mask = mask;
    built->feature_layers = county_layers;
    built->filter = q.filter;
    if (built->mvt.empty()) ++m.empty;
    m.insert(key, built);
    t = built;
  }

  const bool gzip_it = accepts_gzip(accept_encoding) && !t->mvt.empty();
  const std::string etag = gzip_it ? t->etag.substr(0, t->etag.size() - 1) + "-gz\"" : t->etag;
  a.headers.emplace_back("ETag", etag);
  a.headers.emplace_back("Cache-Control", m.options.cache_control);
  a.headers.emplace_back("Vary", "Accept-Encoding");
  a.content_type = "application/vnd.mapbox-vector-tile";
  if (!if_none_match.empty() && none_match_holds(if_none_match, etag)) {
    a.status = 304;
    return a;
  }
  if (t->mvt.empty()) {
    a.status = m.options.empty_status;
    return a;
  }
  if (gzip_it) {
    {
      std::lock_guard lock(t->gz_mutex);
      if (t->gz.empty()) t->gz = gzip(t->mvt);
      a.body = t->gz;
    }
    a.headers.emplace_back("Content-Encoding", "gzip");
  } else {
    a.body = t->mvt;
  }
  return a;
}

std::string TileService::metrics() const {
  const Impl& m = *impl_;
  std::size_t entries, bytes;
  {
    std::lock_guard lock(m.mutex);
    entries = m.cache.size();
    bytes = m.cache_bytes;
  }
  std::string out;
  auto counter = [&](const char* name, const char* help, uint64_t v, const char* type = "counter") {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(v) + "\n";
  };
  counter("onemap_tile_cache_hits_total", "Tile requests answered from the cache.", m.hits);
  counter("onemap_tile_cache_misses_total", "Tile requests that built the tile.", m.misses);
  counter("onemap_tile_cache_evictions_total", "Cached tiles dropped for the byte budget.",
          m.evictions);
  counter("onemap_tile_cache_invalidations_total",
          "Cached tiles dropped because a write changed them.", m.invalidations);
  counter("onemap_tile_cache_entries", "Tiles in the cache.", entries, "gauge");
  counter("onemap_tile_cache_bytes", "Bytes the cache holds (tiles, their gzip form, keys).", bytes,
          "gauge");
  counter("onemap_tile_cache_budget_bytes", "The cache's byte budget.", m.options.cache_bytes,
          "gauge");
  counter("onemap_tiles_built_bytes_total", "Bytes of MVT built.", m.built_bytes);
  counter("onemap_tiles_empty_total", "Tiles built with no feature.", m.empty);
  out +=
      "# HELP onemap_tile_build_seconds Time to build a tile (uncached).\n# TYPE "
      "onemap_tile_build_seconds histogram\n";
  uint64_t cumulative = 0;
  for (std::size_t b = 0; b < kBuckets.size(); ++b) {
    cumulative += m.build_hist[b];
    char le[32];
    std::snprintf(le, sizeof le, "%g", kBuckets[b]);
    out += "onemap_tile_build_seconds_bucket{le=\"" + std::string(le) + "\"} " +
           std::to_string(cumulative) + "\n";
  }
  cumulative += m.build_hist[kBuckets.size()];
  out += "onemap_tile_build_seconds_bucket{le=\"+Inf\"} " + std::to_string(cumulative) + "\n";
  char sum[64];
  std::snprintf(sum, sizeof sum, "%.9f", static_cast<double>(m.build_ns.load()) / 1e9);
  out += std::string("onemap_tile_build_seconds_sum ") + sum + "\n";
  out += "onemap_tile_build_seconds_count " + std::to_string(m.builds.load()) + "\n";
  return out;
}

}  // namespace onemap::api
