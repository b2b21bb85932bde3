// The error table: every error onemap answers has a stable code, and the code alone decides the
// HTTP status. Errors are rendered from here, as onemap's JSON or as Open311's list.
//
//   {"error":{"code":"invalid_parameter","status":400,"message":"…","parameter":"bbox",
//             "request_id":"…"}}
//   {"error":{…,"parameter":"body","index":17,"reason":"…",…}}  (a batch refused for a feature)
//   [{"code":400,"description":"bbox: …"}]                         (Open311 GeoReport v2)
//
// A 500 never carries the exception's text: the answer names the request id, and the request
// log holds the text under it.
#pragma once

#include "http/message.hpp"

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

namespace onemap::http {

struct ErrorKind {
  std::string_view code;
  int status;
  std::string_view meaning;  ///< for the README and the OpenAPI document
};

/// Every code with its status, in one table.
inline constexpr ErrorKind kErrorTable[] = {
    {"invalid_request", 400, "the bytes are not an HTTP/1.1 request"},
    {"invalid_header", 400, "a header is malformed (Content-Length, Host, …)"},
    {"invalid_parameter", 400,
     "a query parameter or body field is not valid; `parameter` names it"},
    {"query_too_expensive", 400,
     "the request would cost more than the server allows (filter terms, geometry vertices); narrow "
     "it"},
    {"unauthorized", 401, "no valid token where one is needed"},
    {"forbidden", 403, "the user's role may not do this"},
    {"forbidden_scope", 403, "the record lies outside the user's area"},
    {"not_found", 404, "no such resource or record"},
    {"method_not_allowed", 405, "the path does not take this method; Allow lists those it does"},
    {"request_timeout", 408, "the request was not received in time"},
    {"conflict", 409, "the record's state does not allow this"},
    {"conflict_version", 409, "If-Match names a version that is no longer current"},
    {"conflict_duplicate", 409, "a value that must be unique is taken"},
    {"precondition_failed", 412,
     "If-Match names no current state of the record (its ETag, given in the answer, has "
     "changed) or the record is gone; nothing was changed"},
    {"payload_too_large", 413, "the body is larger than this path accepts"},
    {"uri_too_long", 414, "the request target is too long"},
    {"unsupported_media_type", 415, "the body's Content-Type is not one the path takes"},
    {"too_many_requests", 429, "asked again too soon; retry after Retry-After"},
    {"header_too_large", 431, "the request line and headers are too large"},
    {"internal", 500, "the server failed; the log has the details under the request id"},
    {"not_implemented", 501, "a feature of HTTP the server does not offer"},
    {"unavailable", 503, "the request waited or ran past its time budget; retry after Retry-After"},
    {"version_not_supported", 505, "only HTTP/1.0 and HTTP/1.1"},
};

/// An error as answered.
struct ApiError {
  std::string code = "internal";
  int status = 500;
  std::string message;
  std::string parameter;   ///< the parameter, field or header at fault, when there is one
  std::string log_detail;  ///< for the log only (a 500's exception text)
  /// A batch refused for one feature (InvalidFeature): its position in the batch and why.
  std::optional<int64_t> index;
  std::string reason;
  /// A failed precondition (412): the record's current entity tag ("" when it is gone).
  std::string etag;
  /// A method not allowed (405): the methods the path takes, for the Allow header.
  std::string allow;
  /// Seconds to wait before asking again (429, 503), for the Retry-After header.
  int64_t retry_after = 0;
};

/// The table entry of `code`; "internal" for an unknown code.
const ErrorKind& error_kind(std::string_view code);
/// An error of a code in the table.
ApiError make_error(std::string_view code, std::string message, std::string parameter = {});
/// The error an exception stands for: onemap's errors (core/errors.hpp) by their code, any
/// other exception as "internal" (its text kept for the log only).
ApiError error_from(const std::exception& e);

enum class ErrorFormat { Json, Open311 };

/// The answer of an error, with X-Request-Id (and Retry-After for 429 and 503; a 412's current
/// ETag, as a header and as "etag" in the body).
Response error_response(const ApiError& e, ErrorFormat format, std::string_view request_id);

}  // namespace onemap::http
