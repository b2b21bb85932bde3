// Import of any GDAL vector source into one layer of the store (import.hpp).
//
// The pipeline per feature: read the geometry (OGR) → WKB → onemap types (GEOS via spatial/) →
// reproject to EPSG:4490 (spatial::CrsTransform, also GCJ-02/BD-09) → check and repair with GEOS
// → map the attributes → collect. Problems are recorded per feature (index in the source, id,
// reason) and never stop the import; only bad options or an unreadable source do. Grids are then
// checked as a hierarchy and every point layer is rejoined; point records are joined to the
// grids already in the store.
//
// About 1,150 lines in one file on purpose: the steps share the Importer's state (the source, its
// field mapping, its CRS and the report) and run in one order; the field mapping itself comes from
// the layers' schemas (layers/model/schema.hpp).
#include "layers/ingest/import.hpp"

#include "core/errors.hpp"
#include "layers/model/schema.hpp"
#include "layers/store/ogr_geometry.hpp"
#include "spatial/crs.hpp"
#include "spatial/geos_ops.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace onemap::layers {

std::string_view issue_kind_name(IssueKind k) {
  switch (k) {
    case IssueKind::Repaired:
      return "repaired";
    case IssueKind::Rejected:
      return "rejected";
    case IssueKind::NoLocation:
      return "no_location";
    case IssueKind::Unassigned:
      return "unassigned";
  }
  return "rejected";
}

namespace {

using spatial::MultiPolygon;
namespace bg = spatial::bg;

void register_gdal() {
  static std::once_flag once;
  std::call_once(once, [] { GDALAllRegister(); });
}

/// Routes GDAL's warnings and errors into a list instead of stderr while an import runs.
class ErrorCapture {
 public:
  ErrorCapture() { CPLPushErrorHandlerEx(&ErrorCapture::handler, this); }
  ~ErrorCapture() { CPLPopErrorHandler(); }
  ErrorCapture(const ErrorCapture&) = delete;
  ErrorCapture& operator=(const ErrorCapture&) = delete;

  std::size_t count() const { return count_; }
  const std::string& last() const { return last_; }
  /// Distinct messages, at most kMax of them, in order of first appearance.
  const std::vector<std::string>& messages() const { return messages_; }

 private:
  static constexpr std::size_t kMax = 20;
  static void CPL_STDCALL handler(CPLErr cls, CPLErrorNum, const char* msg) {
    auto* self = static_cast<ErrorCapture*>(CPLGetErrorHandlerUserData());
    if (!self || cls == CE_Debug || cls == CE_None) return;
    ++self->count_;
    self->last_ = msg ? msg : "";
    if (self->seen_.insert(self->last_).second && self->messages_.size() < kMax)
      self->messages_.push_back("GDAL: " + self->last_);
  }
  std::size_t count_ = 0;
  std::string last_;
  std::set<std::string> seen_;
  std::vector<std::string> messages_;
};

struct DatasetCloser {
  void operator()(GDALDataset* ds) const { GDALClose(ds); }
};
using DatasetPtr = std::unique_ptr<GDALDataset, DatasetCloser>;

/// A per-feature problem: the feature is rejected with this reason.
struct FeatureError {
  std::string reason;
};

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

bool is_ascii(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80) return false;
  return true;
}

bool is_utf8_name(const std::string& enc) {
  std::string e = lower(enc);
  return e.empty() || e == "utf-8" || e == "utf8";
}

std::string join_list(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ", ";
    out += s;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Field specifications per layer.

// A household's flags may also come as one yes/no column each (model.hpp).
constexpr std::pair<const char*, uint32_t> kFlagColumns[] = {
    {"rental", kRental},        {"elderly_alone", kElderlyAlone},
    {"migrants", kMigrants},    {"person_of_concern", kPersonOfConcern},
    {"low_income", kLowIncome}, {"disability", kDisability}};

struct FieldSpec {
  std::string name;  ///< what --field-map names: the schema's field name, or an import-only input
  std::vector<std::string> names;  ///< every name it answers to, the source's usual ones first
  int field = -1;                  ///< the schema field it feeds (-1: an import-only input)
  bool coordinate = false;         ///< lon/lat: taken when mapped or recognised by their names
};

// The layer's fields a source feeds (Field::imported, schema.hpp), then the import-only inputs:
// a household's flag columns, and the coordinate columns of a table of points.
std::vector<FieldSpec> field_specs(LayerKind k) {
  std::vector<FieldSpec> out;
  const auto& fields = layer_fields(k);
  for (std::size_t i = 0; i < fields.size(); ++i) {
    const Field& f = fields[i];
    if (!f.imported) continue;
    FieldSpec spec{f.name, f.import_names, static_cast<int>(i)};
    spec.names.push_back(f.name);
    out.push_back(std::move(spec));
  }
  if (k == LayerKind::Households)
    for (const auto& [name, flag] : kFlagColumns) out.push_back({name, {name}});
  if (k != LayerKind::Grids) {
    out.push_back({"lon", {"lon"}, -1, true});
    out.push_back({"lat", {"lat"}, -1, true});
  }
  return out;
}

// A county layer's fields, then the coordinate columns of a table of points.
std::vector<FieldSpec> field_specs(const LayerDef& def) {
  std::vector<FieldSpec> out;
  for (std::size_t i = 0; i < def.fields.size(); ++i) {
    const Field& f = def.fields[i];
    FieldSpec spec{f.name, f.import_names, static_cast<int>(i)};
    spec.names.push_back(f.name);
    out.push_back(std::move(spec));
  }
  if (def.geometry == GeometryKind::Point) {
    out.push_back({"lon", {"lon"}, -1, true});
    out.push_back({"lat", {"lat"}, -1, true});
  }
  return out;
}

/// How the source's fields feed the layer's fields.
struct Mapping {
  std::vector<FieldSpec> specs;
  std::vector<int> src;            ///< per spec: source field index, -1 when absent
  std::vector<bool> used;          ///< per source field: feeds a spec (else goes to `extra`)
  std::vector<std::string> names;  ///< source field names (UTF-8)
  std::vector<OGRFieldType> types;

  /// The spec `name` names (its field's name or another name it answers to), or -1.
  int spec_index(std::string_view name) const {
    for (std::size_t i = 0; i < specs.size(); ++i)
      if (std::find(specs[i].names.begin(), specs[i].names.end(), name) != specs[i].names.end())
        return static_cast<int>(i);
    return -1;
  }
  bool has(std::string_view name) const {
    int i = spec_index(name);
    return i >= 0 && src[static_cast<std::size_t>(i)] >= 0;
  }
};

int find_field(const std::vector<std::string>& names, const std::string& wanted) {
  for (std::size_t i = 0; i < names.size(); ++i)
    if (names[i] == wanted) return static_cast<int>(i);
  const std::string w = lower(wanted);
  for (std::size_t i = 0; i < names.size(); ++i)
    if (lower(names[i]) == w) return static_cast<int>(i);
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Attribute values.

std::string recode(const std::string& s, const std::string& encoding) {
  if (encoding.empty() || is_ascii(s)) return s;
  char* r = CPLRecode(s.c_str(), encoding.c_str(), CPL_ENC_UTF8);
  std::string out = r ? r : "";
  CPLFree(r);
  return out;
}

std::string two(int v) {
  char b[8];
  std::snprintf(b, sizeof b, "%02d", v);
  return b;
}

/// The text of a field, dates as ISO 8601, recoded to UTF-8 when `encoding` is set.
std::string field_text(OGRFeature& f, int i, OGRFieldType type, const std::string& encoding) {
  if (!f.IsFieldSetAndNotNull(i)) return {};
  if (type == OFTDate || type == OFTDateTime) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, tz = 0;
    float sec = 0;
    if (!f.GetFieldAsDateTime(i, &y, &mo, &d, &h, &mi, &sec, &tz)) return {};
    std::string out = std::to_string(y) + "-" + two(mo) + "-" + two(d);
    if (type == OFTDate) return out;
    out += "T" + two(h) + ":" + two(mi) + ":" + two(static_cast<int>(sec));
    if (tz == 100) {
      out += "Z";
    } else if (tz > 1) {
      int minutes = (tz - 100) * 15;
      out += minutes < 0 ? "-" : "+";
      minutes = std::abs(minutes);
      out += two(minutes / 60) + ":" + two(minutes % 60);
    }
    return out;
  }
  return recode(f.GetFieldAsString(i), encoding);
}

int64_t parse_integer(const std::string& field, const std::string& text) {
  std::string t = trim(text);
  if (t.empty()) return 0;
  int64_t v = 0;
  auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec == std::errc() && p == t.data() + t.size()) return v;
  char* end = nullptr;
  double d = std::strtod(t.c_str(), &end);
  if (end && *end == '\0' && std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15)
    return static_cast<int64_t>(d);
  throw FeatureError{field + ": not an integer '" + t + "'"};
}

bool parse_bool(const std::string& field, const std::string& text) {
  std::string t = lower(trim(text));
  static const std::set<std::string> yes = {"1",  "true", "t", "yes", "y",
                                            "是", "有",   "√", "✓",   "x"};
  static const std::set<std::string> no = {"", "0", "false", "f", "no", "n", "否", "无", "×"};
  if (yes.count(t)) return true;
  if (no.count(t)) return false;
  if (!t.empty() && t.find_first_not_of("0123456789.") == std::string::npos)
    return std::strtod(t.c_str(), nullptr) != 0;
  throw FeatureError{field + ": not a yes/no value '" + trim(text) + "'"};
}

// A time in parse_time's forms or "2025/03/24 23:33:07" (common in Chinese exports).
std::optional<int64_t> read_time(std::string t) {
  if (t.size() >= 10 && t[4] == '/' && t[7] == '/') {
    t[4] = '-';
    t[7] = '-';
  }
  return parse_time(t);
}

int64_t parse_time_field(const std::string& field, const std::string& text) {
  const std::string t = trim(text);
  if (t.empty()) return 0;
  if (auto v = read_time(t)) return *v;
  throw FeatureError{field + ": cannot read the time '" + t + "'"};
}

/// "2024-05-01", "2024/5/1", "2024.05.01", "20240501", "2024-05-01T…" → "2024-05-01".
std::string parse_date_field(const std::string& field, const std::string& text) {
  std::string t = trim(text);
  if (t.empty()) return {};
  int y = 0, m = 0, d = 0;
  char tail[2] = {0, 0};
  bool ok = false;
  if (t.size() == 8 && t.find_first_not_of("0123456789") == std::string::npos) {
    ok = std::sscanf(t.c_str(), "%4d%2d%2d", &y, &m, &d) == 3;
  } else {
    char s1 = 0, s2 = 0;
    int n = std::sscanf(t.c_str(), "%d%c%d%c%d%1c", &y, &s1, &m, &s2, &d, tail);
    ok = (n == 5 || (n == 6 && (tail[0] == 'T' || tail[0] == ' '))) && s1 == s2 &&
         (s1 == '-' || s1 == '/' || s1 == '.');
  }
  if (!ok || y < 1000 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 ||
      !std::chrono::year_month_day(std::chrono::year(y),
                                   std::chrono::month(static_cast<unsigned>(m)),
                                   std::chrono::day(static_cast<unsigned>(d)))
           .ok())
    throw FeatureError{field + ": not a date '" + t + "'"};
  return std::to_string(y) + "-" + two(m) + "-" + two(d);
}

uint32_t parse_flags(const std::string& text) {
  std::string t = trim(text);
  if (t.empty()) return 0;
  if (t.find_first_not_of("0123456789") == std::string::npos)
    return static_cast<uint32_t>(std::strtoul(t.c_str(), nullptr, 10));
  static const std::vector<std::pair<std::string, uint32_t>> names = {
      {"rental", kRental},
      {"出租房", kRental},
      {"出租", kRental},
      {"elderly_alone", kElderlyAlone},
      {"空巢老人", kElderlyAlone},
      {"独居老人", kElderlyAlone},
      {"空巢", kElderlyAlone},
      {"独居", kElderlyAlone},
      {"migrants", kMigrants},
      {"流动人口", kMigrants},
      {"person_of_concern", kPersonOfConcern},
      {"重点人员", kPersonOfConcern},
      {"low_income", kLowIncome},
      {"低保户", kLowIncome},
      {"低保", kLowIncome},
      {"disability", kDisability},
      {"残疾人", kDisability},
      {"残疾", kDisability},
  };
  // Split on , ; | / whitespace and the Chinese enumeration comma.
  std::vector<std::string> tokens;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) tokens.push_back(lower(cur));
    cur.clear();
  };
  for (std::size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c == ',' || c == ';' || c == '|' || c == '/' ||
        std::isspace(static_cast<unsigned char>(c))) {
      flush();
    } else if (t.compare(i, 3, "、") == 0 || t.compare(i, 3, "，") == 0 ||
               t.compare(i, 3, "；") == 0) {
      flush();
      i += 2;
    } else {
      cur += c;
    }
  }
  flush();
  uint32_t flags = 0;
  for (const auto& tok : tokens) {
    bool found = false;
    for (const auto& [n, f] : names)
      if (n == tok) {
        flags |= f;
        found = true;
        break;
      }
    if (!found) throw FeatureError{"flags: unknown flag '" + tok + "'"};
  }
  return flags;
}

GridLevel parse_level(const std::string& text) {
  std::string t = trim(text);
  static const std::vector<std::pair<std::string, GridLevel>> names = {
      {"0", GridLevel::County},   {"1", GridLevel::Town},          {"2", GridLevel::Village},
      {"3", GridLevel::Grid},     {"4", GridLevel::MicroGrid},     {"县", GridLevel::County},
      {"区", GridLevel::County},  {"县区", GridLevel::County},     {"乡镇", GridLevel::Town},
      {"镇", GridLevel::Town},    {"乡", GridLevel::Town},         {"街道", GridLevel::Town},
      {"村", GridLevel::Village}, {"社区", GridLevel::Village},    {"村社区", GridLevel::Village},
      {"网格", GridLevel::Grid},  {"微网格", GridLevel::MicroGrid}};
  for (const auto& [n, l] : names)
    if (n == t) return l;
  try {
    return level_from_name(t);
  } catch (const InvalidArgument& e) {
    throw FeatureError{std::string("level: ") + e.detail()};
  }
}

/// The values of one feature for the layer's fields, by spec.
struct Values {
  const Mapping* m = nullptr;
  std::vector<std::string> v;
  const std::string& get(std::string_view name) const {
    static const std::string empty;
    int i = m->spec_index(name);
    return i < 0 ? empty : v[static_cast<std::size_t>(i)];
  }
  std::string text(std::string_view name) const { return trim(get(name)); }
};

std::string extra_json(OGRFeature& f, const Mapping& m, const std::string& encoding) {
  nlohmann::json j = nlohmann::json::object();
  for (std::size_t i = 0; i < m.names.size(); ++i) {
    if (m.used[i]) continue;
    const int fi = static_cast<int>(i);
    auto& slot = j[m.names[i]];
    if (!f.IsFieldSetAndNotNull(fi)) {
      slot = nullptr;
      continue;
    }
    switch (m.types[i]) {
      case OFTInteger:
      case OFTInteger64:
        slot = f.GetFieldAsInteger64(fi);
        break;
      case OFTReal: {
        double d = f.GetFieldAsDouble(fi);
        if (std::isfinite(d))
          slot = d;
        else
          slot = nullptr;
        break;
      }
      default:
        slot = field_text(f, fi, m.types[i], encoding);
        break;
    }
  }
  if (j.empty()) return {};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// ---------------------------------------------------------------------------------------------
// Geometry.

bool coordinates_ok(double x, double y) {
  return std::isfinite(x) && std::isfinite(y) && x >= -180 && x <= 180 && y >= -90 && y <= 90;
}

std::string fmt_point(double x, double y) {
  char b[96];
  std::snprintf(b, sizeof b, "(%.9g, %.9g)", x, y);
  return b;
}

/// The polygonal geometry of a feature, in the source CRS. @throws FeatureError.
MultiPolygon read_polygons(const OGRGeometry* g) {
  if (!g) throw FeatureError{"no geometry"};
  if (g->IsEmpty()) throw FeatureError{"empty geometry"};
  const OGRwkbGeometryType type = wkbFlatten(g->getGeometryType());
  switch (type) {
    case wkbPolygon:
    case wkbMultiPolygon:
    case wkbCurvePolygon:
    case wkbMultiSurface:
    case wkbTriangle:
    case wkbTIN:
    case wkbPolyhedralSurface:
    case wkbGeometryCollection:
      break;
    default:
      throw FeatureError{std::string("not a polygon: ") + OGRGeometryTypeToName(type)};
  }
  std::unique_ptr<OGRGeometry> lin(g->hasCurveGeometry(TRUE) ? g->getLinearGeometry() : g->clone());
  if (!lin) throw FeatureError{"unreadable geometry: curves cannot be linearised"};
  const auto lt = wkbFlatten(lin->getGeometryType());
  if (lt == wkbTriangle || lt == wkbTIN || lt == wkbPolyhedralSurface)
    lin.reset(OGRGeometryFactory::forceToMultiPolygon(lin.release()));
  lin->flattenTo2D();
  std::vector<unsigned char> wkb(static_cast<std::size_t>(lin->WkbSize()));
  if (lin->exportToWkb(wkbNDR, wkb.data(), wkbVariantIso) != OGRERR_NONE)
    throw FeatureError{"unreadable geometry: cannot encode it as WKB"};
  MultiPolygon mp;
  try {
    mp = spatial::multipolygon_from_wkb(wkb.data(), wkb.size());
  } catch (const std::exception& e) {
    throw FeatureError{std::string("unreadable geometry: ") + e.what()};
  }
  if (mp.empty()) {
    if (type == wkbGeometryCollection) throw FeatureError{"no polygon in the geometry collection"};
    throw FeatureError{"empty geometry"};
  }
  return mp;
}

/// Outcome of reading a point feature's location.
enum class PointRead { Ok, NoLocation };

/// The point of a feature (or its lon/lat columns), in the source CRS. @throws FeatureError.
PointRead read_point(OGRFeature& f, int lon_field, int lat_field, const Mapping& m,
                     spatial::Point& out) {
  if (lon_field >= 0 && lat_field >= 0) {
    const std::string lx =
        trim(field_text(f, lon_field, m.types[static_cast<std::size_t>(lon_field)], {}));
    const std::string ly =
        trim(field_text(f, lat_field, m.types[static_cast<std::size_t>(lat_field)], {}));
    if (lx.empty() || ly.empty()) return PointRead::NoLocation;
    char* e1 = nullptr;
    char* e2 = nullptr;
    const double x = std::strtod(lx.c_str(), &e1);
    const double y = std::strtod(ly.c_str(), &e2);
    if (!e1 || *e1) throw FeatureError{"lon: not a number '" + lx + "'"};
    if (!e2 || *e2) throw FeatureError{"lat: not a number '" + ly + "'"};
    out = spatial::Point(x, y);
    return PointRead::Ok;
  }
  const OGRGeometry* g = f.GetGeometryRef();
  if (!g || g->IsEmpty()) return PointRead::NoLocation;
  const OGRwkbGeometryType type = wkbFlatten(g->getGeometryType());
  if (type == wkbPoint) {
    auto* p = g->toPoint();
    out = spatial::Point(p->getX(), p->getY());
    return PointRead::Ok;
  }
  if (type == wkbMultiPoint) {
    auto* mp = g->toMultiPoint();
    if (mp->getNumGeometries() == 1) {
      auto* p = mp->getGeometryRef(0);
      out = spatial::Point(p->getX(), p->getY());
      return PointRead::Ok;
    }
    throw FeatureError{"not a point: a MultiPoint with " + std::to_string(mp->getNumGeometries()) +
                       " points"};
  }
  throw FeatureError{std::string("not a point: ") + OGRGeometryTypeToName(type)};
}

// ---------------------------------------------------------------------------------------------
// CRS.

struct SourceCrs {
  std::string definition;  ///< what CrsTransform gets
  std::string label;       ///< what the report shows
  bool assumed = false;
};

std::string describe_crs(const std::string& def) {
  if (spatial::china_offset_from_name(def) != spatial::ChinaOffset::None) {
    return spatial::china_offset_from_name(def) == spatial::ChinaOffset::Gcj02
               ? "GCJ02 (GCJ-02 offset lon/lat, Amap/Tencent)"
               : "BD09 (BD-09 offset lon/lat, Baidu)";
  }
  std::string name;
  try {
    name = spatial::crs_name(def);
  } catch (const std::exception&) {
    name = def;
  }
  const bool is_wkt = def.find('[') != std::string::npos;
  if (is_wkt) return (name.empty() || name == def) ? "custom CRS (WKT)" : name + " (WKT)";
  if (name.empty() || name == def) return def;
  return def + " (" + name + ")";
}

SourceCrs detect_crs(OGRLayer& layer) {
  SourceCrs out;
  const OGRSpatialReference* srs = layer.GetSpatialRef();
  if (!srs) {
    out.definition = "EPSG:4326";
    out.assumed = true;
    out.label = "EPSG:4326 (WGS 84), assumed: the source declares no CRS";
    return out;
  }
  std::unique_ptr<OGRSpatialReference> s(srs->Clone());
  s->SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  const char* auth = s->GetAuthorityName(nullptr);
  if (!auth && s->AutoIdentifyEPSG() == OGRERR_NONE) auth = s->GetAuthorityName(nullptr);
  if (auth && s->GetAuthorityCode(nullptr)) {
    out.definition = std::string(auth) + ":" + s->GetAuthorityCode(nullptr);
  } else {
    // An exact (confidence 100) match in the database, e.g. an ESRI .prj of a CGCS2000 zone.
    int n = 0;
    int* confidence = nullptr;
    OGRSpatialReferenceH* matches = s->FindMatches(nullptr, &n, &confidence);
    if (matches && n > 0 && confidence[0] == 100) {
      auto* best = OGRSpatialReference::FromHandle(matches[0]);
      if (best->GetAuthorityName(nullptr) && best->GetAuthorityCode(nullptr))
        out.definition =
            std::string(best->GetAuthorityName(nullptr)) + ":" + best->GetAuthorityCode(nullptr);
    }
    OSRFreeSRSArray(matches);
    CPLFree(confidence);
    if (out.definition.empty()) {
      char* wkt = nullptr;
      const char* const opts[] = {"FORMAT=WKT2_2019", nullptr};
      s->exportToWkt(&wkt, opts);
      out.definition = wkt ? wkt : "";
      CPLFree(wkt);
    }
  }
  out.label = describe_crs(out.definition);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Records from values.

Grid make_grid(const Values& v, const ImportOptions& o, bool& level_guessed, bool& parent_derived) {
  Grid g;
  g.code = v.text("code");
  if (g.code.empty()) throw FeatureError{"no code"};
  g.name = v.text("name");
  level_guessed = false;
  parent_derived = false;
  if (o.level) {
    g.level = *o.level;
  } else if (!v.text("level").empty()) {
    g.level = parse_level(v.get("level"));
  } else if (auto l = level_from_code(g.code)) {
    g.level = *l;
  } else {
    g.level = GridLevel::Grid;
    level_guessed = true;
  }
  if (v.m->has("parent_code")) {
    g.parent_code = v.text("parent_code");
  } else if (g.level != GridLevel::County && level_from_code(g.code) == g.level) {
    g.parent_code =
        g.code.substr(0, code_length(static_cast<GridLevel>(static_cast<int>(g.level) - 1)));
    parent_derived = true;
  }
  return g;
}

// A source's text as a value of field f: yes/no, integers, times and dates in the forms Chinese
// exports write them; null for empty text. Text is trimmed into `storage`, which the value views.
// Values are taken as the source has them (a source is repaired or reported, not refused, by its
// ranges and text rules). @throws FeatureError naming the field.
FieldValue value_from_text(const Field& f, const std::string& raw, std::string& storage) {
  storage = trim(raw);
  if (storage.empty()) return {};
  switch (f.type) {
    case FieldType::String:
      if (f.iso_date) storage = parse_date_field(f.name, raw);
      return std::string_view(storage);
    case FieldType::Integer:
      return parse_integer(f.name, raw);
    case FieldType::Real: {
      char* end = nullptr;
      const double d = std::strtod(storage.c_str(), &end);
      if (!end || *end || !std::isfinite(d))
        throw FeatureError{f.name + ": not a number '" + storage + "'"};
      return d;
    }
    case FieldType::Boolean:
      return parse_bool(f.name, raw);
    case FieldType::DateTime:
      return parse_time_field(f.name, raw);
  }
  return {};
}

// Writes a source's text into field i of r (value_from_text); a fixed set of names (risk, role)
// goes through the field's own parser. An empty value keeps the record's default.
// @throws FeatureError naming the field.
template <class T>
void set_from_text(const Schema<T>& s, T& r, std::size_t i, const std::string& raw) {
  std::string storage;
  const FieldValue v = value_from_text(s.fields[i], raw, storage);
  if (std::holds_alternative<std::monostate>(v)) return;
  try {
    s.set(r, i, v);
  } catch (const InvalidArgument& e) {
    throw FeatureError{s.fields[i].name + ": " + e.detail()};
  }
}

// A point record from a feature's values: every schema field the source feeds, then a
// household's flags from their names and yes/no columns.
template <class T>
void fill_point_record(T& r, const Values& v) {
  const Schema<T>& s = schema<T>();
  for (std::size_t k = 0; k < v.m->specs.size(); ++k) {
    const FieldSpec& spec = v.m->specs[k];
    if (spec.field < 0) continue;
    if constexpr (std::is_same_v<T, Household>)
      if (spec.name == "flags") continue;
    set_from_text(s, r, static_cast<std::size_t>(spec.field), v.v[k]);
  }
  if constexpr (std::is_same_v<T, Household>) {
    r.flags = parse_flags(v.get("flags"));
    for (const auto& [name, flag] : kFlagColumns)
      if (parse_bool(name, v.get(name))) r.flags |= flag;
  }
}

template <class T>
const std::string& record_id(const T& r) {
  if constexpr (std::is_same_v<T, Worker>)
    return r.worker_id;
  else
    return r.id;
}

std::string fmt_metres(double m) {
  char b[32];
  std::snprintf(b, sizeof b, "%g", m);
  return b;
}

// ---------------------------------------------------------------------------------------------
// The import itself.

class Importer {
 public:
  // `store`: where the import goes; null to read a new county layer only (joined to `grids`),
  // then taken with take_features().
  Importer(Store* store, const ImportOptions& o, const ProgressFn& progress,
           const std::vector<Grid>* grids = nullptr)
      : store_(store), grids_(grids), o_(o), progress_(progress) {}
  // A feed's batch for the county layer `feed` (read_feed).
  Importer(const ImportOptions& o, const LayerDef& feed, bool ignore_unknown_fields)
      : store_(nullptr),
        grids_(nullptr),
        o_(o),
        progress_(no_progress_),
        def_(feed),
        feed_(true),
        ignore_unknown_(ignore_unknown_fields) {}

  std::vector<Feature> take_features() { return std::move(features_); }

  // A feed's batch: every feature checked as it is read; the first refused ends the read.
  std::vector<FeedEntry> read_feed() {
    register_gdal();
    ErrorCapture errors;
    open_source(errors);
    build_mapping();
    setup_crs();
    return feed_entries();
  }

  ImportReport run() {
    const auto t0 = std::chrono::steady_clock::now();
    register_gdal();
    ErrorCapture errors;
    check_encoding(errors);
    open_source(errors);
    if (o_.new_layer) start_new_layer();
    build_mapping();
    if (o_.new_layer) finish_definition();
    setup_crs();
    if (o_.new_layer)
      import_new_layer();
    else if (o_.layer == LayerKind::Grids)
      import_grids();
    else if (o_.layer == LayerKind::Households)
      import_points<Household>();
    else if (o_.layer == LayerKind::Enterprises)
      import_points<Enterprise>();
    else if (o_.layer == LayerKind::Incidents)
      import_points<Incident>();
    else
      import_points<Worker>();
    for (const auto& m : errors.messages()) report_.notes.push_back(m);
    if (errors.count() > errors.messages().size())
      report_.notes.push_back("GDAL: " + std::to_string(errors.count()) +
                              " warnings in all (repeated ones listed once)");
    report_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return std::move(report_);
  }

 private:
  // -- options and source -------------------------------------------------------------------

  // Whether the records read are a county layer's (def_), made or fed.
  bool county_layer() const { return o_.new_layer || feed_; }
  // Whether the layer filled holds points (else polygons, or lines for a county layer).
  bool points() const {
    return county_layer() ? def_.geometry == GeometryKind::Point : o_.layer != LayerKind::Grids;
  }
  bool polygons() const {
    return county_layer() ? def_.geometry == GeometryKind::Polygon : o_.layer == LayerKind::Grids;
  }

  // A county layer: its definition as given, its geometry from the source's when asked.
  void start_new_layer() {
    def_ = *o_.new_layer;
    if (!o_.geometry_from_source) return;
    OGRwkbGeometryType type = wkbFlatten(layer_->GetGeomType());
    if (type == wkbUnknown && layer_->GetLayerDefn()->GetGeomFieldCount() > 0) {
      // Mixed or undeclared (GeoJSON, CSV with WKT): the first feature's.
      layer_->ResetReading();
      for (OGRFeatureUniquePtr f(layer_->GetNextFeature()); f; f.reset(layer_->GetNextFeature()))
        if (const OGRGeometry* g = f->GetGeometryRef(); g && !g->IsEmpty()) {
          type = wkbFlatten(g->getGeometryType());
          break;
        }
    }
    switch (OGR_GT_Flatten(OGR_GT_GetLinear(type))) {
      case wkbNone:
      case wkbUnknown:  // a table without geometry: points from lon/lat columns
      case wkbPoint:
      case wkbMultiPoint:
        def_.geometry = GeometryKind::Point;
        break;
      case wkbLineString:
      case wkbMultiLineString:
        def_.geometry = GeometryKind::Line;
        break;
      case wkbPolygon:
      case wkbMultiPolygon:
      case wkbTriangle:
      case wkbTIN:
      case wkbPolyhedralSurface:
        def_.geometry = GeometryKind::Polygon;
        break;
      default:
        throw InvalidArgument("geometry", std::string("the source's geometry is ") +
                                              OGRGeometryTypeToName(type) +
                                              ": give --geometry point|line|polygon");
    }
  }

  // A county layer without fields takes the source's (those not read as coordinates); an id field
  // may name a source field. Then the definition is checked whole.
  void finish_definition() {
    if (def_.fields.empty()) {
      std::set<std::string> taken;
      for (std::size_t i = 0; i < m_.names.size(); ++i) {
        if (m_.used[i]) continue;
        Field f;
        f.name = lower(m_.names[i]);
        const bool identifier =
            !f.name.empty() &&
            (std::islower(static_cast<unsigned char>(f.name[0])) || f.name[0] == '_') &&
            f.name.size() <= 63 && std::all_of(f.name.begin(), f.name.end(), [](char c) {
              return std::islower(static_cast<unsigned char>(c)) ||
                     std::isdigit(static_cast<unsigned char>(c)) || c == '_';
            });
        if (!identifier || is_reserved_field(f.name) || taken.count(f.name)) {
          const std::string was = f.name;
          f.name = "field_" + std::to_string(i + 1);
          report_.notes.push_back(
              "source field '" + m_.names[i] + "' is stored as " + f.name +
              (identifier ? " (its name is taken)" : " (its name is no identifier)") +
              "; name it with a schema (--schema)");
        }
        taken.insert(f.name);
        const OGRFieldDefn* fd = layer_->GetLayerDefn()->GetFieldDefn(static_cast<int>(i));
        if (m_.types[i] == OFTString && driver_ == "CSV") {
          f.type = text_column_type(static_cast<int>(i));
          if (f.type == FieldType::String) f.text = TextKind::FreeText;
        } else
          switch (m_.types[i]) {
            case OFTInteger:
              f.type = fd->GetSubType() == OFSTBoolean ? FieldType::Boolean : FieldType::Integer;
              break;
            case OFTInteger64:
              f.type = FieldType::Integer;
              break;
            case OFTReal:
              f.type = FieldType::Real;
              break;
            case OFTDate:
            case OFTDateTime:
              f.type = FieldType::DateTime;
              break;
            default:
              f.type = FieldType::String;
              f.text = TextKind::FreeText;
          }
        f.queryable = f.on_create = f.on_patch = f.imported = true;
        f.import_names = {m_.names[i]};
        m_.specs.insert(
            m_.specs.begin() + static_cast<std::ptrdiff_t>(def_.fields.size()),
            FieldSpec{f.name, {m_.names[i], f.name}, static_cast<int>(def_.fields.size())});
        m_.src.insert(m_.src.begin() + static_cast<std::ptrdiff_t>(def_.fields.size()),
                      static_cast<int>(i));
        m_.used[i] = true;
        def_.fields.push_back(std::move(f));
      }
    } else {
      std::vector<std::string> unused;
      for (std::size_t i = 0; i < m_.names.size(); ++i)
        if (!m_.used[i]) unused.push_back(m_.names[i]);
      if (!unused.empty())
        report_.notes.push_back("source fields not in the layer's definition, left out: " +
                                join_list(unused));
    }
    if (!def_.id_field.empty() && def_.index(def_.id_field) < 0)
      for (const Field& f : def_.fields)
        if (!f.import_names.empty() && lower(f.import_names.front()) == lower(def_.id_field))
          def_.id_field = f.name;
    check_definition(def_);
  }

  void check_encoding(const ErrorCapture& errors) {
    if (is_utf8_name(o_.encoding)) return;
    const std::size_t before = errors.count();
    char* r = CPLRecode("a\xb0\xa1", o_.encoding.c_str(), CPL_ENC_UTF8);
    CPLFree(r);
    if (errors.count() != before)
      throw InvalidArgument("encoding",
                            "cannot convert from '" + o_.encoding + "': " + errors.last());
  }

  void open_source(const ErrorCapture& errors) {
    if (o_.source.empty()) throw InvalidArgument("source", "no source given");
    GDALDriverH drv = GDALIdentifyDriverEx(o_.source.c_str(), GDAL_OF_VECTOR, nullptr, nullptr);
    driver_ = drv ? GDALGetDriverShortName(drv) : "";
    CPLStringList oo;
    // A feed's text stays text: a string field given "2025-01-02 08:00" keeps those characters.
    if (feed_ && driver_ == "GeoJSON") oo.SetNameValue("DATE_AS_STRING", "YES");
    if (driver_ == "CSV" && polygons()) {
      oo.SetNameValue("GEOM_POSSIBLE_NAMES", "wkt,geom,geometry,the_geom,shape");
      oo.SetNameValue("KEEP_GEOM_COLUMNS", "NO");
    }
    // Point tables: the lon/lat columns are found and parsed here (find_coordinate_columns), not
    // by the CSV driver's X/Y_POSSIBLE_NAMES, which reads unparseable text such as "abc" as 0
    // and would put such rows on the prime meridian instead of reporting them.
    if (!is_utf8_name(o_.encoding)) {
      if (driver_ == "ESRI Shapefile")
        oo.SetNameValue("ENCODING", o_.encoding.c_str());
      else
        recode_ = o_.encoding;
    } else if (!o_.encoding.empty() && driver_ == "ESRI Shapefile") {
      oo.SetNameValue("ENCODING", "UTF-8");
    }
    ds_.reset(GDALDataset::Open(o_.source.c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr,
                                oo.List(), nullptr));
    if (!ds_) {
      // Plain paths (not "PG:…", "/vsizip/…" or other GDAL connection strings) that do not exist.
      const bool plain_path =
          o_.source.rfind("/vsi", 0) != 0 && o_.source.find(':') == std::string::npos;
      std::error_code ec;
      if (plain_path && !std::filesystem::exists(o_.source, ec))
        throw InvalidArgument("source", "no such file: '" + o_.source + "'");
      std::string why = errors.last().empty() ? "not a readable vector data source" : errors.last();
      throw InvalidArgument("source", "cannot open '" + o_.source + "': " + why);
    }
    if (driver_.empty()) driver_ = ds_->GetDriverName();
    if (ds_->GetLayerCount() == 0)
      throw InvalidArgument("source", "'" + o_.source + "' holds no vector layer");
    std::vector<std::string> names;
    names.reserve(static_cast<std::size_t>(ds_->GetLayerCount()));
    for (int i = 0; i < ds_->GetLayerCount(); ++i) names.push_back(ds_->GetLayer(i)->GetName());
    if (!o_.source_layer.empty()) {
      layer_ = ds_->GetLayerByName(o_.source_layer.c_str());
      if (!layer_)
        throw InvalidArgument("src-layer", "no layer '" + o_.source_layer + "' in '" + o_.source +
                                               "'; it has: " + join_list(names));
    } else {
      layer_ = ds_->GetLayer(0);
      if (names.size() > 1)
        report_.notes.push_back("the source has " + std::to_string(names.size()) +
                                " layers; read '" + names[0] +
                                "' (others: " + join_list({names.begin() + 1, names.end()}) +
                                "); choose with --src-layer");
    }
  }

  void build_mapping() {
    OGRFeatureDefn* defn = layer_->GetLayerDefn();
    for (int i = 0; i < defn->GetFieldCount(); ++i) {
      m_.names.push_back(recode(defn->GetFieldDefn(i)->GetNameRef(), recode_));
      m_.types.push_back(defn->GetFieldDefn(i)->GetType());
    }
    m_.used.assign(m_.names.size(), false);
    m_.specs = county_layer() ? field_specs(def_) : field_specs(o_.layer);
    m_.src.assign(m_.specs.size(), -1);

    std::vector<std::string> known;
    for (const auto& s : m_.specs) known.push_back(s.name);
    auto available = [&] { return m_.names.empty() ? std::string("(none)") : join_list(m_.names); };

    for (const auto& [dst, src] : o_.field_map) {
      const int si = m_.spec_index(dst);
      if (si < 0)
        throw InvalidArgument("field-map",
                              "unknown field '" + dst + "' for layer " +
                                  (county_layer() ? def_.name : std::string(layer_name(o_.layer))) +
                                  " (fields: " + join_list(known) + ")");
      const int fi = find_field(m_.names, src);
      if (fi < 0)
        throw InvalidArgument("field-map", "no field '" + src + "' (for " + dst + ") in '" +
                                               o_.source + "'; its fields: " + available());
      m_.src[static_cast<std::size_t>(si)] = fi;
    }
    for (std::size_t si = 0; si < m_.specs.size(); ++si) {
      if (m_.src[si] >= 0 || m_.specs[si].coordinate) continue;  // coordinates: only when mapped
      int fi = -1;
      for (std::size_t n = 0; n < m_.specs[si].names.size() && fi < 0; ++n)
        fi = find_field(m_.names, m_.specs[si].names[n]);
      m_.src[si] = fi;
    }
    for (int fi : m_.src)
      if (fi >= 0) m_.used[static_cast<std::size_t>(fi)] = true;

    const bool has_geometry = defn->GetGeomFieldCount() > 0;
    if (m_.has("lon") != m_.has("lat"))
      throw InvalidArgument("field-map", "map both lon and lat, or neither");
    if (points() && !m_.has("lon") && !has_geometry) find_coordinate_columns();
    lon_field_ = m_.has("lon") ? m_.src[static_cast<std::size_t>(m_.spec_index("lon"))] : -1;
    lat_field_ = m_.has("lat") ? m_.src[static_cast<std::size_t>(m_.spec_index("lat"))] : -1;

    if (!points() && !has_geometry) {
      const std::string needs = !county_layer() ? "grids need polygons"
                                : def_.geometry == GeometryKind::Line
                                    ? "a layer of lines needs one"
                                    : "a layer of polygons needs one";
      throw InvalidArgument(
          "source", "layer '" + std::string(layer_->GetName()) + "' has no geometry; " + needs);
    }
    if (!county_layer() && o_.layer == LayerKind::Grids) {
      if (!m_.has("code"))
        throw InvalidArgument("field-map", "no 'code' field in '" + o_.source +
                                               "'; map one with --field-map code=FIELD (fields: " +
                                               available() + ")");
    } else if (!has_geometry && lon_field_ < 0) {
      throw InvalidArgument("field-map",
                            "'" + o_.source +
                                "' has no geometry and no longitude/latitude columns were "
                                "recognised (lon*, lng, long*, x, longitude / lat*, y, latitude); "
                                "name them with --field-map lon=COLUMN lat=COLUMN (fields: " +
                                available() + ")");
    }
  }

  /// A table without geometry: its coordinate columns by name (case-insensitive; "lon*" is a
  /// prefix pattern), the first pattern that matches a field winning.
  void find_coordinate_columns() {
    auto match = [&](std::initializer_list<const char*> patterns) {
      for (const char* pat : patterns) {
        std::string p = lower(pat);
        const bool prefix = !p.empty() && p.back() == '*';
        if (prefix) p.pop_back();
        for (std::size_t i = 0; i < m_.names.size(); ++i) {
          const std::string n = lower(m_.names[i]);
          if (prefix ? n.rfind(p, 0) == 0 : n == p) return static_cast<int>(i);
        }
      }
      return -1;
    };
    const int lon = match({"lon*", "lng", "long*", "x", "longitude"});
    const int lat = match({"lat*", "y", "latitude"});
    if (lon < 0 || lat < 0 || lon == lat) return;
    m_.src[static_cast<std::size_t>(m_.spec_index("lon"))] = lon;
    m_.src[static_cast<std::size_t>(m_.spec_index("lat"))] = lat;
    m_.used[static_cast<std::size_t>(lon)] = true;
    m_.used[static_cast<std::size_t>(lat)] = true;
  }

  void setup_crs() {
    SourceCrs crs;
    if (!o_.src_crs.empty()) {
      crs.definition = o_.src_crs;
      crs.label = describe_crs(o_.src_crs);
      try {
        transform_ = std::make_unique<spatial::CrsTransform>(crs.definition, spatial::kStorageCrs);
      } catch (const std::exception& e) {
        throw InvalidArgument("src-crs", "unusable CRS '" + o_.src_crs + "': " + e.what());
      }
    } else {
      crs = detect_crs(*layer_);
      transform_ = std::make_unique<spatial::CrsTransform>(crs.definition, spatial::kStorageCrs);
      if (crs.assumed)
        report_.notes.push_back(
            "the source declares no CRS: EPSG:4326 (WGS 84 lon/lat) assumed; set it with "
            "--src-crs");
    }
    report_.source_crs = crs.label;
  }

  // -- per feature ---------------------------------------------------------------------------

  void issue(IssueKind kind, int64_t index, std::string id, std::string reason) {
    report_.issues.push_back({kind, index, std::move(id), std::move(reason)});
    if (kind == IssueKind::Rejected) ++report_.rejected;
    if (kind == IssueKind::Repaired) ++report_.repaired;
  }

  Values read_values(OGRFeature& f) {
    Values v;
    v.m = &m_;
    v.v.resize(m_.specs.size());
    for (std::size_t si = 0; si < m_.specs.size(); ++si) {
      const int fi = m_.src[si];
      if (fi >= 0) v.v[si] = field_text(f, fi, m_.types[static_cast<std::size_t>(fi)], recode_);
    }
    return v;
  }

  /// Feature count for progress (0 when unknown) and the step between calls.
  void start_progress() {
    const GIntBig n = layer_->GetFeatureCount(TRUE);
    total_ = n > 0 ? static_cast<std::size_t>(n) : 0;
    step_ = total_ > 0 ? std::clamp<std::size_t>(total_ / 100, 1, 1000) : 1000;
    if (progress_) progress_(0, total_);
  }
  void tick(std::size_t done) {
    if (progress_ && done % step_ == 0) progress_(done, total_);
  }
  void finish_progress(std::size_t done) {
    if (progress_ && done % step_ != 0) progress_(done, total_ ? std::max(total_, done) : 0);
  }

  /// Validity check and repair in the source CRS (where the data was drawn: a ring that is
  /// degenerate there may turn into a valid hair-thin one through a non-linear projection), then
  /// source → storage CRS, range check, and a second check for what reprojection may break.
  /// @throws FeatureError.
  MultiPolygon to_storage(MultiPolygon mp, bool& repaired, std::string& why) {
    repaired = false;
    auto repair = [&](const char* stage) {
      const auto validity = spatial::check_validity(mp);
      if (validity.valid) return;
      // A feed's source is another system's, which is told, not repaired behind its back.
      if (feed_) throw FeatureError{std::string("invalid polygon: ") + stage + validity.reason};
      MultiPolygon fixed = spatial::make_valid(mp);
      if (fixed.empty())
        throw FeatureError{"invalid geometry (" + validity.reason +
                           ") and nothing is left after repair"};
      mp = std::move(fixed);
      why += (why.empty() ? "" : "; ") + std::string(stage) + validity.reason;
      repaired = true;
    };
    repair("");
    if (!transform_->is_identity()) {
      try {
        transform_->apply(mp);
      } catch (const std::exception& e) {
        throw FeatureError{std::string("coordinate transformation failed: ") + e.what()};
      }
    }
    for (const auto& poly : mp) {
      auto check_ring = [](const spatial::Ring& r) {
        for (const auto& p : r)
          if (!coordinates_ok(p.x(), p.y()))
            throw FeatureError{"coordinates out of range after transformation: " +
                               fmt_point(p.x(), p.y())};
      };
      check_ring(poly.outer());
      for (const auto& in : poly.inners()) check_ring(in);
    }
    if (!transform_->is_identity()) repair("after reprojection: ");
    bg::correct(mp);
    return mp;
  }

  // Reads every feature of the source with progress: counts it as read and calls
  // fn(feature, index, id); a FeatureError becomes a Rejected issue naming the feature (its index,
  // and the id fn had read by then).
  template <class F>
  void for_each_feature(F&& fn) {
    start_progress();
    layer_->ResetReading();
    int64_t index = -1;
    for (OGRFeatureUniquePtr f(layer_->GetNextFeature()); f; f.reset(layer_->GetNextFeature())) {
      ++index;
      ++report_.read;
      std::string id;
      try {
        fn(*f, index, id);
      } catch (const FeatureError& e) {
        issue(IssueKind::Rejected, index, id, e.reason);
      }
      tick(report_.read);
    }
    finish_progress(report_.read);
  }

  // -- grids -----------------------------------------------------------------------------------

  void import_grids() {
    Dataset all = store_->load();
    if (o_.replace) all.grids.clear();
    std::unordered_map<std::string, std::string> taken;  // code → where it came from
    for (const auto& g : all.grids) taken.emplace(g.code, "already in the store");

    std::vector<Grid> grids;
    std::size_t guessed = 0, derived = 0;
    for_each_feature([&](OGRFeature& f, int64_t index, std::string& id) {
      const Values v = read_values(f);
      id = v.text("code");
      bool level_guessed = false, parent_derived = false;
      Grid g = make_grid(v, o_, level_guessed, parent_derived);
      auto dup = taken.find(g.code);
      if (dup != taken.end())
        throw FeatureError{"duplicate code " + g.code + " (" + dup->second + ")"};
      bool repaired = false;
      std::string why;
      g.geometry = to_storage(read_polygons(f.GetGeometryRef()), repaired, why);
      g.area_m2 = spatial::area_m2(g.geometry);
      if (repaired) issue(IssueKind::Repaired, index, id, why);
      taken.emplace(g.code, "feature " + std::to_string(index));
      guessed += level_guessed;
      derived += parent_derived;
      grids.push_back(std::move(g));
    });
    report_.loaded = grids.size();
    if (guessed)
      report_.notes.push_back(std::to_string(guessed) +
                              " grids have codes that imply no level (6/9/12/15/18 digits): taken "
                              "as level 'grid'; set it with --level");
    if (derived)
      report_.notes.push_back(std::to_string(derived) +
                              " grids had no parent_code field: parent codes taken from the code "
                              "prefixes");

    // Hierarchy over what the layer will hold.
    std::vector<Grid> check = all.grids;
    check.insert(check.end(), grids.begin(), grids.end());
    HierarchyOptions hopt;
    hopt.check_code_length = guessed == 0;
    report_.hierarchy = check_hierarchy(check, hopt);

    Dataset d;
    d.grids = std::move(grids);
    if (o_.replace)
      store_->replace_layer(LayerKind::Grids, d);
    else if (!d.grids.empty())
      store_->append(LayerKind::Grids, d);

    // Rejoin every point layer against the new set of grids.
    all.grids.insert(all.grids.end(), d.grids.begin(), d.grids.end());
    const std::size_t points =
        all.households.size() + all.enterprises.size() + all.incidents.size() + all.workers.size();
    if (points > 0) {
      report_.join = GridJoiner(all.grids, o_.join).rejoin(all);
      store_->update_joins(all);
      report_.notes.push_back("rejoined " + std::to_string(points) +
                              " points of the other layers to the grids");
    }
  }

  // -- points ----------------------------------------------------------------------------------

  template <class T>
  void import_points() {
    const std::vector<Grid> grids = store_->load_grids();
    std::vector<T> records;
    std::vector<int64_t> source_index;  // records[i] came from feature source_index[i]
    for_each_feature([&](OGRFeature& f, int64_t index, std::string& id) {
      const Values v = read_values(f);
      id = v.text(layer_fields(o_.layer).front().name);  // each point layer's first field
      spatial::Point p;
      if (read_point(f, lon_field_, lat_field_, m_, p) == PointRead::NoLocation) {
        issue(IssueKind::NoLocation, index, id, "no location");
        return;
      }
      T r;
      fill_point_record(r, v);
      r.location = point_to_storage(p);
      r.extra = extra_json(f, m_, recode_);
      records.push_back(std::move(r));
      source_index.push_back(index);
    });
    report_.loaded = records.size();

    join_and_report(
        records, grids, source_index, [&](std::size_t i) { return record_id(records[i]); },
        "the points stay unassigned until grids are imported (importing grids "
        "rejoins every point layer)");

    Dataset d;
    d.of<T>() = std::move(records);
    if (o_.replace)
      store_->replace_layer(o_.layer, d);
    else if (d.count(o_.layer) > 0)
      store_->append(o_.layer, d);
  }

  // -- a county layer --------------------------------------------------------------------------

  // The type of a column the driver reads as text (every column of a CSV), from all its values:
  // integer when each is at most 15 digits with no leading zero (longer digit strings are codes:
  // a GB/T 28181 device id has 20), real when each is a number, datetime when each is a time or
  // a date, else text. Empty values fit any type; a column of empty values is text.
  FieldType text_column_type(int column) {
    bool integer = true, real = true, time = true, any = false;
    layer_->ResetReading();
    for (OGRFeatureUniquePtr f(layer_->GetNextFeature()); f; f.reset(layer_->GetNextFeature())) {
      const std::string t = trim(field_text(*f, column, OFTString, recode_));
      if (t.empty()) continue;
      any = true;
      const std::string digits = t[0] == '-' ? t.substr(1) : t;
      const bool all_digits =
          !digits.empty() && digits.find_first_not_of("0123456789") == std::string::npos;
      const bool code =
          all_digits && (digits.size() > 15 || (digits.size() > 1 && digits[0] == '0'));
      integer = integer && all_digits && !code;
      char* end = nullptr;
      const double d = std::strtod(t.c_str(), &end);
      real = real && !code && end && *end == '\0' && std::isfinite(d);
      time = time && !real && read_time(t).has_value();
      if (!integer && !real && !time) break;
    }
    if (!any) return FieldType::String;
    return integer ? FieldType::Integer
           : real  ? FieldType::Real
           : time  ? FieldType::DateTime
                   : FieldType::String;
  }

  // Joins the records to `grids` (the report's join counts) and reports each one left unassigned
  // by its feature's index and id (id_of(i) of records[i]); `no_grids` says what an import into a
  // store without grids means.
  template <class R, class IdOf>
  void join_and_report(std::vector<R>& records, const std::vector<Grid>& grids,
                       const std::vector<int64_t>& source_index, IdOf&& id_of,
                       const std::string& no_grids) {
    GridJoiner joiner(grids, o_.join);
    report_.join = joiner.join_all(records);
    if (joiner.grid_count() == 0) {
      report_.notes.push_back("the store holds no grids yet: " + no_grids);
      return;
    }
    // Points go to the nearest grid within the join distance; lines and polygons to none.
    bool by_distance = true;
    if constexpr (std::is_same_v<R, Feature>) by_distance = def_.geometry == GeometryKind::Point;
    const std::string level(level_name(joiner.level()));
    const std::string reason =
        by_distance ? "no " + level + " within " + fmt_metres(o_.join.max_distance_m) + " m"
                    : "in no " + level;
    for (std::size_t i : report_.join.unassigned_indices)
      issue(IssueKind::Unassigned, source_index[i], id_of(i), reason);
  }

  // A point in the source CRS → storage CRS, in range. @throws FeatureError.
  LonLat point_to_storage(spatial::Point p) {
    if (!transform_->is_identity()) {
      try {
        p = transform_->apply(p);
      } catch (const std::exception& e) {
        throw FeatureError{std::string("coordinate transformation failed: ") + e.what()};
      }
    }
    if (!coordinates_ok(p.x(), p.y()))
      throw FeatureError{"coordinates out of range after transformation: " +
                         fmt_point(p.x(), p.y())};
    return {p.x(), p.y()};
  }

  // Lines in the source CRS → storage CRS, every vertex in range. @throws FeatureError.
  MultiLineString lines_to_storage(MultiLineString lines) {
    for (auto& line : lines) {
      if (!transform_->is_identity() && !transform_->apply(line))
        throw FeatureError{"coordinate transformation failed"};
      for (const auto& p : line)
        if (!coordinates_ok(p.x(), p.y()))
          throw FeatureError{"coordinates out of range after transformation: " +
                             fmt_point(p.x(), p.y())};
    }
    return lines;
  }

  // A feature's geometry as a record of the county layer def_ holds it, in lon/lat; nullopt for a
  // point without a location. `repaired`: why a polygon was repaired (empty: it was not).
  // @throws FeatureError.
  std::optional<FeatureGeometry> record_geometry(OGRFeature& f, std::string& repaired) {
    switch (def_.geometry) {
      case GeometryKind::Point: {
        spatial::Point p;
        if (read_point(f, lon_field_, lat_field_, m_, p) == PointRead::NoLocation)
          return std::nullopt;
        return point_to_storage(p);
      }
      case GeometryKind::Line: {
        const OGRGeometry* g = f.GetGeometryRef();
        if (!g || g->IsEmpty()) throw FeatureError{"no geometry"};
        auto lines = from_ogr(*g, GeometryKind::Line);
        if (!lines)
          throw FeatureError{std::string("not a line of two distinct points or more: ") +
                             OGRGeometryTypeToName(wkbFlatten(g->getGeometryType()))};
        return lines_to_storage(std::get<MultiLineString>(std::move(*lines)));
      }
      case GeometryKind::Polygon: {
        bool was_repaired = false;
        MultiPolygon mp = to_storage(read_polygons(f.GetGeometryRef()), was_repaired, repaired);
        if (!was_repaired) repaired.clear();
        return mp;
      }
    }
    return std::nullopt;
  }

  // -- a feed's batch --------------------------------------------------------------------------

  // Every feature of the source as a feed's entry (feed.hpp), each checked as a record of def_:
  // its values typed by the fields, its geometry of the layer's kind in range, no property the
  // layer lacks (unless ignore_unknown_). A deletion needs its key only.
  // @throws InvalidFeature for the first feature refused.
  std::vector<FeedEntry> feed_entries() {
    int delete_field = -1;
    std::vector<std::size_t> unknown;  // source fields no field of the layer takes
    for (std::size_t i = 0; i < m_.names.size(); ++i) {
      // "id": a GeoJSON feature's own id member, which GDAL reads as a field when it is no
      // integer; no property, and no field may be named so.
      if (m_.names[i] == kFeedDeleteMember)
        delete_field = static_cast<int>(i);
      else if (!m_.used[i] && !ignore_unknown_ && m_.names[i] != "id")
        unknown.push_back(i);
    }
    std::string known;
    for (const Field& field : def_.fields) known += (known.empty() ? "" : ", ") + field.name;
    const int key_field = def_.index(def_.id_field);
    std::vector<FeedEntry> out;
    out.reserve(static_cast<std::size_t>(std::max<GIntBig>(0, layer_->GetFeatureCount(FALSE))));
    layer_->ResetReading();
    int64_t index = -1;
    std::string storage;
    for (OGRFeatureUniquePtr f(layer_->GetNextFeature()); f; f.reset(layer_->GetNextFeature())) {
      ++index;
      try {
        FeedEntry e;
        e.index = index;
        e.remove =
            delete_field >= 0 && f->IsFieldSetAndNotNull(delete_field) &&
            parse_bool(std::string(kFeedDeleteMember),
                       field_text(*f, delete_field,
                                  m_.types[static_cast<std::size_t>(delete_field)], recode_));
        Feature& r = e.feature;
        r.attributes.resize(def_.fields.size());
        const Values v = read_values(*f);
        for (std::size_t k = 0; k < m_.specs.size(); ++k) {
          const int field = m_.specs[k].field;
          if (field < 0 || (e.remove && field != key_field)) continue;
          const auto i = static_cast<std::size_t>(field);
          r.attributes[i] = own(value_from_text(def_.fields[i], v.v[k], storage));
        }
        if (!e.remove) {
          for (std::size_t i : unknown)
            if (f->IsFieldSet(static_cast<int>(i)))
              throw FeatureError{"unknown property '" + m_.names[i] +
                                 "' (the layer's fields: " + known + ")"};
          std::string repaired;
          auto geometry = record_geometry(*f, repaired);
          if (!geometry) throw FeatureError{"no geometry"};
          r.geometry = std::move(*geometry);
        }
        out.push_back(std::move(e));
      } catch (const FeatureError& e) {
        throw InvalidFeature("body", index, e.reason);
      }
    }
    return out;
  }

  void import_new_layer() {
    const std::vector<Grid> grids = grids_ ? *grids_ : store_->load_grids();
    std::vector<Feature> records;
    std::vector<int64_t> source_index;    // records[i] came from feature source_index[i]
    std::vector<std::string> source_ids;  // with this id ("" without an id field)
    const int id_field = def_.index(def_.id_field);
    std::unordered_map<std::string, int64_t> ids;  // id → the feature that has it
    for_each_feature([&](OGRFeature& f, int64_t index, std::string& id) {
      const Values v = read_values(f);
      Feature r;
      r.attributes.resize(def_.fields.size());
      std::string storage;
      for (std::size_t k = 0; k < m_.specs.size(); ++k) {
        const int field = m_.specs[k].field;
        if (field < 0) continue;
        const auto i = static_cast<std::size_t>(field);
        r.attributes[i] = own(value_from_text(def_.fields[i], v.v[k], storage));
      }
      if (id_field >= 0) {
        id = v.text(def_.id_field);
        if (id.empty()) throw FeatureError{"no " + def_.id_field};
        auto [it, fresh] = ids.emplace(id, index);
        if (!fresh)
          throw FeatureError{"duplicate " + def_.id_field + " " + id + " (feature " +
                             std::to_string(it->second) + ")"};
      }
      std::string repaired;
      auto geometry = record_geometry(f, repaired);
      if (!geometry) {
        issue(IssueKind::NoLocation, index, id, "no location");
        if (id_field >= 0) ids.erase(id);
        return;
      }
      r.geometry = std::move(*geometry);
      if (!repaired.empty()) issue(IssueKind::Repaired, index, id, repaired);
      records.push_back(std::move(r));
      source_index.push_back(index);
      source_ids.push_back(id);
    });
    report_.loaded = records.size();

    join_and_report(
        records, grids, source_index, [&](std::size_t i) { return source_ids[i]; },
        "the layer's features are tied to no grid");
    report_.definition = def_;
    if (store_)
      store_->create_layer(def_, records);
    else
      features_ = std::move(records);
  }

  Store* store_;
  const std::vector<Grid>* grids_;
  std::vector<Feature> features_;  ///< a new layer read without a store
  const ImportOptions& o_;
  const ProgressFn& progress_;
  ImportReport report_;
  DatasetPtr ds_;
  OGRLayer* layer_ = nullptr;
  std::string driver_;
  std::string recode_;  ///< encoding to convert attribute text from (non-shapefile drivers)
  Mapping m_;
  LayerDef def_;                 ///< a county layer's definition (new_layer, or the layer fed)
  bool feed_ = false;            ///< reading a feed's batch (read_feed)
  bool ignore_unknown_ = false;  ///< a feed: source fields the layer lacks are left out
  static inline const ProgressFn no_progress_;
  int lon_field_ = -1, lat_field_ = -1;
  std::unique_ptr<spatial::CrsTransform> transform_;
  std::size_t total_ = 0, step_ = 1000;
};

}  // namespace

std::vector<std::string> import_field_names(LayerKind k) {
  std::vector<std::string> out;
  for (const auto& spec : field_specs(k)) {
    std::string n = spec.name;
    for (const auto& other : spec.names)
      if (other != spec.name) n += " (" + other + ")";
    out.push_back(std::move(n));
  }
  return out;
}

ImportReport import_layer(Store& store, const ImportOptions& options, const ProgressFn& progress) {
  return Importer(&store, options, progress).run();
}

std::vector<FeedEntry> read_feed(const FeedSource& source, const LayerDef& def) {
  ImportOptions o;
  o.source = source.source;
  o.source_layer = source.source_layer;
  o.src_crs = source.src_crs;
  return Importer(o, def, source.ignore_unknown_fields).read_feed();
}

NewLayer read_new_layer(const ImportOptions& options, const std::vector<Grid>& grids,
                        const ProgressFn& progress) {
  if (!options.new_layer) throw InvalidArgument("layer", "no new layer to read");
  Importer importer(nullptr, options, progress, &grids);
  NewLayer out;
  out.report = importer.run();
  out.def = *out.report.definition;
  out.features = importer.take_features();
  return out;
}

}  // namespace onemap::layers
