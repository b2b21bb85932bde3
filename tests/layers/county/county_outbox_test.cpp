// The outbox (layers/model/outbox.hpp) on a real GeoPackage: one row per event of the closed loop,
// written in the transaction of the change it reports (a failed write leaves neither), public
// content only; and the subscribers' filters and cursors.
#include "layers/county/county.hpp"

#include "core/errors.hpp"
#include "tests/layers/county/dispatch_fixture.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <string>
#include <vector>

using json = nlohmann::json;
using namespace onemap;
using namespace onemap::layers;
using namespace onemap::testing;

TEST_F(Dispatch, EveryEventOfTheLoopHasOneOutboxRowInOrder) {
  const Incident in = intake(120.036, 30.11);
  const Actor w = worker_actor(*county_, in.assignee);
  int64_t t = kNow;
  county_->transition(in.fid, {Action::Accept, "on my way", {}, {}, t += 60}, w);
  county_->transition(in.fid, {Action::Start, "", {}, {}, t += 60}, w);
  county_->transition(in.fid, {Action::Resolve, "cleared by 张三 13800000000", {}, {}, t += 60}, w);
  const auto store = open_store(path_, false);
  const std::vector<OutboxRow> rows = store->load_outbox(0, 100);
  const std::vector<IncidentEvent> trail = county_->history(in.fid);
  ASSERT_EQ(rows.size(), trail.size());
  for (std::size_t k = 0; k < rows.size(); ++k) {
    SCOPED_TRACE(k);
    EXPECT_EQ(rows[k].subject, "incident:" + std::to_string(in.fid));
    EXPECT_EQ(rows[k].action, trail[k].action);
    EXPECT_EQ(rows[k].area, kG1);
    EXPECT_EQ(rows[k].at, trail[k].at);
    if (k) {
      EXPECT_GT(rows[k].id, rows[k - 1].id);
    }
    const json p = json::parse(rows[k].payload);
    EXPECT_EQ(p["seq"], trail[k].seq);
    EXPECT_EQ(p["to"], trail[k].to);
    EXPECT_EQ(p["incident"]["fid"], in.fid);
    EXPECT_EQ(p["incident"]["grid_code"], kG1);
    // Public content only: no actor, note, reporter or assignee.
    EXPECT_EQ(rows[k].payload.find("13800000000"), std::string::npos);
    EXPECT_FALSE(p.contains("actor"));
    EXPECT_FALSE(p.contains("note"));
    EXPECT_FALSE(p["incident"].contains("assignee"));
  }
  EXPECT_EQ(store->load_outbox(rows[1].id, 100).size(), rows.size() - 2);
  EXPECT_EQ(store->load_outbox(0, 2).size(), 2u);
}

TEST_F(Dispatch, AFailedWriteLeavesNeitherTheChangeNorItsOutboxRow) {
  const Incident in = intake(120.036, 30.11);
  auto store = open_store(path_, false);
  const std::size_t before = store->load_outbox(0, 1000).size();
  // An event that repeats a stored one's key fails the batch: the incident's change and the
  // outbox row it would have had are both left out.
  Incident changed = in;
  changed.status = "accepted";
  IncidentEvent repeated;
  repeated.incident = in.fid;
  repeated.seq = 1;
  repeated.action = "accept";
  Store::Batch b;
  b.incidents.push_back(&changed);
  b.events.push_back({&repeated});
  b.outbox.emplace_back([&] {
    OutboxRow r;
    r.subject = incident_subject(in.fid);
    r.action = "accept";
    r.payload = "{}";
    return r;
  });
  EXPECT_THROW(store->put(b), StoreError);
  EXPECT_EQ(store->load_outbox(0, 1000).size(), before);
  // An outbox row that cannot be made fails the change with it.
  Incident fresh;
  fresh.category = "0101";
  fresh.location = {120.03, 30.1};
  Store::Batch c;
  c.incidents.push_back(&fresh);
  c.outbox.emplace_back([]() -> OutboxRow { throw StoreError("no row"); });
  EXPECT_THROW(store->put(c), StoreError);
  EXPECT_EQ(fresh.fid, 0);
  EXPECT_EQ(store->load().incidents.size(), 1u);
  EXPECT_EQ(store->load_outbox(0, 1000).size(), before);
}

TEST(Outbox, SubscribersTakeTheirActionsInTheirArea) {
  OutboxRow row;
  row.subject = "incident:1";
  row.action = "close";
  row.area = "330521001001001";
  Subscriber all;
  EXPECT_TRUE(wants(all, row));
  Subscriber town;
  town.area = "330521001";
  EXPECT_TRUE(wants(town, row));
  town.area = "330521002";
  EXPECT_FALSE(wants(town, row));
  Subscriber reports;
  reports.actions = {"report"};
  EXPECT_FALSE(wants(reports, row));
  reports.actions.push_back("close");
  EXPECT_TRUE(wants(reports, row));
  Subscriber sms;
  sms.kind = std::string(kSms);
  EXPECT_TRUE(wants(sms, row));
  row.action = "dispatch";
  EXPECT_FALSE(wants(sms, row));  // texts go out on report and close only
  row.action = "merge";
  EXPECT_FALSE(wants(sms, row));  // a report merged into the case is its own reporter's news
  // A ticket of the intake queue: received, merged or rejected (admitted: as its case).
  row.subject = "ticket:3";
  for (const char* a : {"receive", "merge", "reject"}) {
    row.action = a;
    EXPECT_TRUE(wants(sms, row)) << a;
  }
  row.action = "admit";
  EXPECT_FALSE(wants(sms, row));
}

TEST_F(Dispatch, ASubscriberStartsAtTheEndAndKeepsItsCursor) {
  intake(120.036, 30.11);
  auto store = open_store(path_, false);
  const int64_t last = store->load_outbox(0, 1000).back().id;
  Subscriber s;
  s.name = "hook";
  s.url = "http://127.0.0.1:9/x";
  s.secret = "s3cret";
  s.actions = {"report", "close"};
  s.area = "330521";
  store->put_subscriber(s);
  auto subs = store->load_subscribers();
  ASSERT_EQ(subs.size(), 1u);
  EXPECT_EQ(subs[0].delivered, last);
  EXPECT_EQ(subs[0].actions, s.actions);
  EXPECT_EQ(subs[0].secret, "s3cret");
  store->record_delivery("hook", last + 5);
  store->record_delivery("hook", last + 2);  // never back
  s.url = "http://127.0.0.1:9/y";
  store->put_subscriber(s);  // a new definition keeps the cursor
  subs = store->load_subscribers();
  EXPECT_EQ(subs[0].delivered, last + 5);
  EXPECT_EQ(subs[0].url, "http://127.0.0.1:9/y");
  store->drop_subscriber("hook");
  EXPECT_TRUE(store->load_subscribers().empty());
  EXPECT_THROW(store->drop_subscriber("hook"), StoreError);
}
