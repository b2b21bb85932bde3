// Feeds into county layers (county.hpp, layers/model/feed.hpp): a batch matched to the layer's
// records by key, joined with no lock held, written in one transaction, then applied to memory,
// the layer's tiles and the listeners under the exclusive lock. An edit of one record (OGC API -
// Features Part 4, layers/model/feature_edit.hpp) takes the same path.
#include "layers/county/county.hpp"

#include "core/errors.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <optional>
#include <tuple>
#include <unordered_map>

namespace onemap::layers {

namespace {

// Where the records of `keys` are in a layer (kAbsent: it has none); one pass over the layer,
// whose keys are looked up, not stored.
constexpr std::size_t kAbsent = SIZE_MAX;
std::unordered_map<std::string_view, std::size_t> positions_of(
    const FeatureLayer& l, const std::vector<std::string>& keys) {
  std::unordered_map<std::string_view, std::size_t> out;
  out.reserve(keys.size());
  for (const std::string& k : keys) out.emplace(k, kAbsent);
  for (std::size_t i = 0; i < l.features.size(); ++i)
    if (const auto it = out.find(feature_key(l.def, l.features[i])); it != out.end())
      it->second = i;
  return out;
}

// Whether a batch read against `read_as` fits the layer as it is now: the same geometry and id
// field, and every field read still there with its type (an alteration only adds fields).
bool still_fits(const LayerDef& now, const LayerDef& read_as) {
  if (now.geometry != read_as.geometry || now.id_field != read_as.id_field ||
      now.fields.size() < read_as.fields.size())
    return false;
  return std::equal(
      read_as.fields.begin(), read_as.fields.end(), now.fields.begin(),
      [](const Field& a, const Field& b) { return a.name == b.name && a.type == b.type; });
}

// The county layer `name` a write goes to, which must still fit what its body was read against.
// @throws NotFound, Conflict.
FeatureLayer& layer_as_read(std::vector<FeatureLayer>& layers, const std::string& name,
                            const LayerDef& read_as) {
  const auto found = std::find_if(layers.begin(), layers.end(),
                                  [&](const FeatureLayer& l) { return l.def.name == name; });
  if (found == layers.end()) throw NotFound("there is no layer named " + name);
  if (!still_fits(found->def, read_as))
    throw Conflict(
        "the layer " + name + " was made anew or altered while the body was read: send it again",
        "conflict");
  return *found;
}

// A listener checks each cached tile of the layer against each box, under the exclusive lock: a
// batch of 100,000 records would hold it for seconds. Past this many, boxes are merged by the
// cell of a grid over their extent that holds their centre: a few more tiles dropped, near the
// changes, for a bounded check.
constexpr std::size_t kMaxChangeBoxes = 1024;

std::vector<spatial::Box> bounded(std::vector<spatial::Box> boxes) {
  auto corners = [](const spatial::Box& b) {
    return std::make_tuple(b.min_corner().x(), b.min_corner().y(), b.max_corner().x(),
                           b.max_corner().y());
  };
  std::sort(boxes.begin(), boxes.end(),
            [&](const auto& a, const auto& b) { return corners(a) < corners(b); });
  // Records at one place need one box.
  boxes.erase(std::unique(boxes.begin(), boxes.end(),
                          [&](const auto& a, const auto& b) { return corners(a) == corners(b); }),
              boxes.end());
  if (boxes.size() <= kMaxChangeBoxes) return boxes;
  spatial::Box extent = boxes.front();
  for (const auto& b : boxes) spatial::bg::expand(extent, b);
  const auto side = static_cast<std::size_t>(std::sqrt(static_cast<double>(kMaxChangeBoxes)));
  const double w = extent.max_corner().x() - extent.min_corner().x();
  const double h = extent.max_corner().y() - extent.min_corner().y();
  auto cell = [&](double v, double lo, double span) {
    if (!(span > 0)) return std::size_t{0};
    return std::min(side - 1,
                    static_cast<std::size_t>((v - lo) / span * static_cast<double>(side)));
  };
  std::vector<std::optional<spatial::Box>> cells(side * side);
  for (const auto& b : boxes) {
    const double x = (b.min_corner().x() + b.max_corner().x()) / 2;
    const double y = (b.min_corner().y() + b.max_corner().y()) / 2;
    auto& c =
        cells[cell(y, extent.min_corner().y(), h) * side + cell(x, extent.min_corner().x(), w)];
    if (c)
      spatial::bg::expand(*c, b);
    else
      c = b;
  }
  std::vector<spatial::Box> out;
  for (const auto& c : cells)
    if (c) out.push_back(*c);
  return out;
}

// Joins the records of `batch` at `which` (on every core when they are many).
void join_entries(const GridJoiner& joiner, std::vector<FeedEntry>& batch,
                  const std::vector<std::size_t>& which) {
  std::vector<Feature> records;
  records.reserve(which.size());
  for (std::size_t i : which) records.push_back(std::move(batch[i].feature));
  joiner.join_all(records);
  for (std::size_t k = 0; k < which.size(); ++k) batch[which[k]].feature = std::move(records[k]);
}

// The grids a record lies in, as an area scope sees it: a point's, or every grid a line or
// polygon crosses ("" for none).
std::vector<std::string_view> grids_of(const Feature& f) {
  std::vector<std::string_view> out;
  for (const GridShare& s : f.shares) out.push_back(s.grid_code);
  if (out.empty()) out.push_back(f.join.grid_code);
  return out;
}

FeatureHistory feed_history(const std::string& layer, const Author& author, int64_t at,
                            std::vector<std::string> fields, bool geometry_changed) {
  FeatureHistory h;
  h.layer = layer;
  h.at = at;
  h.actor = author.actor;
  h.role = author.role;
  h.action = EditAction::Feed;
  h.fields = std::move(fields);
  h.geometry_changed = geometry_changed;
  h.request_id = author.request_id;
  return h;
}

}  // namespace

FeedResult County::feed_feature_layer(const std::string& name, const LayerDef& read_as,
                                      std::vector<FeedEntry> batch, const Author& author) {
  check_feedable(read_as);
  std::vector<std::string> keys;  // of each entry (reserved: `seen` views them)
  keys.reserve(batch.size());
  std::unordered_map<std::string_view, int64_t> seen;  // key → the entry that has it
  seen.reserve(batch.size());
  for (const FeedEntry& e : batch) {
    const std::string& key = keys.emplace_back(feature_key(read_as, e.feature));
    if (key.empty()) throw InvalidFeature("body", e.index, "no " + read_as.id_field);
    if (const auto [at, fresh] = seen.emplace(key, e.index); !fresh)
      throw InvalidFeature("body", e.index,
                           "duplicate " + read_as.id_field + " " + key + " (feature " +
                               std::to_string(at->second) + ")");
  }
  // The joins of the geometries the batch brings, against the grids of the moment with no lock
  // held: the overlays of lines and polygons are most of a feed's time, and neither readers nor
  // other writers wait for them.
  std::shared_ptr<const GridJoiner> joiner;
  uint64_t grids_version = 0;
  std::vector<std::size_t> to_join;
  {
    auto lock = read();
    const FeatureLayer* l = feature_layer(name);
    if (!l) throw NotFound("there is no layer named " + name);
    joiner = joiner_;
    grids_version = grids_version_;
    const auto stored = positions_of(*l, keys);
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].remove) continue;
      const std::size_t at = stored.at(keys[i]);
      if (at == kAbsent || !same_geometry(l->features[at].geometry, batch[i].feature.geometry))
        to_join.push_back(i);
    }
  }
  join_entries(*joiner, batch, to_join);
  std::vector<char> joined(batch.size(), 0);
  for (std::size_t i : to_join) joined[i] = 1;

  if (commit_hook_) commit_hook_("feed");
  auto writing = write_lock();
  FeatureLayer& layer = layer_as_read(feature_layers_, name, read_as);
  // What each entry does, against the records as they are now (another feed may have written
  // meanwhile). A join made against other grids, or missing, is made now.
  const bool grids_changed = grids_version_ != grids_version;
  const auto stored = positions_of(layer, keys);
  FeedResult result;
  Store::FeatureWrites writes;
  std::vector<std::pair<std::size_t, std::size_t>> updated;  // entry, position
  std::vector<std::size_t> inserted, deleted, join_now;      // entries; positions; entries
  std::vector<spatial::Box> boxes;  // before and after, of every record the batch changes
  for (std::size_t i = 0; i < batch.size(); ++i) {
    Feature& f = batch[i].feature;
    const std::size_t at = stored.at(keys[i]);
    if (batch[i].remove) {
      if (at == kAbsent) {
        ++result.unchanged;
      } else {
        deleted.push_back(at);
        boxes.push_back(envelope(layer.features[at].geometry));
      }
      continue;
    }
    f.attributes.resize(layer.def.fields.size());  // fields added since it was read: null
    const bool fresh_join = joined[i] && !grids_changed;
    if (at == kAbsent) {
      inserted.push_back(i);
      if (!fresh_join) join_now.push_back(i);
      boxes.push_back(envelope(f.geometry));
      continue;
    }
    const Feature& old = layer.features[at];
    if (same_content(old, f)) {
      ++result.unchanged;
      continue;
    }
    f.fid = old.fid;
    const bool moved = !same_geometry(old.geometry, f.geometry);
    if (!moved) {
      f.join = old.join;
      f.shares = old.shares;
    } else if (!fresh_join) {
      join_now.push_back(i);
    }
    updated.emplace_back(i, at);
    boxes.push_back(envelope(old.geometry));
    if (moved) boxes.push_back(envelope(f.geometry));
  }
  result.inserted = inserted.size();
  result.updated = updated.size();
  result.deleted = deleted.size();
  if (inserted.empty() && updated.empty() && deleted.empty()) return result;

  join_entries(*joiner_, batch, join_now);
  for (std::size_t i : inserted) {
    result.join.count(batch[i].feature.join.kind, static_cast<std::size_t>(batch[i].index));
    writes.inserted.push_back(&batch[i].feature);
  }
  for (const auto& [i, at] : updated) {
    const bool moved = !same_geometry(layer.features[at].geometry, batch[i].feature.geometry);
    if (moved)
      result.join.count(batch[i].feature.join.kind, static_cast<std::size_t>(batch[i].index));
    writes.replaced.push_back({&batch[i].feature, moved});
  }
  std::sort(result.join.unassigned_indices.begin(), result.join.unassigned_indices.end());
  for (std::size_t at : deleted) writes.deleted.push_back(layer.features[at].fid);
  // Who changed what: one history row per record written.
  const auto now = static_cast<int64_t>(std::time(nullptr));
  writes.history.reserve(inserted.size() + updated.size() + deleted.size());
  for (Feature* f : writes.inserted) {
    writes.history.push_back(
        feed_history(name, author, now, changed_fields(layer.def, nullptr, *f), true));
    writes.history.back().new_fid = &f->fid;
  }
  for (std::size_t k = 0; k < updated.size(); ++k) {
    const auto& [i, at] = updated[k];
    const Feature& f = batch[i].feature;
    writes.history.push_back(feed_history(name, author, now,
                                          changed_fields(layer.def, &layer.features[at], f),
                                          writes.replaced[k].reshared));
    writes.history.back().fid = f.fid;
  }
  for (std::size_t at : deleted) {
    writes.history.push_back(feed_history(name, author, now, {}, true));
    writes.history.back().fid = layer.features[at].fid;
  }
  std::vector<std::pair<Feature*, std::size_t>> moved_in;
  moved_in.reserve(updated.size());
  for (const auto& [i, at] : updated) moved_in.emplace_back(&batch[i].feature, at);
  commit_feature_writes(layer, writes, moved_in, deleted, std::move(boxes));
  return result;
}

void County::commit_feature_writes(FeatureLayer& layer, Store::FeatureWrites& writes,
                                   const std::vector<std::pair<Feature*, std::size_t>>& updated,
                                   const std::vector<std::size_t>& deleted,
                                   std::vector<spatial::Box> boxes) {
  make_room(layer.features, writes.inserted.size());
  store_->write_features(layer.def, writes);  // committed before anything else sees it

  std::unique_lock memory(mutex_);
  for (const auto& [f, at] : updated) layer.features[at] = std::move(*f);
  if (!deleted.empty()) {
    std::vector<char> gone(layer.features.size(), 0);
    for (std::size_t at : deleted) gone[at] = 1;
    std::size_t kept = 0;
    for (std::size_t k = 0; k < layer.features.size(); ++k)
      if (!gone[k]) {
        if (kept != k) layer.features[kept] = std::move(layer.features[k]);
        ++kept;
      }
    layer.features.resize(kept);
  }
  // The store numbers new records past every fid it ever gave (AUTOINCREMENT): appended, the
  // records stay sorted by fid, as readers find them.
  for (Feature* f : writes.inserted) layer.features.push_back(std::move(*f));
  const std::vector<spatial::Box> thinned = tiles_->feature_layer_changed(layer);
  boxes.insert(boxes.end(), thinned.begin(), thinned.end());
  Change c;
  c.feature_layer = layer.def.name;
  c.boxes = bounded(std::move(boxes));
  notify(c);
}

std::optional<Feature> County::edit_feature(const std::string& name, const LayerDef& read_as,
                                            FeatureEdit edit, const Actor& actor,
                                            const std::string& request_id) {
  check_may_edit(actor);
  const bool brings_geometry = edit.action == EditAction::Create ||
                               edit.action == EditAction::Replace ||
                               (edit.action == EditAction::Update && edit.patches_geometry);
  // The new geometry's join, against the grids of the moment with no lock held, as a feed's.
  std::shared_ptr<const GridJoiner> joiner;
  uint64_t grids_version = 0;
  {
    auto lock = read();
    joiner = joiner_;
    grids_version = grids_version_;
  }
  if (brings_geometry) {
    std::vector<Feature> one{std::move(edit.feature)};
    joiner->join_all(one);
    edit.feature = std::move(one.front());
  }

  if (commit_hook_) commit_hook_("edit");
  auto writing = write_lock();
  FeatureLayer& layer = layer_as_read(feature_layers_, name, read_as);
  const LayerDef& def = layer.def;
  const std::string what = name + " " + std::to_string(edit.fid);
  std::optional<std::size_t> at;  // the record edited (none for a new one)
  if (edit.action != EditAction::Create) {
    const auto it = std::lower_bound(layer.features.begin(), layer.features.end(), edit.fid,
                                     [](const Feature& f, int64_t fid) { return f.fid < fid; });
    if (it != layer.features.end() && it->fid == edit.fid)
      at = static_cast<std::size_t>(it - layer.features.begin());
  }
  if (edit.if_match && edit.action != EditAction::Create) {
    const std::optional<std::string> current =
        at ? std::optional(etag_of(layer.features[*at])) : std::nullopt;
    if (!edit.if_match->matches(current ? &*current : nullptr))
      throw PreconditionFailed(current ? what +
                                             " has changed: If-Match names none of its "
                                             "current ETag " +
                                             *current
                                       : "there is no " + what + " to meet If-Match",
                               current.value_or(""));
  }
  if (edit.action != EditAction::Create && !at)
    throw NotFound("no feature " + std::to_string(edit.fid) + " in " + name);
  const Feature* before = at ? &layer.features[*at] : nullptr;
  if (before)
    for (std::string_view g : grids_of(*before)) check_area(actor, g, what);

  std::optional<Feature> after;
  if (edit.action == EditAction::Replace && before && !edit.patched.empty()) {
    // A replace by a writer who does not read every field: those it reads, and the geometry.
    edit.patches_geometry = true;
    after = merge_patch(def, *before, edit);
  } else if (edit.action == EditAction::Update) {
    after = merge_patch(def, *before, edit);
    if (feature_key(def, *after) != feature_key(def, *before))
      throw InvalidArgument(def.id_field,
                            "is the layer's id field, which feeds match records by: it cannot "
                            "change (replace the feature with PUT, or create another)");
  } else if (edit.action != EditAction::Delete) {
    after = std::move(edit.feature);
    after->fid = before ? before->fid : 0;
  }
  if (after) {
    after->attributes.resize(def.fields.size());  // fields added since it was read: null
    if (before && same_geometry(before->geometry, after->geometry)) {
      after->join = before->join;
      after->shares = before->shares;
    } else if (edit.patches_geometry) {
      after->join = edit.feature.join;  // merge_patch keeps current's join
      after->shares = edit.feature.shares;
    }
    if (grids_version != grids_version_ &&
        !(before && same_geometry(before->geometry, after->geometry))) {
      std::vector<Feature> one{std::move(*after)};
      joiner_->join_all(one);  // the grids changed meanwhile
      after = std::move(one.front());
    }
    for (std::string_view g : grids_of(*after)) check_area(actor, g, what + "'s new place");
    if (const std::string key = feature_key(def, *after); !key.empty())
      for (const Feature& f : layer.features)
        if (f.fid != after->fid && feature_key(def, f) == key)
          throw Conflict(def.id_field,
                         "feature " + std::to_string(f.fid) + " of " + name + " has " + key,
                         "conflict_duplicate");
    if (before && same_content(*before, *after)) return after;  // nothing to write
  }

  FeatureHistory history;
  history.layer = name;
  history.fid = edit.fid;
  history.at = static_cast<int64_t>(std::time(nullptr));
  history.actor = actor.id;
  history.role = actor.role;
  history.action = edit.action;
  history.request_id = request_id;
  if (after) history.fields = changed_fields(def, before, *after);
  history.geometry_changed = !before || !after || !same_geometry(before->geometry, after->geometry);

  Store::FeatureWrites writes;
  std::vector<std::pair<Feature*, std::size_t>> updated;
  std::vector<std::size_t> deleted;
  std::vector<spatial::Box> boxes;
  if (before) boxes.push_back(envelope(before->geometry));
  if (after && history.geometry_changed) boxes.push_back(envelope(after->geometry));
  if (!before) {
    writes.inserted.push_back(&*after);
    history.new_fid = &after->fid;
  } else if (after) {
    writes.replaced.push_back({&*after, history.geometry_changed});
    updated.emplace_back(&*after, *at);
  } else {
    writes.deleted.push_back(before->fid);
    deleted.push_back(*at);
  }
  writes.history.push_back(std::move(history));
  commit_feature_writes(layer, writes, updated, deleted, std::move(boxes));
  if (!after) return std::nullopt;
  // Moved into the layer: the record as it is there (new ones are appended, by fid).
  return at ? layer.features[*at] : layer.features.back();
}

}  // namespace onemap::layers
