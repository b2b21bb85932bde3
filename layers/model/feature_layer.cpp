// County layers' definitions (feature_layer.hpp): names, checks and their JSON form.
#include "layers/model/feature_layer.hpp"

#include "core/errors.hpp"
#include "layers/model/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <set>

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

FieldType field_type_from_name(const std::string& t, const std::string& field) {
  for (FieldType x : {FieldType::String, FieldType::Integer, FieldType::Real, FieldType::Boolean,
                      FieldType::DateTime})
    if (type_name(x) == t) return x;
  if (t == "number" || t == "double") return FieldType::Real;
  if (t == "date" || t == "timestamp") return FieldType::DateTime;
  throw InvalidArgument("fields", "field '" + field + "': unknown type '" + t +
                                      "' (string, integer, real, boolean, datetime)");
}

Audience audience_from_name(const std::string& a, const std::string& field) {
  for (Audience x : {Audience::Public, Audience::Staff, Audience::Personal})
    if (audience_name(x) == a) return x;
  throw InvalidArgument(
      "fields", "field '" + field + "': unknown audience '" + a + "' (public, staff, personal)");
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

const Field* LayerDef::find(std::string_view field) const {
  const int i = index(field);
  return i < 0 ? nullptr : &fields[static_cast<std::size_t>(i)];
}

int LayerDef::index(std::string_view field) const {
  for (std::size_t i = 0; i < fields.size(); ++i)
    if (fields[i].name == field) return static_cast<int>(i);
  return -1;
}

bool is_reserved_field(std::string_view name) {
  static const std::set<std::string, std::less<>> kReserved = {
      "fid", "geom", "grid_code", "join_kind", "join_distance_m", "grids", "id"};
  return kReserved.count(name) > 0;
}

void check_definition(const LayerDef& def) {
  if (!is_identifier(def.name, 40, false))
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
  for (const Field& f : def.fields) {
    json j = {{"name", f.name},
              {"type", type_name(f.type)},
              {"audience", audience_name(f.audience)},
              {"queryable", f.queryable}};
    if (f.in_tiles()) j["tile_minzoom"] = f.tile_minzoom;
    if (!f.import_names.empty()) j["source"] = f.import_names.front();
    fields.push_back(std::move(j));
  }
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
  d.title = member<std::string>(j, "title", d.name, "schema");
  d.description = member<std::string>(j, "description", "", "schema");
  d.theme = member<std::string>(j, "theme", "", "schema");
  d.geometry = geometry_kind_from_name(member<std::string>(j, "geometry", "point", "schema"));
  d.id_field = member<std::string>(j, "id_field", "", "schema");
  d.audience = audience_from_name(member<std::string>(j, "audience", "public", "schema"), "");
  d.minzoom = member<uint32_t>(j, "minzoom", 0, "schema");
  d.maxzoom = member<uint32_t>(j, "maxzoom", 24, "schema");
  auto fields = j.find("fields");
  if (fields != j.end() && !fields->is_array())
    throw InvalidArgument("fields", "fields is an array of objects");
  if (fields != j.end())
    for (const json& f : *fields) {
      if (!f.is_object()) throw InvalidArgument("fields", "each field is an object");
      Field x;
      x.name = member<std::string>(f, "name", "", "fields");
      x.type = field_type_from_name(member<std::string>(f, "type", "string", "fields"), x.name);
      x.audience =
          audience_from_name(member<std::string>(f, "audience", "staff", "fields"), x.name);
      x.personal = x.audience == Audience::Personal;
      x.queryable = member<bool>(f, "queryable", !x.personal, "fields");
      x.tile_minzoom = member<int>(f, "tile_minzoom", -1, "fields");
      if (x.tile_minzoom < -1) x.tile_minzoom = -1;
      const std::string source = member<std::string>(f, "source", "", "fields");
      if (!source.empty()) x.import_names.push_back(source);
      x.text = x.type == FieldType::String ? TextKind::FreeText : TextKind::Name;
      x.on_create = x.on_patch = x.imported = true;
      d.fields.push_back(std::move(x));
    }
  if (auto s = j.find("style"); s != j.end() && !s->is_null()) {
    if (!s->is_object()) throw InvalidArgument("style", "style is an object");
    d.style.color = member<std::string>(*s, "color", d.style.color, "style");
    d.style.fill = member<std::string>(*s, "fill", "", "style");
    d.style.icon = member<std::string>(*s, "icon", "", "style");
    d.style.width = member<double>(*s, "width", d.style.width, "style");
    d.style.radius = member<double>(*s, "radius", d.style.radius, "style");
    d.style.label = member<std::string>(*s, "label", "", "style");
    d.style.minzoom = member<int>(*s, "minzoom", -1, "style");
  }
  check_definition(d);
  return d;
}

}  // namespace onemap::layers
