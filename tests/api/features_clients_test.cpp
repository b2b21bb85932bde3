// OGC API - Features read by real clients over TCP from a spawned `onemap serve`: GDAL's OAPIF
// driver (the client QGIS uses) and ogr2ogr need a socket, so these run against the process; the
// endpoints themselves are tested in process (features_http_test.cpp). The oracle is the store as
// written.
#include "tests/support/county.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"

#include <cpl_conv.h>
#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace {

using onemap::testing::fids;

class FeaturesClients : public onemap::testing::SharedServer<FeaturesClients> {};

}  // namespace

TEST_F(FeaturesClients, GdalsOapifDriverReadsEveryCollectionCompletely) {
  GDALAllRegister();
  // Signed in, as a desktop GIS user is (the workers collection is staff's): GDAL sends the
  // header with every request.
  const std::string auth = onemap::testing::bearer(onemap::testing::kAdminToken);
  CPLSetConfigOption("GDAL_HTTP_HEADERS", auth.c_str());
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open(("OAPIF:" + server().url()).c_str(),
                                                    GDAL_OF_VECTOR | GDAL_OF_READONLY, nullptr,
                                                    nullptr, nullptr));
  ASSERT_NE(ds, nullptr) << CPLGetLastErrorMsg();
  std::set<std::string> names;
  for (auto* layer : ds->GetLayers()) names.insert(layer->GetName());
  EXPECT_EQ(names,
            (std::set<std::string>{"grids", "households", "enterprises", "incidents", "workers"}));
  auto count = [&](const char* name,
                   const std::optional<onemap::spatial::Box>& spat = std::nullopt) {
    OGRLayer* l = ds->GetLayerByName(name);
    EXPECT_NE(l, nullptr) << name;
    if (!l) return std::vector<int64_t>{};
    if (spat)
      l->SetSpatialFilterRect(spat->min_corner().x(), spat->min_corner().y(),
                              spat->max_corner().x(), spat->max_corner().y());
    else
      l->SetSpatialFilter(nullptr);
    std::vector<int64_t> ids;
    for (const auto& f : *l) ids.push_back(f->GetFID());
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  auto all = [](const auto&) { return true; };
  EXPECT_EQ(count("grids"), fids(oracle().grids, all));
  EXPECT_EQ(count("households"), fids(oracle().households, all));
  EXPECT_EQ(count("enterprises"), fids(oracle().enterprises, all));
  EXPECT_EQ(count("incidents"), fids(oracle().incidents, all));
  EXPECT_EQ(count("workers"), fids(oracle().workers, all));
  const onemap::spatial::Box box({120.05, 30.0}, {120.3, 30.15});
  EXPECT_EQ(count("households", box), fids(oracle().households, [&](const auto& h) {
              return h.location.lon >= 120.05 && h.location.lon <= 120.3 &&
                     h.location.lat >= 30.0 && h.location.lat <= 30.15;
            }));

  // And ogr2ogr, the command line, copies every collection whole.
  const std::string out = dir().file("copy.gpkg");
  const auto r = onemap::testing::run_command({"/usr/bin/ogr2ogr", "--config", "GDAL_HTTP_HEADERS",
                                               auth, "-f", "GPKG", out, "OAPIF:" + server().url()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::unique_ptr<GDALDataset> copy(GDALDataset::Open(out.c_str(), GDAL_OF_VECTOR));
  ASSERT_NE(copy, nullptr);
  const std::map<std::string, std::size_t> counts = {{"grids", oracle().grids.size()},
                                                     {"households", oracle().households.size()},
                                                     {"enterprises", oracle().enterprises.size()},
                                                     {"incidents", oracle().incidents.size()},
                                                     {"workers", oracle().workers.size()}};
  for (const auto& [name, n] : counts) {
    OGRLayer* l = copy->GetLayerByName(name.c_str());
    ASSERT_NE(l, nullptr) << name;
    EXPECT_EQ(l->GetFeatureCount(), static_cast<GIntBig>(n)) << name;
  }
  CPLSetConfigOption("GDAL_HTTP_HEADERS", nullptr);
}

// GDAL's OAPIF driver sends an attribute filter to the server (the request log shows filter=).
TEST_F(FeaturesClients, GdalPushesAttributeFiltersToTheServer) {
  GDALAllRegister();
  std::unique_ptr<GDALDataset> ds(
      GDALDataset::Open(("OAPIF:" + server().url()).c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
  ASSERT_NE(ds, nullptr);
  OGRLayer* l = ds->GetLayerByName("incidents");
  ASSERT_NE(l, nullptr);
  ASSERT_EQ(l->SetAttributeFilter("status = 'reported' AND category = '0101'"), OGRERR_NONE);
  std::vector<int64_t> got;
  for (const auto& f : *l) got.push_back(f->GetFID());
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, fids(oracle().incidents, [](const auto& i) {
              return i.status == "reported" && i.category == "0101";
            }));
  const std::string log = server().log_with("filter-lang=cql-text");
  EXPECT_NE(log.find("filter-lang=cql-text"), std::string::npos);
  EXPECT_NE(log.find("filter=(status%20%3D%20'reported')"), std::string::npos)
      << log.substr(log.size() > 3000 ? log.size() - 3000 : 0);
}
