// The demo county's own layers (demo_layers.hpp). Random draws come from std::mt19937_64 through
// the uniform written out here (the top 53 bits), as demo.cpp draws, so the layers are the same
// with every standard library.
#include "tools/demo/demo_layers.hpp"

#include "layers/model/join.hpp"
#include "spatial/geos_ops.hpp"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <unordered_map>

namespace onemap::layers {

namespace {

namespace bg = spatial::bg;

class Draws {
 public:
  explicit Draws(uint64_t seed) : rng_(seed) {}
  double uniform(double lo = 0, double hi = 1) {
    return lo + (hi - lo) * static_cast<double>(rng_() >> 11) * 0x1.0p-53;
  }
  std::size_t index(std::size_t n) {
    return std::min(n - 1, static_cast<std::size_t>(uniform() * static_cast<double>(n)));
  }
  // A point inside `area` (rejection in its bounding box; its inner point when that fails).
  LonLat inside(const MultiPolygon& area) {
    const spatial::Box b = spatial::envelope(area);
    for (int tries = 0; tries < 200; ++tries) {
      const spatial::Point p(uniform(b.min_corner().x(), b.max_corner().x()),
                             uniform(b.min_corner().y(), b.max_corner().y()));
      if (bg::within(p, area)) return {p.x(), p.y()};
    }
    const spatial::Point p = spatial::point_on_surface(area);
    return {p.x(), p.y()};
  }

 private:
  std::mt19937_64 rng_;
};

std::string zero_pad(uint64_t v, int width) {
  std::string s = std::to_string(v);
  return std::string(static_cast<std::size_t>(std::max(0, width - static_cast<int>(s.size()))),
                     '0') +
         s;
}

// How many of something a village gets: `per_village` × scale, at least one.
std::size_t count(double per_village, double scale) {
  return std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(per_village * scale)));
}

LayerDef def(const char* json) {
  return definition_from_json(json);
}

}  // namespace

std::vector<FeatureLayer> build_demo_layers(const Dataset& data, uint64_t seed, double scale) {
  Draws draw(seed ^ 0x6c617965727344ULL);  // a stream of its own ("layersD")
  std::vector<const Grid*> towns, villages;
  std::unordered_map<std::string, const Grid*> by_code;
  for (const Grid& g : data.grids) {
    by_code[g.code] = &g;
    if (g.level == GridLevel::Town) towns.push_back(&g);
    if (g.level == GridLevel::Village) villages.push_back(&g);
  }
  auto centre = [](const Grid& g) {
    const spatial::Point p = spatial::point_on_surface(g.geometry);
    return LonLat{p.x(), p.y()};
  };

  FeatureLayer cameras{def(R"({
    "name": "cameras", "title": "雪亮工程摄像头", "theme": "安全", "geometry": "point",
    "id_field": "device_id", "minzoom": 10,
    "description": "公共安全视频监控点位（雪亮工程），国标 GB/T 28181 编码",
    "fields": [
      {"name": "device_id", "audience": "public", "tile_minzoom": 15},
      {"name": "name", "audience": "public", "tile_minzoom": 14},
      {"name": "kind", "audience": "public", "tile_minzoom": 12},
      {"name": "keeper_unit", "audience": "staff"}],
    "style": {"color": "#dc2626", "icon": "camera", "radius": 4, "label": "name", "minzoom": 12}})"),
                       {}};
  FeatureLayer stations{def(R"({
    "name": "stations", "title": "四站融合服务站", "theme": "治理", "geometry": "point",
    "fields": [
      {"name": "name", "audience": "public", "tile_minzoom": 0},
      {"name": "services", "audience": "public", "tile_minzoom": 12},
      {"name": "staff", "type": "integer", "audience": "staff"}],
    "style": {"color": "#7c3aed", "icon": "station", "radius": 7, "label": "name"}})"),
                        {}};
  FeatureLayer pipes{def(R"({
    "name": "sewage_pipes", "title": "污水管网", "theme": "环境", "geometry": "line",
    "id_field": "pipe_id", "minzoom": 9,
    "fields": [
      {"name": "pipe_id", "audience": "public", "tile_minzoom": 15},
      {"name": "kind", "audience": "public", "tile_minzoom": 9},
      {"name": "diameter_mm", "type": "integer", "audience": "public", "tile_minzoom": 13},
      {"name": "material", "audience": "staff"}],
    "style": {"color": "#0891b2", "width": 2}})"),
                     {}};
  FeatureLayer zones{def(R"({
    "name": "land_use", "title": "国土空间规划分区", "theme": "规划", "geometry": "polygon",
    "id_field": "zone_id",
    "fields": [
      {"name": "zone_id", "audience": "public", "tile_minzoom": 14},
      {"name": "use", "audience": "public", "tile_minzoom": 0},
      {"name": "approved", "type": "boolean", "audience": "staff"}],
    "style": {"color": "#15803d", "fill": "#bbf7d0", "width": 1, "label": "use", "minzoom": 13}})"),
                     {}};
  FeatureLayer garbage{def(R"({
    "name": "garbage_points", "title": "垃圾分类收集点", "theme": "环境", "geometry": "point",
    "minzoom": 12,
    "fields": [
      {"name": "name", "audience": "public", "tile_minzoom": 15},
      {"name": "bins", "type": "integer", "audience": "public", "tile_minzoom": 15}],
    "style": {"color": "#ca8a04", "icon": "bin", "radius": 3}})"),
                       {}};

  static const char* kCameraKinds[] = {"路口", "村口", "高点", "学校周边", "河道"};
  static const char* kKeepers[] = {"县公安局", "乡镇综治中心", "村委会"};
  static const char* kUses[] = {"永久基本农田", "村庄建设用地", "生态保护红线", "城镇开发边界"};
  static const char* kMaterials[] = {"HDPE", "球墨铸铁", "PVC-U"};
  uint64_t camera_serial = 0, pipe_serial = 0, zone_serial = 0;

  for (const Grid* t : towns) {
    Feature f;
    f.geometry = centre(*t);
    f.attributes = {t->name + "四站融合服务站", std::string("矛调中心·综治中心·便民服务·警务"),
                    static_cast<int64_t>(6 + draw.index(10))};
    stations.features.push_back(std::move(f));
  }
  for (const Grid* v : villages) {
    const Grid* town = by_code.count(v->parent_code) ? by_code[v->parent_code] : nullptr;
    const LonLat vc = centre(*v);
    for (std::size_t i = count(4, scale); i > 0; --i) {
      Feature f;
      f.geometry = draw.inside(v->geometry);
      // GB/T 28181: 8-digit centre (county code + 00), 2-digit industry (00 public security),
      // 3-digit type (132 IP camera), 1-digit network (0), 6-digit serial.
      const std::string id = "3305210000" + std::string("1320") + zero_pad(++camera_serial, 6);
      const char* kind = kCameraKinds[draw.index(std::size(kCameraKinds))];
      f.attributes = {id, v->name + kind, std::string(kind),
                      std::string(kKeepers[draw.index(std::size(kKeepers))])};
      cameras.features.push_back(std::move(f));
    }
    for (std::size_t i = count(3, scale); i > 0; --i) {
      Feature f;
      f.geometry = draw.inside(v->geometry);
      f.attributes = {v->name + "收集点" + std::to_string(i),
                      static_cast<int64_t>(2 + draw.index(4))};
      garbage.features.push_back(std::move(f));
    }
    // Pipes: a trunk from the village's centre to its town's, laterals from the centre to points
    // inside the village.
    if (town) {
      const LonLat tc = centre(*town);
      Feature f;
      spatial::LineString line{{vc.lon, vc.lat}, {tc.lon, tc.lat}};
      if (spatial::valid_line(line)) {
        f.geometry = MultiLineString{line};
        f.attributes = {"WS" + zero_pad(++pipe_serial, 6), std::string("干管"), int64_t{600},
                        std::string("球墨铸铁")};
        pipes.features.push_back(std::move(f));
      }
    }
    for (std::size_t i = count(2, scale); i > 0; --i) {
      const LonLat to = draw.inside(v->geometry);
      spatial::LineString line{{vc.lon, vc.lat}, {to.lon, to.lat}};
      if (!spatial::valid_line(line)) continue;
      Feature f;
      f.geometry = MultiLineString{line};
      f.attributes = {"WS" + zero_pad(++pipe_serial, 6), std::string("支管"),
                      static_cast<int64_t>(200 + 100 * draw.index(3)),
                      std::string(kMaterials[draw.index(std::size(kMaterials))])};
      pipes.features.push_back(std::move(f));
    }
    // A planning zone: a box around a point of the village, cut to the village.
    {
      const LonLat c = draw.inside(v->geometry);
      const double w = draw.uniform(0.004, 0.012), h = draw.uniform(0.003, 0.009);
      MultiPolygon box;
      box.resize(1);
      box[0].outer() = {{c.lon - w, c.lat - h},
                        {c.lon + w, c.lat - h},
                        {c.lon + w, c.lat + h},
                        {c.lon - w, c.lat + h},
                        {c.lon - w, c.lat - h}};
      bg::correct(box);
      MultiPolygon zone = spatial::intersection(box, v->geometry);
      if (!zone.empty()) {
        Feature f;
        f.geometry = std::move(zone);
        f.attributes = {"GH" + zero_pad(++zone_serial, 5),
                        std::string(kUses[draw.index(std::size(kUses))]), draw.uniform() < 0.8};
        zones.features.push_back(std::move(f));
      }
    }
  }
  std::vector<FeatureLayer> out;
  for (FeatureLayer* l : {&cameras, &stations, &pipes, &zones, &garbage})
    out.push_back(std::move(*l));
  const GridJoiner joiner(data.grids);
  for (FeatureLayer& l : out) joiner.join_all(l.features);
  std::sort(out.begin(), out.end(),
            [](const FeatureLayer& a, const FeatureLayer& b) { return a.def.name < b.def.name; });
  return out;
}

}  // namespace onemap::layers
