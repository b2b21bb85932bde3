// The geocoder (layers/geocode) on the demo county's noisy addresses (tools/demo/address_noise):
// top-1 precision at house and village level, by kind of noise, and the time of a search.
//
//   bench_geocode [--data-dir data] [--scale 1] [--queries 5000] [--seed 20261207] [--misses N]
//
// --misses N prints the first N queries whose first candidate is not the household's village or
// (for a query with a house number) its house, to stderr.
#include "layers/geocode/county_gazetteer.hpp"
#include "tools/demo/address_noise.hpp"
#include "tools/demo/demo.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

using namespace onemap;

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

struct Tally {
  std::size_t house_queries = 0, house_right = 0, queries = 0, village_right = 0, exact = 0;
  void add(const Tally& o) {
    house_queries += o.house_queries;
    house_right += o.house_right;
    queries += o.queries;
    village_right += o.village_right;
    exact += o.exact;
  }
};

std::string percent(std::size_t a, std::size_t b) {
  if (b == 0) return "–";
  char s[32];
  std::snprintf(s, sizeof s, "%.1f %%", 100.0 * static_cast<double>(a) / static_cast<double>(b));
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  layers::DemoOptions demo;
  demo.end_time = 1795622400;  // 2026-11-26 00:00 UTC+8: the demo's pinned end date
  std::size_t queries = 5000;
  uint64_t seed = 20261207;
  std::size_t misses = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_geocode: %s wants a value\n", a.c_str());
      return 2;
    }
    const std::string v = argv[++i];
    if (a == "--data-dir")
      demo.data_dir = v;
    else if (a == "--scale")
      demo.scale = std::atof(v.c_str());
    else if (a == "--queries")
      queries = std::strtoull(v.c_str(), nullptr, 10);
    else if (a == "--misses")
      misses = std::strtoull(v.c_str(), nullptr, 10);
    else if (a == "--seed")
      seed = std::strtoull(v.c_str(), nullptr, 10);
    else {
      std::fprintf(stderr, "bench_geocode: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  auto t0 = std::chrono::steady_clock::now();
  const layers::Dataset data = layers::build_demo(demo);
  std::fprintf(stderr, "bench_geocode: demo county in %.1f s\n", ms_since(t0) / 1000);
  t0 = std::chrono::steady_clock::now();
  const geocode::Gazetteer g = geocode::gazetteer_of(data);
  const double build_ms = ms_since(t0);
  const auto set = layers::noisy_addresses(data, queries, seed);

  std::map<std::string, Tally> by_noise;
  Tally all;
  std::vector<double> times;
  times.reserve(set.size());
  for (const auto& a : set) {
    const auto t = std::chrono::steady_clock::now();
    const auto found = g.search(a.query, 1);
    times.push_back(ms_since(t));
    Tally one;
    one.queries = 1;
    one.house_queries = a.house;
    one.exact = a.query == a.address;
    if (!found.empty()) {
      const auto& c = found.front();
      one.village_right = c.village_code == a.village_code;
      one.house_right =
          a.house && c.level == geocode::Level::House && c.lon == a.lon && c.lat == a.lat;
    }
    all.add(one);
    if (misses > 0 && (!one.village_right || (a.house && !one.house_right))) {
      --misses;
      std::fprintf(stderr, "miss [%s] %s → %s (registered %s)\n", a.noise.c_str(), a.query.c_str(),
                   found.empty() ? "nothing" : found.front().label.c_str(), a.address.c_str());
    }
    // A row per kind of noise the query has.
    if (a.noise.empty()) by_noise["(none)"].add(one);
    for (std::size_t at = 0; at < a.noise.size();) {
      const std::size_t end = std::min(a.noise.find(',', at), a.noise.size());
      by_noise[a.noise.substr(at, end - at)].add(one);
      at = end + 1;
    }
  }
  std::sort(times.begin(), times.end());
  auto q = [&](double p) { return times[static_cast<std::size_t>(p * (times.size() - 1))]; };

  std::printf(
      "\nGazetteer: %zu areas, %zu houses, %zu places, built in %.0f ms; %zu queries "
      "(seed %llu)\n\n",
      g.areas(), g.houses(), g.places(), build_ms, set.size(),
      static_cast<unsigned long long>(seed));
  std::printf(
      "| queries with | n | top-1 house (of those with a number) | top-1 village | "
      "verbatim (an exact-string lookup) |\n|---|---|---|---|---|\n");
  for (const auto& [kind, t] : by_noise)
    std::printf("| %s | %zu | %s | %s | %s |\n", kind.c_str(), t.queries,
                percent(t.house_right, t.house_queries).c_str(),
                percent(t.village_right, t.queries).c_str(), percent(t.exact, t.queries).c_str());
  std::printf("| **all** | %zu | **%s** | **%s** | %s |\n\n", all.queries,
              percent(all.house_right, all.house_queries).c_str(),
              percent(all.village_right, all.queries).c_str(),
              percent(all.exact, all.queries).c_str());
  std::printf("search: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n", q(0.5), q(0.99), times.back());
  const double house =
      static_cast<double>(all.house_right) / static_cast<double>(all.house_queries);
  const double village = static_cast<double>(all.village_right) / static_cast<double>(all.queries);
  std::printf("target: house ≥ 90 %%: %s; village ≥ 98 %%: %s; p99 ≤ 5 ms: %s\n",
              house >= 0.9 ? "yes" : "no", village >= 0.98 ? "yes" : "no",
              q(0.99) <= 5 ? "yes" : "no");
  return 0;
}
