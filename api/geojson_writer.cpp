// FeatureWriter (geojson_writer.hpp): a record's geometry in the output CRS and the properties
// its viewer may read.
#include "api/geojson_writer.hpp"

#include "layers/model/schema.hpp"

#include <algorithm>
#include <type_traits>

namespace onemap::api::features {

template <class T>
void FeatureWriter::feature(const T& r) {
  // What the viewer reads of this record (auth/read_policy.hpp): only that is written.
  LayerKind kind;
  auth::Audience audience;
  if constexpr (std::is_same_v<T, layers::Grid>) {
    kind = LayerKind::Grids, audience = viewer_.at(r.code);
  } else if constexpr (std::is_same_v<T, layers::Incident>) {
    kind = LayerKind::Incidents, audience = auth::incident_audience(viewer_, r);
  } else {
    kind = std::is_same_v<T, layers::Household>    ? LayerKind::Households
           : std::is_same_v<T, layers::Enterprise> ? LayerKind::Enterprises
                                                   : LayerKind::Workers;
    audience = viewer_.at(r.join.grid_code);
  }
  const Shown& s = shown<T>(kind, audience);
  out_.raw("{\"type\":\"Feature\",\"id\":");
  out_.num(r.fid);
  out_.raw(",\"geometry\":");
  if (!s.geometry)
    out_.raw("null");
  else if constexpr (std::is_same_v<T, layers::Grid>)
    polygons(r.geometry);
  else
    point(r.location);
  out_.raw(",\"properties\":{");
  properties(r, s);
  out_.raw("}}");
}

// Every served field of the layer's schema that the audience reaches but a person's identity
// (head_name, phone, id_number, reporter, a worker's name): features never carry those, the
// record endpoints do, audited; with properties=, only those selected.
template <class T>
const FeatureWriter::Shown& FeatureWriter::shown(LayerKind kind, auth::Audience audience) {
  if (shown_kind_ != kind) {
    shown_kind_ = kind;
    for (auto& s : shown_) s.ready = false;
  }
  Shown& s = shown_[static_cast<std::size_t>(audience)];
  if (s.ready) return s;
  const auto& fields = layers::schema<T>().fields;
  s.geometry = viewer_.policy->reaches(audience, kind, "geometry");
  s.keys.assign(fields.size(), {});
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const layers::Field& f = fields[i];
    if (f.personal || !f.served || !viewer_.policy->reaches(audience, kind, f.name) ||
        (selected_ && std::find(selected_->begin(), selected_->end(), f.name) == selected_->end()))
      continue;
    JsonOut key;
    key.key(f.name);
    s.keys[i] = std::move(key.text());
  }
  s.ready = true;
  return s;
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
template <class It>
void FeatureWriter::positions(It begin, It end) {
  out_.raw("[");
  bool first = true;
  for (It it = begin; it != end; ++it) {
    double a, b;
    if (!proj_.apply(it->x(), it->y(), a, b)) continue;
    if (!first) out_.raw(",");
    first = false;
    out_.raw("[");
    out_.num(a);
    out_.raw(",");
    out_.num(b);
    out_.raw("]");
  }
  out_.raw("]");
}

void FeatureWriter::ring(const spatial::Ring& r, bool reverse) {
  if (reverse)
    positions(r.rbegin(), r.rend());
  else
    positions(r.begin(), r.end());
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

// The fields `shown` keys, values as outputs show them (Accessor::shown); empty text and time 0
// are null.
template <class T>
void FeatureWriter::properties(const T& r, const Shown& shown) {
  const auto& s = layers::schema<T>();
  bool first = true;
  for (std::size_t i = 0; i < s.fields.size(); ++i) {
    if (shown.keys[i].empty()) continue;
    const layers::Field& f = s.fields[i];
    if (!first) out_.raw(",");
    first = false;
    out_.raw(shown.keys[i]);
    value(f, s.shown(r, i));
  }
}

void FeatureWriter::value(const layers::Field& f, const layers::FieldValue& v) {
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
      v);
}

void FeatureWriter::lines(const spatial::MultiLineString& ml) {
  out_.raw("{\"type\":\"MultiLineString\",\"coordinates\":[");
  for (std::size_t i = 0; i < ml.size(); ++i) {
    if (i) out_.raw(",");
    positions(ml[i].begin(), ml[i].end());
  }
  out_.raw("]}");
}

void FeatureWriter::feature(const layers::LayerDef& def, const layers::Feature& r,
                            auth::Audience audience) {
  if (county_def_ != &def) {
    county_def_ = &def;
    for (auto& x : county_shown_) x.ready = false;
  }
  Shown& s = county_shown_[static_cast<std::size_t>(audience)];
  if (!s.ready) {
    s.keys.assign(def.fields.size(), {});
    for (std::size_t i = 0; i < def.fields.size(); ++i) {
      const layers::Field& f = def.fields[i];
      const bool reaches = static_cast<int>(audience) >=
                           std::max(static_cast<int>(f.audience), static_cast<int>(def.audience));
      if (f.personal || !reaches ||
          (selected_ &&
           std::find(selected_->begin(), selected_->end(), f.name) == selected_->end()))
        continue;
      JsonOut key;
      key.key(f.name);
      s.keys[i] = std::move(key.text());
    }
    s.ready = true;
  }
  out_.raw("{\"type\":\"Feature\",\"id\":");
  out_.num(r.fid);
  out_.raw(",\"geometry\":");
  if (const auto* p = std::get_if<layers::LonLat>(&r.geometry))
    point(*p);
  else if (const auto* l = std::get_if<spatial::MultiLineString>(&r.geometry))
    lines(*l);
  else
    polygons(std::get<spatial::MultiPolygon>(r.geometry));
  out_.raw(",\"properties\":{");
  for (std::size_t i = 0; i < def.fields.size(); ++i) {
    if (s.keys[i].empty()) continue;
    out_.raw(s.keys[i]);
    value(def.fields[i],
          i < r.attributes.size() ? layers::view(r.attributes[i]) : layers::FieldValue{});
    out_.raw(",");
  }
  out_.raw("\"grid_code\":");
  out_.str_or_null(r.join.grid_code);
  if (def.geometry != layers::GeometryKind::Point) {
    out_.raw(",\"grids\":{");
    for (std::size_t i = 0; i < r.shares.size(); ++i) {
      if (i) out_.raw(",");
      out_.key(r.shares[i].grid_code);
      out_.num(r.shares[i].measure);
    }
    out_.raw("}");
  }
  out_.raw("}}");
}

template void FeatureWriter::feature(const layers::Grid&);
template void FeatureWriter::feature(const layers::Household&);
template void FeatureWriter::feature(const layers::Enterprise&);
template void FeatureWriter::feature(const layers::Incident&);
template void FeatureWriter::feature(const layers::Worker&);

}  // namespace onemap::api::features
