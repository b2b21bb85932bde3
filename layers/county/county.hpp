// The county as a server holds it: every layer in memory, the store it came from, the grid
// joiner and the tile builder, under one reader-writer lock.
//
// Reads take a shared lock (read()) and may run on many threads. Writes go one at a time: each
// takes the writers' mutex, validates, joins and writes to the store (durable before it returns)
// while readers go on, then takes the exclusive lock only to update the memory and the derived
// indexes and tell every listener what changed, all before it returns: so whatever a listener
// invalidates (cached tiles) is gone before the write is acknowledged, and a reader waits for
// memory being updated, never for the disk.
//
// The heavy writes (batch dispatch, the overdue sweep, a grid outline with its re-join) do their
// work on a copy taken under the shared lock, with no lock held or readers only, and take the
// writers' mutex only to commit: there they check that every record they change is still as
// they read it (an incident's version and join, a worker's record and load, the grids) and skip
// or redo what changed meanwhile, so a concurrent write is never overwritten.
//
// The users and their tokens are a directory apart (auth/user_directory.hpp), with locks and a
// store connection of their own: signing a request in, or changing a user, waits for none of the
// county's locks but the shared one, briefly, to read a worker record.
//
// Lock order: write_mutex_, then mutex_. Listeners run under both and must not call back. The
// user directory takes mutex_ (shared, in its worker lookup) holding none of its own locks, and
// the county never calls the directory holding its locks: no cycle.
//
// The sources, one concern each: county.cpp (the records' writes and reads, grid outlines),
// county_routing.cpp (intake and routing), county_loop.cpp (the loop's transitions and the
// commit of incidents), county_escalation.cpp (escalation and the overdue sweep),
// county_batch.cpp (batch dispatch), county_metrics.cpp (the loop's metrics), county_feeds.cpp
// (feeds into county layers, and edits of their features by the same path), county_media.cpp
// (photos of incidents).
#pragma once

#include "auth/user_directory.hpp"
#include "layers/dispatch/dispatch_config.hpp"
#include "layers/dispatch/workflow.hpp"
#include "layers/model/feature_edit.hpp"
#include "layers/model/feed.hpp"
#include "layers/model/join.hpp"
#include "layers/model/model.hpp"
#include "layers/model/schema.hpp"
#include "layers/store/store.hpp"
#include "layers/tiles/tiles.hpp"
#include "layers/triage/triage.hpp"

#include <array>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace onemap::layers {

/// What a write changed, one record. For point layers: the position before (none for a new
/// record) and after, and the attributes that changed (by their field names; all of them for a
/// new record); for incidents also the record before and after (filters compare attributes).
/// For grids: the outline's bounding box before and after (lon/lat). For a county layer (named in
/// `feature_layer`; `layer` is not read then): every tile of it (`whole_layer`: the layer was
/// added, altered or dropped), or those meeting `boxes`, the lon/lat boxes of its features that
/// changed or that its tiles now show differently (TileBuilder::feature_layer_changed).
struct Change {
  LayerKind layer = LayerKind::Incidents;
  int64_t fid = 0;
  std::optional<LonLat> before, after;
  std::vector<std::string> fields;
  std::optional<Incident> incident_before, incident_after;
  std::optional<spatial::Box> grid_before, grid_after;
  std::string feature_layer;
  bool whole_layer = false;
  /// A ticket of the intake queue changed (its id; 0: none): nothing else is set, and only the
  /// outbox's readers care (a new row of it).
  int64_t ticket = 0;
  std::vector<spatial::Box> boxes;
  /// True when the point moved, appeared or disappeared (not only its attributes changed).
  bool moved() const {
    return before.has_value() != after.has_value() ||
           (before && (before->lon != after->lon || before->lat != after->lat));
  }
};

/// What County::alter_feature_layer did to a county layer's definition. What is built from a
/// definition and kept (a layer's tiles, once they are cached) is stale when audiences_changed().
struct LayerAltered {
  LayerDef before, after;
  /// Whether who reads what changed: the layer's audience, or an existing field's audience or
  /// tile zoom.
  bool audiences_changed() const;
};

/// A partial update of an incident: fields left empty keep their value. The state changes only
/// through the closed loop (transition), never by an edit.
struct IncidentPatch {
  std::optional<std::string> category;
  std::optional<std::string> description;
  std::optional<std::string> assignee;
  std::optional<LonLat> location;
  /// The version the caller last saw (If-Match): a different current version is a Conflict.
  std::optional<int64_t> expected_version;
};

/// A partial update of a household or an enterprise: values by their schema field's name
/// (layers/model/schema.hpp), each one PATCH changes (Field::on_patch), checked by its rule; a
/// field left out keeps its value, a null one is emptied. `location` moves the record.
struct PointPatch {
  FieldValues values;
  std::optional<LonLat> location;
  /// Adds a value (a builder for callers that write records themselves).
  PointPatch& set(std::string name, AttributeValue v) {
    values.emplace_back(std::move(name), std::move(v));
    return *this;
  }
};

/// How a write of one record is conditioned and recorded (OGC API - Features Part 4): the
/// If-Match checked under the writers' lock, and what the record's history calls the change and
/// which request made it.
struct EditOptions {
  std::optional<IfMatch> if_match;
  EditAction action = EditAction::Update;
  std::string request_id;
};

/// A change to a grid: its name or its outline (code, level and parent are its identity in the
/// hierarchy and the joins, and stay).
struct GridPatch {
  std::optional<std::string> name;
  std::optional<MultiPolygon> geometry;
};

/// An action on an incident of the closed loop (layers/dispatch/workflow.hpp).
struct TransitionRequest {
  Action action = Action::Dispatch;
  std::string note = {};
  /// dispatch: the worker to assign (empty: route by location as an intake does).
  std::optional<std::string> assignee = {};
  /// The version the caller last saw (If-Match): a different current version is a Conflict.
  std::optional<int64_t> expected_version = {};
  int64_t now = 0;  ///< Unix seconds of the action (0: the clock)
};

/// A report as a channel sends it: the incident it would become (category, description, address,
/// id, source, reported_at, extra; its location once `placed`), and how it was placed.
struct Report {
  Incident incident;
  bool placed = false;
  std::string located_by;         ///< "reporter" (lon/lat given) or "address" (the gazetteer)
  std::string candidates = "[]";  ///< JSON array: the places its address may mean
  std::string area;               ///< unplaced: the area the candidates share ("" when none)
};

/// What became of a report: routed at once (an incident), or waiting in the queue (a ticket).
struct Received {
  std::optional<Incident> incident;
  std::optional<Ticket> ticket;
};

/// When a task must be met: at a time, or within a time from now (counted as a category's
/// deadline is, in the working calendar for working hours and days).
struct Due {
  std::optional<int64_t> at;
  std::optional<Deadline> within;
  bool given() const { return at || within; }
};

/// Makes an incident a joint case (联合处置): a lead agency and co-handlers, each with a task.
struct JointRequest {
  std::string lead;
  std::vector<std::string> with;  ///< the co-handlers (at least one)
  Due deadline;                   ///< not given: the category's deadline from now
  std::string note;
  std::optional<int64_t> expected_version;  ///< If-Match: the incident's version last seen
  int64_t now = 0;                          ///< 0: the clock
};

/// 吹哨报到: a town summons agencies to a case; each must report (accept) within `report` and do
/// its part by `deadline`.
struct SummonsRequest {
  std::vector<std::string> agencies;
  Due report;    ///< not given: kSummonsReportHours from now
  Due deadline;  ///< not given: the case's deadline (else the category's from now)
  std::string note;
  std::optional<int64_t> expected_version;
  int64_t now = 0;
};

/// An agency's action on its task: "accept" (for a summons, 报到) or "done" (with feedback).
struct TaskRequest {
  std::string action;
  std::string feedback;
  std::optional<int64_t> expected_version;  ///< the task's version last seen
  int64_t now = 0;
};

/// How one agency does on its tasks (County::agency_metrics).
struct AgencyFigures {
  std::string agency, name, level;
  std::size_t tasks = 0, done = 0, open = 0;
  std::size_t on_time = 0;  ///< done by their deadline (or with none)
  std::size_t late = 0;     ///< missed a time they had to meet (reporting or the deadline)
  std::size_t summoned = 0, reported_on_time = 0;  ///< summons, and those accepted in time
  double on_time_rate = 0;                         ///< on_time / done (0 when none)
  std::optional<double> median_hours_to_done;
};

/// A decision of the command centre on a ticket (layers/triage/triage.hpp).
struct TicketDecision {
  triage::TicketAction action = triage::TicketAction::Admit;
  std::optional<LonLat> location;           ///< admit: where it is (required when it is unplaced)
  std::optional<std::string> category;      ///< admit: the category, when the report's was wrong
  int64_t into = 0;                         ///< merge: the incident it repeats
  std::string note;                         ///< reject: the reason (required); else a note
  std::optional<int64_t> expected_version;  ///< If-Match: the ticket's version last seen
  int64_t now = 0;                          ///< 0: the clock
};

/// A ticket decided, and the incident it became or joined.
struct Decided {
  Ticket ticket;
  std::optional<Incident> incident;
};

/// A page of tickets.
struct TicketPage {
  std::vector<Ticket> tickets;  ///< newest first
  std::size_t total = 0;        ///< before limit and offset
};

/// What the overdue sweep did.
struct SweepResult {
  int64_t at = 0;
  std::vector<int64_t> escalated;       ///< fids escalated one level
  std::vector<int64_t> marked_overdue;  ///< fids at the top level already, marked overdue only
  std::vector<int64_t> changed;  ///< fids overdue but changed while the sweep ran: left as they are
  /// Tasks of joint cases (fid, seq) newly late: marked overdue, each with a "task_overdue" event
  /// (a joint case is not escalated as a whole).
  std::vector<std::pair<int64_t, int64_t>> tasks_overdue;
};

/// One re-dispatch of a batch.
struct BatchAssignment {
  int64_t fid = 0;
  std::string
      worker_id;  ///< empty: no free eligible worker (left in the grid head's queue), or skipped
  double distance_m = 0;
  /// Why the solved assignment was not applied (the incident or the worker changed while the
  /// batch was solved); empty when it was, or when there was no worker for it.
  std::string skipped;
};

/// What a batch dispatch did: the optimal assignment, and the one-by-one nearest assignment it
/// was compared with, on the same incidents and workers.
struct BatchResult {
  std::string area;
  std::string
      pool;  ///< who may take an incident: "grid" (its grid's team), "village", "town", "county"
  std::size_t incidents = 0, workers = 0;
  std::size_t assigned = 0,
              greedy_assigned = 0;  ///< assigned: applied (the optimum less the skipped)
  std::size_t skipped = 0;          ///< solved but not applied (see BatchAssignment)
  double total_m = 0, greedy_total_m = 0;
  double seconds = 0;  ///< the whole batch
  double lock_seconds =
      0;  ///< of it, holding the exclusive lock (applying commits to memory), in all
  double longest_lock_seconds = 0;  ///< the longest hold (one slice): the longest a reader waits
  bool proved_optimal = false;      ///< of the solve, over the incidents and workers as read
  std::vector<BatchAssignment> assignments;
};

/// Closed-loop metrics over a set of incidents (layers/dispatch/workflow.hpp): the figures a
/// county is judged by. Every incident counts as admitted: reports the centre rejected or merged
/// never became incidents, and are counted apart (TicketCounts).
struct LoopMetrics {
  std::size_t total = 0;    ///< incidents reported in the window (admitted)
  std::size_t closed = 0;   ///< of them, closed
  std::size_t open = 0;     ///< of them, still open (not resolved, verified or closed)
  std::size_t overdue = 0;  ///< open, and past their deadline at `now` or escalated for it
  std::size_t with_deadline_closed = 0, on_time = 0;  ///< closed with a deadline; closed by it
  double closure_rate = 0;                            ///< closed / total (0 when none)
  double on_time_rate = 0;  ///< on_time / with_deadline_closed (0 when none)
  std::optional<double> median_hours_to_close;
  std::size_t handled = 0;  ///< resolved, verified or closed (办结)
  /// Handled with a deadline; of them, resolved by it (the last resolve of the trail; the close
  /// for an incident imported without one).
  std::size_t handled_with_deadline = 0, handled_on_time = 0;
  std::size_t returned = 0;   ///< sent back by a handler at least once
  std::size_t reopened = 0;   ///< reopened at least once
  double effective_rate = 0;  ///< 处置有效率: handled / total (0 when none)
  double timely_rate = 0;     ///< 及时率: handled_on_time / handled_with_deadline (0 when none)
  double return_rate = 0;     ///< returned / total
  double reopen_rate = 0;     ///< reopened / handled
  /// The stages of the loop, each timed from the end of the one before (the report for the
  /// first): the first dispatch, the first accept (of the case or a task), the last resolve,
  /// verify and close.
  static constexpr std::array<const char*, 5> kStages = {"dispatch", "accept", "resolve", "verify",
                                                         "close"};
  /// Median hours of each stage over the incidents whose trail has both of its ends.
  std::array<std::optional<double>, kStages.size()> median_stage_hours;

  /// Counts one incident with its trail (empty for one imported without), at `now` (Unix
  /// seconds) for the overdue count.
  void add(const Incident& in, int64_t now, std::span<const IncidentEvent> trail = {});
  /// Computes the rates and the medians from what was added.
  void finish();

 private:
  std::vector<double> hours_;  ///< report to close, of the closed ones
  std::array<std::vector<double>, kStages.size()> stage_hours_;
};

/// What became of the reports that waited in the intake queue (tickets received in a window).
struct TicketCounts {
  std::size_t received = 0, pending = 0, admitted = 0, rejected = 0, merged = 0;
};

class County {
 public:
  /// Reads every layer and the incidents' audit trails from `store` and builds the indexes; opens
  /// the user directory on the same store (a connection of its own); measures the time.
  /// `dispatch` holds the categories, calendar and caps. @throws StoreError.
  County(std::unique_ptr<Store> store, JoinOptions join, TileConfig tiles,
         DispatchConfig dispatch = {});
  ~County();
  County(const County&) = delete;
  County& operator=(const County&) = delete;

  /// Holds the shared lock for reading data() and tiles().
  std::shared_lock<std::shared_mutex> read() const;
  const Dataset& data() const { return data_; }
  /// The county's own layers (layers/model/feature_layer.hpp), by name, records by fid.
  const std::vector<FeatureLayer>& feature_layers() const { return feature_layers_; }
  /// The county layer named `name`, or null.
  const FeatureLayer* feature_layer(std::string_view name) const;
  /// Joins the records of a new county layer to the grids, stores the layer (durable before it
  /// returns) and serves it from the next read on. Returns its join counts.
  /// @throws Conflict (conflict_duplicate) when a layer of that name exists, InvalidArgument for
  /// a definition check_definition refuses.
  JoinStats add_feature_layer(LayerDef def, std::vector<Feature> features);
  /// Alters a county layer's definition (alter_definition: fields added, audiences, title,
  /// style…): in the store, then in every output from the next request on; what is acknowledged
  /// is what is stored. @throws NotFound for an unknown layer, InvalidArgument for an alteration
  /// alter_definition refuses, Conflict for a title another layer's table has (Store::alter_layer).
  LayerAltered alter_feature_layer(const std::string& name, std::string_view alteration);
  /// Removes a county layer from the store and from every output. @throws NotFound.
  void drop_feature_layer(const std::string& name);
  /// Applies a feed's batch (layers/model/feed.hpp) to the county layer `name`, whose definition
  /// the batch was read against is `read_as`: every key checked first (present, once in the
  /// batch), then the records it changes written in one transaction and served from the next
  /// read, and the tiles they touch (their boxes before and after) dropped before it returns;
  /// a record the batch leaves as it is is neither written nor its tiles touched. The grid joins
  /// of new geometries are made before the writers' mutex is taken (joined again should the
  /// grids change meanwhile).
  /// @throws NotFound for an unknown layer, Conflict when the layer has no id field or was made
  /// anew or altered since `read_as` in a way the batch was not read for, InvalidFeature for a
  /// missing or repeated key (the batch changes nothing then).
  /// Each record it changes gets a history row naming `author` (FeatureHistory, action feed),
  /// in the same transaction.
  FeedResult feed_feature_layer(const std::string& name, const LayerDef& read_as,
                                std::vector<FeedEntry> batch, const Author& author = {});
  /// Applies one edit (OGC API - Features Part 4) to a record of the county layer `name`, read
  /// against `read_as`, through the feeds' write path: the new geometry joined with no lock held,
  /// then under the writers' mutex the edit's If-Match checked against the record's current
  /// entity tag (etag_of), the actor's right (check_may_edit) and area (every grid the record
  /// lies in before and after), the id field's uniqueness; the record and its history row (who,
  /// which fields) written in one transaction, memory, tiles (the record's boxes before and
  /// after) and listeners updated before it returns. A record left as it is is not written.
  /// Returns the record as it now is (nullopt after a delete).
  /// @throws NotFound for an unknown layer or fid, PreconditionFailed for an If-Match the record
  /// does not meet (or a record that is gone), Forbidden, InvalidArgument for an id field an
  /// update changes, Conflict (conflict_duplicate) for an id another record has, Conflict when
  /// the layer was made anew or altered since `read_as`.
  std::optional<Feature> edit_feature(const std::string& name, const LayerDef& read_as,
                                      FeatureEdit edit, const Actor& actor,
                                      const std::string& request_id = {});
  /// The history of a record of a county layer or of the enterprises (Store::
  /// load_feature_history), newest first.
  FeatureHistoryPage feature_history(const std::string& layer, int64_t fid, std::size_t limit,
                                     std::size_t offset) const;
  const TileBuilder& tiles() const { return *tiles_; }
  const JoinOptions& join_options() const { return join_; }
  std::string location() const { return location_; }
  double load_seconds() const { return load_seconds_; }
  /// The store's commits and disk flushes so far (Store::sync_counts).
  Store::SyncCounts store_sync_counts() const { return store_->sync_counts(); }

  /// Registers a listener, called under the exclusive lock after each write (must not call back).
  /// Returns its handle for remove_listener.
  uint64_t on_change(std::function<void(const Change&)> listener);
  /// Removes a listener (waits for a write in progress to finish); an unknown handle is ignored.
  void remove_listener(uint64_t handle);

  /// Creates an incident (fid assigned by the store; reported_at now when 0; status "reported"
  /// when empty), joined to its grid. @throws InvalidArgument for a bad location or category,
  /// Conflict (inc_id) for an id another incident has.
  Incident create_incident(Incident incident, const Actor& actor = Actor::system());
  /// Updates an incident (an administrative edit, recorded in its history as `actor`'s): its
  /// category (a configured one), description, assignee (an existing worker, while the incident
  /// is open) or position. The actor's area scope must hold the incident before and after.
  /// @throws NotFound for an unknown fid, InvalidArgument for bad values (category, assignee),
  /// Forbidden outside the actor's area, Conflict for a stale version or an assignee change
  /// after the incident was resolved (报办分离 counts who was assigned).
  Incident update_incident(int64_t fid, const IncidentPatch& patch,
                           const Actor& actor = Actor::system());
  /// A copy of an incident (under the read lock). @throws NotFound.
  Incident incident(int64_t fid) const;
  /// The incident with `fid` in data(), or null. The caller holds read().
  const Incident* find_incident(int64_t fid) const;

  /// Creates a household (fid assigned by the store), joined to its grid; `actor`'s area scope
  /// must hold the grid. @throws InvalidArgument for a bad location or value, Conflict (hh_id)
  /// for an id another household has, Forbidden outside the actor's area.
  Household create_household(Household household, const Actor& actor = Actor::system());
  /// The same rules; a move must stay in the actor's area. @throws NotFound for an unknown fid.
  Household update_household(int64_t fid, const PointPatch& patch,
                             const Actor& actor = Actor::system());
  /// @throws NotFound.
  Household household(int64_t fid) const;

  /// Creates an enterprise (fid assigned by the store), joined to its grid; a name is required.
  /// The rules of households: Conflict (ent_id) for a duplicate id, Forbidden outside the area.
  /// Every write of an enterprise gets a history row (who, which fields; `options.action`, the
  /// request) in its transaction, and meets `options.if_match` (etag_of) or changes nothing:
  /// PreconditionFailed.
  Enterprise create_enterprise(Enterprise enterprise, const Actor& actor = Actor::system(),
                               const EditOptions& options = {});
  Enterprise update_enterprise(int64_t fid, const PointPatch& patch,
                               const Actor& actor = Actor::system(),
                               const EditOptions& options = {});
  /// Removes an enterprise (its history row in the same transaction), with its tiles.
  /// @throws NotFound, PreconditionFailed, Forbidden as update_enterprise.
  void delete_enterprise(int64_t fid, const Actor& actor, const EditOptions& options = {});
  Enterprise enterprise(int64_t fid) const;

  /// Renames a grid or replaces its outline. A new outline must be a valid, non-empty polygon
  /// in lon/lat; its area is recomputed, and every point whose grid can change with it (those
  /// joined to it, those inside its new bounding box, those joined by nearest grid or to none)
  /// is joined again. The grid and the points whose join changed are written in one
  /// transaction; listeners hear the grid's change, then each point's. The new joins are
  /// computed under the shared lock only; points moved or added meanwhile are joined again at
  /// the commit, and a grid changed meanwhile makes it start over.
  /// @throws NotFound for an unknown fid, InvalidArgument for a bad name or outline, Conflict
  /// when the grids keep changing under it.
  Grid update_grid(int64_t fid, const GridPatch& patch);
  Grid grid(int64_t fid) const;

  const DispatchConfig& dispatch_config() const { return dispatch_; }

  // ---- users ----
  /// The users and their tokens (auth/user_directory.hpp): their own locks and store connection,
  /// asking the county only for worker records (under the shared lock).
  auth::UserDirectory& users() { return *users_; }
  const auth::UserDirectory& users() const { return *users_; }

  // ---- the audit of personal data ----
  /// Appends audit rows (their `at` the clock when 0), durable before it returns: a caller
  /// that answers with personal data calls it first, and answers nothing when it throws. The
  /// rows are read back through users().audit_log().
  void audit(std::vector<AuditRecord> rows);

  // ---- intake and the closed loop ----
  /// Takes in a new incident reported by `actor`: checks its category against the configuration,
  /// joins it to its grid, routes it (the containing grid, else the nearest grid within the join
  /// distance, else the nearest town's centre; a department for the categories configured so;
  /// the nearest on-duty team member whose role may handle the category and who is under the
  /// workload cap, else the grid head's queue), sets its deadline, and stores it with its first
  /// events (report, dispatch) in one transaction. `now` 0: the clock. @throws Forbidden for a
  /// role that reports nothing (may_report: a feed).
  Incident intake(Incident incident, const Actor& actor, int64_t now = 0);
  /// Takes in a report (any channel; the rules of intake): the incidents it may repeat are
  /// found (triage::suggest_duplicates); when it is placed and the configuration's triage lets
  /// it through (triage::reasons_to_wait), it is routed as intake() routes; else it waits in the
  /// command centre's queue as a ticket, durable before it returns. `now` 0: the clock.
  /// @throws what intake() throws, InvalidArgument("lon") for an unplaced report with no address.
  Received receive(Report report, const Actor& actor, int64_t now = 0);
  /// Decides a pending ticket: admit (an incident made of it and routed, in the ticket's
  /// transaction), reject (with a reason), or merge into the incident it repeats (that incident's
  /// trail gets a "merge" event and its `extra.followers` the ticket's reporter and contact, so
  /// that they hear of its progress). @throws NotFound (ticket, or the incident to merge into),
  /// Conflict (not pending, or a stale version), Forbidden (not an admin or centre user of its
  /// area), InvalidArgument (a missing place, reason or incident).
  Decided decide(int64_t ticket, const TicketDecision& decision, const Actor& actor);
  /// A ticket. @throws NotFound.
  Ticket ticket(int64_t id) const;
  /// The tickets `actor` may see (triage::may_see_ticket) in `state` (empty: every state), newest
  /// first.
  TicketPage tickets(const Actor& actor, const std::string& state, std::size_t limit,
                     std::size_t offset) const;
  /// The tickets `reporter` (a user id) sent, newest first: what a reporter follows.
  std::vector<Ticket> tickets_reported_by(const std::string& reporter) const;
  // ---- joint cases (county_joint.cpp) ----
  /// Every agency: the configured departments and units, and the areas' own (agencies.hpp),
  /// named after the grids as they are now. The caller holds read().
  const AgencyDirectory& agencies() const { return agencies_; }
  /// Makes an open incident a joint case: a task for the lead and each co-handler (each must
  /// serve the incident's area), the incident dispatched to the lead with the others as its
  /// co_agencies and the latest task deadline, a "dispatch" event, in one transaction. Who may:
  /// an admin, or a command-centre user whose area holds it. @throws NotFound, Forbidden,
  /// Conflict (not open, a joint case already, a stale version), InvalidArgument (lead, with,
  /// deadline).
  Incident make_joint(int64_t fid, const JointRequest& request, const Actor& actor);
  /// 吹哨报到: adds a "summoned" task for each agency to an open incident (a case not yet joint
  /// becomes one, its holder the lead), with a "summon" event. Who may: an admin, or a
  /// command-centre user of the county or of a town whose area holds the incident.
  /// @throws what make_joint throws (agencies: InvalidArgument("agencies")).
  Incident summon(int64_t fid, const SummonsRequest& request, const Actor& actor);
  /// An agency's action on its task `seq` of the case `fid` (may_act_for): accept, or done with
  /// feedback. The first accept moves a dispatched case to accepted; the last done resolves it
  /// (its handler the lead task's). A "task_accept" or "task_done" event, and the case's, in one
  /// transaction. @throws NotFound (case or task), Forbidden, Conflict (state, version),
  /// InvalidArgument (action, feedback).
  Incident act_on_task(int64_t fid, int64_t seq, const TaskRequest& request, const Actor& actor);
  /// The tasks of a case, by seq (empty for a case one agency holds). @throws NotFound.
  std::vector<Task> tasks(int64_t fid) const;
  /// The same, the caller holding read().
  const std::vector<Task>& tasks_of(int64_t fid) const;
  /// Figures of the tasks of cases reported in [from, to) (0: unbounded) whose grid starts with
  /// `area`, by agency, at `now` (0: the clock).
  std::vector<AgencyFigures> agency_metrics(const std::string& area, int64_t from, int64_t to,
                                            int64_t now = 0) const;
  /// Hours a summoned agency has to report when the summons does not say.
  static constexpr double kSummonsReportHours = 2;

  /// Performs an action of the closed loop. @throws NotFound, Conflict (state or version),
  /// Forbidden (role, scope, 报办分离), InvalidArgument (a bad assignee).
  Incident transition(int64_t fid, const TransitionRequest& request, const Actor& actor);
  /// The audit trail of an incident, oldest first. @throws NotFound.
  std::vector<IncidentEvent> history(int64_t fid) const;
  /// Escalates every open incident past its deadline one level (grid → village → town → county),
  /// giving the new level escalation_working_hours more; at the county level it is only marked
  /// overdue. A joint case's tasks that missed their report time or deadline are marked overdue
  /// instead (SweepResult::tasks_overdue). Each change is recorded in the history. `now` 0: the
  /// clock. `area`: only the incidents whose grid or agency code starts with it (empty: all). An
  /// incident changed while the sweep ran is left for the next one (SweepResult::changed).
  /// Committed in slices of kCommitSlice incidents, one transaction each.
  /// @throws InvalidArgument ("at") for a `now` more than kMaxSweepAhead seconds ahead of the
  /// clock, ("area") for an area that is no area code.
  SweepResult sweep_overdue(int64_t now = 0, const std::string& area = "");
  static constexpr int64_t kMaxSweepAhead = 300;
  /// Batch dispatch and the sweep commit this many incidents per transaction, taking the writers'
  /// mutex for each slice (and the exclusive lock to apply it to memory).
  static constexpr std::size_t kCommitSlice = 256;
  /// Re-dispatches every unassigned open incident (reported, returned, escalated, reopened, or
  /// left in a grid head's queue) of the grid categories whose grid lies in `area` (a code prefix;
  /// empty: the county), minimising the total distance under each worker's cap. `pool`: which
  /// workers may take an incident ("grid": its grid's team; "village"/"town"/"county": any team
  /// of the same village/town/county). Solved on a copy of the incidents and workers with no
  /// lock held; an incident or worker that changed meanwhile is skipped (BatchAssignment::skipped).
  /// Committed in slices of kCommitSlice incidents, one transaction each.
  /// @throws InvalidArgument for a bad pool.
  BatchResult batch_dispatch(const std::string& area, const std::string& pool, const Actor& actor,
                             int64_t now = 0);
  /// Open incidents assigned to a worker (their workload).
  int workload(const std::string& worker_id) const;

  // ---- photos of incidents (county_media.cpp) ----
  /// Stores a photo (checked and made by layers/media/image.hpp) of the incident `fid` taken by
  /// `actor`, with a "media" event in the incident's trail (detail: the photo's id and kind), in
  /// one transaction, durable before it returns; the incident's record does not change. Who may:
  /// an admin, the incident's reporter, its assignee or handler, a grid head in its grid, and
  /// staff (centre, department) whose scope holds it (in_scope). Returns the photo's
  /// description, its id and time set. @throws NotFound for an unknown incident,
  /// InvalidArgument("kind") for a kind not in kMediaKinds, Forbidden for anyone else.
  MediaInfo attach_media(int64_t fid, Media media, const Actor& actor, int64_t now = 0);
  /// The photos of the incident `fid` in data(), oldest first (empty for none). The caller holds
  /// read().
  const std::vector<MediaInfo>& media_of(int64_t fid) const;
  /// A photo's description. @throws NotFound.
  MediaInfo media_info(int64_t id) const;
  /// The bytes of one part of a photo, read from the store under the writers' mutex (the store's
  /// connection is one): a read waits for a write in progress, never for the disk's flush.
  /// @throws NotFound.
  std::string media_bytes(int64_t id, MediaPart part) const;
  /// Called by batch_dispatch, sweep_overdue, update_grid and feed_feature_layer between their
  /// unlocked work and their commit, with no lock held and the operation's name; lets tests
  /// write meanwhile. Set it before any of them runs.
  void set_commit_hook(std::function<void(std::string_view)> hook) {
    commit_hook_ = std::move(hook);
  }
  /// The audit trail of the incident `fid` (empty for none), the caller holding read().
  std::span<const IncidentEvent> trail_of(int64_t fid) const;
  /// The tickets received in [from, to) (0: unbounded) whose area starts with `area`, by what
  /// became of them.
  TicketCounts ticket_counts(const std::string& area, int64_t from, int64_t to) const;
  /// Metrics of the incidents reported in [from, to) (0: unbounded) whose grid or agency starts
  /// with `area` and whose category is `category` (empty: all), at `now` (0: the clock).
  LoopMetrics metrics(const std::string& area, const std::string& category, int64_t from,
                      int64_t to, int64_t now = 0) const;
  /// What metrics() counts, grouped by `by`: "worker" (its assignee, who keeps it once resolved;
  /// "" for none), "agency" (its agency: a grid, village or town, or a department), "town" or
  /// "grid" (where it lies; "" outside the grids). Finished, by key.
  /// @throws InvalidArgument("by").
  std::vector<std::pair<std::string, LoopMetrics>> metrics_by(std::string_view by,
                                                              const std::string& area, int64_t from,
                                                              int64_t to, int64_t now = 0) const;

 private:
  void notify(const Change& c);
  void check_location(const LonLat& p, const char* parameter) const;
  // Conflict naming the field unless no other record of the layer (than `fid`) has the external
  // id `id` (empty ids are not checked). Called under a lock.
  void check_unique_id(LayerKind layer, const std::string& id, int64_t fid) const;
  // Stores a new or changed point record (index: none for a new one), then under the exclusive
  // lock updates memory and the tile indexes, and tells the listeners. Called holding
  // write_lock(); `fields` as in Change.
  // `history`: the record's history row, written in the same transaction.
  template <class T>
  T put_point(T record, std::optional<std::size_t> index, std::vector<std::string> fields,
              std::optional<FeatureHistory> history = std::nullopt);
  // A history row of `actor`'s change of a record of one of the five layers.
  FeatureHistory history_row(LayerKind layer, int64_t fid, const Actor& actor,
                             const EditOptions& options, EditAction action,
                             std::vector<std::string> fields) const;
  // Where the record `fid` is in `v`, once options.if_match is met (etag_of: enterprises).
  // @throws PreconditionFailed, NotFound.
  template <class T>
  std::size_t checked_index(const std::vector<T>& v, int64_t fid, const EditOptions& options) const;
  // Writes a county layer's changes (`writes`, with their history) in one transaction, then
  // under the exclusive lock applies them to memory (`updated`: each new record moved to its
  // position; `deleted`: positions; the inserted records appended), the layer's tile index and
  // the listeners, told the boxes the change touches (`boxes`: the records' before and after).
  // The one tail of feeds and edits. Called holding write_lock().
  void commit_feature_writes(FeatureLayer& layer, Store::FeatureWrites& writes,
                             const std::vector<std::pair<Feature*, std::size_t>>& updated,
                             const std::vector<std::size_t>& deleted,
                             std::vector<spatial::Box> boxes);
  // Makes room for `more` new records in `v`, a point layer of data_, before a write takes the
  // exclusive lock: a vector that grows moves every record (500,000 incidents: half a second),
  // which readers must not wait for. Called holding write_lock().
  template <class T>
  void make_room(std::vector<T>& v, std::size_t more);
  // The same for the audit trails' map of `more` new incidents (a rehash).
  void make_room_for_trails(std::size_t more);
  // create_household and create_enterprise: checks by the schema, then put_point.
  template <class T>
  T create_point(T record, const Actor& actor, const EditOptions& options);
  // update_household and update_enterprise.
  template <class T>
  T update_point(int64_t fid, const PointPatch& patch, const Actor& actor,
                 const EditOptions& options);

  // ---- intake and routing (county_routing.cpp) ----
  struct Routing {
    std::string agency, level, assignee;
    std::string reason;  ///< JSON object text
  };
  // Where an incident goes and to whom (holding write_lock()). `exclude`: a worker not to pick.
  Routing route(const Incident& in, const std::string& exclude) const;
  // Open incidents assigned to a worker (caller holds a lock).
  int load_of(const std::string& worker_id) const;
  // Rebuilds the teams, the worker and grid indexes and the towns' joiner (at construction, or
  // holding both locks).
  void index_teams();
  const Worker* worker_by_id(const std::string& id) const;

  // ---- the closed loop's commits (county_loop.cpp) ----
  // Stores an incident (index: none for a new one) with events, then under the exclusive lock
  // keeps memory, workloads, tiles and listeners in step. Called holding write_lock().
  // `ticket`: the ticket decided with it, written in the same transaction (an admitted one takes
  // a new incident's fid).
  Incident commit_incident(std::optional<std::size_t> index, Incident after,
                           std::vector<IncidentEvent> events, Ticket* ticket = nullptr,
                           std::vector<Task> tasks = {});
  struct Pending {
    std::optional<std::size_t> index;
    Incident after;
    std::vector<IncidentEvent> events;
    std::vector<Task> tasks = {};  ///< tasks of the case added or changed with it
  };
  // commit_incident of many records in one transaction. Returns the seconds it held the
  // exclusive lock.
  double commit_incidents(std::vector<Pending>& pending, Ticket* ticket = nullptr);
  // Checks a report as intake does (who may report, its place when `placed`, its category) and
  // fills in what intake sets (reported_at, source, reporter, version, state).
  void check_report(Incident& in, const Actor& actor, int64_t now, bool placed) const;
  // Joins and routes a checked report and commits it with its first events (and `ticket`;
  // `report_detail`: the report event's detail). Called holding write_lock().
  Incident route_new(Incident in, const Actor& actor, int64_t now, Ticket* ticket,
                     std::string report_detail);
  // Whether the case `fid` is joint with a task still open: its agencies hold it, not the loop's
  // handler actions, routing or batch dispatch (county_joint.cpp). Caller holds a lock.
  bool joint_open(int64_t fid) const;
  // Puts a ticket in memory (a new one appended, else replaced by id). Caller holds both locks.
  void keep_ticket(const Ticket& t);
  IncidentEvent make_event(const Incident& in, const Actor& actor, std::string action,
                           std::string from, std::string to, std::string note, std::string detail,
                           int64_t at) const;
  // Where the incident with `fid` is in data_.incidents. @throws NotFound.
  std::size_t incident_index(int64_t fid) const;
  // `now`, or the clock's Unix seconds when 0.
  int64_t clock(int64_t now) const;

  // Reads every photo's description from the store (at construction).
  void load_media_index();
  // Photos by incident fid, oldest first, and the incident of each photo id; changed under both
  // locks like data_. next_media_id_: under the writers' mutex.
  std::unordered_map<int64_t, std::vector<MediaInfo>> media_;
  std::unordered_map<int64_t, int64_t> media_incident_;
  int64_t next_media_id_ = 1;

  DispatchConfig dispatch_;
  uint64_t grids_version_ = 0;  ///< bumped by each grid change (under the write lock)
  std::function<void(std::string_view)> commit_hook_;
  std::unordered_map<int64_t, std::vector<IncidentEvent>> events_;
  std::vector<Ticket> tickets_;                           ///< the intake queue, by id
  std::unordered_map<int64_t, std::vector<Task>> tasks_;  ///< joint cases' tasks by fid, by seq
  AgencyDirectory agencies_;
  std::unordered_map<std::string, int> loads_;  ///< worker id → open assigned
  std::unordered_map<std::string, std::vector<std::size_t>> teams_;  ///< grid code → workers
  std::unordered_map<std::string, std::size_t> worker_index_;        ///< worker id → index
  std::unordered_map<std::string, std::size_t> grid_index_;          ///< grid code → index
  std::unique_ptr<GridJoiner> town_joiner_;                          ///< nearest town, any distance

  // The writers' mutex: held by a write from its checks to its end, and by every use of store_
  // (whose connection is not thread-safe). Only its holder changes data_ and the indexes, and
  // only while also holding mutex_ exclusively; so its holder reads them without mutex_.
  // Its guard, at the end of the write, releases it and then waits for the store to have the
  // write on disk (Store::sync): writes that committed meanwhile share that flush, and no write
  // returns, so none is acknowledged, before it is durable.
  class WriteLock {
   public:
    explicit WriteLock(const County& county) : store_(*county.store_), lock_(county.write_mutex_) {}
    ~WriteLock() {
      lock_.unlock();
      store_.sync();
    }
    WriteLock(const WriteLock&) = delete;
    WriteLock& operator=(const WriteLock&) = delete;

   private:
    Store& store_;
    std::unique_lock<std::mutex> lock_;
  };
  WriteLock write_lock() const { return WriteLock(*this); }
  mutable std::mutex write_mutex_;
  mutable std::shared_mutex mutex_;
  std::unique_ptr<Store> store_;
  Dataset data_;
  std::vector<FeatureLayer> feature_layers_;
  JoinOptions join_;
  /// Shared so that a feed joins against it with no lock held (a grid change replaces it).
  std::shared_ptr<const GridJoiner> joiner_;
  std::unique_ptr<TileBuilder> tiles_;
  std::vector<std::pair<uint64_t, std::function<void(const Change&)>>> listeners_;
  uint64_t next_listener_ = 1;
  std::string location_;
  double load_seconds_ = 0;
  // Last, so that it goes first: its worker lookup reads the county.
  std::unique_ptr<auth::UserDirectory> users_;
};

}  // namespace onemap::layers
