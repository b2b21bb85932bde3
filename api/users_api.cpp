// The administrator's endpoints for users and the audit (users_api.hpp).
#include "api/users_api.hpp"

#include "api/item_query.hpp"

#include "api/json_body.hpp"
#include "core/errors.hpp"
#include "http/percent.hpp"
#include "layers/model/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <limits>

namespace onemap::api {

namespace {

using json = nlohmann::ordered_json;  // keys in the order written
using http::Context;
using http::Response;

Response json_answer(int status, const json& body, bool secret = false) {
  Response r;
  r.status = status;
  r.body = layers::json_text(body);
  // An answer with a token is for the caller's eyes only: no cache keeps it.
  r.set_header("Cache-Control", secret ? "no-store" : "no-cache");
  return r;
}

// Never the token hash.
json user_json(const layers::User& u) {
  return {{"id", u.id},
          {"name", u.name},
          {"role", u.role},
          {"scope", u.scope},
          {"worker_id", u.worker_id},
          {"active", u.active},
          {"created_at", u.created_at ? json(layers::format_time(u.created_at)) : json(nullptr)}};
}

// Who makes a change, from where, in which request: the audit row's origin.
layers::AuditRecord origin(const Context& c) {
  layers::AuditRecord o;
  o.actor = c.user->id;
  o.role = c.user->role;
  o.peer = c.request.peer;
  o.request_id = std::string(c.request_id);
  return o;
}

// The county names a worker record "worker" (the command line's --worker); here it is worker_id.
template <class F>
auto with_field_names(F&& f) {
  try {
    return f();
  } catch (const InvalidArgument& e) {
    if (e.parameter() == "worker") throw InvalidArgument("worker_id", e.detail());
    throw;
  }
}

// A JSON object body of known fields: each read with its type checked, every error naming it.
class Body {
 public:
  Body(std::string_view text, std::initializer_list<const char*> known, const char* what) {
    j_ = parse_request_json<json>(text, "body");
    if (!j_.is_object()) throw InvalidArgument("body", "must be a JSON object");
    for (const auto& item : j_.items()) {
      const std::string& k = item.key();
      if (std::any_of(known.begin(), known.end(), [&](const char* n) { return k == n; })) continue;
      layers::check_text(k, "body", layers::TextKind::Id);  // echoed: it must be text
      if (k == "token" || k == "token_hash")
        throw InvalidArgument(k, "cannot be set: a new token comes from POST /users/{id}/token");
      std::string list;
      for (const char* n : known) list += (list.empty() ? "" : ", ") + std::string(n);
      throw InvalidArgument(k, std::string("unknown ") + what + " field (fields: " + list + ")");
    }
  }
  bool empty() const { return j_.empty(); }
  std::optional<std::string> text(const char* k,
                                  layers::TextKind kind = layers::TextKind::Id) const {
    if (!j_.contains(k)) return std::nullopt;
    if (!j_[k].is_string()) throw InvalidArgument(k, "must be a string");
    std::string v = j_[k].get<std::string>();
    layers::check_text(v, k, kind);
    return v;
  }
  std::optional<bool> boolean(const char* k) const {
    if (!j_.contains(k)) return std::nullopt;
    if (!j_[k].is_boolean()) throw InvalidArgument(k, "must be true or false");
    return j_[k].get<bool>();
  }

 private:
  json j_;
};

// {id} of the path, percent-decoded.
std::string user_id(const Context& c) {
  std::string id = http::percent_decode(c.param("id"), false, "id");
  layers::check_text(id, "id", layers::TextKind::Id);
  return id;
}

const layers::User& find_user(const std::vector<layers::User>& users, const std::string& id) {
  const auto it =
      std::find_if(users.begin(), users.end(), [&](const layers::User& u) { return u.id == id; });
  if (it == users.end()) throw NotFound("no user '" + id + "'");
  return *it;
}

Response list_users(const auth::UserDirectory& users) {
  json list = json::array();
  for (const auto& u : users.current()) list.push_back(user_json(u));
  return json_answer(200, {{"users", list}});
}

Response create_user(auth::UserDirectory& users, Context& c) {
  const Body b(c.request.body, {"id", "role", "name", "scope", "worker_id"}, "user");
  layers::User u;
  const auto id = b.text("id");
  if (!id) throw InvalidArgument("id", "is required");
  const auto role = b.text("role");
  if (!role) throw InvalidArgument("role", "is required");
  u.id = *id;
  u.role = *role;
  u.name = b.text("name", layers::TextKind::Name).value_or("");
  u.scope = b.text("scope").value_or("");
  u.worker_id = b.text("worker_id").value_or("");
  const std::string token = with_field_names([&] { return users.add(u, origin(c)); });
  json j = user_json(find_user(users.list(), u.id));
  j["token"] = token;
  Response r = json_answer(201, j, true);
  r.set_header("Location", "/users/" + u.id);
  return r;
}

Response patch_user(auth::UserDirectory& users, Context& c) {
  const std::string id = user_id(c);
  const Body b(c.request.body, {"name", "role", "scope", "worker_id", "active"}, "user");
  if (b.empty())
    throw InvalidArgument("body", "names no change (fields: name, role, scope, worker_id, active)");
  auth::UserPatch p;
  p.name = b.text("name", layers::TextKind::Name);
  p.role = b.text("role");
  p.scope = b.text("scope");
  p.worker_id = b.text("worker_id");
  p.active = b.boolean("active");
  const layers::User u = with_field_names([&] { return users.update(id, p, origin(c)); });
  return json_answer(200, user_json(u));
}

Response rotate_token(auth::UserDirectory& users, Context& c) {
  const std::string id = user_id(c);
  if (!c.request.body.empty()) {
    const Body b(c.request.body, {}, "token");  // nothing to say, but a body must be valid
  }
  const std::string token = users.issue_token(id, origin(c));
  return json_answer(200, {{"id", id}, {"token", token}}, true);
}

// A time of /audit's window: Unix seconds, or an ISO 8601 date or time (UTC unless it says).
int64_t audit_time(const std::string& v, const char* parameter) {
  int64_t n = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec == std::errc() && p == v.data() + v.size() && n >= 0) return n;
  if (const auto t = layers::parse_time(v, 0)) return *t;
  throw InvalidArgument(parameter,
                        "must be a time: Unix seconds or ISO 8601 (2026-11-26T09:00:00Z)");
}

Response audit(const auth::UserDirectory& users, Context& c) {
  layers::AuditQuery q;
  for (const auto& [k, v] : c.query) {
    if (k == "from")
      q.from = audit_time(v, "from");
    else if (k == "to")
      q.to = audit_time(v, "to");
    else if (k == "user") {
      layers::check_text(v, "user", layers::TextKind::Id);
      q.actor = v;
    } else if (k == "action") {
      layers::check_text(v, "action", layers::TextKind::Id);
      q.action = v;
    } else if (k == "limit")
      q.limit = features::parse_count_in("limit", v, 1, 1000);
    else if (k == "offset")
      q.offset = features::parse_count_in("offset", v, 0, std::numeric_limits<int32_t>::max());
  }
  if (q.from && q.to && q.from > q.to) throw InvalidArgument("from", "is after to");
  const layers::AuditPage page = users.audit_log(q);
  json rows = json::array();
  for (const auto& r : page.rows) {
    rows.push_back(
        {{"id", r.id},
         {"at", layers::format_time(r.at)},
         {"actor", r.actor},
         {"role", r.role},
         {"action", r.action},
         {"layer", r.layer},
         {"records", layers::stored_json<json>(r.records)},
         {"fields", layers::stored_json<json>(r.fields)},
         {"peer", r.peer},
         {"request_id", r.request_id},
         {"detail", r.detail.empty() ? json(nullptr) : layers::stored_json<json>(r.detail)}});
  }
  return json_answer(
      200, {{"total", page.total}, {"limit", q.limit}, {"offset", q.offset}, {"entries", rows}});
}

}  // namespace

void add_user_routes(http::Router& router, const std::shared_ptr<layers::County>& county) {
  auto add = [&](std::vector<std::string> methods, std::string pattern, http::Handler h,
                 http::Lane lane,
                 std::optional<std::vector<std::string>> parameters = std::vector<std::string>{}) {
    http::Route r;
    r.methods = std::move(methods);
    r.pattern = std::move(pattern);
    r.handler = std::move(h);
    r.audience = http::Audience::Roles;
    r.roles = {"admin"};
    r.lane = lane;
    r.max_body = 64 * 1024;
    r.parameters = std::move(parameters);
    router.add(std::move(r));
  };
  add(
      {"GET"}, "/users", [county](Context&) { return list_users(county->users()); },
      http::Lane::Read);
  add(
      {"POST"}, "/users", [county](Context& c) { return create_user(county->users(), c); },
      http::Lane::Write);
  add(
      {"PATCH"}, "/users/{id}", [county](Context& c) { return patch_user(county->users(), c); },
      http::Lane::Write);
  add(
      {"POST"}, "/users/{id}/token",
      [county](Context& c) { return rotate_token(county->users(), c); }, http::Lane::Write);
  add(
      {"GET"}, "/audit", [county](Context& c) { return audit(county->users(), c); },
      http::Lane::Query,
      std::vector<std::string>{"from", "to", "user", "action", "limit", "offset"});
}

}  // namespace onemap::api
