// The whole map as a MapLibre style (map_style.hpp).
#include "api/map_style.hpp"

#include "core/errors.hpp"
#include "layers/model/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <map>

namespace onemap::api {

namespace {

using json = nlohmann::json;
using layers::GeometryKind;

// Grid outlines as the web map draws them (web/src/layers.js).
struct GridLine {
  const char* level;
  const char* colour;
  double width_lo, width_hi;  // at zooms 9 and 16
  uint32_t minzoom;
};
constexpr GridLine kGridLines[] = {{"grid", "#b5b9be", 0.4, 1.2, 11},
                                   {"village", "#6f8fb8", 0.6, 2, 9},
                                   {"town", "#7b5ea7", 1, 3.5, 6},
                                   {"county", "#4a2c7a", 2, 5, 0}};

json width_by_zoom(double lo, double hi) {
  return json::array(
      {"interpolate", json::array({"linear"}), json::array({"zoom"}), 9, lo, 16, hi});
}

// A cluster's circle grows with the square root of its count; a single point has `radius`.
json point_radius(double radius) {
  return json::array({"case", json::array({"has", "count"}),
                      json::array({"interpolate", json::array({"linear"}),
                                   json::array({"sqrt", json::array({"get", "count"})}), 1, radius,
                                   20, radius * 3}),
                      radius});
}

// The style layers of one county layer, each with the layer's metadata.
std::vector<json> county_layer_style(const layers::LayerDef& def, const std::string& source) {
  const layers::LayerStyle& st = def.style;
  const json meta = {{"onemap:layer", def.name},
                     {"onemap:title", def.title.empty() ? def.name : def.title},
                     {"onemap:theme", def.theme.empty() ? "其他" : def.theme},
                     {"onemap:geometry", std::string(layers::geometry_kind_name(def.geometry))},
                     {"onemap:label", st.label},
                     {"onemap:icon", st.icon}};
  auto base = [&](const std::string& id, const char* type) {
    json l = {{"id", id},
              {"type", type},
              {"source", source},
              {"source-layer", def.name},
              {"metadata", meta}};
    const int minzoom = st.minzoom >= 0 ? st.minzoom : static_cast<int>(def.minzoom);
    if (minzoom > 0) l["minzoom"] = minzoom;
    if (def.maxzoom < 24) l["maxzoom"] = def.maxzoom + 1;  // tiles of maxzoom stay drawn up to it
    return l;
  };
  std::vector<json> out;
  switch (def.geometry) {
    case GeometryKind::Polygon: {
      json fill = base(def.name, "fill");
      fill["paint"] = {{"fill-color", st.fill.empty() ? st.color : st.fill},
                       {"fill-opacity", st.fill.empty() ? 0.25 : 0.6}};
      json outline = base(def.name + "-outline", "line");
      outline["paint"] = {{"line-color", st.color}, {"line-width", st.width}};
      out.push_back(std::move(fill));
      out.push_back(std::move(outline));
      break;
    }
    case GeometryKind::Line: {
      json line = base(def.name, "line");
      line["layout"] = {{"line-cap", "round"}, {"line-join", "round"}};
      line["paint"] = {{"line-color", st.color}, {"line-width", st.width}};
      out.push_back(std::move(line));
      break;
    }
    case GeometryKind::Point: {
      json circle = base(def.name, "circle");
      circle["paint"] = {{"circle-color", st.color},
                         {"circle-radius", point_radius(st.radius)},
                         {"circle-opacity", 0.9},
                         {"circle-stroke-color", "#ffffff"},
                         {"circle-stroke-width", 1}};
      out.push_back(std::move(circle));
      break;
    }
  }
  return out;
}

// Polygons under lines under points, each kind in the layers' order (by name).
int draw_order(GeometryKind k) {
  return k == GeometryKind::Polygon ? 0 : k == GeometryKind::Line ? 1 : 2;
}

}  // namespace

std::string map_style(const layers::County& county, const auth::Viewer& viewer,
                      const std::string& base_url,
                      const std::vector<std::pair<std::string, std::string>>& query) {
  std::string offset;
  for (const auto& [k, v] : query) {
    if (k == "offset") {
      if (v != "gcj02" && v != "none")
        throw InvalidArgument("offset", "must be gcj02 (tiles shifted into GCJ-02) or none");
      offset = v == "gcj02" ? "?offset=gcj02" : "";
    } else if (k == "f") {
      if (v != "json") throw InvalidArgument("f", "must be json (a MapLibre style is JSON)");
    } else {
      throw InvalidArgument(k, "unknown query parameter for the style (parameters: offset, f)");
    }
  }
  auto tiles = [&](const std::string& layers) {
    return json::array({base_url + "/tiles/" + layers + "/{z}/{x}/{y}.mvt" + offset});
  };
  // Tiles of a staff layer are cut for the whole county: county-wide staff only (api/tiles.cpp).
  auto sees = [&](layers::Audience a) {
    return static_cast<int>(viewer.audience) >= static_cast<int>(a) &&
           (a == layers::Audience::Public || viewer.scope.empty());
  };

  auto lock = county.read();
  const spatial::Box box = layers::grids_extent(county.data().grids);
  json style = {{"version", 8}, {"name", "onemap"}};
  if (box.min_corner().x() <= box.max_corner().x()) {
    style["center"] = {(box.min_corner().x() + box.max_corner().x()) / 2,
                       (box.min_corner().y() + box.max_corner().y()) / 2};
    style["zoom"] = 10;
  }
  json sources = json::object();
  json layers = json::array();
  layers.push_back(
      {{"id", "background"}, {"type", "background"}, {"paint", {{"background-color", "#eef0ec"}}}});

  // Grid outlines, finest first (the coarser drawn over them).
  sources["onemap-grids"] = {{"type", "vector"},
                             {"tiles", tiles("grids.county,grids.town,grids.village,grids.grid")},
                             {"minzoom", 0},
                             {"maxzoom", 16}};
  for (const GridLine& g : kGridLines) {
    json l = {{"id", std::string("grids-") + g.level},
              {"type", "line"},
              {"source", "onemap-grids"},
              {"source-layer", std::string("grids.") + g.level},
              {"paint",
               {{"line-color", g.colour}, {"line-width", width_by_zoom(g.width_lo, g.width_hi)}}}};
    if (g.minzoom > 0) l["minzoom"] = g.minzoom;
    layers.push_back(std::move(l));
  }

  // The county layers the viewer may see, in one source, grouped by theme in the catalogue.
  std::vector<const layers::FeatureLayer*> shown;
  for (const auto& l : county.feature_layers())
    if (sees(l.def.audience)) shown.push_back(&l);
  std::stable_sort(shown.begin(), shown.end(), [](const auto* a, const auto* b) {
    return draw_order(a->def.geometry) < draw_order(b->def.geometry);
  });
  std::map<std::string, json> themes;
  if (!shown.empty()) {
    std::string names;
    uint32_t minzoom = 24;
    for (const auto* l : shown) {
      names += (names.empty() ? "" : ",") + l->def.name;
      minzoom = std::min(minzoom, l->def.minzoom);
    }
    sources["onemap-layers"] = {
        {"type", "vector"}, {"tiles", tiles(names)}, {"minzoom", minzoom}, {"maxzoom", 16}};
    for (const auto* l : shown) {
      json ids = json::array();
      for (auto& sl : county_layer_style(l->def, "onemap-layers")) {
        ids.push_back(sl["id"]);
        layers.push_back(std::move(sl));
      }
      const std::string theme = l->def.theme.empty() ? "其他" : l->def.theme;
      themes[theme].push_back(
          {{"name", l->def.name},
           {"title", l->def.title.empty() ? l->def.name : l->def.title},
           {"geometry", std::string(layers::geometry_kind_name(l->def.geometry))},
           {"color", l->def.style.color},
           {"fill", l->def.style.fill},
           {"icon", l->def.style.icon},
           {"label", l->def.style.label},
           {"style_layers", ids}});
    }
  }

  // Incidents (the public see what their audience may: tiles apply the read policy).
  if (sees(viewer.policy->layer_audience(layers::LayerKind::Incidents))) {
    sources["onemap-incidents"] = {
        {"type", "vector"}, {"tiles", tiles("incidents")}, {"minzoom", 0}, {"maxzoom", 16}};
    layers.push_back({{"id", "incidents"},
                      {"type", "circle"},
                      {"source", "onemap-incidents"},
                      {"source-layer", "incidents"},
                      {"paint",
                       {{"circle-color", "#8e24aa"},
                        {"circle-radius", point_radius(3.5)},
                        {"circle-opacity", 0.85},
                        {"circle-stroke-color", "#ffffff"},
                        {"circle-stroke-width", 1}}}});
  }
  if (sees(viewer.policy->layer_audience(layers::LayerKind::Workers))) {
    sources["onemap-workers"] = {
        {"type", "vector"}, {"tiles", tiles("workers")}, {"minzoom", 0}, {"maxzoom", 16}};
    layers.push_back({{"id", "workers"},
                      {"type", "circle"},
                      {"source", "onemap-workers"},
                      {"source-layer", "workers"},
                      {"paint",
                       {{"circle-color", "#e76f51"},
                        {"circle-radius", point_radius(4)},
                        {"circle-stroke-color", "#3d1408"},
                        {"circle-stroke-width", 1}}}});
  }

  json catalogue = json::array();
  for (auto& [theme, entries] : themes)
    catalogue.push_back({{"theme", theme}, {"layers", entries}});
  style["metadata"] = {{"onemap:catalogue", catalogue}};
  style["sources"] = sources;
  style["layers"] = layers;
  return layers::json_text(style);
}

}  // namespace onemap::api
