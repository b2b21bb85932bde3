// Real data end to end: NYC's 71 community districts imported as grids, 235 real 311 requests
// imported as incidents and joined. The oracle for the join is each request's own
// `Community Board` ("07 MANHATTAN" → district 107); the oracle for the rows without location is
// the CSV itself, read here with a separate parser. The `onemap import` command is run on the
// same files to check that its summary names every row without a location.
#include "layers/ingest/import.hpp"

#include "core/errors.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <unistd.h>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace onemap;
using namespace onemap::layers;
using onemap::testing::run_command;

namespace {

const fs::path kData = fs::path(ONEMAP_SOURCE_DIR) / "tests" / "data" / "nyc";

/// RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks.
std::vector<std::vector<std::string>> read_csv(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  const std::string text{std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      row.push_back(field);
      field.clear();
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      row.push_back(field);
      field.clear();
      rows.push_back(row);
      row.clear();
    } else {
      field += c;
    }
  }
  if (!field.empty() || !row.empty()) {
    row.push_back(field);
    rows.push_back(row);
  }
  return rows;
}

struct Request {
  std::size_t index;  ///< 0-based data row
  std::string key;
  std::string board;
  bool located;
};

std::vector<Request> read_requests() {
  auto rows = read_csv(kData / "nyc311_sample.csv");
  EXPECT_FALSE(rows.empty());
  const auto& header = rows.at(0);
  auto col = [&](const std::string& name) {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == name) return i;
    ADD_FAILURE() << "no column " << name;
    return std::size_t{0};
  };
  const std::size_t key = col("Unique Key"), board = col("Community Board"), lat = col("Latitude"),
                    lon = col("Longitude");
  std::vector<Request> out;
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto& row = rows[r];
    EXPECT_EQ(row.size(), header.size()) << "row " << r;
    if (row.size() != header.size()) continue;
    out.push_back({r - 1, row[key], row[board], !row[lat].empty() && !row[lon].empty()});
  }
  return out;
}

/// "07 MANHATTAN" → "107"; empty when the board names no district ("Unspecified BROOKLYN").
std::string district_of_board(const std::string& board) {
  static const std::map<std::string, char> borough = {{"MANHATTAN", '1'},
                                                      {"BRONX", '2'},
                                                      {"BROOKLYN", '3'},
                                                      {"QUEENS", '4'},
                                                      {"STATEN ISLAND", '5'}};
  if (board.size() < 4 || !std::isdigit(static_cast<unsigned char>(board[0])) ||
      !std::isdigit(static_cast<unsigned char>(board[1])) || board[2] != ' ')
    return {};
  auto it = borough.find(board.substr(3));
  if (it == borough.end()) return {};
  return std::string(1, it->second) + board.substr(0, 2);
}

ImportOptions grid_options() {
  ImportOptions o;
  o.layer = LayerKind::Grids;
  o.source = (kData / "community_districts.geojson").string();
  o.field_map = {{"code", "GEOCODE"}, {"name", "GEONAME"}};
  return o;
}

ImportOptions incident_options() {
  ImportOptions o;
  o.layer = LayerKind::Incidents;
  o.source = (kData / "nyc311_sample.csv").string();
  o.field_map = {{"category", "Complaint Type"},
                 {"reported_at", "Created Date"},
                 {"closed_at", "Closed Date"},
                 {"id", "Unique Key"},
                 {"status", "Status"}};
  return o;
}

}  // namespace

TEST(Nyc, DistrictsAndRequestsJoinToTheBoardsTheyName) {
  const auto requests = read_requests();
  ASSERT_EQ(requests.size(), 235u);

  const onemap::testing::TempDir dir;
  auto store = open_store(dir.file("lib.gpkg"), true);
  const auto g = import_layer(*store, grid_options());
  std::ifstream gj(kData / "community_districts.geojson");
  const auto districts = nlohmann::json::parse(gj);
  // The file gives its 7 joint interest areas (parks, airports) the same GEOCODE 0: the first
  // loads, every later one is rejected as a duplicate code, by index.
  std::set<std::int64_t> seen;
  std::vector<std::int64_t> duplicates;
  const auto& features = districts.at("features");
  for (std::size_t i = 0; i < features.size(); ++i)
    if (!seen.insert(features[i].at("properties").at("GEOCODE").get<std::int64_t>()).second)
      duplicates.push_back(static_cast<std::int64_t>(i));
  EXPECT_EQ(g.read, features.size());
  EXPECT_EQ(g.loaded, seen.size());
  EXPECT_EQ(g.rejected, duplicates.size());
  std::vector<std::int64_t> rejected;
  for (const auto& i : g.issues) {
    EXPECT_EQ(i.kind, IssueKind::Rejected);
    EXPECT_EQ(i.reason.rfind("duplicate code", 0), 0u) << i.reason;
    rejected.push_back(i.index);
  }
  EXPECT_EQ(rejected, duplicates);
  ASSERT_TRUE(g.hierarchy.has_value());

  const auto r = import_layer(*store, incident_options());
  EXPECT_EQ(r.read, requests.size());
  EXPECT_EQ(r.rejected, 0u);

  // The rows without a location, each named with its index and Unique Key.
  std::set<std::pair<int64_t, std::string>> want_missing, got_missing;
  std::size_t located = 0;
  for (const auto& q : requests) {
    if (q.located)
      ++located;
    else
      want_missing.insert({static_cast<int64_t>(q.index), q.key});
  }
  for (const auto& i : r.issues)
    if (i.kind == IssueKind::NoLocation) got_missing.insert({i.index, i.id});
  EXPECT_EQ(got_missing, want_missing);
  EXPECT_EQ(want_missing.size(), 3u);
  EXPECT_EQ(r.loaded, located);

  // The join against the boards.
  Dataset d = store->load();
  std::map<std::string, const Incident*> by_key;
  for (const auto& i : d.incidents) by_key[i.id] = &i;
  std::size_t matched = 0, compared = 0;
  std::string mismatches;
  for (const auto& q : requests) {
    if (!q.located) continue;
    ++compared;
    auto it = by_key.find(q.key);
    ASSERT_NE(it, by_key.end()) << q.key;
    const std::string want = district_of_board(q.board);
    if (!want.empty() && it->second->join.grid_code == want)
      ++matched;
    else
      mismatches += "\n  " + q.key + " board '" + q.board + "' joined " +
                    it->second->join.grid_code + " (" +
                    std::string(join_kind_name(it->second->join.kind)) + ")";
  }
  EXPECT_EQ(compared, 232u);
  EXPECT_GE(matched, 223u) << mismatches;
  std::printf("NYC: %zu of %zu located requests joined to the district their board names%s\n",
              matched, compared, mismatches.c_str());
  // Every located request got some district (all lie inside the city).
  EXPECT_EQ(r.join.contained + r.join.nearest, located);

  // Times came through: the first request was created 03/24/2025 11:33:07 PM.
  const Incident* first = by_key.at(requests[0].key);
  EXPECT_EQ(first->category, "Noise - Residential");
  EXPECT_EQ(first->status, "Closed");
  EXPECT_EQ(first->reported_at, *parse_time("2025-03-24T23:33:07", 8 * 3600));
  EXPECT_GT(first->closed_at, first->reported_at);
  // Unmapped columns are kept.
  const auto extra = nlohmann::json::parse(first->extra);
  EXPECT_EQ(extra.at("Community Board"), requests[0].board);
}

TEST(Nyc, CommandLineSummaryNamesEveryRowWithoutLocation) {
  const std::string bin = ONEMAP_BINARY;
  ASSERT_TRUE(fs::exists(bin)) << bin;
  const onemap::testing::TempDir dir;
  const std::string data = dir.file("cli.gpkg");
  const std::string report = dir.file("report.json");

  auto a =
      run_command({bin, "import", "--data", data, "--layer", "grids", "--field-map", "code=GEOCODE",
                   "name=GEONAME", (kData / "community_districts.geojson").string()});
  ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
  std::ifstream gj(kData / "community_districts.geojson");
  const auto districts = nlohmann::json::parse(gj);
  std::set<std::int64_t> codes;
  for (const auto& f : districts.at("features"))
    codes.insert(f.at("properties").at("GEOCODE").get<std::int64_t>());
  const std::string counts = "read " + std::to_string(districts.at("features").size()) +
                             ", loaded " + std::to_string(codes.size()) + ", repaired 0";
  EXPECT_NE(a.out.find(counts), std::string::npos) << counts << "\n" << a.out;

  auto b = run_command({bin, "import", "--data", data, "--layer", "incidents", "--report", report,
                        "--field-map", "category=Complaint Type", "reported_at=Created Date",
                        "id=Unique Key", "status=Status", (kData / "nyc311_sample.csv").string()});
  ASSERT_EQ(b.exit_code, 0) << b.out << b.err;
  EXPECT_NE(b.out.find("read 235, loaded 232, repaired 0, rejected 0, no location 3"),
            std::string::npos)
      << b.out;
  std::size_t named = 0;
  for (const auto& q : read_requests()) {
    if (q.located) continue;
    const std::string line =
        "feature " + std::to_string(q.index) + " (id " + q.key + "): no location";
    EXPECT_NE(b.out.find(line), std::string::npos) << line << "\n" << b.out;
    ++named;
  }
  EXPECT_EQ(named, 3u);

  std::ifstream rf(report);
  const auto j = nlohmann::json::parse(rf);
  EXPECT_EQ(j.at("read"), 235);
  EXPECT_EQ(j.at("no_location"), 3);
  EXPECT_EQ(j.at("join").at("contained").get<int>() + j.at("join").at("nearest").get<int>(), 232);
  std::size_t in_json = 0;
  for (const auto& i : j.at("issues")) in_json += i.at("kind") == "no_location";
  EXPECT_EQ(in_json, 3u);

  // Exit statuses: --help 0, usage error 2, unreadable source 1.
  EXPECT_EQ(run_command({bin, "import", "--help"}).exit_code, 0);
  EXPECT_EQ(run_command({bin, "import", "--layer", "grids", "x.geojson"}).exit_code, 2);
  EXPECT_EQ(run_command({bin, "import", "--data", data, "--layer", "incidents", "--field-map",
                         "colour=Status", (kData / "nyc311_sample.csv").string()})
                .exit_code,
            2);
  EXPECT_EQ(
      run_command({bin, "import", "--data", data, "--layer", "grids", "/nonexistent/file.geojson"})
          .exit_code,
      1);
}
