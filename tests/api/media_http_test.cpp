// Photos of incidents through the server's route table in process (api/media_api.hpp): uploads by
// the people of an incident, what each audience reads back (read with GDAL: the public's copies
// carry no EXIF GPS), thumbnails, Open311's media_url, refusals, the read policy and the store.
// The images the test writes with GDAL are the truth.
#include "tests/support/api_harness.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/images.hpp"

#include "layers/store/store.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

using json = nlohmann::json;
using namespace onemap::testing;

namespace {

class MediaHttp : public SharedApi<MediaHttp> {
 public:
  static std::unique_ptr<ApiHarness> make_api() {
    auto api = std::make_unique<ApiHarness>(write_dispatch_county);
    api->add_user("app", "reporter");
    api->add_user("ft1", "worker", "", "FT1");
    api->add_user("ft2", "worker", "", "FT2");
    api->add_user("head", "worker", "", "HEAD");
    api->add_user("centre", "centre", "330521001");
    api->add_user("elsewhere", "centre", "330521002");
    return api;
  }

 protected:
  static std::string token(const std::string& who) {
    return who == "admin" ? std::string(kAdminToken) : who.empty() ? "" : api().token(who);
  }
  // An incident reported by the channel "app" in the team's grid: its id.
  static int64_t report(const std::string& category = "0101") {
    const HttpResponse r = api().send(
        "POST", "/incidents",
        json{{"lon", 120.036}, {"lat", 30.11}, {"category", category}, {"description", "photo"}}
            .dump(),
        token("app"));
    EXPECT_EQ(r.status, 201) << r.body;
    return json::parse(r.body)["id"].get<int64_t>();
  }
  static HttpResponse upload(int64_t incident, const std::string& bytes, const std::string& type,
                             const std::string& who, const std::string& kind = "report") {
    return api().send(
        "POST",
        "/incidents/" + std::to_string(incident) + "/media" + (kind.empty() ? "" : "?kind=" + kind),
        bytes, token(who), type);
  }
  // A photo uploaded that must be taken: its answer.
  static json uploaded(int64_t incident, const std::string& bytes, const std::string& type,
                       const std::string& who, const std::string& kind = "report") {
    const HttpResponse r = upload(incident, bytes, type, who, kind);
    EXPECT_EQ(r.status, 201) << r.body;
    return r.status == 201 ? json::parse(r.body) : json();
  }
  static HttpResponse get(const std::string& target, const std::string& who = "") {
    return api().get(target, token(who));
  }
  // The path of one of the server's links.
  static std::string path(const json& url) {
    const std::string u = url.get<std::string>();
    EXPECT_EQ(u.rfind(ApiHarness::base_url(), 0), 0u) << u;
    return u.substr(ApiHarness::base_url().size());
  }
};

}  // namespace

TEST_F(MediaHttp, TheReporterUploadsAndEachAudienceReadsItsCopy) {
  const int64_t id = report();
  const std::string jpeg = make_image("JPEG", 900, 700, 3, gps_exif());
  ASSERT_TRUE(has_gps(read_image(jpeg)));
  const json photo = uploaded(id, jpeg, "image/jpeg", "app");
  ASSERT_TRUE(photo.is_object());
  EXPECT_EQ(photo["kind"], "report");
  EXPECT_EQ(photo["incident"], id);
  const std::string url = path(photo["url"]);
  EXPECT_EQ(url, "/media/" + std::to_string(photo["id"].get<int64_t>()));
  EXPECT_EQ(path(photo["thumbnail_url"]), url + "?size=thumb");

  // Staff and the reporter: the original, as sent, EXIF and all.
  for (const char* who : {"admin", "centre", "app"}) {
    const HttpResponse r = get(url, who);
    ASSERT_EQ(r.status, 200) << who << r.body;
    EXPECT_EQ(r.headers.at("content-type"), "image/jpeg");
    EXPECT_EQ(r.body, jpeg) << who;
  }
  // The public: the same picture without any EXIF.
  const HttpResponse pub = get(url);
  ASSERT_EQ(pub.status, 200);
  EXPECT_EQ(pub.headers.at("content-type"), "image/jpeg");
  const ImageRead seen = read_image(pub.body);
  EXPECT_EQ(seen.driver, "JPEG");
  EXPECT_EQ(std::pair(seen.width, seen.height), std::pair(900, 700));
  EXPECT_FALSE(has_gps(seen));
  EXPECT_NE(pub.body, jpeg);
  // Everyone: the thumbnail, without any EXIF.
  for (const char* who : {"", "admin"}) {
    const HttpResponse t = get(url + "?size=thumb", who);
    ASSERT_EQ(t.status, 200);
    EXPECT_EQ(t.headers.at("content-type"), "image/jpeg");
    const ImageRead thumb = read_image(t.body);
    EXPECT_EQ(std::pair(thumb.width, thumb.height), thumbnail_size(900, 700));
    EXPECT_FALSE(has_gps(thumb));
  }

  // The incident lists its photos; where the camera was is staff's.
  const json staff = json::parse(get("/incidents/" + std::to_string(id), "admin").body);
  ASSERT_EQ(staff["media"].size(), 1u);
  EXPECT_EQ(staff["media"][0]["id"], photo["id"]);
  EXPECT_EQ(staff["media"][0]["kind"], "report");
  EXPECT_EQ(staff["media"][0]["width"], 900);
  EXPECT_NEAR(staff["media"][0]["exif_lat"].get<double>(), kGpsLat, 1e-9);
  EXPECT_NEAR(staff["media"][0]["exif_lon"].get<double>(), kGpsLon, 1e-9);
  const json anonymous = json::parse(get("/incidents/" + std::to_string(id)).body);
  ASSERT_EQ(anonymous["media"].size(), 1u);
  EXPECT_EQ(anonymous["media"][0]["url"], photo["url"]);
  EXPECT_FALSE(anonymous["media"][0].contains("exif_lat"));
  EXPECT_FALSE(anonymous["media"][0].contains("exif_lon"));

  // The trail records it.
  const json trail =
      json::parse(get("/incidents/" + std::to_string(id) + "/history", "admin").body);
  const json& last = trail["events"].back();
  EXPECT_EQ(last["action"], "media");
  EXPECT_EQ(last["detail"]["media"], photo["id"]);
  EXPECT_EQ(last["detail"]["kind"], "report");
}

TEST_F(MediaHttp, TheAssigneeAddsBeforeAndAfterInPngAndWebp) {
  const int64_t id = report();
  const std::string assignee =
      json::parse(get("/incidents/" + std::to_string(id), "admin").body)["assignee"];
  ASSERT_TRUE(assignee == "FT1" || assignee == "FT2") << assignee;
  const std::string user = assignee == "FT1" ? "ft1" : "ft2";
  const std::string png = make_image("PNG", 320, 640, 4);
  const std::string webp = make_image("WEBP", 500, 200, 3);
  const json before = uploaded(id, png, "image/png", user, "before");
  const json after = uploaded(id, webp, "image/webp", user, "after");
  // The grid head, in its grid, may too.
  uploaded(id, make_image("PNG", 40, 30, 1, {}, true), "image/png", "head", "after");
  for (const auto& [photo, bytes, type, w, h] : {std::tuple(before, png, "image/png", 320, 640),
                                                 std::tuple(after, webp, "image/webp", 500, 200)}) {
    EXPECT_EQ(get(path(photo["url"]), "admin").body, bytes);
    const HttpResponse pub = get(path(photo["url"]));
    EXPECT_EQ(pub.headers.at("content-type"), type);
    const ImageRead r = read_image(pub.body);
    EXPECT_EQ(std::pair(r.width, r.height), std::pair(w, h));
    const ImageRead t = read_image(get(path(photo["thumbnail_url"])).body);
    EXPECT_EQ(t.driver, "JPEG");
    EXPECT_EQ(std::pair(t.width, t.height), thumbnail_size(w, h));
  }
  const json listed = json::parse(get("/incidents/" + std::to_string(id), "admin").body)["media"];
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0]["kind"], "before");
  EXPECT_EQ(listed[1]["kind"], "after");
  EXPECT_TRUE(listed[0]["exif_lat"].is_null());
}

TEST_F(MediaHttp, Open311MediaUrlIsTheFirstReportPhoto) {
  const int64_t id = report();
  const std::string target = "/open311/v2/requests/" + std::to_string(id) + ".json";
  EXPECT_TRUE(json::parse(get(target).body)[0]["media_url"].is_null());
  uploaded(id, make_image("JPEG", 64, 64, 3), "image/jpeg", "centre", "before");
  const json first = uploaded(id, make_image("JPEG", 80, 60, 3), "image/jpeg", "app");
  uploaded(id, make_image("JPEG", 60, 80, 3), "image/jpeg", "app");
  for (const char* who : {"", "admin"}) {
    const json r = json::parse(get(target, who).body);
    EXPECT_EQ(r[0]["media_url"], first["url"]) << who;
  }
  const json list =
      json::parse(get("/open311/v2/requests.json?service_request_id=" + std::to_string(id)).body);
  EXPECT_EQ(list[0]["media_url"], first["url"]);
}

TEST_F(MediaHttp, RefusesWhatIsNoPhotoAndWhoTakesNoPart) {
  const int64_t id = report();
  const std::string jpeg = make_image("JPEG", 400, 300, 3);
  expect_error(upload(id, "not a photo at all", "image/jpeg", "app"), 400, "", "body");
  expect_error(upload(id, jpeg.substr(0, jpeg.size() / 2), "image/jpeg", "app"), 400, "", "body");
  expect_error(upload(id, make_image("PNG", 30, 30, 3), "image/jpeg", "app"), 400, "", "body");
  expect_error(upload(id, make_image("PNG", 8001, 2, 1), "image/png", "app"), 400, "", "body");
  expect_error(upload(id, "", "image/jpeg", "app"), 400, "", "body");
  expect_error(upload(id, jpeg, "text/plain", "app"), 400, "", "Content-Type");
  expect_error(upload(id, jpeg, "", "app"), 400, "", "Content-Type");
  expect_error(upload(id, jpeg, "image/jpeg", "app", "sideways"), 400, "", "kind");
  expect_error(api().send("POST", "/incidents/" + std::to_string(id) + "/media?size=1", jpeg,
                          token("app"), "image/jpeg"),
               400, "", "size");
  expect_error(upload(id, jpeg, "image/jpeg", ""), 401);
  const std::string assignee =
      json::parse(get("/incidents/" + std::to_string(id), "admin").body)["assignee"];
  expect_error(upload(id, jpeg, "image/jpeg", assignee == "FT1" ? "ft2" : "ft1"), 403);
  expect_error(upload(id, jpeg, "image/jpeg", "elsewhere"), 403, "forbidden_scope");
  expect_error(upload(999999, jpeg, "image/jpeg", "admin"), 404);
  expect_error(upload(0, jpeg, "image/jpeg", "admin"), 404);
  // Nothing of the refused was stored.
  EXPECT_TRUE(json::parse(get("/incidents/" + std::to_string(id), "admin").body)["media"].empty());

  expect_error(get("/media/999999"), 404);
  expect_error(get("/media/abc"), 404);
  const json photo = uploaded(id, jpeg, "image/jpeg", "app");
  expect_error(get(path(photo["url"]) + "?size=huge"), 400, "", "size");
  expect_error(get(path(photo["url"]) + "?width=3"), 400, "", "width");
}

TEST_F(MediaHttp, ThePublicGetsNoPhotoOfASensitiveIncident) {
  const int64_t id = report("0801");  // 信访: counts only, to the public
  const json photo = uploaded(id, make_image("JPEG", 120, 90, 3, gps_exif()), "image/jpeg", "app");
  expect_error(get(path(photo["url"])), 404);
  expect_error(get(path(photo["thumbnail_url"])), 404);
  EXPECT_EQ(get(path(photo["url"]), "admin").status, 200);
  EXPECT_EQ(get(path(photo["url"]), "app").status, 200);  // the reporter's own
}

TEST_F(MediaHttp, PhotosAreInTheStoreWhenItIsOpenedAgain) {
  const int64_t id = report();
  const std::string png = make_image("PNG", 200, 100, 3);
  const json photo = uploaded(id, png, "image/png", "app", "report");
  const int64_t media = photo["id"].get<int64_t>();
  auto store = onemap::layers::open_store(api().store_path(), false);
  const auto index = store->load_media_index();
  const auto it = std::find_if(index.begin(), index.end(),
                               [&](const onemap::layers::MediaInfo& m) { return m.id == media; });
  ASSERT_NE(it, index.end());
  EXPECT_EQ(it->incident, id);
  EXPECT_EQ(it->kind, "report");
  EXPECT_EQ(it->content_type, "image/png");
  EXPECT_EQ(std::pair(it->width, it->height), std::pair(200, 100));
  EXPECT_EQ(it->uploaded_by, "app");
  EXPECT_EQ(store->load_media_bytes(media, onemap::layers::MediaPart::Original), png);
  const auto thumb = store->load_media_bytes(media, onemap::layers::MediaPart::Thumbnail);
  ASSERT_TRUE(thumb);
  EXPECT_EQ(read_image(*thumb).width, 200);
  EXPECT_FALSE(store->load_media_bytes(media + 1000, onemap::layers::MediaPart::Original));
  // Its event too.
  bool recorded = false;
  for (const auto& e : store->load_events())
    recorded = recorded || (e.incident == id && e.action == "media");
  EXPECT_TRUE(recorded);
}

TEST_F(MediaHttp, Open311TakesAPhotoInAMultipartRequest) {
  const std::string jpeg = make_image("JPEG", 640, 480, 3, gps_exif());
  auto form = [&](const std::string& photo, const std::string& photo_type) {
    std::string body;
    for (const auto& [k, v] :
         std::vector<std::pair<std::string, std::string>>{{"api_key", token("app")},
                                                          {"service_code", "0101"},
                                                          {"lat", "30.11"},
                                                          {"long", "120.036"},
                                                          {"description", "a photo from the app"}})
      body += "--B0und\r\nContent-Disposition: form-data; name=\"" + k + "\"\r\n\r\n" + v + "\r\n";
    body +=
        "--B0und\r\nContent-Disposition: form-data; name=\"media\"; filename=\"p.jpg\"\r\n"
        "Content-Type: " +
        photo_type + "\r\n\r\n" + photo + "\r\n--B0und--\r\n";
    return api().send("POST", "/open311/v2/requests.json", body, "",
                      "multipart/form-data; boundary=B0und");
  };
  const HttpResponse r = form(jpeg, "image/jpeg");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = json::parse(r.body)[0]["service_request_id"];
  const json request = json::parse(get("/open311/v2/requests/" + id + ".json").body)[0];
  ASSERT_TRUE(request["media_url"].is_string()) << request.dump();
  const std::string url = path(request["media_url"]);
  const ImageRead pub = read_image(get(url).body);
  EXPECT_EQ(std::pair(pub.width, pub.height), std::pair(640, 480));
  EXPECT_FALSE(has_gps(pub));
  EXPECT_EQ(get(url, "admin").body, jpeg);
  const json staff = json::parse(get("/incidents/" + id, "admin").body);
  ASSERT_EQ(staff["media"].size(), 1u);
  EXPECT_EQ(staff["media"][0]["kind"], "report");
  EXPECT_NEAR(staff["media"][0]["exif_lat"].get<double>(), kGpsLat, 1e-9);

  // A photo that is none refuses the request, in Open311's form, naming media.
  expect_error(form(jpeg.substr(0, jpeg.size() / 2), "image/jpeg"), 400, kOpen311, "media");
  expect_error(form("plain text", "application/octet-stream"), 400, kOpen311, "media");
  expect_error(api().send("POST", "/open311/v2/requests.json", "--B0und\r\nbroken", "",
                          "multipart/form-data; boundary=B0und"),
               400, kOpen311, "body");
}
