// The read policy (read_policy.hpp).
#include "auth/read_policy.hpp"

#include "core/errors.hpp"
#include "layers/model/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <utility>

namespace onemap::auth {

using layers::LayerKind;
using json = nlohmann::json;

// data/read_policy.json, built in (read_policy_default.cpp, generated at configure time).
extern const std::string_view kStandardReadPolicy;

namespace {

Audience max(Audience a, Audience b) {
  return static_cast<int>(a) >= static_cast<int>(b) ? a : b;
}

std::size_t index(LayerKind k) {
  return static_cast<std::size_t>(k);
}

// The fields a policy may name for a layer: the data model's, the geometry, and an incident's
// history (its audit trail).
bool known_field(LayerKind layer, std::string_view field, bool* personal) {
  *personal = false;
  if (field == "geometry" || (layer == LayerKind::Incidents && field == "history")) return true;
  for (const auto& f : layers::layer_fields(layer))
    if (f.name == field) {
      *personal = f.personal;
      return true;
    }
  return false;
}

}  // namespace

Viewer::Viewer() : policy(&ReadPolicy::standard()) {}

Audience Viewer::at(std::string_view grid_code, std::string_view agency) const {
  if (audience == Audience::Public || scope.empty()) return audience;
  if (layers::within_scope(grid_code, scope) || layers::within_scope(agency, scope))
    return audience;
  return Audience::Public;
}

std::string Viewer::cache_key() const {
  std::string k(audience_name(audience));
  if (audience != Audience::Public && !scope.empty()) k += ":" + scope;
  return k;
}

// ---- the policy

const ReadPolicy& ReadPolicy::standard() {
  static const ReadPolicy policy = parse(kStandardReadPolicy, "data/read_policy.json");
  return policy;
}

ReadPolicy ReadPolicy::parse(std::string_view text, const std::string& name) {
  auto fail = [&](const std::string& where, const std::string& what) -> InvalidArgument {
    return InvalidArgument("read-policy", name + ": " + where + (where.empty() ? "" : ": ") + what);
  };
  json j;
  try {
    layers::check_json_depth(text, "read-policy");
    j = json::parse(text);
  } catch (const InvalidArgument& e) {
    throw fail("", e.detail());
  } catch (const json::exception& e) {
    throw fail("", std::string("not valid JSON: ") + e.what());
  }
  if (!j.is_object()) throw fail("", "must be a JSON object with \"roles\" and \"layers\"");
  auto audience = [&](const json& v, const std::string& where) {
    if (v.is_string()) {
      const auto& t = v.get_ref<const std::string&>();
      for (const Audience a : {Audience::Public, Audience::Staff, Audience::Personal})
        if (t == audience_name(a)) return a;
    }
    throw fail(where, "must be \"public\", \"staff\" or \"personal\"");
  };
  auto object = [&](const json& parent, const char* key, const std::string& where) -> const json& {
    const auto it = parent.find(key);
    if (it == parent.end() || !it->is_object())
      throw fail(where, std::string("needs an object \"") + key + "\"");
    return *it;
  };
  for (const auto& [key, v] : j.items())
    if (key != "roles" && key != "layers")
      throw fail(key, "unknown entry (entries: roles, layers)");

  ReadPolicy p;
  for (const auto& [role, v] : object(j, "roles", "").items()) {
    const std::string where = "roles." + role;
    const auto& known = layers::user_roles();
    if (std::find(known.begin(), known.end(), role) == known.end())
      throw fail(where, "unknown role");
    if (!v.is_object()) throw fail(where, "must be an object {\"audience\": …, \"detail\": …}");
    Role r;
    for (const auto& [key, x] : v.items()) {
      if (key == "audience") {
        r.audience = audience(x, where + ".audience");
      } else if (key == "detail") {
        if (x != "scope" && x != "county")
          throw fail(where + ".detail", "must be \"scope\" or \"county\"");
        r.scoped = x == "scope";
      } else {
        throw fail(where + "." + key, "unknown entry (entries: audience, detail)");
      }
    }
    if (!v.contains("audience")) throw fail(where, "needs \"audience\"");
    // A feed's token is another system's: it writes its layers and reads what anyone reads.
    if (role == "feed" && r.audience != Audience::Public)
      throw fail(where + ".audience", "a feed reads what the public does: \"public\"");
    p.roles_[role] = r;
  }
  const json& layer_entries = object(j, "layers", "");
  for (const auto& [layer, v] : layer_entries.items()) {
    LayerKind kind;
    try {
      kind = layers::layer_from_name(layer);
    } catch (const InvalidArgument&) {
      throw fail("layers." + layer, "unknown layer");
    }
    const std::string where = "layers." + layer;
    if (!v.is_object()) throw fail(where, "must be an object {\"audience\": …, \"fields\": {…}}");
    Layer& l = p.layers_[index(kind)];
    for (const auto& [key, x] : v.items())
      if (key != "audience" && key != "fields")
        throw fail(where + "." + key, "unknown entry (entries: audience, fields)");
    if (!v.contains("audience")) throw fail(where, "needs \"audience\"");
    l.audience = audience(v["audience"], where + ".audience");
    static const json no_fields = json::object();
    for (const auto& [field, x] :
         (v.contains("fields") ? object(v, "fields", where) : no_fields).items()) {
      bool personal = false;
      if (!known_field(kind, field, &personal))
        throw fail(where + ".fields." + field, "unknown field of " + layer);
      const Audience a = audience(x, where + ".fields." + field);
      if (personal && a != Audience::Personal)
        throw fail(where + ".fields." + field,
                   "is personal information: only \"personal\" may read it");
      l.fields[field] = max(a, l.audience);
    }
  }
  for (const LayerKind k : layers::kAllLayers)
    if (!layer_entries.contains(std::string(layers::layer_name(k))))
      throw fail("layers", "needs an entry for every layer; " + std::string(layers::layer_name(k)) +
                               " is missing");
  return p;
}

ReadPolicy ReadPolicy::read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InvalidArgument("read-policy", "cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

Viewer ReadPolicy::viewer(const std::optional<layers::Actor>& user) const {
  Viewer v;
  v.policy = this;
  if (!user) return v;
  v.user_id = user->id;
  // A role the policy does not name (and "reporter" by default) reads what the public does,
  // plus its own reports.
  if (const auto it = roles_.find(user->role); it != roles_.end()) {
    v.audience = it->second.audience;
    // A worker's scope is its team's grid (layers::Actor::of); a department's its name, which
    // matches the incidents it handles (their agency).
    if (it->second.scoped) v.scope = user->scope;
  }
  return v;
}

Audience ReadPolicy::layer_audience(LayerKind layer) const {
  return layers_[index(layer)].audience;
}

Audience ReadPolicy::field_audience(LayerKind layer, std::string_view field) const {
  const Layer& l = layers_[index(layer)];
  const auto it = l.fields.find(field);
  if (it != l.fields.end()) return it->second;
  // Not named by the file: the schema's audience (a person's identity is always personal); the
  // geometry is the layer's; anything else (an incident's history) needs staff.
  if (field == "geometry") return l.audience;
  const layers::Field* f = layers::find_field(layer, field);
  return max(f ? f->audience : Audience::Staff, l.audience);
}

// ---- questions every output asks

bool may_see_layer(const Viewer& viewer, LayerKind layer) {
  return static_cast<int>(viewer.audience) >=
         static_cast<int>(viewer.policy->layer_audience(layer));
}

bool may_read(const Viewer& viewer, LayerKind layer, std::string_view field,
              std::string_view grid_code, std::string_view agency) {
  return viewer.policy->reaches(viewer.at(grid_code, agency), layer, field);
}

Audience incident_audience(const Viewer& viewer, const layers::Incident& incident) {
  if (!viewer.anonymous() && incident.reporter == viewer.user_id) return Audience::Personal;
  const Audience a = viewer.at(incident.join.grid_code, incident.agency);
  if (a != Audience::Public || viewer.audience == Audience::Public) return a;
  // The other agencies of a joint case read it as its lead does.
  for (const std::string_view co : layers::agency_list(incident.co_agencies))
    if (viewer.at({}, co) != Audience::Public) return viewer.at({}, co);
  return a;
}

bool may_see_incident(const Viewer& viewer, const layers::Incident& incident,
                      bool sensitive_category) {
  return !sensitive_category || incident_audience(viewer, incident) != Audience::Public;
}

}  // namespace onemap::auth
