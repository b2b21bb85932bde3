// `onemap user add|token|list` (API users and their tokens) and `onemap dispatch` (batch
// dispatch of a store's unassigned incidents), both working on the store directly.
#include "apps/onemap/cli.hpp"

#include "core/errors.hpp"
#include "layers/county/county.hpp"
#include "layers/store/store.hpp"
#include "layers/store/store_lock.hpp"

#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>

#include <pwd.h>
#include <unistd.h>

namespace onemap::cli {

namespace fs = std::filesystem;

namespace {

constexpr const char* kUserUsage =
    R"(usage: onemap user add     --data FILE.gpkg --id ID --role ROLE [--name NAME] [--scope SCOPE] [--worker WORKER_ID]
       onemap user token   --data FILE.gpkg --id ID
       onemap user list    --data FILE.gpkg
       onemap user disable --data FILE.gpkg --id ID
       onemap user enable  --data FILE.gpkg --id ID
       onemap user set     --data FILE.gpkg --id ID [--role ROLE] [--scope SCOPE] [--name NAME] [--worker WORKER_ID]

Users of the API and their bearer tokens (Authorization: Bearer <token>, or api_key in Open311).
`add` and `token` print a new token once on stdout: the store keeps only its SHA-256, so a lost
token is replaced with `token`, which also revokes the old one. `disable` stops a user's token,
`enable` lets it work again, `set` changes a role, scope, name or worker record (--scope "" for
the whole county). Each works on a store a server is serving too: the server sees the change
from its next request on. Each change is written to the store's audit as cli:<login>.

Roles:
  admin       everything
  centre      command-centre staff: dispatch, verify, close, reopen, escalate, batch dispatch,
              edit records and read households, within their --scope (an area code: a town's
              9 digits, a village's 12…; none: the whole county)
  department  department staff (--scope: the department, as in data/categories.csv): accept,
              start, resolve and return the incidents routed to it
  worker      a grid team member (--worker: their record in the workers layer): accept, start,
              resolve and return the incidents assigned to them; a grid head also dispatches,
              verifies and escalates in their grid
  reporter    a reporting channel (an app, the 12345 hotline): intake only
  feed        another system feeding county layers (--scope: the layers, comma-separated, e.g.
              cameras,stations): POST /collections/LAYER/feed for those, nothing else; reads
              what the public reads

  --config FILE  the dispatch configuration naming the departments (default data/dispatch.json)
)";

constexpr const char* kDispatchUsage =
    R"(usage: onemap dispatch --data FILE.gpkg [--area CODE] [--pool grid|village|town|county] [--config FILE]

Re-dispatches every unassigned open incident of the grid categories in the area (an area code
prefix; default the whole county) at once: the assignment of least total distance that gives as
many incidents as possible a worker under the workload cap, proved optimal. Prints its total
distance beside that of one-by-one nearest assignment. Refused while `onemap serve` serves the
store: use POST /dispatch/batch on the server instead.

  --pool P      who may take an incident: its grid's team (grid, the default), or any team of
                its village, town or the county
  --config FILE the dispatch configuration (default data/dispatch.json)
)";

int usage(const char* text, const std::string& message) {
  std::cerr << "onemap: " << message << "\n\n" << text;
  return 2;
}

// --name value pairs after the first `skip` arguments.
std::optional<std::map<std::string, std::string>> options(const Args& args, std::size_t skip,
                                                          const std::vector<const char*>& known,
                                                          const char* text) {
  std::map<std::string, std::string> out;
  for (std::size_t i = skip; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (std::none_of(known.begin(), known.end(), [&](const char* k) { return a == k; })) {
      usage(text, "unknown argument '" + a + "'");
      return std::nullopt;
    }
    if (i + 1 >= args.size()) {
      usage(text, a + " needs a value");
      return std::nullopt;
    }
    out[a] = args[++i];
  }
  return out;
}

std::unique_ptr<layers::County> open_county(const std::string& data, const std::string& config) {
  std::error_code ec;
  if (!fs::is_regular_file(data, ec)) throw StoreError("no store at " + data);
  const std::string path = config.empty() ? default_dispatch_config() : config;
  layers::DispatchConfig dispatch;
  if (!path.empty()) dispatch = layers::DispatchConfig::load(path);
  return std::make_unique<layers::County>(layers::open_store(data, false), layers::JoinOptions{},
                                          layers::TileConfig::defaults(), std::move(dispatch));
}

}  // namespace

std::string default_dispatch_config() {
  std::error_code ec;
  if (fs::is_regular_file("data/dispatch.json", ec)) return "data/dispatch.json";
  if (const char* env = std::getenv("ONEMAP_DATA_DIR"); env && *env) {
    const fs::path p = fs::path(env) / "dispatch.json";
    if (fs::is_regular_file(p, ec)) return p.string();
  }
#ifdef ONEMAP_SOURCE_DATA_DIR
  const fs::path p = fs::path(ONEMAP_SOURCE_DATA_DIR) / "dispatch.json";
  if (fs::is_regular_file(p, ec)) return p.string();
#endif
  return {};
}

namespace {

// The audit's actor of a change made here: cli:<login>.
layers::AuditRecord cli_origin() {
  layers::AuditRecord o;
  std::string login;
  if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_name) login = pw->pw_name;
  if (login.empty())
    if (const char* u = std::getenv("USER"); u && *u) login = u;
  if (login.empty()) login = "uid" + std::to_string(geteuid());
  o.actor = "cli:" + login;
  o.role = "cli";
  o.peer = "local";
  return o;
}

}  // namespace

int run_user(const Args& args) {
  if (args.empty() || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUserUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string& verb = args[0];
  static const std::vector<std::string> verbs = {"add",     "token",  "list",
                                                 "disable", "enable", "set"};
  if (std::find(verbs.begin(), verbs.end(), verb) == verbs.end())
    return usage(kUserUsage,
                 "unknown user command '" + verb + "' (add, token, list, disable, enable, set)");
  if (std::find(args.begin(), args.end(), "--help") != args.end() ||
      std::find(args.begin(), args.end(), "-h") != args.end()) {
    std::cout << kUserUsage;
    return 0;
  }
  std::vector<const char*> known = {"--data", "--config"};
  if (verb == "add" || verb == "set")
    known = {"--data", "--id", "--role", "--name", "--scope", "--worker", "--config"};
  else if (verb != "list")
    known = {"--data", "--id", "--config"};
  const auto o = options(args, 1, known, kUserUsage);
  if (!o) return 2;
  auto get = [&](const char* k) {
    const auto it = o->find(k);
    return it == o->end() ? std::string() : it->second;
  };
  auto given = [&](const char* k) -> std::optional<std::string> {
    const auto it = o->find(k);
    if (it == o->end()) return std::nullopt;
    return it->second;
  };
  if (get("--data").empty()) return usage(kUserUsage, "--data FILE.gpkg is required");
  if (verb != "list" && get("--id").empty()) return usage(kUserUsage, "--id is required");
  if (verb == "add" && get("--role").empty()) return usage(kUserUsage, "--role is required");
  if (verb == "set" && !given("--role") && !given("--scope") && !given("--name") &&
      !given("--worker"))
    return usage(kUserUsage, "set needs --role, --scope, --name or --worker");
  auto county = open_county(get("--data"), get("--config"));
  if (verb == "list") {
    std::cout << std::left << std::setw(20) << "id" << std::setw(12) << "role" << std::setw(20)
              << "scope" << std::setw(14) << "worker" << std::setw(8) << "active"
              << "name\n";
    for (const auto& u : county->users().list())
      std::cout << std::setw(20) << u.id << std::setw(12) << u.role << std::setw(20) << u.scope
                << std::setw(14) << u.worker_id << std::setw(8) << (u.active ? "yes" : "no")
                << u.name << "\n";
    return 0;
  }
  const std::string id = get("--id");
  if (verb == "token") {
    std::cout << county->users().issue_token(id, cli_origin()) << "\n";
    std::cerr << "onemap user: new token for " << id << " (the old one no longer works)\n";
    return 0;
  }
  if (verb == "disable" || verb == "enable" || verb == "set") {
    auth::UserPatch p;
    if (verb == "set") {
      p.role = given("--role");
      p.scope = given("--scope");
      p.name = given("--name");
      p.worker_id = given("--worker");
    } else {
      p.active = verb == "enable";
    }
    const layers::User u = county->users().update(id, p, cli_origin());
    std::cerr << "onemap user: " << u.id << " is " << (u.active ? "active" : "disabled") << ", "
              << u.role << (u.scope.empty() ? "" : " of " + u.scope)
              << (u.worker_id.empty() ? "" : ", worker " + u.worker_id) << "\n";
    return 0;
  }
  layers::User u;
  u.id = id;
  u.role = get("--role");
  u.name = get("--name");
  u.scope = get("--scope");
  u.worker_id = get("--worker");
  std::cout << county->users().add(u, cli_origin()) << "\n";
  std::cerr << "onemap user: added " << u.id << " (" << u.role
            << "); its token is above and is not shown again\n";
  return 0;
}

int run_dispatch(const Args& args) {
  if (std::find(args.begin(), args.end(), "--help") != args.end() ||
      std::find(args.begin(), args.end(), "-h") != args.end()) {
    std::cout << kDispatchUsage;
    return 0;
  }
  const auto o = options(args, 0, {"--data", "--area", "--pool", "--config"}, kDispatchUsage);
  if (!o) return 2;
  auto get = [&](const char* k, const char* dflt) {
    const auto it = o->find(k);
    return it == o->end() ? std::string(dflt) : it->second;
  };
  if (get("--data", "").empty()) return usage(kDispatchUsage, "--data FILE.gpkg is required");
  // A running server would overwrite what this writes (and this what it wrote): refuse, and hold
  // the store against a server starting meanwhile. Taken before the store opens.
  const auto lock =
      layers::StoreLock::for_writing(get("--data", ""), "use POST /dispatch/batch instead");
  auto county = open_county(get("--data", ""), get("--config", ""));
  layers::Actor admin;
  admin.id = "cli";
  admin.role = "admin";
  const auto r = county->batch_dispatch(get("--area", ""), get("--pool", "grid"), admin);
  std::cout << std::fixed << std::setprecision(1);
  std::cout << "area " << (r.area.empty() ? "(county)" : r.area) << ", pool " << r.pool << ": "
            << r.incidents << " unassigned incidents, " << r.workers << " workers\n";
  std::cout << "  optimal: " << r.assigned << " assigned, total " << r.total_m / 1000 << " km"
            << (r.proved_optimal ? " (proved optimal)" : "") << "\n";
  std::cout << "  greedy:  " << r.greedy_assigned << " assigned, total " << r.greedy_total_m / 1000
            << " km\n";
  if (r.skipped)
    std::cout << "  skipped: " << r.skipped << " (changed while the batch was solved)\n";
  std::cout << std::setprecision(3) << "  " << r.seconds << " s (" << r.lock_seconds
            << " s of it writing), written to " << get("--data", "") << "\n";
  return 0;
}

}  // namespace onemap::cli
