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

/// What a write changed, one record. For point layers: the position before (none for a new
/// record) and after, and the attributes that changed (by their field names; all of them for a
/// new record); for incidents also the record before and after (filters compare attributes).
/// For grids: the outline's bounding box before and after (lon/lat).
struct Change {
  LayerKind layer = LayerKind::Incidents;
  int64_t fid = 0;
  std::optional<LonLat> before, after;
  std::vector<std::string> fields;
  std::optional<Incident> incident_before, incident_after;
  std::optional<spatial::Box> grid_before, grid_after;
  /// True when the point moved, appeared or disappeared (not only its attributes changed).
  bool moved() const {
    return before.has_value() != after.has_value() ||
           (before && (before->lon != after->lon || before->lat != after->lat));
  }
};

/// A partial update of an incident: fields left empty keep their value.
struct IncidentPatch {
  std::optional<std::string> status;
  std::optional<std::string> category;
  std::optional<std::string> description;
  std::optional<std::string> assignee;
  std::optional<LonLat> location;
};

/// A partial update of a household: fields left empty keep their value.
struct HouseholdPatch {
  std::optional<std::string> id, address;
  std::optional<int> members;
  std::optional<uint32_t> flags;
  std::optional<std::string> head_name, phone, id_number;
  std::optional<LonLat> location;
};

/// A partial update of an enterprise: fields left empty keep their value.
struct EnterprisePatch {
  std::optional<std::string> id, name, industry, last_inspection;
  std::optional<RiskLevel> risk;
  std::optional<bool> hazardous_chemicals;
  std::optional<int> open_hazards;
  std::optional<LonLat> location;
};

/// A change to a grid: its name or its outline (code, level and parent are its identity in the
/// hierarchy and the joins, and stay).
struct GridPatch {
  std::optional<std::string> name;
  std::optional<MultiPolygon> geometry;
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
  /// Returns its handle for remove_listener.
  uint64_t on_change(std::function<void(const Change&)> listener);
  /// Removes a listener (waits for a write in progress to finish); an unknown handle is ignored.
  void remove_listener(uint64_t handle);

  /// Creates an incident (fid assigned by the store; reported_at now when 0; status "reported"
  /// when empty), joined to its grid. @throws InvalidArgument for a bad location or category.
  Incident create_incident(Incident incident);
  /// Updates an incident. @throws NotFound for an unknown fid, InvalidArgument for bad values.
  Incident update_incident(int64_t fid, const IncidentPatch& patch);
  /// A copy of an incident (under the read lock). @throws NotFound.
  Incident incident(int64_t fid) const;

  /// Creates a household (fid assigned by the store), joined to its grid.
  /// @throws InvalidArgument for a bad location or value.
  Household create_household(Household household);
  /// @throws NotFound for an unknown fid, InvalidArgument for bad values.
  Household update_household(int64_t fid, const HouseholdPatch& patch);
  /// @throws NotFound.
  Household household(int64_t fid) const;

  /// Creates an enterprise (fid assigned by the store), joined to its grid; a name is required.
  Enterprise create_enterprise(Enterprise enterprise);
  Enterprise update_enterprise(int64_t fid, const EnterprisePatch& patch);
  Enterprise enterprise(int64_t fid) const;

  /// Renames a grid or replaces its outline. A new outline must be a valid, non-empty polygon
  /// in lon/lat; its area is recomputed, and every point whose grid can change with it (those
  /// joined to it, those inside its new bounding box, those joined by nearest grid or to none)
  /// is joined again. The grid and the points whose join changed are written in one
  /// transaction; listeners hear the grid's change, then each point's.
  /// @throws NotFound for an unknown fid, InvalidArgument for a bad name or outline.
  Grid update_grid(int64_t fid, const GridPatch& patch);
  Grid grid(int64_t fid) const;

 private:
  void notify(const Change& c);
  void check_location(const LonLat& p, const char* parameter) const;
  // Stores a new or changed point record (index: none for a new one), updates memory and the
  // tile indexes, and tells the listeners. Called under the write lock; `fields` as in Change.
  template <class T>
  T put_point(T record, std::optional<std::size_t> index, std::vector<std::string> fields);

  mutable std::shared_mutex mutex_;
  std::unique_ptr<Store> store_;
  Dataset data_;
  JoinOptions join_;
  std::unique_ptr<GridJoiner> joiner_;
  std::unique_ptr<TileBuilder> tiles_;
  std::vector<std::pair<uint64_t, std::function<void(const Change&)>>> listeners_;
  uint64_t next_listener_ = 1;
  std::string location_;
  double load_seconds_ = 0;
};

}  // namespace onemap::layers
