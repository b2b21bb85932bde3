// The queryables of each layer's records and how to read them from a record: what filters,
// sort keys and `properties` may name. They are the schema's queryable fields (schema.hpp) and
// the geometry; a person's identity is never one of them.
#pragma once

#include "layers/model/feature_layer.hpp"
#include "layers/model/model.hpp"
#include "layers/model/schema.hpp"
#include "layers/query/cql2.hpp"

#include <vector>

namespace onemap::layers {

/// A queryable with how to read it from a record of type T.
template <class T>
struct QueryField {
  cql2::Queryable queryable;
  /// The schema field (its index in schema<T>().fields), or -1 for the geometry.
  int field = -1;
  /// The schema's reader of the value outputs show (Accessor::shown, else get), resolved once;
  /// null for the geometry and for a county's own fields (kept in `attributes`).
  FieldValue (*read)(const T&) = nullptr;
  /// The value filters and sort keys compare: what outputs show (Accessor::shown), text and
  /// times as CQL2 values (empty and 0 are null), numbers as reals, an ISO date as a timestamp.
  cql2::Value get(const T& r) const;
};

/// The queryables of the layer of records of type T, with their readers.
template <class T>
using QueryFields = std::vector<QueryField<T>>;

/// A layer's queryables with their readers, in the schema's order with the geometry last (the
/// pointer only picks the overload: fields_of(static_cast<const Grid*>(nullptr))).
const QueryFields<Grid>& fields_of(const Grid*);
const QueryFields<Household>& fields_of(const Household*);
const QueryFields<Enterprise>& fields_of(const Enterprise*);
const QueryFields<Incident>& fields_of(const Incident*);
const QueryFields<Worker>& fields_of(const Worker*);

/// The queryables of a layer: its fields' names and types, in fields_of's order.
std::vector<cql2::Queryable> layer_queryables(LayerKind kind);

/// A field's value as filters and sort keys compare it: text and times as CQL2 values (empty
/// text and time 0 are null), numbers as reals, an ISO date kept as text as a timestamp (`type`:
/// the queryable's).
cql2::Value query_value(const FieldValue& v, cql2::Type type);

/// A county layer's queryables (feature_layer.hpp) and how to read them from its records: its
/// queryable fields that are no person's identity, in its order, then "geometry" for points and
/// polygons (lines take no spatial predicate of CQL2 here: the bbox, area, near and POST
/// parameters select them).
struct LayerQueryables {
  std::vector<cql2::Queryable> queryables;
  std::vector<int> fields;  ///< per queryable: its field's index in the definition; -1 geometry
  cql2::Value get(const Feature& r, std::size_t i) const;
};
LayerQueryables queryables_of(const LayerDef& def);

}  // namespace onemap::layers
