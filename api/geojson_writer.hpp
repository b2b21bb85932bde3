// GeoJSON written directly (a page of 1,000 features is most of a request's time): JsonOut, a
// small JSON writer that always writes valid UTF-8; Projector, lon/lat to an output CRS; and
// FeatureWriter, one feature of any layer as its viewer may read it.
#pragma once

#include "api/features_internal.hpp"
#include "auth/read_policy.hpp"
#include "core/errors.hpp"
#include "core/json_text.hpp"
#include "layers/model/feature_layer.hpp"
#include "layers/model/model.hpp"
#include "layers/model/text.hpp"
#include "spatial/crs.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onemap::api::features {

// A JSON text written piece by piece; str() writes valid UTF-8 whatever bytes it is given
// (core/json_text.hpp's escaper).
class JsonOut {
 public:
  std::string& text() { return s_; }
  void raw(std::string_view v) { s_ += v; }
  void key(std::string_view k) {
    str(k);
    s_ += ':';
  }
  void str(std::string_view v) {
    s_ += '"';
    append_json_escaped(s_, v);
    s_ += '"';
  }
  void num(double v) {
    if (!std::isfinite(v)) return raw("null");
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    s_.append(buf, r.ptr);
  }
  void num(int64_t v) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    s_.append(buf, r.ptr);
  }
  void boolean(bool v) { raw(v ? "true" : "false"); }
  void str_or_null(std::string_view v) {
    if (v.empty())
      raw("null");
    else
      str(v);
  }
  void time_or_null(int64_t t) {
    if (t)
      str(layers::time_text(t).view());
    else
      raw("null");
  }

 private:
  std::string s_;
};

// Lon/lat (CGCS2000) to a CRS's coordinates in its axis order.
class Projector {
 public:
  explicit Projector(const OutputCrs& crs)
      : crs_(crs),
        transform_(std::string(crs.proj) == "EPSG:4490"
                       ? nullptr
                       : std::make_unique<spatial::CrsTransform>(spatial::kStorageCrs, crs.proj)) {}
  /// false when the point cannot be transformed.
  bool apply(double lon, double lat, double& a, double& b) const {
    double x = lon, y = lat;
    if (transform_) {
      try {
        const spatial::Point p = transform_->apply(spatial::Point(lon, lat));
        x = p.x();
        y = p.y();
      } catch (const CrsError&) {
        return false;
      }
    }
    if (crs_.north_first) std::swap(x, y);
    a = x;
    b = y;
    return std::isfinite(a) && std::isfinite(b);
  }
  const OutputCrs& crs() const { return crs_; }

 private:
  const OutputCrs& crs_;
  std::unique_ptr<spatial::CrsTransform> transform_;
};

// Writes features of any layer in one CRS.
class FeatureWriter {
 public:
  /// `selected`: the properties to write (properties=), or null for all.
  FeatureWriter(JsonOut& out, const Projector& proj, const auth::Viewer& viewer,
                const std::vector<std::string>* selected = nullptr)
      : out_(out), proj_(proj), viewer_(viewer), selected_(selected) {}

  /// Writes record r as a Feature (T: a record of any layer).
  template <class T>
  void feature(const T& r);

  /// Writes a county layer's record (layers/model/feature_layer.hpp) as `audience` reads it: its
  /// geometry, the fields that audience reaches (never a person's identity), then its grid:
  /// grid_code, and for a line or polygon "grids", {code: metres or square metres} of each grid it
  /// crosses. The caller decides whether the viewer sees the record at all.
  void feature(const layers::LayerDef& def, const layers::Feature& r, auth::Audience audience);

 private:
  void point(const layers::LonLat& p);
  // The positions of [begin, end) in the output CRS, as a JSON array (those it cannot project
  // left out).
  template <class It>
  void positions(It begin, It end);
  void ring(const spatial::Ring& r, bool reverse);
  void polygons(const spatial::MultiPolygon& mp);
  void lines(const spatial::MultiLineString& ml);
  // A field's value as outputs show it: empty text and time 0 are null.
  void value(const layers::Field& f, const layers::FieldValue& v);
  // What an audience reads of a layer's records: the geometry or not, and per schema field its
  // name as a JSON key with ':' when it is written, empty when not.
  struct Shown {
    bool ready = false;
    bool geometry = false;
    std::vector<std::string> keys;
  };
  // Shown for the layer `kind` and `audience`, decided once per writer, not per feature.
  template <class T>
  const Shown& shown(LayerKind kind, auth::Audience audience);
  template <class T>
  void properties(const T& r, const Shown& shown);

  JsonOut& out_;
  const Projector& proj_;
  const auth::Viewer& viewer_;
  const std::vector<std::string>* selected_ = nullptr;
  // Per audience (its index), what the viewer reads of the layer `shown_kind_`.
  LayerKind shown_kind_ = LayerKind::Grids;
  std::array<Shown, 3> shown_;
  // The same for the county layer `county_def_`.
  const layers::LayerDef* county_def_ = nullptr;
  std::array<Shown, 3> county_shown_;
};

/// Ends an items answer whose features `out` holds (after "…features":[ and them): the counts,
/// the time and the self/collection/next/prev links of collection `id`'s page under `q`.
HttpAnswer finish_page(JsonOut& out, const std::string& base, const std::string& id,
                       const ItemQuery& q, std::size_t matched, std::size_t returned);

}  // namespace onemap::api::features
