// The API in process (api_harness.hpp).
#include "tests/support/api_harness.hpp"

#include "layers/dispatch/dispatch_config.hpp"
#include "layers/store/store.hpp"

#include <stdexcept>

namespace onemap::testing {

namespace {

constexpr const char* kHost = "onemap.test";

std::string lower(std::string s) {
  for (auto& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

}  // namespace

ApiHarness::ApiHarness(const StoreBuilder& build, const ApiOptions& options) {
  store_path_ = build(dir_.path());
  written_ = read_store();
  layers::DispatchConfig dispatch;
  if (!options.dispatch_config.empty())
    dispatch = layers::DispatchConfig::load(options.dispatch_config);
  state_ = api::load_state(store_path_, {}, layers::TileConfig::defaults(), std::move(dispatch));
  api::ServerOptions server;
  server.data_path = store_path_;
  server.write_token = options.admin_token;
  server.read_policy = options.read_policy;
  server.log_requests = false;
  router_ = api::make_router(server, state_);
}

std::string ApiHarness::base_url() {
  return std::string("http://") + kHost;
}

HttpResponse ApiHarness::exchange(const HttpRequest& request) {
  http::Request rq;
  rq.method = request.method;
  rq.target = request.target;
  const auto q = request.target.find('?');
  rq.path = request.target.substr(0, q);
  if (q != std::string::npos) rq.query_string = request.target.substr(q + 1);
  for (const std::string& line : request.headers) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) throw std::invalid_argument("not a header line: " + line);
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    value.erase(value.find_last_not_of(" \t") + 1);
    rq.headers.emplace_back(lower(line.substr(0, colon)), std::move(value));
  }
  if (!rq.has_header("host")) rq.headers.emplace_back("host", kHost);
  rq.body = request.body;
  rq.peer = "127.0.0.1";
  rq.received = std::chrono::steady_clock::now();
  const http::Response r = router_->handle(rq, "test-" + std::to_string(++next_request_));
  HttpResponse out;
  out.status = r.status;
  if (r.status != 204 && r.status != 304) {
    out.headers["content-type"] = r.content_type;
    if (rq.method != "HEAD") out.body = r.body;
  }
  for (const auto& [name, value] : r.headers) out.headers[lower(name)] = value;
  return out;
}

layers::Dataset ApiHarness::read_store() const {
  return layers::open_store(store_path_, false)->load();
}

std::string ApiHarness::add_user(const std::string& id, const std::string& role,
                                 const std::string& scope, const std::string& worker_id) {
  const layers::User u = make_user(id, role, scope, worker_id);
  layers::AuditRecord origin;  // as the command line's change is audited
  origin.actor = "cli:test";
  origin.role = "cli";
  origin.peer = "local";
  return tokens_[id] = county().users().add(u, origin);
}

}  // namespace onemap::testing
