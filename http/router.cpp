// The route table (router.hpp).
#include "http/router.hpp"

#include "core/errors.hpp"
#include "http/percent.hpp"

#include <algorithm>
#include <stdexcept>

namespace onemap::http {

namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  if (path.empty() || path.front() != '/') return out;
  path.remove_prefix(1);
  while (true) {
    const auto slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  if (out.size() == 1 && out[0].empty()) out.clear();  // "/"
  return out;
}

bool method_listed(const Route& r, std::string_view method) {
  for (const auto& m : r.methods)
    if (m == method || (m == "GET" && method == "HEAD")) return true;
  return false;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

// Query parameters as sent ("a=1&b=%20"), percent-decoded, sorted by name.
std::vector<std::pair<std::string, std::string>> decode_query(std::string_view q) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const std::string_view item = q.substr(0, amp);
    if (!item.empty()) {
      const auto eq = item.find('=');
      std::string name = percent_decode(item.substr(0, eq), false, "query");
      std::string value = eq == std::string_view::npos
                              ? std::string()
                              : percent_decode(item.substr(eq + 1), false, name);
      out.emplace_back(std::move(name), std::move(value));
    }
    if (amp == std::string_view::npos) break;
    q.remove_prefix(amp + 1);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace

std::string_view lane_name(Lane lane) {
  switch (lane) {
    case Lane::Read:
      return "read";
    case Lane::Query:
      return "query";
    case Lane::Write:
      return "write";
  }
  return "read";
}

std::string_view Context::param(std::string_view name) const {
  for (const auto& [k, v] : params)
    if (k == name) return v;
  return {};
}

std::optional<std::string> bearer_token(const Request& request) {
  if (!request.has_header("authorization")) return std::nullopt;
  const std::string_view h = request.header("authorization");
  if (h.size() < 7 || !iequals(h.substr(0, 7), "Bearer "))
    throw Unauthorized("Authorization must be 'Bearer <token>'");
  std::string_view token = h.substr(7);
  while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
  if (token.empty()) throw Unauthorized("Authorization: Bearer names no token");
  return std::string(token);
}

Router::Router(Options options) : options_(std::move(options)) {}

void Router::add(Route route) {
  auto segs = split_path(route.pattern);
  if (route.pattern.empty() || route.pattern.front() != '/')
    throw std::invalid_argument("route pattern must start with '/': " + route.pattern);
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const std::string& s = segs[i];
    if (s.size() > 3 && s.front() == '{' && s.ends_with("*}") && i + 1 != segs.size())
      throw std::invalid_argument("a {rest*} segment must come last: " + route.pattern);
  }
  if (route.methods.empty())
    throw std::invalid_argument("a route needs a method: " + route.pattern);
  routes_.push_back(std::move(route));
  segments_.push_back(std::move(segs));
}

Router::Match Router::match(std::string_view method, std::string_view path,
                            std::vector<std::string>* allowed) const {
  const auto parts = split_path(path);
  ErrorFormat other_methods_errors = ErrorFormat::Json;
  for (std::size_t r = 0; r < routes_.size(); ++r) {
    const auto& pat = segments_[r];
    std::vector<std::pair<std::string, std::string>> params;
    bool ok = true;
    std::size_t i = 0;
    for (; i < pat.size() && ok; ++i) {
      const std::string& p = pat[i];
      const bool param = p.size() > 2 && p.front() == '{' && p.back() == '}';
      if (param && p.ends_with("*}")) {
        if (i >= parts.size()) {
          ok = false;
          break;
        }
        std::string rest;
        for (std::size_t j = i; j < parts.size(); ++j) rest += (j > i ? "/" : "") + parts[j];
        params.emplace_back(p.substr(1, p.size() - 3), std::move(rest));
        i = parts.size();
        break;
      }
      // A parameter takes any non-empty segment; a literal, only itself.
      ok = i < parts.size() && (param ? !parts[i].empty() : p == parts[i]);
      if (ok && param) params.emplace_back(p.substr(1, p.size() - 2), parts[i]);
    }
    if (!ok || i != parts.size()) continue;
    if (method_listed(routes_[r], method))
      return Match{&routes_[r], std::move(params), routes_[r].errors};
    if (allowed) {
      if (allowed->empty()) other_methods_errors = routes_[r].errors;
      for (const auto& m : routes_[r].methods) {
        if (std::find(allowed->begin(), allowed->end(), m) == allowed->end()) allowed->push_back(m);
        if (m == "GET" && std::find(allowed->begin(), allowed->end(), "HEAD") == allowed->end())
          allowed->push_back("HEAD");
      }
    }
  }
  return Match{nullptr, {}, other_methods_errors};
}

std::vector<std::string> Router::methods_of(std::string_view path) const {
  std::vector<std::string> all;
  match("", path, &all);  // no route lists "": every route of the path adds its methods
  return all;
}

const Route* Router::find(std::string_view method, std::string_view path) const {
  return match(method, path, nullptr).route;
}

std::size_t Router::body_limit(std::string_view method, std::string_view path) const {
  if (const Route* r = find(method, path)) return r->max_body;
  std::size_t least = 64 * 1024;
  for (const auto& r : routes_) least = std::min(least, r.max_body);
  return least;
}

void Router::add_cors(const Request& request, Response& r) const {
  if (options_.cors_origin.empty()) return;
  r.set_header("Access-Control-Allow-Origin", options_.cors_origin);
  if (options_.cors_origin != "*") r.add_vary("Origin");
  if (request.has_header("origin"))
    r.set_header("Access-Control-Expose-Headers",
                 "ETag, Location, X-Request-Id, X-Cache, Retry-After");
}

Response Router::handle(const Request& request, std::string_view request_id,
                        Outcome* outcome) const {
  Outcome local;
  Outcome& out = outcome ? *outcome : local;
  ErrorFormat format = ErrorFormat::Json;
  Response r;
  try {
    r = *dispatch(request, request_id, out, format, false);
  } catch (const std::exception& e) {
    ApiError err = error_from(e);
    out.error_code = err.code;
    out.log_detail = err.log_detail;
    r = error_response(err, format, request_id);
  } catch (...) {
    ApiError err = make_error("internal", "");
    out.error_code = err.code;
    out.log_detail = "unknown exception";
    r = error_response(err, format, request_id);
  }
  if (r.status >= 400 && out.error_code.empty())
    out.error_code = std::string(error_kind(r.status == 404 ? "not_found" : "internal").code);
  finish(request, request_id, r);
  return r;
}

std::optional<Response> Router::handle_now(const Request& request, std::string_view request_id,
                                           Outcome* outcome) const {
  if (request.has_header("authorization")) return std::nullopt;
  Outcome local;
  Outcome& out = outcome ? *outcome : local;
  ErrorFormat format = ErrorFormat::Json;
  std::optional<Response> r;
  try {
    r = dispatch(request, request_id, out, format, true);
  } catch (...) {
    return std::nullopt;  // the worker answers it, with the error
  }
  if (r) finish(request, request_id, *r);
  return r;
}

void Router::finish(const Request& request, std::string_view request_id, Response& r) const {
  r.set_header("X-Request-Id", std::string(request_id));
  // What an answer holds depends on who asks (the read policy): a cache keeps one per token.
  r.add_vary("Authorization");
  add_cors(request, r);
}

std::optional<Response> Router::allowed_for_requester(const Request& request,
                                                      std::string_view request_id,
                                                      Outcome& out) const {
  for (const Route& route : routes_) {
    if (!route.allow) continue;
    Match m = match(route.methods.front(), request.path, nullptr);
    if (m.route != &route) continue;
    Context ctx{request, request_id, std::nullopt, {}, std::move(m.params), {}, {}};
    if (const std::optional<std::string> token = bearer_token(request)) {
      ctx.user = options_.authenticate ? options_.authenticate(*token) : std::nullopt;
      if (!ctx.user) throw Unauthorized("unknown, revoked or disabled token");
      out.user = ctx.user->id;
    }
    Response r;
    r.status = 200;
    r.set_header("Allow", join(route.allow(ctx)));
    return r;
  }
  return std::nullopt;
}

std::optional<Response> Router::dispatch(const Request& request, std::string_view request_id,
                                         Outcome& out, ErrorFormat& format, bool now) const {
  std::vector<std::string> allowed;
  const bool preflight = request.method == "OPTIONS";
  Match m = preflight ? Match{} : match(request.method, request.path, &allowed);
  // At once: only a route's answer_now answers; a preflight, a 404 or a 405 waits for a worker.
  if (now && (!m.route || !m.route->answer_now)) return std::nullopt;
  if (preflight && !request.has_header("access-control-request-method"))
    if (std::optional<Response> r = allowed_for_requester(request, request_id, out)) return r;
  if (preflight) {
    // Which methods the path takes, for a CORS preflight or a plain OPTIONS.
    std::vector<std::string> all = methods_of(request.path);
    if (all.empty()) throw NotFound("no resource at " + request.path);
    all.push_back("OPTIONS");
    Response r;
    r.status = 204;
    r.set_header("Allow", join(all));
    if (!options_.cors_origin.empty() && request.has_header("access-control-request-method")) {
      r.set_header("Access-Control-Allow-Methods", join(all));
      r.set_header("Access-Control-Allow-Headers",
                   "Authorization, Content-Type, If-Match, If-None-Match");
      r.set_header("Access-Control-Max-Age", "600");
    }
    return r;
  }
  format = m.errors;
  if (!m.route) {
    static const std::vector<std::string> known = {"GET",   "HEAD",   "POST",   "PUT",
                                                   "PATCH", "DELETE", "OPTIONS"};
    if (std::find(known.begin(), known.end(), request.method) == known.end())
      return error_response(
          make_error("not_implemented", "method " + request.method + " is not served"), format,
          request_id);
    if (!allowed.empty()) {
      ApiError e =
          make_error("method_not_allowed", "method " + request.method + " is not allowed on " +
                                               request.path + " (allowed: " + join(allowed) + ")");
      out.error_code = e.code;
      Response r = error_response(e, format, request_id);
      r.set_header("Allow", join(allowed));
      return r;
    }
    throw NotFound("no resource at " + request.path +
                   " (the OpenAPI document at /api lists every path)");
  }
  const Route& route = *m.route;
  format = route.errors;

  Context ctx{request,
              request_id,
              std::nullopt,
              {},
              std::move(m.params),
              {},
              options_.authenticate
                  ? [this](std::string_view t) { return options_.authenticate(t); }
                  : std::function<std::optional<layers::Actor>(std::string_view)>{}};
  ctx.query = decode_query(request.query_string);
  // f=json (or pjson, which QGIS and Esri clients send) is taken wherever the answer is JSON.
  if (route.parameters)
    for (const auto& [k, v] : ctx.query)
      if (std::find(route.parameters->begin(), route.parameters->end(), k) ==
              route.parameters->end() &&
          !(k == "f" && (v == "json" || v == "pjson")))
        throw InvalidArgument(k, "unknown query parameter for " + request.path);
  // The user: a bearer token, or an api_key where the route takes one; a token that names
  // nobody is a 401 even where no token is needed (the client believes it is signed in).
  std::optional<std::string> token = bearer_token(request);
  if (!token && route.api_key)
    for (const auto& [k, v] : ctx.query)
      if (k == "api_key" && !v.empty()) token = v;
  if (token) {
    ctx.user = options_.authenticate ? options_.authenticate(*token) : std::nullopt;
    if (!ctx.user) throw Unauthorized("unknown, revoked or disabled token");
    out.user = ctx.user->id;
  }
  if (route.audience != Audience::Public && !ctx.user)
    throw Unauthorized(
        "this needs Authorization: Bearer <token> (a user's token from `onemap user add`)");
  if (route.audience == Audience::Roles &&
      std::find(route.roles.begin(), route.roles.end(), ctx.user->role) == route.roles.end())
    throw Forbidden("user " + ctx.user->id + " (" + ctx.user->role +
                    ") may not do this: it needs " + join(route.roles));

  const std::string_view host = request.header("host");
  ctx.base_url = host.empty() ? options_.default_base_url : "http://" + std::string(host);
  std::optional<Response> answer = now ? route.answer_now(ctx) : route.handler(ctx);
  if (!answer) return std::nullopt;
  Response& r = *answer;
  if (r.status >= 400 && out.error_code.empty()) {
    // A handler that rendered its own error (Open311, the tile service): its status names it.
    for (const auto& k : kErrorTable)
      if (k.status == r.status) {
        out.error_code = std::string(k.code);
        break;
      }
  }
  return answer;
}

}  // namespace onemap::http
