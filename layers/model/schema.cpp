// The fields of every layer (schema.hpp): one entry each, in the store's column order.
#include "layers/model/schema.hpp"

#include "core/errors.hpp"

#include <cctype>
#include <chrono>
#include <cmath>
#include <type_traits>

namespace onemap::layers {

std::string_view type_name(FieldType t) {
  switch (t) {
    case FieldType::String:
      return "string";
    case FieldType::Integer:
      return "integer";
    case FieldType::Real:
      return "real";
    case FieldType::Boolean:
      return "boolean";
    case FieldType::DateTime:
      return "datetime";
  }
  return "string";
}

std::string_view audience_name(Audience a) {
  switch (a) {
    case Audience::Public:
      return "public";
    case Audience::Staff:
      return "staff";
    case Audience::Personal:
      return "personal";
  }
  return "staff";
}

FieldValue view(const AttributeValue& v) {
  return std::visit(
      [](const auto& x) -> FieldValue {
        using X = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<X, std::string>)
          return std::string_view(x);
        else
          return x;
      },
      v);
}

AttributeValue own(const FieldValue& v) {
  return std::visit(
      [](const auto& x) -> AttributeValue {
        using X = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<X, std::string_view>)
          return std::string(x);
        else
          return x;
      },
      v);
}

namespace {

bool is_null(const FieldValue& v) {
  if (std::holds_alternative<std::monostate>(v)) return true;
  if (const auto* s = std::get_if<std::string_view>(&v)) return s->empty();
  return false;
}

std::string range_text(double lo, double hi) {
  auto num = [](double x) {
    std::string s = std::to_string(static_cast<long long>(x));
    return x == std::floor(x) ? s : std::to_string(x);
  };
  return "[" + num(lo) + ", " + num(hi) + "]";
}

bool is_iso_date(std::string_view d) {
  if (d.size() != 10 || d[4] != '-' || d[7] != '-') return false;
  int y = 0, m = 0, day = 0;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9})
    if (!std::isdigit(static_cast<unsigned char>(d[i]))) return false;
  y = std::stoi(std::string(d.substr(0, 4)));
  m = std::stoi(std::string(d.substr(5, 2)));
  day = std::stoi(std::string(d.substr(8, 2)));
  using namespace std::chrono;
  return year_month_day{year{y}, month{static_cast<unsigned>(m)},
                        std::chrono::day{static_cast<unsigned>(day)}}
      .ok();
}

}  // namespace

void Field::check(const FieldValue& v) const {
  if (is_null(v)) return;
  const bool numeric_range =
      min != std::numeric_limits<double>::lowest() || max != std::numeric_limits<double>::max();
  switch (type) {
    case FieldType::String: {
      const auto* s = std::get_if<std::string_view>(&v);
      if (!s) throw InvalidArgument(name, "must be a string");
      check_text(*s, name, text);
      if (iso_date && !is_iso_date(*s))
        throw InvalidArgument(name, "must be an ISO 8601 date (YYYY-MM-DD) or empty");
      return;
    }
    case FieldType::Integer:
    case FieldType::DateTime: {
      const auto* n = std::get_if<int64_t>(&v);
      if (!n)
        throw InvalidArgument(name,
                              type == FieldType::Integer ? "must be an integer" : "must be a time");
      if (numeric_range && (static_cast<double>(*n) < min || static_cast<double>(*n) > max))
        throw InvalidArgument(name, "must be an integer in " + range_text(min, max));
      return;
    }
    case FieldType::Real: {
      double x = 0;
      if (const auto* d = std::get_if<double>(&v))
        x = *d;
      else if (const auto* n = std::get_if<int64_t>(&v))
        x = static_cast<double>(*n);
      else
        throw InvalidArgument(name, "must be a number");
      if (!std::isfinite(x)) throw InvalidArgument(name, "must be a finite number");
      if (numeric_range && (x < min || x > max))
        throw InvalidArgument(name, "must be a number in " + range_text(min, max));
      return;
    }
    case FieldType::Boolean:
      if (!std::holds_alternative<bool>(v)) throw InvalidArgument(name, "must be true or false");
      return;
  }
}

namespace {

// ---- accessors ---------------------------------------------------------------------------------

std::string_view as_text(const FieldValue& v) {
  const auto* s = std::get_if<std::string_view>(&v);
  return s ? *s : std::string_view();
}

int64_t as_integer(const FieldValue& v) {
  if (const auto* n = std::get_if<int64_t>(&v)) return *n;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<int64_t>(*d);
  if (const auto* b = std::get_if<bool>(&v)) return *b ? 1 : 0;
  return 0;
}

double as_real(const FieldValue& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* n = std::get_if<int64_t>(&v)) return static_cast<double>(*n);
  return 0;
}

bool as_boolean(const FieldValue& v) {
  if (const auto* b = std::get_if<bool>(&v)) return *b;
  return as_integer(v) != 0;
}

// A member of T read and written as its own type: text, a whole number, a real or a boolean.
template <auto M>
struct Member;
template <class T, class V, V T::*M>
struct Member<M> {
  static FieldValue get(const T& r) {
    if constexpr (std::is_same_v<V, std::string>)
      return std::string_view(r.*M);
    else if constexpr (std::is_same_v<V, bool>)
      return r.*M;
    else if constexpr (std::is_floating_point_v<V>)
      return static_cast<double>(r.*M);
    else
      return static_cast<int64_t>(r.*M);
  }
  static void set(T& r, const FieldValue& v) {
    if constexpr (std::is_same_v<V, std::string>)
      r.*M = std::string(as_text(v));
    else if constexpr (std::is_same_v<V, bool>)
      r.*M = as_boolean(v);
    else if constexpr (std::is_floating_point_v<V>)
      r.*M = static_cast<V>(as_real(v));
    else
      r.*M = static_cast<V>(as_integer(v));
  }
};

template <class T, class V>
T record_of(V T::*);  // the record type of a member pointer (never called)

template <auto M>
Accessor<decltype(record_of(M))> member() {
  return {&Member<M>::get, &Member<M>::set};
}

// An enumeration kept as its name: `name` writes it, `parse` reads a name (and the other forms
// the enumeration accepts) and throws InvalidArgument naming the field.
template <class T, class E, E T::*M, std::string_view (*name)(E), E (*parse)(std::string_view)>
Accessor<T> named() {
  return {[](const T& r) -> FieldValue { return name(r.*M); },
          [](T& r, const FieldValue& v) {
            // Empty keeps the record's default.
            if (const std::string_view s = as_text(v); !s.empty()) r.*M = parse(s);
          }};
}

// The grid join every point layer carries.
template <class T>
Accessor<T> join_grid_code() {
  return {[](const T& r) -> FieldValue { return std::string_view(r.join.grid_code); },
          [](T& r, const FieldValue& v) { r.join.grid_code = std::string(as_text(v)); }};
}
template <class T>
Accessor<T> join_kind() {
  return {[](const T& r) -> FieldValue { return join_kind_name(r.join.kind); },
          [](T& r, const FieldValue& v) {
            const std::string_view k = as_text(v);
            r.join.kind = k == "contained" ? JoinKind::Contained
                          : k == "nearest" ? JoinKind::Nearest
                                           : JoinKind::Unassigned;
          }};
}
template <class T>
Accessor<T> join_distance() {
  return {[](const T& r) -> FieldValue { return r.join.distance_m; },
          [](T& r, const FieldValue& v) { r.join.distance_m = as_real(v); }};
}

template <class T>
struct Entry {
  Field field;
  Accessor<T> access;
};

template <class T>
Schema<T> make(LayerKind kind, std::vector<Entry<T>> entries) {
  Schema<T> s{kind, {}, {}};
  for (auto& e : entries) {
    e.field.imported = e.field.imported || e.field.on_create;
    s.fields.push_back(std::move(e.field));
    s.access.push_back(e.access);
  }
  return s;
}

// The fields every point layer ends with: its grid join and the source's unmapped attributes.
// `tile_minzoom`: the zoom from which the grid code is in the layer's tiles.
template <class T>
void add_join(std::vector<Entry<T>>& v, Audience a, int tile_minzoom) {
  v.push_back({{.name = "grid_code",
                .audience = a,
                .queryable = true,
                .tile_minzoom = tile_minzoom,
                .text = TextKind::Id},
               join_grid_code<T>()});
  v.push_back({{.name = "join_kind",
                .audience = a,
                .queryable = true,
                .values = {"contained", "nearest", "unassigned"}},
               join_kind<T>()});
  v.push_back(
      {{.name = "join_distance_m", .type = FieldType::Real, .audience = a, .queryable = true},
       join_distance<T>()});
  v.push_back(
      {{.name = "extra", .audience = Audience::Staff, .served = false, .text = TextKind::FreeText},
       member<&T::extra>()});
}

constexpr auto S = FieldType::String;
constexpr auto I = FieldType::Integer;
constexpr auto R = FieldType::Real;
constexpr auto B = FieldType::Boolean;
constexpr auto D = FieldType::DateTime;
constexpr auto kPublic = Audience::Public;
constexpr auto kStaff = Audience::Staff;
constexpr auto kPersonal = Audience::Personal;

// ---- the layers --------------------------------------------------------------------------------

Schema<Grid> grid_schema() {
  std::vector<Entry<Grid>> v = {
      {{.name = "code",
        .type = S,
        .audience = kPublic,
        .queryable = true,
        .on_create = true,
        .tile_minzoom = 0,
        .text = TextKind::Id},
       member<&Grid::code>()},
      {{.name = "name",
        .type = S,
        .audience = kPublic,
        .queryable = true,
        .on_create = true,
        .on_patch = true,
        .tile_minzoom = 0},
       member<&Grid::name>()},
      {{.name = "level",
        .type = S,
        .audience = kPublic,
        .queryable = true,
        .on_create = true,
        .tile_minzoom = 0,
        .text = TextKind::Id,
        .values = {"county", "town", "village", "grid", "microgrid"}},
       named<Grid, GridLevel, &Grid::level, level_name, level_from_name>()},
      {{.name = "parent_code",
        .type = S,
        .audience = kPublic,
        .queryable = true,
        .on_create = true,
        .tile_minzoom = 0,
        .text = TextKind::Id},
       member<&Grid::parent_code>()},
      {{.name = "area_m2", .type = R, .audience = kPublic, .queryable = true, .tile_minzoom = 12},
       member<&Grid::area_m2>()},
      {{.name = "synthetic", .type = B, .audience = kPublic, .queryable = true},
       member<&Grid::synthetic>()},
  };
  return make(LayerKind::Grids, std::move(v));
}

Schema<Household> household_schema() {
  using H = Household;
  std::vector<Entry<H>> v = {
      {{.name = "hh_id",
        .type = S,
        .audience = kStaff,
        .queryable = true,
        .on_create = true,
        .on_patch = true,
        .import_names = {"id"},
        .text = TextKind::Id},
       member<&H::id>()},
      {{.name = "address",
        .type = S,
        .audience = kStaff,
        .queryable = true,
        .on_create = true,
        .on_patch = true},
       member<&H::address>()},
      {{.name = "members",
        .type = I,
        .audience = kPublic,
        .queryable = true,
        .on_create = true,
        .on_patch = true,
        .tile_minzoom = 16,
        .min = 0,
        .max = 1000},
       member<&H::members>()},
      {{.name = "flags",
        .type = I,
        .audience = kPublic,
        .queryable = true,
        .on_create = true,
        .on_patch = true,
        .min = 0,
        .max = 4294967295.0},
       // Outputs show the flags without the sensitive ones (model.hpp); only records show those.
       {&Member<&H::flags>::get, &Member<&H::flags>::set,
        [](const H& h) -> FieldValue {
          return static_cast<int64_t>(h.flags & ~kSensitiveHouseholdFlags);
        }}},
      {{.name = "head_name",
        .type = S,
        .audience = kPersonal,
        .personal = true,
        .on_create = true,
        .on_patch = true},
       member<&H::head_name>()},
      {{.name = "phone",
        .type = S,
        .audience = kPersonal,
        .personal = true,
        .on_create = true,
        .on_patch = true,
        .text = TextKind::Id},
       member<&H::phone>()},
      {{.name = "id_number",
        .type = S,
        .audience = kPersonal,
        .personal = true,
        .on_create = true,
        .on_patch = true,
        .text = TextKind::Id},
       member<&H::id_number>()},
  };
  add_join(v, kPublic, 16);
  return make(LayerKind::Households, std::move(v));
}

Schema<Enterprise> enterprise_schema() {
  using E = Enterprise;
  std::vector<Entry<E>> v = {
      {{.name = "ent_id",
        .type = S,
        .audience = kPublic,
        .queryable = true,
        .on_create = true,
        .on_patch = true,
        .import_names = {"id"},
        .text = TextKind::Id},
       member<&E::id>()},
      {{.name = "name",
        .type = S,
        .audience = kPublic,
        .queryable = true,
        .on_create = true,
        .on_patch = true,
        .required = true,
        .tile_minzoom = 13},
       member<&E::name>()},
      {{.name = "industry",
        .type = S,
        .audience = kPublic,
        .queryable = true,
        .on_create = true,
        .on_patch = true,
        .tile_minzoom = 13},
       member<&E::industry>()},
      {{.name = "risk",
        .type = S,
        .audience = kPublic,
        .queryable = true,
        .on_create = true,
        .on_patch = true,
        .tile_minzoom = 0,
        .text = TextKind::Id,
        .values = {"major", "significant", "general", "low"}},
       named<E, RiskLevel, &E::risk, risk_name, risk_from_name>()},
      {{.name = "hazardous_chemicals",
        .type = B,
        .audience = kPublic,
        .queryable = true,
        .on_create = true,
        .on_patch = true,
        .tile_minzoom = 13},
       member<&E::hazardous_chemicals>()},
      {{.name = "last_inspection",
        .type = S,
        .audience = kPublic,
        .queryable = true,
        .on_create = true,
        .on_patch = true,
        .tile_minzoom = 16,
        .text = TextKind::Id,
        .iso_date = true},
       member<&E::last_inspection>()},
      {{.name = "open_hazards",
        .type = I,
        .audience = kPublic,
        .queryable = true,
        .on_create = true,
        .on_patch = true,
        .tile_minzoom = 13,
        .min = 0,
        .max = 1'000'000},
       member<&E::open_hazards>()},
  };
  add_join(v, kPublic, 16);
  return make(LayerKind::Enterprises, std::move(v));
}

Schema<Incident> incident_schema() {
  using N = Incident;
  std::vector<Entry<N>> v = {
      {{.name = "inc_id",
        .type = S,
        .audience = kPublic,
        .queryable = true,
        .on_create = true,
        .tile_minzoom = 16,
        .import_names = {"id"},
        .text = TextKind::Id},
       member<&N::id>()},
      {{.name = "category",
        .type = S,
        .audience = kPublic,
        .queryable = true,
        .on_create = true,
        .on_patch = true,
        .tile_minzoom = 0,
        .text = TextKind::Id},
       member<&N::category>()},
      {{.name = "description",
        .type = S,
        .audience = kStaff,
        .queryable = true,
        .on_create = true,
        .on_patch = true,
        .text = TextKind::FreeText},
       member<&N::description>()},
      {{.name = "source",
        .type = S,
        .audience = kPublic,
        .queryable = true,
        .on_create = true,
        .tile_minzoom = 16,
        .text = TextKind::Id},
       member<&N::source>()},
      {{.name = "reported_at",
        .type = D,
        .audience = kPublic,
        .queryable = true,
        .on_create = true,
        .tile_minzoom = 13},
       member<&N::reported_at>()},
      {{.name = "status",
        .type = S,
        .audience = kPublic,
        .queryable = true,
        .imported = true,
        .tile_minzoom = 0,
        .text = TextKind::Id},
       member<&N::status>()},
      {{.name = "closed_at",
        .type = D,
        .audience = kPublic,
        .queryable = true,
        .imported = true,
        .tile_minzoom = 16},
       member<&N::closed_at>()},
      {{.name = "assignee",
        .type = S,
        .audience = kStaff,
        .queryable = true,
        .on_patch = true,
        .imported = true,
        .text = TextKind::Id},
       member<&N::assignee>()},
      {{.name = "deadline", .type = D, .audience = kPublic, .queryable = true, .tile_minzoom = 16},
       member<&N::deadline>()},
      {{.name = "agency",
        .type = S,
        .audience = kPublic,
        .queryable = true,
        .tile_minzoom = 16,
        .text = TextKind::Id},
       member<&N::agency>()},
      {{.name = "level",
        .type = S,
        .audience = kPublic,
        .queryable = true,
        .tile_minzoom = 13,
        .text = TextKind::Id,
        .values = {"grid", "village", "town", "county"}},
       // Outputs name the first level ("grid") that the store leaves empty.
       {&Member<&N::level>::get, &Member<&N::level>::set,
        [](const N& i) -> FieldValue {
          return i.level.empty() ? std::string_view("grid") : std::string_view(i.level);
        }}},
      {{.name = "overdue", .type = B, .audience = kPublic, .queryable = true, .tile_minzoom = 0},
       member<&N::overdue>()},
      {{.name = "version", .type = I, .audience = kPublic, .queryable = true},
       member<&N::version>()},
      {{.name = "updated_at", .type = D, .audience = kPublic, .queryable = true},
       member<&N::updated_at>()},
      {{.name = "reporter",
        .type = S,
        .audience = kPersonal,
        .personal = true,
        .text = TextKind::Id},
       member<&N::reporter>()},
      {{.name = "handler", .type = S, .audience = kStaff, .queryable = true, .text = TextKind::Id},
       member<&N::handler>()},
      {{.name = "dispatch_reason",
        .type = S,
        .audience = kStaff,
        .queryable = true,
        .text = TextKind::FreeText},
       member<&N::dispatch_reason>()},
  };
  add_join(v, kPublic, 16);
  return make(LayerKind::Incidents, std::move(v));
}

Schema<Worker> worker_schema() {
  using W = Worker;
  std::vector<Entry<W>> v = {
      {{.name = "worker_id",
        .type = S,
        .audience = kStaff,
        .queryable = true,
        .on_create = true,
        .tile_minzoom = 16,
        .text = TextKind::Id},
       member<&W::worker_id>()},
      {{.name = "name",
        .type = S,
        .audience = kPersonal,
        .personal = true,
        .on_create = true,
        .on_patch = true},
       member<&W::name>()},
      {{.name = "role",
        .type = S,
        .audience = kStaff,
        .queryable = true,
        .on_create = true,
        .on_patch = true,
        .tile_minzoom = 0,
        .text = TextKind::Id,
        .values = {"grid_head", "full_time", "part_time", "cadre", "aux_police", "other"}},
       named<W, WorkerRole, &W::role, role_name, role_from_name>()},
      {{.name = "team_grid",
        .type = S,
        .audience = kStaff,
        .queryable = true,
        .on_create = true,
        .on_patch = true,
        .tile_minzoom = 16,
        .import_names = {"grid_code"},
        .text = TextKind::Id},
       member<&W::grid_code>()},
      {{.name = "on_duty",
        .type = B,
        .audience = kStaff,
        .queryable = true,
        .on_create = true,
        .on_patch = true,
        .tile_minzoom = 0},
       member<&W::on_duty>()},
  };
  add_join(v, kStaff, -1);
  return make(LayerKind::Workers, std::move(v));
}

// The schemas, built once; add_field extends them before any county loads.
template <class R>
Schema<R>& mutable_schema();
template <>
Schema<Grid>& mutable_schema<Grid>() {
  static Schema<Grid> s = grid_schema();
  return s;
}
template <>
Schema<Household>& mutable_schema<Household>() {
  static Schema<Household> s = household_schema();
  return s;
}
template <>
Schema<Enterprise>& mutable_schema<Enterprise>() {
  static Schema<Enterprise> s = enterprise_schema();
  return s;
}
template <>
Schema<Incident>& mutable_schema<Incident>() {
  static Schema<Incident> s = incident_schema();
  return s;
}
template <>
Schema<Worker>& mutable_schema<Worker>() {
  static Schema<Worker> s = worker_schema();
  return s;
}

bool is_identifier(std::string_view s) {
  if (s.empty() || s.size() > 63 || !(std::islower(static_cast<unsigned char>(s[0])))) return false;
  for (char c : s)
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
      return false;
  return true;
}

}  // namespace

template <class T>
std::vector<std::string> apply(const Schema<T>& s, T& r, const FieldValues& values, bool patch) {
  std::vector<bool> changed(s.fields.size());
  for (const auto& [name, value] : values) {
    const int i = s.index(name);
    const Field* f = i < 0 ? nullptr : &s.fields[static_cast<std::size_t>(i)];
    if (!f || !(patch ? f->on_patch : f->on_create))
      throw InvalidArgument(name, patch ? "is not a field PATCH changes"
                                        : "is not a field given when a record is created");
    const FieldValue v = view(value);
    f->check(v);
    if (f->required && is_null(v)) throw InvalidArgument(name, "must not be empty");
    const auto k = static_cast<std::size_t>(i);
    // Compared as stored, after the setter's parsing ("Major" and "major" are one risk).
    const AttributeValue before = own(s.get(r, k));
    s.set(r, k, v);
    if (own(s.get(r, k)) != before) changed[k] = true;
  }
  std::vector<std::string> names;
  for (std::size_t k = 0; k < changed.size(); ++k)
    if (changed[k]) names.push_back(s.fields[k].name);
  return names;
}

template <class T>
void check_new(const Schema<T>& s, const T& r) {
  for (std::size_t i = 0; i < s.fields.size(); ++i) {
    const Field& f = s.fields[i];
    if (!f.on_create) continue;
    const FieldValue v = s.get(r, i);
    if (f.required && is_null(v)) throw InvalidArgument(f.name, "is required");
    f.check(v);
  }
}

#define ONEMAP_SCHEMA_OPS(T)                                                               \
  template std::vector<std::string> apply(const Schema<T>&, T&, const FieldValues&, bool); \
  template void check_new(const Schema<T>&, const T&);
ONEMAP_SCHEMA_OPS(Grid)
ONEMAP_SCHEMA_OPS(Household)
ONEMAP_SCHEMA_OPS(Enterprise)
ONEMAP_SCHEMA_OPS(Incident)
ONEMAP_SCHEMA_OPS(Worker)
#undef ONEMAP_SCHEMA_OPS

template <>
const Schema<Grid>& schema<Grid>() {
  return mutable_schema<Grid>();
}
template <>
const Schema<Household>& schema<Household>() {
  return mutable_schema<Household>();
}
template <>
const Schema<Enterprise>& schema<Enterprise>() {
  return mutable_schema<Enterprise>();
}
template <>
const Schema<Incident>& schema<Incident>() {
  return mutable_schema<Incident>();
}
template <>
const Schema<Worker>& schema<Worker>() {
  return mutable_schema<Worker>();
}

const std::vector<Field>& layer_fields(LayerKind k) {
  return with_schema(k, [](const auto& s) -> const std::vector<Field>& { return s.fields; });
}

const Field* find_field(LayerKind k, std::string_view name) {
  return with_schema(k, [&](const auto& s) { return s.find(name); });
}

bool is_personal(LayerKind k, std::string_view name) {
  const Field* f = find_field(k, name);
  return f && f->personal;
}

void add_field(LayerKind k, Field f) {
  if (!is_identifier(f.name))
    throw InvalidArgument("field", "'" + f.name +
                                       "' is no field name (lowercase letters, digits and _, "
                                       "starting with a letter, at most 63)");
  if (f.name == "geometry" || f.name == "fid" || f.name == "id" || find_field(k, f.name))
    throw InvalidArgument(
        "field", "layer " + std::string(layer_name(k)) + " already has a field '" + f.name + "'");
  if (f.personal) f.audience = Audience::Personal;
  f.imported = f.imported || f.on_create;
  auto add = [&](auto& s) { s.fields.push_back(std::move(f)); };
  switch (k) {
    case LayerKind::Grids:
      return add(mutable_schema<Grid>());
    case LayerKind::Households:
      return add(mutable_schema<Household>());
    case LayerKind::Enterprises:
      return add(mutable_schema<Enterprise>());
    case LayerKind::Incidents:
      return add(mutable_schema<Incident>());
    case LayerKind::Workers:
      return add(mutable_schema<Worker>());
  }
}

}  // namespace onemap::layers
