// Mapbox Vector Tile 2.1 encoder.
//
// Each feature is encoded when it ends, straight into the layer's buffer as a framed
// Layer.features field whose length is computed before anything is written (so nothing is moved
// afterwards). Values are interned per layer as they are met, by kind and content, in an
// open-addressing table over one buffer that already holds them as framed Layer.values fields;
// non-negative integers of either C++ type are one kind (written as uint_value), so int64 5 and
// uint64 5 are one value. Keys are few and kept in a list. write_to then only concatenates.
// Varints are written with protozero. Field numbers (vector_tile.proto, MVT 2.1):
//   Tile.layers 3;  Layer: version 15, name 1, features 2, keys 3, values 4, extent 5;
//   Feature: id 1, tags 2 (packed), type 3, geometry 4 (packed);
//   Value: string 1, double 3, int 4 (only negative numbers here), uint 5, bool 7.
#include "spatial/mvt.hpp"

#include "core/errors.hpp"

#include <protozero/pbf_writer.hpp>
#include <protozero/varint.hpp>

#include <bit>
#include <cstring>
#include <type_traits>

namespace onemap::spatial {
namespace {

// A field key: (field number << 3) | wire type (0 varint, 1 64-bit, 2 length-delimited).
constexpr char key_of(uint32_t field, uint32_t wire) {
  return static_cast<char>((field << 3) | wire);
}

namespace tag {
constexpr protozero::pbf_tag_type kTileLayers = 3;
constexpr protozero::pbf_tag_type kLayerVersion = 15;
constexpr protozero::pbf_tag_type kLayerName = 1;
constexpr protozero::pbf_tag_type kLayerExtent = 5;
constexpr protozero::pbf_tag_type kLayerKeys = 3;
constexpr char kLayerFeatures = key_of(2, 2);
constexpr char kLayerValues = key_of(4, 2);
constexpr char kFeatureId = key_of(1, 0);
constexpr char kFeatureTags = key_of(2, 2);
constexpr char kFeatureType = key_of(3, 0);
constexpr char kFeatureGeometry = key_of(4, 2);
constexpr char kValueString = key_of(1, 2);
constexpr char kValueDouble = key_of(3, 1);
constexpr char kValueInt = key_of(4, 0);
constexpr char kValueUint = key_of(5, 0);
constexpr char kValueBool = key_of(7, 0);
}  // namespace tag

constexpr uint32_t kLayerVersion = 2;
enum GeomType : char { kPoint = 1, kLineString = 2, kPolygon = 3 };
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

std::size_t varint_size(uint64_t v) {
  return static_cast<std::size_t>(protozero::length_of_varint(v));
}

// Appends n bytes to `s` and returns where they start; the caller writes them all, or gives
// back what it did not use with s.resize.
char* grow(std::string& s, std::size_t n) {
  const std::size_t at = s.size();
  s.resize(at + n);
  return s.data() + at;
}

char* put_varint(char* p, uint64_t v) {
  return p + protozero::add_varint_to_buffer(p, v);
}

// Packed uint32 elements: their encoded size, and writing them.
std::size_t packed_size(const std::vector<uint32_t>& v) {
  std::size_t n = 0;
  for (uint32_t x : v) n += varint_size(x);
  return n;
}
char* put_packed(char* p, const std::vector<uint32_t>& v) {
  for (uint32_t x : v) p = put_varint(p, x);
  return p;
}

// A short-string hash (8 bytes a step, multiply-xorshift mixing).
uint64_t hash_bytes(const char* p, std::size_t n) {
  uint64_t h = 0x9E3779B97F4A7C15ULL ^ (n * 0xFF51AFD7ED558CCDULL);
  auto mix = [&h](uint64_t w) {
    h = (h ^ w) * 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 31;
  };
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    mix(w);
  }
  if (n > 0) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    mix(w ^ 0x94D049BB133111EBULL);
  }
  return h ^ (h >> 29);
}

// The layer's values: each once, in order of first use, kept framed as the Layer.values fields
// they will be written as, and found again by kind and content through an open-addressing table.
class ValueTable {
 public:
  enum Kind : uint8_t { kString, kUint, kInt, kDouble, kBool };

  uint32_t string(std::string_view s) {
    const uint64_t h = hash_bytes(s.data(), s.size());
    return find_or_add(
        h, kString,
        [&](const Entry& e) {
          return e.size == s.size() &&
                 (s.empty() || std::memcmp(blob_.data() + e.payload, s.data(), s.size()) == 0);
        },
        [&](Entry& e) {
          const std::size_t msg = 1 + varint_size(s.size()) + s.size();
          char* p = grow(blob_, 1 + varint_size(msg) + msg);
          *p++ = tag::kLayerValues;
          p = put_varint(p, msg);
          *p++ = tag::kValueString;
          p = put_varint(p, s.size());
          e.payload = p - blob_.data();
          e.size = static_cast<uint32_t>(s.size());
          if (!s.empty()) std::memcpy(p, s.data(), s.size());
        });
  }
  uint32_t uint(uint64_t v) {
    if (v < kSmall) {
      uint32_t& cached = small_[v];
      if (cached == 0) cached = number(kUint, v) + 1;
      return cached - 1;
    }
    return number(kUint, v);
  }
  // Non-negative integers go to uint_value whatever their C++ type; int_value (two's complement
  // varint) only for negative ones.
  uint32_t integer(int64_t v) {
    return v < 0 ? number(kInt, static_cast<uint64_t>(v)) : uint(static_cast<uint64_t>(v));
  }
  uint32_t real(double v) { return number(kDouble, std::bit_cast<uint64_t>(v)); }
  uint32_t boolean(bool v) {
    uint32_t& cached = bool_[v ? 1 : 0];
    if (cached == 0) cached = number(kBool, v ? 1 : 0) + 1;
    return cached - 1;
  }

  /// Every value, framed, in order.
  const std::string& blob() const { return blob_; }

 private:
  static constexpr uint64_t kSmall = 64;
  struct Entry {
    uint64_t hash;
    uint64_t payload;  ///< a number's bits, or where a string's bytes start in blob_
    uint32_t size;     ///< a string's length
    Kind kind;
  };

  uint32_t number(Kind kind, uint64_t bits) {
    uint64_t h = (bits ^ (uint64_t{kind} << 56)) * 0xBF58476D1CE4E5B9ULL;
    h ^= h >> 31;
    return find_or_add(
        h, kind, [&](const Entry& e) { return e.payload == bits; },
        [&](Entry& e) {
          e.payload = bits;
          char* p = grow(blob_, 13);  // key, length, and a Value of at most 11 bytes
          char* start = p;
          *p++ = tag::kLayerValues;
          char* len = p++;
          switch (kind) {
            case kBool:
              *p++ = tag::kValueBool;
              *p++ = static_cast<char>(bits);
              break;
            case kUint:
              *p++ = tag::kValueUint;
              p = put_varint(p, bits);
              break;
            case kInt:
              *p++ = tag::kValueInt;
              p = put_varint(p, bits);
              break;
            case kDouble:
              *p++ = tag::kValueDouble;
              for (int b = 0; b < 8; ++b)
                *p++ = static_cast<char>(bits >> (8 * b));  // little-endian
              break;
            case kString:
              break;
          }
          *len = static_cast<char>(p - len - 1);  // below 128: one byte
          blob_.resize(blob_.size() - 13 + static_cast<std::size_t>(p - start));
        });
  }

  template <class Same, class Add>
  uint32_t find_or_add(uint64_t h, Kind kind, Same&& same, Add&& add) {
    if (slots_.empty()) {
      // Room for a tile's usual hundreds of values without growing step by step.
      slots_.assign(512, 0);
      entries_.reserve(256);
      blob_.reserve(4096);
    }
    std::size_t mask = slots_.size() - 1;
    std::size_t s = h & mask;
    for (;; s = (s + 1) & mask) {
      const uint32_t slot = slots_[s];
      if (slot == 0) break;
      const Entry& e = entries_[slot - 1];
      if (e.hash == h && e.kind == kind && same(e)) return slot - 1;
    }
    const auto i = static_cast<uint32_t>(entries_.size());
    Entry& e = entries_.emplace_back();
    e.hash = h;
    e.kind = kind;
    e.size = 0;
    add(e);
    if (entries_.size() * 2 > slots_.size()) {
      slots_.assign(slots_.size() * 2, 0);
      mask = slots_.size() - 1;
      for (uint32_t k = 0; k < entries_.size(); ++k) {
        std::size_t t = entries_[k].hash & mask;
        while (slots_[t] != 0) t = (t + 1) & mask;
        slots_[t] = k + 1;
      }
    } else {
      slots_[s] = i + 1;
    }
    return i;
  }

  std::string blob_;
  std::vector<Entry> entries_;
  std::vector<uint32_t> slots_;  ///< entry index + 1; 0 is empty; size a power of two
  uint32_t small_[kSmall] = {};  ///< index + 1 of uint values below kSmall
  uint32_t bool_[2] = {};
};

}  // namespace

struct MvtLayer::Impl {
  std::string name;
  uint32_t extent;
  std::size_t feature_count = 0;
  std::string features;  ///< framed Layer.features fields, in order
  std::vector<std::string> keys;
  ValueTable values;
  // The feature being built: its id, tags (key and value indices) and geometry commands.
  uint64_t id = 0;
  std::vector<uint32_t> tags;
  std::vector<uint32_t> geometry;
  TilePoint cursor;

  uint32_t key(std::string_view k) {
    // A layer has a handful of keys: a short list is faster to scan than to hash into.
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == k) return static_cast<uint32_t>(i);
    keys.emplace_back(k);
    return static_cast<uint32_t>(keys.size() - 1);
  }

  void tag(uint32_t k, uint32_t v) {
    tags.push_back(k);
    tags.push_back(v);
  }

  void set_tags(const MvtProperties& props) {
    tags.clear();
    for (const auto& [k, value] : props) {
      const uint32_t ki = key(k);
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, std::string_view>)
              tag(ki, values.string(v));
            else if constexpr (std::is_same_v<T, bool>)
              tag(ki, values.boolean(v));
            else if constexpr (std::is_same_v<T, double>)
              tag(ki, values.real(v));
            else if constexpr (std::is_same_v<T, int64_t>)
              tag(ki, values.integer(v));
            else
              tag(ki, values.uint(v));
          },
          value);
    }
  }

  // Geometry commands with the cursor carried from one command to the next (across the rings
  // and parts of a feature): each parameter is the zig-zag encoded delta from the previous point.
  void start_geometry() {
    geometry.clear();
    cursor = {};
  }
  void command(Command c, std::size_t count) {
    geometry.push_back((static_cast<uint32_t>(c) & 0x7) | (static_cast<uint32_t>(count) << 3));
  }
  void point(const TilePoint& p) {
    // Both coordinates are within +-(2^30 - 1) (checked before), so the deltas fit int32.
    geometry.push_back(protozero::encode_zigzag32(p.x - cursor.x));
    geometry.push_back(protozero::encode_zigzag32(p.y - cursor.y));
    cursor = p;
  }

  // Appends the feature (id, tags, type, geometry), its length computed first.
  void write_feature(GeomType type) {
    const std::size_t tag_bytes = packed_size(tags);
    const std::size_t geom_bytes = packed_size(geometry);
    std::size_t body = 1 + varint_size(id) + 2 + 1 + varint_size(geom_bytes) + geom_bytes;
    if (!tags.empty()) body += 1 + varint_size(tag_bytes) + tag_bytes;
    const std::size_t total = 1 + varint_size(body) + body;
    char* p = grow(features, total);
    *p++ = tag::kLayerFeatures;
    p = put_varint(p, body);
    *p++ = tag::kFeatureId;
    p = put_varint(p, id);
    if (!tags.empty()) {
      *p++ = tag::kFeatureTags;
      p = put_varint(p, tag_bytes);
      p = put_packed(p, tags);
    }
    *p++ = tag::kFeatureType;
    *p++ = type;
    *p++ = tag::kFeatureGeometry;
    p = put_varint(p, geom_bytes);
    put_packed(p, geometry);
    ++feature_count;
  }

  void polygons_feature(const std::vector<TilePolygon>& polygons);
  void lines_feature(const std::vector<TileLine>& lines);

  void point_feature(const TilePoint* points, std::size_t n) {
    // POINT and MULTIPOINT alike: one MoveTo whose count is the number of points.
    start_geometry();
    command(kMoveTo, n);
    for (std::size_t i = 0; i < n; ++i) point(points[i]);
    write_feature(kPoint);
  }
};

MvtLayer::MvtLayer(std::string name, uint32_t extent) : impl_(std::make_unique<Impl>()) {
  if (extent == 0) throw InvalidArgument("extent", "must be positive");
  impl_->features.reserve(4096);
  impl_->tags.reserve(64);
  impl_->geometry.reserve(64);
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

uint32_t MvtLayer::key(std::string_view name) {
  return impl_->key(name);
}

void MvtLayer::begin_feature(uint64_t id) {
  impl_->id = id;
  impl_->tags.clear();
}

void MvtLayer::tag_string(uint32_t key, std::string_view v) {
  impl_->tag(key, impl_->values.string(v));
}
void MvtLayer::tag_uint(uint32_t key, uint64_t v) {
  impl_->tag(key, impl_->values.uint(v));
}
void MvtLayer::tag_int(uint32_t key, int64_t v) {
  impl_->tag(key, impl_->values.integer(v));
}
void MvtLayer::tag_double(uint32_t key, double v) {
  impl_->tag(key, impl_->values.real(v));
}
void MvtLayer::tag_bool(uint32_t key, bool v) {
  impl_->tag(key, impl_->values.boolean(v));
}

void MvtLayer::end_point(TilePoint point) {
  check_point(point);
  impl_->point_feature(&point, 1);
}

void MvtLayer::add_point(uint64_t id, TilePoint point, const MvtProperties& props) {
  check_point(point);
  impl_->id = id;
  impl_->set_tags(props);
  impl_->point_feature(&point, 1);
}

void MvtLayer::add_points(uint64_t id, const std::vector<TilePoint>& points,
                          const MvtProperties& props) {
  if (points.empty()) return;
  check_count(points.size());
  for (const auto& p : points) check_point(p);
  impl_->id = id;
  impl_->set_tags(props);
  impl_->point_feature(points.data(), points.size());
}

namespace {

// A ring needs 3 points to enclose anything; a polygon whose exterior ring is too short is
// skipped with its holes (they would otherwise be read as holes of the previous polygon).
bool usable_ring(const TileRing& r) {
  return r.size() >= 3;
}
bool usable_line(const TileLine& l) {
  return l.size() >= 2;
}

// Whether any polygon is left to write, every coordinate checked.
bool check_polygons(const std::vector<TilePolygon>& polygons) {
  bool any = false;
  for (const auto& poly : polygons) {
    if (poly.empty() || !usable_ring(poly.front())) continue;
    any = true;
    for (const auto& ring : poly) {
      check_count(ring.size());
      for (const auto& p : ring) check_point(p);
    }
  }
  return any;
}

bool check_lines(const std::vector<TileLine>& lines) {
  bool any = false;
  for (const auto& line : lines) {
    if (!usable_line(line)) continue;
    any = true;
    check_count(line.size());
    for (const auto& p : line) check_point(p);
  }
  return any;
}

}  // namespace

void MvtLayer::Impl::polygons_feature(const std::vector<TilePolygon>& polygons) {
  // Each ring: MoveTo its first point, LineTo the others, ClosePath (the ring is open: the first
  // point is not repeated).
  start_geometry();
  for (const auto& poly : polygons) {
    if (poly.empty() || !usable_ring(poly.front())) continue;
    for (const auto& ring : poly) {
      if (!usable_ring(ring)) continue;
      command(kMoveTo, 1);
      point(ring.front());
      command(kLineTo, ring.size() - 1);
      for (std::size_t i = 1; i < ring.size(); ++i) point(ring[i]);
      command(kClosePath, 1);
    }
  }
  write_feature(kPolygon);
}

void MvtLayer::Impl::lines_feature(const std::vector<TileLine>& lines) {
  // Each line: MoveTo its first point, LineTo the others (the cursor runs on across lines).
  start_geometry();
  for (const auto& line : lines) {
    if (!usable_line(line)) continue;
    command(kMoveTo, 1);
    point(line.front());
    command(kLineTo, line.size() - 1);
    for (std::size_t i = 1; i < line.size(); ++i) point(line[i]);
  }
  write_feature(kLineString);
}

void MvtLayer::add_polygons(uint64_t id, const std::vector<TilePolygon>& polygons,
                            const MvtProperties& props) {
  if (!check_polygons(polygons)) return;
  impl_->id = id;
  impl_->set_tags(props);
  impl_->polygons_feature(polygons);
}

void MvtLayer::end_polygons(const std::vector<TilePolygon>& polygons) {
  if (check_polygons(polygons)) impl_->polygons_feature(polygons);
}

void MvtLayer::add_lines(uint64_t id, const std::vector<TileLine>& lines,
                         const MvtProperties& props) {
  if (!check_lines(lines)) return;
  impl_->id = id;
  impl_->set_tags(props);
  impl_->lines_feature(lines);
}

void MvtLayer::end_lines(const std::vector<TileLine>& lines) {
  if (check_lines(lines)) impl_->lines_feature(lines);
}

std::size_t MvtLayer::encoded_size_bound() const {
  const Impl& m = *impl_;
  std::size_t keys = 0;
  for (const auto& k : m.keys) keys += 6 + k.size();
  return 16 + m.name.size() + m.features.size() + keys + m.values.blob().size();
}

void MvtLayer::write_to(std::string& tile) const {
  const Impl& m = *impl_;
  if (m.feature_count == 0) return;
  std::string header;
  protozero::pbf_writer h(header);
  h.add_uint32(tag::kLayerVersion, kLayerVersion);
  h.add_string(tag::kLayerName, m.name);
  h.add_uint32(tag::kLayerExtent, m.extent);
  // The features, keys and values are already framed as Layer fields: append them as they are.
  std::string keys;
  for (const auto& k : m.keys) protozero::pbf_writer(keys).add_string(tag::kLayerKeys, k);
  const std::size_t body = header.size() + m.features.size() + keys.size() + m.values.blob().size();
  tile.push_back(key_of(tag::kTileLayers, 2));
  protozero::add_varint_to_buffer(&tile, body);
  tile += header;
  tile += m.features;
  tile += keys;
  tile += m.values.blob();
}

std::string encode_tile(const std::vector<MvtLayer>& layers) {
  std::size_t bound = 0;
  for (const auto& layer : layers) bound += layer.encoded_size_bound();
  std::string tile;
  tile.reserve(bound);
  for (const auto& layer : layers) layer.write_to(tile);
  return tile;
}

}  // namespace onemap::spatial
