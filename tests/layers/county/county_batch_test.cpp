// Batch dispatch (layers/county/county_batch.cpp) on a real GeoPackage: never worse than one by
// one and within the caps; isolation: it solves unlocked and commits only what is unchanged, and
// readers are not blocked while a large batch solves.
#include "layers/county/county.hpp"

#include "core/errors.hpp"
#include "layers/model/join.hpp"
#include "layers/store/store.hpp"
#include "tests/layers/county/dispatch_fixture.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

using json = nlohmann::json;
using namespace onemap;
using namespace onemap::layers;
using namespace onemap::testing;

TEST_F(Dispatch, BatchDispatchIsNeverWorseThanOneByOneAndKeepsTheCaps) {
  // Nine incidents waiting in the grid head's queue or reported by an administrator's edit.
  open(3);
  const std::vector<int64_t> fids = nine_waiting();
  EXPECT_THROW(county_->batch_dispatch("", "planet", centre_), InvalidArgument);
  Actor w = worker_actor(*county_, "FT1");
  EXPECT_THROW(county_->batch_dispatch("", "grid", w), Forbidden);
  const BatchResult r = county_->batch_dispatch("330521001", "grid", centre_, kNow);
  EXPECT_EQ(r.incidents, 9u);
  EXPECT_TRUE(r.proved_optimal);
  EXPECT_GE(r.assigned, r.greedy_assigned);
  if (r.assigned == r.greedy_assigned) {
    EXPECT_LE(r.total_m, r.greedy_total_m + 1e-6);
  }
  // Capacity: FT1, FT2 and HEAD take at most 3 each; roles by category.
  std::map<std::string, int> load;
  double total = 0;
  for (const auto& a : r.assignments) {
    const Incident cur = county_->incident(a.fid);
    if (a.worker_id.empty()) {
      EXPECT_EQ(cur.status, "reported");
      continue;
    }
    ++load[a.worker_id];
    EXPECT_EQ(cur.status, "dispatched");
    EXPECT_EQ(cur.assignee, a.worker_id);
    if (cur.category == "0701") {
      EXPECT_EQ(a.worker_id, "HEAD");
    } else {
      EXPECT_TRUE(a.worker_id == "FT1" || a.worker_id == "FT2") << a.worker_id;
    }
    EXPECT_EQ(county_->history(a.fid).back().action, "dispatch");
    EXPECT_EQ(json::parse(cur.dispatch_reason)["rule"], "batch");
    total += a.distance_m;
  }
  for (const auto& [id, n] : load) EXPECT_LE(n, 3) << id;
  EXPECT_EQ(load["HEAD"], 3);
  EXPECT_EQ(load["FT1"] + load["FT2"], 6);
  EXPECT_NEAR(total, r.total_m, r.total_m * 0.01);  // geodesic vs the local projection
  // Nothing left to dispatch.
  EXPECT_EQ(county_->batch_dispatch("330521001", "grid", centre_, kNow).incidents, 0u);
}

// ---- isolation: the heavy writes solve unlocked and commit only what is unchanged -----------

TEST_F(Dispatch, ABatchNeverOverwritesAWriteMadeWhileItSolved) {
  open(3);
  const std::vector<int64_t> fids = nine_waiting();
  // While the batch solves (no lock held): one incident is dispatched by hand to FT1, another
  // edited, and FT2 gets two incidents by intake: its slots as the batch read them are gone.
  int calls = 0;
  county_->set_commit_hook([&](std::string_view what) {
    if (what != "batch_dispatch") return;
    ++calls;
    county_->transition(fids[0], {Action::Dispatch, "", std::string("FT1"), {}, kNow}, centre_);
    IncidentPatch edit;
    edit.description = std::string("edited meanwhile");
    county_->update_incident(fids[1], edit, admin_);
    for (int k = 0; k < 2; ++k) EXPECT_EQ(intake(120.0401, 30.1001, "0101").assignee, "FT2");
  });
  const BatchResult r = county_->batch_dispatch("330521001", "grid", centre_, kNow);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(r.incidents, 9u);
  // The two written incidents keep what was written.
  const Incident manual = county_->incident(fids[0]);
  EXPECT_EQ(manual.assignee, "FT1");
  EXPECT_EQ(json::parse(manual.dispatch_reason)["rule"], "manual");
  EXPECT_EQ(county_->history(fids[0]).back().action, "dispatch");
  EXPECT_EQ(county_->history(fids[0]).back().actor, centre_.id);
  const Incident edited = county_->incident(fids[1]);
  EXPECT_EQ(edited.description, "edited meanwhile");
  EXPECT_TRUE(edited.assignee.empty());
  EXPECT_EQ(edited.status, "reported");
  std::size_t skipped = 0, assigned = 0;
  for (const auto& a : r.assignments) {
    const Incident cur = county_->incident(a.fid);
    if (!a.skipped.empty()) {
      ++skipped;
      EXPECT_TRUE(a.worker_id.empty());
      continue;
    }
    if (a.worker_id.empty()) continue;
    ++assigned;
    EXPECT_EQ(cur.assignee, a.worker_id);
    EXPECT_EQ(json::parse(cur.dispatch_reason)["rule"], "batch");
  }
  EXPECT_EQ(skipped, r.skipped);
  EXPECT_EQ(assigned, r.assigned);
  EXPECT_GE(r.skipped, 2u);  // the two incidents, and what FT2 could no longer take
  // Nobody over the cap, counted from the records.
  std::map<std::string, int> load;
  for (const auto& in : county_->data().incidents)
    if (!in.assignee.empty() && in_workload(in)) ++load[in.assignee];
  for (const auto& [id, n] : load) {
    EXPECT_LE(n, 3) << id;
    EXPECT_EQ(county_->workload(id), n) << id;
  }
  // Memory and disk agree.
  const Dataset disk = open_store(path_, false)->load();
  for (const auto& in : disk.incidents) {
    const Incident mem = county_->incident(in.fid);
    EXPECT_EQ(in.assignee, mem.assignee) << in.fid;
    EXPECT_EQ(in.version, mem.version) << in.fid;
    EXPECT_EQ(in.description, mem.description) << in.fid;
  }
}

TEST(DispatchIsolation, ReadersAreNotBlockedWhileALargeBatchSolves) {
  // 8,000 incidents and 2,000 workers over the test county, any worker for any incident: a
  // solve of a few hundred milliseconds. A reader takes the read lock over and over meanwhile.
  const TempDir dir;
  const std::string path = dir.file("county.gpkg");
  {
    Dataset d = onemap::testing::small_county();
    d.incidents.clear();
    d.workers.clear();
    const GridJoiner joiner(d.grids);
    std::mt19937_64 rng(99);
    std::uniform_real_distribution<double> lon(120.0, 120.4), lat(30.0, 30.2);
    for (int k = 0; k < 2000; ++k) {
      Worker w =
          team_member(("W" + std::to_string(k)).c_str(), WorkerRole::FullTime, lon(rng), lat(rng));
      w.grid_code = joiner.join(w.location).grid_code;
      d.workers.push_back(w);
    }
    for (int k = 0; k < 8000; ++k) {
      Incident in;
      in.location = {lon(rng), lat(rng)};
      in.category = "0101";
      in.status = "reported";
      in.source = "other";
      in.reported_at = 1790000000;
      in.version = 1;
      in.join = joiner.join(in.location);
      d.incidents.push_back(in);
    }
    open_store(path, true)->replace_all(d);
  }
  County county(open_store(path, false), JoinOptions{}, TileConfig::defaults(), test_config(5));
  std::atomic<bool> solving{true};
  county.set_commit_hook([&](std::string_view) { solving = false; });
  double max_wait = 0;
  std::size_t reads = 0;
  std::thread reader([&] {
    while (solving) {
      const auto t0 = std::chrono::steady_clock::now();
      { auto lock = county.read(); }
      max_wait = std::max(
          max_wait, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      ++reads;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  });
  const Actor admin = actor("admin", "admin");
  const BatchResult r = county.batch_dispatch("", "county", admin, 1790037000);
  solving = false;
  reader.join();
  const double solve = r.seconds - r.lock_seconds;
  std::printf(
      "[ bench    ] batch of %zu incidents × %zu workers: %.3f s in all, %.3f s holding the write "
      "lock "
      "(%.3f s at most at once); %zu reads during the solve, longest wait %.2f ms\n",
      r.incidents, r.workers, r.seconds, r.lock_seconds, r.longest_lock_seconds, reads,
      max_wait * 1e3);
  EXPECT_EQ(r.assigned, 8000u);  // 2,000 workers × 5 slots
  EXPECT_TRUE(r.proved_optimal);
  EXPECT_EQ(r.skipped, 0u);
  if (solve < 0.2)
    std::printf("[ note     ] a solve under 0.2 s on this machine: the comparison says less\n");
  EXPECT_GT(reads, 10u);
  EXPECT_LT(max_wait, solve / 2);
  EXPECT_LT(r.longest_lock_seconds, r.lock_seconds);  // committed in slices
}
