// FeatureWriter (geojson_writer.hpp): a record's geometry in the output CRS and the properties
// its viewer may read.
#include "api/geojson_writer.hpp"

#include "layers/model/schema.hpp"

#include <algorithm>
#include <type_traits>

namespace onemap::api::features {

template <class T>
void FeatureWriter::feature(const T& r) {
  // What the viewer reads of this record (auth/read_policy.hpp): key() leaves out the rest.
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
  first_ = true;
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

// Starts property k: written when the viewer may read it and it is selected (properties=),
// else into a discarded buffer.
void FeatureWriter::key(std::string_view k) {
  if (!viewer_.policy->reaches(audience_, kind_, k) ||
      (selected_ && std::find(selected_->begin(), selected_->end(), k) == selected_->end())) {
    cur_ = &discard_;
    discard_.text().clear();
    return;
  }
  cur_ = &out_;
  if (!first_) out_.raw(",");
  first_ = false;
  out_.key(k);
}
// Every served field of the layer's schema but a person's identity (head_name, phone,
// id_number, reporter, a worker's name): features never carry those, the record endpoints do,
// audited. Values as outputs show them (Accessor::shown); empty text and time 0 are null.
template <class T>
void FeatureWriter::properties(const T& r) {
  const auto& s = layers::schema<T>();
  for (std::size_t i = 0; i < s.fields.size(); ++i) {
    const layers::Field& f = s.fields[i];
    if (f.personal || !f.served) continue;
    key(f.name);
    std::visit(
        [&](const auto& x) {
          using X = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<X, std::monostate>)
            val().raw("null");
          else if constexpr (std::is_same_v<X, std::string_view>)
            val().str_or_null(x);
          else if constexpr (std::is_same_v<X, int64_t>)
            f.type == layers::FieldType::DateTime ? val().time_or_null(x) : val().num(x);
          else if constexpr (std::is_same_v<X, double>)
            val().num(x);
          else
            val().boolean(x);
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
