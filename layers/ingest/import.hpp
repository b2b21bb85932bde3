// Import of any GDAL vector source into a layer of the store.
//
// Reads Shapefile (.prj/.cpg or --encoding), GeoJSON, GeoPackage, CSV with lon/lat columns,
// FileGDB …; detects the source CRS (or takes --src-crs, including GCJ02/BD09), reprojects to
// EPSG:4490, validates every geometry with GEOS (invalid polygons are repaired and reported,
// empty or unreadable features are rejected by index and reason while the rest loads), maps
// fields (--field-map dst=src), joins points to grids, and for grids checks the hierarchy.
//
// Or creates a county layer (layers/model/feature_layer.hpp) from the source: points, lines or
// polygons as the source has them, its fields those of a definition given, or else the source's
// own (named in lower case — a name that is no identifier becomes field_N —, typed integer, real,
// boolean or datetime as the source declares them, string otherwise; readable by the staff), each
// feature joined to the grids it lies in.
#pragma once

#include "layers/model/feature_layer.hpp"
#include "layers/model/feed.hpp"
#include "layers/model/hierarchy.hpp"
#include "layers/model/join.hpp"
#include "layers/model/model.hpp"
#include "layers/store/store.hpp"

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace onemap::layers {

struct ImportOptions {
  LayerKind layer = LayerKind::Grids;
  std::string source;        ///< file or GDAL connection string
  std::string source_layer;  ///< layer inside the source; default: the first
  std::string src_crs;       ///< overrides the detected CRS: EPSG:4549, GCJ02, BD09, WKT …
  std::string encoding;      ///< source attribute encoding, e.g. GBK (default: from .cpg or UTF-8)
  std::map<std::string, std::string> field_map;  ///< onemap field → source field
  std::optional<GridLevel> level;  ///< grids: force this level (default: from code length)
  bool replace = false;            ///< replace the layer's content instead of appending
  JoinOptions join;
  /// Create this county layer instead of filling one of the five (`layer` is then unused): its
  /// name, title, theme, style…; with no fields, the source's; `id_field` may name a source field.
  std::optional<LayerDef> new_layer;
  /// new_layer's geometry is the source's (its declared type, else its first feature's; a table
  /// without geometry holds points), not the one it gives.
  bool geometry_from_source = true;
};

enum class IssueKind { Repaired, Rejected, NoLocation, Unassigned };
std::string_view issue_kind_name(
    IssueKind k);  ///< "repaired", "rejected", "no_location", "unassigned"

struct ImportIssue {
  IssueKind kind;
  int64_t index = 0;  ///< 0-based position of the feature in the source
  std::string id;     ///< the feature's code/id when known
  std::string reason;
};

struct ImportReport {
  std::size_t read = 0;
  std::size_t loaded = 0;
  std::size_t repaired = 0;
  std::size_t rejected = 0;  ///< not loaded for their geometry or attributes (rows without a
                             ///< location are not counted here: see IssueKind::NoLocation)
  double seconds = 0;
  std::string
      source_crs;  ///< what was used, e.g. "EPSG:4549 (CGCS2000 / 3-degree Gauss-Kruger CM 120E)"
  std::vector<ImportIssue> issues;
  std::vector<std::string>
      notes;       ///< assumptions made (CRS assumed, levels guessed …), GDAL warnings
  JoinStats join;  ///< point layers: the join of the loaded records; grids: totals of the rejoin
                   ///< of every point layer (without unassigned_indices)
  std::optional<HierarchyReport> hierarchy;  ///< grids only
  std::optional<LayerDef> definition;        ///< a county layer: what was created
};

/// Progress callback: (done, total); total 0 when unknown.
using ProgressFn = std::function<void(std::size_t done, std::size_t total)>;

/// What --field-map may name for a layer, in order: each schema field a source feeds (with the
/// other names it answers to in brackets, e.g. "hh_id (id)"), then the import-only inputs (a
/// household's yes/no flag columns; "lon" and "lat", the coordinate columns of a table).
std::vector<std::string> import_field_names(LayerKind k);

/// Runs one import against `store`. @throws InvalidArgument for bad options (unknown field,
/// unreadable source), StoreError when writing fails.
ImportReport import_layer(Store& store, const ImportOptions& options,
                          const ProgressFn& progress = {});

/// A county layer read from a source and joined, not yet stored.
struct NewLayer {
  LayerDef def;
  std::vector<Feature> features;
  ImportReport report;
};
/// Reads options.new_layer from options.source as import_layer would, each feature joined to
/// `grids`, and stores nothing (a running server stores it under its own lock).
/// @throws InvalidArgument as import_layer does.
NewLayer read_new_layer(const ImportOptions& options, const std::vector<Grid>& grids,
                        const ProgressFn& progress = {});

/// Where a feed's batch comes from (layers/model/feed.hpp).
struct FeedSource {
  /// What GDAL opens: a file (a POSTed body staged in /vsimem/), "OAPIF:https://…", "WFS:…", a
  /// URL…
  std::string source;
  std::string source_layer;  ///< its layer or collection (default: the first)
  std::string src_crs;       ///< default: the source's own (GeoJSON: CRS84)
  /// A source's properties that no field of the layer takes: refused (false: in a batch sent to
  /// the layer they are a mistake, a misspelt field) or left out (true: a source pulled on a
  /// schedule is another system's table, with fields of its own).
  bool ignore_unknown_fields = false;
};

/// Reads a feed's batch for the county layer `def` as the importer reads a source (CRS, field
/// names and source names, the fields' types) and checks every feature before returning any: a
/// geometry of the layer's kind inside lon/lat range (a polygon valid: refused, not repaired),
/// values of the fields' types, no unknown property (see FeedSource). A feature whose
/// `_delete` property is true is a deletion: only its key is read. The keys are checked where
/// the batch is applied (County::feed_feature_layer).
/// @throws InvalidFeature (parameter "body") for the first feature refused, InvalidArgument for
/// a source that cannot be read.
std::vector<FeedEntry> read_feed(const FeedSource& source, const LayerDef& def);

}  // namespace onemap::layers
