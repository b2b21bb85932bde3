// `onemap layer list|describe|add|drop`: the county layers of a store (layers defined as data,
// layers/model/feature_layer.hpp). `onemap import --create` makes one from a source file.
#include "apps/onemap/cli.hpp"

#include "core/errors.hpp"
#include "layers/model/text.hpp"
#include "layers/store/store.hpp"
#include "layers/store/store_lock.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

namespace onemap::cli {

namespace {

using namespace onemap::layers;

constexpr const char* kUsage =
    R"(usage: onemap layer list     --data FILE.gpkg
       onemap layer describe --data FILE.gpkg NAME
       onemap layer add      --data FILE.gpkg --schema FILE.json [--name NAME] [--geometry KIND]
       onemap layer drop     --data FILE.gpkg NAME

A county's own layers beside onemap's five: cameras, stations, pipes, planning zones… each with
points, lines or polygons, fields with their audiences (public, staff, personal), a zoom range and
a style, defined as data (README "County layers"). `list` shows them with their feature counts,
`describe` one's definition as JSON, `add` makes an empty layer from a definition file (fed later
by imports or feeds), `drop` removes one with its features. To make a layer from a Shapefile,
GeoJSON, CSV or any GDAL source: onemap import --data FILE.gpkg --layer NAME --create SOURCE.

  --data FILE.gpkg   the store
  --schema FILE      the definition: {"name", "title", "theme", "geometry": "point|line|polygon",
                     "id_field", "minzoom", "maxzoom", "fields": [{"name", "type", "audience",
                     "queryable", "tile_minzoom", "source"}], "style": {"color", "fill", "icon",
                     "width", "radius", "label", "minzoom"}}
  --name NAME        the layer's name, whatever the file says
  --geometry KIND    point | line | polygon, whatever the file says
)";

struct UsageError {
  std::string message;
};

struct Options {
  std::string action, data, schema, name, geometry;
  std::vector<std::string> positional;
};

Options parse(const Args& args) {
  Options o;
  if (args.empty()) throw UsageError{"no action given (list, describe, add, drop)"};
  o.action = args[0];
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.size()) throw UsageError{a + " needs a value"};
      return args[++i];
    };
    if (a == "--data")
      o.data = value();
    else if (a == "--schema")
      o.schema = value();
    else if (a == "--name")
      o.name = value();
    else if (a == "--geometry")
      o.geometry = value();
    else if (!a.empty() && a[0] == '-')
      throw UsageError{"unknown option " + a};
    else
      o.positional.push_back(a);
  }
  if (o.data.empty()) throw UsageError{"--data FILE.gpkg is required"};
  const bool named = o.action == "describe" || o.action == "drop";
  if (o.action != "list" && o.action != "add" && !named)
    throw UsageError{"unknown action '" + o.action + "' (list, describe, add, drop)"};
  if (named && o.positional.size() != 1) throw UsageError{o.action + " takes one layer NAME"};
  if (!named && !o.positional.empty()) throw UsageError{o.action + " takes no NAME"};
  if (o.action == "add" && o.schema.empty()) throw UsageError{"add needs --schema FILE.json"};
  if (o.action != "add" && (!o.schema.empty() || !o.name.empty() || !o.geometry.empty()))
    throw UsageError{"--schema, --name and --geometry go with add"};
  return o;
}

const FeatureLayer* find(const std::vector<FeatureLayer>& layers, const std::string& name) {
  for (const auto& l : layers)
    if (l.def.name == name) return &l;
  return nullptr;
}

int list(Store& store) {
  const auto layers = store.load_feature_layers();
  if (layers.empty()) {
    std::cout << "no county layers (onemap import --layer NAME --create SOURCE makes one)\n";
    return 0;
  }
  std::printf("%-24s %-8s %10s  %-8s %s\n", "NAME", "GEOMETRY", "FEATURES", "THEME", "TITLE");
  for (const auto& l : layers)
    std::printf("%-24s %-8s %10zu  %-8s %s\n", l.def.name.c_str(),
                std::string(geometry_kind_name(l.def.geometry)).c_str(), l.features.size(),
                l.def.theme.c_str(), l.def.title.c_str());
  return 0;
}

int describe(Store& store, const std::string& name) {
  const auto layers = store.load_feature_layers();
  const FeatureLayer* l = find(layers, name);
  if (!l) {
    std::cerr << "onemap layer: there is no layer named " << name << "\n";
    return 1;
  }
  nlohmann::ordered_json j = nlohmann::ordered_json::parse(definition_json(l->def));
  j["features"] = l->features.size();
  std::cout << json_text(j, 2) << "\n";
  return 0;
}

int add(Store& store, const Options& o) {
  std::ifstream f(o.schema, std::ios::binary);
  if (!f) throw UsageError{"--schema: cannot read " + o.schema};
  std::stringstream text;
  text << f.rdbuf();
  LayerDef def = definition_from_json(text.str(), o.name);
  if (!o.geometry.empty()) def.geometry = geometry_kind_from_name(o.geometry);
  std::vector<Feature> none;
  store.create_layer(def, none);
  std::cout << "added the " << geometry_kind_name(def.geometry) << " layer " << def.name << " ("
            << def.fields.size() << " fields) to " << o.data << "\n";
  return 0;
}

}  // namespace

int run_layer(const Args& args) {
  for (const auto& a : args)
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    }
  Options o;
  try {
    o = parse(args);
  } catch (const UsageError& e) {
    std::cerr << "onemap layer: " << e.message << "\n(see 'onemap layer --help')\n";
    return 2;
  }
  try {
    // add and drop write the file: not beside a running server, which would not see them.
    std::optional<StoreLock> lock;
    if (o.action == "add" || o.action == "drop")
      lock =
          StoreLock::for_writing(o.data, "stop it first (onemap layer writes the file directly)");
    auto store = open_store(o.data, o.action == "add");
    if (o.action == "list") return list(*store);
    if (o.action == "describe") return describe(*store, o.positional[0]);
    if (o.action == "add") return add(*store, o);
    store->drop_layer(o.positional[0]);
    std::cout << "dropped the layer " << o.positional[0] << " from " << o.data << "\n";
    return 0;
  } catch (const UsageError& e) {
    std::cerr << "onemap layer: " << e.message << "\n";
    return 2;
  } catch (const InvalidArgument& e) {
    std::cerr << "onemap layer: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "onemap layer: error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace onemap::cli
