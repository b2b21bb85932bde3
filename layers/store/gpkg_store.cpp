// The embedded store: one GeoPackage (OGC GeoPackage 1.2 through GDAL's GPKG driver) that
// holds every layer in EPSG:4490 plus the non-spatial tables.
//
// Durability: every mutating call is exactly one transaction. SQLite runs in WAL mode with
// synchronous=NORMAL: a commit appends to the write-ahead log without flushing it, and sync()
// flushes the log (fdatasync) for every transaction committed until then, so writers that commit
// while a flush runs share the next one (group commit). SQLite itself flushes the log before a
// checkpoint copies it into the database and the database after, so the file is whole after a
// power cut at any point. Bulk attribute updates (the join columns) use prepared SQLite
// statements on GDAL's own connection, inside GDAL's transaction.
#include "layers/store/store.hpp"

#include "layers/store/gpkg_rows.hpp"
#include "layers/store/sqlite_statements.hpp"

#include "layers/model/schema.hpp"

#include "core/errors.hpp"
#include "core/json_text.hpp"
#include "core/time.hpp"
#include "spatial/crs.hpp"
#include "spatial/geos_ops.hpp"

#include <cpl_conv.h>
#include <gdal_priv.h>
#include <ogrsf_frmts.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <unordered_map>

namespace onemap::layers {

namespace {

using gpkg::Columns;
using gpkg::gdal_error;
using gpkg::ogr_type;
using gpkg::read;
using gpkg::write;
using store_sql::Statements;
constexpr auto bind_text = &Statements::bind_text;
constexpr auto column_text = &Statements::column_text;

void ensure_gdal() {
  static std::once_flag once;
  std::call_once(once, [] {
    GDALAllRegister();
    // Other SQLite files GDAL opens flush at every commit; the store's own connection flushes
    // in sync() (see the top).
    CPLSetConfigOption("OGR_SQLITE_SYNCHRONOUS", "FULL");
    CPLSetConfigOption("OGR_SQLITE_JOURNAL", "WAL");
    // GDAL 3.6 builds the R-tree of a new layer in a background thread whose temporary database
    // syncs once per feature (a 10x slower bulk load); the in-transaction R-tree is fast enough.
    CPLSetConfigOption("OGR_GPKG_ALLOW_THREADED_RTREE", "NO");
  });
}

class GeoPackageStore final : public Store {
 public:
  GeoPackageStore(const std::string& path, bool create) : path_(path) {
    ensure_gdal();
    bool exists = std::filesystem::exists(path);
    bool created = false;
    if (!exists && !create) throw StoreError("no store at " + path);
    if (!exists) {
      auto* drv = GetGDALDriverManager()->GetDriverByName("GPKG");
      if (!drv) throw StoreError("GDAL has no GPKG driver");
      ds_.reset(drv->Create(path.c_str(), 0, 0, 0, GDT_Unknown, nullptr));
      if (!ds_) throw StoreError("cannot create " + path + ": " + gdal_error());
      created = true;
    } else {
      ds_.reset(GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr,
                                  nullptr));
      if (!ds_) throw StoreError("cannot open " + path + ": " + gdal_error());
    }
    wal_ = attach();
    // The log's name as SQLite has it (after symbolic links), not guessed from path_.
    if (wal_) wal_path_ = sqlite3_filename_wal(sqlite3_db_filename(db_, "main"));
    ensure_schema();
    if (created) {
      // GDAL writes the GeoPackage signature when it closes the file; write it now so that
      // other readers see a valid GeoPackage while the store is open.
      sql_->exec("PRAGMA application_id = 1196444487");  // 'GPKG'
      sql_->exec("PRAGMA user_version = 10200");         // GeoPackage 1.2
      // Readers check the signature in the main file's header, not in the WAL.
      sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_FULL, nullptr, nullptr);
    }
    committed_ = 1;  // the tables just made or checked, which sync() puts on disk
    sync();
  }

  ~GeoPackageStore() override {
    sync();
    if (wal_fd_ >= 0) ::close(wal_fd_);
  }

  void sync() noexcept override {
    std::unique_lock lock(sync_mutex_);
    const uint64_t target = committed_.load();
    while (flushed_ < target) {
      if (flushing_) {
        flushed_cv_.wait(lock);
        continue;
      }
      // Everything committed until now goes in this flush, the caller's own commit included.
      flushing_ = true;
      const uint64_t upto = committed_.load();
      lock.unlock();
      const int error = flush_log();
      lock.lock();
      flushing_ = false;
      if (error != 0) {
        // As PostgreSQL does: after a failed flush the kernel may have dropped the pages, and a
        // later flush may succeed without them. Only recovery from the file is safe.
        std::fprintf(stderr, "onemap: cannot flush %s to disk (%s); stopping\n", wal_path_.c_str(),
                     std::strerror(error));
        std::abort();
      }
      flushed_ = upto;
      ++flushes_;
      flushed_cv_.notify_all();
    }
  }

  SyncCounts sync_counts() const override {
    std::lock_guard lock(sync_mutex_);
    return {committed_.load(), flushes_};
  }

  std::string location() const override { return path_; }

  Dataset load() override {
    Dataset d;
    for (LayerKind k : kAllLayers) d.visit(k, [&](auto& v) { read_layer(k, v); });
    return d;
  }

  std::vector<Grid> load_grids() override {
    std::vector<Grid> grids;
    read_layer(LayerKind::Grids, grids);
    return grids;
  }

  void replace_all(Dataset& data) override {
    Transaction tx(*this);
    for (LayerKind k : kAllLayers) {
      clear(k);
      data.visit(k, [&](auto& v) { insert(k, v, /*explicit_fids=*/true); });
    }
    tx.commit();
  }

  void append(LayerKind kind, Dataset& data) override {
    Transaction tx(*this);
    data.visit(kind, [&](auto& v) { insert(kind, v, false); });
    tx.commit();
  }

  void replace_layer(LayerKind kind, Dataset& data) override {
    Transaction tx(*this);
    clear(kind);
    data.visit(kind, [&](auto& v) { insert(kind, v, true); });
    tx.commit();
  }

  void update_joins(const Dataset& data) override {
    Transaction tx(*this);
    auto run = [&](LayerKind k, const auto& records) {
      sql_->exec_rows(
          "join update failed",
          "UPDATE " + std::string(layer_name(k)) +
              " SET grid_code = ?1, join_kind = ?2, join_distance_m = ?3 WHERE fid = ?4",
          records, [](sqlite3_stmt* st, const auto& r) {
            if (r.join.grid_code.empty())
              sqlite3_bind_null(st, 1);
            else
              bind_text(st, 1, r.join.grid_code);
            const auto kind = join_kind_name(r.join.kind);
            sqlite3_bind_text(st, 2, kind.data(), static_cast<int>(kind.size()), SQLITE_STATIC);
            sqlite3_bind_double(st, 3, r.join.distance_m);
            sqlite3_bind_int64(st, 4, r.fid);
          });
    };
    run(LayerKind::Households, data.households);
    run(LayerKind::Enterprises, data.enterprises);
    run(LayerKind::Incidents, data.incidents);
    run(LayerKind::Workers, data.workers);
    tx.commit();
  }

  void put(const Batch& batch) override {
    Transaction tx(*this);
    auto run = [&](LayerKind kind, const auto& records) {
      if (records.empty()) return;
      auto* layer = get_layer(kind);
      Columns cols(layer, kind);
      const std::string what(layer_name(kind));
      for (auto* r : records) {
        OGRFeature f(layer->GetLayerDefn());
        write(f, cols, *r);
        if (r->fid != 0) {
          f.SetFID(r->fid);
          if (layer->SetFeature(&f) != OGRERR_NONE)
            throw StoreError("cannot update " + what + " " + std::to_string(r->fid) + ": " +
                             gdal_error());
        } else {
          if (layer->CreateFeature(&f) != OGRERR_NONE)
            throw StoreError("cannot insert into " + what + ": " + gdal_error());
          r->fid = f.GetFID();
        }
      }
    };
    // Fids are written back only once the transaction is committed (a failed batch leaves the
    // new records without one).
    std::vector<int64_t*> assigned;
    auto note_new = [&](const auto& records) {
      for (auto* r : records)
        if (r->fid == 0) assigned.push_back(&r->fid);
    };
    note_new(batch.grids);
    note_new(batch.households);
    note_new(batch.enterprises);
    note_new(batch.incidents);
    note_new(batch.workers);
    for (const auto& w : batch.tickets)
      if (w.ticket->id == 0) assigned.push_back(&w.ticket->id);
    try {
      run(LayerKind::Grids, batch.grids);
      run(LayerKind::Households, batch.households);
      run(LayerKind::Enterprises, batch.enterprises);
      run(LayerKind::Incidents, batch.incidents);
      run(LayerKind::Workers, batch.workers);
      std::vector<IncidentEvent*> events;
      for (const auto& e : batch.events) {
        if (e.owner) e.event->incident = e.owner->fid;
        events.push_back(e.event);
      }
      sql_->exec_rows(
          "cannot write the history",
          "INSERT INTO incident_history(incident, seq, at, actor, action, from_state, to_state, "
          "note, detail) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
          events, [](sqlite3_stmt* st, const IncidentEvent* e) {
            sqlite3_bind_int64(st, 1, e->incident);
            sqlite3_bind_int64(st, 2, e->seq);
            bind_text(st, 3, format_time(e->at));
            bind_text(st, 4, e->actor);
            bind_text(st, 5, e->action);
            bind_text(st, 6, e->from);
            bind_text(st, 7, e->to);
            bind_text(st, 8, e->note);
            bind_text(st, 9, e->detail);
          });
      sql_->exec_rows(
          "cannot write the users",
          "INSERT INTO users(id, name, role, scope, worker_id, token_hash, created_at, active) "
          "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT(id) DO UPDATE SET name = "
          "excluded.name, "
          "role = excluded.role, scope = excluded.scope, worker_id = excluded.worker_id, "
          "token_hash = excluded.token_hash, active = excluded.active",
          batch.users, [](sqlite3_stmt* st, const User* u) {
            bind_text(st, 1, u->id);
            bind_text(st, 2, u->name);
            bind_text(st, 3, u->role);
            bind_text(st, 4, u->scope);
            bind_text(st, 5, u->worker_id);
            if (u->token_hash.empty())
              sqlite3_bind_null(st, 6);
            else
              bind_text(st, 6, u->token_hash);
            bind_text(st, 7, format_time(u->created_at));
            sqlite3_bind_int(st, 8, u->active ? 1 : 0);
          });
      std::vector<int64_t> audit_ids = insert_audit(batch.audit);
      for (const auto& [kind, fid] : batch.removed)
        if (get_layer(kind)->DeleteFeature(fid) != OGRERR_NONE)
          throw StoreError("cannot delete " + std::string(record_name(kind)) + " " +
                           std::to_string(fid) + ": " + gdal_error());
      insert_history(batch.history);
      insert_media(batch.media);
      // A new ticket's id is written back at once (its outbox row names it), and cleared with
      // the fids should the batch fail.
      const std::vector<int64_t> ticket_ids = write_tickets(batch.tickets);
      for (std::size_t i = 0; i < ticket_ids.size(); ++i)
        batch.tickets[i].ticket->id = ticket_ids[i];
      write_tasks(batch.tasks);
      write_residents(batch.resident_codes, batch.resident_sessions);
      insert_outbox(batch.outbox);
      tx.commit();
      for (std::size_t i = 0; i < audit_ids.size(); ++i) batch.audit[i]->id = audit_ids[i];
    } catch (...) {
      for (int64_t* fid : assigned) *fid = 0;
      throw;
    }
  }

  // The columns of onemap_tickets in the order load_tickets reads and write_tickets binds them.
  static constexpr const char* kTicketColumns =
      "id, received_at, source, category, description, address, lon, lat, located_by, area, "
      "candidates, duplicates, waits_for, reporter, external_id, extra, state, incident, note, "
      "decided_by, decided_at, version";

  // Inserts or replaces the tickets (inside put's transaction); returns each one's id, written
  // back by put once the transaction commits.
  std::vector<int64_t> write_tickets(const std::vector<Batch::TicketWrite>& tickets) {
    std::vector<int64_t> ids;
    sql_->exec_rows(
        "cannot write the tickets",
        std::string("INSERT OR REPLACE INTO onemap_tickets(") + kTicketColumns +
            ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
            "?18, ?19, ?20, ?21, ?22)",
        tickets,
        [](sqlite3_stmt* st, const Batch::TicketWrite& w) {
          const Ticket& t = *w.ticket;
          int i = 1;
          if (t.id == 0)
            sqlite3_bind_null(st, i++);
          else
            sqlite3_bind_int64(st, i++, t.id);
          sqlite3_bind_int64(st, i++, t.received_at);
          for (const std::string* v : {&t.source, &t.category, &t.description, &t.address})
            bind_text(st, i++, *v);
          if (t.location) {
            sqlite3_bind_double(st, i++, t.location->lon);
            sqlite3_bind_double(st, i++, t.location->lat);
          } else {
            sqlite3_bind_null(st, i++);
            sqlite3_bind_null(st, i++);
          }
          for (const std::string* v :
               {&t.located_by, &t.area, &t.candidates, &t.duplicates, &t.waits_for, &t.reporter,
                &t.external_id, &t.extra, &t.state})
            bind_text(st, i++, *v);
          sqlite3_bind_int64(st, i++, w.incident_of ? w.incident_of->fid : t.incident);
          bind_text(st, i++, t.note);
          bind_text(st, i++, t.decided_by);
          sqlite3_bind_int64(st, i++, t.decided_at);
          sqlite3_bind_int64(st, i++, t.version);
        },
        [&](const Batch::TicketWrite& w) {
          ids.push_back(w.ticket->id != 0 ? w.ticket->id : sqlite3_last_insert_rowid(sql_->db()));
        });
    return ids;
  }

  // The columns of onemap_tasks in the order load_tasks reads and write_tasks binds them.
  static constexpr const char* kTaskColumns =
      "incident, seq, agency, role, state, created_at, created_by, report_by, deadline, "
      "accepted_at, done_at, handler, feedback, overdue, version";

  void write_tasks(const std::vector<const Task*>& tasks) {
    sql_->exec_rows(
        "cannot write the tasks",
        std::string("INSERT OR REPLACE INTO onemap_tasks(") + kTaskColumns +
            ") VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        tasks, [](sqlite3_stmt* st, const Task* t) {
          int i = 1;
          sqlite3_bind_int64(st, i++, t->incident);
          sqlite3_bind_int64(st, i++, t->seq);
          for (const std::string* v : {&t->agency, &t->role, &t->state}) bind_text(st, i++, *v);
          sqlite3_bind_int64(st, i++, t->created_at);
          bind_text(st, i++, t->created_by);
          for (const int64_t v : {t->report_by, t->deadline, t->accepted_at, t->done_at})
            sqlite3_bind_int64(st, i++, v);
          bind_text(st, i++, t->handler);
          bind_text(st, i++, t->feedback);
          sqlite3_bind_int(st, i++, t->overdue ? 1 : 0);
          sqlite3_bind_int64(st, i++, t->version);
        });
  }

  void write_residents(const std::vector<const ResidentCode*>& codes,
                       const std::vector<const ResidentSession*>& sessions) {
    sql_->exec_rows(
        "cannot write the sign-in codes",
        "INSERT OR REPLACE INTO onemap_resident_codes(phone, code_hash, sent_at, expires_at, "
        "attempts, day, sent_today) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        codes, [](sqlite3_stmt* st, const ResidentCode* c) {
          bind_text(st, 1, c->phone);
          bind_text(st, 2, c->code_hash);
          sqlite3_bind_int64(st, 3, c->sent_at);
          sqlite3_bind_int64(st, 4, c->expires_at);
          sqlite3_bind_int(st, 5, c->attempts);
          sqlite3_bind_int64(st, 6, c->day);
          sqlite3_bind_int(st, 7, c->sent_today);
        });
    sql_->exec_rows(
        "cannot write the resident tokens",
        "INSERT OR REPLACE INTO onemap_resident_sessions(token_hash, phone, created_at, "
        "expires_at) VALUES(?1, ?2, ?3, ?4)",
        sessions, [](sqlite3_stmt* st, const ResidentSession* r) {
          bind_text(st, 1, r->token_hash);
          bind_text(st, 2, r->phone);
          sqlite3_bind_int64(st, 3, r->created_at);
          sqlite3_bind_int64(st, 4, r->expires_at);
        });
  }

  std::optional<ResidentCode> load_resident_code(const std::string& phone) override {
    std::optional<ResidentCode> out;
    sql_->query_rows(
        "SELECT phone, code_hash, sent_at, expires_at, attempts, day, sent_today FROM "
        "onemap_resident_codes WHERE phone = ?1",
        [&](sqlite3_stmt* st) { bind_text(st, 1, phone); },
        [&](sqlite3_stmt* st) {
          ResidentCode& c = out.emplace();
          c.phone = column_text(st, 0);
          c.code_hash = column_text(st, 1);
          c.sent_at = sqlite3_column_int64(st, 2);
          c.expires_at = sqlite3_column_int64(st, 3);
          c.attempts = sqlite3_column_int(st, 4);
          c.day = sqlite3_column_int64(st, 5);
          c.sent_today = sqlite3_column_int(st, 6);
        });
    return out;
  }

  std::optional<ResidentSession> load_resident_session(const std::string& token_hash) override {
    std::optional<ResidentSession> out;
    sql_->query_rows(
        "SELECT token_hash, phone, created_at, expires_at FROM onemap_resident_sessions WHERE "
        "token_hash = ?1",
        [&](sqlite3_stmt* st) { bind_text(st, 1, token_hash); },
        [&](sqlite3_stmt* st) {
          ResidentSession& r = out.emplace();
          r.token_hash = column_text(st, 0);
          r.phone = column_text(st, 1);
          r.created_at = sqlite3_column_int64(st, 2);
          r.expires_at = sqlite3_column_int64(st, 3);
        });
    return out;
  }

  std::vector<Task> load_tasks() override {
    std::vector<Task> out;
    sql_->query_rows(
        std::string("SELECT ") + kTaskColumns + " FROM onemap_tasks ORDER BY incident, seq",
        [&](sqlite3_stmt* st) {
          Task t;
          int i = 0;
          t.incident = sqlite3_column_int64(st, i++);
          t.seq = sqlite3_column_int64(st, i++);
          for (std::string* v : {&t.agency, &t.role, &t.state}) *v = column_text(st, i++);
          t.created_at = sqlite3_column_int64(st, i++);
          t.created_by = column_text(st, i++);
          for (int64_t* v : {&t.report_by, &t.deadline, &t.accepted_at, &t.done_at})
            *v = sqlite3_column_int64(st, i++);
          t.handler = column_text(st, i++);
          t.feedback = column_text(st, i++);
          t.overdue = sqlite3_column_int(st, i++) != 0;
          t.version = sqlite3_column_int64(st, i++);
          out.push_back(std::move(t));
        });
    return out;
  }

  AuditPage load_audit(const AuditQuery& q) override {
    // Every condition is in the statement, inactive ones made true by their parameters.
    const char* where =
        " FROM audit_log WHERE (?1 = 0 OR at >= ?1) AND (?2 = 0 OR at <= ?2) AND (?3 = '' OR actor "
        "= ?3) "
        "AND (?4 = '' OR action = ?4)";
    auto bind = [&](sqlite3_stmt* st) {
      sqlite3_bind_int64(st, 1, q.from);
      sqlite3_bind_int64(st, 2, q.to);
      bind_text(st, 3, q.actor);
      bind_text(st, 4, q.action);
      sqlite3_bind_int64(st, 5, static_cast<int64_t>(std::min<uint64_t>(q.limit, INT64_MAX)));
      sqlite3_bind_int64(st, 6, static_cast<int64_t>(std::min<uint64_t>(q.offset, INT64_MAX)));
    };
    AuditPage page;
    sql_->query_rows(std::string("SELECT count(*)") + where, bind, [&](sqlite3_stmt* st) {
      page.total = static_cast<std::size_t>(sqlite3_column_int64(st, 0));
    });
    const std::string sql = std::string(
                                "SELECT id, at, actor, role, action, layer, records, fields, peer, "
                                "request_id, detail") +
                            where + " ORDER BY id DESC LIMIT ?5 OFFSET ?6";
    sql_->query_rows(sql, bind, [&](sqlite3_stmt* st) {
      AuditRecord r;
      r.id = sqlite3_column_int64(st, 0);
      r.at = sqlite3_column_int64(st, 1);
      r.actor = column_text(st, 2);
      r.role = column_text(st, 3);
      r.action = column_text(st, 4);
      r.layer = column_text(st, 5);
      r.records = column_text(st, 6);
      r.fields = column_text(st, 7);
      r.peer = column_text(st, 8);
      r.request_id = column_text(st, 9);
      r.detail = column_text(st, 10);
      page.rows.push_back(std::move(r));
    });
    return page;
  }

  int64_t data_version() override {
    int64_t v = 0;
    sql_->query_rows("PRAGMA data_version",
                     [&](sqlite3_stmt* st) { v = sqlite3_column_int64(st, 0); });
    return v;
  }

  std::vector<IncidentEvent> load_events() override {
    std::vector<IncidentEvent> out;
    sql_->query_rows(
        "SELECT incident, seq, at, actor, action, from_state, to_state, note, detail "
        "FROM incident_history ORDER BY incident, seq",
        [&](sqlite3_stmt* st) {
          IncidentEvent e;
          e.incident = sqlite3_column_int64(st, 0);
          e.seq = sqlite3_column_int64(st, 1);
          e.at = parse_time(column_text(st, 2), 0).value_or(0);
          e.actor = column_text(st, 3);
          e.action = column_text(st, 4);
          e.from = column_text(st, 5);
          e.to = column_text(st, 6);
          e.note = column_text(st, 7);
          e.detail = column_text(st, 8);
          out.push_back(std::move(e));
        });
    return out;
  }

  std::vector<MediaInfo> load_media_index() override {
    std::vector<MediaInfo> out;
    sql_->query_rows(
        "SELECT id, incident, kind, content_type, width, height, exif_lon, exif_lat, uploaded_by, "
        "at, sha256 FROM onemap_media ORDER BY id",
        [&](sqlite3_stmt* st) {
          MediaInfo m;
          m.id = sqlite3_column_int64(st, 0);
          m.incident = sqlite3_column_int64(st, 1);
          m.kind = column_text(st, 2);
          m.content_type = column_text(st, 3);
          m.width = sqlite3_column_int(st, 4);
          m.height = sqlite3_column_int(st, 5);
          if (sqlite3_column_type(st, 6) != SQLITE_NULL &&
              sqlite3_column_type(st, 7) != SQLITE_NULL)
            m.exif_location = LonLat{sqlite3_column_double(st, 6), sqlite3_column_double(st, 7)};
          m.uploaded_by = column_text(st, 8);
          m.at = sqlite3_column_int64(st, 9);
          m.sha256 = column_text(st, 10);
          out.push_back(std::move(m));
        });
    return out;
  }

  std::optional<std::string> load_media_bytes(int64_t id, MediaPart part) override {
    const char* column = part == MediaPart::Original     ? "bytes"
                         : part == MediaPart::PublicCopy ? "public_bytes"
                                                         : "thumb";
    std::optional<std::string> out;
    sql_->query_rows(
        std::string("SELECT ") + column + " FROM onemap_media WHERE id = ?1",
        [&](sqlite3_stmt* st) { sqlite3_bind_int64(st, 1, id); },
        [&](sqlite3_stmt* st) {
          const auto* b = static_cast<const char*>(sqlite3_column_blob(st, 0));
          out = std::string(b ? b : "", static_cast<std::size_t>(sqlite3_column_bytes(st, 0)));
        });
    return out;
  }

  std::vector<Ticket> load_tickets() override {
    std::vector<Ticket> out;
    sql_->query_rows(
        std::string("SELECT ") + kTicketColumns + " FROM onemap_tickets ORDER BY id",
        [&](sqlite3_stmt* st) {
          Ticket t;
          int i = 0;
          t.id = sqlite3_column_int64(st, i++);
          t.received_at = sqlite3_column_int64(st, i++);
          for (std::string* v : {&t.source, &t.category, &t.description, &t.address})
            *v = column_text(st, i++);
          if (sqlite3_column_type(st, i) != SQLITE_NULL)
            t.location = LonLat{sqlite3_column_double(st, i), sqlite3_column_double(st, i + 1)};
          i += 2;
          for (std::string* v : {&t.located_by, &t.area, &t.candidates, &t.duplicates, &t.waits_for,
                                 &t.reporter, &t.external_id, &t.extra, &t.state})
            *v = column_text(st, i++);
          t.incident = sqlite3_column_int64(st, i++);
          t.note = column_text(st, i++);
          t.decided_by = column_text(st, i++);
          t.decided_at = sqlite3_column_int64(st, i++);
          t.version = sqlite3_column_int64(st, i++);
          out.push_back(std::move(t));
        });
    return out;
  }

  std::vector<User> load_users() override {
    std::vector<User> out;
    sql_->query_rows(
        "SELECT id, name, role, scope, worker_id, token_hash, created_at, active FROM users ORDER "
        "BY id",
        [&](sqlite3_stmt* st) {
          User u;
          u.id = column_text(st, 0);
          u.name = column_text(st, 1);
          u.role = column_text(st, 2);
          u.scope = column_text(st, 3);
          u.worker_id = column_text(st, 4);
          u.token_hash = column_text(st, 5);
          u.created_at = parse_time(column_text(st, 6), 0).value_or(0);
          u.active = sqlite3_column_int(st, 7) != 0;
          out.push_back(std::move(u));
        });
    return out;
  }

  std::vector<FeatureLayer> load_feature_layers() override {
    std::vector<FeatureLayer> out;
    sql_->query_rows("SELECT name, definition FROM onemap_layers ORDER BY name",
                     [&](sqlite3_stmt* st) {
                       FeatureLayer l;
                       l.def = stored_definition(column_text(st, 0), column_text(st, 1));
                       out.push_back(std::move(l));
                     });
    for (FeatureLayer& l : out) {
      auto* layer = ds_->GetLayerByName(l.def.name.c_str());
      if (!layer) throw StoreError(path_ + ": layer " + l.def.name + " has no table");
      Columns cols(layer, l.def);
      l.features.reserve(static_cast<std::size_t>(std::max<GIntBig>(0, layer->GetFeatureCount())));
      std::unordered_map<int64_t, std::size_t> at;
      layer->ResetReading();
      for (auto& f : *layer) {
        Feature r;
        r.fid = f->GetFID();
        read(*f, cols, l.def, r);
        at.emplace(r.fid, l.features.size());
        l.features.push_back(std::move(r));
      }
      sql_->query_rows(
          "SELECT fid, grid_code, measure FROM onemap_layer_grids WHERE layer = ?1 "
          "ORDER BY fid, grid_code",
          [&](sqlite3_stmt* st) { bind_text(st, 1, l.def.name); },
          [&](sqlite3_stmt* st) {
            auto it = at.find(sqlite3_column_int64(st, 0));
            if (it == at.end()) return;
            l.features[it->second].shares.push_back(
                {column_text(st, 1), sqlite3_column_double(st, 2)});
          });
    }
    return out;
  }

  void create_layer(const LayerDef& def, std::vector<Feature>& features) override {
    bool defined = false;
    sql_->query_rows(
        "SELECT 1 FROM onemap_layers WHERE name = ?1",
        [&](sqlite3_stmt* st) { bind_text(st, 1, def.name); },
        [&](sqlite3_stmt*) { defined = true; });
    if (defined) throw StoreError("a layer named " + def.name + " exists");
    drop_table(def.name);  // left by a try that failed before its definition was committed
    OGRLayer* layer = create_table(def);
    try {
      Transaction tx(*this);
      Columns cols(layer, def);
      std::vector<int64_t> fids;
      fids.reserve(features.size());
      for (const Feature& r : features) {
        OGRFeature f(layer->GetLayerDefn());
        write(f, cols, def, r);
        if (layer->CreateFeature(&f) != OGRERR_NONE)
          throw StoreError("cannot write to " + def.name + ": " + gdal_error());
        fids.push_back(f.GetFID());
      }
      SharesOf shares;
      for (std::size_t i = 0; i < features.size(); ++i) shares.emplace_back(fids[i], &features[i]);
      insert_shares(def.name, shares);
      sql_->exec("INSERT INTO onemap_layers(name, definition) VALUES(?1, ?2)",
                 {def.name, definition_json(def)});
      tx.commit();
      for (std::size_t i = 0; i < features.size(); ++i) features[i].fid = fids[i];
    } catch (...) {
      try {
        drop_table(def.name);
      } catch (const std::exception&) {  // the next try drops it
      }
      throw;
    }
  }

  LayerDef alter_layer(const std::string& name, std::string_view alteration) override {
    std::optional<LayerDef> stored;
    sql_->query_rows(
        "SELECT definition FROM onemap_layers WHERE name = ?1",
        [&](sqlite3_stmt* st) { bind_text(st, 1, name); },
        [&](sqlite3_stmt* st) { stored = stored_definition(name, column_text(st, 0)); });
    if (!stored) throw StoreError("there is no layer named " + name);
    LayerDef def = alter_definition(*stored, alteration);
    OGRLayer* layer = ds_->GetLayerByName(name.c_str());
    if (!layer) throw StoreError(path_ + ": layer " + name + " has no table");
    std::vector<const Field*> added;
    for (const Field& f : def.fields)
      if (stored->index(f.name) < 0) added.push_back(&f);
    // A column the definition does not know (left by hand) is not taken over blindly.
    for (const Field* f : added)
      if (layer->GetLayerDefn()->GetFieldIndex(f->name.c_str()) >= 0)
        throw StoreError("the table " + name + " has a column " + f->name +
                         " its definition does not list: rename the new field");
    // What other GIS show (gpkg_contents), as create_table writes it; identifiers are unique.
    const std::string identifier = def.title.empty() ? def.name : def.title;
    sql_->query_rows(
        "SELECT table_name FROM gpkg_contents WHERE identifier = ?1 AND table_name <> ?2",
        [&](sqlite3_stmt* st) {
          bind_text(st, 1, identifier);
          bind_text(st, 2, name);
        },
        [&](sqlite3_stmt* st) {
          throw Conflict("title",
                         "the table " + column_text(st, 0) + " of the store is titled '" +
                             identifier + "' already",
                         "conflict_duplicate");
        });
    bool columns_added = false;
    try {
      Transaction tx(*this);
      for (const Field* f : added) {
        add_column(layer, name, *f);
        columns_added = true;
      }
      sql_->exec("UPDATE onemap_layers SET definition = ?2 WHERE name = ?1",
                 {name, definition_json(def)});
      sql_->exec("UPDATE gpkg_contents SET identifier = ?2, description = ?3 WHERE table_name = ?1",
                 {name, identifier, def.description});
      tx.commit();
    } catch (...) {
      // GDAL 3.6 keeps a rolled-back column in its layer's definition, which would then name a
      // column the table lacks: read the tables again.
      if (columns_added) reopen();
      throw;
    }
    return def;
  }

  void drop_layer(const std::string& name) override {
    bool defined = false;
    sql_->query_rows(
        "SELECT 1 FROM onemap_layers WHERE name = ?1",
        [&](sqlite3_stmt* st) { bind_text(st, 1, name); }, [&](sqlite3_stmt*) { defined = true; });
    if (!defined) throw StoreError("there is no layer named " + name);
    {
      Transaction tx(*this);
      sql_->exec("DELETE FROM onemap_layer_grids WHERE layer = ?1", {name});
      sql_->exec("DELETE FROM onemap_feature_history WHERE layer = ?1", {name});
      sql_->exec("DELETE FROM onemap_layers WHERE name = ?1", {name});
      tx.commit();
    }
    // A crash here leaves a table without a definition: never loaded, dropped by the next
    // create_layer of the name.
    drop_table(name);
  }

  void write_features(const LayerDef& def, const FeatureWrites& w) override {
    OGRLayer* layer = ds_->GetLayerByName(def.name.c_str());
    if (!layer) throw StoreError(path_ + ": layer " + def.name + " has no table");
    Columns cols(layer, def);
    Transaction tx(*this);
    std::vector<int64_t> unshared = w.deleted;  // fids whose shares go
    SharesOf shares;                            // and the shares written anew
    for (int64_t fid : w.deleted)
      if (layer->DeleteFeature(fid) != OGRERR_NONE)
        throw StoreError("cannot delete " + def.name + " " + std::to_string(fid) + ": " +
                         gdal_error());
    // Replaced by SQL rather than GDAL's SetFeature, which costs some 40 µs a row: the geometry
    // only when it changed, so that the table's triggers move its R-tree entry only then.
    std::vector<const Feature*> moved, kept;
    for (const auto& [r, reshared] : w.replaced) {
      (reshared ? moved : kept).push_back(r);
      if (reshared) {
        unshared.push_back(r->fid);
        shares.emplace_back(r->fid, r);
      }
    }
    const int32_t srs = geometry_srs(def.name);
    const std::string cannot = "cannot update " + def.name;
    for (const bool geometry : {false, true})
      sql_->exec_rows(cannot.c_str(), update_sql(def, geometry), geometry ? moved : kept,
                      [&](sqlite3_stmt* st, const Feature* r) {
                        int next = gpkg::bind_row(st, 1, def, *r);
                        if (geometry) {
                          const std::string blob = gpkg::geometry_blob(r->geometry, srs);
                          sqlite3_bind_blob(st, next++, blob.data(), static_cast<int>(blob.size()),
                                            SQLITE_TRANSIENT);
                        }
                        sqlite3_bind_int64(st, next, r->fid);
                      });
    if (!moved.empty()) {
      // What GDAL keeps for a table it writes itself (other GIS zoom to it): its extent grows to
      // the moved geometries.
      spatial::Box box = envelope(moved.front()->geometry);
      for (const Feature* r : moved) spatial::bg::expand(box, envelope(r->geometry));
      sql_->exec_rows("cannot update the extent",
                      "UPDATE gpkg_contents SET min_x = min(coalesce(min_x, ?2), ?2), min_y = "
                      "min(coalesce(min_y, ?3), ?3), max_x = max(coalesce(max_x, ?4), ?4), "
                      "max_y = max(coalesce(max_y, ?5), ?5) WHERE table_name = ?1",
                      std::vector<spatial::Box>{box}, [&](sqlite3_stmt* st, const spatial::Box& b) {
                        bind_text(st, 1, def.name);
                        sqlite3_bind_double(st, 2, b.min_corner().x());
                        sqlite3_bind_double(st, 3, b.min_corner().y());
                        sqlite3_bind_double(st, 4, b.max_corner().x());
                        sqlite3_bind_double(st, 5, b.max_corner().y());
                      });
    }
    // A new record's fid is written back as it is assigned (its history row reads it), and
    // taken back should the transaction fail.
    struct Unassign {
      const std::vector<Feature*>& records;
      bool committed = false;
      ~Unassign() {
        if (!committed)
          for (Feature* r : records) r->fid = 0;
      }
    } unassign{w.inserted};
    for (Feature* r : w.inserted) {
      OGRFeature f(layer->GetLayerDefn());
      write(f, cols, def, *r);
      if (layer->CreateFeature(&f) != OGRERR_NONE)
        throw StoreError("cannot write to " + def.name + ": " + gdal_error());
      r->fid = f.GetFID();
      shares.emplace_back(r->fid, r);
    }
    sql_->exec_rows("cannot remove the shares",
                    "DELETE FROM onemap_layer_grids WHERE layer = ?1 AND fid = ?2", unshared,
                    [&](sqlite3_stmt* st, int64_t fid) {
                      bind_text(st, 1, def.name);
                      sqlite3_bind_int64(st, 2, fid);
                    });
    insert_shares(def.name, shares);
    std::vector<const FeatureHistory*> history;
    history.reserve(w.history.size());
    for (const FeatureHistory& h : w.history) history.push_back(&h);
    insert_history(history);
    tx.commit();
    unassign.committed = true;
  }

  FeatureHistoryPage load_feature_history(const std::string& layer, int64_t fid, std::size_t limit,
                                          std::size_t offset) override {
    auto bind = [&](sqlite3_stmt* st) {
      bind_text(st, 1, layer);
      sqlite3_bind_int64(st, 2, fid);
      sqlite3_bind_int64(st, 3, static_cast<int64_t>(std::min<uint64_t>(limit, INT64_MAX)));
      sqlite3_bind_int64(st, 4, static_cast<int64_t>(std::min<uint64_t>(offset, INT64_MAX)));
    };
    const char* where = " FROM onemap_feature_history WHERE layer = ?1 AND fid = ?2";
    FeatureHistoryPage page;
    sql_->query_rows(std::string("SELECT count(*)") + where, bind, [&](sqlite3_stmt* st) {
      page.total = static_cast<std::size_t>(sqlite3_column_int64(st, 0));
    });
    sql_->query_rows(
        std::string("SELECT id, at, actor, role, action, fields, geometry_changed, request_id") +
            where + " ORDER BY id DESC LIMIT ?3 OFFSET ?4",
        bind, [&](sqlite3_stmt* st) {
          FeatureHistory h;
          h.id = sqlite3_column_int64(st, 0);
          h.layer = layer;
          h.fid = fid;
          h.at = sqlite3_column_int64(st, 1);
          h.actor = column_text(st, 2);
          h.role = column_text(st, 3);
          h.action = edit_action_from_name(column_text(st, 4));
          for (const auto& f : nlohmann::json::parse(column_text(st, 5)))
            h.fields.push_back(f.get<std::string>());
          h.geometry_changed = sqlite3_column_int(st, 6) != 0;
          h.request_id = column_text(st, 7);
          page.rows.push_back(std::move(h));
        });
    return page;
  }

  std::vector<PullFeed> load_feeds() override {
    // The text columns, then the numbers, in the order the query names them.
    static constexpr std::string PullFeed::*kTexts[] = {&PullFeed::name, &PullFeed::layer,
                                                        &PullFeed::source, &PullFeed::source_layer,
                                                        &PullFeed::last_result};
    static constexpr int64_t PullFeed::*kNumbers[] = {&PullFeed::every_s, &PullFeed::last_run};
    std::vector<PullFeed> out;
    sql_->query_rows(
        "SELECT name, layer, source, source_layer, last_result, every_s, last_run FROM "
        "onemap_feeds ORDER BY name",
        [&](sqlite3_stmt* st) {
          PullFeed& f = out.emplace_back();
          int column = 0;
          for (auto text : kTexts) f.*text = column_text(st, column++);
          for (auto number : kNumbers) f.*number = sqlite3_column_int64(st, column++);
        });
    return out;
  }

  void put_feed(const PullFeed& f) override {
    Transaction tx(*this);
    sql_->exec(
        "INSERT INTO onemap_feeds(name, layer, source, source_layer, every_s) "
        "VALUES(?1, ?2, ?3, ?4, ?5) ON CONFLICT(name) DO UPDATE SET layer = excluded.layer, "
        "source = excluded.source, source_layer = excluded.source_layer, every_s = "
        "excluded.every_s",
        {f.name, f.layer, f.source, f.source_layer, std::to_string(f.every_s)});
    tx.commit();
  }

  void record_feed_run(const std::string& name, int64_t at, const std::string& result) override {
    Transaction tx(*this);
    sql_->exec("UPDATE onemap_feeds SET last_run = ?2, last_result = ?3 WHERE name = ?1",
               {name, std::to_string(at), result});
    tx.commit();
  }

  void drop_feed(const std::string& name) override {
    Transaction tx(*this);
    sql_->exec("DELETE FROM onemap_feeds WHERE name = ?1", {name});
    if (sqlite3_changes(db_) == 0) throw StoreError("there is no feed named " + name);
    tx.commit();
  }

  std::vector<OutboxRow> load_outbox(int64_t after, std::size_t limit) override {
    std::vector<OutboxRow> out;
    sql_->query_rows(
        "SELECT id, at, subject, action, area, payload FROM onemap_outbox WHERE id > ?1 ORDER BY "
        "id LIMIT ?2",
        [&](sqlite3_stmt* st) {
          sqlite3_bind_int64(st, 1, after);
          sqlite3_bind_int64(st, 2, static_cast<int64_t>(std::min<uint64_t>(limit, INT64_MAX)));
        },
        [&](sqlite3_stmt* st) {
          OutboxRow& r = out.emplace_back();
          r.id = sqlite3_column_int64(st, 0);
          r.at = sqlite3_column_int64(st, 1);
          r.subject = column_text(st, 2);
          r.action = column_text(st, 3);
          r.area = column_text(st, 4);
          r.payload = column_text(st, 5);
        });
    return out;
  }

  int64_t last_outbox_id() override {
    int64_t id = 0;
    sql_->query_rows("SELECT coalesce(max(id), 0) FROM onemap_outbox",
                     [&](sqlite3_stmt* st) { id = sqlite3_column_int64(st, 0); });
    return id;
  }

  std::vector<Subscriber> load_subscribers() override {
    std::vector<Subscriber> out;
    sql_->query_rows(
        "SELECT name, kind, url, secret, actions, area, delivered FROM onemap_subscribers ORDER "
        "BY name",
        [&](sqlite3_stmt* st) {
          Subscriber& s = out.emplace_back();
          s.name = column_text(st, 0);
          s.kind = column_text(st, 1);
          s.url = column_text(st, 2);
          s.secret = column_text(st, 3);
          for (const auto& a : nlohmann::json::parse(column_text(st, 4)))
            s.actions.push_back(a.get<std::string>());
          s.area = column_text(st, 5);
          s.delivered = sqlite3_column_int64(st, 6);
        });
    return out;
  }

  void put_subscriber(const Subscriber& s) override {
    Transaction tx(*this);
    sql_->exec(
        "INSERT INTO onemap_subscribers(name, kind, url, secret, actions, area, delivered) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7) "
        "ON CONFLICT(name) DO UPDATE SET kind = excluded.kind, url = excluded.url, secret = "
        "excluded.secret, actions = excluded.actions, area = excluded.area",
        {s.name, s.kind, s.url, s.secret, nlohmann::json(s.actions).dump(), s.area,
         std::to_string(last_outbox_id())});
    tx.commit();
  }

  void record_delivery(const std::string& name, int64_t id) override {
    Transaction tx(*this);
    sql_->exec(
        "UPDATE onemap_subscribers SET delivered = max(delivered, CAST(?2 AS INTEGER)) WHERE name "
        "= ?1",
        {name, std::to_string(id)});
    tx.commit();
  }

  void drop_subscriber(const std::string& name) override {
    Transaction tx(*this);
    sql_->exec("DELETE FROM onemap_subscribers WHERE name = ?1", {name});
    if (sqlite3_changes(db_) == 0) throw StoreError("there is no subscriber named " + name);
    tx.commit();
  }

  void put_meta(const std::string& key, const std::string& value) override {
    Transaction tx(*this);
    sql_->exec(
        "INSERT INTO onemap_meta(key, value) VALUES(?1, ?2) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        {key, value});
    tx.commit();
  }

  std::optional<std::string> get_meta(const std::string& key) override {
    std::optional<std::string> out;
    sql_->query_rows(
        "SELECT value FROM onemap_meta WHERE key = ?1",
        [&](sqlite3_stmt* st) { bind_text(st, 1, key); },
        [&](sqlite3_stmt* st) { out = column_text(st, 0); });
    return out;
  }

 private:
  // One GDAL dataset-level transaction; rolled back unless committed.
  class Transaction {
   public:
    explicit Transaction(GeoPackageStore& s) : s_(s) {
      if (s_.ds_->StartTransaction() != OGRERR_NONE)
        throw StoreError("cannot start a transaction: " + gdal_error());
    }
    void commit() {
      if (s_.ds_->CommitTransaction() != OGRERR_NONE)
        throw StoreError("commit failed: " + gdal_error());
      done_ = true;
      ++s_.committed_;
    }
    ~Transaction() {
      if (!done_) s_.ds_->RollbackTransaction();
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;

   private:
    GeoPackageStore& s_;
    bool done_ = false;
  };

  // Binds the store to the dataset ds_ holds: its connection, statements and settings.
  // Returns whether the journal is a write-ahead log.
  bool attach() {
    db_ = static_cast<sqlite3*>(ds_->GetInternalHandle("SQLITE_HANDLE"));
    if (!db_) throw StoreError(path_ + " is not a GeoPackage");
    sql_ = std::make_unique<Statements>(db_);
    // Another connection (`onemap user` beside a server, the users' own connection) may be
    // committing: wait for it rather than fail at once.
    sqlite3_busy_timeout(db_, 10000);
    std::string journal;
    sql_->query_rows("PRAGMA journal_mode",
                     [&](sqlite3_stmt* st) { journal = column_text(st, 0); });
    // Commits flush nothing in WAL mode, sync() does (see the top). In any other mode (a file
    // system without shared memory) every commit flushes, and sync() has nothing left to do.
    const bool wal = journal == "wal";
    sql_->exec(wal ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = FULL");
    // A feed's batch dirties tens of MiB of pages (rows, R-tree, shares): beyond SQLite's default
    // 2 MiB cache they spill to the log mid-transaction, pages changed again written again.
    sql_->exec("PRAGMA cache_size = -65536");  // KiB
    return wal;
  }

  // Closes the dataset and opens it again, so that GDAL reads every table's columns anew.
  void reopen() {
    sql_.reset();
    ds_.reset();
    ds_.reset(GDALDataset::Open(path_.c_str(), GDAL_OF_VECTOR | GDAL_OF_UPDATE, nullptr, nullptr,
                                nullptr));
    if (!ds_) throw StoreError("cannot open " + path_ + " again: " + gdal_error());
    attach();
  }

  // A county layer's definition as onemap_layers holds it. @throws StoreError when unreadable.
  LayerDef stored_definition(const std::string& name, const std::string& text) const {
    try {
      return definition_from_json(text, name);
    } catch (const InvalidArgument& e) {
      throw StoreError(path_ + ": the definition of layer " + name + " is unreadable: " + e.what());
    }
  }

  // A column of a county layer's table for one of its fields, typed by the field's type.
  static void add_column(OGRLayer* l, const std::string& table, const Field& f) {
    OGRFieldSubType sub;
    const OGRFieldType t = ogr_type(f.type, sub);
    add_column(l, table, f.name, t, sub);
  }
  static void add_column(OGRLayer* l, const std::string& table, const std::string& name,
                         OGRFieldType t, OGRFieldSubType sub) {
    OGRFieldDefn fd(name.c_str(), t);
    fd.SetSubType(sub);
    if (l->CreateField(&fd) != OGRERR_NONE)
      throw StoreError("cannot create field " + table + "." + name + ": " + gdal_error());
  }

  OGRLayer* get_layer(LayerKind k) {
    auto* l = ds_->GetLayerByName(std::string(layer_name(k)).c_str());
    if (!l) throw StoreError(path_ + " has no layer " + std::string(layer_name(k)));
    return l;
  }

  void ensure_schema() {
    OGRSpatialReference srs;
    if (srs.importFromEPSG(spatial::kStorageEpsg) != OGRERR_NONE)
      throw StoreError("PROJ does not know EPSG:4490");
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    for (LayerKind k : kAllLayers) {
      std::string name(layer_name(k));
      if (auto* existing = ds_->GetLayerByName(name.c_str())) {
        // A store written by an earlier version: add the columns it lacks (ALTER TABLE).
        for (const auto& f : layer_fields(k)) {
          if (existing->GetLayerDefn()->GetFieldIndex(f.name.c_str()) >= 0) continue;
          OGRFieldSubType sub;
          OGRFieldDefn fd(f.name.c_str(), ogr_type(f.type, sub));
          fd.SetSubType(sub);
          if (existing->CreateField(&fd) != OGRERR_NONE)
            throw StoreError("cannot add column " + name + "." + f.name + ": " + gdal_error());
        }
        continue;
      }
      char** opts = nullptr;
      opts = CSLSetNameValue(opts, "FID", "fid");
      opts = CSLSetNameValue(opts, "GEOMETRY_NAME", "geom");
      opts = CSLSetNameValue(opts, "SPATIAL_INDEX", "YES");
      opts = CSLSetNameValue(opts, "IDENTIFIER", name.c_str());
      auto gtype = k == LayerKind::Grids ? wkbMultiPolygon : wkbPoint;
      OGRLayer* l = ds_->CreateLayer(name.c_str(), &srs, gtype, opts);
      CSLDestroy(opts);
      if (!l) throw StoreError("cannot create layer " + name + ": " + gdal_error());
      for (const auto& f : layer_fields(k)) {
        OGRFieldSubType sub;
        OGRFieldDefn fd(f.name.c_str(), ogr_type(f.type, sub));
        fd.SetSubType(sub);
        if (l->CreateField(&fd) != OGRERR_NONE)
          throw StoreError("cannot create field " + name + "." + f.name + ": " + gdal_error());
      }
      // Make sure the table exists on disk before the first transaction.
      l->SyncToDisk();
    }
    sql_->exec(
        "CREATE TABLE IF NOT EXISTS onemap_meta (key TEXT PRIMARY KEY NOT NULL, value TEXT)");
    sql_->exec("CREATE UNIQUE INDEX IF NOT EXISTS grids_code_level ON grids(code, level)");
    sql_->exec("CREATE INDEX IF NOT EXISTS incidents_reported_at ON incidents(reported_at)");
    sql_->exec(
        "CREATE TABLE IF NOT EXISTS incident_history (incident INTEGER NOT NULL, seq INTEGER NOT "
        "NULL, "
        "at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, from_state TEXT, to_state "
        "TEXT, "
        "note TEXT, detail TEXT, PRIMARY KEY (incident, seq))");
    sql_->exec(
        "CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY NOT NULL, name TEXT, role TEXT NOT "
        "NULL, "
        "scope TEXT, worker_id TEXT, token_hash TEXT UNIQUE, created_at TEXT, active INTEGER NOT "
        "NULL DEFAULT 1)");
    // The audit of personal data and user changes (AuditRecord): appended to, never changed.
    sql_->exec(
        "CREATE TABLE IF NOT EXISTS audit_log (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER "
        "NOT NULL, "
        "actor TEXT NOT NULL, role TEXT, action TEXT NOT NULL, layer TEXT, records TEXT NOT NULL "
        "DEFAULT '[]', "
        "fields TEXT NOT NULL DEFAULT '[]', peer TEXT, request_id TEXT, detail TEXT)");
    sql_->exec("CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log(at)");
    // County layers: each one's definition (LayerDef as JSON), and the grids its lines and
    // polygons cross with their length or area there.
    sql_->exec(
        "CREATE TABLE IF NOT EXISTS onemap_layers (name TEXT PRIMARY KEY NOT NULL, definition "
        "TEXT NOT NULL)");
    sql_->exec(
        "CREATE TABLE IF NOT EXISTS onemap_layer_grids (layer TEXT NOT NULL, fid INTEGER NOT "
        "NULL, grid_code TEXT NOT NULL, measure REAL NOT NULL, PRIMARY KEY (layer, fid, "
        "grid_code)) WITHOUT ROWID");
    sql_->exec("CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log(actor, id)");
    // Who changed which record of a county layer or the enterprises, when, how and which
    // fields (FeatureHistory): appended to, never changed; read by record, newest first.
    sql_->exec(
        "CREATE TABLE IF NOT EXISTS onemap_feature_history (id INTEGER PRIMARY KEY "
        "AUTOINCREMENT, layer TEXT NOT NULL, fid INTEGER NOT NULL, at INTEGER NOT NULL, actor "
        "TEXT NOT NULL, role TEXT, action TEXT NOT NULL, fields TEXT NOT NULL DEFAULT '[]', "
        "geometry_changed INTEGER NOT NULL DEFAULT 0, request_id TEXT)");
    sql_->exec(
        "CREATE INDEX IF NOT EXISTS onemap_feature_history_record ON "
        "onemap_feature_history(layer, fid, id)");
    // Photos of incidents (layers/model/media.hpp): the upload, its public copy and thumbnail.
    sql_->exec(
        "CREATE TABLE IF NOT EXISTS onemap_media (id INTEGER PRIMARY KEY NOT NULL, incident "
        "INTEGER NOT NULL, kind TEXT NOT NULL, content_type TEXT NOT NULL, bytes BLOB NOT NULL, "
        "public_bytes BLOB NOT NULL, thumb BLOB NOT NULL, width INTEGER NOT NULL, height INTEGER "
        "NOT NULL, exif_lon REAL, exif_lat REAL, uploaded_by TEXT NOT NULL, at INTEGER NOT NULL, "
        "sha256 TEXT NOT NULL)");
    sql_->exec("CREATE INDEX IF NOT EXISTS onemap_media_incident ON onemap_media(incident, id)");
    // The command centre's intake queue (layers/model/ticket.hpp): one row per ticket, changed
    // in place as it is decided.
    sql_->exec(
        "CREATE TABLE IF NOT EXISTS onemap_tickets (id INTEGER PRIMARY KEY AUTOINCREMENT, "
        "received_at INTEGER NOT NULL, source TEXT, category TEXT, description TEXT, address "
        "TEXT, lon REAL, lat REAL, located_by TEXT, area TEXT, candidates TEXT, duplicates TEXT, "
        "waits_for TEXT, reporter TEXT, external_id TEXT, extra TEXT, state TEXT NOT NULL, "
        "incident INTEGER NOT NULL DEFAULT 0, note TEXT, decided_by TEXT, decided_at INTEGER NOT "
        "NULL DEFAULT 0, version INTEGER NOT NULL DEFAULT 1)");
    sql_->exec("CREATE INDEX IF NOT EXISTS onemap_tickets_state ON onemap_tickets(state, id)");
    // The tasks of joint cases (layers/model/task.hpp): one row per agency's part, changed in
    // place.
    sql_->exec(
        "CREATE TABLE IF NOT EXISTS onemap_tasks (incident INTEGER NOT NULL, seq INTEGER NOT "
        "NULL, agency TEXT NOT NULL, role TEXT NOT NULL, state TEXT NOT NULL, created_at INTEGER "
        "NOT NULL, created_by TEXT, report_by INTEGER NOT NULL DEFAULT 0, deadline INTEGER NOT "
        "NULL DEFAULT 0, accepted_at INTEGER NOT NULL DEFAULT 0, done_at INTEGER NOT NULL "
        "DEFAULT 0, handler TEXT, feedback TEXT, overdue INTEGER NOT NULL DEFAULT 0, version "
        "INTEGER NOT NULL DEFAULT 1, PRIMARY KEY(incident, seq))");
    // Residents signed in by phone (layers/model/resident.hpp): each phone's last code, and the
    // tokens, hashed.
    sql_->exec(
        "CREATE TABLE IF NOT EXISTS onemap_resident_codes (phone TEXT PRIMARY KEY NOT NULL, "
        "code_hash TEXT NOT NULL, sent_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, "
        "attempts INTEGER NOT NULL DEFAULT 0, day INTEGER NOT NULL, sent_today INTEGER NOT NULL)");
    sql_->exec(
        "CREATE TABLE IF NOT EXISTS onemap_resident_sessions (token_hash TEXT PRIMARY KEY NOT "
        "NULL, phone TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)");
    // Pulled feeds (layers/model/feed.hpp): each one's source, interval and last pull.
    sql_->exec(
        "CREATE TABLE IF NOT EXISTS onemap_feeds (name TEXT PRIMARY KEY NOT NULL, layer TEXT NOT "
        "NULL, source TEXT NOT NULL, source_layer TEXT, every_s INTEGER NOT NULL, last_run "
        "INTEGER NOT NULL DEFAULT 0, last_result TEXT)");
    // The outbox (OutboxRow): appended to in the transaction of the change each row reports,
    // read by id; and where it is pushed, each subscriber with its cursor.
    sql_->exec(
        "CREATE TABLE IF NOT EXISTS onemap_outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, at "
        "INTEGER NOT NULL, subject TEXT NOT NULL, action TEXT NOT NULL, area TEXT NOT NULL "
        "DEFAULT '', payload TEXT NOT NULL)");
    sql_->exec(
        "CREATE TABLE IF NOT EXISTS onemap_subscribers (name TEXT PRIMARY KEY NOT NULL, kind "
        "TEXT NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL, actions TEXT NOT NULL DEFAULT "
        "'[]', area TEXT NOT NULL DEFAULT '', delivered INTEGER NOT NULL DEFAULT 0)");
  }

  // The UPDATE of a county layer's row by fid: its fields and join columns (gpkg::bind_row's
  // order), then its geometry when `geometry`, then the fid.
  static std::string update_sql(const LayerDef& def, bool geometry) {
    std::string sql = "UPDATE \"" + def.name + "\" SET ";
    int n = 0;
    auto set = [&](const std::string& column) {
      if (n++ > 0) sql += ", ";
      sql += "\"" + column + "\" = ?" + std::to_string(n);
    };
    for (const Field& f : def.fields) set(f.name);
    for (const char* c : gpkg::kJoinColumns) set(c);
    if (geometry) set("geom");
    return sql + " WHERE fid = ?" + std::to_string(n + 1);
  }

  // The srs_id of a table's geometry column, which its GeoPackage geometries carry.
  int32_t geometry_srs(const std::string& table) {
    int32_t srs = 0;
    sql_->query_rows(
        "SELECT srs_id FROM gpkg_geometry_columns WHERE table_name = ?1",
        [&](sqlite3_stmt* st) { bind_text(st, 1, table); },
        [&](sqlite3_stmt* st) { srs = sqlite3_column_int(st, 0); });
    return srs;
  }

  // Records by fid whose shares are to be written.
  using SharesOf = std::vector<std::pair<int64_t, const Feature*>>;
  // Writes the shares of records (inside the caller's transaction).
  void insert_shares(const std::string& layer, const SharesOf& records) {
    std::vector<std::pair<int64_t, const GridShare*>> rows;
    for (const auto& [fid, r] : records)
      for (const GridShare& g : r->shares) rows.emplace_back(fid, &g);
    sql_->exec_rows("cannot write the shares",
                    "INSERT INTO onemap_layer_grids(layer, fid, grid_code, measure) "
                    "VALUES(?1, ?2, ?3, ?4)",
                    rows, [&](sqlite3_stmt* st, const auto& row) {
                      bind_text(st, 1, layer);
                      sqlite3_bind_int64(st, 2, row.first);
                      bind_text(st, 3, row.second->grid_code);
                      sqlite3_bind_double(st, 4, row.second->measure);
                    });
  }

  // Adds photos (inside the caller's transaction).
  void insert_media(const std::vector<const Media*>& rows) {
    auto blob = [](sqlite3_stmt* st, int i, const std::string& b) {
      sqlite3_bind_blob64(st, i, b.data(), b.size(), SQLITE_STATIC);
    };
    sql_->exec_rows(
        "cannot write the photo",
        "INSERT INTO onemap_media(id, incident, kind, content_type, bytes, public_bytes, thumb, "
        "width, height, exif_lon, exif_lat, uploaded_by, at, sha256) "
        "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
        rows, [&](sqlite3_stmt* st, const Media* m) {
          const MediaInfo& i = m->info;
          sqlite3_bind_int64(st, 1, i.id);
          sqlite3_bind_int64(st, 2, i.incident);
          bind_text(st, 3, i.kind);
          bind_text(st, 4, i.content_type);
          blob(st, 5, m->original);
          blob(st, 6, m->public_copy);
          blob(st, 7, m->thumbnail);
          sqlite3_bind_int(st, 8, i.width);
          sqlite3_bind_int(st, 9, i.height);
          if (i.exif_location) {
            sqlite3_bind_double(st, 10, i.exif_location->lon);
            sqlite3_bind_double(st, 11, i.exif_location->lat);
          } else {
            sqlite3_bind_null(st, 10);
            sqlite3_bind_null(st, 11);
          }
          bind_text(st, 12, i.uploaded_by);
          sqlite3_bind_int64(st, 13, i.at);
          bind_text(st, 14, i.sha256);
        });
  }

  // Appends audit rows (inside the caller's transaction); their new ids in order.
  std::vector<int64_t> insert_audit(const std::vector<AuditRecord*>& rows) {
    std::vector<int64_t> ids;
    sql_->exec_rows(
        "cannot write the audit",
        "INSERT INTO audit_log(at, actor, role, action, layer, records, fields, peer, request_id, "
        "detail) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        rows,
        [](sqlite3_stmt* st, const AuditRecord* r) {
          sqlite3_bind_int64(st, 1, r->at);
          bind_text(st, 2, r->actor);
          bind_text(st, 3, r->role);
          bind_text(st, 4, r->action);
          bind_text(st, 5, r->layer);
          bind_text(st, 6, r->records.empty() ? std::string("[]") : r->records);
          bind_text(st, 7, r->fields.empty() ? std::string("[]") : r->fields);
          bind_text(st, 8, r->peer);
          bind_text(st, 9, r->request_id);
          if (r->detail.empty())
            sqlite3_bind_null(st, 10);
          else
            bind_text(st, 10, r->detail);
        },
        [&](const AuditRecord*) { ids.push_back(sqlite3_last_insert_rowid(db_)); });
    return ids;
  }

  // Appends history rows (inside the caller's transaction), after the records they name.
  template <class Row>
  void insert_history(const std::vector<Row*>& rows) {
    std::string fields;
    sql_->exec_rows(
        "cannot write the history",
        "INSERT INTO onemap_feature_history(layer, fid, at, actor, role, action, fields, "
        "geometry_changed, request_id) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        rows, [&](sqlite3_stmt* st, const FeatureHistory* h) {
          const int64_t fid = h->new_fid ? *h->new_fid : h->fid;
          fields = "[";
          for (const auto& f : h->fields) {
            if (fields.size() > 1) fields += ',';
            fields += '"';
            append_json_escaped(fields, f);
            fields += '"';
          }
          fields += ']';
          bind_text(st, 1, h->layer);
          sqlite3_bind_int64(st, 2, fid);
          sqlite3_bind_int64(st, 3, h->at);
          bind_text(st, 4, h->actor);
          bind_text(st, 5, h->role);
          bind_text(st, 6, std::string(edit_action_name(h->action)));
          bind_text(st, 7, fields);
          sqlite3_bind_int(st, 8, h->geometry_changed ? 1 : 0);
          bind_text(st, 9, h->request_id);
        });
  }

  // Appends outbox rows (inside the caller's transaction), each made now that the records
  // before it are written.
  void insert_outbox(const std::vector<std::function<OutboxRow()>>& makers) {
    std::vector<OutboxRow> rows;
    rows.reserve(makers.size());
    for (const auto& make : makers) rows.push_back(make());
    sql_->exec_rows("cannot write the outbox",
                    "INSERT INTO onemap_outbox(at, subject, action, area, payload) "
                    "VALUES(?1, ?2, ?3, ?4, ?5)",
                    rows, [](sqlite3_stmt* st, const OutboxRow& r) {
                      sqlite3_bind_int64(st, 1, r.at);
                      bind_text(st, 2, r.subject);
                      bind_text(st, 3, r.action);
                      bind_text(st, 4, r.area);
                      bind_text(st, 5, r.payload);
                    });
  }

  // A county layer's table, with its columns and spatial index (committed on its own).
  OGRLayer* create_table(const LayerDef& def) {
    OGRSpatialReference srs;
    if (srs.importFromEPSG(spatial::kStorageEpsg) != OGRERR_NONE)
      throw StoreError("PROJ does not know EPSG:4490");
    srs.SetAxisMappingStrategy(OAMS_TRADITIONAL_GIS_ORDER);
    char** opts = nullptr;
    opts = CSLSetNameValue(opts, "FID", "fid");
    opts = CSLSetNameValue(opts, "GEOMETRY_NAME", "geom");
    opts = CSLSetNameValue(opts, "SPATIAL_INDEX", "YES");
    opts = CSLSetNameValue(opts, "IDENTIFIER", (def.title.empty() ? def.name : def.title).c_str());
    opts = CSLSetNameValue(opts, "DESCRIPTION", def.description.c_str());
    const OGRwkbGeometryType type = def.geometry == GeometryKind::Point  ? wkbPoint
                                    : def.geometry == GeometryKind::Line ? wkbMultiLineString
                                                                         : wkbMultiPolygon;
    OGRLayer* l = ds_->CreateLayer(def.name.c_str(), &srs, type, opts);
    CSLDestroy(opts);
    if (!l) throw StoreError("cannot create layer " + def.name + ": " + gdal_error());
    for (const Field& f : def.fields) add_column(l, def.name, f);
    add_column(l, def.name, gpkg::kJoinColumns[0], OFTString, OFSTNone);
    add_column(l, def.name, gpkg::kJoinColumns[1], OFTString, OFSTNone);
    add_column(l, def.name, gpkg::kJoinColumns[2], OFTReal, OFSTNone);
    l->SyncToDisk();
    return l;
  }

  // Drops a table of that name, if there is one.
  void drop_table(const std::string& name) {
    for (int i = 0; i < ds_->GetLayerCount(); ++i)
      if (name == ds_->GetLayer(i)->GetName()) {
        if (ds_->DeleteLayer(i) != OGRERR_NONE)
          throw StoreError("cannot drop the table " + name + ": " + gdal_error());
        return;
      }
  }

  void clear(LayerKind k) {
    sql_->exec("DELETE FROM " + std::string(layer_name(k)));
    if (k == LayerKind::Incidents)
      sql_->exec("DELETE FROM incident_history");  // their trails go with them
  }

  template <class T>
  void insert(LayerKind k, std::vector<T>& v, bool explicit_fids) {
    auto* layer = get_layer(k);
    Columns cols(layer, k);
    int64_t next = 1;  // explicit fids: 1..n in order, after the table was cleared
    for (auto& r : v) {
      OGRFeature f(layer->GetLayerDefn());
      write(f, cols, r);
      if (explicit_fids) f.SetFID(next++);
      if (layer->CreateFeature(&f) != OGRERR_NONE)
        throw StoreError("cannot write to " + std::string(layer_name(k)) + ": " + gdal_error());
      r.fid = f.GetFID();
    }
  }

  template <class T>
  void read_layer(LayerKind k, std::vector<T>& out) {
    auto* layer = get_layer(k);
    Columns cols(layer, k);
    out.clear();
    out.reserve(static_cast<std::size_t>(std::max<GIntBig>(0, layer->GetFeatureCount())));
    layer->ResetReading();
    for (auto& f : *layer) {
      T r;
      r.fid = f->GetFID();
      read(*f, cols, r);
      out.push_back(std::move(r));
    }
  }

  struct DatasetCloser {
    void operator()(GDALDataset* d) const { GDALClose(d); }
  };

  // fdatasync of the write-ahead log; 0 or the errno. The descriptor stays open so that it
  // reports any write-back error since it was opened, and is opened again should the log have
  // been replaced. The log exists while this connection is open (SQLite deletes it only when the
  // last connection closes): not finding it is an error, not a log with nothing to flush.
  int flush_log() {
    if (!wal_) return 0;
    struct stat st {};
    if (wal_fd_ >= 0 && (::fstat(wal_fd_, &st) != 0 || st.st_nlink == 0)) {
      ::close(wal_fd_);
      wal_fd_ = -1;
    }
    if (wal_fd_ < 0) {
      wal_fd_ = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (wal_fd_ < 0) return errno;
    }
    return ::fdatasync(wal_fd_) == 0 ? 0 : errno;
  }

  std::string path_;
  std::unique_ptr<GDALDataset, DatasetCloser> ds_;
  sqlite3* db_ = nullptr;
  std::unique_ptr<Statements> sql_;  // after ds_: finalized before GDAL closes the connection
  bool wal_ = false;                 // the journal is a write-ahead log (see the top)
  std::string wal_path_;             // and this is its file

  // Group commit: commits counted by the writer, flushes by whoever calls sync().
  std::atomic<uint64_t> committed_{0};
  mutable std::mutex sync_mutex_;
  std::condition_variable flushed_cv_;
  uint64_t flushed_ = 0;  ///< every commit up to this count is on disk
  uint64_t flushes_ = 0;
  bool flushing_ = false;
  int wal_fd_ = -1;  ///< touched only by the flushing thread
};

}  // namespace

std::unique_ptr<Store> open_geopackage(const std::string& path, bool create) {
  return std::make_unique<GeoPackageStore>(path, create);
}

std::unique_ptr<Store> open_store(const std::string& location, bool create) {
  auto ends_with = [&](const char* s) {
    std::string suffix(s);
    return location.size() >= suffix.size() &&
           location.compare(location.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".gpkg") || ends_with(".GPKG")) return open_geopackage(location, create);
  throw InvalidArgument(
      "data", "unsupported store '" + location + "': give a GeoPackage path ending in .gpkg");
}

}  // namespace onemap::layers
