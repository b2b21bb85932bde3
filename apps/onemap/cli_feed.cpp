// `onemap feed add|list|drop`: the sources a server pulls into county layers on a schedule
// (layers/model/feed.hpp; README "County layers", feeds).
#include "apps/onemap/cli.hpp"
#include "apps/onemap/cli_checked.hpp"

#include "core/errors.hpp"
#include "layers/store/store.hpp"

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace onemap::cli {

namespace {

using namespace onemap::layers;

constexpr const char* kUsage =
    R"(usage: onemap feed add  --data FILE.gpkg --layer NAME --source SOURCE --every INTERVAL
                       [--name NAME] [--src-layer NAME]
       onemap feed list --data FILE.gpkg
       onemap feed drop --data FILE.gpkg NAME

Another system's records kept in a county layer by pulling them on a schedule: `onemap serve`
reads each feed's source when it is due with GDAL, maps its fields to the layer's by name (a
field's "source" name too; the source's other fields are left out), and applies what it read as
one batch, as POST /collections/NAME/feed does: records matched by the layer's id field,
inserted or replaced, only those that changed written, all of a pull or none of it. A pull never
removes a record the source no longer has (but for a feature whose _delete property is true).
`list` shows each feed with its last pull; `drop` removes one. A served store takes these at
once: the server looks for due feeds every --feed-interval seconds (see onemap serve --help).

  --data FILE.gpkg   the store
  --layer NAME       the county layer fed (it needs an id field)
  --source SOURCE    what GDAL opens: OGC API - Features as OAPIF:https://host/ogcapi (with
                     --src-layer naming the collection), WFS as WFS:https://host/wfs, GeoJSON at
                     an http(s) URL, another file format at /vsicurl/https://…, or a path
  --every INTERVAL   between pulls: 90s, 10m, 2h, 1d (at least 1s)
  --name NAME        the feed's name (default: the layer's)
  --src-layer NAME   the source's layer or collection (default: its first)
)";

struct Options {
  std::string action, data, layer, source, every, name, source_layer;
  std::vector<std::string> positional;
};

Options parse(const Args& args) {
  Options o;
  if (args.empty()) throw UsageError{"no action given (add, list, drop)"};
  o.action = args[0];
  o.positional = read_options(args, 1,
                              {{"--data", into(o.data)},
                               {"--layer", into(o.layer)},
                               {"--source", into(o.source)},
                               {"--every", into(o.every)},
                               {"--name", into(o.name)},
                               {"--src-layer", into(o.source_layer)}});
  if (o.data.empty()) throw UsageError{"--data FILE.gpkg is required"};
  if (o.action != "add" && o.action != "list" && o.action != "drop")
    throw UsageError{"unknown action '" + o.action + "' (add, list, drop)"};
  if (o.action == "drop" && o.positional.size() != 1) throw UsageError{"drop takes one feed NAME"};
  if (o.action != "drop" && !o.positional.empty()) throw UsageError{o.action + " takes no NAME"};
  const bool defines = !o.layer.empty() || !o.source.empty() || !o.every.empty() ||
                       !o.name.empty() || !o.source_layer.empty();
  if (o.action == "add" && (o.layer.empty() || o.source.empty() || o.every.empty()))
    throw UsageError{"add needs --layer, --source and --every"};
  if (o.action != "add" && defines)
    throw UsageError{"--layer, --source, --every, --name and --src-layer go with add"};
  return o;
}

int add(Store& store, const Options& o) {
  PullFeed f;
  f.layer = o.layer;
  f.name = o.name.empty() ? o.layer : o.name;
  f.source = o.source;
  f.source_layer = o.source_layer;
  f.every_s = parse_interval(o.every);
  if (!is_layer_name(f.name))
    throw InvalidArgument("name",
                          "a feed's name is a lower-case letter, then letters, digits or "
                          "'_': '" +
                              f.name + "' is not");
  const auto layers = store.load_feature_layers();
  const auto it = std::find_if(layers.begin(), layers.end(),
                               [&](const FeatureLayer& l) { return l.def.name == o.layer; });
  if (it == layers.end()) throw InvalidArgument("layer", "there is no county layer " + o.layer);
  check_feedable(it->def);
  store.put_feed(f);
  std::cout << "feed " << f.name << ": " << f.source << " into " << f.layer << " every "
            << format_interval(f.every_s) << ", from the next look of a server serving " << o.data
            << "\n";
  return 0;
}

int list(Store& store) {
  const auto feeds = store.load_feeds();
  if (feeds.empty()) {
    std::cout << "no feeds (onemap feed add --layer NAME --source SOURCE --every 10m adds one)\n";
    return 0;
  }
  std::printf("%-20s %-20s %-6s %-20s %s\n", "NAME", "LAYER", "EVERY", "LAST PULL", "SOURCE");
  for (const auto& f : feeds) {
    std::printf("%-20s %-20s %-6s %-20s %s\n", f.name.c_str(), f.layer.c_str(),
                format_interval(f.every_s).c_str(),
                f.last_run ? format_time(f.last_run).c_str() : "never", f.source.c_str());
    if (!f.last_result.empty()) std::printf("  %s\n", f.last_result.c_str());
  }
  return 0;
}

}  // namespace

int run_feed(const Args& args) {
  return run_checked("feed", args, kUsage, parse, [](const Options& o) {
    // Beside a running server too, as `onemap user` is: the server reads the feeds at each look.
    auto store = open_store(o.data, false);
    if (o.action == "add") return add(*store, o);
    if (o.action == "list") return list(*store);
    store->drop_feed(o.positional[0]);
    std::cout << "dropped the feed " << o.positional[0] << " from " << o.data << "\n";
    return 0;
  });
}

}  // namespace onemap::cli
