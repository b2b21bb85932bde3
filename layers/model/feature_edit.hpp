// Edits of single records (OGC API - Features - Part 4; README "Editing"): a record's entity tag
// (ETag) and the If-Match that a write is conditioned on, the edit of a county layer's record
// (create, replace, update by merge patch, delete) and the history of who changed what.
#pragma once

#include "layers/model/feature_layer.hpp"
#include "layers/model/model.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace onemap::layers {

/// A strong entity tag (RFC 9110 §8.8.3) of a record's state, quoted: a hash of its geometry and
/// values, so that whatever changes a record (an edit, a feed, an import) changes it. The grid
/// join, which follows from the geometry and the grids, is not part of it; nulls past the last
/// value (fields added since the record was written) count as the nulls they are.
std::string etag_of(const Feature& f);
/// The same for an enterprise: its location and every field of its schema.
std::string etag_of(const Enterprise& e);

/// An If-Match header (RFC 9110 §13.1.1): "*", or a list of entity tags.
struct IfMatch {
  bool any = false;               ///< "*": any current record
  std::vector<std::string> tags;  ///< the strong tags listed, quoted (a weak one never matches)
  /// Whether a record whose current tag is `current` (null: there is no record) meets the
  /// condition: "*" any record, a list a record whose tag it holds, by strong comparison.
  bool matches(const std::string* current) const;
};
/// Reads an If-Match header. @throws InvalidArgument("If-Match") for one that is no "*" and no
/// comma-separated list of entity tags ("x", W/"x").
IfMatch parse_if_match(std::string_view header);

enum class EditAction : uint8_t { Create, Replace, Update, Delete, Feed };
/// "create", "replace", "update", "delete", "feed".
std::string_view edit_action_name(EditAction a);
/// @throws InvalidArgument("action", …) for another name.
EditAction edit_action_from_name(std::string_view name);

/// Who makes a change, as a record's history names it.
struct Author {
  std::string actor;  ///< a user id, "admin", or "feed:<name>" for a pulled feed
  std::string role;
  std::string request_id;  ///< the request's X-Request-Id ("" for a pull)
};

/// One change of one record (the store's onemap_feature_history): who, when, what kind and which
/// fields, never their values (a value may be personal).
struct FeatureHistory {
  int64_t id = 0;     ///< assigned by the store, increasing
  std::string layer;  ///< the collection: a county layer's name, or "enterprises"
  int64_t fid = 0;
  /// A new record's row: where the store writes the record's fid, which it assigns in the same
  /// transaction (read when the row is written; `fid` is not).
  const int64_t* new_fid = nullptr;
  int64_t at = 0;  ///< Unix seconds
  std::string actor, role;
  EditAction action = EditAction::Update;
  std::vector<std::string> fields;  ///< the fields whose values changed
  bool geometry_changed = false;
  std::string request_id;
};

/// A page of a record's history, newest first, with the count of all its rows.
struct FeatureHistoryPage {
  std::vector<FeatureHistory> rows;
  std::size_t total = 0;
};

/// The fields of `def` whose values differ between `before` (null: a new record, whose fields
/// with a value count) and `after`, in the definition's order.
std::vector<std::string> changed_fields(const LayerDef& def, const Feature* before,
                                        const Feature& after);

/// An edit of one record of a county layer (County::edit_feature), its values read against the
/// layer's definition as a feed's are (layers/ingest/import.hpp read_feed).
struct FeatureEdit {
  EditAction action = EditAction::Create;  ///< Create, Replace, Update or Delete
  int64_t fid = 0;                         ///< the record replaced, updated or deleted
  /// Create and Replace: the record as it is to be (a value left out is null). Update: the
  /// values of the fields `patched` names, and the geometry when `patches_geometry`. A Replace
  /// that names `patched` replaces the geometry and those fields only (a writer who may not read
  /// the others leaves them as they are).
  Feature feature;
  std::vector<std::string> patched;
  bool patches_geometry = false;
  /// Checked against the record's current tag under the writers' lock (nullopt: no condition).
  std::optional<IfMatch> if_match;
};

/// The record an Update makes of `current`, as a JSON merge patch (RFC 7396) of its properties
/// does: each field `edit.patched` names takes its value in `edit.feature` (null unsets it), every
/// other keeps its own; the geometry is the edit's when it patches it. The join is current's.
/// @throws InvalidArgument naming a patched field the layer does not have.
Feature merge_patch(const LayerDef& def, const Feature& current, const FeatureEdit& edit);

}  // namespace onemap::layers
