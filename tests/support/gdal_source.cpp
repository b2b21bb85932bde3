#include "tests/support/gdal_source.hpp"

#include <cpl_string.h>
#include <gdal_priv.h>
#include <ogr_spatialref.h>
#include <ogrsf_frmts.h>

#include <gtest/gtest.h>

#include <memory>

namespace onemap::testing {

void write_layer(const std::filesystem::path& path, const char* driver, const char* layer, int epsg,
                 OGRwkbGeometryType gtype, const std::vector<FieldDef>& fields,
                 const std::vector<Feat>& feats, const std::vector<std::string>& lco,
                 bool add_layer) {
  GDALAllRegister();
  std::unique_ptr<GDALDataset> ds;
  if (add_layer) {
    ds.reset(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE));
  } else {
    GDALDriver* drv = GetGDALDriverManager()->GetDriverByName(driver);
    ASSERT_NE(drv, nullptr) << driver;
    ds.reset(drv->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
  }
  ASSERT_NE(ds, nullptr) << path;
  OGRSpatialReference srs;
  if (epsg) {
    srs.importFromEPSG(epsg);
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
  }
  CPLStringList opts;
  for (const auto& o : lco) opts.AddString(o.c_str());
  OGRLayer* l = ds->CreateLayer(layer, epsg ? &srs : nullptr, gtype, opts.List());
  ASSERT_NE(l, nullptr);
  for (const auto& f : fields) {
    OGRFieldDefn d(f.name.c_str(), f.type);
    ASSERT_EQ(l->CreateField(&d), OGRERR_NONE) << f.name;
  }
  for (const auto& f : feats) {
    OGRFeatureUniquePtr feat(OGRFeature::CreateFeature(l->GetLayerDefn()));
    for (const auto& [k, v] : f.attrs) feat->SetField(k.c_str(), v.c_str());
    if (!f.wkt.empty()) {
      OGRGeometry* g = nullptr;
      ASSERT_EQ(OGRGeometryFactory::createFromWkt(f.wkt.c_str(), nullptr, &g), OGRERR_NONE)
          << f.wkt;
      feat->SetGeometryDirectly(g);
    }
    ASSERT_EQ(l->CreateFeature(feat.get()), OGRERR_NONE);
  }
}

}  // namespace onemap::testing
