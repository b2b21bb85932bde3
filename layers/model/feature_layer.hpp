// A county's own layers, defined as data (README "County layers"): cameras, stations, pipes,
// planning zones… Each has a definition (LayerDef: name, title, theme, geometry kind, fields
// with their audiences, zoom range, style) kept in the store beside its table, and records
// (Feature) of points, lines or polygons, each tied to the grids it lies in: a point to the grid
// that holds it (the point layers' join), a line or polygon to every grid it crosses with the
// length or area it has there (its shares), so that "pipe length per village" is a sum.
//
// The five layers of model.hpp have behaviour of their own (the closed loop, personal data);
// every other layer is one of these and needs no code.
#pragma once

#include "layers/model/model.hpp"
#include "layers/model/schema.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace onemap::layers {

using spatial::MultiLineString;

enum class GeometryKind : uint8_t { Point, Line, Polygon };
std::string_view geometry_kind_name(GeometryKind k);  ///< "point", "line", "polygon"
/// Also takes the OGC names ("Point", "MultiLineString", "Polygon"…), any case.
/// @throws InvalidArgument("geometry", …) for another.
GeometryKind geometry_kind_from_name(std::string_view name);
/// The GeoJSON type of a layer's geometries: "Point", "MultiLineString", "MultiPolygon".
std::string_view geojson_type(GeometryKind k);

/// A record's geometry in lon/lat (EPSG:4490): the alternative of its layer's GeometryKind.
using FeatureGeometry = std::variant<LonLat, MultiLineString, MultiPolygon>;
GeometryKind kind_of(const FeatureGeometry& g);
/// An empty geometry of kind k (a point at 0, 0: a point layer's records always have one).
FeatureGeometry empty_geometry(GeometryKind k);
/// The lon/lat box of a geometry.
spatial::Box envelope(const FeatureGeometry& g);
/// Whether two geometries are the same, coordinate for coordinate (not merely covering the same
/// points: a feed that sends other vertices changes the record).
bool same_geometry(const FeatureGeometry& a, const FeatureGeometry& b);

/// How much of a line or polygon lies in one grid.
struct GridShare {
  std::string grid_code;
  double measure = 0;  ///< metres of a line, square metres of a polygon
  friend bool operator==(const GridShare&, const GridShare&) = default;
};

/// One record of a county layer.
struct Feature {
  int64_t fid = 0;
  FeatureGeometry geometry;
  /// One value per field of the layer's definition, in its order (missing ones null).
  Attributes attributes;
  /// Points: the grid join of the point layers. Lines and polygons: the grid holding their largest
  /// share ("contained"), or unassigned when they lie in no grid.
  GridJoin join;
  /// Lines and polygons: every grid they cross, by grid code, with what lies there; empty for a
  /// point.
  std::vector<GridShare> shares;
};

/// How the web map draws a layer (README "County layers"): colours as CSS hex, sizes in pixels.
struct LayerStyle {
  std::string color = "#3b82f6";  ///< points' circles or icons' tint, lines, polygon outlines
  std::string fill;               ///< polygons' fill (empty: `color`, translucent)
  std::string icon;               ///< points: a symbol name (empty: a circle)
  double width = 2;               ///< lines and outlines
  double radius = 5;              ///< points
  std::string label;              ///< the field whose value labels a feature (empty: none)
  int minzoom = -1;               ///< drawn from this zoom (-1: the layer's minzoom)
};

/// A county layer's definition.
struct LayerDef {
  std::string name;   ///< the table, collection and tile layer name: [a-z][a-z0-9_]{0,39}
  std::string title;  ///< shown in the catalogue, e.g. "雪亮工程摄像头"
  std::string description;
  std::string theme;  ///< the catalogue's group: 治理, 安全, 环境, 规划… (empty: "其他")
  GeometryKind geometry = GeometryKind::Point;
  /// Who sees its features at all (their geometry and grid); a field needs at least this too.
  Audience audience = Audience::Public;
  /// Its attributes; their audiences and tile zooms as for the five layers (schema.hpp).
  std::vector<Field> fields;
  /// The field that holds the source system's id (unique in the layer; feeds upsert by it), or
  /// empty.
  std::string id_field;
  uint32_t minzoom = 0, maxzoom = 24;  ///< its vector tiles' zoom range
  LayerStyle style;

  const Field* find(std::string_view field) const;
  int index(std::string_view field) const;  ///< -1 when it has none of that name
};

/// The text of a record's id field value (LayerDef::id_field), by which feeds match records: the
/// string as it is, a number or time as its digits; empty without an id field or value.
std::string feature_key(const LayerDef& def, const Feature& f);
/// Whether a record holds the same geometry and attribute values as another (a value missing at
/// the end, from before a field was added, is null): what a feed leaves as it is.
bool same_content(const Feature& a, const Feature& b);

/// Whether `name` may name a county layer by its form: a lower-case letter, then up to 39
/// letters, digits or '_' (check_definition checks the rest).
bool is_layer_name(std::string_view name);

/// Checks a definition: the name (an identifier, not one of the five layers' nor a name the
/// store keeps for itself), the field names (identifiers, unique, none reserved), the id field,
/// the zoom range and the style. @throws InvalidArgument naming what is wrong.
void check_definition(const LayerDef& def);

/// The definition as JSON text (what the store keeps and `GET /admin/layers/{name}` shows).
std::string definition_json(const LayerDef& def);
/// Reads a definition as definition_json writes it, or a schema file a user wrote, where only
/// "fields" (each with a "name") is needed: a field's type is "string", its audience "staff"
/// unless given. `name`, when not empty, is the layer's name whatever the text says. Checked
/// (check_definition). @throws InvalidArgument naming what is wrong.
LayerDef definition_from_json(std::string_view text, std::string_view name = {});

/// Applies an alteration to a layer's definition and checks the result (check_definition): the
/// one place for what an alteration may change (README "Altering a county layer"). The
/// alteration is a JSON object of the members to change, each optional:
///
///   {"title": "…", "description": "…", "theme": "…", "audience": "public|staff|personal",
///    "minzoom": 0, "maxzoom": 24, "style": {"color": "#e4572e", …},
///    "add_fields": [{"name": "owner", "type": "string", "audience": "staff",
///                    "queryable": true, "tile_minzoom": 14, "source": "OWNER"}],
///    "fields": {"owner": {"audience": "personal", "queryable": false, "tile_minzoom": null,
///                         "source": "OWNER_NAME"}}}
///
/// Members are spelled as definition_json writes them. A null member takes the default a
/// definition file gets without it (style: that style member's default). "add_fields" appends
/// fields (a field object as in a definition; its records' values are null); "fields" changes
/// fields that exist, by name; a field made personal leaves the queryables and the tiles unless
/// the same change says otherwise. Refused, because the stored features depend on them: another
/// name, geometry or id_field, a field's other name or type, a field removed (null).
/// @throws InvalidArgument naming the member that is wrong.
LayerDef alter_definition(const LayerDef& def, std::string_view alteration);

/// The column names a layer's fields may not take (the store's own columns, and the member that
/// marks a feed's deletion, layers/model/feed.hpp).
bool is_reserved_field(std::string_view name);

/// A county layer: its definition and records, in memory.
struct FeatureLayer {
  LayerDef def;
  std::vector<Feature> features;
};

}  // namespace onemap::layers
