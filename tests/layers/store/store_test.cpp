// Store tests: GeoPackage round trip of every layer, what ogrinfo sees, and durability of an
// acknowledged write across SIGKILL.
#include "layers/store/store.hpp"

#include "layers/model/schema.hpp"

#include "core/errors.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <variant>
#include <vector>

namespace fs = std::filesystem;
using namespace onemap;
using namespace onemap::layers;
using onemap::testing::TempDir;

namespace {

spatial::Polygon rect(double x0, double y0, double x1, double y1) {
  spatial::Polygon p;
  p.outer() = {{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}};
  spatial::bg::correct(p);
  return p;
}

Dataset sample() {
  Dataset d;
  Grid county{0, "330521", "德清县", GridLevel::County, "330500", {}, 937.9e6, false, {}};
  county.geometry.push_back(rect(119.7, 30.3, 120.4, 30.8));
  Grid g{0, "330521001001001", "武康第1网格", GridLevel::Grid, "330521001001", {}, 1234.5, true,
         {}};
  auto with_hole = rect(119.9, 30.5, 120.0, 30.6);
  spatial::Ring hole{
      {119.95, 30.55}, {119.96, 30.55}, {119.96, 30.56}, {119.95, 30.56}, {119.95, 30.55}};
  with_hole.inners().push_back(hole);
  spatial::bg::correct(with_hole);
  g.geometry.push_back(with_hole);
  g.geometry.push_back(rect(120.1, 30.5, 120.2, 30.6));
  d.grids = {county, g};

  Household h;
  h.id = "H00000001";
  h.address = "武康街道 某村 12号";
  h.members = 4;
  h.flags = kRental | kPersonOfConcern;
  h.location = {119.9512345678, 30.5398765432};
  h.join = {"330521001001001", JoinKind::Contained, 0};
  h.head_name = "张三";
  h.phone = "19900000000";
  h.id_number = "33052119800101001X";
  h.extra = R"({"楼栋":"3"})";
  d.households = {h};

  Enterprise e;
  e.id = "E1";
  e.name = "德清某化工有限公司";
  e.industry = "化工";
  e.risk = RiskLevel::Major;
  e.hazardous_chemicals = true;
  e.last_inspection = "2026-05-01";
  e.open_hazards = 3;
  e.location = {120.15, 30.55};
  e.join = {"330521001001001", JoinKind::Nearest, 123.25};
  d.enterprises = {e};

  Incident i;
  i.id = "E20260000001";
  i.category = "pingan_yinhuan";
  i.description = "消防通道堵塞";
  i.source = "grid_app";
  i.reported_at = *parse_time("2026-03-04T05:06:07Z");
  i.status = "closed";
  i.closed_at = *parse_time("2026-03-05T01:02:03Z");
  i.assignee = "W00101";
  i.location = {119.91, 30.51};
  i.join = {"", JoinKind::Unassigned, 0};
  Incident open = i;
  open.id = "E20260000002";
  open.status = "reported";
  open.closed_at = 0;
  d.incidents = {i, open};

  Worker w;
  w.worker_id = "W00101";
  w.name = "李四";
  w.role = WorkerRole::GridHead;
  w.grid_code = "330521001001001";
  w.on_duty = false;
  w.location = {119.92, 30.52};
  w.join = {"330521001001001", JoinKind::Contained, 0};
  d.workers = {w};
  return d;
}

void expect_same_point(LonLat a, LonLat b) {
  // GeoPackage stores doubles: the round trip is exact.
  EXPECT_EQ(a.lon, b.lon);
  EXPECT_EQ(a.lat, b.lat);
}

void expect_same_join(const GridJoin& a, const GridJoin& b) {
  EXPECT_EQ(a.grid_code, b.grid_code);
  EXPECT_EQ(a.kind, b.kind);
  EXPECT_DOUBLE_EQ(a.distance_m, b.distance_m);
}

std::string shown(const FieldValue& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using X = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<X, std::monostate>)
          return "null";
        else if constexpr (std::is_same_v<X, std::string_view>)
          return "'" + std::string(x) + "'";
        else
          return std::to_string(x);
      },
      v);
}

/// Every field of the layer's schema (schema.hpp: every attribute, the grid join of a point) the
/// same in both records; reals to 4 ulps.
template <class T>
void expect_same_fields(const T& a, const T& b) {
  const Schema<T>& s = schema<T>();
  for (std::size_t i = 0; i < s.fields.size(); ++i) {
    SCOPED_TRACE(std::string(layer_name(s.kind)) + "." + s.fields[i].name);
    const FieldValue x = s.get(a, i), y = s.get(b, i);
    if (std::holds_alternative<double>(x) && std::holds_alternative<double>(y)) {
      EXPECT_DOUBLE_EQ(std::get<double>(x), std::get<double>(y));
    } else {
      EXPECT_TRUE(x == y) << shown(x) << " != " << shown(y);
    }
  }
}

/// The records of a point layer the same, field by field and in location.
template <class T>
void expect_same_points(const std::vector<T>& in, const std::vector<T>& out) {
  ASSERT_EQ(in.size(), out.size());
  for (std::size_t k = 0; k < in.size(); ++k) {
    expect_same_fields(in[k], out[k]);
    expect_same_point(in[k].location, out[k].location);
  }
}

class GeoPackageStore : public ::testing::Test {
 protected:
  /// A new store DIR/NAME holding the sample, open; sample_ is the sample as written (with the
  /// fids the store gave it).
  std::unique_ptr<Store> create(const std::string& name) {
    path_ = dir_ / name;
    auto store = open_store(path_.string(), true);
    store->replace_all(sample_);
    return store;
  }

  const TempDir dir_;
  fs::path path_;
  Dataset sample_ = sample();
};

}  // namespace

TEST_F(GeoPackageStore, RoundTripsEveryLayer) {
  create("roundtrip.gpkg");
  const Dataset& in = sample_;
  // fids are assigned 1..n in order.
  EXPECT_EQ(in.grids[1].fid, 2);
  EXPECT_EQ(in.incidents[1].fid, 2);

  auto store = open_store(path_.string(), false);
  Dataset out = store->load();
  ASSERT_EQ(out.grids.size(), 2u);
  ASSERT_EQ(out.households.size(), 1u);
  ASSERT_EQ(out.enterprises.size(), 1u);
  ASSERT_EQ(out.incidents.size(), 2u);
  ASSERT_EQ(out.workers.size(), 1u);

  for (std::size_t k = 0; k < 2; ++k) {
    const auto &a = in.grids[k], &b = out.grids[k];
    EXPECT_EQ(a.fid, b.fid);
    expect_same_fields(a, b);
    EXPECT_TRUE(spatial::bg::equals(a.geometry, b.geometry));
    EXPECT_EQ(a.geometry.size(), b.geometry.size());
  }
  EXPECT_EQ(out.grids[1].geometry[0].inners().size(), 1u);
  auto grids_only = store->load_grids();
  ASSERT_EQ(grids_only.size(), out.grids.size());
  for (std::size_t k = 0; k < grids_only.size(); ++k) {
    EXPECT_EQ(grids_only[k].fid, out.grids[k].fid);
    EXPECT_EQ(grids_only[k].code, out.grids[k].code);
    EXPECT_TRUE(spatial::bg::equals(grids_only[k].geometry, out.grids[k].geometry));
  }

  expect_same_points(in.households, out.households);
  expect_same_points(in.enterprises, out.enterprises);
  expect_same_points(in.incidents, out.incidents);
  expect_same_points(in.workers, out.workers);
}

TEST_F(GeoPackageStore, AppendUpdateJoinsAndMeta) {
  auto store = create("append.gpkg");
  const Dataset& d = sample_;
  Dataset more;
  more.incidents = {d.incidents[0]};
  store->append(LayerKind::Incidents, more);
  EXPECT_EQ(more.incidents[0].fid, 3);

  Dataset all = store->load();
  ASSERT_EQ(all.incidents.size(), 3u);
  for (auto& i : all.incidents) i.join = {"330521001001001", JoinKind::Nearest, 42.5};
  all.households[0].join = {};
  store->update_joins(all);
  Dataset again = open_store(path_.string(), false)->load();
  for (auto& i : again.incidents)
    expect_same_join(i.join, {"330521001001001", JoinKind::Nearest, 42.5});
  expect_same_join(again.households[0].join, {});

  EXPECT_FALSE(store->get_meta("schema_version").has_value());
  store->put_meta("schema_version", "1");
  store->put_meta("schema_version", "2");
  EXPECT_EQ(store->get_meta("schema_version").value_or(""), "2");

  Incident changed = again.incidents[1];
  changed.status = "closed";
  store->put_incident(changed);
  EXPECT_EQ(open_store(path_.string(), false)->load().incidents[1].status, "closed");
}

TEST_F(GeoPackageStore, AuditRowsAreAppendedInTheBatchAndSelectedNewestFirst) {
  auto store = create("audit.gpkg");
  EXPECT_EQ(store->load_audit({}).total, 0u);
  // Six rows: three actors, two actions, one a second apart; with a user in the same batch.
  std::vector<AuditRecord> rows;
  for (int k = 0; k < 6; ++k) {
    AuditRecord r;
    r.at = 1790000000 + k;
    r.actor = k % 3 == 0 ? "li" : k % 3 == 1 ? "wang" : "admin";
    r.role = "centre";
    r.action = k < 4 ? "read_personal" : "user_change";
    r.layer = k < 4 ? "households" : "users";
    r.records = "[" + std::to_string(k + 1) + "]";
    r.fields = R"(["head_name","phone","id_number"])";
    r.peer = "10.0.0." + std::to_string(k);
    r.request_id = "req-" + std::to_string(k);
    rows.push_back(r);
  }
  User u;
  u.id = "li";
  u.role = "centre";
  u.token_hash = "ab";
  Store::Batch b;
  b.users.push_back(&u);
  for (auto& r : rows) b.audit.push_back(&r);
  store->put(b);
  for (std::size_t k = 1; k < rows.size(); ++k)
    EXPECT_GT(rows[k].id, rows[k - 1].id);  // ids written back

  // Through another connection: durable, and every column as written.
  auto other = open_store(path_.string(), false);
  const AuditPage all = other->load_audit({});
  ASSERT_EQ(all.total, 6u);
  ASSERT_EQ(all.rows.size(), 6u);
  EXPECT_EQ(all.rows[0].id, rows[5].id);  // newest first
  EXPECT_EQ(all.rows[5].actor, "li");
  EXPECT_EQ(all.rows[5].at, 1790000000);
  EXPECT_EQ(all.rows[5].fields, R"(["head_name","phone","id_number"])");
  EXPECT_EQ(all.rows[5].records, "[1]");
  EXPECT_EQ(all.rows[5].peer, "10.0.0.0");
  EXPECT_EQ(all.rows[5].request_id, "req-0");
  EXPECT_EQ(all.rows[5].layer, "households");
  EXPECT_EQ(all.rows[5].detail, "");
  ASSERT_EQ(other->load_users().size(), 1u);

  AuditQuery q;
  q.actor = "wang";
  auto page = other->load_audit(q);
  ASSERT_EQ(page.total, 2u);
  EXPECT_EQ(page.rows[0].request_id, "req-4");
  EXPECT_EQ(page.rows[1].request_id, "req-1");
  q = {};
  q.from = 1790000002;
  q.to = 1790000004;
  page = other->load_audit(q);
  ASSERT_EQ(page.total, 3u);
  EXPECT_EQ(page.rows[0].at, 1790000004);
  EXPECT_EQ(page.rows[2].at, 1790000002);
  q.action = "user_change";
  EXPECT_EQ(other->load_audit(q).total, 1u);
  q = {};
  q.limit = 2;
  q.offset = 3;
  page = other->load_audit(q);
  EXPECT_EQ(page.total, 6u);
  ASSERT_EQ(page.rows.size(), 2u);
  EXPECT_EQ(page.rows[0].request_id, "req-2");
  EXPECT_EQ(page.rows[1].request_id, "req-1");

  // A failed batch writes no audit row either.
  AuditRecord lost;
  lost.at = 1790000100;
  lost.actor = "li";
  lost.action = "read_personal";
  Incident bad;
  bad.fid = 999;  // an update of a record that does not exist
  Store::Batch failing;
  failing.audit.push_back(&lost);
  failing.incidents.push_back(&bad);
  EXPECT_ANY_THROW(store->put(failing));
  EXPECT_EQ(other->load_audit({}).total, 6u);
}

TEST_F(GeoPackageStore, DataVersionMovesWithAnotherConnectionsCommits) {
  auto a = create("version.gpkg");
  auto b = open_store(path_.string(), false);
  const int64_t v0 = b->data_version();
  EXPECT_EQ(b->data_version(), v0);  // nothing committed meanwhile
  a->put_meta("k", "1");
  const int64_t v1 = b->data_version();
  EXPECT_NE(v1, v0);
  EXPECT_EQ(b->data_version(), v1);
  b->put_meta("k", "2");  // its own commit does not count
  EXPECT_EQ(b->data_version(), v1);
}

TEST_F(GeoPackageStore, MissingStoreIsAClearError) {
  const fs::path path = dir_ / "missing.gpkg";
  try {
    open_store(path.string(), false);
    FAIL() << "opening a missing store must throw";
  } catch (const StoreError& e) {
    EXPECT_NE(std::string(e.what()).find("missing.gpkg"), std::string::npos);
  }
  EXPECT_THROW(open_store("/tmp/not-a-store.txt", true), InvalidArgument);
}

TEST_F(GeoPackageStore, OgrinfoSeesEveryLayerInEpsg4490) {
  create("ogrinfo.gpkg");
  const fs::path& path = path_;
  const auto info =
      onemap::testing::run_command({"/usr/bin/ogrinfo", "-ro", "-so", "-al", path.string()});
  const std::string out = info.out + info.err;
  for (LayerKind k : kAllLayers)
    EXPECT_NE(out.find("Layer name: " + std::string(layer_name(k))), std::string::npos)
        << layer_name(k) << " missing in:\n"
        << out;
  // Every layer declares CGCS2000 (EPSG:4490).
  std::size_t n = 0;
  for (std::size_t p = out.find("ID[\"EPSG\",4490]"); p != std::string::npos;
       p = out.find("ID[\"EPSG\",4490]", p + 1))
    ++n;
  EXPECT_EQ(n, 5u) << out;
  EXPECT_NE(out.find("Feature Count: 2"), std::string::npos);
}

// A write that was acknowledged survives SIGKILL: the child writes incidents one by one and
// reports each fid after put_incident returns; the parent kills it mid-burst and reopens.
// Group commit: one flush puts every transaction committed before it on disk, a sync with
// nothing new flushes nothing, and writers syncing side by side never flush more often than they
// commit (each waits for a flush that began after its commit).
TEST_F(GeoPackageStore, OneFlushCoversEveryCommitBeforeIt) {
  auto store = create("group.gpkg");
  store->sync();
  const auto before = store->sync_counts();
  EXPECT_GE(before.flushes, 1u);
  store->sync();
  EXPECT_EQ(store->sync_counts().flushes, before.flushes) << "nothing new, yet a flush";

  Incident i = sample_.incidents[0];
  for (int k = 0; k < 5; ++k) {
    i.fid = 0;
    i.id = "G" + std::to_string(k);
    store->put_incident(i);
  }
  EXPECT_EQ(store->sync_counts().commits, before.commits + 5);
  EXPECT_EQ(store->sync_counts().flushes, before.flushes) << "a commit flushed by itself";
  store->sync();
  EXPECT_EQ(store->sync_counts().flushes, before.flushes + 1);

  std::mutex writer;  // the store's connection takes one writer at a time, as County's lock does
  std::vector<std::thread> writers;
  constexpr int kWriters = 6, kEach = 20;
  for (int w = 0; w < kWriters; ++w)
    writers.emplace_back([&, w] {
      for (int k = 0; k < kEach; ++k) {
        Incident mine = sample_.incidents[0];
        mine.fid = 0;
        mine.id = "W" + std::to_string(w) + "-" + std::to_string(k);
        {
          std::lock_guard lock(writer);
          store->put_incident(mine);
        }
        store->sync();
      }
    });
  for (auto& t : writers) t.join();
  const auto after = store->sync_counts();
  EXPECT_EQ(after.commits, before.commits + 5 + kWriters * kEach);
  EXPECT_LE(after.flushes - before.flushes, 1u + kWriters * kEach);
  EXPECT_EQ(open_store(path_.string(), false)->load().incidents.size(),
            sample_.incidents.size() + 5 + kWriters * kEach);
}

// SQLite names the log after the file a link points to; sync() must flush that one (a store that
// cannot find its log stops the process, which would end this test).
TEST_F(GeoPackageStore, AStoreOpenedThroughALinkFlushesItsLog) {
  create("target.gpkg");
  const fs::path link = dir_ / "link.gpkg";
  fs::create_symlink(path_, link);
  auto store = open_store(link.string(), false);
  Incident i = sample_.incidents[0];
  i.fid = 0;
  i.id = "L1";
  store->put_incident(i);
  const auto before = store->sync_counts().flushes;
  store->sync();
  EXPECT_EQ(store->sync_counts().flushes, before + 1);
  EXPECT_TRUE(fs::exists(path_.string() + "-wal"));
  EXPECT_FALSE(fs::exists(link.string() + "-wal"));
}

TEST_F(GeoPackageStore, AcknowledgedWritesSurviveSigkill) {
  create("durable.gpkg");
  const fs::path& path = path_;
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(fds[0]);
    auto store = open_store(path.string(), false);
    for (int k = 0;; ++k) {
      Incident i;
      i.id = "K" + std::to_string(k);
      i.category = "test";
      i.status = "reported";
      i.reported_at = 1700000000 + k;
      i.location = {120.0 + k * 1e-6, 30.5};
      store->put_incident(i);
      store->sync();  // the acknowledgement waits for this (County's write lock)
      std::string ack = std::to_string(i.fid) + " " + i.id + "\n";
      if (::write(fds[1], ack.data(), ack.size()) < 0) ::_exit(1);
    }
  }
  ::close(fds[1]);
  FILE* in = ::fdopen(fds[0], "r");
  std::vector<std::pair<int64_t, std::string>> acked;
  char line[128];
  while (acked.size() < 40 && std::fgets(line, sizeof line, in)) {
    long long fid;
    char id[64];
    if (std::sscanf(line, "%lld %63s", &fid, id) == 2) acked.emplace_back(fid, id);
  }
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::fclose(in);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(acked.size(), 40u);

  Dataset after = open_store(path.string(), false)->load();
  std::map<int64_t, std::string> stored;
  for (const auto& i : after.incidents) stored[i.fid] = i.id;
  for (const auto& [fid, id] : acked) {
    ASSERT_TRUE(stored.count(fid)) << "acknowledged incident " << id << " lost";
    EXPECT_EQ(stored[fid], id);
  }
  // Nothing half-applied: every stored row is complete.
  for (const auto& i : after.incidents) {
    EXPECT_FALSE(i.id.empty());
    EXPECT_FALSE(i.status.empty());
  }
}
