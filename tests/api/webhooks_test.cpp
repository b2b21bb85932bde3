// The outbox's pushes in process (api/webhooks.hpp, api/events.hpp): the signature checked against
// OpenSSL's HMAC() and RFC 4231, the bodies of webhooks and texts, what each viewer of GET /events
// hears of a row; and the deliverer against a subscriber on loopback: filters, a failure retried
// without skipping ahead, the cursor kept, and no secret or phone in its log.
#include "api/webhooks.hpp"
#include "api/events.hpp"

#include "auth/read_policy.hpp"
#include "layers/dispatch/dispatch_config.hpp"
#include "tests/support/county.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/webhook_receiver.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <nlohmann/json.hpp>

#include <mutex>
#include <thread>

using json = nlohmann::json;
using namespace onemap;
using namespace onemap::api;
using namespace onemap::layers;
using namespace onemap::testing;

namespace {

std::string openssl_hmac_hex(const std::string& key, const std::string& data) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &n);
  std::string out;
  char hex[3];
  for (unsigned i = 0; i < n; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", mac[i]);
    out += hex;
  }
  return out;
}

OutboxRow row_of(int64_t id, const std::string& action, const std::string& grid,
                 const std::string& category = "0101") {
  OutboxRow r;
  r.id = id;
  r.subject = "incident:7";
  r.action = action;
  r.area = grid;
  r.payload = json{
      {"subject", r.subject},
      {"seq", id},
      {"action", action},
      {"incident",
       {{"fid", 7},
        {"category", category},
        {"status", "reported"},
        {"grid_code", grid},
        {"agency", grid},
        {"lon", 120.03},
        {"lat",
         30.1}}}}.dump();
  return r;
}

}  // namespace

TEST(Webhooks, TheSignatureIsHmacSha256OfTheBody) {
  // RFC 4231 test case 2.
  EXPECT_EQ(webhook_signature("Jefe", "what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const std::string body = webhook_body(row_of(3, "report", kTeamGrid));
  EXPECT_EQ(webhook_signature("another secret", body),
            "sha256=" + openssl_hmac_hex("another secret", body));
}

TEST(Webhooks, TheBodyIsTheRowWithItsPayload) {
  const json b = json::parse(webhook_body(row_of(3, "close", kTeamGrid)));
  EXPECT_EQ(b["id"], 3);
  EXPECT_EQ(b["subject"], "incident:7");
  EXPECT_EQ(b["action"], "close");
  EXPECT_EQ(b["area"], kTeamGrid);
  EXPECT_EQ(b["seq"], 3);
  EXPECT_EQ(b["incident"]["fid"], 7);
}

TEST(Webhooks, TextsGoToTheResidentAndEveryFollowerOnce) {
  const std::string extra =
      json{{"contact", {{"first_name", "三"}, {"phone", "13800000001"}}},
           {"followers",
            json::array({{{"phone", "13800000002"}}, {{"phone", "13800000001"}}, {{"name", "x"}}})}}
          .dump();
  const auto received = sms_bodies(row_of(1, "report", kTeamGrid), 7, extra);
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(json::parse(received[0])["to"], "13800000001");
  EXPECT_EQ(json::parse(received[1])["to"], "13800000002");
  EXPECT_EQ(json::parse(received[0])["case"], "incident:7");
  EXPECT_NE(json::parse(received[0])["text"].get<std::string>().find("（编号 7）已受理"),
            std::string::npos);
  const auto closed = sms_bodies(row_of(9, "close", kTeamGrid), 7, extra);
  EXPECT_NE(json::parse(closed[0])["text"].get<std::string>().find("已办结"), std::string::npos);
  EXPECT_TRUE(sms_bodies(row_of(1, "report", kTeamGrid), 7, "").empty());
  EXPECT_TRUE(sms_bodies(row_of(1, "report", kTeamGrid), 7, "{\"contact\":{}}").empty());
}

class Pushes : public ::testing::Test {
 protected:
  void SetUp() override {
    county_ = std::make_shared<County>(open_store(write_dispatch_county(dir_.path()), false),
                                       JoinOptions{}, TileConfig::defaults(),
                                       DispatchConfig::load(dispatch_config_path()));
  }
  Incident intake(double lon, const std::string& phone = "") {
    Incident in;
    in.category = "0101";
    in.location = {lon, 30.11};
    if (!phone.empty()) in.extra = json{{"contact", {{"phone", phone}}}}.dump();
    Actor app;
    app.id = "app";
    app.role = "reporter";
    return county_->intake(in, app);
  }
  TempDir dir_;
  std::shared_ptr<County> county_;
};

TEST_F(Pushes, EachViewerHearsOfWhatItMayRead) {
  const auth::ReadPolicy& policy = auth::ReadPolicy::standard();
  Actor centre;
  centre.id = "c";
  centre.role = "centre";
  centre.scope = "330521001001002";
  const auth::Viewer scoped = policy.viewer(centre), anyone = policy.viewer(std::nullopt);
  const OutboxRow mine = row_of(1, "report", "330521001001002"),
                  other = row_of(2, "report", kTeamGrid);
  EXPECT_TRUE(event_message(*county_, scoped, mine));
  EXPECT_FALSE(event_message(*county_, scoped, other));  // another grid's case
  const auto message = event_message(*county_, anyone, other);
  ASSERT_TRUE(message);
  EXPECT_EQ(message->rfind("id: 2\ndata: {", 0), 0u) << *message;
  EXPECT_EQ(message->substr(message->size() - 2), "\n\n");
  // A sensitive category (信访) is not the public's to hear of, but its area's staff's.
  const OutboxRow petition = row_of(3, "report", "330521001001002", "0801");
  EXPECT_FALSE(event_message(*county_, anyone, petition));
  EXPECT_TRUE(event_message(*county_, scoped, petition));
  // Another subject's row: staff only, inside their area.
  OutboxRow ticket;
  ticket.id = 4;
  ticket.subject = "ticket:7";
  ticket.action = "open";
  ticket.area = "330521001001002";
  ticket.payload = "{}";
  EXPECT_FALSE(event_message(*county_, anyone, ticket));
  EXPECT_TRUE(event_message(*county_, scoped, ticket));
  ticket.area = kTeamGrid;
  EXPECT_FALSE(event_message(*county_, scoped, ticket));
}

TEST_F(Pushes, TheDelivererRetriesWithoutSkippingAheadAndLogsNoSecret) {
  // The first two POSTs fail; the rest succeed.
  WebhookReceiver hook([](std::size_t n, const Delivery&) { return n < 2 ? 500 : 200; });
  WebhookReceiver sms;
  {
    auto store = open_store(county_->location(), false);
    Subscriber s;
    s.name = "reports";
    s.url = hook.url();
    s.secret = "the-secret-never-logged";
    s.actions = {"report"};
    store->put_subscriber(s);
    Subscriber gateway = s;
    gateway.name = "gateway";
    gateway.kind = std::string(kSms);
    gateway.url = sms.url();
    gateway.actions.clear();
    store->put_subscriber(gateway);
  }
  std::mutex mu;
  std::string log;
  WebhookDeliverer::Options options;
  options.first_retry = std::chrono::milliseconds(20);
  options.max_retry = std::chrono::milliseconds(50);
  {
    WebhookDeliverer deliverer(county_, options, [&](const std::string& line, bool) {
      std::lock_guard lock(mu);
      log += line + "\n";
    });
    const Incident a = intake(120.036, "13700000000"), b = intake(120.07);
    ASSERT_TRUE(
        hook.wait_for([](const auto& ds) { return ds.size() >= 4; }, std::chrono::seconds(20)));
    ASSERT_TRUE(
        sms.wait_for([](const auto& ds) { return ds.size() >= 1; }, std::chrono::seconds(20)));
    const auto ds = hook.deliveries();
    // The failed row is sent again before the next one: a's report three times, then b's.
    for (std::size_t k = 0; k < 3; ++k)
      EXPECT_EQ(json::parse(ds[k].body)["subject"], incident_subject(a.fid)) << k;
    EXPECT_EQ(json::parse(ds[3].body)["subject"], incident_subject(b.fid));
    for (const auto& d : ds) {
      EXPECT_EQ(json::parse(d.body)["action"], "report");  // dispatch is not its action
      EXPECT_EQ(d.headers.at("x-onemap-signature"),
                "sha256=" + openssl_hmac_hex("the-secret-never-logged", d.body));
    }
    EXPECT_EQ(json::parse(sms.deliveries()[0].body)["to"], "13700000000");
    // The cursors move past every row, those a subscriber does not take too.
    auto store = open_store(county_->location(), false);
    const int64_t last = store->last_outbox_id();
    const auto t0 = std::chrono::steady_clock::now();
    auto behind = [&] {
      for (const auto& s : store->load_subscribers())
        if (s.delivered != last) return true;
      return false;
    };
    while (behind() && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10))
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_FALSE(behind());
  }
  EXPECT_NE(log.find("retrying"), std::string::npos);
  EXPECT_EQ(log.find("the-secret-never-logged"), std::string::npos);
  EXPECT_EQ(log.find("13700000000"), std::string::npos);
  EXPECT_EQ(log.find(hook.url()), std::string::npos);
  EXPECT_EQ(sms.deliveries().size(), 1u);  // b has no phone
}
