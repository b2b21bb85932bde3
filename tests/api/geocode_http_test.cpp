// GET /geocode through the server's route table (tests/support/api_harness.hpp), on the demo
// county: an address is its household's house for a user who may read households' addresses and
// only its group, road or village for anyone else (at no household's place); a household's new
// address is found at the next search; bad parameters are 400s naming them. The oracle is the
// store's own households.
#include "tests/support/api_harness.hpp"
#include "tests/support/demo_county.hpp"
#include "tests/support/expect_error.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <string>
#include <utility>

namespace {

using json = nlohmann::json;
using onemap::testing::ApiHarness;
using onemap::testing::kAdminToken;
using onemap::testing::percent_encode;

class GeocodeHttp : public onemap::testing::SharedApi<GeocodeHttp> {
 public:
  static std::unique_ptr<ApiHarness> make_api() {
    return std::make_unique<ApiHarness>(
        [](const std::string& dir) { return onemap::testing::write_demo_county(dir); });
  }

 protected:
  static json geocode(const std::string& q, const std::string& token = "",
                      const std::string& more = "") {
    const auto r = api().get("/geocode?q=" + percent_encode(q) + more, token);
    EXPECT_EQ(r.status, 200) << r.body;
    return json::parse(r.body);
  }
};

TEST_F(GeocodeHttp, AnAddressIsItsHouseForStaffAndNoFinerThanItsGroupForThePublic) {
  const auto& households = oracle().households;
  ASSERT_FALSE(households.empty());
  std::set<std::pair<double, double>> places;
  for (const auto& h : households) places.insert({h.location.lon, h.location.lat});
  for (std::size_t i = 0; i < households.size(); i += households.size() / 20) {
    const auto& h = households[i];
    const json staff = geocode(h.address, kAdminToken);
    ASSERT_FALSE(staff["candidates"].empty()) << h.address;
    const json& best = staff["candidates"][0];
    EXPECT_EQ(best["level"], "house") << h.address;
    EXPECT_EQ(best["lon"].get<double>(), h.location.lon);
    EXPECT_EQ(best["lat"].get<double>(), h.location.lat);
    EXPECT_EQ(best["grid_code"], h.join.grid_code);
    EXPECT_EQ(best["crs"], "EPSG:4490");

    const json anyone = geocode(h.address, "", "&limit=3");
    EXPECT_LE(anyone["candidates"].size(), 3U);
    for (const json& c : anyone["candidates"]) {
      EXPECT_NE(c["level"], "house") << h.address;
      EXPECT_EQ(c["grid_code"], "");
      EXPECT_EQ(places.count({c["lon"].get<double>(), c["lat"].get<double>()}), 0U)
          << h.address << " is placed at a household";
    }
    ASSERT_FALSE(anyone["candidates"].empty());
    EXPECT_TRUE(anyone["candidates"][0]["level"] == "group" ||
                anyone["candidates"][0]["level"] == "road" ||
                anyone["candidates"][0]["level"] == "village");
  }
}

TEST_F(GeocodeHttp, AHouseholdsNewAddressIsFoundAtTheNextSearch) {
  const auto& h = oracle().households.front();
  // The same village and group or road, a number no house has.
  std::string address = h.address.substr(0, h.address.rfind("号"));
  while (!address.empty() && address.back() >= '0' && address.back() <= '9') address.pop_back();
  address += "9876号";
  EXPECT_TRUE(geocode(address, kAdminToken)["candidates"][0]["level"] != "house");
  const auto r = api().send("PATCH", "/households/" + std::to_string(h.fid),
                            json{{"address", address}}.dump(), kAdminToken);
  ASSERT_EQ(r.status, 200) << r.body;
  const json found = geocode(address, kAdminToken);
  EXPECT_EQ(found["candidates"][0]["level"], "house");
  EXPECT_EQ(found["candidates"][0]["lon"].get<double>(), h.location.lon);
}

TEST_F(GeocodeHttp, BadParametersAreRefusedNamingThem) {
  onemap::testing::expect_errors(
      api(), {{"/geocode", 400, "invalid_parameter", "q"},
              {"/geocode?q=", 400, "invalid_parameter", "q"},
              {"/geocode?q=%E5%9F%8E&limit=0", 400, "invalid_parameter", "limit"},
              {"/geocode?q=%E5%9F%8E&limit=21", 400, "invalid_parameter", "limit"},
              {"/geocode?q=%E5%9F%8E&limit=x", 400, "invalid_parameter", "limit"},
              {"/geocode?q=%E5%9F%8E&f=xml", 400, "invalid_parameter", "f"},
              {"/geocode?q=%FF", 400, "invalid_parameter", "q"},
              {"/geocode?q=%E5%9F%8E&bbox=1", 400, "invalid_parameter", "bbox"}});
  // Nothing known: no candidate, not an error.
  EXPECT_TRUE(geocode("北京市海淀区中关村")["candidates"].empty());
}

}  // namespace
