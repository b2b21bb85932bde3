// Feeds (README "County layers", feeds): another system's records kept in a county layer, sent as a
// batch (POST /collections/{name}/feed) or pulled from a source on a schedule (`onemap feed add`).
// A batch is matched to the layer's records by the id field (LayerDef::id_field): a key the layer
// lacks is inserted, a key it has replaces that record's geometry and attributes (its fid stays),
// a feature marked `"_delete": true` removes the record of its key. A record the batch leaves as
// it is (same geometry, same values) is not written: replaying a batch changes nothing.
#pragma once

#include "layers/model/feature_layer.hpp"
#include "layers/model/join.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace onemap::layers {

/// The property that marks a feature of a batch as a deletion of its key's record (its other
/// properties and its geometry, which may be null, are not read). No field may take the name.
inline constexpr std::string_view kFeedDeleteMember = "_delete";

/// One feature of a batch, read and checked (layers/ingest/import.hpp read_feed): its geometry in
/// lon/lat and its values by the layer's fields, the key among them; or a deletion, whose record
/// holds the key only.
struct FeedEntry {
  Feature feature;
  bool remove = false;
  int64_t index = 0;  ///< its position in the batch
};

/// What a batch did.
struct FeedResult {
  std::size_t inserted = 0;
  std::size_t updated = 0;    ///< replaced: another geometry or other values
  std::size_t unchanged = 0;  ///< the same already, and deletions of keys the layer lacks
  std::size_t deleted = 0;
  /// The joins of the records inserted or moved (the others keep theirs); unassigned_indices are
  /// positions in the batch.
  JoinStats join;
};

/// A source pulled into a county layer on a schedule (`onemap feed add`), as the store keeps it.
struct PullFeed {
  std::string name;    ///< its own name (the layer's unless given)
  std::string layer;   ///< the county layer it feeds
  std::string source;  ///< what GDAL opens: "OAPIF:https://…", "WFS:https://…", a URL, a path
  std::string source_layer;  ///< the source's layer or collection (empty: its first)
  int64_t every_s = 0;       ///< seconds between pulls
  int64_t last_run = 0;      ///< Unix seconds of the last pull (0: never)
  std::string last_result;   ///< JSON: its counts, or its error
  /// Whether a pull is due at `now` (Unix seconds).
  bool due(int64_t now) const { return last_run == 0 || now >= last_run + every_s; }
};

/// @throws Conflict when `def` has no id field: a feed matches records by it.
void check_feedable(const LayerDef& def);

/// "90s", "10m", "2h", "1d" or plain seconds, at least one second.
/// @throws InvalidArgument("every", …).
int64_t parse_interval(std::string_view text);
/// Seconds as parse_interval reads them, in the largest unit that divides them ("10m").
std::string format_interval(int64_t seconds);

}  // namespace onemap::layers
