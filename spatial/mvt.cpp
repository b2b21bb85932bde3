// Mapbox Vector Tile 2.1 encoder on protozero.
//
// Each feature is encoded when it is added, straight into the layer's buffer as a framed
// Layer.features field; keys and values are interned per layer as they are met (a value is
// interned by its encoded Value message, so two values are shared exactly when they would be
// written the same way, e.g. int64 5 and uint64 5). write_to then emits the layer's header
// fields, the features, the keys and the values. Field numbers (vector_tile.proto, MVT 2.1):
//   Tile.layers 3;  Layer: version 15, name 1, features 2, keys 3, values 4, extent 5;
//   Feature: id 1, tags 2 (packed), type 3, geometry 4 (packed);
//   Value: string 1, double 3, int 4 (only negative numbers here), uint 5, bool 7.
#include "spatial/mvt.hpp"

#include "spatial/errors.hpp"

#include <protozero/pbf_writer.hpp>
#include <protozero/varint.hpp>

#include <type_traits>
#include <unordered_map>

namespace onemap::spatial {
namespace {

namespace tag {
constexpr protozero::pbf_tag_type kTileLayers = 3;
constexpr protozero::pbf_tag_type kLayerVersion = 15;
constexpr protozero::pbf_tag_type kLayerName = 1;
constexpr protozero::pbf_tag_type kLayerFeatures = 2;
constexpr protozero::pbf_tag_type kLayerKeys = 3;
constexpr protozero::pbf_tag_type kLayerValues = 4;
constexpr protozero::pbf_tag_type kLayerExtent = 5;
constexpr protozero::pbf_tag_type kFeatureId = 1;
constexpr protozero::pbf_tag_type kFeatureTags = 2;
constexpr protozero::pbf_tag_type kFeatureType = 3;
constexpr protozero::pbf_tag_type kFeatureGeometry = 4;
constexpr protozero::pbf_tag_type kValueString = 1;
constexpr protozero::pbf_tag_type kValueDouble = 3;
constexpr protozero::pbf_tag_type kValueInt = 4;
constexpr protozero::pbf_tag_type kValueUint = 5;
constexpr protozero::pbf_tag_type kValueBool = 7;
}  // namespace tag

constexpr uint32_t kLayerVersion = 2;
enum GeomType : int32_t { kPoint = 1, kPolygon = 3 };
enum Command : uint32_t { kMoveTo = 1, kLineTo = 2, kClosePath = 7 };

// Coordinates are limited so that every delta between two of them fits the int32 the spec's
// zig-zag parameters hold, and a command's count fits its 29 bits.
constexpr int32_t kMaxCoordinate = (1 << 30) - 1;
constexpr std::size_t kMaxCount = (std::size_t{1} << 29) - 1;

void check_point(const TilePoint& p) {
  if (p.x < -kMaxCoordinate || p.x > kMaxCoordinate || p.y < -kMaxCoordinate ||
      p.y > kMaxCoordinate)
    throw InvalidArgument("geometry", "tile coordinate (" + std::to_string(p.x) + ", " +
                                          std::to_string(p.y) + ") is beyond +-2^30");
}

void check_count(std::size_t n) {
  if (n > kMaxCount)
    throw InvalidArgument("geometry", std::to_string(n) + " points in one command (max 2^29 - 1)");
}

// Writes geometry commands with the cursor carried from one command to the next (across the
// rings and parts of a feature): each parameter is the zig-zag encoded delta from the previous
// point.
class GeometryWriter {
 public:
  explicit GeometryWriter(protozero::pbf_writer& feature) : out_(feature, tag::kFeatureGeometry) {}

  void command(Command id, std::size_t count) {
    out_.add_element((static_cast<uint32_t>(id) & 0x7) | (static_cast<uint32_t>(count) << 3));
  }
  void point(const TilePoint& p) {
    // Both coordinates are within +-(2^30 - 1) (checked before writing), so the deltas fit int32.
    out_.add_element(protozero::encode_zigzag32(p.x - cursor_.x));
    out_.add_element(protozero::encode_zigzag32(p.y - cursor_.y));
    cursor_ = p;
  }

 private:
  protozero::packed_field_uint32 out_;
  TilePoint cursor_;
};

void encode_value(const MvtValue& value, std::string& out) {
  out.clear();
  protozero::pbf_writer w(out);
  std::visit(
      [&w](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string>) {
          w.add_string(tag::kValueString, v);
        } else if constexpr (std::is_same_v<T, bool>) {
          w.add_bool(tag::kValueBool, v);
        } else if constexpr (std::is_same_v<T, double>) {
          w.add_double(tag::kValueDouble, v);
        } else if constexpr (std::is_same_v<T, int64_t>) {
          // Non-negative integers go to uint_value whatever their C++ type; int_value (two's
          // complement varint) only for negative ones.
          if (v < 0)
            w.add_int64(tag::kValueInt, v);
          else
            w.add_uint64(tag::kValueUint, static_cast<uint64_t>(v));
        } else {
          static_assert(std::is_same_v<T, uint64_t>);
          w.add_uint64(tag::kValueUint, v);
        }
      },
      value);
}

// Strings interned in order of first appearance. The index holds the strings; `order` points at
// them (unordered_map nodes never move).
struct Interned {
  std::unordered_map<std::string, uint32_t> index;
  std::vector<const std::string*> order;

  uint32_t intern(const std::string& s) {
    // A layer has a handful of keys and often repeats a value: a short list is faster to scan
    // than to hash into.
    if (order.size() <= 8) {
      for (std::size_t i = 0; i < order.size(); ++i)
        if (*order[i] == s) return static_cast<uint32_t>(i);
    }
    auto it = index.find(s);
    if (it == index.end()) {
      it = index.emplace(s, static_cast<uint32_t>(order.size())).first;
      order.push_back(&it->first);
    }
    return it->second;
  }
};

}  // namespace

struct MvtLayer::Impl {
  std::string name;
  uint32_t extent;
  std::size_t feature_count = 0;
  std::string features;  ///< framed Layer.features fields, in order
  Interned keys;
  Interned values;       ///< encoded Value messages
  std::string scratch;   ///< reused for encoding a value before interning it

  // Starts a feature (its id and tags); the caller writes type and geometry into it.
  protozero::pbf_writer begin_feature(protozero::pbf_writer& layer, uint64_t id,
                                      const MvtProperties& props) {
    protozero::pbf_writer feature(layer, tag::kLayerFeatures);
    feature.add_uint64(tag::kFeatureId, id);
    {
      protozero::packed_field_uint32 tags(feature, tag::kFeatureTags);
      for (const auto& [key, value] : props) {
        tags.add_element(keys.intern(key));
        encode_value(value, scratch);
        tags.add_element(values.intern(scratch));
      }
    }
    ++feature_count;
    return feature;
  }
};

MvtLayer::MvtLayer(std::string name, uint32_t extent) : impl_(std::make_unique<Impl>()) {
  if (extent == 0) throw InvalidArgument("extent", "must be positive");
  impl_->name = std::move(name);
  impl_->extent = extent;
}

MvtLayer::~MvtLayer() = default;
MvtLayer::MvtLayer(MvtLayer&&) noexcept = default;
MvtLayer& MvtLayer::operator=(MvtLayer&&) noexcept = default;

const std::string& MvtLayer::name() const {
  return impl_->name;
}

uint32_t MvtLayer::extent() const {
  return impl_->extent;
}

std::size_t MvtLayer::feature_count() const {
  return impl_->feature_count;
}

void MvtLayer::add_points(uint64_t id, const std::vector<TilePoint>& points,
                          const MvtProperties& props) {
  if (points.empty()) return;
  check_count(points.size());
  for (const auto& p : points) check_point(p);

  protozero::pbf_writer layer(impl_->features);
  protozero::pbf_writer feature = impl_->begin_feature(layer, id, props);
  feature.add_enum(tag::kFeatureType, kPoint);
  // POINT and MULTIPOINT alike: one MoveTo whose count is the number of points.
  GeometryWriter geometry(feature);
  geometry.command(kMoveTo, points.size());
  for (const auto& p : points) geometry.point(p);
}

void MvtLayer::add_polygons(uint64_t id, const std::vector<TilePolygon>& polygons,
                            const MvtProperties& props) {
  // A ring needs 3 points to enclose anything; a polygon whose exterior ring is too short is
  // skipped with its holes (they would otherwise be read as holes of the previous polygon).
  auto usable = [](const TileRing& r) { return r.size() >= 3; };
  bool any = false;
  for (const auto& poly : polygons) {
    if (poly.empty() || !usable(poly.front())) continue;
    any = true;
    for (const auto& ring : poly) {
      check_count(ring.size());
      for (const auto& p : ring) check_point(p);
    }
  }
  if (!any) return;

  protozero::pbf_writer layer(impl_->features);
  protozero::pbf_writer feature = impl_->begin_feature(layer, id, props);
  feature.add_enum(tag::kFeatureType, kPolygon);
  // Each ring: MoveTo its first point, LineTo the others, ClosePath (the ring is open: the first
  // point is not repeated).
  GeometryWriter geometry(feature);
  for (const auto& poly : polygons) {
    if (poly.empty() || !usable(poly.front())) continue;
    for (const auto& ring : poly) {
      if (!usable(ring)) continue;
      geometry.command(kMoveTo, 1);
      geometry.point(ring.front());
      geometry.command(kLineTo, ring.size() - 1);
      for (std::size_t i = 1; i < ring.size(); ++i) geometry.point(ring[i]);
      geometry.command(kClosePath, 1);
    }
  }
}

void MvtLayer::write_to(std::string& tile) const {
  if (impl_->feature_count == 0) return;
  std::string body;
  protozero::pbf_writer layer(body);
  layer.add_uint32(tag::kLayerVersion, kLayerVersion);
  layer.add_string(tag::kLayerName, impl_->name);
  layer.add_uint32(tag::kLayerExtent, impl_->extent);
  // The features are already framed as Layer.features fields: append them as they are.
  body += impl_->features;
  for (const std::string* key : impl_->keys.order) layer.add_string(tag::kLayerKeys, *key);
  for (const std::string* value : impl_->values.order) layer.add_message(tag::kLayerValues, *value);
  protozero::pbf_writer(tile).add_message(tag::kTileLayers, body);
}

std::string encode_tile(const std::vector<MvtLayer>& layers) {
  std::string tile;
  for (const auto& layer : layers) layer.write_to(tile);
  return tile;
}

}  // namespace onemap::spatial
