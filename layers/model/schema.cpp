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

// What a field is used for besides being stored, combined with | (Field's flags of those names).
enum Use : unsigned {
  kQuery = 1u << 0,      // queryable
  kCreate = 1u << 1,     // on_create (and so imported)
  kPatch = 1u << 2,      // on_patch
  kRequired = 1u << 3,   // required
  kImport = 1u << 4,     // imported, though not given on create
  kIdentity = 1u << 5,   // personal: a person's identity
  kStoreOnly = 1u << 6,  // not served
  kEdit = kCreate | kPatch,
};

// One field of the tables below: name, type, audience and uses, then what else it has.
struct Def {
  Field f;
  Def(std::string name, FieldType type, Audience audience, unsigned uses) {
    f.name = std::move(name);
    f.type = type;
    f.audience = audience;
    f.queryable = uses & kQuery;
    f.on_create = uses & kCreate;
    f.on_patch = uses & kPatch;
    f.required = uses & kRequired;
    f.imported = uses & kImport;
    f.personal = uses & kIdentity;
    f.served = !(uses & kStoreOnly);
  }
  Def& tiles(int minzoom) {
    f.tile_minzoom = minzoom;
    return *this;
  }
  Def& text(TextKind k) {
    f.text = k;
    return *this;
  }
  Def& range(double lo, double hi) {
    f.min = lo;
    f.max = hi;
    return *this;
  }
  Def& one_of(std::vector<std::string> values) {
    f.values = std::move(values);
    return *this;
  }
  Def& also_named(std::vector<std::string> names) {
    f.import_names = std::move(names);
    return *this;
  }
  Def& date() {
    f.iso_date = true;
    return *this;
  }
};

template <class T>
struct Entry {
  Entry(const Def& d, Accessor<T> a) : field(d.f), access(a) {}
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

constexpr auto S = FieldType::String;
constexpr auto I = FieldType::Integer;
constexpr auto R = FieldType::Real;
constexpr auto B = FieldType::Boolean;
constexpr auto D = FieldType::DateTime;
constexpr auto kPublic = Audience::Public;
constexpr auto kStaff = Audience::Staff;
constexpr auto kPersonal = Audience::Personal;
constexpr auto kId = TextKind::Id;
constexpr auto kFree = TextKind::FreeText;

// The fields every point layer ends with: its grid join and the source's unmapped attributes.
// `tile_minzoom`: the zoom from which the grid code is in the layer's tiles.
template <class T>
void add_join(std::vector<Entry<T>>& v, Audience a, int tile_minzoom) {
  v.insert(v.end(),
           {
               {Def("grid_code", S, a, kQuery).tiles(tile_minzoom).text(kId), join_grid_code<T>()},
               {Def("join_kind", S, a, kQuery).one_of({"contained", "nearest", "unassigned"}),
                join_kind<T>()},
               {Def("join_distance_m", R, a, kQuery), join_distance<T>()},
               {Def("extra", S, kStaff, kStoreOnly).text(kFree), member<&T::extra>()},
           });
}

// ---- the layers --------------------------------------------------------------------------------

Schema<Grid> grid_schema() {
  using G = Grid;
  std::vector<Entry<G>> v = {
      {Def("code", S, kPublic, kQuery | kCreate).tiles(0).text(kId), member<&G::code>()},
      {Def("name", S, kPublic, kQuery | kEdit).tiles(0), member<&G::name>()},
      {Def("level", S, kPublic, kQuery | kCreate)
           .tiles(0)
           .text(kId)
           .one_of({"county", "town", "village", "grid", "microgrid"}),
       named<G, GridLevel, &G::level, level_name, level_from_name>()},
      {Def("parent_code", S, kPublic, kQuery | kCreate).tiles(0).text(kId),
       member<&G::parent_code>()},
      {Def("area_m2", R, kPublic, kQuery).tiles(12), member<&G::area_m2>()},
      {Def("synthetic", B, kPublic, kQuery), member<&G::synthetic>()},
  };
  return make(LayerKind::Grids, std::move(v));
}

Schema<Household> household_schema() {
  using H = Household;
  std::vector<Entry<H>> v = {
      {Def("hh_id", S, kStaff, kQuery | kEdit).also_named({"id"}).text(kId), member<&H::id>()},
      {Def("address", S, kStaff, kQuery | kEdit), member<&H::address>()},
      {Def("members", I, kPublic, kQuery | kEdit).tiles(16).range(0, 1000), member<&H::members>()},
      {Def("flags", I, kPublic, kQuery | kEdit).range(0, 4294967295.0),
       // Outputs show the flags without the sensitive ones (model.hpp); only records show those.
       {&Member<&H::flags>::get, &Member<&H::flags>::set,
        [](const H& h) -> FieldValue {
          return static_cast<int64_t>(h.flags & ~kSensitiveHouseholdFlags);
        }}},
      {Def("head_name", S, kPersonal, kIdentity | kEdit), member<&H::head_name>()},
      {Def("phone", S, kPersonal, kIdentity | kEdit).text(kId), member<&H::phone>()},
      {Def("id_number", S, kPersonal, kIdentity | kEdit).text(kId), member<&H::id_number>()},
  };
  add_join(v, kPublic, 16);
  return make(LayerKind::Households, std::move(v));
}

Schema<Enterprise> enterprise_schema() {
  using E = Enterprise;
  std::vector<Entry<E>> v = {
      {Def("ent_id", S, kPublic, kQuery | kEdit).also_named({"id"}).text(kId), member<&E::id>()},
      {Def("name", S, kPublic, kQuery | kEdit | kRequired).tiles(13), member<&E::name>()},
      {Def("industry", S, kPublic, kQuery | kEdit).tiles(13), member<&E::industry>()},
      {Def("risk", S, kPublic, kQuery | kEdit)
           .tiles(0)
           .text(kId)
           .one_of({"major", "significant", "general", "low"}),
       named<E, RiskLevel, &E::risk, risk_name, risk_from_name>()},
      {Def("hazardous_chemicals", B, kPublic, kQuery | kEdit).tiles(13),
       member<&E::hazardous_chemicals>()},
      {Def("last_inspection", S, kPublic, kQuery | kEdit).tiles(16).text(kId).date(),
       member<&E::last_inspection>()},
      {Def("open_hazards", I, kPublic, kQuery | kEdit).tiles(13).range(0, 1'000'000),
       member<&E::open_hazards>()},
  };
  add_join(v, kPublic, 16);
  return make(LayerKind::Enterprises, std::move(v));
}

Schema<Incident> incident_schema() {
  using N = Incident;
  std::vector<Entry<N>> v = {
      {Def("inc_id", S, kPublic, kQuery | kCreate).tiles(16).also_named({"id"}).text(kId),
       member<&N::id>()},
      {Def("category", S, kPublic, kQuery | kEdit).tiles(0).text(kId), member<&N::category>()},
      {Def("description", S, kStaff, kQuery | kEdit).text(kFree), member<&N::description>()},
      {Def("address", S, kStaff, kQuery | kCreate), member<&N::address>()},
      {Def("source", S, kPublic, kQuery | kCreate).tiles(16).text(kId), member<&N::source>()},
      {Def("reported_at", D, kPublic, kQuery | kCreate).tiles(13), member<&N::reported_at>()},
      {Def("status", S, kPublic, kQuery | kImport).tiles(0).text(kId), member<&N::status>()},
      {Def("closed_at", D, kPublic, kQuery | kImport).tiles(16), member<&N::closed_at>()},
      {Def("assignee", S, kStaff, kQuery | kPatch | kImport).text(kId), member<&N::assignee>()},
      {Def("deadline", D, kPublic, kQuery).tiles(16), member<&N::deadline>()},
      {Def("agency", S, kPublic, kQuery).tiles(16).text(kId), member<&N::agency>()},
      {Def("co_agencies", S, kPublic, kQuery), member<&N::co_agencies>()},
      {Def("level", S, kPublic, kQuery)
           .tiles(13)
           .text(kId)
           .one_of({"grid", "village", "town", "county"}),
       // Outputs name the first level ("grid") that the store leaves empty.
       {&Member<&N::level>::get, &Member<&N::level>::set,
        [](const N& i) -> FieldValue {
          return i.level.empty() ? std::string_view("grid") : std::string_view(i.level);
        }}},
      {Def("overdue", B, kPublic, kQuery).tiles(0), member<&N::overdue>()},
      {Def("version", I, kPublic, kQuery), member<&N::version>()},
      {Def("updated_at", D, kPublic, kQuery), member<&N::updated_at>()},
      {Def("reporter", S, kPersonal, kIdentity).text(kId), member<&N::reporter>()},
      {Def("handler", S, kStaff, kQuery).text(kId), member<&N::handler>()},
      {Def("dispatch_reason", S, kStaff, kQuery).text(kFree), member<&N::dispatch_reason>()},
  };
  add_join(v, kPublic, 16);
  return make(LayerKind::Incidents, std::move(v));
}

Schema<Worker> worker_schema() {
  using W = Worker;
  std::vector<Entry<W>> v = {
      {Def("worker_id", S, kStaff, kQuery | kCreate).tiles(16).text(kId), member<&W::worker_id>()},
      {Def("name", S, kPersonal, kIdentity | kEdit), member<&W::name>()},
      {Def("role", S, kStaff, kQuery | kEdit)
           .tiles(0)
           .text(kId)
           .one_of({"grid_head", "full_time", "part_time", "cadre", "aux_police", "other"}),
       named<W, WorkerRole, &W::role, role_name, role_from_name>()},
      {Def("team_grid", S, kStaff, kQuery | kEdit).tiles(16).also_named({"grid_code"}).text(kId),
       member<&W::grid_code>()},
      {Def("on_duty", B, kStaff, kQuery | kEdit).tiles(0), member<&W::on_duty>()},
  };
  add_join(v, kStaff, -1);
  return make(LayerKind::Workers, std::move(v));
}

// The schemas, built once; add_field extends them before any county loads.
template <class R>
Schema<R>& mutable_schema();
template <class T>
Schema<T>& mutable_schema() {
  static Schema<T> s = [] {
    if constexpr (std::is_same_v<T, Grid>) return grid_schema();
    if constexpr (std::is_same_v<T, Household>) return household_schema();
    if constexpr (std::is_same_v<T, Enterprise>) return enterprise_schema();
    if constexpr (std::is_same_v<T, Incident>) return incident_schema();
    if constexpr (std::is_same_v<T, Worker>) return worker_schema();
  }();
  return s;
}
template <class T>
Schema<T>& mutable_schema(const Schema<T>&) {
  return mutable_schema<T>();
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

// Each record type's schema and the operations on it. (T names a type: "(T)&" would be no
// declaration, hence the NOLINT of bugprone-macro-parentheses.)
// NOLINTBEGIN(bugprone-macro-parentheses)
#define ONEMAP_SCHEMA_OPS(T)                                                               \
  template <>                                                                              \
  const Schema<T>& schema<T>() {                                                           \
    return mutable_schema<T>();                                                            \
  }                                                                                        \
  template std::vector<std::string> apply(const Schema<T>&, T&, const FieldValues&, bool); \
  template void check_new(const Schema<T>&, const T&);
// NOLINTEND(bugprone-macro-parentheses)
ONEMAP_SCHEMA_OPS(Grid)
ONEMAP_SCHEMA_OPS(Household)
ONEMAP_SCHEMA_OPS(Enterprise)
ONEMAP_SCHEMA_OPS(Incident)
ONEMAP_SCHEMA_OPS(Worker)
#undef ONEMAP_SCHEMA_OPS

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
  with_schema(k, [&](const auto& s) { mutable_schema(s).fields.push_back(std::move(f)); });
}

}  // namespace onemap::layers
