// `onemap webhook add|list|remove`: the subscribers a server pushes the outbox to (webhooks, the
// SMS gateway; layers/model/outbox.hpp, api/webhooks.hpp; README "Push, never poll").
#include "apps/onemap/cli.hpp"
#include "apps/onemap/cli_checked.hpp"

#include "core/errors.hpp"
#include "layers/model/feature_layer.hpp"
#include "layers/model/outbox.hpp"
#include "layers/store/store.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace onemap::cli {

namespace {

using namespace onemap::layers;

constexpr const char* kUsage =
    R"(usage: onemap webhook add    --data FILE.gpkg --name NAME --url URL --secret-file FILE
                            [--kind webhook|sms] [--actions A,B,…] [--area CODE]
       onemap webhook list   --data FILE.gpkg
       onemap webhook remove --data FILE.gpkg NAME

The subscribers `onemap serve` pushes incident events to. Each event of the closed loop (report,
dispatch, accept, …, close) is kept in the store's outbox in the transaction of the change it
reports, and POSTed as JSON to every subscriber that takes it, in order, signed with
HMAC-SHA256 of the body under the subscriber's secret:

  X-Onemap-Signature: sha256=<hex>

A subscriber's cursor moves past an event only once it answered 2xx; a failure is retried with a
pause that doubles up to a minute, holding that subscriber's later events back (at least once, in
order). A new subscriber hears of the events from now on. `add` of an existing NAME replaces its
definition and keeps its cursor. A served store takes these at once.

  --data FILE.gpkg     the store
  --name NAME          the subscriber's name
  --url URL            where to POST: http://host:port/path
  --secret-file FILE   a file holding the signing secret (its first line; at least 16 bytes);
                       never printed
  --kind KIND          webhook (default): every event as JSON; sms: the county's SMS gateway,
                       POSTed {"to", "text", "case"} for each phone of the resident (and
                       followers) of a case when it is received (report) and closed (close)
  --actions A,B        only these actions (default: all)
  --area CODE          only cases whose grid or agency code starts with CODE (default: all)
)";

struct Options {
  std::string action, data, name, url, secret_file, kind = std::string(kWebhook), actions, area;
  std::vector<std::string> positional;
};

Options parse(const Args& args) {
  Options o;
  if (args.empty()) throw UsageError{"no action given (add, list, remove)"};
  o.action = args[0];
  o.positional = read_options(args, 1,
                              {{"--data", into(o.data)},
                               {"--name", into(o.name)},
                               {"--url", into(o.url)},
                               {"--secret-file", into(o.secret_file)},
                               {"--kind", into(o.kind)},
                               {"--actions", into(o.actions)},
                               {"--area", into(o.area)}});
  if (o.data.empty()) throw UsageError{"--data FILE.gpkg is required"};
  if (o.action != "add" && o.action != "list" && o.action != "remove")
    throw UsageError{"unknown action '" + o.action + "' (add, list, remove)"};
  if (o.action == "remove" && o.positional.size() != 1)
    throw UsageError{"remove takes one subscriber NAME"};
  if (o.action != "remove" && !o.positional.empty()) throw UsageError{o.action + " takes no NAME"};
  if (o.action == "add" && (o.name.empty() || o.url.empty() || o.secret_file.empty()))
    throw UsageError{"add needs --name, --url and --secret-file"};
  if (o.kind != kWebhook && o.kind != kSms) throw UsageError{"--kind: webhook or sms"};
  return o;
}

std::string read_secret(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InvalidArgument("secret-file", "cannot read " + path);
  std::string secret;
  std::getline(in, secret);
  if (secret.size() < 16)
    throw InvalidArgument("secret-file", "the secret in " + path + " is shorter than 16 bytes");
  return secret;
}

int add(Store& store, const Options& o) {
  Subscriber s;
  s.name = o.name;
  s.kind = o.kind;
  s.url = o.url;
  if (s.url.rfind("http://", 0) != 0)
    throw InvalidArgument("url", "expected http://host:port/path, got '" + s.url + "'");
  if (!is_layer_name(s.name))
    throw InvalidArgument("name",
                          "a subscriber's name is a lower-case letter, then letters, digits or "
                          "'_': '" +
                              s.name + "' is not");
  s.secret = read_secret(o.secret_file);
  std::stringstream actions(o.actions);
  for (std::string a; std::getline(actions, a, ',');)
    if (!a.empty()) s.actions.push_back(a);
  s.area = o.area;
  store.put_subscriber(s);
  std::cout << s.kind << " " << s.name << ": " << s.url << ", from the next event on\n";
  return 0;
}

int list(Store& store) {
  const auto subscribers = store.load_subscribers();
  if (subscribers.empty()) {
    std::cout << "no subscribers (onemap webhook add --name NAME --url URL --secret-file FILE "
                 "adds one)\n";
    return 0;
  }
  std::printf("%-20s %-8s %-12s %-10s %-24s %s\n", "NAME", "KIND", "AREA", "DELIVERED", "ACTIONS",
              "URL");
  for (const auto& s : subscribers) {
    std::string actions;
    for (const auto& a : s.actions) actions += (actions.empty() ? "" : ",") + a;
    std::printf("%-20s %-8s %-12s %-10lld %-24s %s\n", s.name.c_str(), s.kind.c_str(),
                s.area.empty() ? "*" : s.area.c_str(), static_cast<long long>(s.delivered),
                actions.empty() ? "*" : actions.c_str(), s.url.c_str());
  }
  return 0;
}

}  // namespace

int run_webhook(const Args& args) {
  return run_checked("webhook", args, kUsage, parse, [](const Options& o) {
    // Beside a running server too: the server reads the subscribers at each look.
    auto store = open_store(o.data, false);
    if (o.action == "add") return add(*store, o);
    if (o.action == "list") return list(*store);
    store->drop_subscriber(o.positional[0]);
    std::cout << "removed the subscriber " << o.positional[0] << " from " << o.data << "\n";
    return 0;
  });
}

}  // namespace onemap::cli
