// FeatureWriter (geojson_writer.hpp): a record's geometry in the output CRS and the properties
// its viewer may read.
#include "api/geojson_writer.hpp"

#include "layers/model/schema.hpp"

#include <algorithm>
#include <type_traits>

namespace onemap::api::features {

template <class T>
void FeatureWriter::feature(const T& r) {
  // What the viewer reads of this record (auth/read_policy.hpp): properties() writes only that.
  if constexpr (std::is_same_v<T, layers::Grid>) {
    kind_ = LayerKind::Grids, audience_ = viewer_.at(r.code);
  } else if constexpr (std::is_same_v<T, layers::Incident>) {
    kind_ = LayerKind::Incidents, audience_ = auth::incident_audience(viewer_, r);
  } else {
    kind_ = std::is_same_v<T, layers::Household>    ? LayerKind::Households
            : std::is_same_v<T, layers::Enterprise> ? LayerKind::Enterprises
                                                    : LayerKind::Workers;
    audience_ = viewer_.at(r.join.grid_code);
  }
  out_.raw("{\"type\":\"Feature\",\"id\":");
  out_.num(r.fid);
  out_.raw(",\"geometry\":");
  if (!viewer_.policy->reaches(audience_, kind_, "geometry"))
    out_.raw("null");
  else if constexpr (std::is_same_v<T, layers::Grid>)
    polygons(r.geometry);
  else
    point(r.location);
  out_.raw(",\"properties\":{");
  properties(r);
  out_.raw("}}");
}

void FeatureWriter::point(const layers::LonLat& p) {
  double a, b;
  if (!std::isfinite(p.lon) || !std::isfinite(p.lat) || !proj_.apply(p.lon, p.lat, a, b))
    return out_.raw("null");
  out_.raw("{\"type\":\"Point\",\"coordinates\":[");
  out_.num(a);
  out_.raw(",");
  out_.num(b);
  out_.raw("]}");
}
void FeatureWriter::ring(const spatial::Ring& r, bool reverse) {
  out_.raw("[");
  bool first = true;
  auto put = [&](const spatial::Point& p) {
    double a, b;
    if (!proj_.apply(p.x(), p.y(), a, b)) return;
    if (!first) out_.raw(",");
    first = false;
    out_.raw("[");
    out_.num(a);
    out_.raw(",");
    out_.num(b);
    out_.raw("]");
  };
  if (reverse)
    for (auto it = r.rbegin(); it != r.rend(); ++it) put(*it);
  else
    for (const auto& p : r) put(p);
  out_.raw("]");
}
void FeatureWriter::polygons(const spatial::MultiPolygon& mp) {
  // RFC 7946: exterior rings counter-clockwise, holes clockwise.
  out_.raw("{\"type\":\"MultiPolygon\",\"coordinates\":[");
  for (std::size_t i = 0; i < mp.size(); ++i) {
    if (i) out_.raw(",");
    out_.raw("[");
    ring(mp[i].outer(), spatial::bg::area(mp[i].outer()) < 0);
    for (const auto& h : mp[i].inners()) {
      out_.raw(",");
      ring(h, spatial::bg::area(h) > 0);
    }
    out_.raw("]");
  }
  out_.raw("]}");
}

// Every served field of the layer's schema but a person's identity (head_name, phone,
// id_number, reporter, a worker's name): features never carry those, the record endpoints do,
// audited. Values as outputs show them (Accessor::shown); empty text and time 0 are null.
template <class T>
void FeatureWriter::properties(const T& r) {
  const auto& s = layers::schema<T>();
  // Which fields this audience reads, decided once per writer and audience, not per feature.
  const auto a = static_cast<std::size_t>(audience_);
  if (mask_kind_ != kind_) {
    mask_kind_ = kind_;
    for (auto& m : masks_) m.clear();
  }
  std::vector<char>& shown = masks_[a];
  if (shown.size() != s.fields.size()) {
    shown.assign(s.fields.size(), 0);
    for (std::size_t i = 0; i < s.fields.size(); ++i) {
      const layers::Field& f = s.fields[i];
      shown[i] = !f.personal && f.served && viewer_.policy->reaches(audience_, kind_, f.name) &&
                 (!selected_ ||
                  std::find(selected_->begin(), selected_->end(), f.name) != selected_->end());
    }
  }
  bool first = true;
  for (std::size_t i = 0; i < s.fields.size(); ++i) {
    if (!shown[i]) continue;
    const layers::Field& f = s.fields[i];
    if (!first) out_.raw(",");
    first = false;
    out_.key(f.name);
    std::visit(
        [&](const auto& x) {
          using X = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<X, std::monostate>)
            out_.raw("null");
          else if constexpr (std::is_same_v<X, std::string_view>)
            out_.str_or_null(x);
          else if constexpr (std::is_same_v<X, int64_t>)
            f.type == layers::FieldType::DateTime ? out_.time_or_null(x) : out_.num(x);
          else if constexpr (std::is_same_v<X, double>)
            out_.num(x);
          else
            out_.boolean(x);
        },
        s.shown(r, i));
  }
}

template void FeatureWriter::feature(const layers::Grid&);
template void FeatureWriter::feature(const layers::Household&);
template void FeatureWriter::feature(const layers::Enterprise&);
template void FeatureWriter::feature(const layers::Incident&);
template void FeatureWriter::feature(const layers::Worker&);

}  // namespace onemap::api::features
