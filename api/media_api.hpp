// Photos of incidents over HTTP (issue 15 item 5):
//
//   POST /incidents/{id}/media?kind=report|before|after   body: the image (Content-Type
//        image/jpeg, image/png or image/webp), by a user who may add one (County::attach_media)
//        → 201 {id, incident, kind, url, thumbnail_url}
//   GET  /media/{id}              the original to those who read the incident as staff (and its
//                                 reporter); the public copy, without EXIF, to everyone else
//   GET  /media/{id}?size=thumb   the thumbnail (JPEG, no metadata), to everyone who sees it
//
// A photo is there for a viewer only when its incident is (auth::may_see_incident: never a
// sensitive category's to the public). An upload is checked by decoding it
// (layers/media/image.hpp): anything else is a 400 naming "body" (or "Content-Type", "kind").
#pragma once

#include "auth/read_policy.hpp"
#include "http/router.hpp"
#include "layers/county/county.hpp"
#include "layers/media/image.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace onemap::api {

/// The largest photo an upload takes (layers/media/image.hpp's limit).
inline constexpr std::size_t kMaxPhotoBytes = layers::media::ImageLimits{}.max_bytes;

/// Whether `viewer` reads the originals of the incident's photos and where their cameras were
/// (EXIF): staff of its area and more, and its reporter (incident_audience).
bool reads_original_media(const auth::Viewer& viewer, const layers::Incident& incident);

/// The incident's photos as `viewer` reads them: id, kind, type, size, time and links (`base_url`
/// before them), with exif_lon/exif_lat for reads_original_media. The caller holds county.read().
nlohmann::ordered_json media_json(const layers::County& county, const layers::Incident& incident,
                                  const auth::Viewer& viewer, const std::string& base_url);

/// The link to the first photo taken with the incident's report ("" when none): Open311's
/// media_url. The caller holds county.read().
std::string report_photo_url(const layers::County& county, const layers::Incident& incident,
                             const std::string& base_url);

/// A photo upload checked by decoding (layers/media/image.hpp) with its public copy and
/// thumbnail made, ready for County::attach_media. `type`: the media type the request gave it.
/// @throws InvalidArgument naming `parameter` (the body, or Open311's media).
layers::Media checked_upload(std::string_view bytes, std::string_view type, std::string kind,
                             const std::string& parameter);

/// Adds POST /incidents/{id}/media and GET /media/{id} to `router`.
void add_media_routes(http::Router& router, const std::shared_ptr<layers::County>& county,
                      std::shared_ptr<const auth::ReadPolicy> policy);

}  // namespace onemap::api
