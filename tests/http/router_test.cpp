// http/router: the route table in process — matching, 404/405, HEAD, OPTIONS and CORS, the
// audiences, and every error rendered from the error table with the request id.
#include "http/router.hpp"
#include "http/request_log.hpp"

#include "core/errors.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <set>
#include <stdexcept>

namespace {

using json = nlohmann::json;
using namespace onemap::http;

Request request(std::string method, const std::string& target,
                std::vector<Header> headers = {{"host", "example.org"}}) {
  Request r;
  r.method = std::move(method);
  r.target = target;
  const auto q = target.find('?');
  r.path = target.substr(0, q);
  if (q != std::string::npos) r.query_string = target.substr(q + 1);
  r.headers = std::move(headers);
  return r;
}

Response text(std::string body) {
  Response r;
  r.body = std::move(body);
  return r;
}

class RouterTest : public ::testing::Test {
 protected:
  RouterTest() : router(options()) {
    auto add = [&](std::vector<std::string> methods, std::string pattern, Handler h,
                   Audience a = Audience::Public, std::vector<std::string> roles = {}) {
      Route r;
      r.methods = std::move(methods);
      r.pattern = std::move(pattern);
      r.handler = std::move(h);
      r.audience = a;
      r.roles = std::move(roles);
      router.add(std::move(r));
    };
    add({"GET"}, "/health", [](Context&) { return text("ok"); });
    add({"GET"}, "/incidents/{id}",
        [](Context& c) { return text("incident " + std::string(c.param("id"))); });
    add(
        {"POST"}, "/incidents/{id}/actions", [](Context& c) { return text("by " + c.user->id); },
        Audience::Signed);
    add({"PATCH"}, "/incidents/{id}", [](Context& c) { return text("edited by " + c.user->id); },
        Audience::Roles, {"admin", "centre"});
    add({"GET"}, "/tiles/{path*}", [](Context& c) { return text(std::string(c.param("path"))); });
    add({"GET"}, "/echo", [](Context& c) {
      std::string s;
      for (const auto& [k, v] : c.query) s += k + "=" + v + ";";
      return text(s + c.base_url);
    });
    add({"GET"}, "/bad",
        [](Context&) -> Response { throw onemap::InvalidArgument("limit", "must be 1-10000"); });
    add({"GET"}, "/boom",
        [](Context&) -> Response { throw std::runtime_error("secret internals at 0xdeadbeef"); });
    add({"GET"}, "/scope", [](Context&) -> Response {
      throw onemap::Forbidden("outside 330521001", "forbidden_scope");
    });
    Route hot;  // answers "hot" at once, the rest on a worker
    hot.methods = {"GET"};
    hot.pattern = "/cached/{key}";
    hot.handler = [](Context& c) { return text("built " + std::string(c.param("key"))); };
    hot.answer_now = [](Context& c) -> std::optional<Response> {
      if (c.param("key") != "hot") return std::nullopt;
      return text("at once");
    };
    router.add(std::move(hot));
    Route r;
    r.methods = {"GET"};
    r.pattern = "/open311/v2/requests.json";
    r.errors = ErrorFormat::Open311;
    r.api_key = true;
    r.handler = [](Context& c) -> Response {
      if (!c.user) throw onemap::InvalidArgument("service_code", "is required");
      return text("key of " + c.user->id);
    };
    router.add(std::move(r));
  }

  static Router::Options options() {
    Router::Options o;
    o.cors_origin = "*";
    o.authenticate = [](std::string_view token) -> std::optional<onemap::layers::Actor> {
      onemap::layers::Actor a;
      if (token == "tok-centre")
        a.id = "c1", a.role = "centre";
      else if (token == "tok-worker")
        a.id = "w1", a.role = "worker";
      else
        return std::nullopt;
      return a;
    };
    return o;
  }

  static json error_json(const Response& r) { return json::parse(r.body).at("error"); }

  Router router;
};

TEST_F(RouterTest, MatchesLiteralParameterAndRestSegments) {
  EXPECT_EQ(router.handle(request("GET", "/health"), "r1").body, "ok");
  EXPECT_EQ(router.handle(request("GET", "/incidents/42"), "r1").body, "incident 42");
  EXPECT_EQ(router.handle(request("GET", "/tiles/grids,incidents/3/4/5.mvt"), "r1").body,
            "grids,incidents/3/4/5.mvt");
  EXPECT_EQ(router.handle(request("GET", "/incidents/"), "r1").status, 404);
  EXPECT_EQ(router.handle(request("GET", "/tiles"), "r1").status, 404);
  EXPECT_EQ(router.find("HEAD", "/health")->pattern, "/health");
  EXPECT_EQ(router.find("DELETE", "/health"), nullptr);
}

TEST_F(RouterTest, UnknownPathIs404AndWrongMethod405WithAllow) {
  const Response nf = router.handle(request("GET", "/nothing"), "req-7");
  EXPECT_EQ(nf.status, 404);
  EXPECT_EQ(error_json(nf)["code"], "not_found");
  EXPECT_EQ(error_json(nf)["status"], 404);
  EXPECT_EQ(error_json(nf)["request_id"], "req-7");
  EXPECT_EQ(nf.header("X-Request-Id"), "req-7");
  const Response na = router.handle(request("DELETE", "/incidents/3"), "r");
  EXPECT_EQ(na.status, 405);
  EXPECT_EQ(error_json(na)["code"], "method_not_allowed");
  const std::string allow(na.header("Allow"));
  EXPECT_NE(allow.find("GET"), std::string::npos);
  EXPECT_NE(allow.find("PATCH"), std::string::npos);
}

TEST_F(RouterTest, OptionsAnswersThePreflight) {
  const Response r = router.handle(request("OPTIONS", "/incidents/3",
                                           {{"host", "h"},
                                            {"origin", "https://map.example"},
                                            {"access-control-request-method", "PATCH"}}),
                                   "r");
  EXPECT_EQ(r.status, 204);
  const std::string methods(r.header("Access-Control-Allow-Methods"));
  for (const char* m : {"GET", "HEAD", "PATCH", "OPTIONS"})
    EXPECT_NE(methods.find(m), std::string::npos) << m;
  EXPECT_NE(std::string(r.header("Access-Control-Allow-Headers")).find("Authorization"),
            std::string::npos);
  EXPECT_EQ(r.header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(router.handle(request("OPTIONS", "/nothing"), "r").status, 404);
}

// handle_now answers only through a route's answer_now, and only what that answers; anything else
// (no such route, a route without one, a preflight, a 405, a token, an error) is left to handle().
TEST_F(RouterTest, HandleNowAnswersOnlyWhatARouteAnswersAtOnce) {
  const auto now = router.handle_now(request("GET", "/cached/hot", {{"origin", "https://m"}}), "r");
  ASSERT_TRUE(now);
  EXPECT_EQ(now->body, "at once");
  EXPECT_EQ(now->header("X-Request-Id"), "r");
  EXPECT_EQ(now->header("Vary"), "Authorization");
  EXPECT_EQ(now->header("Access-Control-Allow-Origin"), "*");
  EXPECT_EQ(router.handle(request("GET", "/cached/cold"), "r").body, "built cold");
  for (const Request& rq :
       {request("GET", "/cached/cold"), request("GET", "/health"), request("GET", "/nothing"),
        request("OPTIONS", "/cached/hot"), request("POST", "/cached/hot"),
        request("GET", "/cached/hot", {{"authorization", "Bearer tok-centre"}}),
        request("GET", "/cached/hot", {{"authorization", "Bearer nobody"}})})
    EXPECT_FALSE(router.handle_now(rq, "r")) << rq.method << " " << rq.target;
}

TEST_F(RouterTest, EveryAnswerVariesByAuthorization) {
  // What an answer holds depends on who asks: a cache must keep one per token, errors included.
  EXPECT_EQ(router.handle(request("GET", "/health"), "r").header("Vary"), "Authorization");
  EXPECT_EQ(router
                .handle(request("GET", "/incidents/3",
                                {{"host", "h"}, {"authorization", "Bearer tok-centre"}}),
                        "r")
                .header("Vary"),
            "Authorization");
  EXPECT_EQ(router.handle(request("GET", "/nothing"), "r").header("Vary"), "Authorization");
}

TEST(RouterVary, AHandlersVaryIsKeptAndAuthorizationAndOriginAdded) {
  Router::Options o;
  o.cors_origin = "https://map.example";
  Router router(o);
  Route route;
  route.methods = {"GET"};
  route.pattern = "/tiles/{path*}";
  route.handler = [](Context&) {
    Response r;
    r.set_header("Vary", "Accept-Encoding");
    return r;
  };
  router.add(std::move(route));
  EXPECT_EQ(router.handle(request("GET", "/tiles/a"), "r").header("Vary"),
            "Accept-Encoding, Authorization, Origin");
  // A field listed already, in any case, is not listed twice.
  Response r;
  r.set_header("Vary", "accept-encoding,  AUTHORIZATION");
  r.add_vary("Authorization");
  r.add_vary("Accept-Encoding");
  EXPECT_EQ(r.header("Vary"), "accept-encoding,  AUTHORIZATION");
  r.add_vary("Origin");
  EXPECT_EQ(r.header("Vary"), "accept-encoding,  AUTHORIZATION, Origin");
}

TEST_F(RouterTest, AudiencesAreCheckedBeforeTheHandler) {
  const Response anon = router.handle(request("POST", "/incidents/3/actions"), "r");
  EXPECT_EQ(anon.status, 401);
  EXPECT_EQ(error_json(anon)["code"], "unauthorized");
  EXPECT_FALSE(anon.header("WWW-Authenticate").empty());
  auto with = [](std::string method, const std::string& target, std::string auth) {
    return request(std::move(method), target, {{"host", "h"}, {"authorization", std::move(auth)}});
  };
  EXPECT_EQ(router.handle(with("POST", "/incidents/3/actions", "Bearer tok-worker"), "r").body,
            "by w1");
  EXPECT_EQ(router.handle(with("POST", "/incidents/3/actions", "Bearer nope"), "r").status, 401);
  EXPECT_EQ(router.handle(with("POST", "/incidents/3/actions", "Basic dTpw"), "r").status, 401);
  const Response worker = router.handle(with("PATCH", "/incidents/3", "Bearer tok-worker"), "r");
  EXPECT_EQ(worker.status, 403);
  EXPECT_EQ(error_json(worker)["code"], "forbidden");
  EXPECT_EQ(router.handle(with("PATCH", "/incidents/3", "Bearer tok-centre"), "r").body,
            "edited by c1");
  // A bad token is refused even where none is needed: the client believes it is signed in.
  EXPECT_EQ(router.handle(with("GET", "/health", "Bearer nope"), "r").status, 401);
  Outcome out;
  router.handle(with("GET", "/health", "Bearer tok-centre"), "r", &out);
  EXPECT_EQ(out.user, "c1");
}

TEST_F(RouterTest, ApiKeyCountsOnlyWhereTheRouteTakesIt) {
  EXPECT_EQ(router.handle(request("GET", "/open311/v2/requests.json?api_key=tok-worker"), "r").body,
            "key of w1");
  const Response bad =
      router.handle(request("GET", "/open311/v2/requests.json?api_key=wrong"), "r");
  EXPECT_EQ(bad.status, 401);
  EXPECT_EQ(json::parse(bad.body)[0]["code"], 401);  // Open311's error list
}

TEST_F(RouterTest, QueryIsDecodedSortedAndBaseUrlFollowsHost) {
  EXPECT_EQ(router.handle(request("GET", "/echo?b=2%2C3&a=x+y&c"), "r").body,
            "a=x+y;b=2,3;c=;http://example.org");
  const Response bad = router.handle(request("GET", "/echo?limit=%zz"), "r");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(error_json(bad)["parameter"], "limit");
}

TEST_F(RouterTest, ErrorsComeFromTheTableAnd500HidesTheException) {
  const Response bad = router.handle(request("GET", "/bad"), "r");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(error_json(bad)["code"], "invalid_parameter");
  EXPECT_EQ(error_json(bad)["parameter"], "limit");
  EXPECT_EQ(error_json(bad)["message"], "must be 1-10000");
  Outcome out;
  const Response boom = router.handle(request("GET", "/boom"), "req-99", &out);
  EXPECT_EQ(boom.status, 500);
  EXPECT_EQ(boom.body.find("deadbeef"), std::string::npos);
  EXPECT_NE(boom.body.find("req-99"), std::string::npos);
  EXPECT_EQ(out.log_detail, "secret internals at 0xdeadbeef");  // for the log only
  EXPECT_EQ(error_json(router.handle(request("GET", "/scope"), "r"))["code"], "forbidden_scope");
  const Response open311 = router.handle(request("GET", "/open311/v2/requests.json"), "r");
  EXPECT_EQ(open311.status, 400);
  EXPECT_EQ(json::parse(open311.body)[0]["description"], "service_code: is required");
}

TEST(ErrorTable, CodesAreUniqueAndEachHasAnErrorStatus) {
  std::set<std::string_view> codes;
  for (const auto& k : kErrorTable) {
    EXPECT_TRUE(codes.insert(k.code).second) << k.code;
    EXPECT_GE(k.status, 400);
    EXPECT_LE(k.status, 599);
    EXPECT_EQ(error_kind(k.code).status, k.status);
  }
  EXPECT_EQ(error_kind("no such code").code, "internal");
}

TEST(ErrorTable, ExceptionsMapByTheirCode) {
  EXPECT_EQ(error_from(onemap::NotFound("x")).status, 404);
  EXPECT_EQ(error_from(onemap::Conflict("x", "conflict_version")).code, "conflict_version");
  EXPECT_EQ(error_from(onemap::Conflict("x")).status, 409);
  EXPECT_EQ(error_from(onemap::Unavailable("x")).status, 503);
  EXPECT_EQ(error_from(onemap::StoreError("disk full")).status, 500);
  EXPECT_EQ(error_from(onemap::StoreError("disk full")).log_detail, "disk full");
  EXPECT_EQ(error_from(std::runtime_error("boom")).status, 500);
  const Response r =
      error_response(error_from(onemap::Unavailable("busy")), ErrorFormat::Json, "id");
  EXPECT_EQ(r.header("Retry-After"), "1");
  // Invalid UTF-8 in a message still gives valid JSON.
  const Response u =
      error_response(make_error("not_found", "bad byte \xff in path"), ErrorFormat::Json, "id");
  EXPECT_TRUE(json::accept(u.body));
}

TEST(RequestLog, SecretQueryValuesAreRedactedHoweverTheNameIsSpelt) {
  EXPECT_EQ(redact_query("api_key=om_1&x=2"), "api_key=REDACTED&x=2");
  // The router reads api%5Fkey as api_key: so does the log.
  EXPECT_EQ(redact_query("a=1&api%5Fkey=om_1"), "a=1&api%5Fkey=REDACTED");
  EXPECT_EQ(redact_query("API_KEY=om_1&Token=t&access_token=a&password=p"),
            "API_KEY=REDACTED&Token=REDACTED&access_token=REDACTED&password=REDACTED");
  EXPECT_EQ(redact_query("keys=1&api_keys=2&api_key"), "keys=1&api_keys=2&api_key");
  EXPECT_EQ(redact_query(""), "");
}

}  // namespace
