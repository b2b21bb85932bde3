// Durability of intake and transitions: a burst of Open311 intakes and closed-loop actions from
// two clients, the server killed with SIGKILL in the middle of it, restarted on the same store;
// every acknowledged intake and transition must be there, and no incident half-written (its
// version, status and audit trail agree). And of feeds: batches into a county layer, the server
// killed among them; every acknowledged batch is there, and no batch half-written.
#include "tests/support/county.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/loop_burst.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <csignal>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using json = nlohmann::json;
using namespace onemap::testing;

namespace {

// What a client saw acknowledged of one incident: the version and status of its last 2xx.
struct Acked {
  int64_t version = 0;
  std::string status;
  int acks = 0;
};

}  // namespace

TEST(Durability, EveryAcknowledgedIntakeAndTransitionSurvivesSigkill) {
  TempDir dir;
  const std::string store = write_dispatch_county(dir.path());
  const CommandResult add = run_user_command(store, {"add", "--id", "app", "--role", "reporter"});
  ASSERT_EQ(add.exit_code, 0) << add.err;
  const std::string app = add.out;
  const std::vector<std::string> args = {"--data",
                                         store,
                                         "--config",
                                         dispatch_config_path(),
                                         "--write-token-file",
                                         admin_token_file(dir.path()),
                                         "--sweep-interval",
                                         "0"};

  std::map<int64_t, Acked> acked;
  std::mutex mu;
  int acks = 0;
  {
    ServerProcess server(args, dir.file("serve-1.log"));
    LoopBurst burst(server.port(), app, 2, [&](const LoopAck& a) {
      std::lock_guard lk(mu);
      acked[a.id] = {a.version, a.status, acked[a.id].acks + 1};
    });
    // Kill it in the middle of the burst: after a few hundred acknowledgements.
    const auto t0 = std::chrono::steady_clock::now();
    while (burst.acks() < 300 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ::kill(server.pid(), SIGKILL);
    burst.stop();
    EXPECT_FALSE(
        server.stop(SIGKILL, std::chrono::seconds(5)).has_value());  // it died of the signal
    acks = burst.acks();
  }
  ASSERT_GE(acks, 300);

  // Restart on the same store: everything acknowledged is there, and nothing is half-written.
  ServerProcess again(args, dir.file("serve-2.log"));
  // Read as staff: an incident's history names the actors.
  auto staff_get = [&](const std::string& target) {
    return HttpConnection(again.port()).get(target, kAdminToken);
  };
  const std::vector<std::string> order = {"reported", "dispatched", "accepted", "in_progress",
                                          "resolved"};
  auto rank = [&](const std::string& s) {
    return std::find(order.begin(), order.end(), s) - order.begin();
  };
  for (const auto& [id, a] : acked) {
    const HttpResponse r = staff_get("/incidents/" + std::to_string(id));
    ASSERT_EQ(r.status, 200) << "acknowledged incident " << id << " is lost";
    const json j = json::parse(r.body);
    // At least as far as acknowledged (one more step may have landed without its answer).
    EXPECT_GE(j["version"].get<int64_t>(), a.version) << id;
    EXPECT_LE(j["version"].get<int64_t>(), a.version + 1) << id;
    EXPECT_GE(rank(j["status"]), rank(a.status)) << id;
    // Record and trail in step: intake is 2 events at version 1, each action one more.
    const json& h = j["history"];
    EXPECT_EQ(static_cast<int64_t>(h.size()), j["version"].get<int64_t>() + 1) << id;
    EXPECT_EQ(h.back()["to"], j["status"]) << id;
    for (std::size_t k = 0; k < h.size(); ++k) EXPECT_EQ(h[k]["seq"], k + 1);
  }
  // Every incident in the store (acknowledged or not) is whole, too.
  const HttpResponse all =
      HttpConnection(again.port()).get("/collections/incidents/items?limit=10000");
  ASSERT_EQ(all.status, 200);
  const json features = json::parse(all.body);
  for (const auto& f : features["features"]) {
    const json j =
        json::parse(staff_get("/incidents/" + std::to_string(f["id"].get<int64_t>())).body);
    EXPECT_EQ(static_cast<int64_t>(j["history"].size()), j["version"].get<int64_t>() + 1)
        << f["id"];
  }
  RecordProperty("acknowledged", acks);
  std::cout << "acknowledged before SIGKILL: " << acks << " (" << acked.size() << " incidents)\n";
}

TEST(Durability, EveryAcknowledgedFeedBatchSurvivesSigkillAndNoBatchIsHalfWritten) {
  TempDir dir;
  const std::string store = write_small_county(dir.path());
  const std::string schema = dir.file("meters.json");
  std::ofstream(schema) << R"({"name": "meters", "geometry": "point", "id_field": "code",
    "fields": [{"name": "code", "audience": "public"}, {"name": "round", "type": "integer"}]})";
  const CommandResult made =
      run_command({ONEMAP_BINARY, "layer", "add", "--data", store, "--schema", schema});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  const std::vector<std::string> args = {
      "--data", store, "--write-token-file", admin_token_file(dir.path()), "--sweep-interval", "0"};
  // Batch n inserts 200 records of its own (B<n>-<i>) and sets `round` of 50 shared ones (S<i>)
  // to n: a half-written batch would leave some of its records, or shared rounds that differ.
  auto batch = [](int n) {
    json features = json::array();
    auto add = [&](const std::string& code, double lon) {
      features.push_back({{"type", "Feature"},
                          {"properties", {{"code", code}, {"round", n}}},
                          {"geometry", {{"type", "Point"}, {"coordinates", {lon, 30.1}}}}});
    };
    for (int i = 0; i < 50; ++i) add("S" + std::to_string(i), 120.01 + 0.007 * i);
    for (int i = 0; i < 200; ++i)
      add("B" + std::to_string(n) + "-" + std::to_string(i), 120.005 + 0.0019 * i);
    return json{{"type", "FeatureCollection"}, {"features", features}}.dump();
  };
  int acknowledged = 0;  // the last batch answered 200
  {
    ServerProcess server(args, dir.file("feed-1.log"));
    std::atomic<int> acked{0};
    std::thread client([&] {
      try {
        HttpConnection c(server.port(), std::chrono::seconds(10));
        for (int n = 1;; ++n) {
          const HttpResponse r = c.send("POST", "/collections/meters/feed", batch(n), kAdminToken,
                                        "application/geo+json");
          if (r.status != 200) {
            ADD_FAILURE() << r.status << " " << r.body;
            return;
          }
          acked = n;
        }
      } catch (const std::exception&) {  // the server is gone
      }
    });
    const auto t0 = std::chrono::steady_clock::now();
    while (acked.load() < 20 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60))
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ::kill(server.pid(), SIGKILL);
    client.join();
    acknowledged = acked.load();
    EXPECT_FALSE(server.stop(SIGKILL, std::chrono::seconds(5)).has_value());
  }
  ASSERT_GE(acknowledged, 20);

  ServerProcess again(args, dir.file("feed-2.log"));
  const HttpResponse r =
      HttpConnection(again.port()).get("/collections/meters/items?limit=100000", kAdminToken);
  ASSERT_EQ(r.status, 200);
  std::map<int, int> per_batch;  // batch → its records present
  std::set<int64_t> rounds;
  const json items = json::parse(r.body);
  for (const auto& f : items["features"]) {
    const std::string code = f["properties"]["code"];
    if (code[0] == 'S')
      rounds.insert(f["properties"]["round"].get<int64_t>());
    else
      ++per_batch[std::stoi(code.substr(1, code.find('-') - 1))];
  }
  ASSERT_EQ(rounds.size(), 1u) << "the shared records come from one batch";
  const int last = static_cast<int>(*rounds.begin());
  EXPECT_GE(last, acknowledged);
  EXPECT_LE(last, acknowledged + 1) << "at most the batch under way when it was killed";
  for (int n = 1; n <= last; ++n) EXPECT_EQ(per_batch[n], 200) << "batch " << n;
  EXPECT_EQ(per_batch.size(), static_cast<std::size_t>(last));
  std::cout << "batches acknowledged before SIGKILL: " << acknowledged << ", stored: " << last
            << "\n";
}
