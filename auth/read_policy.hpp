// The read policy: who sees which layer, record and field, in every output (tiles, feature items
// and queryables, records, history, Open311, statistics). One policy says what each field needs;
// every output asks it through the request's Viewer.
//
// The policy is configuration: data/read_policy.json is built into onemap as the default, and
// `onemap serve --read-policy FILE` reads a county's own (same format; see the README):
//   {"roles":  {"<role>": {"audience": "personal|staff|public", "detail": "scope|county"}, …},
//    "layers": {"<layer>": {"audience": "<who sees the layer at all>",
//                           "fields": {"<field>": "<who reads it>", …}}, …}}
// "fields" is optional: a field the file does not name has its schema's audience
// (layers/model/schema.hpp); the geometry has its layer's, an incident's history needs staff. A
// field the schema marks personal (a person's name, phone, ID number, a reporter) can only be
// "personal".
//
// Audiences, from least to most:
//   public    no token, reporting channels, and always feeds. The default: grid boundaries and
//             names, household and enterprise points with their public fields, incidents' category,
//             status, times, level and position — never free text, reporter, assignee, handler,
//             actors, notes or routing reasons; incidents of sensitive categories (categories.csv
//             visibility "counts": 信访, 涉稳, …) as counts only; workers never.
//   staff     staff roles: everything but persons' identities; with "detail": "scope", in detail
//             inside the user's area scope only and what the public sees outside it (counts and
//             clusters everywhere).
//   personal  roles that may see persons (admin, centre): personal fields too, inside scope.
// A reporter sees its own reports in full.
#pragma once

#include "layers/dispatch/workflow.hpp"
#include "layers/model/model.hpp"
#include "layers/model/schema.hpp"

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace onemap::auth {

// The audiences and their names are the schema's (layers/model/schema.hpp).
using layers::Audience;
using layers::audience_name;

class ReadPolicy;

/// Who reads: the audience of the signed-in user's role, the area in which it holds, and the
/// policy that says what each audience reads.
struct Viewer {
  Audience audience = Audience::Public;
  std::string scope;         ///< area code prefix of the detail ("" : the whole county)
  std::string user_id;       ///< the signed-in user ("" : anonymous)
  const ReadPolicy* policy;  ///< never null; outlives the viewer

  Viewer();  ///< anonymous, under ReadPolicy::standard()

  /// The audience this viewer has for a record in `grid_code` (or held by `agency`): its own
  /// inside its scope, public outside.
  Audience at(std::string_view grid_code, std::string_view agency = {}) const;
  bool anonymous() const { return user_id.empty(); }
  /// Whether at() is this viewer's own audience everywhere, and more than the public's: staff or
  /// more with no area scope.
  bool beyond_public_everywhere() const { return audience != Audience::Public && scope.empty(); }
  /// A key that tells viewers apart wherever an output is cached ("public", "staff:330521001").
  std::string cache_key() const;
};

/// What each audience reads, and the audience of each role.
class ReadPolicy {
 public:
  /// data/read_policy.json as built into onemap.
  static const ReadPolicy& standard();
  /// Reads a policy's JSON text; `name` (a file name) prefixes errors.
  /// @throws InvalidArgument("read-policy", …) naming the entry at fault.
  static ReadPolicy parse(std::string_view text, const std::string& name);
  /// Reads a policy file. @throws InvalidArgument("read-policy", …).
  static ReadPolicy read(const std::string& path);

  /// The viewer of a request's user (nullopt: anonymous). The policy must outlive it.
  Viewer viewer(const std::optional<layers::Actor>& user) const;
  /// The audience a whole layer needs (default: workers staff, the rest public).
  Audience layer_audience(layers::LayerKind layer) const;
  /// The audience a field needs (never less than its layer's); a field not named needs staff.
  Audience field_audience(layers::LayerKind layer, std::string_view field) const;
  /// Whether `audience` reaches what `field` of `layer` needs.
  bool reaches(Audience audience, layers::LayerKind layer, std::string_view field) const {
    return static_cast<int>(audience) >= static_cast<int>(field_audience(layer, field));
  }

 private:
  struct Role {
    Audience audience = Audience::Public;
    bool scoped = true;  ///< detail "scope": the user's scope limits its detail
  };
  struct Layer {
    Audience audience = Audience::Staff;
    std::map<std::string, Audience, std::less<>> fields;
  };
  std::map<std::string, Role, std::less<>> roles_;
  std::array<Layer, std::size(layers::kAllLayers)> layers_;
};

/// Whether `viewer` may see the layer at all.
bool may_see_layer(const Viewer& viewer, layers::LayerKind layer);
/// Whether `viewer` may read `field` of a record in `grid_code` / held by `agency`.
bool may_read(const Viewer& viewer, layers::LayerKind layer, std::string_view field,
              std::string_view grid_code, std::string_view agency = {});
/// The audience `viewer` has for an incident: a reporter reads its own reports in full
/// (personal); otherwise Viewer::at its grid and agency.
Audience incident_audience(const Viewer& viewer, const layers::Incident& incident);
/// Whether `viewer` may see an incident as a record (a point, a feature, an Open311 request):
/// not the public for a sensitive category, unless it is the viewer's own report.
bool may_see_incident(const Viewer& viewer, const layers::Incident& incident,
                      bool sensitive_category);

}  // namespace onemap::auth
