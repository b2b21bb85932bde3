// bench_dispatch: times the batch dispatch of incidents to grid workers
// (layers/dispatch/assignment.hpp), greedy against the exact optimum, on seeded county-like
// instances.
//
// Instances: a 40 km × 30 km county (Deqing's scale) cut into 25 × 20 = 500 grid cells of
// 1.6 km × 1.5 km. Workers go round-robin to the cells (2,500 workers: 5 per grid; with fewer
// workers than grids, the last grids have no team), each near its cell's centre (normal, σ 200 m,
// kept inside the cell), with a workload cap of 5 less a current load of 0-3 (capacity 2-5).
// Incidents: 70% scattered over the cells (uniform inside a cell, cells weighted by a log-normal
// "population"), 30% around 25 hot spots (normal, σ 250 m). Each point's group is its cell.
// Eligibility "county": any worker may take any incident (task group kAnyGroup, the hardest case);
// "grid": only the team of the incident's grid.
//
// Usage: bench_dispatch [--sizes 1000x250,10000x2500,20000x5000] [--modes county,grid]
//                       [--seed S] [--repeat R] [--nearest-task K] [--nearest-agent K]
//                       [--multilevel yes|no] [--greedy-arcs yes|no] [--added K]
// Prints a markdown table; times are the best of R runs (default 3). The options after --repeat
// set AssignmentOptions (to compare tunings); stderr gets where the last optimal run spent its
// time.
#include "layers/dispatch/assignment.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

using onemap::layers::AssignmentProblem;
using onemap::layers::AssignmentResult;

constexpr double kWidth = 40000, kHeight = 30000;  // metres
constexpr int kCellsX = 25, kCellsY = 20;          // 500 grids
constexpr double kCellW = kWidth / kCellsX, kCellH = kHeight / kCellsY;

int cell_of(double x, double y) {
  const int cx = std::clamp(static_cast<int>(x / kCellW), 0, kCellsX - 1);
  const int cy = std::clamp(static_cast<int>(y / kCellH), 0, kCellsY - 1);
  return cy * kCellsX + cx;
}

AssignmentProblem make_instance(int tasks, int agents, bool county, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 1.0);
  AssignmentProblem p;

  for (int j = 0; j < agents; ++j) {
    const int c = j % (kCellsX * kCellsY);
    const int col = c % kCellsX, row = c / kCellsX;
    const double cx = (col + 0.5) * kCellW, cy = (row + 0.5) * kCellH;
    const double x = std::clamp(cx + 200 * normal(rng), cx - kCellW / 2 + 1, cx + kCellW / 2 - 1);
    const double y = std::clamp(cy + 200 * normal(rng), cy - kCellH / 2 + 1, cy + kCellH / 2 - 1);
    const int load = static_cast<int>(rng() % 4);
    p.add_agent(x, y, 5 - load, c);
  }

  std::vector<double> weight(static_cast<std::size_t>(kCellsX) * kCellsY);
  for (double& w : weight) w = std::exp(normal(rng));
  std::discrete_distribution<int> pick_cell(weight.begin(), weight.end());
  std::vector<std::pair<double, double>> hot(25);
  for (auto& [hx, hy] : hot) hx = u01(rng) * kWidth, hy = u01(rng) * kHeight;
  for (int i = 0; i < tasks; ++i) {
    double x, y;
    if (u01(rng) < 0.7) {
      const int c = pick_cell(rng);
      const int col = c % kCellsX, row = c / kCellsX;
      x = (col + u01(rng)) * kCellW;
      y = (row + u01(rng)) * kCellH;
    } else {
      const auto& [hx, hy] = hot[rng() % hot.size()];
      x = std::clamp(hx + 250 * normal(rng), 0.0, kWidth);
      y = std::clamp(hy + 250 * normal(rng), 0.0, kHeight);
    }
    p.add_task(x, y, county ? onemap::layers::kAnyGroup : cell_of(x, y));
  }
  return p;
}

std::string with_commas(long long v) {
  std::string s = std::to_string(v), out;
  for (std::size_t k = 0; k < s.size(); ++k) {
    if (k > 0 && (s.size() - k) % 3 == 0) out += ',';
    out += s[k];
  }
  return out;
}

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr,
               "bench_dispatch: %s\nusage: bench_dispatch [--sizes 1000x250,10000x2500,...] "
               "[--modes county,grid] [--seed S] [--repeat R]\n",
               msg.c_str());
  std::exit(2);
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(s);
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string sizes = "1000x250,10000x2500,20000x5000", modes = "county,grid";
  uint64_t seed = 20261126;
  long repeat = 3;
  onemap::layers::AssignmentOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::puts(
          "usage: bench_dispatch [--sizes 1000x250,10000x2500,20000x5000] [--modes county,grid]\n"
          "                      [--seed S] [--repeat R] [--nearest-task K] [--nearest-agent K]\n"
          "                      [--multilevel yes|no] [--greedy-arcs yes|no] [--added K]\n"
          "Greedy and optimal batch dispatch (layers/dispatch/assignment.hpp) on seeded "
          "county-like\n"
          "instances (TASKSxAGENTS); prints a markdown table, times best of R runs (default 3).\n"
          "The options after --repeat set AssignmentOptions.");
      return 0;
    }
    if (i + 1 >= argc) usage("missing value for " + a);
    const std::string v = argv[++i];
    if (a == "--sizes")
      sizes = v;
    else if (a == "--modes")
      modes = v;
    else if (a == "--seed")
      seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (a == "--repeat")
      repeat = std::atol(v.c_str());
    else if (a == "--nearest-task")
      options.nearest_per_task = std::atoi(v.c_str());
    else if (a == "--nearest-agent")
      options.nearest_per_agent = std::atoi(v.c_str());
    else if (a == "--multilevel")
      options.multilevel = v == "yes";
    else if (a == "--greedy-arcs")
      options.greedy_arcs = v == "yes";
    else if (a == "--added")
      options.added_per_task = std::atoi(v.c_str());
    else
      usage("unknown argument " + a);
  }
  if (repeat < 1) usage("--repeat must be positive");

  std::puts(
      "| tasks × agents | eligibility | slots | greedy s | greedy km | optimal s | optimal km | "
      "optimal/greedy | assigned greedy / optimal | rounds | arcs first / last | proved |");
  std::puts("|---|---|---|---|---|---|---|---|---|---|---|---|");
  int status = 0;
  for (const std::string& size : split(sizes)) {
    int tasks = 0, agents = 0;
    if (std::sscanf(size.c_str(), "%dx%d", &tasks, &agents) != 2 || tasks < 1 || agents < 1)
      usage("bad size '" + size + "' (TASKSxAGENTS)");
    for (const std::string& mode : split(modes)) {
      if (mode != "county" && mode != "grid") usage("unknown mode '" + mode + "'");
      const AssignmentProblem p = make_instance(tasks, agents, mode == "county", seed);
      long long slots = 0;
      for (const int c : p.agent_capacity) slots += c;
      AssignmentResult greedy, optimal;
      double greedy_s = 1e300, optimal_s = 1e300;
      for (long r = 0; r < repeat; ++r) {
        auto t0 = std::chrono::steady_clock::now();
        greedy = onemap::layers::greedy_assignment(p);
        greedy_s = std::min(
            greedy_s, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        t0 = std::chrono::steady_clock::now();
        optimal = onemap::layers::optimal_assignment(p, options);
        optimal_s =
            std::min(optimal_s,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      }
      std::fprintf(stderr,
                   "bench_dispatch: %s %s: optimal on %d level(s): coarser levels %.3f s, first "
                   "graph %.3f s, network simplex %.3f s, pricing %.3f s, all %.3f s; cost unit "
                   "%.2g m\n",
                   size.c_str(), mode.c_str(), optimal.levels, optimal.coarse_s,
                   optimal.candidates_s, optimal.solve_s, optimal.pricing_s, optimal.total_s,
                   optimal.cost_unit_m);
      if (optimal.assigned < greedy.assigned || !optimal.proved_optimal ||
          (optimal.assigned == greedy.assigned && optimal.total_m > greedy.total_m + 1e-6)) {
        std::fprintf(stderr, "bench_dispatch: %s %s: optimal is not better than greedy\n",
                     size.c_str(), mode.c_str());
        status = 1;
      }
      std::printf(
          "| %s × %s | %s | %s | %.3f | %.1f | %.3f | %.1f | %.3f | %s / %s | %d | %s / %s | %s "
          "|\n",
          with_commas(tasks).c_str(), with_commas(agents).c_str(),
          mode == "county" ? "any worker in the county" : "same grid only",
          with_commas(slots).c_str(), greedy_s, greedy.total_m / 1000, optimal_s,
          optimal.total_m / 1000, optimal.total_m / greedy.total_m,
          with_commas(greedy.assigned).c_str(), with_commas(optimal.assigned).c_str(),
          optimal.rounds, with_commas(static_cast<long long>(optimal.initial_arcs)).c_str(),
          with_commas(static_cast<long long>(optimal.arcs)).c_str(),
          optimal.proved_optimal ? "yes" : "no");
      std::fflush(stdout);
    }
  }
  return status;
}
