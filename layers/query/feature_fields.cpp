// The queryables of each layer (feature_fields.hpp), from its schema.
#include "layers/query/feature_fields.hpp"

#include <cmath>
#include <string_view>
#include <type_traits>

namespace onemap::layers {

namespace {

using cql2::Null;
using cql2::Type;
using cql2::Value;

}  // namespace

Value query_value(const FieldValue& v, Type type) {
  if (const auto* s = std::get_if<std::string_view>(&v)) {
    if (s->empty()) return Null{};
    if (type == Type::Timestamp) {  // an ISO date kept as text
      const auto t = parse_time(*s, 0);
      return t ? Value(cql2::Timestamp{*t}) : Value(Null{});
    }
    return *s;
  }
  if (const auto* n = std::get_if<int64_t>(&v)) {
    if (type == Type::Timestamp) return *n ? Value(cql2::Timestamp{*n}) : Value(Null{});
    return static_cast<double>(*n);
  }
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  return Null{};
}

namespace {

Type query_type(const Field& f) {
  switch (f.type) {
    case FieldType::String:
      return f.iso_date ? Type::Timestamp : Type::String;
    case FieldType::Integer:
    case FieldType::Real:
      return Type::Number;
    case FieldType::Boolean:
      return Type::Boolean;
    case FieldType::DateTime:
      return Type::Timestamp;
  }
  return Type::String;
}

// The queryables of T's schema: every queryable field that is no person's identity (a filter on
// one would tell about persons by its count; the read policy decides who filters on the
// others), then the geometry.
template <class T>
QueryFields<T> queryable_fields() {
  const Schema<T>& s = schema<T>();
  QueryFields<T> out;
  for (std::size_t i = 0; i < s.fields.size(); ++i) {
    const Field& f = s.fields[i];
    if (!f.queryable || f.personal || !f.served) continue;
    out.push_back({{f.name, query_type(f)}, static_cast<int>(i)});
    if (i < s.access.size())
      out.back().read = s.access[i].shown ? s.access[i].shown : s.access[i].get;
  }
  out.push_back({{"geometry", Type::Geometry}, -1});
  return out;
}

template <class T>
std::vector<cql2::Queryable> queryables_of() {
  std::vector<cql2::Queryable> out;
  for (const auto& f : fields_of(static_cast<const T*>(nullptr))) out.push_back(f.queryable);
  return out;
}

}  // namespace

template <class T>
Value QueryField<T>::get(const T& r) const {
  if (field < 0) {
    if constexpr (std::is_same_v<T, Grid>) {
      return &r.geometry;
    } else {
      if (!std::isfinite(r.location.lon) || !std::isfinite(r.location.lat)) return Null{};
      return spatial::Point(r.location.lon, r.location.lat);
    }
  }
  const auto i = static_cast<std::size_t>(field);
  return query_value(read ? read(r) : schema<T>().shown(r, i), queryable.type);
}

#define ONEMAP_QUERY_FIELDS(T)                             \
  template struct QueryField<T>;                           \
  const QueryFields<T>& fields_of(const T*) {              \
    static const QueryFields<T> f = queryable_fields<T>(); \
    return f;                                              \
  }
ONEMAP_QUERY_FIELDS(Grid)
ONEMAP_QUERY_FIELDS(Household)
ONEMAP_QUERY_FIELDS(Enterprise)
ONEMAP_QUERY_FIELDS(Incident)
ONEMAP_QUERY_FIELDS(Worker)
#undef ONEMAP_QUERY_FIELDS

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

LayerQueryables queryables_of(const LayerDef& def) {
  LayerQueryables out;
  for (std::size_t i = 0; i < def.fields.size(); ++i) {
    const Field& f = def.fields[i];
    if (!f.queryable || f.personal) continue;
    out.queryables.push_back({f.name, query_type(f)});
    out.fields.push_back(static_cast<int>(i));
  }
  if (def.geometry != GeometryKind::Line) {
    out.queryables.push_back({"geometry", Type::Geometry});
    out.fields.push_back(-1);
  }
  return out;
}

Value LayerQueryables::get(const Feature& r, std::size_t i) const {
  const int field = fields[i];
  if (field < 0) {
    if (const auto* p = std::get_if<LonLat>(&r.geometry)) {
      if (!std::isfinite(p->lon) || !std::isfinite(p->lat)) return Null{};
      return spatial::Point(p->lon, p->lat);
    }
    if (const auto* mp = std::get_if<MultiPolygon>(&r.geometry)) return mp;
    return Null{};
  }
  const auto f = static_cast<std::size_t>(field);
  return f < r.attributes.size() ? query_value(view(r.attributes[f]), queryables[i].type)
                                 : Value(Null{});
}

}  // namespace onemap::layers
