// `onemap layer list|describe|add|alter|drop`: the county layers of a store (layers defined as
// data, layers/model/feature_layer.hpp). `onemap import --create` makes one from a source file.
#include "apps/onemap/cli.hpp"
#include "apps/onemap/cli_checked.hpp"

#include "core/errors.hpp"
#include "layers/model/text.hpp"
#include "layers/store/store.hpp"
#include "layers/store/store_lock.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

namespace onemap::cli {

namespace {

using namespace onemap::layers;

constexpr const char* kUsage =
    R"(usage: onemap layer list     --data FILE.gpkg
       onemap layer describe --data FILE.gpkg NAME
       onemap layer add      --data FILE.gpkg --schema FILE.json [--name NAME] [--geometry KIND]
       onemap layer alter    --data FILE.gpkg NAME [--add-field NAME:TYPE[:AUDIENCE]]...
                             [--audience FIELD=AUDIENCE]... [--layer-audience public|staff]
                             [--title T] [--theme T] [--alteration FILE.json]
       onemap layer drop     --data FILE.gpkg NAME

A county's own layers beside onemap's five: cameras, stations, pipes, planning zones… each with
points, lines or polygons, fields with their audiences (public, staff, personal), a zoom range and
a style, defined as data (README "County layers"). `list` shows them with their feature counts,
`describe` one's definition as JSON, `add` makes an empty layer from a definition file (fed later
by imports or feeds), `alter` changes one's definition (its features stay), `drop` removes one
with its features. To make a layer from a Shapefile, GeoJSON, CSV or any GDAL source:
onemap import --data FILE.gpkg --layer NAME --create SOURCE. A running server is altered with
PATCH /admin/layers/NAME instead (README "Altering a county layer").

  --data FILE.gpkg   the store
  --schema FILE      the definition: {"name", "title", "theme", "geometry": "point|line|polygon",
                     "id_field", "minzoom", "maxzoom", "fields": [{"name", "type", "audience",
                     "queryable", "tile_minzoom", "source"}], "style": {"color", "fill", "icon",
                     "width", "radius", "label", "minzoom"}}
  --name NAME        the layer's name, whatever the file says
  --geometry KIND    point | line | polygon, whatever the file says

alter (each option may be given with the others; the layer's name, geometry, id field and a
field's name or type stay, and no field is removed: its features depend on them):
  --add-field NAME:TYPE[:AUDIENCE]  a new field, null in every feature: TYPE string, integer,
                     real, boolean or datetime; AUDIENCE public, staff (the default) or personal
  --audience FIELD=AUDIENCE  who reads a field: public, staff or personal (a field made personal
                     leaves the queryables and the tiles)
  --layer-audience A who sees the layer's features at all: public or staff
  --title T, --theme T  the layer's title; its group in the catalogue
  --alteration FILE  an alteration as PATCH /admin/layers/NAME takes it: {"title", "description",
                     "theme", "audience", "minzoom", "maxzoom", "style": {…}, "add_fields": [{…}],
                     "fields": {"FIELD": {"audience", "queryable", "tile_minzoom", "source"}}}; the
                     options above are applied over it
)";

struct Options {
  std::string action, data, schema, name, geometry;
  std::vector<std::string> positional;
  // alter
  std::vector<std::string> add_fields, audiences;
  std::optional<std::string> layer_audience, title, theme;
  std::string alteration;
  bool alters() const {
    return !add_fields.empty() || !audiences.empty() || layer_audience || title || theme ||
           !alteration.empty();
  }
};

Options parse(const Args& args) {
  Options o;
  if (args.empty()) throw UsageError{"no action given (list, describe, add, alter, drop)"};
  o.action = args[0];
  auto optional = [](std::optional<std::string>& s) -> OptionSetter {
    return [&s](std::string v) { s = std::move(v); };
  };
  auto each = [](std::vector<std::string>& list) -> OptionSetter {
    return [&list](std::string v) { list.push_back(std::move(v)); };
  };
  o.positional = read_options(args, 1,
                              {{"--data", into(o.data)},
                               {"--schema", into(o.schema)},
                               {"--name", into(o.name)},
                               {"--geometry", into(o.geometry)},
                               {"--add-field", each(o.add_fields)},
                               {"--audience", each(o.audiences)},
                               {"--layer-audience", optional(o.layer_audience)},
                               {"--title", optional(o.title)},
                               {"--theme", optional(o.theme)},
                               {"--alteration", into(o.alteration)}});
  if (o.data.empty()) throw UsageError{"--data FILE.gpkg is required"};
  const bool named = o.action == "describe" || o.action == "alter" || o.action == "drop";
  if (o.action != "list" && o.action != "add" && !named)
    throw UsageError{"unknown action '" + o.action + "' (list, describe, add, alter, drop)"};
  if (named && o.positional.size() != 1) throw UsageError{o.action + " takes one layer NAME"};
  if (!named && !o.positional.empty()) throw UsageError{o.action + " takes no NAME"};
  if (o.action == "add" && o.schema.empty()) throw UsageError{"add needs --schema FILE.json"};
  if (o.action != "add" && (!o.schema.empty() || !o.name.empty() || !o.geometry.empty()))
    throw UsageError{"--schema, --name and --geometry go with add"};
  if (o.action == "alter" && !o.alters())
    throw UsageError{
        "alter needs a change: --add-field, --audience, --layer-audience, --title, --theme or "
        "--alteration FILE.json"};
  if (o.action != "alter" && o.alters())
    throw UsageError{
        "--add-field, --audience, --layer-audience, --title, --theme and --alteration go with "
        "alter"};
  return o;
}

std::string read_file(const std::string& path, const std::string& option) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw UsageError{option + ": cannot read " + path};
  std::stringstream text;
  text << f.rdbuf();
  return text.str();
}

// The alteration the options ask for (layers::alter_definition checks it): the file's, with the
// options' changes over it.
std::string alteration_of(const Options& o) {
  using json = nlohmann::ordered_json;
  json a = json::object();
  if (!o.alteration.empty()) {
    const std::string text = read_file(o.alteration, "--alteration");
    check_json_depth(text, "--alteration");
    a = json::parse(text, nullptr, false);
    if (a.is_discarded() || !a.is_object())
      throw UsageError{"--alteration: " + o.alteration + " is no JSON object"};
  }
  for (const std::string& spec : o.add_fields) {
    std::vector<std::string> parts;
    for (std::size_t at = 0;;) {
      const std::size_t colon = spec.find(':', at);
      parts.push_back(spec.substr(at, colon - at));
      if (colon == std::string::npos) break;
      at = colon + 1;
    }
    if (parts.size() < 2 || parts.size() > 3 ||
        std::any_of(parts.begin(), parts.end(), [](const auto& p) { return p.empty(); }))
      throw UsageError{"--add-field takes NAME:TYPE[:AUDIENCE], not '" + spec + "'"};
    json f = {{"name", parts[0]}, {"type", parts[1]}};
    if (parts.size() == 3) f["audience"] = parts[2];
    // Another type in the file is for alter_definition to refuse.
    if (json& list = a["add_fields"]; list.is_null() || list.is_array()) list.push_back(f);
  }
  for (const std::string& spec : o.audiences) {
    const std::size_t eq = spec.find('=');
    if (eq == 0 || eq == std::string::npos || eq + 1 == spec.size())
      throw UsageError{"--audience takes FIELD=AUDIENCE, not '" + spec + "'"};
    json& fields = a["fields"];
    if (fields.is_null()) fields = json::object();
    if (fields.is_object()) fields[spec.substr(0, eq)]["audience"] = spec.substr(eq + 1);
  }
  if (o.layer_audience) a["audience"] = *o.layer_audience;
  if (o.title) a["title"] = *o.title;
  if (o.theme) a["theme"] = *o.theme;
  return json_text(a);
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
  LayerDef def = definition_from_json(read_file(o.schema, "--schema"), o.name);
  if (!o.geometry.empty()) def.geometry = geometry_kind_from_name(o.geometry);
  std::vector<Feature> none;
  store.create_layer(def, none);
  std::cout << "added the " << geometry_kind_name(def.geometry) << " layer " << def.name << " ("
            << def.fields.size() << " fields) to " << o.data << "\n";
  return 0;
}

int alter(Store& store, const Options& o, const std::string& alteration) {
  const LayerDef def = store.alter_layer(o.positional[0], alteration);
  std::cout << "altered the layer " << def.name << " in " << o.data << ":\n"
            << json_text(nlohmann::ordered_json::parse(definition_json(def)), 2) << "\n";
  return 0;
}

}  // namespace

int run_layer(const Args& args) {
  return run_checked("layer", args, kUsage, parse, [](const Options& o) {
    // The alteration is read before the store is locked: a bad option costs no wait.
    const std::string alteration = o.action == "alter" ? alteration_of(o) : std::string();
    // add, alter and drop write the file: not beside a running server, which would not see them.
    std::optional<StoreLock> lock;
    if (o.action == "alter")
      lock = StoreLock::for_writing(
          o.data, "use PATCH /admin/layers/" + o.positional[0] + " on it instead");
    else if (o.action == "add" || o.action == "drop")
      lock =
          StoreLock::for_writing(o.data, "stop it first (onemap layer writes the file directly)");
    auto store = open_store(o.data, o.action == "add");
    if (o.action == "list") return list(*store);
    if (o.action == "describe") return describe(*store, o.positional[0]);
    if (o.action == "add") return add(*store, o);
    if (o.action == "alter") return alter(*store, o, alteration);
    store->drop_layer(o.positional[0]);
    std::cout << "dropped the layer " << o.positional[0] << " from " << o.data << "\n";
    return 0;
  });
}

}  // namespace onemap::cli
