// The users and their tokens, with their own locks and store connection (user_directory.hpp).
#include "auth/user_directory.hpp"

#include "auth/tokens.hpp"
#include "core/errors.hpp"
#include "layers/model/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace onemap::auth {

using layers::AuditRecord;
using layers::User;

namespace {

using json = nlohmann::ordered_json;

void check_user_id(const std::string& id) {
  if (id.empty() || id.size() > 64) throw InvalidArgument("id", "must be 1 to 64 characters");
  for (unsigned char c : id)
    if (!std::isalnum(c) && c != '_' && c != '-' && c != '.' && c != '@')
      throw InvalidArgument("id", "may hold letters, digits and _ - . @ only");
  if (id == "me") throw InvalidArgument("id", "'me' is reserved (GET /users/me is the caller)");
}

// The checks of a user's role, scope and name that hold whatever else changed.
void check_user(const User& u, const std::vector<std::string>& departments) {
  layers::check_user_role(u.role);
  if (u.role == "worker") {
    if (u.worker_id.empty())
      throw InvalidArgument("worker", "a worker user names their worker record (--worker ID)");
  } else if (!u.worker_id.empty()) {
    throw InvalidArgument("worker", "only a worker user has a worker record");
  }
  if (u.role == "department") {
    if (u.scope.empty())
      throw InvalidArgument("scope", "department staff name their department as the scope");
    if (!departments.empty() &&
        std::find(departments.begin(), departments.end(), u.scope) == departments.end()) {
      std::string list;
      for (const auto& d : departments) list += (list.empty() ? "" : ", ") + d;
      throw InvalidArgument("scope",
                            "unknown department '" + u.scope + "' (departments: " + list + ")");
    }
  } else if (u.role == "feed") {
    if (u.scope.empty())
      throw InvalidArgument("scope",
                            "a feed user names the county layers it feeds as the scope "
                            "(cameras,pipes)");
    layers::feed_layers(u.scope);
  } else if (!u.scope.empty() && !layers::level_from_code(u.scope)) {
    throw InvalidArgument(
        "scope", "must be an area code of 6, 9, 12, 15 or 18 digits (empty: the whole county)");
  }
  layers::check_text(u.name, "name", layers::TextKind::Name);
}

// A user change's audit row from its origin.
AuditRecord audit_row(const AuditRecord& origin, std::string action, const std::string& user_id) {
  AuditRecord r = origin;
  r.id = 0;
  if (r.actor.empty()) {
    r.actor = "system";
    r.role = "system";
  }
  r.at = origin.at ? origin.at : static_cast<int64_t>(std::time(nullptr));
  r.action = std::move(action);
  r.layer = "users";
  r.records = layers::json_text(json::array({user_id}));
  return r;
}

}  // namespace

UserDirectory::UserDirectory(std::string location, WorkerLookup workers,
                             std::vector<std::string> departments)
    : location_(std::move(location)),
      workers_(std::move(workers)),
      departments_(std::move(departments)) {
  std::lock_guard store(store_mutex_);
  refresh();
}

UserDirectory::~UserDirectory() = default;

layers::Store& UserDirectory::store() const {
  if (!store_) store_ = layers::open_store(location_, false);
  return *store_;
}

template <class F>
auto UserDirectory::reading(F&& f) const {
  try {
    return f(store());
  } catch (const StoreError&) {
    // Opened again at the next use. The caller fails: a revoked token must not pass meanwhile.
    store_.reset();
    data_version_ = -1;
    throw;
  }
}

void UserDirectory::refresh() const {
  // data_version moves with every commit of another connection (the county's, another
  // process's), never with this one's own: those are in memory already.
  reading([&](layers::Store& s) {
    const int64_t version = s.data_version();
    if (version == data_version_) return;
    assign(s.load_users());
    data_version_ = version;
  });
}

void UserDirectory::assign(std::vector<User> list) const {
  std::unordered_map<std::string, User> users;
  std::unordered_map<std::string, std::string> by_hash;
  for (auto& u : list) {
    if (!u.token_hash.empty()) by_hash[u.token_hash] = u.id;
    users[u.id] = std::move(u);
  }
  std::lock_guard lock(users_mutex_);
  users_.swap(users);
  user_by_hash_.swap(by_hash);
}

User UserDirectory::find(const std::string& user_id) const {
  std::lock_guard lock(users_mutex_);
  const auto it = users_.find(user_id);
  if (it == users_.end()) throw NotFound("no user '" + user_id + "'");
  return it->second;
}

bool UserDirectory::worker_exists(const std::string& worker_id) const {
  return workers_(worker_id).has_value();
}

void UserDirectory::commit(User& u, AuditRecord& audit, const std::string& old_hash) {
  layers::Store::Batch b;
  b.users.push_back(&u);
  b.audit.push_back(&audit);
  store().put(b);  // with its audit row, in one transaction
  store().sync();  // on disk before this directory answers with it
  std::lock_guard lock(users_mutex_);
  if (!old_hash.empty()) user_by_hash_.erase(old_hash);
  if (!u.token_hash.empty()) user_by_hash_[u.token_hash] = u.id;
  users_[u.id] = u;
}

std::optional<layers::Actor> UserDirectory::authenticate(std::string_view token) const {
  if (token.empty()) return std::nullopt;
  const std::string h = token_hash(token);
  {
    // Whatever was committed before this request came counts: a revoked token, a disabled user,
    // a new role or scope (from this process or another).
    std::lock_guard store(store_mutex_);
    refresh();
  }
  User u;
  {
    std::lock_guard lock(users_mutex_);
    const auto it = user_by_hash_.find(h);
    if (it == user_by_hash_.end()) return std::nullopt;
    u = users_.at(it->second);
  }
  if (!u.active) return std::nullopt;
  std::optional<layers::Worker> w;
  if (!u.worker_id.empty()) w = workers_(u.worker_id);
  return layers::Actor::of(u, w ? &*w : nullptr);
}

std::string UserDirectory::add(User u, const AuditRecord& origin) {
  check_user_id(u.id);
  check_user(u, departments_);
  if (!u.worker_id.empty() && !worker_exists(u.worker_id))
    throw InvalidArgument("worker", "no worker record '" + u.worker_id + "'");
  std::string token = new_token();
  u.token_hash = token_hash(token);
  if (!u.created_at) u.created_at = static_cast<int64_t>(std::time(nullptr));
  AuditRecord audit = audit_row(origin, "user_create", u.id);
  json fields = json::array({"id", "role", "token"});
  json detail = {{"role", u.role}};
  if (!u.name.empty()) fields.push_back("name"), detail["name"] = u.name;
  if (!u.scope.empty()) fields.push_back("scope"), detail["scope"] = u.scope;
  if (!u.worker_id.empty()) fields.push_back("worker_id"), detail["worker_id"] = u.worker_id;
  audit.fields = layers::json_text(fields);
  audit.detail = layers::json_text(detail);

  std::lock_guard store(store_mutex_);
  refresh();  // another process may have added the id
  {
    std::lock_guard lock(users_mutex_);
    if (users_.count(u.id))
      throw Conflict(
          "id", "user '" + u.id + "' exists already (issue a new token with `onemap user token`)",
          "conflict_duplicate");
  }
  commit(u, audit, "");
  return token;
}

std::string UserDirectory::issue_token(const std::string& user_id, const AuditRecord& origin) {
  std::lock_guard store(store_mutex_);
  refresh();
  User u = find(user_id);
  const std::string old_hash = u.token_hash;
  std::string token = new_token();
  u.token_hash = token_hash(token);
  AuditRecord audit = audit_row(origin, "token_rotate", u.id);
  audit.fields = layers::json_text(json::array({"token"}));
  commit(u, audit, old_hash);
  return token;
}

User UserDirectory::update(const std::string& user_id, const UserPatch& p,
                           const AuditRecord& origin) {
  // Asked before the lock is taken: the lookup takes the county's.
  const bool worker_known = !p.worker_id || p.worker_id->empty() || worker_exists(*p.worker_id);
  std::lock_guard store(store_mutex_);
  refresh();
  const User before = find(user_id);
  User u = before;
  if (p.name) u.name = *p.name;
  if (p.role) {
    u.role = *p.role;
    // A role without a worker record drops it.
    if (u.role != "worker" && !p.worker_id) u.worker_id.clear();
  }
  if (p.scope) u.scope = *p.scope;
  if (p.worker_id) u.worker_id = *p.worker_id;
  if (p.active) u.active = *p.active;
  check_user(u, departments_);
  // Only a worker record the patch names can be new (a role change only drops one).
  if (!u.worker_id.empty() && u.worker_id != before.worker_id && !worker_known)
    throw InvalidArgument("worker", "no worker record '" + u.worker_id + "'");
  json fields = json::array(), detail = json::object();
  auto note = [&](const char* name, const auto& a, const auto& b) {
    if (a == b) return;
    fields.push_back(name);
    detail[name] = json::array({a, b});
  };
  note("name", before.name, u.name);
  note("role", before.role, u.role);
  note("scope", before.scope, u.scope);
  note("worker_id", before.worker_id, u.worker_id);
  note("active", before.active, u.active);
  if (fields.empty()) return u;  // nothing changed: nothing to write or audit
  const char* action = before.active && !u.active   ? "user_disable"
                       : !before.active && u.active ? "user_enable"
                                                    : "user_change";
  AuditRecord audit = audit_row(origin, action, u.id);
  audit.fields = layers::json_text(fields);
  audit.detail = layers::json_text(detail);
  commit(u, audit, "");
  return u;
}

std::vector<User> UserDirectory::list() const {
  std::lock_guard lock(users_mutex_);
  std::vector<User> out;
  for (const auto& [id, u] : users_) out.push_back(u);
  std::sort(out.begin(), out.end(), [](const User& a, const User& b) { return a.id < b.id; });
  return out;
}

std::vector<User> UserDirectory::current() const {
  {
    std::lock_guard store(store_mutex_);
    refresh();
  }
  return list();
}

layers::AuditPage UserDirectory::audit_log(const layers::AuditQuery& query) const {
  std::lock_guard store(store_mutex_);
  return reading([&](layers::Store& s) { return s.load_audit(query); });
}

}  // namespace onemap::auth
