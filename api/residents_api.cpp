// Residents' sign-in endpoints (residents_api.hpp).
#include "api/residents_api.hpp"

#include "api/answers.hpp"
#include "api/records.hpp"

#include <ctime>

namespace onemap::api {

void add_resident_routes(http::Router& router, const std::shared_ptr<auth::Residents>& residents) {
  auto add = [&](std::string pattern, http::Handler handler) {
    http::Route r;
    r.methods = {"POST"};
    r.pattern = std::move(pattern);
    r.lane = http::Lane::Write;
    r.audience = http::Audience::Public;
    r.parameters = std::vector<std::string>{};
    r.max_body = 4096;
    r.handler = std::move(handler);
    router.add(std::move(r));
  };
  add("/residents/code", [residents](http::Context& c) {
    const ResidentCredentials in = read_resident_credentials(c.request.body, false);
    const auto sent = residents->send_code(in.phone, std::time(nullptr));
    return no_store_json(202, {{"phone", sent.phone},
                               {"expires_in", sent.expires_in},
                               {"resend_after", sent.resend_after}});
  });
  add("/residents/token", [residents](http::Context& c) {
    const ResidentCredentials in = read_resident_credentials(c.request.body, true);
    const auto s = residents->sign_in(in.phone, in.code, std::time(nullptr));
    return no_store_json(200, {{"token", s.token},
                               {"phone", s.phone},
                               {"expires_at", layers::format_time(s.expires_at)}});
  });
}

}  // namespace onemap::api
