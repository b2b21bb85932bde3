#include "layers/store/gpkg_rows.hpp"

#include "layers/store/ogr_geometry.hpp"

#include "core/errors.hpp"
#include "core/time.hpp"
#include "spatial/geos_ops.hpp"

#include <cpl_conv.h>

#include <bit>
#include <cstdio>
#include <type_traits>
#include <variant>

namespace onemap::layers::gpkg {

using spatial::LonLat;

std::string gdal_error() {
  const char* m = CPLGetLastErrorMsg();
  return m && *m ? m : "unknown GDAL error";
}

OGRFieldType ogr_type(FieldType t, OGRFieldSubType& sub) {
  sub = OFSTNone;
  switch (t) {
    case FieldType::Integer:
      return OFTInteger64;
    case FieldType::Real:
      return OFTReal;
    case FieldType::Boolean:
      sub = OFSTBoolean;
      return OFTInteger;
    case FieldType::DateTime:
      return OFTDateTime;
    case FieldType::String:
      break;
  }
  return OFTString;
}

Columns::Columns(OGRLayer* layer, LayerKind kind) {
  auto* defn = layer->GetLayerDefn();
  for (const auto& f : layer_fields(kind)) {
    const int i = defn->GetFieldIndex(f.name.c_str());
    if (i < 0)
      throw StoreError("table " + std::string(layer_name(kind)) + " has no column " + f.name);
    idx_.push_back(i);
  }
}

Columns::Columns(OGRLayer* layer, const LayerDef& def) {
  auto* defn = layer->GetLayerDefn();
  auto add = [&](const std::string& name) {
    const int i = defn->GetFieldIndex(name.c_str());
    if (i < 0) throw StoreError("table " + def.name + " has no column " + name);
    idx_.push_back(i);
  };
  for (const auto& f : def.fields) add(f.name);
  for (const char* c : kJoinColumns) add(c);
}

namespace {

void set_time(OGRFeature& f, int i, int64_t t) {
  if (t == 0) {
    f.SetFieldNull(i);
    return;
  }
  const core::CivilTime c = core::civil_time(t);
  f.SetField(i, c.year, static_cast<int>(c.month), static_cast<int>(c.day),
             static_cast<int>(c.hour), static_cast<int>(c.minute), static_cast<float>(c.second),
             100 /* UTC */);
}

int64_t get_time(OGRFeature& f, int i) {
  if (!f.IsFieldSetAndNotNull(i)) return 0;
  int y, mo, d, h, mi, tz;
  float s;
  if (!f.GetFieldAsDateTime(i, &y, &mo, &d, &h, &mi, &s, &tz)) return 0;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, d, h, mi,
                static_cast<int>(s));
  int offset = 0;
  if (tz > 1) offset = (tz - 100) * 15 * 60;  // GDAL's TZFlag: 100 = UTC, ±1 per 15 min
  auto t = parse_time(buf, offset);
  return t ? *t : 0;
}

void set_point(OGRFeature& f, LonLat p) {
  OGRPoint pt(p.lon, p.lat);
  f.SetGeometry(&pt);
}

LonLat get_point(OGRFeature& f) {
  auto* g = f.GetGeometryRef();
  if (g && wkbFlatten(g->getGeometryType()) == wkbPoint && !g->IsEmpty()) {
    auto* p = g->toPoint();
    return {p->getX(), p->getY()};
  }
  return {};
}

// ---- records <-> rows, field by field through the layer's schema -------------------------------

void set_value(OGRFeature& f, int i, FieldType type, const FieldValue& v) {
  switch (type) {
    case FieldType::String: {
      const auto* s = std::get_if<std::string_view>(&v);
      if (!s || s->empty())
        f.SetFieldNull(i);
      else
        f.SetField(i, std::string(*s).c_str());
      return;
    }
    case FieldType::Integer:
      if (const auto* n = std::get_if<int64_t>(&v))
        f.SetField(i, static_cast<GIntBig>(*n));
      else
        f.SetFieldNull(i);
      return;
    case FieldType::Real:
      if (const auto* d = std::get_if<double>(&v))
        f.SetField(i, *d);
      else
        f.SetFieldNull(i);
      return;
    case FieldType::Boolean:
      if (const auto* b = std::get_if<bool>(&v))
        f.SetField(i, *b ? 1 : 0);
      else
        f.SetFieldNull(i);
      return;
    case FieldType::DateTime: {
      const auto* t = std::get_if<int64_t>(&v);
      set_time(f, i, t ? *t : 0);
      return;
    }
  }
}

FieldValue get_value(OGRFeature& f, int i, FieldType type) {
  if (!f.IsFieldSetAndNotNull(i)) return {};
  switch (type) {
    case FieldType::String:
      return std::string_view(f.GetFieldAsString(i));  // GDAL's buffer: copied by the setter
    case FieldType::Integer:
      return static_cast<int64_t>(f.GetFieldAsInteger64(i));
    case FieldType::Real:
      return f.GetFieldAsDouble(i);
    case FieldType::Boolean:
      return f.GetFieldAsInteger(i) != 0;
    case FieldType::DateTime:
      return get_time(f, i);
  }
  return {};
}

template <class T>
void write_fields(OGRFeature& f, const Columns& c, const T& r) {
  const Schema<T>& s = schema<T>();
  for (std::size_t i = 0; i < s.fields.size(); ++i)
    set_value(f, c[i], s.fields[i].type, s.get(r, i));
}

template <class T>
void read_fields(OGRFeature& f, const Columns& c, T& r) {
  const Schema<T>& s = schema<T>();
  for (std::size_t i = 0; i < s.fields.size(); ++i)
    s.set(r, i, get_value(f, c[i], s.fields[i].type));
}

}  // namespace

void write(OGRFeature& f, const Columns& c, const Grid& g) {
  write_fields(f, c, g);
  auto wkb = spatial::to_wkb(g.geometry);
  OGRGeometry* geom = nullptr;
  if (OGRGeometryFactory::createFromWkb(wkb.data(), nullptr, &geom, wkb.size()) != OGRERR_NONE)
    throw StoreError("cannot encode the geometry of grid " + g.code);
  f.SetGeometryDirectly(geom);
}

void read(OGRFeature& f, const Columns& c, Grid& g) {
  read_fields(f, c, g);
  if (auto* geom = f.GetGeometryRef()) {
    std::vector<unsigned char> wkb(static_cast<std::size_t>(geom->WkbSize()));
    geom->exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
    g.geometry = spatial::multipolygon_from_wkb(wkb.data(), wkb.size());
  }
}

// The point layers: their fields, then the position.
namespace {
template <class T>
void write_point(OGRFeature& f, const Columns& c, const T& r) {
  write_fields(f, c, r);
  set_point(f, r.location);
}

template <class T>
void read_point(OGRFeature& f, const Columns& c, T& r) {
  read_fields(f, c, r);
  r.location = get_point(f);
}
}  // namespace

void write(OGRFeature& f, const Columns& c, const Household& r) {
  write_point(f, c, r);
}
void write(OGRFeature& f, const Columns& c, const Enterprise& r) {
  write_point(f, c, r);
}
void write(OGRFeature& f, const Columns& c, const Incident& r) {
  write_point(f, c, r);
}
void write(OGRFeature& f, const Columns& c, const Worker& r) {
  write_point(f, c, r);
}
void read(OGRFeature& f, const Columns& c, Household& r) {
  read_point(f, c, r);
}
void read(OGRFeature& f, const Columns& c, Enterprise& r) {
  read_point(f, c, r);
}
void read(OGRFeature& f, const Columns& c, Incident& r) {
  read_point(f, c, r);
}
void read(OGRFeature& f, const Columns& c, Worker& r) {
  read_point(f, c, r);
}

void write(OGRFeature& f, const Columns& c, const LayerDef& def, const Feature& r) {
  const std::size_t n = def.fields.size();
  for (std::size_t i = 0; i < n; ++i)
    set_value(f, c[i], def.fields[i].type,
              i < r.attributes.size() ? view(r.attributes[i]) : FieldValue{});
  if (r.join.grid_code.empty())
    f.SetFieldNull(c[n]);
  else
    f.SetField(c[n], r.join.grid_code.c_str());
  f.SetField(c[n + 1], std::string(join_kind_name(r.join.kind)).c_str());
  f.SetField(c[n + 2], r.join.distance_m);
  f.SetGeometryDirectly(to_ogr(r.geometry).release());
}

int bind_row(sqlite3_stmt* st, int first, const LayerDef& def, const Feature& r) {
  int at = first;
  auto text = [&](std::string_view v) {
    sqlite3_bind_text(st, at, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  };
  for (std::size_t i = 0; i < def.fields.size(); ++i, ++at) {
    // The values are of their fields' types (the feed read them so); null as write() writes it.
    const FieldValue v = i < r.attributes.size() ? view(r.attributes[i]) : FieldValue{};
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, std::string_view>) {
            if (x.empty())
              sqlite3_bind_null(st, at);
            else
              text(x);
          } else if constexpr (std::is_same_v<T, int64_t>) {
            if (def.fields[i].type != FieldType::DateTime) {
              sqlite3_bind_int64(st, at, x);
            } else if (x == 0) {
              sqlite3_bind_null(st, at);
            } else {
              std::string iso;
              core::append_iso8601_ms(iso, x * 1000);
              text(iso);
            }
          } else if constexpr (std::is_same_v<T, double>) {
            sqlite3_bind_double(st, at, x);
          } else if constexpr (std::is_same_v<T, bool>) {
            sqlite3_bind_int(st, at, x ? 1 : 0);
          } else {
            sqlite3_bind_null(st, at);
          }
        },
        v);
  }
  if (r.join.grid_code.empty())
    sqlite3_bind_null(st, at);
  else
    text(r.join.grid_code);
  ++at;
  text(join_kind_name(r.join.kind));
  sqlite3_bind_double(st, at + 1, r.join.distance_m);
  return at + 2;
}

std::string geometry_blob(const FeatureGeometry& g, int32_t srs_id) {
  const auto geometry = to_ogr(g);
  const bool point = kind_of(g) == GeometryKind::Point, empty = geometry->IsEmpty();
  std::string out = "GP";
  out += '\0';  // version 1
  // Flags: little endian (bit 0); an [minx, maxx, miny, maxy] envelope (bits 1-3 = 1) unless a
  // point or empty; empty (bit 4).
  out += static_cast<char>(0x01 | (point || empty ? 0 : 0x02) | (empty ? 0x10 : 0));
  static_assert(std::endian::native == std::endian::little, "the blob is written as in memory");
  auto append = [&out](const auto& v) { out.append(reinterpret_cast<const char*>(&v), sizeof v); };
  append(srs_id);
  if (!point && !empty) {
    OGREnvelope e;
    geometry->getEnvelope(&e);
    for (double v : {e.MinX, e.MaxX, e.MinY, e.MaxY}) append(v);
  }
  const std::size_t header = out.size();
  out.resize(header + static_cast<std::size_t>(geometry->WkbSize()));
  geometry->exportToWkb(wkbNDR, reinterpret_cast<unsigned char*>(out.data() + header),
                        wkbVariantIso);
  return out;
}

void read(OGRFeature& f, const Columns& c, const LayerDef& def, Feature& r) {
  const std::size_t n = def.fields.size();
  r.attributes.resize(n);
  for (std::size_t i = 0; i < n; ++i) r.attributes[i] = own(get_value(f, c[i], def.fields[i].type));
  r.join.grid_code = f.IsFieldSetAndNotNull(c[n]) ? f.GetFieldAsString(c[n]) : "";
  const std::string kind = f.GetFieldAsString(c[n + 1]);
  r.join.kind = kind == join_kind_name(JoinKind::Contained) ? JoinKind::Contained
                : kind == join_kind_name(JoinKind::Nearest) ? JoinKind::Nearest
                                                            : JoinKind::Unassigned;
  r.join.distance_m = f.GetFieldAsDouble(c[n + 2]);
  r.geometry = empty_geometry(def.geometry);
  if (const OGRGeometry* g = f.GetGeometryRef())
    if (auto geometry = from_ogr(*g, def.geometry)) r.geometry = std::move(*geometry);
}

}  // namespace onemap::layers::gpkg
