// Feeds into county layers (county.hpp, layers/model/feed.hpp): a batch matched to the layer's
// records by key, joined with no lock held, written in one transaction, then applied to memory,
// the layer's tiles and the listeners under the exclusive lock.
#include "layers/county/county.hpp"

#include "core/errors.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
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

}  // namespace

FeedResult County::feed_feature_layer(const std::string& name, const LayerDef& read_as,
                                      std::vector<FeedEntry> batch) {
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
  const auto found = std::find_if(feature_layers_.begin(), feature_layers_.end(),
                                  [&](const FeatureLayer& l) { return l.def.name == name; });
  if (found == feature_layers_.end()) throw NotFound("there is no layer named " + name);
  FeatureLayer& layer = *found;
  if (!still_fits(layer.def, read_as))
    throw Conflict(
        "the layer " + name + " was made anew or altered while the batch was read: send it again",
        "conflict");
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
  make_room(layer.features, inserted.size());
  store_->write_features(layer.def, writes);  // committed before anything else sees it

  std::unique_lock memory(mutex_);
  for (const auto& [i, at] : updated) layer.features[at] = std::move(batch[i].feature);
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
  for (std::size_t i : inserted) layer.features.push_back(std::move(batch[i].feature));
  const std::vector<spatial::Box> thinned = tiles_->feature_layer_changed(layer);
  boxes.insert(boxes.end(), thinned.begin(), thinned.end());
  Change c;
  c.feature_layer = name;
  c.boxes = bounded(std::move(boxes));
  notify(c);
  return result;
}

}  // namespace onemap::layers
