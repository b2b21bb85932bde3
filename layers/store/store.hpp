// The store: where every layer and the non-spatial tables live durably.
//
// One interface, so that a PostgreSQL/PostGIS store can stand beside the embedded GeoPackage one.
// Every mutating call is one transaction, committed when it returns and on disk once sync()
// returns: the server's writer commits under its lock and syncs after releasing it, so that the
// writers that committed meanwhile share one disk flush (group commit), and answers only then; an
// acknowledged write survives a crash, a kill or a power cut. A Store is not thread-safe apart
// from sync(): the server serialises writes through one writer.
#pragma once

#include "layers/model/feature_edit.hpp"
#include "layers/model/feature_layer.hpp"
#include "layers/model/feed.hpp"
#include "layers/model/media.hpp"
#include "layers/model/model.hpp"
#include "layers/model/outbox.hpp"
#include "layers/model/resident.hpp"
#include "layers/model/task.hpp"
#include "layers/model/ticket.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace onemap::layers {

class Store {
 public:
  virtual ~Store() = default;

  /// Reads every layer (fids as stored).
  virtual Dataset load() = 0;
  /// Reads only the grids (what a point import joins against).
  virtual std::vector<Grid> load_grids() = 0;

  /// Replaces the whole content of every layer at once (used by `onemap demo`).
  /// Assigns fids to the records (1..n in order) and writes them back into `data`.
  virtual void replace_all(Dataset& data) = 0;

  /// Appends records to a layer, assigning their fids. One transaction.
  virtual void append(LayerKind kind, Dataset& data) = 0;
  /// Replaces one layer's content with `data`'s records of that kind, assigning fids.
  virtual void replace_layer(LayerKind kind, Dataset& data) = 0;

  /// Rewrites the grid join columns (grid_code, join_kind, join_distance_m) of every record of
  /// the point layers in `data`, matched by fid. One transaction.
  virtual void update_joins(const Dataset& data) = 0;

  /// Records to insert (fid == 0: the store assigns it and writes it back) or update (fid != 0).
  struct Batch {
    std::vector<Grid*> grids;
    std::vector<Household*> households;
    std::vector<Enterprise*> enterprises;
    std::vector<Incident*> incidents;
    std::vector<Worker*> workers;
    /// Audit-trail events to append. An event whose `owner` is set takes the owner's fid (written
    /// back into the event), so that a new incident and its first events go in one transaction.
    struct Event {
      IncidentEvent* event;
      const Incident* owner = nullptr;
    };
    std::vector<Event> events;
    std::vector<User*> users;  ///< inserted or replaced by id
    /// Audit rows to append (their ids are written back), in the same transaction as the rest.
    std::vector<AuditRecord*> audit;
    /// Records to remove, by layer and fid (enterprises only, for now).
    struct Removal {
      LayerKind layer;
      int64_t fid;
    };
    std::vector<Removal> removed;
    /// History rows of the records changed (FeatureHistory::new_fid: a new record's row takes
    /// its fid), in the same transaction.
    std::vector<FeatureHistory*> history;
    /// Photos of incidents to add (onemap_media), their ids given (County::attach_media), in the
    /// same transaction as the events that record them.
    std::vector<const Media*> media;
    /// Tickets of the intake queue inserted (id 0: the store assigns it and writes it back) or
    /// replaced by id. One with `incident_of` set takes that incident's fid, so that an admitted
    /// ticket and the incident made of it go in one transaction.
    struct TicketWrite {
      Ticket* ticket;
      const Incident* incident_of = nullptr;
    };
    std::vector<TicketWrite> tickets;
    /// Tasks of joint cases inserted or replaced by (incident, seq), in the transaction of the
    /// case's change and its events.
    std::vector<const Task*> tasks;
    /// Residents' sign-in codes, replaced by phone, and their new tokens (auth/residents.hpp).
    std::vector<const ResidentCode*> resident_codes;
    std::vector<const ResidentSession*> resident_sessions;
    /// Events to push out (layers/model/outbox.hpp), appended in the same transaction, in order.
    /// Each is made once the records above are written, so that it can name a new record's fid.
    std::vector<std::function<OutboxRow()>> outbox;
  };
  /// Writes a batch in one transaction: all of it or nothing (durable after sync()).
  virtual void put(const Batch& batch) = 0;

  /// put() of one record.
  template <class T>
  void put_one(T& record);
  void put_incident(Incident& incident) { put_one(incident); }

  /// Every incident's audit trail, ordered by incident and seq.
  virtual std::vector<IncidentEvent> load_events() = 0;
  /// Every user.
  virtual std::vector<User> load_users() = 0;
  /// Every ticket of the intake queue, by id.
  virtual std::vector<Ticket> load_tickets() = 0;
  /// Every task of the joint cases, by incident and seq.
  virtual std::vector<Task> load_tasks() = 0;
  /// The last sign-in code texted to `phone`, if any.
  virtual std::optional<ResidentCode> load_resident_code(const std::string& phone) = 0;
  /// The resident token with this hash, if any (expired ones included).
  virtual std::optional<ResidentSession> load_resident_session(const std::string& token_hash) = 0;

  /// Every stored photo's description without its bytes, by id.
  virtual std::vector<MediaInfo> load_media_index() = 0;
  /// The bytes of one part of the photo `id`, or nullopt when there is no such photo.
  virtual std::optional<std::string> load_media_bytes(int64_t id, MediaPart part) = 0;

  /// The audit rows `query` selects, newest first, with their count.
  virtual AuditPage load_audit(const AuditQuery& query) = 0;

  /// A number that changes whenever another connection (another process, or another Store on
  /// the same file) commits a change to the store, and only then (SQLite's PRAGMA data_version):
  /// a cache of the store compares it to know whether to re-read.
  virtual int64_t data_version() = 0;

  // ---- county layers (layers/model/feature_layer.hpp) ----
  /// Every county layer, its definition and records (their shares by grid code), by name.
  virtual std::vector<FeatureLayer> load_feature_layers() = 0;
  /// Makes a county layer: its table (a GeoPackage feature table GDAL and QGIS read, with a
  /// spatial index), its definition and `features`, whose fids are written back. The layer exists
  /// once its definition is committed with its records, in one transaction: a failure or a crash
  /// before leaves no layer (a table left without a definition is dropped by the next try).
  /// @throws StoreError when a layer of that name exists, or writing fails.
  virtual void create_layer(const LayerDef& def, std::vector<Feature>& features) = 0;
  /// Alters a county layer: applies `alteration` to its stored definition (alter_definition)
  /// and, in one transaction, adds a column for each added field (typed as create_layer types
  /// it; null in every feature) and writes the new definition (its title and description where
  /// other GIS read them too), which it returns. A failure changes nothing.
  /// @throws InvalidArgument for an alteration alter_definition refuses, Conflict
  /// (conflict_duplicate) for a title another table of the store has, StoreError when there is
  /// no layer of that name, or writing fails.
  virtual LayerDef alter_layer(const std::string& name, std::string_view alteration) = 0;
  /// Removes a county layer: its definition, shares and history, then its table.
  /// @throws StoreError when there is none of that name.
  virtual void drop_layer(const std::string& name) = 0;

  /// A feed's changes to a county layer's records (County::feed_feature_layer).
  struct FeatureWrites {
    /// New records: their fids are assigned, and written back once the transaction commits.
    std::vector<Feature*> inserted;
    /// Records replaced by fid; `reshared`: their shares are written anew (the geometry changed).
    struct Replaced {
      const Feature* feature;
      bool reshared;
    };
    std::vector<Replaced> replaced;
    std::vector<int64_t> deleted;  ///< fids, removed with their shares
    /// Who changed which records (FeatureHistory::new_fid: an inserted record's row takes its
    /// fid), written in the same transaction.
    std::vector<FeatureHistory> history;
  };
  /// Writes a feed's changes to the county layer `def` in one transaction: all of it or nothing
  /// (durable after sync()). @throws StoreError.
  virtual void write_features(const LayerDef& def, const FeatureWrites& writes) = 0;

  /// The history of the record `fid` of the collection `layer` (a county layer, or
  /// "enterprises"), newest first: `limit` rows from `offset`, with the count of all.
  virtual FeatureHistoryPage load_feature_history(const std::string& layer, int64_t fid,
                                                  std::size_t limit, std::size_t offset) = 0;

  // ---- pulled feeds (layers/model/feed.hpp) ----
  /// Every pulled feed, by name.
  virtual std::vector<PullFeed> load_feeds() = 0;
  /// Adds a feed, or replaces the definition of the feed of that name (its last run stays).
  virtual void put_feed(const PullFeed& feed) = 0;
  /// Notes a pull of the feed `name`: when it ran and what it did (JSON).
  virtual void record_feed_run(const std::string& name, int64_t at, const std::string& result) = 0;
  /// Removes a feed. @throws StoreError when there is none of that name.
  virtual void drop_feed(const std::string& name) = 0;

  // ---- the outbox and its subscribers (layers/model/outbox.hpp) ----
  /// Up to `limit` outbox rows whose id is above `after`, oldest first.
  virtual std::vector<OutboxRow> load_outbox(int64_t after, std::size_t limit) = 0;
  /// The id of the outbox's last row (0 when it is empty).
  virtual int64_t last_outbox_id() = 0;
  /// Every subscriber, by name.
  virtual std::vector<Subscriber> load_subscribers() = 0;
  /// Adds a subscriber, or replaces the definition of the one of that name (its cursor stays).
  /// A new one starts after the last row of the outbox: it hears of what happens from now on.
  virtual void put_subscriber(const Subscriber& subscriber) = 0;
  /// Notes that the subscriber `name` acknowledged every row up to `id` (its cursor). A
  /// subscriber removed meanwhile is left removed.
  virtual void record_delivery(const std::string& name, int64_t id) = 0;
  /// Removes a subscriber. @throws StoreError when there is none of that name.
  virtual void drop_subscriber(const std::string& name) = 0;

  /// Small key/value settings table (onemap_meta).
  virtual void put_meta(const std::string& key, const std::string& value) = 0;
  virtual std::optional<std::string> get_meta(const std::string& key) = 0;

  /// Where the store is ("data/demo.gpkg").
  virtual std::string location() const = 0;

  /// Puts every transaction committed so far on disk; returns at once when they are. Safe to
  /// call from any thread while another commits: a caller whose transaction committed while a
  /// flush was under way waits for it and takes part in the next one. The store syncs when it
  /// is closed too. A failed flush ends the process (see the implementation): what was
  /// committed can no longer be known to be on disk, and a restart recovers from the file.
  virtual void sync() noexcept = 0;

  /// Transactions committed and disk flushes made since the store was opened: group commit
  /// makes the second smaller than the first when writers run side by side.
  struct SyncCounts {
    uint64_t commits = 0;
    uint64_t flushes = 0;
  };
  virtual SyncCounts sync_counts() const = 0;
};

template <class T>
void Store::put_one(T& record) {
  Batch b;
  if constexpr (std::is_same_v<T, Grid>)
    b.grids.push_back(&record);
  else if constexpr (std::is_same_v<T, Household>)
    b.households.push_back(&record);
  else if constexpr (std::is_same_v<T, Enterprise>)
    b.enterprises.push_back(&record);
  else if constexpr (std::is_same_v<T, Incident>)
    b.incidents.push_back(&record);
  else
    b.workers.push_back(&record);
  put(b);
}

/// Opens (creating it with every table when `create` is true and it does not exist) the
/// GeoPackage at `path`. @throws StoreError.
std::unique_ptr<Store> open_geopackage(const std::string& path, bool create);

/// Opens a store from a location string: a path ending in .gpkg for now.
std::unique_ptr<Store> open_store(const std::string& location, bool create);

}  // namespace onemap::layers
