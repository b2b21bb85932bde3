// One schema per layer: every attribute of every layer is declared once, in schema.cpp, with its
// name, type, who reads it, how a written value is checked, and where it goes (the store's
// columns, queryables and CQL2, tiles, record bodies and PATCH, the importer's source names).
// Every output and every input reads this table instead of naming fields itself; adding a field
// to a layer is one entry in schema.cpp (or one add_field call for a county's own field).
//
// Fields that are members of the record types (model.hpp) are read and written through an
// accessor; fields added at run time (add_field) live in the record's `attributes`.
#pragma once

#include "layers/model/model.hpp"
#include "layers/model/text.hpp"

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace onemap::layers {

/// A field's type as the store, GeoJSON, queryables and tiles see it. A datetime is Unix seconds
/// in memory and ISO 8601 outside.
enum class FieldType : uint8_t { String, Integer, Real, Boolean, DateTime };
std::string_view type_name(FieldType t);  ///< "string", "integer", "real", "boolean", "datetime"

/// Who may read a field, from least to most (auth/read_policy.hpp maps roles to audiences).
enum class Audience : uint8_t { Public = 0, Staff = 1, Personal = 2 };
std::string_view audience_name(Audience a);  ///< "public", "staff", "personal"

/// A field's value, borrowed from the record or from the input: text, integer (datetime: Unix
/// seconds), real, boolean. Empty text, datetime 0 and monostate are null.
using FieldValue = std::variant<std::monostate, std::string_view, int64_t, double, bool>;

/// One attribute of a layer.
struct Field {
  std::string name;
  FieldType type = FieldType::String;
  /// Who reads it unless the county's read policy says otherwise.
  Audience audience = Audience::Staff;
  /// A person's identity: only the personal audience reads it, whatever a policy says, and no
  /// filter or tile uses it (a count would tell about persons).
  bool personal = false;
  /// In queryables: CQL2 filters, sortby and equality parameters.
  bool queryable = false;
  /// Given in the body that creates a record.
  bool on_create = false;
  /// Changed by PATCH.
  bool on_patch = false;
  /// A record has it: given when it is created and never emptied.
  bool required = false;
  /// Written to features and records (false: kept in the store only, as a source's unmapped
  /// attributes are until a layer maps them).
  bool served = true;
  /// Read from a source file by `onemap import` (every field given on create is).
  bool imported = false;
  /// In the layer's vector tiles from this zoom by default (-1: not in tiles).
  int tile_minzoom = -1;
  /// Other names a source file may give it (the importer matches them without case).
  std::vector<std::string> import_names;
  /// Written text: which length limit and character rule (text.hpp) applies.
  TextKind text = TextKind::Name;
  /// Written numbers: the range.
  double min = std::numeric_limits<double>::lowest();
  double max = std::numeric_limits<double>::max();
  /// Written text: an ISO 8601 date (YYYY-MM-DD), or empty.
  bool iso_date = false;
  /// The values it takes, when they are a fixed set (for documents; the record's setter parses).
  std::vector<std::string> values;

  bool in_tiles() const { return tile_minzoom >= 0; }
  /// Checks a value written to this field: its type, range, text rule or date form.
  /// Null passes (whether a field is required is the writer's rule).
  /// @throws InvalidArgument(name, …) saying what is wrong.
  void check(const FieldValue& v) const;
};

FieldValue view(const AttributeValue& v);
AttributeValue own(const FieldValue& v);

/// How to read and write one field of a record of type T.
template <class T>
struct Accessor {
  FieldValue (*get)(const T&) = nullptr;
  /// Sets the field from a checked value (null: the field's empty value).
  void (*set)(T&, const FieldValue&) = nullptr;
  /// What every output (features, tiles, filters) shows when it differs from the stored value
  /// (nullptr: the stored value).
  FieldValue (*shown)(const T&) = nullptr;
};

/// A layer's fields and, for the record type T, how to reach each one. Fields past the record
/// type's own (added at run time) are kept in `T::attributes` in the same order.
template <class T>
struct Schema {
  LayerKind kind;
  std::vector<Field> fields;
  std::vector<Accessor<T>> access;  ///< one per field that is a member of T
  /// The field named `name`, or nullptr.
  const Field* find(std::string_view name) const;
  /// Its index in `fields`, or -1.
  int index(std::string_view name) const;
  FieldValue get(const T& r, std::size_t i) const {
    if (i < access.size()) return access[i].get(r);
    const std::size_t a = i - access.size();
    return a < r.attributes.size() ? view(r.attributes[a]) : FieldValue{};
  }
  /// The value outputs show (Accessor::shown).
  FieldValue shown(const T& r, std::size_t i) const {
    if (i < access.size() && access[i].shown) return access[i].shown(r);
    return get(r, i);
  }
  void set(T& r, std::size_t i, const FieldValue& v) const {
    if (i < access.size()) return access[i].set(r, v);
    const std::size_t a = i - access.size();
    if (r.attributes.size() <= a) r.attributes.resize(fields.size() - access.size());
    r.attributes[a] = own(v);
  }
};

/// Values for some fields of a record, by field name, as a create or PATCH body gives them.
using FieldValues = std::vector<std::pair<std::string, AttributeValue>>;

/// Writes `values` into r, each checked first (Field::check; a required field is never emptied).
/// `patch`: the fields must be ones PATCH changes (Field::on_patch), else ones given on create.
/// Returns the names of the fields whose value changed, in the schema's order.
/// @throws InvalidArgument naming the field: not one of those, or a bad value.
template <class T>
std::vector<std::string> apply(const Schema<T>& s, T& r, const FieldValues& values, bool patch);

/// Checks the values of a new record: every field given on create by its rule, and the required
/// ones present. @throws InvalidArgument naming the first bad field.
template <class T>
void check_new(const Schema<T>& s, const T& r);

template <class T>
const Schema<T>& schema();
template <>
const Schema<Grid>& schema<Grid>();
template <>
const Schema<Household>& schema<Household>();
template <>
const Schema<Enterprise>& schema<Enterprise>();
template <>
const Schema<Incident>& schema<Incident>();
template <>
const Schema<Worker>& schema<Worker>();

/// The attribute fields of a layer (without the geometry), in the store's column order.
const std::vector<Field>& layer_fields(LayerKind k);
/// The field of a layer named `name`, or nullptr.
const Field* find_field(LayerKind k, std::string_view name);
/// Whether the field is a person's identity (false for a name the layer does not have).
bool is_personal(LayerKind k, std::string_view name);

/// Adds a field to a layer, kept in each record's `attributes`: a county's own field (or a
/// test's). Call before any county is loaded; the store adds the column to an existing table.
/// @throws InvalidArgument("field", …) for a name the layer has, or a name that is no identifier.
void add_field(LayerKind k, Field f);

template <class T>
const Field* Schema<T>::find(std::string_view name) const {
  const int i = index(name);
  return i < 0 ? nullptr : &fields[static_cast<std::size_t>(i)];
}

template <class T>
int Schema<T>::index(std::string_view name) const {
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (fields[i].name == name) return static_cast<int>(i);
  return -1;
}

/// Calls fn(schema<T>()) with the record type of `k`.
template <class F>
decltype(auto) with_schema(LayerKind k, F&& fn) {
  switch (k) {
    case LayerKind::Grids:
      return fn(schema<Grid>());
    case LayerKind::Households:
      return fn(schema<Household>());
    case LayerKind::Enterprises:
      return fn(schema<Enterprise>());
    case LayerKind::Incidents:
      return fn(schema<Incident>());
    case LayerKind::Workers:
      break;
  }
  return fn(schema<Worker>());
}

}  // namespace onemap::layers
