// The web map's static serving (api/web_app.hpp), in process: GET / negotiated between the app and
// the JSON landing page, the files' content types, ETags, 304s, gzip and cache lifetimes, the
// generated config.json, a missing app, and a rebuilt app picked up without a restart.
#include "api/web_app.hpp"

#include "core/errors.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace fs = std::filesystem;
using onemap::api::HttpAnswer;
using onemap::api::WebApp;
using onemap::api::WebAppOptions;
using Query = std::vector<std::pair<std::string, std::string>>;

namespace {

constexpr const char* kBrowser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

std::string header(const HttpAnswer& a, const std::string& name) {
  for (const auto& [k, v] : a.headers)
    if (k == name) return v;
  return {};
}

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

class WebAppTest : public ::testing::Test {
 protected:
  void SetUp() override {
    write(dir / "index.html", "<!doctype html><div id=\"map\"></div>");
    script = "// app\n" + std::string(4000, 'x') + "\n";
    write(dir / "assets" / "app-0123abcd.js", script);
    write(dir / "assets" / "style-4567.css", "body{margin:0}");
  }
  std::optional<HttpAnswer> get(const WebApp& app, const std::string& path,
                                const std::string& accept = kBrowser, const Query& query = {},
                                const std::string& encoding = "",
                                const std::string& none_match = "") {
    return app.handle(path, query, accept, encoding, none_match);
  }

  onemap::testing::TempDir tmp;
  const fs::path dir = tmp.path();
  std::string script;
};

}  // namespace

TEST(WebAppNegotiation, BrowsersPreferHtmlOtherClientsJson) {
  EXPECT_TRUE(WebApp::prefers_html(kBrowser, {}));
  EXPECT_TRUE(WebApp::prefers_html("text/html", {}));
  EXPECT_FALSE(WebApp::prefers_html("", {}));     // GDAL, scripts
  EXPECT_FALSE(WebApp::prefers_html("*/*", {}));  // curl
  EXPECT_FALSE(WebApp::prefers_html("application/json", {}));
  EXPECT_FALSE(WebApp::prefers_html("application/json, text/html;q=0.5", {}));
  EXPECT_FALSE(WebApp::prefers_html("text/html, application/json", {}));  // a tie stays JSON
  EXPECT_FALSE(WebApp::prefers_html("text/html;q=0", {}));
  EXPECT_TRUE(WebApp::prefers_html("application/json;q=0.5, text/*", {}));
  EXPECT_FALSE(WebApp::prefers_html(kBrowser, {{"f", "json"}}));
  EXPECT_TRUE(WebApp::prefers_html("*/*", {{"f", "html"}}));
}

TEST_F(WebAppTest, RootIsTheAppForBrowsersOnly) {
  WebApp app({dir.string(), {}});
  ASSERT_TRUE(app.available());
  const auto html = get(app, "/");
  ASSERT_TRUE(html);
  EXPECT_EQ(html->status, 200);
  EXPECT_EQ(html->content_type, "text/html; charset=utf-8");
  EXPECT_NE(html->body.find("id=\"map\""), std::string::npos);
  EXPECT_EQ(header(*html, "Cache-Control"), "no-cache");
  EXPECT_EQ(header(*html, "Vary"), "Accept, Accept-Encoding");
  EXPECT_FALSE(get(app, "/", "application/json"));
  EXPECT_FALSE(get(app, "/", ""));
  EXPECT_FALSE(get(app, "/", kBrowser, {{"f", "json"}}));
  EXPECT_FALSE(get(app, "/collections"));
  EXPECT_FALSE(get(app, "/tiles/grids.json"));
  EXPECT_FALSE(get(app, "/apps"));
  for (const char* p : {"/app", "/app/", "/app/index.html"}) {
    const auto a = get(app, p, "*/*");
    ASSERT_TRUE(a) << p;
    EXPECT_EQ(a->body, html->body) << p;
  }
}

TEST_F(WebAppTest, AssetsCarryTypesEtagsGzipAndLongCaching) {
  WebApp app({dir.string(), {}});
  const auto js = get(app, "/app/assets/app-0123abcd.js", "*/*");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->body, script);
  EXPECT_EQ(js->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(header(*js, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(header(*js, "Vary"), "Accept-Encoding");
  const std::string etag = header(*js, "ETag");
  ASSERT_EQ(etag.size(), 18u);
  EXPECT_EQ(etag.front(), '"');

  const auto not_modified = get(app, "/app/assets/app-0123abcd.js", "*/*", {}, "", etag);
  ASSERT_TRUE(not_modified);
  EXPECT_EQ(not_modified->status, 304);
  EXPECT_TRUE(not_modified->body.empty());
  EXPECT_EQ(get(app, "/app/assets/app-0123abcd.js", "*/*", {}, "", "W/" + etag)->status, 304);
  EXPECT_EQ(get(app, "/app/assets/app-0123abcd.js", "*/*", {}, "", "\"other\"")->status, 200);

  const auto gz = get(app, "/app/assets/app-0123abcd.js", "*/*", {}, "gzip, deflate");
  ASSERT_TRUE(gz);
  EXPECT_EQ(header(*gz, "Content-Encoding"), "gzip");
  ASSERT_GE(gz->body.size(), 2u);
  EXPECT_EQ(static_cast<unsigned char>(gz->body[0]), 0x1f);
  EXPECT_EQ(static_cast<unsigned char>(gz->body[1]), 0x8b);
  EXPECT_LT(gz->body.size(), script.size());
  EXPECT_NE(header(*gz, "ETag"), etag);  // another representation, another tag
  EXPECT_EQ(get(app, "/app/assets/app-0123abcd.js", "*/*", {}, "gzip", header(*gz, "ETag"))->status,
            304);
  // Small files are not worth it.
  const auto css = get(app, "/app/assets/style-4567.css", "*/*", {}, "gzip");
  EXPECT_EQ(css->content_type, "text/css; charset=utf-8");
  EXPECT_EQ(header(*css, "Content-Encoding"), "");
}

TEST_F(WebAppTest, OnlyFilesOfTheAppAreServed) {
  WebApp app({dir.string(), {}});
  EXPECT_THROW(get(app, "/app/assets/missing.js"), onemap::NotFound);
  EXPECT_THROW(get(app, "/app/../index.html"), onemap::NotFound);
  EXPECT_THROW(get(app, "/app/assets/../../etc/passwd"), onemap::NotFound);
}

TEST_F(WebAppTest, ConfigNamesTheBasemapsAndTheirOffset) {
  {
    WebApp app({dir.string(), {}});
    const auto j = nlohmann::json::parse(get(app, "/app/config.json", "*/*")->body);
    EXPECT_TRUE(j["basemaps"].empty());
    EXPECT_TRUE(j["offset"].is_null());
  }
  WebApp app(
      {dir.string(),
       {"https://webrd0{s}.is.autonavi.com/appmaptile?style=8&x={x}&y={y}&z={z}",
        "https://t0.tianditu.gov.cn/cva_w/wmts?tk=KEY&TILEMATRIX={z}&TILEROW={y}&TILECOL={x}"}});
  const auto a = get(app, "/app/config.json", "*/*");
  EXPECT_EQ(a->content_type, "application/json");
  const auto j = nlohmann::json::parse(a->body);
  ASSERT_EQ(j["basemaps"].size(), 2u);
  EXPECT_EQ(j["basemaps"][0]["kind"], "amap");
  EXPECT_EQ(j["basemaps"][1]["kind"], "tianditu");
  EXPECT_EQ(j["offset"], "gcj02");
  EXPECT_EQ(onemap::api::basemap_kind("https://tile.example.org/{z}/{x}/{y}.png"), "xyz");
}

TEST_F(WebAppTest, AMissingAppIsReportedAndRootStaysJson) {
  const fs::path missing = dir / "not-built";
  WebApp app({missing.string(), {}});
  EXPECT_FALSE(app.available());
  EXPECT_NE(app.status_message().find("not found"), std::string::npos);
  EXPECT_NE(app.status_message().find(missing.string()), std::string::npos);
  EXPECT_FALSE(get(app, "/"));  // the landing page as JSON, even for a browser
  try {
    get(app, "/app/");
    FAIL() << "expected NotFound";
  } catch (const onemap::NotFound& e) {
    EXPECT_NE(std::string(e.what()).find("scripts/build"), std::string::npos);
  }
  const auto [ok, message] = onemap::api::web_app_status(dir.string());
  EXPECT_TRUE(ok);
  EXPECT_NE(message.find("3 files"), std::string::npos);
}

TEST_F(WebAppTest, ARebuiltAppIsServedWithoutRestart) {
  WebApp app({dir.string(), {}});
  EXPECT_THROW(get(app, "/app/assets/app-new.js"), onemap::NotFound);
  write(dir / "assets" / "app-new.js", "// new\n");
  write(dir / "index.html", "<!doctype html><script src=\"/app/assets/app-new.js\"></script>");
  // Make sure the modification time differs from the first index.html's.
  fs::last_write_time(dir / "index.html",
                      fs::last_write_time(dir / "index.html") + std::chrono::seconds(2));
  EXPECT_NE(get(app, "/")->body.find("app-new.js"), std::string::npos);
  EXPECT_EQ(get(app, "/app/assets/app-new.js", "*/*")->body, "// new\n");
}
