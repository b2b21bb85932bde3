// The route table: method + path pattern → handler, each route declaring who may call it, which
// worker lane runs it and how large a body it takes. Authentication, the audience check, query
// decoding, CORS (with OPTIONS preflight), HEAD, 404/405, the error mapping and `Vary:
// Authorization` (what an answer holds depends on who asks) happen here, once, for every
// endpoint; handlers take a Context and return a Response, so that the whole pipeline short of
// the socket runs in process (tests/api).
//
// Patterns are literal segments, "{name}" (one segment) and a final "{name*}" (the rest of the
// path, at least one segment). The first route whose pattern matches wins; a path that some route
// matches with other methods is a 405 listing them.
#pragma once

#include "http/errors.hpp"
#include "http/message.hpp"
#include "layers/dispatch/workflow.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onemap::http {

/// Which worker pool runs a route (http/transport.hpp): cheap reads never queue behind heavy
/// queries or behind writes waiting for the store.
enum class Lane { Read, Query, Write };
inline constexpr std::size_t kLanes = 3;
std::string_view lane_name(Lane lane);

/// Who may call a route.
enum class Audience {
  Public,  ///< anyone; a token, when given, must be valid
  Signed,  ///< any signed-in user
  Roles,   ///< signed-in users of Route::roles
};

/// What a handler gets.
struct Context {
  const Request& request;
  std::string_view request_id;
  /// The signed-in user (Authorization: Bearer, or api_key on routes that take it); nullopt for
  /// an anonymous request.
  std::optional<layers::Actor> user;
  /// Query parameters, percent-decoded ('+' stays a plus), sorted by name.
  std::vector<std::pair<std::string, std::string>> query;
  /// Path parameters by name ("id" of "/incidents/{id}").
  std::vector<std::pair<std::string, std::string>> params;
  /// "http://host:port" as the client addressed the server, for links.
  std::string base_url;
  /// Authenticates a token found elsewhere (an Open311 form's api_key). @throws Unauthorized.
  std::function<std::optional<layers::Actor>(std::string_view token)> authenticate;

  std::string_view param(std::string_view name) const;
  bool head() const { return request.method == "HEAD"; }
};

using Handler = std::function<Response(Context&)>;
/// An answer given at once, on the event loop, or nullopt to leave the request to its lane.
using NowHandler = std::function<std::optional<Response>(Context&)>;

struct Route {
  std::vector<std::string> methods;  ///< GET implies HEAD
  std::string pattern;
  Handler handler;
  Audience audience = Audience::Public;
  std::vector<std::string> roles;  ///< with Audience::Roles
  Lane lane = Lane::Read;
  std::size_t max_body = 64 * 1024;
  ErrorFormat errors = ErrorFormat::Json;
  bool api_key = false;  ///< the token may come as the api_key query parameter (Open311)
  /// The query parameters the route takes, when the router is to check them (an unknown one is
  /// a 400 naming it); nullopt: the handler checks its own.
  std::optional<std::vector<std::string>> parameters;
  /// Optional: answers on the event loop what it can answer from memory without waiting (a
  /// cached tile), and declines (nullopt) everything else, which then goes to the lane's worker
  /// and `handler`. It must take no lock that a write or a build holds for long. Saves a cheap
  /// read the wakeup of a worker, which under load may wait for a CPU.
  NowHandler answer_now;
  /// Optional: the methods the signed-in requester (or an anonymous one) may use on the path,
  /// which a plain OPTIONS (not a CORS preflight) answers with 200 and Allow (OGC API - Features
  /// Part 4); without it OPTIONS lists every method the routes of the path take, with 204.
  std::function<std::vector<std::string>(Context&)> allow;
};

/// A request's outcome as the request log records it.
struct Outcome {
  std::string user;        ///< the signed-in user's id, "" for none
  std::string error_code;  ///< the error table's code of an error answer
  std::string log_detail;  ///< a 500's exception text
};

class Router {
 public:
  struct Options {
    /// Access-Control-Allow-Origin of every answer ("" for none); preflights allow the
    /// Authorization, Content-Type, If-Match and If-None-Match headers.
    std::string cors_origin = "*";
    /// The user of a bearer token; nullopt for one that names nobody (then the request is a 401).
    std::function<std::optional<layers::Actor>(std::string_view token)> authenticate;
    /// The base URL when a request has no Host (HTTP/1.0).
    std::string default_base_url = "http://127.0.0.1";
  };

  explicit Router(Options options);

  /// Adds a route. @throws std::invalid_argument for a malformed pattern.
  void add(Route route);
  const std::vector<Route>& routes() const { return routes_; }

  /// The route `method` and `path` go to; null when none (or only other methods) match.
  const Route* find(std::string_view method, std::string_view path) const;
  /// The methods routes take on `path` (GET brings HEAD); empty when no route matches it.
  std::vector<std::string> methods_of(std::string_view path) const;
  /// The body limit of a request (its route's, else the smallest any route has).
  std::size_t body_limit(std::string_view method, std::string_view path) const;

  /// Answers a request: never throws; every error is rendered from the error table.
  Response handle(const Request& request, std::string_view request_id,
                  Outcome* outcome = nullptr) const;
  /// The answer of the route's answer_now, with everything handle() adds around a handler;
  /// nullopt when the route has none, when it declines, when the request carries credentials
  /// (authentication may wait for the user directory) and when anything fails: the request then
  /// goes to handle() on a worker, which answers it, errors included. Never throws.
  std::optional<Response> handle_now(const Request& request, std::string_view request_id,
                                     Outcome* outcome = nullptr) const;

 private:
  struct Match {
    const Route* route = nullptr;
    std::vector<std::pair<std::string, std::string>> params;
    ErrorFormat errors = ErrorFormat::Json;  ///< the route's, or that of a route of the path
  };
  Match match(std::string_view method, std::string_view path,
              std::vector<std::string>* allowed) const;
  // The pipeline around a route's handler, or (now) its answer_now: nullopt when that declines.
  std::optional<Response> dispatch(const Request& request, std::string_view request_id,
                                   Outcome& outcome, ErrorFormat& format, bool now) const;
  // A plain OPTIONS of a path whose route says what each requester may do (Route::allow):
  // 200 with that Allow; nullopt for other paths.
  std::optional<Response> allowed_for_requester(const Request& request, std::string_view request_id,
                                                Outcome& out) const;
  // What every answer gets: its request id, Vary: Authorization, CORS.
  void finish(const Request& request, std::string_view request_id, Response& r) const;
  void add_cors(const Request& request, Response& r) const;

  Options options_;
  std::vector<Route> routes_;
  std::vector<std::vector<std::string>> segments_;  ///< each route's pattern, split
};

/// The token of a request: "Bearer X" in Authorization. @throws Unauthorized for another scheme.
std::optional<std::string> bearer_token(const Request& request);

}  // namespace onemap::http
