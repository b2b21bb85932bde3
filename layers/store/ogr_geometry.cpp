#include "layers/store/ogr_geometry.hpp"

#include "core/errors.hpp"
#include "spatial/geos_ops.hpp"

#include <cmath>
#include <vector>

namespace onemap::layers {

namespace {

void add_line(const OGRLineString& in, MultiLineString& out) {
  spatial::LineString line;
  line.reserve(static_cast<std::size_t>(in.getNumPoints()));
  for (int i = 0; i < in.getNumPoints(); ++i) line.emplace_back(in.getX(i), in.getY(i));
  if (spatial::valid_line(line)) out.push_back(std::move(line));
}

}  // namespace

std::optional<FeatureGeometry> from_ogr(const OGRGeometry& g, GeometryKind k) {
  if (g.IsEmpty()) return std::nullopt;
  const auto type = wkbFlatten(g.getGeometryType());
  switch (k) {
    case GeometryKind::Point: {
      const OGRPoint* p = nullptr;
      if (type == wkbPoint)
        p = g.toPoint();
      else if (type == wkbMultiPoint && g.toMultiPoint()->getNumGeometries() == 1)
        p = g.toMultiPoint()->getGeometryRef(0);
      if (!p || p->IsEmpty() || !std::isfinite(p->getX()) || !std::isfinite(p->getY()))
        return std::nullopt;
      return LonLat{p->getX(), p->getY()};
    }
    case GeometryKind::Line: {
      std::unique_ptr<OGRGeometry> linear;
      const OGRGeometry* in = &g;
      if (g.hasCurveGeometry()) {
        linear.reset(g.getLinearGeometry());
        if (!linear) return std::nullopt;
        in = linear.get();
      }
      MultiLineString lines;
      const auto t = wkbFlatten(in->getGeometryType());
      if (t == wkbLineString)
        add_line(*in->toLineString(), lines);
      else if (t == wkbMultiLineString)
        for (const OGRLineString* l : *in->toMultiLineString()) add_line(*l, lines);
      else
        return std::nullopt;
      if (lines.empty()) return std::nullopt;
      return lines;
    }
    case GeometryKind::Polygon: {
      if (type != wkbPolygon && type != wkbMultiPolygon && type != wkbCurvePolygon &&
          type != wkbMultiSurface)
        return std::nullopt;
      std::unique_ptr<OGRGeometry> linear;
      const OGRGeometry* in = &g;
      if (g.hasCurveGeometry()) {
        linear.reset(g.getLinearGeometry());
        if (!linear) return std::nullopt;
        in = linear.get();
      }
      std::vector<unsigned char> wkb(static_cast<std::size_t>(in->WkbSize()));
      in->exportToWkb(wkbNDR, wkb.data(), wkbVariantIso);
      MultiPolygon mp = spatial::multipolygon_from_wkb(wkb.data(), wkb.size());
      if (mp.empty()) return std::nullopt;
      return mp;
    }
  }
  return std::nullopt;
}

std::unique_ptr<OGRGeometry> to_ogr(const FeatureGeometry& g) {
  if (const auto* p = std::get_if<LonLat>(&g)) return std::make_unique<OGRPoint>(p->lon, p->lat);
  if (const auto* lines = std::get_if<MultiLineString>(&g)) {
    auto out = std::make_unique<OGRMultiLineString>();
    for (const auto& line : *lines) {
      auto* l = new OGRLineString();
      l->setNumPoints(static_cast<int>(line.size()), FALSE);
      for (std::size_t i = 0; i < line.size(); ++i)
        l->setPoint(static_cast<int>(i), line[i].x(), line[i].y());
      out->addGeometryDirectly(l);
    }
    return out;
  }
  const auto wkb = spatial::to_wkb(std::get<MultiPolygon>(g));
  OGRGeometry* geom = nullptr;
  if (OGRGeometryFactory::createFromWkb(wkb.data(), nullptr, &geom, wkb.size()) != OGRERR_NONE)
    throw StoreError("cannot encode a polygon");
  // A polygon of one part still goes in as a MultiPolygon: the column's type.
  return std::unique_ptr<OGRGeometry>(OGRGeometryFactory::forceToMultiPolygon(geom));
}

}  // namespace onemap::layers
