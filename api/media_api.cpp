// Photos of incidents over HTTP (media_api.hpp).
#include "api/media_api.hpp"

#include "api/upload.hpp"
#include "core/errors.hpp"
#include "layers/media/image.hpp"
#include "layers/model/text.hpp"

#include <charconv>

namespace onemap::api {

namespace {

using json = nlohmann::ordered_json;

// The positive integer id of a path parameter. @throws NotFound naming `what`.
int64_t path_id(std::string_view text, const char* what) {
  int64_t v = 0;
  const auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || v <= 0)
    throw NotFound("no " + std::string(what) + " with id '" + std::string(text) +
                   "' (ids are positive integers)");
  return v;
}

std::string photo_url(const std::string& base_url, int64_t id) {
  return base_url + "/media/" + std::to_string(id);
}

bool sensitive(const layers::County& county, const layers::Incident& i) {
  const auto* c = county.dispatch_config().find(i.category);
  return c && c->sensitive;
}

http::Response upload(layers::County& county, http::Context& c) {
  const int64_t fid = path_id(c.param("id"), "incident");
  county.incident(fid);  // NotFound before the body is decoded
  std::string kind = "report";
  for (const auto& [k, v] : c.query)
    if (k == "kind") {
      layers::check_text(v, "kind", layers::TextKind::Id);
      kind = v;
    }
  const std::string type = media_type(c.request);
  if (type != "image/jpeg" && type != "image/png" && type != "image/webp")
    throw InvalidArgument("Content-Type",
                          "must be image/jpeg, image/png or image/webp (the "
                          "photo's bytes are the body)");
  const layers::MediaInfo info = county.attach_media(
      fid, checked_upload(c.request.body, type, std::move(kind), "body"), *c.user);
  const std::string url = photo_url(c.base_url, info.id);
  http::Response r;
  r.status = 201;
  r.body = layers::json_text(json{{"id", info.id},
                                  {"incident", fid},
                                  {"kind", info.kind},
                                  {"url", url},
                                  {"thumbnail_url", url + "?size=thumb"}});
  r.headers = {{"Location", url}, {"Cache-Control", "no-store"}};
  return r;
}

http::Response photo(const layers::County& county, const auth::ReadPolicy& policy,
                     http::Context& c) {
  const int64_t id = path_id(c.param("id"), "photo");
  bool thumb = false;
  for (const auto& [k, v] : c.query)
    if (k == "size") {
      if (v != "thumb") throw InvalidArgument("size", "must be thumb (or left out: the photo)");
      thumb = true;
    }
  const layers::MediaInfo info = county.media_info(id);
  const layers::Incident incident = county.incident(info.incident);
  const auth::Viewer viewer = policy.viewer(c.user);
  // A photo of an incident the viewer may not see is not there for it.
  if (!auth::may_see_incident(viewer, incident, sensitive(county, incident)))
    throw NotFound("no photo with id " + std::to_string(id));
  const layers::MediaPart part = thumb ? layers::MediaPart::Thumbnail
                                 : reads_original_media(viewer, incident)
                                     ? layers::MediaPart::Original
                                     : layers::MediaPart::PublicCopy;
  http::Response r;
  r.body = county.media_bytes(id, part);
  r.content_type = thumb ? "image/jpeg" : info.content_type;
  // Who reads which copy depends on the token (Vary: Authorization): shared caches keep none.
  r.headers = {{"Cache-Control", "private, max-age=300"},
               {"X-Content-Type-Options", "nosniff"},
               {"ETag", "\"" + info.sha256.substr(0, 16) + (thumb ? "-t" : "") +
                            (part == layers::MediaPart::PublicCopy ? "-p" : "") + "\""}};
  return r;
}

}  // namespace

layers::Media checked_upload(std::string_view bytes, std::string_view type, std::string kind,
                             const std::string& parameter) {
  layers::media::CheckedImage checked = layers::media::check_image(bytes, type, parameter);
  layers::Media m;
  m.info.kind = std::move(kind);
  m.info.content_type = checked.content_type;
  m.info.width = checked.width;
  m.info.height = checked.height;
  m.info.exif_location = checked.exif_location;
  m.info.sha256 = std::move(checked.sha256);
  m.original = std::string(bytes);
  m.public_copy = std::move(checked.public_copy);
  m.thumbnail = std::move(checked.thumbnail);
  return m;
}

bool reads_original_media(const auth::Viewer& viewer, const layers::Incident& incident) {
  return static_cast<int>(auth::incident_audience(viewer, incident)) >=
         static_cast<int>(auth::Audience::Staff);
}

json media_json(const layers::County& county, const layers::Incident& incident,
                const auth::Viewer& viewer, const std::string& base_url) {
  const bool original = reads_original_media(viewer, incident);
  json out = json::array();
  for (const layers::MediaInfo& m : county.media_of(incident.fid)) {
    const std::string url = photo_url(base_url, m.id);
    json j = {{"id", m.id},
              {"kind", m.kind},
              {"content_type", m.content_type},
              {"width", m.width},
              {"height", m.height},
              {"at", layers::format_time(m.at)},
              {"url", url},
              {"thumbnail_url", url + "?size=thumb"}};
    if (original) {
      j["exif_lon"] = m.exif_location ? json(m.exif_location->lon) : json(nullptr);
      j["exif_lat"] = m.exif_location ? json(m.exif_location->lat) : json(nullptr);
    }
    out.push_back(std::move(j));
  }
  return out;
}

std::string report_photo_url(const layers::County& county, const layers::Incident& incident,
                             const std::string& base_url) {
  for (const layers::MediaInfo& m : county.media_of(incident.fid))
    if (m.kind == "report") return photo_url(base_url, m.id);
  return {};
}

void add_media_routes(http::Router& router, const std::shared_ptr<layers::County>& county,
                      std::shared_ptr<const auth::ReadPolicy> policy) {
  http::Route post;
  post.methods = {"POST"};
  post.pattern = "/incidents/{id}/media";
  post.handler = [county](http::Context& c) { return upload(*county, c); };
  post.lane = http::Lane::Write;
  post.audience = http::Audience::Signed;
  post.max_body = kMaxPhotoBytes;
  post.parameters = std::vector<std::string>{"kind"};
  router.add(std::move(post));

  http::Route get;
  get.methods = {"GET"};
  get.pattern = "/media/{id}";
  get.handler = [county, policy](http::Context& c) { return photo(*county, *policy, c); };
  get.parameters = std::vector<std::string>{"size"};
  router.add(std::move(get));
}

}  // namespace onemap::api
