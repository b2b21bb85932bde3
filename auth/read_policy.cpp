// The read policy (read_policy.hpp).
#include "auth/read_policy.hpp"

#include <array>
#include <utility>

namespace onemap::auth {

using layers::LayerKind;

namespace {

struct FieldRule {
  LayerKind layer;
  std::string_view field;
  Audience audience;
};

// What each field needs. Fields not listed need staff, so that a new field is private until it
// is named here.
constexpr std::array kFieldRules = {
    // grids: public
    FieldRule{LayerKind::Grids, "code", Audience::Public},
    FieldRule{LayerKind::Grids, "name", Audience::Public},
    FieldRule{LayerKind::Grids, "level", Audience::Public},
    FieldRule{LayerKind::Grids, "parent_code", Audience::Public},
    FieldRule{LayerKind::Grids, "area_m2", Audience::Public},
    FieldRule{LayerKind::Grids, "synthetic", Audience::Public},
    FieldRule{LayerKind::Grids, "geometry", Audience::Public},
    // households: counts, members and public flags; the address and number are staff's, the
    // persons' identities personal
    FieldRule{LayerKind::Households, "geometry", Audience::Public},
    FieldRule{LayerKind::Households, "members", Audience::Public},
    FieldRule{LayerKind::Households, "flags", Audience::Public},
    FieldRule{LayerKind::Households, "grid_code", Audience::Public},
    FieldRule{LayerKind::Households, "join_kind", Audience::Public},
    FieldRule{LayerKind::Households, "join_distance_m", Audience::Public},
    FieldRule{LayerKind::Households, "hh_id", Audience::Staff},
    FieldRule{LayerKind::Households, "address", Audience::Staff},
    FieldRule{LayerKind::Households, "head_name", Audience::Personal},
    FieldRule{LayerKind::Households, "phone", Audience::Personal},
    FieldRule{LayerKind::Households, "id_number", Audience::Personal},
    // enterprises: public registers (name, industry, risk)
    FieldRule{LayerKind::Enterprises, "geometry", Audience::Public},
    FieldRule{LayerKind::Enterprises, "ent_id", Audience::Public},
    FieldRule{LayerKind::Enterprises, "name", Audience::Public},
    FieldRule{LayerKind::Enterprises, "industry", Audience::Public},
    FieldRule{LayerKind::Enterprises, "risk", Audience::Public},
    FieldRule{LayerKind::Enterprises, "hazardous_chemicals", Audience::Public},
    FieldRule{LayerKind::Enterprises, "last_inspection", Audience::Public},
    FieldRule{LayerKind::Enterprises, "open_hazards", Audience::Public},
    FieldRule{LayerKind::Enterprises, "grid_code", Audience::Public},
    FieldRule{LayerKind::Enterprises, "join_kind", Audience::Public},
    FieldRule{LayerKind::Enterprises, "join_distance_m", Audience::Public},
    // incidents: what, where, when and how far along; never who or the free text
    FieldRule{LayerKind::Incidents, "geometry", Audience::Public},
    FieldRule{LayerKind::Incidents, "inc_id", Audience::Public},
    FieldRule{LayerKind::Incidents, "category", Audience::Public},
    FieldRule{LayerKind::Incidents, "source", Audience::Public},
    FieldRule{LayerKind::Incidents, "reported_at", Audience::Public},
    FieldRule{LayerKind::Incidents, "status", Audience::Public},
    FieldRule{LayerKind::Incidents, "closed_at", Audience::Public},
    FieldRule{LayerKind::Incidents, "deadline", Audience::Public},
    FieldRule{LayerKind::Incidents, "agency", Audience::Public},
    FieldRule{LayerKind::Incidents, "level", Audience::Public},
    FieldRule{LayerKind::Incidents, "overdue", Audience::Public},
    FieldRule{LayerKind::Incidents, "version", Audience::Public},
    FieldRule{LayerKind::Incidents, "updated_at", Audience::Public},
    FieldRule{LayerKind::Incidents, "grid_code", Audience::Public},
    FieldRule{LayerKind::Incidents, "join_kind", Audience::Public},
    FieldRule{LayerKind::Incidents, "join_distance_m", Audience::Public},
    FieldRule{LayerKind::Incidents, "description", Audience::Staff},
    FieldRule{LayerKind::Incidents, "assignee", Audience::Staff},
    FieldRule{LayerKind::Incidents, "handler", Audience::Staff},
    FieldRule{LayerKind::Incidents, "dispatch_reason", Audience::Staff},
    FieldRule{LayerKind::Incidents, "history", Audience::Staff},
    FieldRule{LayerKind::Incidents, "reporter", Audience::Personal},
    // workers: staff's (whereabouts), names personal
    FieldRule{LayerKind::Workers, "name", Audience::Personal},
};

bool starts_with_scope(std::string_view code, std::string_view scope) {
  return !code.empty() && code.substr(0, scope.size()) == scope;
}

}  // namespace

std::string_view audience_name(Audience a) {
  switch (a) {
    case Audience::Public: return "public";
    case Audience::Staff: return "staff";
    case Audience::Personal: return "personal";
  }
  return "public";
}

Viewer Viewer::of(const std::optional<layers::Actor>& user) {
  Viewer v;
  if (!user) return v;
  v.user_id = user->id;
  const std::string& role = user->role;
  if (role == "admin") {
    v.audience = Audience::Personal;
  } else if (role == "centre") {
    v.audience = Audience::Personal;
    v.scope = user->scope;
  } else if (role == "worker") {
    v.audience = Audience::Staff;
    v.scope = user->scope;  // their team's grid (layers::Actor::of)
  } else if (role == "department") {
    v.audience = Audience::Staff;  // their scope names a department, not an area
  }
  // reporter (and anything unknown): public, plus its own reports
  return v;
}

Audience Viewer::at(std::string_view grid_code, std::string_view agency) const {
  if (audience == Audience::Public || scope.empty()) return audience;
  if (starts_with_scope(grid_code, scope) || starts_with_scope(agency, scope)) return audience;
  return Audience::Public;
}

std::string Viewer::cache_key() const {
  std::string k(audience_name(audience));
  if (audience != Audience::Public && !scope.empty()) k += ":" + scope;
  return k;
}

Audience layer_audience(LayerKind layer) {
  return layer == LayerKind::Workers ? Audience::Staff : Audience::Public;
}

Audience field_audience(LayerKind layer, std::string_view field) {
  for (const auto& r : kFieldRules)
    if (r.layer == layer && r.field == field) return r.audience;
  return Audience::Staff;
}

bool may_see_layer(const Viewer& viewer, LayerKind layer) {
  return static_cast<int>(viewer.audience) >= static_cast<int>(layer_audience(layer));
}

bool may_read(const Viewer& viewer, LayerKind layer, std::string_view field, std::string_view grid_code,
              std::string_view agency) {
  return static_cast<int>(viewer.at(grid_code, agency)) >= static_cast<int>(field_audience(layer, field));
}

Audience incident_audience(const Viewer& viewer, const layers::Incident& incident) {
  if (!viewer.anonymous() && incident.reporter == viewer.user_id) return Audience::Personal;
  return viewer.at(incident.join.grid_code, incident.agency);
}

bool reaches(Audience audience, LayerKind layer, std::string_view field) {
  return static_cast<int>(audience) >= static_cast<int>(field_audience(layer, field));
}

bool may_see_incident(const Viewer& viewer, const layers::Incident& incident, bool sensitive_category) {
  return !sensitive_category || incident_audience(viewer, incident) != Audience::Public;
}

}  // namespace onemap::auth
