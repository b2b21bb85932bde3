// `onemap import`: loads a GDAL vector source into one layer of a store, with a progress bar on
// a terminal, a summary on stdout and optionally the whole report as JSON.
#include "apps/onemap/cli.hpp"

#include "core/errors.hpp"
#include "layers/ingest/import.hpp"
#include "layers/store/store.hpp"
#include "layers/store/store_lock.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>

namespace onemap::cli {

namespace {

using namespace onemap::layers;

constexpr const char* kUsage =
    R"(usage: onemap import --data FILE.gpkg --layer LAYER [options] SOURCE
       onemap import --data FILE.gpkg --layer NAME --create [layer options] SOURCE

Loads a vector source (Shapefile, GeoJSON, GeoPackage, CSV with lon/lat columns, FileGDB, any
GDAL vector format) into one layer of the store, reprojected to CGCS2000 (EPSG:4490). Invalid
polygons are repaired and reported; empty or unreadable features are rejected by index and
reason while the rest loads. Points are joined to the grids in the store; importing grids checks
the hierarchy and rejoins every point layer.

With --create it makes a new county layer NAME of the source's points, lines or polygons instead
(see 'onemap layer --help'): each feature tied to the grid that holds it, or to every grid a line
or polygon crosses with its length or area there.

  --data FILE.gpkg        the store (created when missing)
  --layer LAYER           grids | households | enterprises | incidents | workers, or with
                          --create a new layer's name ([a-z][a-z0-9_]*, at most 40 characters)
  --src-layer NAME        layer inside SOURCE (default: the first)
  --src-crs CRS           source CRS instead of the detected one: EPSG:4549, EPSG:4528, EPSG:3857,
                          GCJ02 (Amap/Tencent), BD09 (Baidu), WKT or PROJ string
  --encoding ENC          attribute encoding when the source does not say, e.g. GBK
  --field-map DST=SRC ... take onemap field DST from source field SRC (repeatable; several pairs
                          may follow one --field-map). Fields not mapped are taken from the
                          source field of their name (or of another name given in brackets):
@FIELDS@
  --level LEVEL           grids: county | town | village | grid | microgrid (default: from the
                          code length 6/9/12/15/18)
  --replace               replace the layer's content instead of appending
  --join-distance METRES  points outside every grid join the nearest one within this (default 500)
  --report FILE.json      also write the summary and every issue as JSON
  -h, --help              this text

layer options (with --create):
  --schema FILE.json      the layer's definition: fields with types and audiences, style… (see
                          README "County layers"); default: the source's fields, for the staff
  --geometry KIND         point | line | polygon (default: the source's)
  --title TEXT            its title in the catalogue (default: the schema's, else NAME)
  --theme TEXT            its group in the catalogue: 治理, 安全, 环境, 规划…
  --id-field FIELD        the field with the source system's ids (unique; feeds upsert by it)

Exit status: 0 when the import ran (even if features were rejected), 1 on failure, 2 on a usage
error.

examples:
  onemap import --data data/county.gpkg --layer grids --encoding GBK villages.shp
  onemap import --data data/county.gpkg --layer grids --field-map code=GEOCODE name=GEONAME \
      community_districts.geojson
  onemap import --data data/county.gpkg --layer households --src-crs GCJ02 households.geojson
  onemap import --data data/county.gpkg --layer incidents \
      --field-map category="Complaint Type" reported_at="Created Date" id="Unique Key" \
      status=Status nyc311_sample.csv
  onemap import --data data/county.gpkg --layer sewage_pipes --create --theme 环境 \
      --title 污水管网 --id-field PIPE_ID --encoding GBK pipes.shp
)";

// The usage text with each layer's fields (layers/ingest/import.hpp), wrapped at 100 columns.
std::string usage() {
  std::string fields;
  for (const LayerKind k : kAllLayers) {
    std::string line = "                          " + std::string(layer_name(k)) + ":";
    for (const auto& name : import_field_names(k)) {
      if (line.size() + 1 + name.size() > 100) {
        fields += line + "\n";
        line = "                            ";
      }
      line += " " + name;
    }
    fields += line + "\n";
  }
  std::string text = kUsage;
  text.replace(text.find("@FIELDS@\n"), 9, fields);
  return text;
}

struct UsageError {
  std::string message;
};

struct CliOptions {
  std::string data;
  std::string layer;
  std::string report_path;
  ImportOptions import;
  bool create = false;
  std::string schema_path, geometry, title, theme, id_field;
};

bool is_pair(const std::string& s) {
  // DST=SRC where DST is an identifier: tells a pair from a source like "PG:dbname=x".
  auto eq = s.find('=');
  if (eq == std::string::npos || eq == 0 || s[0] == '-') return false;
  for (std::size_t i = 0; i < eq; ++i) {
    char c = s[i];
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

void add_pair(CliOptions& o, const std::string& s) {
  if (!is_pair(s)) throw UsageError{"--field-map expects DST=SRC, got '" + s + "'"};
  auto eq = s.find('=');
  std::string dst = s.substr(0, eq), src = s.substr(eq + 1);
  if (src.empty()) throw UsageError{"--field-map " + dst + "= names no source field"};
  if (o.import.field_map.count(dst)) throw UsageError{"--field-map maps " + dst + " twice"};
  o.import.field_map[dst] = src;
}

// The county layer --create makes: the schema file's definition (or none), with the options'
// name, geometry, title, theme and id field over it. Checked again once its fields are known.
LayerDef new_layer(CliOptions& o) {
  LayerDef def;
  bool schema_geometry = false;
  if (!o.schema_path.empty()) {
    std::ifstream f(o.schema_path, std::ios::binary);
    if (!f) throw UsageError{"--schema: cannot read " + o.schema_path};
    std::stringstream text;
    text << f.rdbuf();
    try {
      def = definition_from_json(text.str(), o.layer);
      schema_geometry = nlohmann::json::parse(text.str()).contains("geometry");
    } catch (const InvalidArgument& e) {
      throw UsageError{"--schema " + o.schema_path + ": " + e.what()};
    }
  }
  def.name = o.layer;
  if (def.title.empty() || def.title == def.name) def.title = o.title.empty() ? o.layer : o.title;
  if (!o.theme.empty()) def.theme = o.theme;
  if (!o.id_field.empty()) def.id_field = o.id_field;
  o.import.geometry_from_source = o.geometry.empty() && !schema_geometry;
  try {
    if (!o.geometry.empty()) def.geometry = geometry_kind_from_name(o.geometry);
    LayerDef named = def;  // the name and style now; the fields once the source is read
    named.fields.clear();
    named.id_field.clear();
    named.style.label.clear();
    check_definition(named);
  } catch (const InvalidArgument& e) {
    throw UsageError{"--" + (e.parameter() == "name" ? std::string("layer") : e.parameter()) +
                     ": " + e.detail()};
  }
  return def;
}

CliOptions parse(const Args& args) {
  CliOptions o;
  std::vector<std::string> positional;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i];
    std::string inline_value;
    bool has_inline = false;
    if (a.rfind("--", 0) == 0) {
      auto eq = a.find('=');
      if (eq != std::string::npos) {
        inline_value = a.substr(eq + 1);
        a = a.substr(0, eq);
        has_inline = true;
      }
    }
    auto value = [&]() -> std::string {
      if (has_inline) return inline_value;
      if (i + 1 >= args.size()) throw UsageError{a + " needs a value"};
      return args[++i];
    };
    if (a == "--data")
      o.data = value();
    else if (a == "--layer")
      o.layer = value();
    else if (a == "--src-layer")
      o.import.source_layer = value();
    else if (a == "--src-crs")
      o.import.src_crs = value();
    else if (a == "--encoding")
      o.import.encoding = value();
    else if (a == "--report")
      o.report_path = value();
    else if (a == "--schema")
      o.schema_path = value();
    else if (a == "--geometry")
      o.geometry = value();
    else if (a == "--title")
      o.title = value();
    else if (a == "--theme")
      o.theme = value();
    else if (a == "--id-field")
      o.id_field = value();
    else if (a == "--create") {
      if (has_inline) throw UsageError{"--create takes no value"};
      o.create = true;
    } else if (a == "--replace") {
      if (has_inline) throw UsageError{"--replace takes no value"};
      o.import.replace = true;
    } else if (a == "--level") {
      std::string v = value();
      try {
        o.import.level = level_from_name(v);
      } catch (const InvalidArgument& e) {
        throw UsageError{"--level: " + e.detail()};
      }
    } else if (a == "--join-distance") {
      std::string v = value();
      char* end = nullptr;
      double d = std::strtod(v.c_str(), &end);
      if (v.empty() || *end || !std::isfinite(d) || d < 0)
        throw UsageError{"--join-distance expects metres >= 0, got '" + v + "'"};
      o.import.join.max_distance_m = d;
    } else if (a == "--field-map") {
      add_pair(o, value());
      while (!has_inline && i + 1 < args.size() && is_pair(args[i + 1])) add_pair(o, args[++i]);
    } else if (a.size() > 1 && a[0] == '-') {
      throw UsageError{"unknown option " + a};
    } else {
      positional.push_back(args[i]);
    }
  }
  if (o.data.empty()) throw UsageError{"--data FILE.gpkg is required"};
  if (o.layer.empty()) throw UsageError{"--layer is required"};
  if (o.create) {
    o.import.new_layer = new_layer(o);
  } else {
    try {
      o.import.layer = layer_from_name(o.layer);
    } catch (const InvalidArgument& e) {
      throw UsageError{"--layer: " + e.detail() + "; to make a county layer of it, add --create"};
    }
    for (const auto* given : {&o.schema_path, &o.geometry, &o.title, &o.theme, &o.id_field})
      if (!given->empty())
        throw UsageError{"--schema, --geometry, --title, --theme and --id-field go with --create"};
  }
  if (positional.empty()) throw UsageError{"no SOURCE given"};
  if (positional.size() > 1)
    throw UsageError{"one SOURCE only, got " + std::to_string(positional.size())};
  o.import.source = positional[0];
  if (o.import.level && o.import.layer != LayerKind::Grids)
    throw UsageError{"--level applies to --layer grids only"};
  return o;
}

/// A progress bar on stderr: percent, count, rate. Redraws at most ~10 times a second.
class ProgressBar {
 public:
  void operator()(std::size_t done, std::size_t total) {
    auto now = std::chrono::steady_clock::now();
    if (!started_) {
      start_ = now;
      started_ = true;
    }
    const bool last = total > 0 && done >= total;
    if (!last && drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
    last_draw_ = now;
    drawn_ = true;
    const double secs = std::chrono::duration<double>(now - start_).count();
    const double rate = secs > 0 ? static_cast<double>(done) / secs : 0;
    char line[160];
    if (total > 0) {
      const double frac = std::min(1.0, static_cast<double>(done) / static_cast<double>(total));
      constexpr int kWidth = 30;
      std::string bar(static_cast<std::size_t>(frac * kWidth), '#');
      bar.resize(kWidth, ' ');
      std::snprintf(line, sizeof line, "\r%3d%% [%s] %zu/%zu  %.0f features/s ",
                    static_cast<int>(frac * 100), bar.c_str(), done, total, rate);
    } else {
      std::snprintf(line, sizeof line, "\r%zu features  %.0f features/s ", done, rate);
    }
    std::fputs(line, stderr);
    std::fflush(stderr);
  }
  void finish() {
    if (drawn_) std::fputs("\n", stderr);
  }

 private:
  bool started_ = false, drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

std::size_t count_kind(const ImportReport& r, IssueKind k) {
  std::size_t n = 0;
  for (const auto& i : r.issues) n += i.kind == k;
  return n;
}

std::string issue_line(const ImportIssue& i) {
  std::string s = "feature " + std::to_string(i.index);
  if (!i.id.empty()) s += " (id " + i.id + ")";
  s += ": ";
  if (i.kind == IssueKind::NoLocation)
    s += i.reason.empty() ? "no location" : i.reason;
  else
    s += std::string(issue_kind_name(i.kind)) + ": " + i.reason;
  return s;
}

std::string fmt(double v, int decimals) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

void print_summary(std::ostream& out, const CliOptions& o, const ImportReport& r) {
  const bool grids = !r.definition && o.import.layer == LayerKind::Grids;
  out << "imported " << o.import.source << " into " << (r.definition ? "the new layer " : "")
      << o.layer << " of " << o.data << "\n";
  if (r.definition) {
    out << "layer: " << geometry_kind_name(r.definition->geometry) << "s, "
        << r.definition->fields.size() << " fields:";
    for (const auto& f : r.definition->fields)
      out << " " << f.name << " (" << type_name(f.type) << ", " << audience_name(f.audience) << ")";
    out << "\n";
  }
  out << "source CRS: " << r.source_crs << "\n";
  out << "read " << r.read << ", loaded " << r.loaded << ", repaired " << r.repaired
      << ", rejected " << r.rejected << ", no location " << count_kind(r, IssueKind::NoLocation)
      << "\n";
  if (!grids || r.join.contained + r.join.nearest + r.join.unassigned > 0)
    out << (grids ? "rejoined points: " : "joined: ") << r.join.contained << " contained, "
        << r.join.nearest << " nearest, " << r.join.unassigned << " unassigned\n";
  out << "seconds: " << fmt(r.seconds, 2) << "\n";
  for (const auto& n : r.notes) out << "note: " << n << "\n";
  if (!r.issues.empty()) {
    out << "issues (" << r.issues.size() << "):\n";
    for (const auto& i : r.issues) out << "  " << issue_line(i) << "\n";
  }
  if (r.hierarchy) {
    const auto& h = *r.hierarchy;
    if (h.problems.empty()) {
      out << "hierarchy: no problems\n";
    } else {
      out << "hierarchy problems (" << h.problems.size() << "):\n";
      for (const auto& p : h.problems) {
        out << "  " << problem_kind_name(p.kind) << " " << p.code;
        if (!p.other_code.empty()) out << " / " << p.other_code;
        if (p.area_m2 > 0) out << ": " << fmt(p.area_m2, 1) << " m²";
        out << " — " << p.detail << "\n";
      }
    }
  }
}

nlohmann::json report_json(const CliOptions& o, const ImportReport& r) {
  nlohmann::json j;
  j["source"] = o.import.source;
  j["layer"] = o.layer;
  j["data"] = o.data;
  j["read"] = r.read;
  j["loaded"] = r.loaded;
  j["repaired"] = r.repaired;
  j["rejected"] = r.rejected;
  j["no_location"] = count_kind(r, IssueKind::NoLocation);
  j["seconds"] = r.seconds;
  j["source_crs"] = r.source_crs;
  j["join"] = {{"contained", r.join.contained},
               {"nearest", r.join.nearest},
               {"unassigned", r.join.unassigned},
               {"max_distance_m", o.import.join.max_distance_m}};
  j["notes"] = r.notes;
  if (r.definition) j["definition"] = nlohmann::json::parse(definition_json(*r.definition));
  auto issues = nlohmann::json::array();
  for (const auto& i : r.issues)
    issues.push_back({{"kind", issue_kind_name(i.kind)},
                      {"index", i.index},
                      {"id", i.id},
                      {"reason", i.reason}});
  j["issues"] = std::move(issues);
  if (r.hierarchy) {
    auto problems = nlohmann::json::array();
    for (const auto& p : r.hierarchy->problems)
      problems.push_back({{"kind", problem_kind_name(p.kind)},
                          {"code", p.code},
                          {"other_code", p.other_code},
                          {"area_m2", p.area_m2},
                          {"detail", p.detail}});
    j["hierarchy"] = {{"problems", std::move(problems)}};
  } else {
    j["hierarchy"] = nullptr;
  }
  return j;
}

bool usage_parameter(const std::string& p) {
  static const std::set<std::string> names = {"field-map", "src-crs", "src-layer", "encoding",
                                              "level",     "layer",   "geometry",  "id_field"};
  return names.count(p) > 0;
}

}  // namespace

int run_import(const Args& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      std::cout << usage();
      return 0;
    }
  CliOptions o;
  try {
    o = parse(args);
  } catch (const UsageError& e) {
    std::cerr << "onemap import: " << e.message << "\n(see 'onemap import --help')\n";
    return 2;
  }
  // A running server would never see what this writes, and would overwrite it: refuse. Taken
  // before the store opens, released after it closes.
  const auto lock = layers::StoreLock::for_writing(
      o.data,
      "stop it first, or import into another store (onemap import writes the file directly)");
  // A store this command creates is removed again when the import fails before writing, so a
  // typo in the source path leaves no empty GeoPackage behind.
  const bool created = !std::filesystem::exists(o.data);
  struct RemoveIfFailed {
    std::string path;
    bool armed;
    ~RemoveIfFailed() {
      if (!armed) return;
      std::error_code ec;
      for (const char* suffix : {"", "-wal", "-shm", "-journal"})
        std::filesystem::remove(path + suffix, ec);
    }
  } cleanup{o.data, created};
  try {
    auto store = open_store(o.data, true);
    ProgressBar bar;
    ProgressFn progress;
    if (::isatty(2)) progress = [&bar](std::size_t d, std::size_t t) { bar(d, t); };
    ImportReport r;
    try {
      r = import_layer(*store, o.import, progress);
    } catch (...) {
      bar.finish();
      throw;
    }
    bar.finish();
    cleanup.armed = false;
    print_summary(std::cout, o, r);
    std::cout.flush();
    if (!o.report_path.empty()) {
      std::ofstream f(o.report_path, std::ios::binary | std::ios::trunc);
      f << report_json(o, r).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      f.close();
      if (!f) {
        std::cerr << "onemap import: cannot write the report to " << o.report_path << "\n";
        return 1;
      }
    }
    return 0;
  } catch (const InvalidArgument& e) {
    std::cerr << "onemap import: " << e.what() << "\n";
    if (usage_parameter(e.parameter())) {
      std::cerr << "(see 'onemap import --help')\n";
      return 2;
    }
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "onemap import: error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace onemap::cli
