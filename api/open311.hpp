// Open311 GeoReport v2 (JSON) over the county's incidents:
//
//   GET  /open311/v2/services.json          the categories (service_code = category code)
//   POST /open311/v2/requests.json          a new request: routed at once (layers/county/county.hpp
//   intake) GET  /open311/v2/requests.json          requests by service_request_id, service_code,
//                                           start_date, end_date, status (open|closed)
//   GET  /open311/v2/requests/{id}.json     one request
//
// POST takes application/x-www-form-urlencoded (the standard) or a JSON object with the same keys:
// api_key (a user's token; or Authorization: Bearer), service_code, lat, long, address_string,
// address_id, description, media_url, email, first_name, last_name, phone, device_id,
// account_id, and onemap's `coordinate_system`: WGS84 (default; CGCS2000 is the same to within
// centimetres) or GCJ02 for coordinates from Amap/Tencent-based apps. GET requests also take
// coordinate_system for the coordinates they return. Contact details go to the incident's
// private attributes and never into a public answer.
//
// POST also takes multipart/form-data: the same fields, and a photo as the file `media` (JPEG,
// PNG or WebP; checked as POST /incidents/{id}/media checks one, api/media_api.hpp), stored as
// the request's first report photo once the request is taken (a refused photo refuses the
// request). GET requests' media_url is the first report photo's link.
//
// Errors follow GeoReport v2: a JSON list [{"code": 400, "description": "lat: …"}] (the
// description starts with the parameter at fault), with the HTTP status of the code.
// agency_responsible is the grid, town, department or higher level that holds the request.
#pragma once

#include "auth/read_policy.hpp"
#include "layers/county/county.hpp"

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onemap::api {

struct Open311Request {
  std::string_view method;  ///< "GET", "HEAD", "POST"
  std::string_view path;
  std::vector<std::pair<std::string, std::string>> query;  ///< percent-decoded
  std::string_view body;
  std::string content_type;
  /// "http://host:port" as the client addressed the server (the discovery's endpoint URL).
  std::string base_url;
  /// The user named by a bearer token (Authorization header, or api_key when given); nullopt
  /// when the request carries none. @throws Unauthorized for an unknown token.
  std::function<std::optional<layers::Actor>(const std::string& api_key)> authenticate;
  /// What each audience reads (a request shows only what the user's audience may).
  const auth::ReadPolicy* policy = &auth::ReadPolicy::standard();
  /// Places a request that gives only an address_string (api::Geocoder::place); unset: not placed.
  std::function<void(layers::Report&)> place;
};

struct Open311Answer {
  int status = 200;
  std::string body;  ///< JSON
  std::vector<std::pair<std::string, std::string>> headers;
};

using Open311Params = std::vector<std::pair<std::string, std::string>>;

/// The parameters of a new request (POST requests.json): a form, or a JSON object when the
/// content type names JSON; each parameter known, given once and valid text for its kind.
/// @throws InvalidArgument naming the parameter.
Open311Params read_open311_post(std::string_view body, std::string_view content_type);

/// A new request's body: its parameters, and the photo of a multipart/form-data body's `media`
/// file (empty when none; `media_type`: the part's Content-Type).
struct Open311Post {
  Open311Params params;
  std::string_view media;
  std::string media_type;
};
/// read_open311_post, and multipart/form-data with a `media` file.
/// @throws InvalidArgument naming the parameter (or "body", "Content-Type" for the form's frame).
Open311Post read_open311_body(std::string_view body, std::string_view content_type);

/// The report those parameters make: service_code (one of the configuration's categories when it
/// has any), long and lat (converted from GCJ-02 when coordinate_system says so) or only an
/// address_string (placed later, api::Geocoder::place), description, and media and contact
/// details as its extra attributes.
/// @throws InvalidArgument naming the parameter.
layers::Report open311_incident(const Open311Params& params, const layers::DispatchConfig& config);

/// Whether `path` is under /open311/.
bool is_open311_path(std::string_view path);

/// Answers an Open311 request; every error, too, as an Open311 error list.
Open311Answer handle_open311(layers::County& county, const Open311Request& request);

}  // namespace onemap::api
