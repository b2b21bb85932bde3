// The read policy: who sees which layer, record and field, in every output (tiles, feature items
// and queryables, records, history, Open311, statistics). One table says what each field needs;
// every output asks it.
//
// Audiences, from least to most:
//   public    no token (and reporting channels): grid boundaries and names, household and
//             enterprise points with their public fields, incidents' category, status, times,
//             level and position — never free text, reporter, assignee, handler, actors, notes
//             or routing reasons; incidents of sensitive categories (categories.csv visibility
//             "counts": 信访, 涉稳, …) as counts only; workers never.
//   staff     any staff role (admin, centre, department, worker): everything but persons'
//             identities, in detail inside the user's area scope; outside it, what the public
//             sees (counts and clusters everywhere).
//   personal  roles that may see persons (admin, centre): personal fields too, inside scope.
// A reporter sees its own reports in full.
#pragma once

#include "layers/model.hpp"
#include "layers/workflow.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace onemap::auth {

enum class Audience { Public = 0, Staff = 1, Personal = 2 };
std::string_view audience_name(Audience a);  ///< "public", "staff", "personal"

/// Who reads: the audience of the signed-in user's role, and the area in which it holds.
struct Viewer {
  Audience audience = Audience::Public;
  std::string scope;    ///< area code prefix of the detail ("" : the whole county)
  std::string user_id;  ///< the signed-in user ("" : anonymous)

  /// The viewer of a request's user (nullopt: anonymous).
  static Viewer of(const std::optional<layers::Actor>& user);
  /// The audience this viewer has for a record in `grid_code` (or held by `agency`): its own
  /// inside its scope, public outside.
  Audience at(std::string_view grid_code, std::string_view agency = {}) const;
  bool anonymous() const { return user_id.empty(); }
  /// A key that tells viewers apart wherever an output is cached ("public", "staff:330521001").
  std::string cache_key() const;
};

/// The audience a whole layer needs (workers: staff).
Audience layer_audience(layers::LayerKind layer);
/// The audience a field needs; an unknown field needs staff.
Audience field_audience(layers::LayerKind layer, std::string_view field);

/// Whether `viewer` may see the layer at all.
bool may_see_layer(const Viewer& viewer, layers::LayerKind layer);
/// Whether `viewer` may read `field` of a record in `grid_code` / held by `agency`.
bool may_read(const Viewer& viewer, layers::LayerKind layer, std::string_view field, std::string_view grid_code,
              std::string_view agency = {});
/// The audience `viewer` has for an incident: a reporter reads its own reports in full
/// (personal); otherwise Viewer::at its grid and agency.
Audience incident_audience(const Viewer& viewer, const layers::Incident& incident);
/// Whether `audience` reaches what `field` of `layer` needs.
bool reaches(Audience audience, layers::LayerKind layer, std::string_view field);

/// Whether `viewer` may see an incident as a record (a point, a feature, an Open311 request):
/// not the public for a sensitive category, unless it is the viewer's own report.
bool may_see_incident(const Viewer& viewer, const layers::Incident& incident, bool sensitive_category);

}  // namespace onemap::auth
