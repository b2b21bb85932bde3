// The closed loop (layers/county/county_loop.cpp, County::transition) on a real GeoPackage: every
// step recorded in the trail and kept across a restart, stale versions and states losing with a
// conflict, and a returned incident dispatched to someone else.
#include "layers/county/county.hpp"

#include "core/errors.hpp"
#include "tests/layers/county/dispatch_fixture.hpp"
#include "tests/support/thrown.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

using json = nlohmann::json;
using namespace onemap;
using namespace onemap::layers;
using namespace onemap::testing;

TEST_F(Dispatch, TheClosedLoopIsRecordedAndSurvivesARestart) {
  const Incident in = intake(120.036, 30.11);
  const Actor w = worker_actor(*county_, in.assignee);
  int64_t t = kNow;
  EXPECT_EQ(
      county_->transition(in.fid, {Action::Accept, "on my way", {}, in.version, t += 60}, w).status,
      "accepted");
  EXPECT_EQ(county_->transition(in.fid, {Action::Start, "", {}, {}, t += 60}, w).status,
            "in_progress");
  const Incident resolved =
      county_->transition(in.fid, {Action::Resolve, "cleared", {}, {}, t += 600}, w);
  EXPECT_EQ(resolved.handler, w.id);
  // 报办分离: the handler may not verify (nor may a worker who is no grid head at all).
  EXPECT_THROW(county_->transition(in.fid, {Action::Verify, "", {}, {}, t}, w), Forbidden);
  Actor reporter_centre = centre_;
  reporter_centre.id = "app";
  EXPECT_THROW(county_->transition(in.fid, {Action::Verify, "", {}, {}, t}, reporter_centre),
               Forbidden);
  EXPECT_EQ(
      county_->transition(in.fid, {Action::Verify, "checked", {}, {}, t += 60}, centre_).status,
      "verified");
  const Incident closed =
      county_->transition(in.fid, {Action::Close, "", {}, {}, t += 60}, centre_);
  EXPECT_EQ(closed.status, "closed");
  EXPECT_EQ(closed.closed_at, t);
  EXPECT_EQ(closed.version, in.version + 5);
  EXPECT_EQ(county_->workload(w.worker_id), 0);
  const std::vector<std::string> actions = {"report",  "dispatch", "accept", "start",
                                            "resolve", "verify",   "close"};
  auto check_trail = [&](const std::vector<IncidentEvent>& h) {
    ASSERT_EQ(h.size(), actions.size());
    for (std::size_t k = 0; k < h.size(); ++k) {
      EXPECT_EQ(h[k].action, actions[k]);
      EXPECT_EQ(h[k].seq, static_cast<int64_t>(k + 1));
      if (k) {
        EXPECT_EQ(h[k].from, h[k - 1].to);
      }
    }
    EXPECT_EQ(h[2].note, "on my way");
    EXPECT_EQ(h[4].actor, w.id);
    EXPECT_EQ(h[5].actor, "centre-1");
  };
  check_trail(county_->history(in.fid));
  // Everything is in the store: a new county reads the same.
  reopen();
  check_trail(county_->history(in.fid));
  const Incident back = county_->incident(in.fid);
  EXPECT_EQ(back.status, "closed");
  EXPECT_EQ(back.version, closed.version);
  EXPECT_EQ(back.deadline, closed.deadline);
  EXPECT_EQ(back.dispatch_reason, closed.dispatch_reason);
  EXPECT_EQ(back.handler, w.id);
  EXPECT_EQ(back.reporter, "app");
  // Reopened: a new deadline, back into the loop.
  const Incident re =
      county_->transition(in.fid, {Action::Reopen, "still dirty", {}, {}, t += 3600}, centre_);
  EXPECT_EQ(re.status, "reopened");
  EXPECT_EQ(re.closed_at, 0);
  EXPECT_EQ(county_->transition(in.fid, {Action::Dispatch, "", {}, {}, t}, centre_).status,
            "dispatched");
}

TEST_F(Dispatch, AStaleVersionOrStateLosesWithAConflictAndChangesNothing) {
  const Incident in = intake(120.036, 30.11);
  const Actor w = worker_actor(*county_, in.assignee);
  county_->transition(in.fid, {Action::Accept, "", {}, in.version, kNow + 1}, w);
  const auto before = county_->history(in.fid).size();
  EXPECT_THROW(county_->transition(in.fid, {Action::Start, "", {}, in.version, kNow + 2}, w),
               Conflict);
  EXPECT_THROW(county_->transition(in.fid, {Action::Verify, "", {}, {}, kNow + 2}, centre_),
               Conflict);
  EXPECT_EQ(county_->history(in.fid).size(), before);
  EXPECT_EQ(county_->incident(in.fid).status, "accepted");
  // Two threads race for the same version: exactly one wins.
  const Incident cur = county_->incident(in.fid);
  std::atomic<int> wins{0}, conflicts{0};
  std::vector<std::thread> threads;
  for (int k = 0; k < 8; ++k)
    threads.emplace_back([&] {
      try {
        county_->transition(in.fid, {Action::Start, "", {}, cur.version, kNow + 3}, w);
        ++wins;
      } catch (const Conflict&) {
        ++conflicts;
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(wins.load(), 1);
  EXPECT_EQ(conflicts.load(), 7);
  EXPECT_EQ(county_->history(in.fid).size(), before + 1);
}

TEST_F(Dispatch, AReturnedIncidentIsRedispatchedToSomeoneElse) {
  const Incident in = intake(120.036, 30.11);
  ASSERT_EQ(in.assignee, "FT2");
  const Actor w = worker_actor(*county_, "FT2");
  EXPECT_EQ(refused([&] { county_->transition(in.fid, {Action::Return}, w); }), "note");
  const Incident ret =
      county_->transition(in.fid, {Action::Return, "not in my patch", {}, {}, kNow + 60}, w);
  EXPECT_EQ(ret.status, "returned");
  EXPECT_TRUE(ret.assignee.empty());
  EXPECT_EQ(county_->workload("FT2"), 0);
  const Incident again =
      county_->transition(in.fid, {Action::Dispatch, "", {}, {}, kNow + 120}, centre_);
  EXPECT_EQ(again.status, "dispatched");
  EXPECT_EQ(again.assignee, "FT1");  // the next nearest eligible: FT2 returned it
  bool noted = false;
  const json reason = json::parse(again.dispatch_reason);
  for (const auto& s : reason["skipped"]) noted |= s["why"] == "returned it";
  EXPECT_TRUE(noted);
  // A manual dispatch names the worker; an ineligible or unknown one is refused.
  EXPECT_THROW(county_->transition(in.fid, {Action::Dispatch, "", std::string("AUX")}, centre_),
               InvalidArgument);
  EXPECT_THROW(county_->transition(in.fid, {Action::Dispatch, "", std::string("NOBODY")}, centre_),
               InvalidArgument);
  EXPECT_EQ(
      county_->transition(in.fid, {Action::Dispatch, "", std::string("FT2")}, centre_).assignee,
      "FT2");
}
