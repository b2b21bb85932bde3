// FeatureWriter (geojson_writer.hpp): a record's geometry in the output CRS and the properties
// its viewer may read.
#include "api/geojson_writer.hpp"

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
void FeatureWriter::join(const layers::GridJoin& j) {
  key("grid_code");
  val().str_or_null(j.grid_code);
  key("join_kind");
  val().str(layers::join_kind_name(j.kind));
  key("join_distance_m");
  val().num(j.distance_m);
}

void FeatureWriter::properties(const layers::Grid& g) {
  key("code"), val().str(g.code);
  key("name"), val().str(g.name);
  key("level"), val().str(layers::level_name(g.level));
  key("parent_code"), val().str_or_null(g.parent_code);
  key("area_m2"), val().num(g.area_m2);
  key("synthetic"), val().boolean(g.synthetic);
}
// Features never carry a person's identity (head_name, phone, id_number, reporter, a worker's
// name): the record endpoints do, audited.
void FeatureWriter::properties(const layers::Household& h) {
  key("hh_id"), val().str(h.id);
  key("address"), val().str(h.address);
  key("members"), val().num(int64_t{h.members});
  key("flags"), val().num(int64_t{h.flags & ~layers::kSensitiveHouseholdFlags});
  join(h.join);
}
void FeatureWriter::properties(const layers::Enterprise& e) {
  key("ent_id"), val().str(e.id);
  key("name"), val().str(e.name);
  key("industry"), val().str(e.industry);
  key("risk"), val().str(layers::risk_name(e.risk));
  key("hazardous_chemicals"), val().boolean(e.hazardous_chemicals);
  key("last_inspection"), val().str_or_null(e.last_inspection);
  key("open_hazards"), val().num(int64_t{e.open_hazards});
  join(e.join);
}
void FeatureWriter::properties(const layers::Incident& i) {
  key("inc_id"), val().str(i.id);
  key("category"), val().str(i.category);
  key("description"), val().str(i.description);
  key("source"), val().str(i.source);
  key("reported_at"), val().time_or_null(i.reported_at);
  key("status"), val().str(i.status);
  key("closed_at"), val().time_or_null(i.closed_at);
  key("assignee"), val().str_or_null(i.assignee);
  key("deadline"), val().time_or_null(i.deadline);
  key("agency"), val().str_or_null(i.agency);
  key("level"), val().str(i.level.empty() ? std::string_view("grid") : std::string_view(i.level));
  key("overdue"), val().boolean(i.overdue);
  key("version"), val().num(i.version);
  key("updated_at"), val().time_or_null(i.updated_at);
  key("handler"), val().str_or_null(i.handler);
  key("dispatch_reason"), val().str_or_null(i.dispatch_reason);
  join(i.join);
}
void FeatureWriter::properties(const layers::Worker& w) {
  key("worker_id"), val().str(w.worker_id);
  key("role"), val().str(layers::role_name(w.role));
  key("team_grid"), val().str(w.grid_code);
  key("on_duty"), val().boolean(w.on_duty);
  join(w.join);
}

template void FeatureWriter::feature(const layers::Grid&);
template void FeatureWriter::feature(const layers::Household&);
template void FeatureWriter::feature(const layers::Enterprise&);
template void FeatureWriter::feature(const layers::Incident&);
template void FeatureWriter::feature(const layers::Worker&);

}  // namespace onemap::api::features
