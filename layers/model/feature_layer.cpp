// County layers' definitions (feature_layer.hpp): names, checks and their JSON form.
#include "layers/model/feature_layer.hpp"

#include "core/errors.hpp"
#include "layers/model/feed.hpp"
#include "layers/model/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <type_traits>

namespace onemap::layers {

namespace {

using json = nlohmann::ordered_json;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// [a-z][a-z0-9_]* of at most `max` characters (`first_underscore`: may start with '_').
bool is_identifier(std::string_view s, std::size_t max, bool first_underscore) {
  if (s.empty() || s.size() > max) return false;
  if (!(std::islower(static_cast<unsigned char>(s[0])) || (first_underscore && s[0] == '_')))
    return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::islower(static_cast<unsigned char>(c)) ||
           std::isdigit(static_cast<unsigned char>(c)) || c == '_';
  });
}

bool is_colour(std::string_view s) {
  if (s.empty() || s[0] != '#' || (s.size() != 4 && s.size() != 7)) return false;
  return std::all_of(s.begin() + 1, s.end(),
                     [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; });
}

// `where`: the parameter an error names; `what`: whose type or audience it is ("field 'x'").
FieldType field_type_from_name(const std::string& t, const std::string& where,
                               const std::string& what) {
  for (FieldType x : {FieldType::String, FieldType::Integer, FieldType::Real, FieldType::Boolean,
                      FieldType::DateTime})
    if (type_name(x) == t) return x;
  if (t == "number" || t == "double") return FieldType::Real;
  if (t == "date" || t == "timestamp") return FieldType::DateTime;
  throw InvalidArgument(
      where, what + ": unknown type '" + t + "' (string, integer, real, boolean, datetime)");
}

Audience audience_from_name(const std::string& a, const std::string& where,
                            const std::string& what) {
  for (Audience x : {Audience::Public, Audience::Staff, Audience::Personal})
    if (audience_name(x) == a) return x;
  throw InvalidArgument(where, what + ": unknown audience '" + a + "' (public, staff, personal)");
}

// A member of a JSON object, type-checked; `fallback` when absent or null.
template <class T>
T member(const json& o, const char* key, T fallback, const std::string& where) {
  auto it = o.find(key);
  if (it == o.end() || it->is_null()) return fallback;
  try {
    return it->template get<T>();
  } catch (const json::exception&) {
    throw InvalidArgument(where, std::string("'") + key + "' has the wrong type");
  }
}

json field_json(const Field& f) {
  json j = {{"name", f.name},
            {"type", type_name(f.type)},
            {"audience", audience_name(f.audience)},
            {"queryable", f.queryable}};
  if (f.in_tiles()) j["tile_minzoom"] = f.tile_minzoom;
  if (!f.import_names.empty()) j["source"] = f.import_names.front();
  return j;
}

// A field as field_json writes it, or as a user wrote it: only "name" is needed; the type is
// "string" and the audience "staff" unless given, and a personal field is neither queryable nor
// in tiles unless it says so (check_definition refuses the tiles).
Field field_from_json(const json& f, const std::string& where) {
  if (!f.is_object()) throw InvalidArgument(where, "each field is an object");
  Field x;
  x.name = member<std::string>(f, "name", "", where);
  const std::string what = "field '" + x.name + "'";
  x.type = field_type_from_name(member<std::string>(f, "type", "string", where), where, what);
  x.audience = audience_from_name(member<std::string>(f, "audience", "staff", where), where, what);
  x.personal = x.audience == Audience::Personal;
  x.queryable = member<bool>(f, "queryable", !x.personal, where);
  x.tile_minzoom = member<int>(f, "tile_minzoom", -1, where);
  if (x.tile_minzoom < -1) x.tile_minzoom = -1;
  const std::string source = member<std::string>(f, "source", "", where);
  if (!source.empty()) x.import_names.push_back(source);
  x.text = x.type == FieldType::String ? TextKind::FreeText : TextKind::Name;
  x.on_create = x.on_patch = x.imported = true;
  return x;
}

// The plain members of a definition, read from `j` over `d`: an absent one keeps its value, a
// null one takes the default (LayerDef's; a title's is the name). `where`: the parameter a
// wrong type names (empty: the member itself).
void read_values(const json& j, LayerDef& d, const std::string& where) {
  const LayerDef dflt;
  auto at = [&](const char* key) { return where.empty() ? std::string(key) : where; };
  auto text = [&](const char* key, std::string& out, const std::string& fallback) {
    if (j.contains(key)) out = member<std::string>(j, key, fallback, at(key));
  };
  text("title", d.title, d.name);
  text("description", d.description, dflt.description);
  text("theme", d.theme, dflt.theme);
  if (j.contains("audience"))
    d.audience = audience_from_name(
        member<std::string>(j, "audience", std::string(audience_name(dflt.audience)),
                            at("audience")),
        "audience", "the layer");
  if (j.contains("minzoom"))
    d.minzoom = member<uint32_t>(j, "minzoom", dflt.minzoom, at("minzoom"));
  if (j.contains("maxzoom"))
    d.maxzoom = member<uint32_t>(j, "maxzoom", dflt.maxzoom, at("maxzoom"));
}

// A style's members read from `j` over `s`: an absent one keeps its value, a null one takes
// LayerStyle's default.
void read_style(const json& j, LayerStyle& s) {
  if (!j.is_object()) throw InvalidArgument("style", "style is an object");
  const LayerStyle dflt;
  auto get = [&](const char* key, auto& out, const auto& fallback) {
    if (j.contains(key)) out = member<std::decay_t<decltype(out)>>(j, key, fallback, "style");
  };
  get("color", s.color, dflt.color);
  get("fill", s.fill, dflt.fill);
  get("icon", s.icon, dflt.icon);
  get("width", s.width, dflt.width);
  get("radius", s.radius, dflt.radius);
  get("label", s.label, dflt.label);
  get("minzoom", s.minzoom, dflt.minzoom);
}

}  // namespace

std::string_view geometry_kind_name(GeometryKind k) {
  switch (k) {
    case GeometryKind::Point:
      return "point";
    case GeometryKind::Line:
      return "line";
    case GeometryKind::Polygon:
      return "polygon";
  }
  return "point";
}

GeometryKind geometry_kind_from_name(std::string_view name) {
  const std::string n = lower(name);
  if (n == "point" || n == "multipoint") return GeometryKind::Point;
  if (n == "line" || n == "linestring" || n == "multilinestring") return GeometryKind::Line;
  if (n == "polygon" || n == "multipolygon") return GeometryKind::Polygon;
  throw InvalidArgument("geometry",
                        "unknown geometry '" + std::string(name) + "' (point, line or polygon)");
}

std::string_view geojson_type(GeometryKind k) {
  switch (k) {
    case GeometryKind::Point:
      return "Point";
    case GeometryKind::Line:
      return "MultiLineString";
    case GeometryKind::Polygon:
      return "MultiPolygon";
  }
  return "Point";
}

GeometryKind kind_of(const FeatureGeometry& g) {
  return static_cast<GeometryKind>(g.index());
}

FeatureGeometry empty_geometry(GeometryKind k) {
  switch (k) {
    case GeometryKind::Point:
      break;
    case GeometryKind::Line:
      return MultiLineString{};
    case GeometryKind::Polygon:
      return MultiPolygon{};
  }
  return LonLat{};
}

spatial::Box envelope(const FeatureGeometry& g) {
  if (const auto* p = std::get_if<LonLat>(&g)) return {{p->lon, p->lat}, {p->lon, p->lat}};
  if (const auto* l = std::get_if<MultiLineString>(&g)) return spatial::envelope(*l);
  return spatial::envelope(std::get<MultiPolygon>(g));
}

namespace {

bool same_points(const auto& a, const auto& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const auto& p, const auto& q) { return p.x() == q.x() && p.y() == q.y(); });
}

bool same_parts(const MultiLineString& a, const MultiLineString& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const auto& l, const auto& m) { return same_points(l, m); });
}

bool same_parts(const MultiPolygon& a, const MultiPolygon& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& p, const auto& q) {
    return same_points(p.outer(), q.outer()) &&
           std::equal(p.inners().begin(), p.inners().end(), q.inners().begin(), q.inners().end(),
                      [](const auto& r, const auto& t) { return same_points(r, t); });
  });
}

}  // namespace

bool same_geometry(const FeatureGeometry& a, const FeatureGeometry& b) {
  if (a.index() != b.index()) return false;
  if (const auto* p = std::get_if<LonLat>(&a)) return *p == std::get<LonLat>(b);
  if (const auto* l = std::get_if<MultiLineString>(&a))
    return same_parts(*l, std::get<MultiLineString>(b));
  return same_parts(std::get<MultiPolygon>(a), std::get<MultiPolygon>(b));
}

std::string feature_key(const LayerDef& def, const Feature& f) {
  const int i = def.index(def.id_field);
  if (i < 0 || static_cast<std::size_t>(i) >= f.attributes.size()) return {};
  return std::visit(
      [](const auto& v) -> std::string {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string>)
          return v;
        else if constexpr (std::is_same_v<V, bool>)
          return v ? "true" : "false";
        else if constexpr (std::is_same_v<V, int64_t>)
          return std::to_string(v);
        else if constexpr (std::is_same_v<V, double>)
          return json(v).dump();  // the shortest text that reads back as the same double
        else
          return {};
      },
      f.attributes[static_cast<std::size_t>(i)]);
}

bool same_content(const Feature& a, const Feature& b) {
  if (!same_geometry(a.geometry, b.geometry)) return false;
  const std::size_t n = std::max(a.attributes.size(), b.attributes.size());
  static const AttributeValue null;
  for (std::size_t i = 0; i < n; ++i) {
    const AttributeValue& x = i < a.attributes.size() ? a.attributes[i] : null;
    const AttributeValue& y = i < b.attributes.size() ? b.attributes[i] : null;
    if (x != y) return false;
  }
  return true;
}

const Field* LayerDef::find(std::string_view field) const {
  const int i = index(field);
  return i < 0 ? nullptr : &fields[static_cast<std::size_t>(i)];
}

int LayerDef::index(std::string_view field) const {
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (fields[i].name == field) return static_cast<int>(i);
  return -1;
}

bool is_layer_name(std::string_view name) {
  return is_identifier(name, 40, false);
}

bool is_reserved_field(std::string_view name) {
  static const std::set<std::string, std::less<>> kReserved = {"fid",
                                                               "geom",
                                                               "grid_code",
                                                               "join_kind",
                                                               "join_distance_m",
                                                               "grids",
                                                               "id",
                                                               std::string(kFeedDeleteMember)};
  return kReserved.count(name) > 0;
}

void check_definition(const LayerDef& def) {
  if (!is_layer_name(def.name))
    throw InvalidArgument("name",
                          "a layer name is a lower-case letter, then up to 39 letters, "
                          "digits or '_': '" +
                              def.name + "' is not");
  for (LayerKind k : kAllLayers)
    if (layer_name(k) == def.name)
      throw InvalidArgument("name", "'" + def.name + "' is one of onemap's own layers");
  static const char* kStoreNames[] = {"users", "audit_log", "incident_history"};
  for (const char* n : kStoreNames)
    if (def.name == n) throw InvalidArgument("name", "'" + def.name + "' is a table of the store");
  for (const char* prefix : {"gpkg_", "rtree_", "sqlite_", "onemap_", "gpkgext_"})
    if (def.name.rfind(prefix, 0) == 0)
      throw InvalidArgument("name",
                            "a layer name may not start with '" + std::string(prefix) + "'");
  check_text(def.title, "title", TextKind::Name);
  check_text(def.description, "description", TextKind::FreeText);
  check_text(def.theme, "theme", TextKind::Name);
  std::set<std::string> seen;
  for (const Field& f : def.fields) {
    if (!is_identifier(f.name, 63, true))
      throw InvalidArgument("fields",
                            "a field name is a lower-case letter or '_', then up to 62 "
                            "letters, digits or '_': '" +
                                f.name + "' is not");
    if (is_reserved_field(f.name))
      throw InvalidArgument("fields", "'" + f.name + "' is a column the store keeps for itself");
    if (!seen.insert(f.name).second)
      throw InvalidArgument("fields", "field '" + f.name + "' is given twice");
    if (f.personal && f.in_tiles())
      throw InvalidArgument("fields", "field '" + f.name + "' is personal: it cannot be in tiles");
    if (f.tile_minzoom > 24)
      throw InvalidArgument("fields", "field '" + f.name + "': tile_minzoom is 0 to 24");
  }
  if (!def.id_field.empty() && def.index(def.id_field) < 0)
    throw InvalidArgument("id_field", "the layer has no field '" + def.id_field + "'");
  if (def.minzoom > def.maxzoom || def.maxzoom > 24)
    throw InvalidArgument("minzoom", "the zoom range is 0 <= minzoom <= maxzoom <= 24");
  const LayerStyle& s = def.style;
  if (!is_colour(s.color)) throw InvalidArgument("style", "color is #rgb or #rrggbb");
  if (!s.fill.empty() && !is_colour(s.fill))
    throw InvalidArgument("style", "fill is #rgb or #rrggbb");
  if (!(s.width > 0 && s.width <= 64) || !(s.radius > 0 && s.radius <= 64))
    throw InvalidArgument("style", "width and radius are more than 0 and at most 64 pixels");
  if (!s.label.empty() && def.index(s.label) < 0)
    throw InvalidArgument("style", "label names no field of the layer: '" + s.label + "'");
  if (!s.label.empty() && def.find(s.label)->audience != Audience::Public)
    throw InvalidArgument("style", "the label field '" + s.label + "' must be public");
  if (s.minzoom > 24) throw InvalidArgument("style", "minzoom is 0 to 24");
  if (!s.icon.empty() && !is_identifier(s.icon, 40, false))
    throw InvalidArgument("style", "icon is a symbol name: lower-case letters, digits, '_'");
}

std::string definition_json(const LayerDef& def) {
  json fields = json::array();
  for (const Field& f : def.fields) fields.push_back(field_json(f));
  json style = {
      {"color", def.style.color}, {"width", def.style.width}, {"radius", def.style.radius}};
  if (!def.style.fill.empty()) style["fill"] = def.style.fill;
  if (!def.style.icon.empty()) style["icon"] = def.style.icon;
  if (!def.style.label.empty()) style["label"] = def.style.label;
  if (def.style.minzoom >= 0) style["minzoom"] = def.style.minzoom;
  json j = {{"name", def.name},
            {"title", def.title},
            {"description", def.description},
            {"theme", def.theme},
            {"geometry", geometry_kind_name(def.geometry)},
            {"audience", audience_name(def.audience)},
            {"id_field", def.id_field},
            {"minzoom", def.minzoom},
            {"maxzoom", def.maxzoom},
            {"fields", fields},
            {"style", style}};
  return json_text(j);
}

LayerDef definition_from_json(std::string_view text, std::string_view name) {
  check_json_depth(text, "schema");
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object())
    throw InvalidArgument("schema", "a layer definition is a JSON object");
  LayerDef d;
  d.name = name.empty() ? member<std::string>(j, "name", "", "schema") : std::string(name);
  d.title = d.name;
  read_values(j, d, "schema");
  d.geometry = geometry_kind_from_name(member<std::string>(j, "geometry", "point", "schema"));
  d.id_field = member<std::string>(j, "id_field", "", "schema");
  auto fields = j.find("fields");
  if (fields != j.end() && !fields->is_array())
    throw InvalidArgument("fields", "fields is an array of objects");
  if (fields != j.end())
    for (const json& f : *fields) d.fields.push_back(field_from_json(f, "fields"));
  if (auto s = j.find("style"); s != j.end() && !s->is_null()) read_style(*s, d.style);
  check_definition(d);
  return d;
}

namespace {

// "add_fields": new fields at the end, their records' values null.
void add_fields(const json& list, LayerDef& d) {
  if (!list.is_array())
    throw InvalidArgument("add_fields", "add_fields is an array of fields, as in a definition");
  for (const json& f : list) {
    Field x = field_from_json(f, "add_fields");
    if (d.index(x.name) >= 0)
      throw InvalidArgument("add_fields", "the layer has a field '" + x.name + "' already");
    d.fields.push_back(std::move(x));
  }
}

// "fields": changes to existing fields, by name: each merged into the field as field_json writes
// it and read back, so that a changed field obeys the rules of a new one.
void change_fields(const json& changes, LayerDef& d) {
  if (!changes.is_object())
    throw InvalidArgument("fields",
                          "fields is an object of changes by field name, e.g. {\"owner\": "
                          "{\"audience\": \"personal\"}} (new fields go in add_fields)");
  for (const auto& [name, change] : changes.items()) {
    const int i = d.index(name);
    if (i < 0) throw InvalidArgument("fields", "the layer has no field '" + name + "'");
    Field& f = d.fields[static_cast<std::size_t>(i)];
    const std::string what = "field '" + name + "'";
    if (change.is_null())
      throw InvalidArgument("fields", what +
                                          " is not removed: the stored features keep their "
                                          "values in its column");
    if (!change.is_object())
      throw InvalidArgument("fields", what +
                                          ": a change is an object (audience, queryable, "
                                          "tile_minzoom, source)");
    json merged = field_json(f);
    for (const auto& [key, value] : change.items()) {
      if (key == "name" && member<std::string>(change, "name", "", "fields") != name)
        throw InvalidArgument("fields", what +
                                            " is not renamed: the stored features keep its "
                                            "values in a column of that name");
      if (key == "type" && (!value.is_string() || field_type_from_name(value.get<std::string>(),
                                                                       "fields", what) != f.type))
        throw InvalidArgument("fields", what + " keeps its type " + std::string(type_name(f.type)) +
                                            ": the stored features' values are of that type");
      if (key == "name" || key == "type") continue;
      if (key != "audience" && key != "queryable" && key != "tile_minzoom" && key != "source")
        throw InvalidArgument("fields", what + ": unknown member '" + key +
                                            "' (audience, queryable, tile_minzoom, source)");
      merged[key] = value;
    }
    Field x = field_from_json(merged, "fields");
    if (x.personal && !f.personal) {
      // Made personal: out of the queryables and tiles as a new personal field is, unless said.
      for (const char* k : {"queryable", "tile_minzoom"})
        if (!change.contains(k)) merged.erase(k);
      x = field_from_json(merged, "fields");
    }
    f = std::move(x);
  }
}

}  // namespace

LayerDef alter_definition(const LayerDef& def, std::string_view alteration) {
  check_json_depth(alteration, "alteration");
  const json a = json::parse(alteration, nullptr, false);
  if (a.is_discarded() || !a.is_object())
    throw InvalidArgument("alteration", "an alteration is a JSON object of the members to change");
  LayerDef d = def;
  // Fields first: a change may name a field the same alteration adds.
  if (a.contains("add_fields")) add_fields(a["add_fields"], d);
  if (a.contains("fields")) change_fields(a["fields"], d);
  read_values(a, d, "");
  for (const auto& [key, v] : a.items()) {
    if (key == "name" && member<std::string>(a, "name", "", key) != d.name)
      throw InvalidArgument(
          "name", "a layer is not renamed: its table, collection and tile layer are " + d.name);
    if (key == "geometry" &&
        geometry_kind_from_name(member<std::string>(a, "geometry", "", key)) != d.geometry)
      throw InvalidArgument("geometry",
                            "the geometry kind is not changed: the stored features are " +
                                std::string(geometry_kind_name(d.geometry)) + "s");
    if (key == "id_field" && member<std::string>(a, "id_field", "", key) != d.id_field)
      throw InvalidArgument("id_field",
                            "the id field is not changed: the stored features are matched by it "
                            "when a source is loaded again");
    if (key == "style") {
      if (v.is_null())
        d.style = {};
      else
        read_style(v, d.style);
    }
    static const char* kMembers[] = {"title",   "description", "theme",    "audience",
                                     "minzoom", "maxzoom",     "style",    "add_fields",
                                     "fields",  "name",        "geometry", "id_field"};
    if (std::none_of(std::begin(kMembers), std::end(kMembers),
                     [&](const char* m) { return key == m; }))
      throw InvalidArgument(key,
                            "unknown member: an alteration changes title, description, theme, "
                            "audience, minzoom, maxzoom, style, add_fields and fields");
  }
  check_definition(d);
  return d;
}

}  // namespace onemap::layers
