// Vector tiles (tiles.hpp): what is configured and asked for, before anything is built: the
// incident filter, the tile layer names and their sources, TileConfig's defaults and its JSON
// reader.
#include "layers/model/schema.hpp"
#include "layers/tiles/tiles.hpp"

#include "core/errors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>

namespace onemap::layers {

// ---------------------------------------------------------------------------------------------
// Filter

bool IncidentFilter::matches(const Incident& i) const {
  if (!statuses.empty() && std::find(statuses.begin(), statuses.end(), i.status) == statuses.end())
    return false;
  if (!categories.empty() &&
      std::find(categories.begin(), categories.end(), i.category) == categories.end())
    return false;
  if (since && i.reported_at < *since) return false;
  if (until && i.reported_at >= *until) return false;
  if (std::find(hidden_categories.begin(), hidden_categories.end(), i.category) !=
      hidden_categories.end())
    return false;
  return true;
}

std::string IncidentFilter::key() const {
  if (empty()) return {};
  auto joined = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    std::string s;
    for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
    return s;
  };
  std::string k = "status=" + joined(statuses) + "&category=" + joined(categories);
  if (since) k += "&since=" + std::to_string(*since);
  if (until) k += "&until=" + std::to_string(*until);
  if (!hidden_categories.empty()) k += "&hidden=" + joined(hidden_categories);
  return k;
}

// ---------------------------------------------------------------------------------------------
// Configuration

namespace {

constexpr std::array<std::string_view, 6> kGridTileLayers = {
    "grids", "grids.county", "grids.town", "grids.village", "grids.grid", "grids.microgrid"};

// The attributes a tile layer may carry: the served fields of its schema, personal ones excluded.
std::vector<std::string> allowed_fields(LayerKind kind) {
  std::vector<std::string> out;
  for (const auto& f : layer_fields(kind))
    if (!f.personal && f.served) out.push_back(f.name);
  return out;
}

// A layer's tile attributes by default: the fields its schema puts in tiles, each from the
// schema's tile_minzoom, in order of zoom (then of the schema).
std::vector<TileField> schema_tile_fields(LayerKind kind) {
  std::vector<TileField> out;
  for (const auto& f : layer_fields(kind))
    if (f.in_tiles() && !f.personal && f.served)
      out.push_back({f.name, static_cast<uint32_t>(f.tile_minzoom)});
  std::stable_sort(out.begin(), out.end(),
                   [](const TileField& a, const TileField& b) { return a.minzoom < b.minzoom; });
  return out;
}

}  // namespace

TileLayerSource tile_layer_source(std::string_view name) {
  if (name == "grids") return {LayerKind::Grids, std::nullopt};
  if (name.starts_with("grids.")) {
    try {
      return {LayerKind::Grids, level_from_name(name.substr(6))};
    } catch (const InvalidArgument&) {
    }
  } else if (name != "grids") {
    try {
      const LayerKind k = layer_from_name(name);
      if (k != LayerKind::Grids) return {k, std::nullopt};
    } catch (const InvalidArgument&) {
    }
  }
  std::string known;
  for (const auto& n : tile_layer_names()) known += (known.empty() ? "" : ", ") + n;
  throw InvalidArgument("layers",
                        "unknown tile layer '" + std::string(name) + "' (layers: " + known + ")");
}

const std::vector<std::string>& tile_layer_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> v(kGridTileLayers.begin(), kGridTileLayers.end());
    for (auto k :
         {LayerKind::Households, LayerKind::Enterprises, LayerKind::Incidents, LayerKind::Workers})
      v.emplace_back(layer_name(k));
    return v;
  }();
  return names;
}

TileConfig TileConfig::defaults() {
  TileConfig c;
  const auto grid_fields = schema_tile_fields(LayerKind::Grids);
  c.layers.push_back({"grids", 0, 24, 0, grid_fields});
  c.layers.push_back({"grids.county", 0, 24, 0, grid_fields});
  c.layers.push_back({"grids.town", 6, 24, 0, grid_fields});
  c.layers.push_back({"grids.village", 9, 24, 0, grid_fields});
  c.layers.push_back({"grids.grid", 11, 24, 0, grid_fields});
  c.layers.push_back({"grids.microgrid", 13, 24, 0, grid_fields});
  // Point layers: what a point is (status, category, risk, role) from the first zoom that shows
  // it; which one it is (ids, dates, grid codes) from zoom 16, where a tile holds few enough
  // points to tell them apart (layers/model/schema.cpp says which field comes when).
  c.layers.push_back({"households", 0, 24, 15, schema_tile_fields(LayerKind::Households)});
  c.layers.push_back({"enterprises", 0, 24, 11, schema_tile_fields(LayerKind::Enterprises)});
  c.layers.push_back({"incidents", 0, 24, 12, schema_tile_fields(LayerKind::Incidents)});
  c.layers.push_back({"workers", 0, 24, 11, schema_tile_fields(LayerKind::Workers)});
  return c;
}

TileConfig TileConfig::from_json(std::string_view text) {
  TileConfig c = defaults();
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const std::exception& e) {
    throw InvalidArgument("tiles config", std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw InvalidArgument("tiles config", "must be a JSON object");
  auto unsigned_at = [](const nlohmann::json& o, const std::string& key, const std::string& where,
                        uint32_t lo, uint32_t hi, uint32_t& out) {
    if (!o.contains(key)) return;
    const auto& v = o[key];
    if (!v.is_number_integer() || v.get<int64_t>() < lo || v.get<int64_t>() > hi)
      throw InvalidArgument(where + key, "must be an integer in [" + std::to_string(lo) + ", " +
                                             std::to_string(hi) + "]");
    out = v.get<uint32_t>();
  };
  for (const auto& [key, value] : j.items()) {
    if (key != "extent" && key != "buffer" && key != "max_points_per_tile" &&
        key != "cluster_grid" && key != "layers")
      throw InvalidArgument(key, "unknown key in the tiles configuration");
  }
  unsigned_at(j, "extent", "", 256, 65536, c.extent);
  unsigned_at(j, "buffer", "", 0, 4096, c.buffer);
  unsigned_at(j, "max_points_per_tile", "", 1, 1000000, c.max_points_per_tile);
  unsigned_at(j, "cluster_grid", "", 1, 256, c.cluster_grid);
  if ((c.cluster_grid & (c.cluster_grid - 1)) != 0)
    throw InvalidArgument("cluster_grid", "must be a power of two");
  if (j.contains("layers")) {
    if (!j["layers"].is_object())
      throw InvalidArgument("layers", "must be an object keyed by layer name");
    for (const auto& [name, lj] : j["layers"].items()) {
      const TileLayerSource src = tile_layer_source(name);
      auto it = std::find_if(c.layers.begin(), c.layers.end(),
                             [&layer = name](const auto& l) { return l.name == layer; });
      // tile_layer_source reads names in any case ("Incidents", "grids.Micro-Grid"); the
      // configuration is keyed by the exact one.
      if (it == c.layers.end()) {
        std::string known;
        for (const auto& n : tile_layer_names()) known += (known.empty() ? "" : ", ") + n;
        throw InvalidArgument("layers",
                              "unknown tile layer '" + name + "' (layers: " + known + ")");
      }
      TileLayerConfig& l = *it;
      const std::string where = "layers." + name + ".";
      if (!lj.is_object()) throw InvalidArgument("layers." + name, "must be an object");
      for (const auto& [key, value] : lj.items())
        if (key != "minzoom" && key != "maxzoom" && key != "cluster_maxzoom" && key != "fields")
          throw InvalidArgument(where + key, "unknown key");
      unsigned_at(lj, "minzoom", where, 0, 24, l.minzoom);
      unsigned_at(lj, "maxzoom", where, 0, 24, l.maxzoom);
      unsigned_at(lj, "cluster_maxzoom", where, 0, 24, l.cluster_maxzoom);
      if (l.minzoom > l.maxzoom) throw InvalidArgument(where + "minzoom", "is above maxzoom");
      if (lj.contains("fields")) {
        const auto& fj = lj["fields"];
        if (!fj.is_array()) throw InvalidArgument(where + "fields", "must be an array");
        const auto allowed = allowed_fields(src.kind);
        l.fields.clear();
        for (const auto& f : fj) {
          TileField tf;
          if (f.is_string()) {
            tf.name = f.get<std::string>();
          } else if (f.is_object() && f.contains("name") && f["name"].is_string()) {
            tf.name = f["name"].get<std::string>();
            unsigned_at(f, "minzoom", where + "fields." + tf.name + ".", 0, 24, tf.minzoom);
          } else {
            throw InvalidArgument(where + "fields",
                                  "entries are names or {\"name\":…, \"minzoom\":…}");
          }
          if (is_personal(src.kind, tf.name))
            throw InvalidArgument(
                where + "fields",
                "'" + tf.name + "' is personal information and never goes into tiles");
          if (std::find(allowed.begin(), allowed.end(), tf.name) == allowed.end()) {
            std::string list;
            for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
            throw InvalidArgument(where + "fields",
                                  "unknown field '" + tf.name + "' (fields: " + list + ")");
          }
          l.fields.push_back(tf);
        }
      }
    }
  }
  return c;
}

const TileLayerConfig* TileConfig::find(std::string_view name) const {
  for (const auto& l : layers)
    if (l.name == name) return &l;
  return nullptr;
}

}  // namespace onemap::layers
