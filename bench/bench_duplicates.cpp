// Duplicate suggestion (layers/triage/duplicates.hpp) on the demo's labelled reports
// (tools/demo/duplicate_reports.hpp): precision and recall by kind of report, beside the rule
// FixMyStreet applies (it shows the reports of the same category near the new one: here, the
// nearest of the same category within the same distance), and the time of a suggestion.
//
//   bench_duplicates [--data-dir data] [--config data/dispatch.json] [--scale 0.2]
//                    [--earlier 20000] [--reports 4000] [--seed 20261207]
#include "layers/triage/duplicates.hpp"
#include "spatial/crs.hpp"
#include "tools/demo/demo.hpp"
#include "tools/demo/duplicate_reports.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace onemap;

int main(int argc, char** argv) {
  layers::DemoOptions demo;
  demo.end_time = 1795622400;  // 2026-11-26 00:00 UTC+8: the demo's pinned end date
  demo.scale = 0.2;
  std::string config_path = "data/dispatch.json";
  std::size_t earlier = 20000, reports = 4000;
  uint64_t seed = 20261207;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "bench_duplicates: %s wants a value\n", a.c_str());
      return 2;
    }
    const std::string v = argv[++i];
    if (a == "--data-dir")
      demo.data_dir = v;
    else if (a == "--config")
      config_path = v;
    else if (a == "--scale")
      demo.scale = std::atof(v.c_str());
    else if (a == "--earlier")
      earlier = std::strtoull(v.c_str(), nullptr, 10);
    else if (a == "--reports")
      reports = std::strtoull(v.c_str(), nullptr, 10);
    else if (a == "--seed")
      seed = std::strtoull(v.c_str(), nullptr, 10);
    else {
      std::fprintf(stderr, "bench_duplicates: unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  const auto config = layers::DispatchConfig::load(config_path);
  const layers::Dataset data = layers::build_demo(demo);
  const auto set = layers::duplicate_reports(data, config, earlier, reports, seed);
  const auto& rule = config.triage.duplicates;

  std::vector<double> times;
  auto onemap_rule = [&](const layers::Incident& r) -> int64_t {
    const auto t0 = std::chrono::steady_clock::now();
    const auto found = triage::suggest_duplicates(r, set.earlier, config, 1);
    times.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    return found.empty() ? 0 : found.front().fid;
  };
  auto nearby_rule = [&](const layers::Incident& r) -> int64_t {
    int64_t best = 0;
    double best_m = rule.distance_m;
    for (const auto& in : set.earlier)
      if (in.category == r.category && in.reported_at <= r.reported_at) {
        const double m = spatial::distance_m(in.location, r.location);
        if (m <= best_m) best = in.fid, best_m = m;
      }
    return best;
  };

  std::printf(
      "\n%zu earlier incidents, %zu reports (seed %llu); rule: %.0f m, %.0f h, score ≥ %.2f\n\n",
      set.earlier.size(), set.reports.size(), static_cast<unsigned long long>(seed),
      rule.distance_m, rule.hours, rule.min_score);
  std::printf(
      "| reports | n | onemap: suggested | onemap: correct | nearest of the category "
      "(FixMyStreet): suggested | correct |\n|---|---|---|---|---|---|\n");
  for (const char* kind : {"repeat", "later", "far", "other_class", "elsewhere"}) {
    const auto a = layers::score_suggestions(set, onemap_rule, kind);
    const auto b = layers::score_suggestions(set, nearby_rule, kind);
    std::printf("| %s | %zu | %zu | %zu | %zu | %zu |\n", kind, a.reports, a.suggested, a.correct,
                b.suggested, b.correct);
  }
  times.clear();
  const auto a = layers::score_suggestions(set, onemap_rule);
  const auto b = layers::score_suggestions(set, nearby_rule);
  std::printf("\n| | precision | recall |\n|---|---|---|\n");
  std::printf("| onemap | %.3f | %.3f |\n", a.precision(), a.recall());
  std::printf("| nearest of the category | %.3f | %.3f |\n\n", b.precision(), b.recall());
  std::sort(times.begin(), times.end());
  auto q = [&](double p) { return times[static_cast<std::size_t>(p * (times.size() - 1))]; };
  std::printf("suggestion over %zu incidents: p50 %.3f ms, p99 %.3f ms\n", set.earlier.size(),
              q(0.5), q(0.99));
  std::printf("target: precision ≥ 0.9: %s; recall ≥ 0.9: %s\n",
              a.precision() >= 0.9 ? "yes" : "no", a.recall() >= 0.9 ? "yes" : "no");
  return a.precision() >= 0.9 && a.recall() >= 0.9 ? 0 : 1;
}
