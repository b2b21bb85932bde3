// The record endpoints: reading and writing single records of the county's layers as JSON.
//
//   POST /incidents (intake: routed to a grid and a worker), GET|PATCH /incidents/{id},
//   POST /incidents/{id}/actions (the closed loop, with If-Match), GET /incidents/{id}/history
//   GET /users/me
//   POST /households, GET|PATCH /households/{id}      (every read and write needs the token:
//                                                       households hold personal data)
//   POST /enterprises, GET|PATCH /enterprises/{id}
//   GET|PATCH /grids/{id}                               (name and outline)
//
// {id} is the record's integer feature id (the same as in tiles). Writes need the write token;
// each is durable, joined to its grid and reflected in every tile before it is answered
// (layers/county/county.hpp). Bodies are JSON objects; an unknown field, a wrong type or a bad
// value is a 400 naming the field. Points take "lon" and "lat" in CGCS2000 (EPSG:4490; WGS84 is
// taken as the same), or in GCJ-02 with "crs": "GCJ02".
//
// Input rules (layers/model/text.hpp): a body nests at most 64 levels, a grid outline holds at most
// 100,000 vertices, every text field is valid UTF-8 without control characters (description and
// note may hold tab and line breaks) within its length; reported_at and a sweep's at lie between
// 2000-01-01 and 5 minutes past the server's clock. An inc_id, hh_id or ent_id another record
// has is a 409 naming it.
//
// Audit: every answer that holds personal fields (a household's head_name, phone and id_number;
// an incident's reporter, to anyone but the reporter) is preceded by its audit row (County::audit:
// actor, record, fields, peer, request id), committed before the answer; when that fails the
// answer is a 500 without the data.
//
// Area scope: every write (and a household read) by a scoped user (a centre user with --scope)
// must lie in its area: a point by its grid join, before and after a move; a grid by its code;
// an incident by its grid or agency (layers::check_area, 403 otherwise). Admins and unscoped
// users have the county. Intake (POST /incidents) is not an edit: any user may report anywhere.
// PATCH /incidents/{id} never changes the state (400 naming status: the closed loop's actions
// do); its assignee must be an existing worker, its category a configured one.
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

struct RecordRequest {
  std::string_view method;  ///< "GET", "HEAD", "POST", "PATCH", …
  std::string_view path;
  /// The first query parameter's name, if any (these endpoints take none).
  std::optional<std::string> query_parameter;
  std::string_view body;
  /// The user the request's bearer token names: nullopt without an Authorization header.
  /// @throws Unauthorized for a token that names no active user.
  std::function<std::optional<layers::Actor>()> authenticate;
  std::string if_match;  ///< the If-Match header ("" when absent)
  /// For the audit of personal data: the client's address and the request's id.
  std::string_view peer, request_id;
  /// "http://host:port" as the client addressed the server, for links (an incident's photos).
  std::string base_url;
  /// What each audience reads (answers show only what the user's audience may).
  const auth::ReadPolicy* policy = &auth::ReadPolicy::standard();
  /// Places a report that came with an address only (api::Geocoder::place); unset: not placed.
  std::function<void(layers::Report&)> place;
};

/// The user of an authenticated request. @throws Unauthorized without a valid token.
layers::Actor require_actor(const RecordRequest& rq);
/// The user of a request that writes records or reads personal data: an admin or command-centre
/// user. @throws Unauthorized without a valid token, Forbidden for any other role.
layers::Actor require_writer(const RecordRequest& rq);

struct RecordAnswer {
  int status = 200;
  std::string body;  ///< JSON
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> allow;  ///< with status 405: the methods the path allows
};

// The readers of the endpoints' JSON bodies, apart from the county: each checks a body as its
// endpoint does (known fields, types, the text rule, values) and returns what it asks for.
// @throws InvalidArgument naming the field.

/// POST /incidents: location or address (or both), category, description, id, source,
/// reported_at.
layers::Report read_incident_report(std::string_view body);
/// POST /incidents/{id}/actions, with the If-Match header ("" when absent).
layers::TransitionRequest read_incident_action(std::string_view body, const std::string& if_match);
/// POST /tickets/{id}/actions (api/tickets.hpp), with the If-Match header ("" when absent).
layers::TicketDecision read_ticket_decision(std::string_view body, const std::string& if_match);
/// The most agencies one request adds to a joint case.
inline constexpr std::size_t kMaxCaseAgencies = 20;
/// POST /incidents/{id}/joint (api/joint.hpp): lead, with, deadline, note.
layers::JointRequest read_joint_request(std::string_view body, const std::string& if_match);
/// POST /incidents/{id}/summons: agencies, report_within, deadline, note.
layers::SummonsRequest read_summons_request(std::string_view body, const std::string& if_match);
/// POST /incidents/{id}/tasks/{seq}/actions: action, feedback (the task's If-Match).
layers::TaskRequest read_task_request(std::string_view body, const std::string& if_match);
/// What a resident signs in with (api/residents_api.hpp).
struct ResidentCredentials {
  std::string phone, code;
};
/// POST /residents/code ({"phone"}) and, `with_code`, POST /residents/token ({"phone", "code"}).
ResidentCredentials read_resident_credentials(std::string_view body, bool with_code);
/// PATCH /incidents/{id}, with the If-Match header ("" when absent).
layers::IncidentPatch read_incident_patch(std::string_view body, const std::string& if_match);
/// POST (`create`) and PATCH /households(/{id}) and /enterprises(/{id}): the position and the
/// fields of the layer's schema that a create (Field::on_create) or a PATCH (on_patch) gives.
layers::PointPatch read_point_body(layers::LayerKind layer, std::string_view body, bool create);
/// PATCH /grids/{id}: the name and the outline (a GeoJSON Polygon or MultiPolygon).
layers::GridPatch read_grid_body(std::string_view body);

/// Whether `path` is one of the record endpoints.
bool is_record_path(std::string_view path);

/// Answers a request to a record endpoint. @throws InvalidArgument (400), NotFound (404),
/// Unauthorized (401), Forbidden (403) as the server maps them.
RecordAnswer handle_record_request(layers::County& county, const RecordRequest& request);

}  // namespace onemap::api
