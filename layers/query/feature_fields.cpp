// The per-layer field tables (feature_fields.hpp).
#include "layers/query/feature_fields.hpp"

#include "layers/model/model.hpp"

#include <cmath>
#include <string>
#include <string_view>

namespace onemap::layers {

namespace {

using cql2::Null;
using cql2::Type;
using cql2::Value;

Value text(std::string_view s) {
  return s.empty() ? Value(Null{}) : Value(s);
}
Value instant(int64_t t) {
  return t ? Value(cql2::Timestamp{t}) : Value(Null{});
}
template <class T>
Value location(const T& r) {
  if (!std::isfinite(r.location.lon) || !std::isfinite(r.location.lat)) return Null{};
  return spatial::Point(r.location.lon, r.location.lat);
}

// The joins every point layer carries.
template <class T>
void add_join_fields(std::vector<QueryField<T>>& f) {
  f.push_back({{"grid_code", Type::String}, [](const T& r) { return text(r.join.grid_code); }});
  f.push_back({{"join_kind", Type::String},
               [](const T& r) -> Value { return layers::join_kind_name(r.join.kind); }});
  f.push_back(
      {{"join_distance_m", Type::Number}, [](const T& r) -> Value { return r.join.distance_m; }});
}

template <class T>
std::vector<cql2::Queryable> queryables_of() {
  std::vector<cql2::Queryable> out;
  for (const auto& f : fields_of(static_cast<const T*>(nullptr))) out.push_back(f.queryable);
  return out;
}

}  // namespace

const std::vector<QueryField<Grid>>& fields_of(const Grid*) {
  using G = Grid;
  static const std::vector<QueryField<G>> f = {
      {{"code", Type::String}, [](const G& g) -> Value { return std::string_view(g.code); }},
      {{"name", Type::String}, [](const G& g) { return text(g.name); }},
      {{"level", Type::String}, [](const G& g) -> Value { return layers::level_name(g.level); }},
      {{"parent_code", Type::String}, [](const G& g) { return text(g.parent_code); }},
      {{"area_m2", Type::Number}, [](const G& g) -> Value { return g.area_m2; }},
      {{"synthetic", Type::Boolean}, [](const G& g) -> Value { return g.synthetic; }},
      {{"geometry", Type::Geometry}, [](const G& g) -> Value { return &g.geometry; }}};
  return f;
}

const std::vector<QueryField<Household>>& fields_of(const Household*) {
  // No personal field: a filter on one would tell about persons by its count. The read policy
  // decides who may filter on the others.
  using H = Household;
  static const std::vector<QueryField<H>> all = [] {
    std::vector<QueryField<H>> f = {
        {{"hh_id", Type::String}, [](const H& h) { return text(h.id); }},
        {{"address", Type::String}, [](const H& h) { return text(h.address); }},
        {{"members", Type::Number},
         [](const H& h) -> Value { return static_cast<double>(h.members); }},
        {{"flags", Type::Number}, [](const H& h) -> Value {
           return static_cast<double>(h.flags & ~layers::kSensitiveHouseholdFlags);
         }}};
    add_join_fields(f);
    f.push_back({{"geometry", Type::Geometry}, location<H>});
    return f;
  }();
  return all;
}

const std::vector<QueryField<Enterprise>>& fields_of(const Enterprise*) {
  using E = Enterprise;
  static const std::vector<QueryField<E>> f = [] {
    std::vector<QueryField<E>> v = {
        {{"ent_id", Type::String}, [](const E& e) { return text(e.id); }},
        {{"name", Type::String}, [](const E& e) { return text(e.name); }},
        {{"industry", Type::String}, [](const E& e) { return text(e.industry); }},
        {{"risk", Type::String}, [](const E& e) -> Value { return layers::risk_name(e.risk); }},
        {{"hazardous_chemicals", Type::Boolean},
         [](const E& e) -> Value { return e.hazardous_chemicals; }},
        {{"last_inspection", Type::Timestamp},
         [](const E& e) -> Value {
           const auto t = layers::parse_time(e.last_inspection, 0);
           return t ? Value(cql2::Timestamp{*t}) : Value(Null{});
         }},
        {{"open_hazards", Type::Number},
         [](const E& e) -> Value { return static_cast<double>(e.open_hazards); }}};
    add_join_fields(v);
    v.push_back({{"geometry", Type::Geometry}, location<E>});
    return v;
  }();
  return f;
}

const std::vector<QueryField<Incident>>& fields_of(const Incident*) {
  using I = Incident;
  static const std::vector<QueryField<I>> f = [] {
    std::vector<QueryField<I>> v = {
        {{"inc_id", Type::String}, [](const I& i) { return text(i.id); }},
        {{"category", Type::String}, [](const I& i) { return text(i.category); }},
        {{"description", Type::String}, [](const I& i) { return text(i.description); }},
        {{"source", Type::String}, [](const I& i) { return text(i.source); }},
        {{"reported_at", Type::Timestamp}, [](const I& i) { return instant(i.reported_at); }},
        {{"status", Type::String}, [](const I& i) { return text(i.status); }},
        {{"closed_at", Type::Timestamp}, [](const I& i) { return instant(i.closed_at); }},
        {{"assignee", Type::String}, [](const I& i) { return text(i.assignee); }},
        {{"deadline", Type::Timestamp}, [](const I& i) { return instant(i.deadline); }},
        {{"agency", Type::String}, [](const I& i) { return text(i.agency); }},
        {{"level", Type::String},
         [](const I& i) { return text(i.level.empty() ? std::string("grid") : i.level); }},
        {{"overdue", Type::Boolean}, [](const I& i) { return Value(i.overdue); }},
        {{"version", Type::Number},
         [](const I& i) -> Value { return static_cast<double>(i.version); }},
        {{"updated_at", Type::Timestamp}, [](const I& i) { return instant(i.updated_at); }},
        {{"handler", Type::String}, [](const I& i) { return text(i.handler); }},
        {{"dispatch_reason", Type::String}, [](const I& i) { return text(i.dispatch_reason); }}};
    add_join_fields(v);
    v.push_back({{"geometry", Type::Geometry}, location<I>});
    return v;
  }();
  return f;
}

const std::vector<QueryField<Worker>>& fields_of(const Worker*) {
  using W = Worker;
  static const std::vector<QueryField<W>> f = [] {
    std::vector<QueryField<W>> v = {
        {{"worker_id", Type::String}, [](const W& w) { return text(w.worker_id); }},
        {{"role", Type::String}, [](const W& w) -> Value { return layers::role_name(w.role); }},
        {{"team_grid", Type::String}, [](const W& w) { return text(w.grid_code); }},
        {{"on_duty", Type::Boolean}, [](const W& w) -> Value { return w.on_duty; }}};
    add_join_fields(v);
    v.push_back({{"geometry", Type::Geometry}, location<W>});
    return v;
  }();
  return f;
}

std::vector<cql2::Queryable> layer_queryables(LayerKind kind) {
  switch (kind) {
    case LayerKind::Grids:
      return queryables_of<Grid>();
    case LayerKind::Households:
      return queryables_of<Household>();
    case LayerKind::Enterprises:
      return queryables_of<Enterprise>();
    case LayerKind::Incidents:
      return queryables_of<Incident>();
    case LayerKind::Workers:
      return queryables_of<Worker>();
  }
  return {};
}

}  // namespace onemap::layers
