// The loop's metrics (layers/county/county_metrics.cpp) against a direct count over the records,
// by area and category.
#include "layers/county/county.hpp"

#include "tests/layers/county/dispatch_fixture.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

using namespace onemap;
using namespace onemap::layers;
using namespace onemap::testing;

TEST_F(Dispatch, MetricsMatchADirectCount) {
  int64_t t = kNow;
  std::vector<Incident> made;
  for (int k = 0; k < 6; ++k)
    made.push_back(intake(120.01 + 0.01 * k, 30.05 + 0.02 * k, "0101", t += 600));
  made.push_back(intake(120.3, 30.1, "0501", t += 600));
  // Close three: two on time, one late.
  for (int k = 0; k < 3; ++k) {
    const Incident& in = made[static_cast<std::size_t>(k)];
    if (in.assignee.empty()) continue;
    const Actor w = worker_actor(*county_, in.assignee);
    const int64_t at = k < 2 ? in.deadline - 60 : in.deadline + 3600;
    county_->transition(in.fid, {Action::Accept, "", {}, {}, at}, w);
    county_->transition(in.fid, {Action::Resolve, "", {}, {}, at}, w);
    county_->transition(in.fid, {Action::Verify, "", {}, {}, at}, centre_);
    county_->transition(in.fid, {Action::Close, "", {}, {}, at}, centre_);
  }
  const int64_t now = t + 86400 * 3;
  for (const std::string area : {"", "330521001", "330521002", "330521001001001"}) {
    for (const std::string cat : {"", "0101"}) {
      const LoopMetrics m = county_->metrics(area, cat, 0, 0, now);
      std::size_t total = 0, closed = 0, open = 0, overdue = 0, dl = 0, on_time = 0;
      std::vector<double> hours;
      for (const auto& i : county_->data().incidents) {
        if (!area.empty() && i.join.grid_code.rfind(area, 0) != 0 && i.agency.rfind(area, 0) != 0)
          continue;
        if (!cat.empty() && i.category != cat) continue;
        ++total;
        if (i.status == "closed") {
          ++closed;
          hours.push_back((i.closed_at - i.reported_at) / 3600.0);
          if (i.deadline) ++dl, on_time += i.closed_at <= i.deadline;
        } else if (i.status != "resolved" && i.status != "verified") {
          ++open;
          overdue += i.overdue || (i.deadline && i.deadline < now);
        }
      }
      EXPECT_EQ(m.total, total) << area << cat;
      EXPECT_EQ(m.closed, closed);
      EXPECT_EQ(m.open, open);
      EXPECT_EQ(m.overdue, overdue);
      EXPECT_EQ(m.on_time, on_time);
      EXPECT_EQ(m.with_deadline_closed, dl);
      if (total) {
        EXPECT_DOUBLE_EQ(m.closure_rate, static_cast<double>(closed) / total);
      }
      if (!hours.empty()) {
        std::sort(hours.begin(), hours.end());
        const double med = hours.size() % 2
                               ? hours[hours.size() / 2]
                               : (hours[hours.size() / 2 - 1] + hours[hours.size() / 2]) / 2;
        ASSERT_TRUE(m.median_hours_to_close.has_value());
        EXPECT_DOUBLE_EQ(*m.median_hours_to_close, med);
      }
    }
  }
  const LoopMetrics all = county_->metrics("", "", 0, 0, now);
  EXPECT_EQ(all.closed, 3u);
  EXPECT_EQ(all.on_time, 2u);
}

// 有效率, 及时率, returns, reopenings and the stages' medians on a window whose every step the test
// takes itself, so that it knows what each figure must be; the tickets counted apart.
TEST_F(Dispatch, TheFiguresTheCountyIsJudgedByFollowTheTrail) {
  open(10);
  int64_t t = kNow;
  std::vector<Incident> made;
  for (int k = 0; k < 6; ++k) made.push_back(intake(120.01 + 0.005 * k, 30.1, "0101", t += 60));
  for (const auto& in : made) ASSERT_FALSE(in.assignee.empty());
  auto step = [&](const Incident& in, Action a, int64_t at, const Actor& who) {
    county_->transition(in.fid, {a, a == Action::Return ? "not mine" : "", {}, {}, at}, who);
  };
  auto worker = [&](const Incident& in) { return worker_actor(*county_, in.assignee); };
  // Each accepted 10 minutes after its report, resolved on time but for B (an hour late).
  for (std::size_t k = 0; k < 5; ++k)
    step(made[k], Action::Accept, made[k].reported_at + 600, worker(made[k]));
  const Incident &a = made[0], &b = made[1], &c = made[2], &d = made[3], &e = made[4];
  step(a, Action::Resolve, a.deadline - 60, worker(a));
  step(b, Action::Resolve, b.deadline + 3600, worker(b));
  step(c, Action::Resolve, c.deadline - 60, worker(c));
  step(e, Action::Resolve, e.deadline - 60, worker(e));
  for (const Incident* x : {&a, &b, &e}) {
    step(*x, Action::Verify, x->deadline + 7200, centre_);
    step(*x, Action::Close, x->deadline + 7200 + 1800, centre_);
  }
  step(d, Action::Return, d.reported_at + 900, worker(d));  // D: sent back, open
  step(e, Action::Reopen, e.deadline + 86400, centre_);     // E: reopened, open again
  // F (made[5]) is left as routed.
  const LoopMetrics m = county_->metrics("", "", 0, 0, e.deadline + 86400 + 60);
  EXPECT_EQ(m.total, 6u);
  EXPECT_EQ(m.handled, 3u);  // A, B (closed), C (resolved)
  EXPECT_EQ(m.handled_with_deadline, 3u);
  EXPECT_EQ(m.handled_on_time, 2u);  // not B
  EXPECT_DOUBLE_EQ(m.effective_rate, 3.0 / 6);
  EXPECT_DOUBLE_EQ(m.timely_rate, 2.0 / 3);
  EXPECT_EQ(m.returned, 1u);
  EXPECT_EQ(m.reopened, 1u);
  EXPECT_DOUBLE_EQ(m.return_rate, 1.0 / 6);
  EXPECT_DOUBLE_EQ(m.reopen_rate, 1.0 / 3);
  // Dispatched at the report (intake routes at once); accepted 10 minutes later; verified two
  // hours past the deadline and closed half an hour after.
  ASSERT_TRUE(m.median_stage_hours[0] && m.median_stage_hours[1] && m.median_stage_hours[4]);
  EXPECT_DOUBLE_EQ(*m.median_stage_hours[0], 0);
  EXPECT_DOUBLE_EQ(*m.median_stage_hours[1], 600 / 3600.0);
  EXPECT_DOUBLE_EQ(*m.median_stage_hours[4], 0.5);
  // Resolve → verify: A's and E's deadline - 60 → deadline + 7200, B's deadline + 3600 → + 7200.
  std::vector<double> verify = {7260 / 3600.0, 7260 / 3600.0, 3600 / 3600.0};
  std::sort(verify.begin(), verify.end());
  EXPECT_DOUBLE_EQ(*m.median_stage_hours[3], verify[1]);

  // Reports the centre rejected or left waiting are no incidents: counted apart.
  for (const char* address : {"不存在的村1号", "不存在的村2号"}) {
    Report r;
    r.incident.category = "0101";
    r.incident.address = address;
    ASSERT_TRUE(county_->receive(r, reporter_, t += 60).ticket);
  }
  const int64_t first = county_->tickets(admin_, "pending", 10, 0).tickets.back().id;
  TicketDecision no;
  no.action = triage::TicketAction::Reject;
  no.note = "无效来电";
  county_->decide(first, no, admin_);
  const TicketCounts tickets = county_->ticket_counts("", 0, 0);
  EXPECT_EQ(tickets.received, 2u);
  EXPECT_EQ(tickets.pending, 1u);
  EXPECT_EQ(tickets.rejected, 1u);
  EXPECT_EQ(tickets.admitted + tickets.merged, 0u);
  EXPECT_EQ(county_->metrics("", "", 0, 0, t).total, 6u);
}
