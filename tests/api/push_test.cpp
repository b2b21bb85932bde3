// Push, never poll (README): the real binary's outbox pushed to a webhook on loopback through a
// burst of intakes and transitions with the server killed (SIGKILL) in the middle and restarted,
// every event delivered at least once, in order per case, signed; the SMS gateway's texts; and
// GET /events streamed live, by scope, resumed by Last-Event-ID, bounded.
#include "tests/support/county.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/loop_burst.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/webhook_receiver.hpp"

#include "layers/store/store.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <nlohmann/json.hpp>

#include <csignal>

#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using json = nlohmann::json;
using namespace onemap;
using namespace onemap::testing;

namespace {

constexpr const char* kSecret = "a-signing-secret-of-the-tests";
constexpr const char* kPhone = "13912345678";

// The signature computed here, with OpenSSL's HMAC(), independently of the server.
std::string expected_signature(const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  HMAC(EVP_sha256(), kSecret, static_cast<int>(std::strlen(kSecret)),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &n);
  std::string out = "sha256=";
  char hex[3];
  for (unsigned i = 0; i < n; ++i) {
    std::snprintf(hex, sizeof hex, "%02x", mac[i]);
    out += hex;
  }
  return out;
}

std::string intake_form(const std::string& key, double lon, double lat,
                        const std::string& phone = "") {
  std::vector<std::pair<std::string, std::string>> fields = {{"api_key", key},
                                                             {"service_code", "0101"},
                                                             {"lat", std::to_string(lat)},
                                                             {"long", std::to_string(lon)},
                                                             {"description", "burst"}};
  if (!phone.empty()) fields.emplace_back("phone", phone);
  return form_body(fields);
}

// Takes incident `id` through the loop to closed: the admin handles it, `centre` (a centre user's
// token: 报办分离) verifies and closes it.
void close_case(HttpConnection& c, const std::string& id, const std::string& centre) {
  for (const auto& [action, token] :
       std::vector<std::pair<std::string, std::string>>{{"accept", kAdminToken},
                                                        {"start", kAdminToken},
                                                        {"resolve", kAdminToken},
                                                        {"verify", centre},
                                                        {"close", centre}}) {
    const HttpResponse t =
        c.send("POST", "/incidents/" + id + "/actions", json{{"action", action}}.dump(), token);
    ASSERT_EQ(t.status, 200) << action << " " << t.body;
  }
}

class Push : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = write_dispatch_county(dir_.path());
    const CommandResult add =
        run_user_command(store_, {"add", "--id", "app", "--role", "reporter"});
    ASSERT_EQ(add.exit_code, 0) << add.err;
    app_ = add.out;
  }
  std::vector<std::string> args(std::vector<std::string> more = {}) const {
    std::vector<std::string> a = {"--data",
                                  store_,
                                  "--config",
                                  dispatch_config_path(),
                                  "--write-token-file",
                                  admin_token_file(dir_.path()),
                                  "--sweep-interval",
                                  "0",
                                  "--webhook-max-retry",
                                  "1"};
    a.insert(a.end(), more.begin(), more.end());
    return a;
  }
  TempDir dir_;
  std::string store_, app_;
};

}  // namespace

TEST_F(Push, EveryEventReachesTheWebhookInOrderSignedThroughASigkill) {
  // One POST in 23 fails: the deliverer retries it, and holds the later ones back.
  WebhookReceiver hook([](std::size_t n, const Delivery&) { return n % 23 == 5 ? 500 : 200; });
  add_subscriber(dir_.path(), store_, "hook", hook.url(), kSecret);

  // What the clients saw acknowledged: the events of each case, by seq (intake: report and
  // dispatch; each action one more).
  std::map<std::string, int64_t> acked_seq;
  std::mutex mu;
  int acks = 0;
  {
    ServerProcess server(args(), dir_.file("serve-1.log"));
    LoopBurst burst(server.port(), app_, 3, [&](const LoopAck& a) {
      std::lock_guard lk(mu);
      acked_seq["incident:" + std::to_string(a.id)] = a.version + 1;  // intake: seq 2, version 1
    });
    const auto t0 = std::chrono::steady_clock::now();
    while (burst.acks() < 400 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(90))
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ::kill(server.pid(), SIGKILL);
    burst.stop();
    EXPECT_FALSE(server.stop(SIGKILL, std::chrono::seconds(5)).has_value());
    acks = burst.acks();
  }
  ASSERT_GE(acks, 400);
  ASSERT_GE(acked_seq.size(), 50u);

  // Restarted, the server delivers the rest: every row of the outbox gets a 2xx.
  ServerProcess again(args(), dir_.file("serve-2.log"));
  const auto outbox = layers::open_store(store_, false)->load_outbox(0, 1000000);
  ASSERT_FALSE(outbox.empty());
  auto delivered_ids = [](const std::vector<Delivery>& ds) {
    std::set<int64_t> ids;
    for (const auto& d : ds)
      if (d.answered == 200) ids.insert(json::parse(d.body)["id"].get<int64_t>());
    return ids;
  };
  ASSERT_TRUE(hook.wait_for(
      [&](const std::vector<Delivery>& ds) {
        return delivered_ids(ds).count(outbox.back().id) > 0 &&
               delivered_ids(ds).size() >= outbox.size();
      },
      std::chrono::seconds(120)))
      << "delivered " << delivered_ids(hook.deliveries()).size() << " of " << outbox.size();

  const std::vector<Delivery> deliveries = hook.deliveries();
  std::map<std::string, int64_t> highest;  // subject → the highest seq delivered
  std::size_t retried = 0;
  for (const Delivery& d : deliveries) {
    EXPECT_EQ(d.headers.at("x-onemap-signature"), expected_signature(d.body));
    if (d.answered != 200) {
      ++retried;
      continue;
    }
    const json j = json::parse(d.body);
    const std::string subject = j["subject"];
    const int64_t seq = j["seq"];
    // In order per case: a case's next event only after the one before it (a repeat, after a
    // retry or a restart, is at least once).
    EXPECT_LE(seq, highest[subject] + 1)
        << subject << " seq " << seq << " came before " << highest[subject] + 1;
    highest[subject] = std::max(highest[subject], seq);
  }
  EXPECT_GT(retried, 0u);
  // Every acknowledged event, and every event in the outbox, was delivered.
  for (const auto& [subject, seq] : acked_seq) EXPECT_GE(highest[subject], seq) << subject;
  for (const auto& row : outbox) {
    EXPECT_GE(highest[row.subject], json::parse(row.payload)["seq"].get<int64_t>()) << row.id;
  }
  // The secret is in no log.
  EXPECT_EQ(again.log().find(kSecret), std::string::npos);
  std::cout << "acknowledged before SIGKILL: " << acks << ", outbox rows: " << outbox.size()
            << ", POSTs: " << deliveries.size() << " (" << retried << " answered 500)\n";
}

TEST_F(Push, TheSmsGatewayTextsTheResidentOnReceiptAndClosure) {
  WebhookReceiver gateway;
  add_subscriber(dir_.path(), store_, "sms", gateway.url(), kSecret, "sms");
  const CommandResult centre = run_user_command(store_, {"add", "--id", "c1", "--role", "centre"});
  ASSERT_EQ(centre.exit_code, 0) << centre.err;
  ServerProcess server(args(), dir_.file("serve.log"));
  HttpConnection c(server.port());
  const HttpResponse r =
      c.send("POST", "/open311/v2/requests.json", intake_form(app_, 120.036, 30.11, kPhone), "",
             "application/x-www-form-urlencoded");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string id = json::parse(r.body)[0]["service_request_id"];
  ASSERT_TRUE(
      gateway.wait_for([](const auto& ds) { return ds.size() >= 1; }, std::chrono::seconds(20)));
  ASSERT_NO_FATAL_FAILURE(close_case(c, id, centre.out));
  ASSERT_TRUE(
      gateway.wait_for([](const auto& ds) { return ds.size() >= 2; }, std::chrono::seconds(20)));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // nothing else comes
  const auto texts = gateway.deliveries();
  ASSERT_EQ(texts.size(), 2u);  // received and closed; not the steps between
  const json received = json::parse(texts[0].body), closed = json::parse(texts[1].body);
  EXPECT_EQ(received["to"], kPhone);
  EXPECT_EQ(received["case"], "incident:" + id);
  EXPECT_NE(received["text"].get<std::string>().find("已受理"), std::string::npos);
  EXPECT_NE(received["text"].get<std::string>().find(id), std::string::npos);
  EXPECT_EQ(closed["to"], kPhone);
  EXPECT_NE(closed["text"].get<std::string>().find("已办结"), std::string::npos);
  EXPECT_EQ(texts[1].headers.at("x-onemap-signature"), expected_signature(texts[1].body));
  // The phone is personal: in no log, and not in the public stream's rows.
  EXPECT_EQ(server.log().find(kPhone), std::string::npos);
  for (const auto& row : layers::open_store(store_, false)->load_outbox(0, 1000))
    EXPECT_EQ(row.payload.find(kPhone), std::string::npos);
}

TEST_F(Push, AMergedReportsResidentHearsItWasReceivedMergedAndClosed) {
  WebhookReceiver gateway;
  add_subscriber(dir_.path(), store_, "sms", gateway.url(), kSecret, "sms");
  const CommandResult centre = run_user_command(store_, {"add", "--id", "c1", "--role", "centre"});
  ASSERT_EQ(centre.exit_code, 0) << centre.err;
  ServerProcess server(args(), dir_.file("serve.log"));
  HttpConnection c(server.port());
  // The case, reported by someone without a phone.
  const HttpResponse first =
      c.send("POST", "/open311/v2/requests.json", intake_form(app_, 120.036, 30.11), "",
             "application/x-www-form-urlencoded");
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string id = json::parse(first.body)[0]["service_request_id"];
  // A resident's call about it, with an address the county's gazetteer does not know: it waits.
  const HttpResponse call = c.send("POST", "/open311/v2/requests.json",
                                   form_body({{"api_key", app_},
                                              {"service_code", "0101"},
                                              {"address_string", "没有这个村8号"},
                                              {"phone", kPhone}}),
                                   "", "application/x-www-form-urlencoded");
  ASSERT_EQ(call.status, 202) << call.body;
  const std::string ticket = json::parse(call.body)[0]["token"];
  ASSERT_TRUE(
      gateway.wait_for([](const auto& ds) { return ds.size() >= 1; }, std::chrono::seconds(20)));
  const HttpResponse merged =
      c.send("POST", "/tickets/" + ticket + "/actions",
             json{{"action", "merge"}, {"into", std::stoll(id)}}.dump(), centre.out);
  ASSERT_EQ(merged.status, 200) << merged.body;
  ASSERT_NO_FATAL_FAILURE(close_case(c, id, centre.out));
  ASSERT_TRUE(
      gateway.wait_for([](const auto& ds) { return ds.size() >= 3; }, std::chrono::seconds(20)));
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // nothing else comes
  const auto texts = gateway.deliveries();
  ASSERT_EQ(texts.size(), 3u);
  std::vector<json> got;
  for (const auto& t : texts) got.push_back(json::parse(t.body));
  for (const json& t : got) EXPECT_EQ(t["to"], kPhone);
  EXPECT_EQ(got[0]["case"], "ticket:" + ticket);
  EXPECT_NE(got[0]["text"].get<std::string>().find("已收到"), std::string::npos);
  EXPECT_EQ(got[1]["case"], "ticket:" + ticket);
  EXPECT_NE(got[1]["text"].get<std::string>().find("已并入编号 " + id), std::string::npos);
  EXPECT_EQ(got[2]["case"], "incident:" + id);
  EXPECT_NE(got[2]["text"].get<std::string>().find("已办结"), std::string::npos);
  EXPECT_EQ(server.log().find(kPhone), std::string::npos);
}

TEST_F(Push, EventsStreamLiveByScopeAndResumeFromLastEventId) {
  // A centre user of the team's grid's neighbour: it hears of that grid's cases only.
  const CommandResult other = run_user_command(
      store_, {"add", "--id", "c2", "--role", "centre", "--scope", "330521001001002"});
  ASSERT_EQ(other.exit_code, 0) << other.err;
  // One read worker, three streams at most: the streams hold no worker.
  ServerProcess server(args({"--workers", "1,1,1", "--event-streams", "3"}),
                       dir_.file("serve.log"));
  HttpConnection everyone(server.port()), scoped(server.port());
  everyone.send_request("GET", "/events");
  scoped.send_request("GET", "/events", {"Authorization: Bearer " + other.out});
  const std::string head = everyone.read_until("retry: 3000\n\n");
  EXPECT_NE(head.find("HTTP/1.1 200"), std::string::npos);
  EXPECT_NE(head.find("Content-Type: text/event-stream"), std::string::npos);
  scoped.read_until("retry: 3000\n\n");

  HttpConnection c(server.port());
  const auto intake = [&](double lon) {
    const HttpResponse r =
        c.send("POST", "/open311/v2/requests.json", intake_form(app_, lon, 30.11, kPhone), "",
               "application/x-www-form-urlencoded");
    EXPECT_EQ(r.status, 201) << r.body;
    return "incident:" + json::parse(r.body)[0]["service_request_id"].get<std::string>();
  };
  const std::string in_team_grid = intake(120.036);  // kTeamGrid
  std::string seen = everyone.read_until("\"subject\":\"" + in_team_grid + "\"");
  EXPECT_NE(seen.find("\"action\":\"report\""), std::string::npos);
  EXPECT_EQ(seen.find(kPhone), std::string::npos);
  const std::string in_other_grid = intake(120.07);  // 330521001001002
  const std::string scoped_seen = scoped.read_until("\"subject\":\"" + in_other_grid + "\"");
  EXPECT_EQ(scoped_seen.find(in_team_grid + "\""), std::string::npos);

  // Resumed after the first event: the rest comes again, from the outbox.
  const auto first_id = seen.find("id: ");
  ASSERT_NE(first_id, std::string::npos);
  const int64_t id = std::stoll(seen.substr(first_id + 4));
  HttpConnection again(server.port());
  again.send_request("GET", "/events", {"Last-Event-ID: " + std::to_string(id)});
  const std::string resumed = again.read_until("\"subject\":\"" + in_other_grid + "\"");
  EXPECT_EQ(resumed.find("id: " + std::to_string(id) + "\n"), std::string::npos);
  EXPECT_NE(resumed.find("id: " + std::to_string(id + 1) + "\n"), std::string::npos);

  // A fourth stream is refused; other requests are answered meanwhile.
  EXPECT_EQ(HttpConnection(server.port()).get("/events").status, 503);
  EXPECT_EQ(HttpConnection(server.port()).get("/health").status, 200);
}
