// The onemap command line: subcommand dispatch, help texts, usage errors and exit codes,
// run as a user would run the real binary; the commands that write a store against a running
// server (`onemap dispatch`, `onemap import` and `onemap layer alter` refused, `onemap user`
// changes counted by a live `onemap serve` at its next request, `onemap feed` sources pulled by
// it when due).
#include "tests/support/county.hpp"
#include "tests/support/expect_error.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"

#include "layers/store/store_lock.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <pwd.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <tuple>
#include <vector>

namespace {

using json = nlohmann::json;
using namespace onemap::testing;
using namespace std::chrono_literals;

void write_file(const std::string& path, const char* text) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  ASSERT_NE(f, nullptr) << path;
  std::fputs(text, f);
  std::fclose(f);
}

TEST(Cli, HelpListsEverySubcommand) {
  for (const char* flag : {"--help", "-h", "help"}) {
    const auto r = run_command({ONEMAP_BINARY, flag}, 30s);
    EXPECT_EQ(r.exit_code, 0) << flag;
    for (const char* sub : {"serve", "import", "layer", "feed", "webhook", "demo", "version"})
      EXPECT_NE(r.out.find(std::string("\n  ") + sub + " "), std::string::npos)
          << flag << " " << sub << "\n"
          << r.out;
  }
}

TEST(Cli, NoSubcommandIsAUsageError) {
  const auto r = run_command({ONEMAP_BINARY}, 30s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty());
  EXPECT_NE(r.err.find("usage: onemap <command>"), std::string::npos) << r.err;
}

TEST(Cli, UnknownSubcommandIsAUsageErrorOnStderr) {
  const auto r = run_command({ONEMAP_BINARY, "frobnicate", "--now"}, 30s);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("onemap: unknown command 'frobnicate'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("usage: onemap <command>"), std::string::npos) << r.err;
}

TEST(Cli, VersionPrintsTheProjectVersion) {
  const auto r = run_command({ONEMAP_BINARY, "version"}, 30s);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out.rfind(std::string("onemap ") + ONEMAP_EXPECTED_VERSION + " ", 0), 0u) << r.out;
}

TEST(Cli, EverySubcommandHasHelp) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> expected = {
      {"serve", {"--data", "--address", "--port", "--threads", "--join-distance"}},
      {"import", {"--data", "--layer", "--src-crs", "--encoding", "--field-map"}},
      {"demo", {"--out"}},
      {"layer",
       {"--data", "--schema", "list", "describe", "add", "alter", "drop", "--add-field",
        "--audience", "--layer-audience", "--alteration"}},
      {"feed", {"--data", "--layer", "--source", "--every", "--src-layer", "list", "drop"}},
      {"webhook",
       {"--data", "--name", "--url", "--secret-file", "--kind", "--actions", "--area", "list",
        "remove", "X-Onemap-Signature"}},
  };
  for (const auto& [sub, flags] : expected) {
    const auto r = run_command({ONEMAP_BINARY, sub, "--help"}, 30s);
    EXPECT_EQ(r.exit_code, 0) << sub << "\n" << r.err;
    const std::string text = r.out + r.err;
    for (const auto& f : flags)
      EXPECT_NE(text.find(f), std::string::npos) << sub << " --help lacks " << f;
  }
}

TEST(Cli, DispatchAndImportRefuseAServedStore) {
  // This process holds the server's lock (as `onemap serve` does): the commands that write the
  // store directly refuse with its pid and what to do instead; `onemap user` goes on.
  const TempDir dir;
  const std::string store = write_dispatch_county(dir.path());
  const std::string pid = std::to_string(::getpid());
  {
    const auto served = onemap::layers::StoreLock::for_serving(store);
    const auto d = run_command({ONEMAP_BINARY, "dispatch", "--data", store}, 60s);
    EXPECT_EQ(d.exit_code, 1) << d.out << d.err;
    EXPECT_NE(
        d.err.find("onemap: error: the store " + store + " is served by a running onemap (pid " +
                   pid + "): use POST /dispatch/batch instead"),
        std::string::npos)
        << d.err;
    const auto i =
        run_command({ONEMAP_BINARY, "import", "--data", store, "--layer", "households",
                     std::string(ONEMAP_SOURCE_DIR) + "/tests/data/nyc/nyc311_sample.csv"},
                    60s);
    EXPECT_EQ(i.exit_code, 1) << i.out << i.err;
    EXPECT_NE(i.err.find("is served by a running onemap (pid " + pid + ")"), std::string::npos)
        << i.err;
    const auto u = run_command(
        {ONEMAP_BINARY, "user", "add", "--data", store, "--id", "c1", "--role", "centre"}, 60s);
    EXPECT_EQ(u.exit_code, 0) << u.err;
  }
  const auto d = run_command({ONEMAP_BINARY, "dispatch", "--data", store}, 60s);
  EXPECT_EQ(d.exit_code, 0) << d.err;
}

TEST(Cli, ImportCreateMakesACountyLayerThatLayerListsDescribesAndDrops) {
  const TempDir dir;
  const std::string store = write_small_county(dir.path());
  const std::string csv = dir.file("stations.csv");
  write_file(csv, "station,lon,lat,staff\nS1,120.01,30.1,3\nS2,120.31,30.1,5\nS3,121.9,31,2\n");
  const auto i =
      run_command({ONEMAP_BINARY, "import", "--data", store, "--layer", "stations", "--create",
                   "--theme", "治理", "--title", "四站融合站点", "--id-field", "station", csv},
                  60s);
  ASSERT_EQ(i.exit_code, 0) << i.out << i.err;
  EXPECT_NE(i.out.find("into the new layer stations"), std::string::npos) << i.out;
  EXPECT_NE(i.out.find("station (string, staff) staff (integer, staff)"), std::string::npos)
      << i.out;
  EXPECT_NE(i.out.find("joined: 2 contained, 0 nearest, 1 unassigned"), std::string::npos) << i.out;

  const auto list = run_command({ONEMAP_BINARY, "layer", "list", "--data", store}, 30s);
  EXPECT_EQ(list.exit_code, 0) << list.err;
  EXPECT_NE(list.out.find("stations"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("point"), std::string::npos) << list.out;
  const auto d =
      run_command({ONEMAP_BINARY, "layer", "describe", "--data", store, "stations"}, 30s);
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const json def = json::parse(d.out);
  EXPECT_EQ(def["title"], "四站融合站点");
  EXPECT_EQ(def["id_field"], "station");
  EXPECT_EQ(def["features"], 3);

  // The same name again, a name of onemap's own, a misspelt kind: refused, with the reason.
  const auto again = run_command(
      {ONEMAP_BINARY, "import", "--data", store, "--layer", "stations", "--create", csv}, 60s);
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("a layer named stations exists"), std::string::npos) << again.err;
  const auto own = run_command(
      {ONEMAP_BINARY, "import", "--data", store, "--layer", "grids", "--create", csv}, 60s);
  EXPECT_EQ(own.exit_code, 2);
  EXPECT_NE(own.err.find("one of onemap's own layers"), std::string::npos) << own.err;
  const auto kind = run_command({ONEMAP_BINARY, "import", "--data", store, "--layer", "x",
                                 "--create", "--geometry", "raster", csv},
                                60s);
  EXPECT_EQ(kind.exit_code, 2);
  EXPECT_NE(kind.err.find("--geometry: unknown geometry 'raster'"), std::string::npos) << kind.err;

  const auto drop = run_command({ONEMAP_BINARY, "layer", "drop", "--data", store, "stations"}, 30s);
  EXPECT_EQ(drop.exit_code, 0) << drop.err;
  const auto gone =
      run_command({ONEMAP_BINARY, "layer", "describe", "--data", store, "stations"}, 30s);
  EXPECT_EQ(gone.exit_code, 1);
  EXPECT_NE(gone.err.find("there is no layer named stations"), std::string::npos) << gone.err;
}

TEST(Cli, LayerAlterAddsFieldsChangesAudiencesAndRefusesWhatItMustNot) {
  const TempDir dir;
  const std::string store = write_small_county(dir.path());
  const std::string csv = dir.file("stations.csv");
  write_file(csv, "station,lon,lat,staff\nS1,120.01,30.1,3\nS2,120.31,30.1,5\n");
  ASSERT_EQ(run_command({ONEMAP_BINARY, "import", "--data", store, "--layer", "stations",
                         "--create", "--id-field", "station", csv},
                        60s)
                .exit_code,
            0);
  auto layer = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {ONEMAP_BINARY, "layer"});
    return run_command(args, 60s);
  };
  auto describe = [&] {
    const auto d = layer({"describe", "--data", store, "stations"});
    EXPECT_EQ(d.exit_code, 0) << d.err;
    return json::parse(d.out);
  };

  const auto a = layer({"alter", "--data", store, "stations", "--add-field", "owner:string:staff",
                        "--add-field", "lens:real", "--audience", "staff=public",
                        "--layer-audience", "staff", "--title", "四站", "--theme", "治理"});
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  EXPECT_NE(a.out.find("altered the layer stations in " + store), std::string::npos) << a.out;
  json def = describe();
  EXPECT_EQ(def["title"], "四站");
  EXPECT_EQ(def["theme"], "治理");
  EXPECT_EQ(def["audience"], "staff");
  EXPECT_EQ(def["features"], 2);
  ASSERT_EQ(def["fields"].size(), 4u);
  EXPECT_EQ(def["fields"][1]["name"], "staff");
  EXPECT_EQ(def["fields"][1]["audience"], "public");
  EXPECT_EQ(def["fields"][2], json::parse(R"({"name":"owner","type":"string","audience":"staff",
                                              "queryable":true})"));
  EXPECT_EQ(def["fields"][3]["type"], "real");

  // An alteration file, with an option over it.
  const std::string file = dir.file("alteration.json");
  write_file(file,
             R"({"fields": {"owner": {"audience": "public"}}, "style": {"color": "#e4572e"}})");
  const auto b = layer(
      {"alter", "--data", store, "stations", "--alteration", file, "--audience", "owner=personal"});
  ASSERT_EQ(b.exit_code, 0) << b.err;
  def = describe();
  EXPECT_EQ(def["fields"][2]["audience"], "personal");
  EXPECT_EQ(def["fields"][2]["queryable"], false);
  EXPECT_EQ(def["style"]["color"], "#e4572e");

  // Refused with the reason, and nothing changed.
  auto refused = [&](std::vector<std::string> args, int code, const std::string& says) {
    const auto r = layer(args);
    EXPECT_EQ(r.exit_code, code) << r.out << r.err;
    EXPECT_NE(r.err.find(says), std::string::npos) << r.err;
  };
  // `onemap layer alter --data STORE stations` and these options: the exit code, the reason.
  const std::vector<std::tuple<std::vector<std::string>, int, std::string>> cases = {
      {{"--add-field", "owner"}, 2, "--add-field takes NAME:TYPE[:AUDIENCE], not 'owner'"},
      {{"--add-field", "station:string"}, 2, "add_fields: the layer has a field 'station' already"},
      {{"--add-field", "x:blob"}, 2, "unknown type 'blob'"},
      {{"--audience", "nothing=public"}, 2, "no field 'nothing'"},
      {{"--audience", "staff"}, 2, "--audience takes FIELD=AUDIENCE"},
      {{"--layer-audience", "everyone"}, 2, "audience: the layer: unknown audience 'everyone'"},
      {{}, 2, "alter needs a change"},
      {{"--alteration", dir.file("none.json")}, 2, "--alteration: cannot read"},
  };
  for (const auto& [options, code, says] : cases) {
    std::vector<std::string> args = {"alter", "--data", store, "stations"};
    args.insert(args.end(), options.begin(), options.end());
    refused(args, code, says);
  }
  refused({"alter", "--data", store, "--title", "x"}, 2, "alter takes one layer NAME");
  refused({"describe", "--data", store, "stations", "--title", "x"}, 2, "go with alter");
  refused({"alter", "--data", store, "nothing", "--title", "x"}, 1,
          "there is no layer named nothing");
  write_file(file, R"({"geometry": "line"})");
  refused({"alter", "--data", store, "stations", "--alteration", file}, 2,
          "geometry: the geometry kind is not changed");
  EXPECT_EQ(describe(), def);

  // Beside a running server: refused, naming the endpoint that alters it live.
  {
    const auto served = onemap::layers::StoreLock::for_serving(store);
    refused({"alter", "--data", store, "stations", "--title", "x"}, 1,
            "is served by a running onemap (pid " + std::to_string(::getpid()) +
                "): use PATCH /admin/layers/stations on it instead");
  }
  EXPECT_EQ(describe(), def);
}

std::string login() {
  if (const passwd* pw = getpwuid(geteuid()); pw && pw->pw_name) return pw->pw_name;
  return "uid" + std::to_string(geteuid());
}

TEST(Cli, AFeedAddedToAServedStoreIsPulledWhenDueListedAndDropped) {
  const TempDir dir;
  const std::string store = write_small_county(dir.path());
  const std::string schema = dir.file("meters.json");
  write_file(schema, R"({"name": "meters", "geometry": "point", "id_field": "code",
    "fields": [{"name": "code", "audience": "public"}]})");
  ASSERT_EQ(run_command({ONEMAP_BINARY, "layer", "add", "--data", store, "--schema", schema}, 30s)
                .exit_code,
            0);
  const std::string source = dir.file("meters.geojson");
  write_file(source, R"({"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"code": "M1", "vendor": "x"},
     "geometry": {"type": "Point", "coordinates": [120.1, 30.1]}},
    {"type": "Feature", "properties": {"code": "M2"},
     "geometry": {"type": "Point", "coordinates": [120.3, 30.1]}}]})");
  ServerProcess server({"--data", store, "--write-token-file", admin_token_file(dir.path()),
                        "--sweep-interval", "0", "--feed-interval", "1"},
                       dir.file("serve.log"));
  auto feed = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {ONEMAP_BINARY, "feed"});
    return run_command(args, 30s);
  };
  const auto added = feed({"add", "--data", store, "--layer", "meters", "--source", source,
                           "--every", "1h", "--name", "meters_pull"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  EXPECT_NE(added.out.find("every 1h"), std::string::npos) << added.out;
  // Pulled by the running server at its next look.
  json items;
  for (int i = 0; i < 100; ++i) {
    items = HttpConnection(server.port()).get("/collections/meters/items").json();
    if (items["numberMatched"] == 2) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(items["numberMatched"], 2) << server.log();
  EXPECT_NE(server.log_with("feed meters_pull into meters: pulled").find("\"inserted\":2"),
            std::string::npos);
  const auto list = feed({"list", "--data", store});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.out.find("meters_pull"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("\"inserted\":2"), std::string::npos) << list.out;

  EXPECT_EQ(
      feed({"add", "--data", store, "--layer", "nowhere", "--source", source, "--every", "1h"})
          .exit_code,
      2);
  EXPECT_EQ(
      feed({"add", "--data", store, "--layer", "meters", "--source", source, "--every", "soon"})
          .exit_code,
      2);
  EXPECT_EQ(feed({"add", "--data", store, "--layer", "meters"}).exit_code, 2);
  EXPECT_EQ(feed({"drop", "--data", store, "meters_pull"}).exit_code, 0);
  EXPECT_EQ(feed({"drop", "--data", store, "meters_pull"}).exit_code, 1);
  EXPECT_NE(feed({"list", "--data", store}).out.find("no feeds"), std::string::npos);
}

TEST(Cli, UserChangesCountAtTheNextRequestOfARunningServer) {
  const TempDir dir;
  const std::string store = write_dispatch_county(dir.path());
  ServerProcess server({"--data", store, "--config", dispatch_config_path(), "--write-token-file",
                        admin_token_file(dir.path())},
                       dir.file("serve.log"));
  // `onemap user ARGS`: its token, when it prints one.
  auto user = [&](std::vector<std::string> args) {
    const auto r = run_user_command(store, std::move(args));
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return r.out;
  };
  // A household in town 330521001 (grid 330521001001001).
  const HttpResponse made =
      HttpConnection(server.port())
          .send("POST", "/households", R"({"lon":120.02,"lat":30.1,"head_name":"张三"})",
                kAdminToken);
  ASSERT_EQ(made.status, 201) << made.body;
  const std::string household = "/households/" + std::to_string(made.json()["id"].get<int64_t>());

  const std::string t1 = user({"add", "--id", "rev", "--role", "centre", "--scope", "330521"});
  // One keep-alive connection throughout: a connection signed in once is not trusted for it.
  HttpConnection c(server.port());
  HttpResponse r = c.get("/users/me", t1);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["role"], "centre");
  EXPECT_EQ(c.get(household, t1).status, 200);

  // A new token: the old one is refused at once, before the new one is ever used.
  const std::string t2 = user({"token", "--id", "rev"});
  ASSERT_NE(t2, t1);
  expect_error(c.get("/users/me", t1), 401);
  EXPECT_EQ(HttpConnection(server.port()).get("/users/me", t1).status, 401);
  EXPECT_EQ(c.get("/users/me", t2).status, 200);

  // Disabled: 401 at once; enabled: the same token works again.
  user({"disable", "--id", "rev"});
  expect_error(c.get("/users/me", t2), 401);
  expect_error(c.get(household, t2), 401);
  user({"enable", "--id", "rev"});
  EXPECT_EQ(c.get("/users/me", t2).status, 200);

  // A new role and scope: the next request has them.
  user({"set", "--id", "rev", "--role", "reporter", "--scope", ""});
  r = c.get("/users/me", t2);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.json()["role"], "reporter");
  expect_error(c.get(household, t2), 403);
  user({"set", "--id", "rev", "--role", "centre", "--scope", "330521002"});
  r = c.get("/users/me", t2);
  EXPECT_EQ(r.json()["scope"], "330521002");
  expect_error(c.get(household, t2), 403);  // the household lies in town 330521001

  // Each change is audited as the command line's.
  const HttpResponse audit = c.get("/audit?user=cli:" + login() + "&limit=20", kAdminToken);
  ASSERT_EQ(audit.status, 200) << audit.body;
  std::vector<std::string> actions;
  const json rows = audit.json();
  for (const auto& e : rows["entries"])
    if (e["records"] == json::array({"rev"})) actions.push_back(e["action"]);
  EXPECT_EQ(actions, (std::vector<std::string>{"user_change", "user_change", "user_enable",
                                               "user_disable", "token_rotate", "user_create"}));
  // Clear errors.
  const auto unknown =
      run_command({ONEMAP_BINARY, "user", "disable", "--data", store, "--id", "nobody"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("no user 'nobody'"), std::string::npos) << unknown.err;
  const auto bad =
      run_command({ONEMAP_BINARY, "user", "set", "--data", store, "--id", "rev", "--role", "boss"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_NE(bad.err.find("role"), std::string::npos) << bad.err;
  const auto nothing = run_command({ONEMAP_BINARY, "user", "set", "--data", store, "--id", "rev"});
  EXPECT_EQ(nothing.exit_code, 2);
  const auto help = run_command({ONEMAP_BINARY, "user", "set", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("onemap user disable"), std::string::npos);
}

}  // namespace

TEST(Cli, WebhookAddListRemoveNeverShowsTheSecret) {
  const TempDir dir;
  const std::string store = write_small_county(dir.path());
  write_file(dir.file("short.secret"), "short\n");
  write_file(dir.file("hook.secret"), "a-secret-long-enough-to-sign\n");
  auto webhook = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {ONEMAP_BINARY, "webhook"});
    args.insert(args.end(), {"--data", store});
    return run_command(args, 30s);
  };
  const auto url = std::string("http://127.0.0.1:9/hook");
  EXPECT_EQ(
      webhook({"add", "--name", "gis", "--url", url, "--secret-file", dir.file("short.secret")})
          .exit_code,
      2);
  EXPECT_EQ(webhook({"add", "--name", "gis", "--url", "https://x/", "--secret-file",
                     dir.file("hook.secret")})
                .exit_code,
            2);
  EXPECT_EQ(webhook({"add", "--name", "gis", "--kind", "fax", "--url", url, "--secret-file",
                     dir.file("hook.secret")})
                .exit_code,
            2);
  const auto added =
      webhook({"add", "--name", "gis", "--url", url, "--secret-file", dir.file("hook.secret"),
               "--actions", "report,close", "--area", "330521"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const auto listed = webhook({"list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("gis"), std::string::npos) << listed.out;
  EXPECT_NE(listed.out.find("report,close"), std::string::npos) << listed.out;
  for (const auto& out : {added.out, added.err, listed.out, listed.err})
    EXPECT_EQ(out.find("a-secret-long-enough"), std::string::npos) << out;
  EXPECT_EQ(webhook({"remove", "gis"}).exit_code, 0);
  EXPECT_EQ(webhook({"remove", "gis"}).exit_code, 1);
  EXPECT_NE(webhook({"list"}).out.find("no subscribers"), std::string::npos);
}
