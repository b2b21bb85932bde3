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
