// Records to GeoPackage rows and back, through GDAL's features: every layer's columns as its
// schema (layers/model/schema.hpp) lists them, times in UTC, points and outlines in EPSG:4490.
// Private to the store.
#pragma once

#include "layers/model/feature_layer.hpp"
#include "layers/model/model.hpp"
#include "layers/model/schema.hpp"

#include <ogrsf_frmts.h>
#include <sqlite3.h>

#include <string>
#include <vector>

namespace onemap::layers::gpkg {

/// GDAL's last error message ("unknown GDAL error" when it left none).
std::string gdal_error();

/// The OGR column type (and subtype) of a schema field type.
OGRFieldType ogr_type(FieldType t, OGRFieldSubType& sub);

/// One layer's columns by their schema fields' order, the indices looked up once.
class Columns {
 public:
  /// @throws StoreError when the table lacks a column.
  Columns(OGRLayer* layer, LayerKind kind);
  /// A county layer's: its definition's fields, then grid_code, join_kind, join_distance_m.
  Columns(OGRLayer* layer, const LayerDef& def);
  /// The column of the layer's i-th schema field.
  int operator[](std::size_t i) const { return idx_[i]; }

 private:
  std::vector<int> idx_;
};

/// A record into a feature: its fields, then its geometry (the outline; the position).
void write(OGRFeature& f, const Columns& c, const Grid& g);
void write(OGRFeature& f, const Columns& c, const Household& r);
void write(OGRFeature& f, const Columns& c, const Enterprise& r);
void write(OGRFeature& f, const Columns& c, const Incident& r);
void write(OGRFeature& f, const Columns& c, const Worker& r);
/// A feature into a record (the fid is the caller's).
void read(OGRFeature& f, const Columns& c, Grid& g);
void read(OGRFeature& f, const Columns& c, Household& r);
void read(OGRFeature& f, const Columns& c, Enterprise& r);
void read(OGRFeature& f, const Columns& c, Incident& r);
void read(OGRFeature& f, const Columns& c, Worker& r);
/// A county layer's record: its fields, its grid join, its geometry (the shares are a table
/// apart).
void write(OGRFeature& f, const Columns& c, const LayerDef& def, const Feature& r);
void read(OGRFeature& f, const Columns& c, const LayerDef& def, Feature& r);

/// A county layer's record as the values of an SQL statement, from parameter `first` on: its
/// fields, then the join columns, as write() sets them (a time as GDAL writes one:
/// "2025-01-02T03:04:05.000Z"). Returns the next parameter.
int bind_row(sqlite3_stmt* st, int first, const LayerDef& def, const Feature& r);
/// A geometry as its GeoPackage binary (GeoPackage 1.2, 2.1.3), as GDAL writes one: little
/// endian, its xy envelope unless a point, then ISO WKB.
std::string geometry_blob(const FeatureGeometry& g, int32_t srs_id);

/// The columns a county layer's table has beside its fields, after them.
inline constexpr const char* kJoinColumns[] = {"grid_code", "join_kind", "join_distance_m"};

}  // namespace onemap::layers::gpkg
