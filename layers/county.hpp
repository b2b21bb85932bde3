// The county as a server holds it: every layer in memory, the store it came from, the grid
// joiner and the tile builder, under one reader-writer lock.
//
// Reads take a shared lock (read()) and may run on many threads. Each write takes the exclusive
// lock, validates, joins, writes to the store (durable before it returns), updates the memory and
// the derived indexes, and tells every listener what changed, all before it returns: so whatever a
// listener invalidates (cached tiles) is gone before the write is acknowledged.
#pragma once

#include "layers/join.hpp"
#include "layers/model.hpp"
#include "layers/store.hpp"
#include "layers/tiles.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

namespace onemap::layers {

/// What a write changed. For point layers: the position before (none for a new record) and
/// after; for incidents also the record before and after (filters compare attributes).
struct Change {
  LayerKind layer = LayerKind::Incidents;
  int64_t fid = 0;
  std::optional<LonLat> before, after;
  std::optional<Incident> incident_before, incident_after;
  std::optional<spatial::Box> grid_before, grid_after;  ///< grids: bounding boxes (lon/lat)
};

/// A partial update of an incident: fields left empty keep their value.
struct IncidentPatch {
  std::optional<std::string> status;
  std::optional<std::string> category;
  std::optional<std::string> description;
  std::optional<std::string> assignee;
  std::optional<LonLat> location;
};

class County {
 public:
  /// Reads every layer from `store` and builds the indexes; measures the time.
  County(std::unique_ptr<Store> store, JoinOptions join, TileConfig tiles);
  ~County();
  County(const County&) = delete;
  County& operator=(const County&) = delete;

  /// Holds the shared lock for reading data() and tiles().
  std::shared_lock<std::shared_mutex> read() const;
  const Dataset& data() const { return data_; }
  const TileBuilder& tiles() const { return *tiles_; }
  const JoinOptions& join_options() const { return join_; }
  std::string location() const { return location_; }
  double load_seconds() const { return load_seconds_; }

  /// Registers a listener, called under the write lock after each write (must not call back).
  void on_change(std::function<void(const Change&)> listener);

  /// Creates an incident (fid assigned by the store; reported_at now when 0; status "reported"
  /// when empty), joined to its grid. @throws InvalidArgument for a bad location or category.
  Incident create_incident(Incident incident);
  /// Updates an incident. @throws NotFound for an unknown fid, InvalidArgument for bad values.
  Incident update_incident(int64_t fid, const IncidentPatch& patch);
  /// A copy of an incident (under the read lock). @throws NotFound.
  Incident incident(int64_t fid) const;

 private:
  void notify(const Change& c);
  void check_location(const LonLat& p, const char* parameter) const;

  mutable std::shared_mutex mutex_;
  std::unique_ptr<Store> store_;
  Dataset data_;
  JoinOptions join_;
  std::unique_ptr<GridJoiner> joiner_;
  std::unique_ptr<TileBuilder> tiles_;
  std::vector<std::function<void(const Change&)>> listeners_;
  std::string location_;
  double load_seconds_ = 0;
};

}  // namespace onemap::layers
