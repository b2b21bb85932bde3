// The tile endpoints through the real `onemap serve`: TileJSON, gzip negotiation, ETag/304, empty
// tiles, errors naming the parameter, the metrics, and freshness: a write changes exactly the
// tiles it touches before it is acknowledged. Tile contents are decoded with GDAL's MVT driver
// and compared with the records (the oracle); tile numbers are computed here from the formulas.
#include "fixtures.hpp"
#include "test_support.hpp"

#include "layers/store.hpp"

#include <gdal_priv.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <ogrsf_frmts.h>
#include <zlib.h>

#include <signal.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace {

using nlohmann::json;
using onemap::testing::HttpConnection;
using onemap::testing::HttpResponse;
using onemap::testing::ServerProcess;
using onemap::testing::TempDir;
using namespace std::chrono_literals;

constexpr double kPi = 3.14159265358979323846;

struct Tile {
  int z, x, y;
  std::string path() const { return std::to_string(z) + "/" + std::to_string(x) + "/" + std::to_string(y); }
};

// Web Mercator tile of a lon/lat (the slippy-map formula).
Tile mercator_tile(double lon, double lat, int z) {
  const double n = std::ldexp(1.0, z);
  const double r = lat * kPi / 180;
  return {z, static_cast<int>(std::floor((lon + 180) / 360 * n)),
          static_cast<int>(std::floor((1 - std::log(std::tan(r) + 1 / std::cos(r)) / kPi) / 2 * n))};
}

std::string gunzip(const std::string& in) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2");
  std::string out;
  char buf[65536];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      throw std::runtime_error("not gzip");
    }
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc != Z_STREAM_END);
  inflateEnd(&zs);
  return out;
}

// Feature ids per MVT layer, decoded by GDAL from a tile file named z/x/y.mvt (GDAL gives the
// MVT feature id as the field mvt_id).
std::map<std::string, std::set<int64_t>> decode_ids(const std::string& dir, const Tile& t,
                                                    const std::string& bytes) {
  const std::string path = dir + "/" + t.path() + ".mvt";
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
  GDALAllRegister();
  // CLIP=NO: GDAL would otherwise drop what lies in the tile's buffer.
  const char* const open_options[] = {"CLIP=NO", nullptr};
  std::unique_ptr<GDALDataset> ds(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR, nullptr, open_options));
  if (!ds) throw std::runtime_error("GDAL cannot open " + path);
  std::map<std::string, std::set<int64_t>> out;
  for (auto* layer : ds->GetLayers())
    for (const auto& f : *layer) out[layer->GetName()].insert(f->GetFieldAsInteger64("mvt_id"));
  return out;
}

class TilesHttpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    store_path_ = onemap::testing::write_small_county(dir_->path());
    oracle_ = new onemap::layers::Dataset(onemap::layers::open_store(store_path_, false)->load());
    server_ = new ServerProcess(ONEMAP_BINARY, {"--data", store_path_, "--write-token", "s3cret"},
                                dir_->path() + "/serve.log");
  }
  static void TearDownTestSuite() {
    if (server_) server_->stop(SIGTERM, 10s);
    delete server_;
    delete oracle_;
    delete dir_;
    server_ = nullptr;
    oracle_ = nullptr;
    dir_ = nullptr;
  }
  static uint16_t port() { return server_->port(); }

  static HttpResponse get(const std::string& target, const std::vector<std::string>& headers = {}) {
    HttpConnection c(port());
    c.send_request("GET", target, headers);
    return c.read_response();
  }
  static HttpResponse send(const std::string& method, const std::string& target, const std::string& body,
                           bool with_token = true) {
    HttpConnection c(port());
    std::vector<std::string> headers = {"Content-Type: application/json",
                                        "Content-Length: " + std::to_string(body.size())};
    if (with_token) headers.push_back("Authorization: Bearer s3cret");
    c.send_request(method, target, headers);
    c.send_raw(body);
    return c.read_response();
  }
  static void expect_error(const HttpResponse& r, int status, const std::string& parameter) {
    EXPECT_EQ(r.status, status) << r.body;
    const json j = json::parse(r.body);
    if (!parameter.empty()) {
      EXPECT_EQ(j["error"]["parameter"], parameter) << r.body;
    }
  }

  static TempDir* dir_;
  static std::string store_path_;
  static onemap::layers::Dataset* oracle_;
  static ServerProcess* server_;
};
TempDir* TilesHttpTest::dir_ = nullptr;
std::string TilesHttpTest::store_path_;
onemap::layers::Dataset* TilesHttpTest::oracle_ = nullptr;
ServerProcess* TilesHttpTest::server_ = nullptr;

}  // namespace

TEST_F(TilesHttpTest, TileJsonDescribesTheLayersAndPointsBackAtTheServer) {
  const HttpResponse r = get("/tiles/grids.village,incidents.json?offset=gcj02&status=reported");
  ASSERT_EQ(r.status, 200) << r.body;
  const json j = json::parse(r.body);
  EXPECT_EQ(j["tilejson"], "3.0.0");
  const std::string tiles = j["tiles"][0];
  EXPECT_EQ(tiles, "http://127.0.0.1:" + std::to_string(port()) +
                       "/tiles/grids.village,incidents/{z}/{x}/{y}.mvt?offset=gcj02&status=reported");
  ASSERT_EQ(j["vector_layers"].size(), 2u);
  EXPECT_EQ(j["vector_layers"][0]["id"], "grids.village");
  EXPECT_EQ(j["vector_layers"][1]["id"], "incidents");
  EXPECT_TRUE(j["vector_layers"][1]["fields"].contains("count"));
  // Bounds: the fixture's rectangle shifted into GCJ-02 (a few hundred metres east/south here).
  const auto b = j["bounds"];
  EXPECT_NEAR(b[0].get<double>(), 120.0, 0.01);
  EXPECT_NEAR(b[3].get<double>(), 30.2, 0.01);
  EXPECT_NE(b[0].get<double>(), 120.0);

  const json c = json::parse(get("/tiles/cgcs2000/grids.json").body);
  EXPECT_EQ(c["crs"], "EPSG:4490");
  EXPECT_EQ(c["minzoom"], 1);
  EXPECT_NE(c["tiles"][0].get<std::string>().find("/tiles/cgcs2000/grids/{z}/{x}/{y}.mvt"), std::string::npos);
}

TEST_F(TilesHttpTest, TilesHoldTheRecordsOfTheirArea) {
  // At zoom 14 incidents are individual points: the ids in the tile of an incident include it,
  // and every id GDAL decodes is an incident within the tile's reach.
  for (const auto& inc : oracle_->incidents) {
    const Tile t = mercator_tile(inc.location.lon, inc.location.lat, 14);
    const HttpResponse r = get("/tiles/incidents/" + t.path() + ".mvt");
    ASSERT_EQ(r.status, 200) << t.path();
    const auto ids = decode_ids(dir_->path() + "/decode", t, r.body);
    ASSERT_TRUE(ids.count("incidents"));
    EXPECT_TRUE(ids.at("incidents").count(inc.fid)) << inc.fid << " missing from " << t.path();
    for (int64_t id : ids.at("incidents")) {
      const auto& other = *std::find_if(oracle_->incidents.begin(), oracle_->incidents.end(),
                                        [&](const auto& i) { return i.fid == id; });
      const Tile o = mercator_tile(other.location.lon, other.location.lat, 14);
      EXPECT_LE(std::abs(o.x - t.x), 1);
      EXPECT_LE(std::abs(o.y - t.y), 1);
    }
  }
}

TEST_F(TilesHttpTest, GzipOnlyWhenAcceptedAndTheBytesAreTheSame) {
  const Tile t = mercator_tile(120.1, 30.1, 10);
  const std::string target = "/tiles/grids,households/" + t.path() + ".mvt";
  const HttpResponse plain = get(target);
  ASSERT_EQ(plain.status, 200);
  EXPECT_EQ(plain.header("Content-Type"), "application/vnd.mapbox-vector-tile");
  EXPECT_EQ(plain.header("Content-Encoding"), "");
  EXPECT_EQ(plain.header("Vary"), "Accept-Encoding");
  for (const char* ae : {"gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.5", "*"}) {
    const HttpResponse z = get(target, {std::string("Accept-Encoding: ") + ae});
    SCOPED_TRACE(ae);
    ASSERT_EQ(z.status, 200);
    EXPECT_EQ(z.header("Content-Encoding"), "gzip");
    EXPECT_EQ(gunzip(z.body), plain.body);
    EXPECT_NE(z.header("ETag"), plain.header("ETag"));
  }
  for (const char* ae : {"identity", "gzip;q=0", "deflate, br", "*;q=0"}) {
    const HttpResponse r = get(target, {std::string("Accept-Encoding: ") + ae});
    SCOPED_TRACE(ae);
    EXPECT_EQ(r.header("Content-Encoding"), "");
    EXPECT_EQ(r.body, plain.body);
  }
}

TEST_F(TilesHttpTest, EtagRevalidationAnswers304) {
  const Tile t = mercator_tile(120.1, 30.1, 11);
  const std::string target = "/tiles/grids.grid/" + t.path() + ".mvt";
  const HttpResponse r = get(target);
  ASSERT_EQ(r.status, 200);
  const std::string etag = r.header("ETag");
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(r.header("Cache-Control"), "no-cache");
  const HttpResponse same = get(target, {"If-None-Match: " + etag});
  EXPECT_EQ(same.status, 304);
  EXPECT_TRUE(same.body.empty());
  EXPECT_EQ(same.header("ETag"), etag);
  EXPECT_EQ(get(target, {"If-None-Match: \"other\", W/" + etag}).status, 304);
  EXPECT_EQ(get(target, {"If-None-Match: \"other\""}).status, 200);
}

TEST_F(TilesHttpTest, AnEmptyTileIs204) {
  const HttpResponse r = get("/tiles/grids,households/12/100/100.mvt");  // far from the county
  EXPECT_EQ(r.status, 204);
  EXPECT_TRUE(r.body.empty());
  EXPECT_EQ(r.header("Content-Length"), "");
}

TEST_F(TilesHttpTest, BadRequestsName400TheirParameter) {
  const HttpResponse bad_zoom = get("/tiles/grids/25/0/0.mvt");
  expect_error(bad_zoom, 400, "z");
  EXPECT_EQ(bad_zoom.header("Access-Control-Allow-Origin"), "*");  // pages can read the error
  expect_error(get("/tiles/grids/3/8/0.mvt"), 400, "x");
  expect_error(get("/tiles/grids/3/0/8.mvt"), 400, "y");
  expect_error(get("/tiles/cgcs2000/grids/0/0/0.mvt"), 400, "z");  // the 'c' set starts at 1
  expect_error(get("/tiles/cgcs2000/grids/1/0/1.mvt"), 400, "y");  // 2 x 1 tiles at zoom 1
  expect_error(get("/tiles/grids/3/a/0.mvt"), 400, "x");
  expect_error(get("/tiles/parcels/3/0/0.mvt"), 400, "layers");
  expect_error(get("/tiles/grids,grids/3/0/0.mvt"), 400, "layers");
  expect_error(get("/tiles/grids/3/0/0.mvt?colour=red"), 400, "colour");
  expect_error(get("/tiles/grids/3/0/0.mvt?offset=bd09"), 400, "offset");
  expect_error(get("/tiles/grids/3/0/0.mvt?status=closed"), 400, "status");
  expect_error(get("/tiles/incidents/3/0/0.mvt?since=yesterday"), 400, "since");
  expect_error(get("/tiles/incidents/3/0/0.mvt?since=2026-01-02&until=2026-01-01"), 400, "until");
  expect_error(get("/tiles/grids/3/0.mvt"), 404, "");
}

TEST_F(TilesHttpTest, WritesNeedTheToken) {
  expect_error(send("POST", "/incidents", R"({"lon":120.1,"lat":30.1,"category":"0101"})", false), 401, "");
  expect_error(send("POST", "/incidents", R"({"lon":120.1,"category":"0101"})"), 400, "lat");
  expect_error(send("POST", "/incidents", R"({"lon":120.1,"lat":30.1})"), 400, "category");
  expect_error(send("POST", "/incidents", R"({"lon":120.1,"lat":30.1,"category":"0101","colour":1})"), 400, "colour");
  expect_error(send("PATCH", "/incidents/999999", R"({"status":"closed"})"), 404, "");
  expect_error(send("PATCH", "/incidents/1", R"({"status":"lost"})"), 400, "status");
}

TEST_F(TilesHttpTest, AWriteChangesExactlyTheTilesItTouchesBeforeItIsAcknowledged) {
  const double lon = 120.123, lat = 30.111;
  const Tile t = mercator_tile(lon, lat, 15);
  const Tile far = mercator_tile(120.35, 30.05, 15);
  const Tile low = mercator_tile(lon, lat, 9);  // clustered: the count there changes too
  const std::string a = "/tiles/incidents/" + t.path() + ".mvt";
  const std::string b = "/tiles/incidents/" + far.path() + ".mvt";
  const std::string c = "/tiles/incidents,grids/" + low.path() + ".mvt";
  const std::string closed = "/tiles/incidents/" + t.path() + ".mvt?status=closed";
  const HttpResponse a0 = get(a), b0 = get(b), c0 = get(c), d0 = get(closed);

  const HttpResponse created = send("POST", "/incidents", json{{"lon", lon}, {"lat", lat}, {"category", "0101"}}.dump());
  ASSERT_EQ(created.status, 201) << created.body;
  const json inc = json::parse(created.body);
  const int64_t id = inc["id"];
  EXPECT_EQ(inc["status"], "reported");
  EXPECT_EQ(inc["grid_code"], "330521001002001");  // 120.123: town 1 [120, 120.2], village 2, grid 1
  EXPECT_EQ(created.header("Location"), "/incidents/" + std::to_string(id));

  const HttpResponse a1 = get(a), b1 = get(b), c1 = get(c), d1 = get(closed);
  EXPECT_NE(a1.header("ETag"), a0.header("ETag"));
  EXPECT_TRUE(decode_ids(dir_->path() + "/w1", t, a1.body).at("incidents").count(id));
  EXPECT_EQ(b1.header("ETag"), b0.header("ETag"));  // far away: untouched
  EXPECT_NE(c1.header("ETag"), c0.header("ETag"));  // the cluster count there went up
  EXPECT_EQ(d1.status, d0.status);                   // a reported incident is not in the closed view
  EXPECT_EQ(d1.header("ETag"), d0.header("ETag"));

  // Closing it changes the closed view; moving it far away takes it out of its old tile.
  ASSERT_EQ(send("PATCH", "/incidents/" + std::to_string(id), R"({"status":"closed"})").status, 200);
  const HttpResponse d2 = get(closed);
  ASSERT_EQ(d2.status, 200);
  EXPECT_TRUE(decode_ids(dir_->path() + "/w2", t, d2.body).at("incidents").count(id));
  ASSERT_EQ(send("PATCH", "/incidents/" + std::to_string(id), R"({"lon":120.35,"lat":30.05})").status, 200);
  const HttpResponse a3 = get(a), b3 = get(b);
  const auto ids = a3.status == 200 ? decode_ids(dir_->path() + "/w3", t, a3.body) : decltype(decode_ids("", t, "")){};
  EXPECT_FALSE(ids.count("incidents") && ids.at("incidents").count(id));
  EXPECT_NE(b3.header("ETag"), b0.header("ETag"));
  EXPECT_TRUE(decode_ids(dir_->path() + "/w4", far, b3.body).at("incidents").count(id));

  // The store has it too (the write was durable before the answer).
  const auto stored = onemap::layers::open_store(store_path_, false)->load();
  const auto it = std::find_if(stored.incidents.begin(), stored.incidents.end(),
                               [&](const auto& i) { return i.fid == id; });
  ASSERT_NE(it, stored.incidents.end());
  EXPECT_EQ(it->status, "closed");
  EXPECT_DOUBLE_EQ(it->location.lon, 120.35);

  const std::string metrics = get("/metrics").body;
  EXPECT_NE(metrics.find("# TYPE onemap_tile_build_seconds histogram"), std::string::npos);
  const auto pos = metrics.find("\nonemap_tile_cache_invalidations_total ");
  ASSERT_NE(pos, std::string::npos);
  EXPECT_GE(std::stol(metrics.substr(pos + 39)), 4);
}

TEST(TilesWithoutToken, WritesAreRefused) {
  TempDir dir;
  const std::string store = onemap::testing::write_small_county(dir.path());
  ServerProcess server(ONEMAP_BINARY, {"--data", store}, dir.path() + "/serve.log");
  HttpConnection c(server.port());
  const std::string body = R"({"lon":120.1,"lat":30.1,"category":"0101"})";
  c.send_request("POST", "/incidents", {"Authorization: Bearer anything", "Content-Length: " + std::to_string(body.size())});
  c.send_raw(body);
  EXPECT_EQ(c.read_response().status, 403);
  server.stop(SIGTERM, 10s);
}
