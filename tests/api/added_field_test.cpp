// A field a county adds to one layer (layers/model/schema.hpp add_field) reaches everything the
// schema feeds, with nothing else written for it: the GeoPackage column (read back by GDAL), the
// record bodies of POST and PATCH with the field's rule, the record and GeoJSON answers,
// queryables, CQL2 filters (against a brute-force count of the store) and the vector tiles from
// the field's zoom (decoded by GDAL's MVT driver). Its own program: a field is added before any
// county loads.
#include "tests/support/api_harness.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/tiles.hpp"

#include "layers/model/schema.hpp"

#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <ogrsf_frmts.h>
#include <nlohmann/json.hpp>

#include <set>
#include <string>

namespace {

using nlohmann::json;
using namespace onemap;
using namespace onemap::testing;

// The county's own field: how many safety officers an enterprise has, 0 to 50.
constexpr const char* kField = "safety_officers";

class AddedField : public SharedApi<AddedField> {
 public:
  static std::unique_ptr<ApiHarness> make_api() {
    layers::Field f;
    f.name = kField;
    f.type = layers::FieldType::Integer;
    f.audience = layers::Audience::Public;
    f.queryable = f.on_create = f.on_patch = true;
    f.tile_minzoom = 14;
    f.min = 0;
    f.max = 50;
    layers::add_field(layers::LayerKind::Enterprises, f);
    return std::make_unique<ApiHarness>();
  }

 protected:
  // Creates an enterprise at (lon, lat) with `officers`; returns its id.
  static int64_t create(double lon, double lat, int officers) {
    const HttpResponse r = api().send("POST", "/enterprises",
                                      json{{"name", "厂" + std::to_string(officers)},
                                           {"lon", lon},
                                           {"lat", lat},
                                           {kField, officers}}
                                          .dump(),
                                      kAdminToken);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.json()["id"].get<int64_t>();
  }
  // The field's value of enterprise `fid` in the store, read by GDAL (null: -1).
  static int64_t stored(int64_t fid) {
    GDALAllRegister();
    std::unique_ptr<GDALDataset> ds(
        GDALDataset::Open(api().store_path().c_str(), GDAL_OF_VECTOR | GDAL_OF_READONLY));
    if (!ds) throw std::runtime_error("GDAL cannot open the store");
    OGRLayer* layer = ds->GetLayerByName("enterprises");
    const int i = layer->GetLayerDefn()->GetFieldIndex(kField);
    if (i < 0) throw std::runtime_error("the store has no column " + std::string(kField));
    const auto type = layer->GetLayerDefn()->GetFieldDefn(i)->GetType();
    EXPECT_TRUE(type == OFTInteger || type == OFTInteger64) << OGRFieldDefn::GetFieldTypeName(type);
    std::unique_ptr<OGRFeature> f(layer->GetFeature(fid));
    if (!f) throw std::runtime_error("no enterprise " + std::to_string(fid) + " in the store");
    return f->IsFieldSetAndNotNull(i) ? f->GetFieldAsInteger64(i) : -1;
  }
};

TEST_F(AddedField, IsStoredInItsOwnGeoPackageColumnAndReadBack) {
  const int64_t fid = create(120.02, 30.10, 3);
  EXPECT_EQ(stored(fid), 3);
  // The records written before it came have it empty, and the county reads it back.
  EXPECT_EQ(stored(oracle().enterprises.front().fid), -1);
  const auto d = api().read_store();
  const auto& s = layers::schema<layers::Enterprise>();
  for (const auto& e : d.enterprises) {
    if (e.fid != fid) continue;
    EXPECT_EQ(s.get(e, static_cast<std::size_t>(s.index(kField))), layers::FieldValue(int64_t{3}));
  }
}

TEST_F(AddedField, BodiesAreCheckedByItsRuleAndABadOneChangesNothing) {
  const int64_t fid = create(120.03, 30.11, 4);
  for (const json& bad : {json(51), json(-1), json("four"), json(2.5), json::array({4})}) {
    SCOPED_TRACE(bad.dump());
    expect_error(api().send("PATCH", "/enterprises/" + std::to_string(fid),
                            json{{kField, bad}}.dump(), kAdminToken),
                 400, "", kField);
    expect_error(
        api().send("POST", "/enterprises",
                   json{{"name", "x"}, {"lon", 120.03}, {"lat", 30.11}, {kField, bad}}.dump(),
                   kAdminToken),
        400, "", kField);
  }
  EXPECT_EQ(stored(fid), 4);
  const HttpResponse ok = api().send("PATCH", "/enterprises/" + std::to_string(fid),
                                     json{{kField, 6}}.dump(), kAdminToken);
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(ok.json()[kField], 6);
  EXPECT_EQ(stored(fid), 6);
  // null empties it.
  ASSERT_EQ(api()
                .send("PATCH", "/enterprises/" + std::to_string(fid),
                      json{{kField, nullptr}}.dump(), kAdminToken)
                .status,
            200);
  EXPECT_EQ(stored(fid), -1);
  EXPECT_TRUE(api().get("/enterprises/" + std::to_string(fid)).json()[kField].is_null());
}

TEST_F(AddedField, IsAPropertyOfTheGeoJsonAndAQueryableThatFiltersAsTheStoreSays) {
  const int64_t fid = create(120.04, 30.12, 9);
  create(120.041, 30.121, 2);
  const json item = api().get("/collections/enterprises/items/" + std::to_string(fid)).json();
  EXPECT_EQ(item["properties"][kField], 9);
  const json q = api().get("/collections/enterprises/queryables").json();
  ASSERT_TRUE(q["properties"].contains(kField)) << q.dump();
  EXPECT_EQ(q["properties"][kField]["type"], "number");

  // The oracle: the store read on its own connection, counted by hand.
  const auto& s = layers::schema<layers::Enterprise>();
  const std::size_t i = static_cast<std::size_t>(s.index(kField));
  std::set<int64_t> expected;
  for (const auto& e : api().read_store().enterprises) {
    const layers::FieldValue v = s.get(e, i);
    if (const auto* n = std::get_if<int64_t>(&v); n && *n >= 5) expected.insert(e.fid);
  }
  EXPECT_TRUE(expected.count(fid));
  const json page =
      api()
          .get("/collections/enterprises/items?limit=10000&filter=" + std::string(kField) +
               "%3E%3D5")
          .json();
  std::set<int64_t> got;
  for (const auto& f : page["features"]) got.insert(f["id"].get<int64_t>());
  EXPECT_EQ(got, expected);
  expect_error(api().get("/collections/enterprises/items?filter=" + std::string(kField) + "%3D'x'"),
               400, "", "filter");
}

TEST_F(AddedField, IsInTheTilesFromItsZoom) {
  const double lon = 120.045, lat = 30.13;
  const int64_t fid = create(lon, lat, 7);
  for (const int z : {13, 14, 16}) {
    SCOPED_TRACE("z" + std::to_string(z));
    const Tile t = mercator_tile(lon, lat, z);
    const HttpResponse r = api().get("/tiles/enterprises/" + t.path() + ".mvt");
    ASSERT_EQ(r.status, 200);
    const auto ds = open_tile(api().dir().path(), t, r.body);
    OGRLayer* layer = ds->GetLayerByName("enterprises");
    ASSERT_NE(layer, nullptr);
    bool found = false;
    for (const auto& f : *layer) {
      if (f->GetFieldAsInteger64("mvt_id") != fid) continue;
      found = true;
      const int k = f->GetFieldIndex(kField);
      if (z < 14) {
        EXPECT_TRUE(k < 0 || !f->IsFieldSetAndNotNull(k)) << "in the tile below its zoom";
      } else {
        ASSERT_GE(k, 0);
        EXPECT_EQ(f->GetFieldAsInteger64(k), 7);
      }
    }
    EXPECT_TRUE(found) << "enterprise " << fid << " not in tile " << t.path();
  }
}

}  // namespace
