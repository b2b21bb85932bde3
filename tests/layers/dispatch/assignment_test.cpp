// Batch dispatch (layers/dispatch/assignment.hpp): the optimal assignment against exhaustive
// enumeration on small random instances, against a dense successive-shortest-path min-cost flow
// written here on a medium one, and its LP duality certificate checked over every pair of a larger
// one; the greedy assignment against a plain nearest-agent loop. Every result goes through one
// checker written here (eligibility, capacities, counts, total distance).
#include "layers/dispatch/assignment.hpp"

#include "core/errors.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

using onemap::InvalidArgument;
using namespace onemap::layers;

namespace {

// Distance as documented: sqrt(dx² + dy²), in this order (the integer costs of the duality
// check must be the solver's to the unit).
double dist(const AssignmentProblem& p, std::size_t i, std::size_t w) {
  const double dx = p.task_x[i] - p.agent_x[w], dy = p.task_y[i] - p.agent_y[w];
  return std::sqrt(dx * dx + dy * dy);
}

// Eligibility as documented: groups equal or either one "any" (-1), and a common role bit.
bool may_take(const AssignmentProblem& p, std::size_t i, std::size_t w) {
  const int32_t tg = p.task_group[i], ag = p.agent_group[w];
  const bool group_ok = tg == -1 || ag == -1 || tg == ag;
  return group_ok && (p.task_roles[i] & p.agent_roles[w]) != 0;
}

// Checks a result against the problem: one entry per task, agents in range, eligible, within
// capacity, and `assigned` and `total_m` as recomputed here.
void check_result(const AssignmentProblem& p, const AssignmentResult& r) {
  ASSERT_EQ(r.agent_of.size(), p.task_count());
  std::vector<int> used(p.agent_count(), 0);
  int assigned = 0;
  double total = 0;
  for (std::size_t i = 0; i < p.task_count(); ++i) {
    const int w = r.agent_of[i];
    if (w == -1) continue;
    ASSERT_GE(w, 0) << "task " << i;
    ASSERT_LT(static_cast<std::size_t>(w), p.agent_count()) << "task " << i;
    ASSERT_TRUE(may_take(p, i, static_cast<std::size_t>(w))) << "task " << i << " agent " << w;
    ++used[static_cast<std::size_t>(w)];
    ++assigned;
    total += dist(p, i, static_cast<std::size_t>(w));
  }
  for (std::size_t w = 0; w < p.agent_count(); ++w)
    ASSERT_LE(used[w], p.agent_capacity[w]) << "agent " << w;
  EXPECT_EQ(r.assigned, assigned);
  EXPECT_NEAR(r.total_m, total, 1e-9 * std::max(1.0, total));
}

// The integer cost of a distance, as documented for the potentials: floor(d / unit + 0.5).
int64_t units(double d, double unit) {
  return static_cast<int64_t>(std::floor(d / unit + 0.5));
}

// The LP duality certificate of an optimal_assignment result, over every pair of the problem.
// With potentials π (relative to the sink) and the documented reduced costs:
//   task i → agent w:   c(i,w) + π(i) − π(w) >= 0 unless i is assigned to w (then <= 0);
//   agent w → sink:     π(w) >= 0 if w has room left, <= 0 if it has a task;
//   task i → sink:      penalty + π(i) >= 0 if i is assigned, <= 0 if not;
// and penalty > n × (largest eligible arc cost), so that the flow optimum assigns the most tasks.
void check_certificate(const AssignmentProblem& p, const AssignmentResult& r) {
  ASSERT_TRUE(r.proved_optimal);
  ASSERT_GT(r.cost_unit_m, 0);
  const std::size_t n = p.task_count(), m = p.agent_count();
  std::vector<int> used(m, 0);
  for (std::size_t i = 0; i < n; ++i)
    if (r.agent_of[i] >= 0) ++used[static_cast<std::size_t>(r.agent_of[i])];
  int64_t max_cost = 0;
  std::size_t negative = 0;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t w = 0; w < m; ++w) {
      if (p.agent_capacity[w] == 0 || !may_take(p, i, w)) continue;
      const int64_t c = units(dist(p, i, w), r.cost_unit_m);
      max_cost = std::max(max_cost, c);
      const int64_t rc = (r.task_potential[i] - r.agent_potential[w]) + c;
      if (r.agent_of[i] == static_cast<int>(w)) {
        EXPECT_LE(rc, 0) << "task " << i << " agent " << w;
      } else if (rc < 0) {
        ++negative;
        ADD_FAILURE() << "negative reduced cost " << rc << ": task " << i << " agent " << w;
        if (negative > 5) return;
      }
    }
    const int64_t rc_sink = r.penalty + r.task_potential[i];
    if (r.agent_of[i] >= 0) {
      EXPECT_GE(rc_sink, 0) << "task " << i;
    } else {
      EXPECT_LE(rc_sink, 0) << "task " << i;
    }
  }
  for (std::size_t w = 0; w < m; ++w) {
    if (p.agent_capacity[w] == 0) continue;
    if (used[w] < p.agent_capacity[w]) {
      EXPECT_GE(r.agent_potential[w], 0) << "agent " << w;
    }
    if (used[w] > 0) {
      EXPECT_LE(r.agent_potential[w], 0) << "agent " << w;
    }
  }
  EXPECT_GT(r.penalty / static_cast<int64_t>(std::max<std::size_t>(n, 1)), max_cost);
}

// Lexicographic optimum by successive shortest paths on the dense graph (every eligible pair):
// source → task (cap 1), task → agent (cap 1, distance), agent → sink (cap capacity). Each
// augmentation along a shortest path keeps the flow of least cost for its value; it stops when
// no path is left, so the last flow has the most tasks and, among those, the least distance.
// Dijkstra with potentials on an adjacency matrix: O(V²) per path.
std::pair<int, double> dense_min_cost_flow(const AssignmentProblem& p) {
  const std::size_t n = p.task_count(), m = p.agent_count(), V = n + m + 2;
  const std::size_t s = n + m, t = n + m + 1;
  std::vector<std::vector<int>> cap(V, std::vector<int>(V, 0));
  std::vector<std::vector<double>> cost(V, std::vector<double>(V, 0));
  for (std::size_t i = 0; i < n; ++i) {
    cap[s][i] = 1;
    for (std::size_t w = 0; w < m; ++w)
      if (p.agent_capacity[w] > 0 && may_take(p, i, w)) {
        cap[i][n + w] = 1;
        cost[i][n + w] = dist(p, i, w);
        cost[n + w][i] = -cost[i][n + w];
      }
  }
  for (std::size_t w = 0; w < m; ++w) cap[n + w][t] = p.agent_capacity[w];
  std::vector<double> pot(V, 0);  // every cost is >= 0 at first
  int flow = 0;
  double total = 0;
  for (;;) {
    std::vector<double> d(V, std::numeric_limits<double>::infinity());
    std::vector<std::size_t> prev(V, V);
    std::vector<bool> done(V, false);
    d[s] = 0;
    for (;;) {
      std::size_t u = V;
      for (std::size_t v = 0; v < V; ++v)
        if (!done[v] && d[v] < std::numeric_limits<double>::infinity() && (u == V || d[v] < d[u]))
          u = v;
      if (u == V) break;
      done[u] = true;
      for (std::size_t v = 0; v < V; ++v) {
        if (cap[u][v] <= 0 || done[v]) continue;
        const double rc = std::max(0.0, cost[u][v] + pot[u] - pot[v]);
        if (d[u] + rc < d[v]) {
          d[v] = d[u] + rc;
          prev[v] = u;
        }
      }
    }
    if (!done[t]) break;
    // New potentials keep every reduced cost >= 0: + d for the nodes reached, + the greatest
    // d for the others.
    double reach = 0;
    for (std::size_t v = 0; v < V; ++v)
      if (done[v]) reach = std::max(reach, d[v]);
    for (std::size_t v = 0; v < V; ++v) pot[v] += done[v] ? d[v] : reach;
    for (std::size_t v = t; v != s; v = prev[v]) {
      const std::size_t u = prev[v];
      --cap[u][v];
      ++cap[v][u];
      total += cost[u][v];
    }
    ++flow;
  }
  return {flow, total};
}

// A random small instance: up to 7 tasks and 4 agents, capacities 0-3, groups 0-2 or any,
// roles from three bits.
AssignmentProblem small_instance(std::mt19937_64& rng) {
  std::uniform_int_distribution<int> tasks(0, 7), agents(0, 4), cap(0, 3), group(-1, 2), mask(1, 7),
      coin(0, 3);
  std::uniform_real_distribution<double> coord(0, 1000);
  AssignmentProblem p;
  const int n = tasks(rng), m = agents(rng);
  for (int i = 0; i < n; ++i)
    p.add_task(coord(rng), coord(rng), coin(rng) == 0 ? group(rng) : kAnyGroup,
               coin(rng) == 0 ? static_cast<uint32_t>(mask(rng)) : kAnyRole);
  for (int w = 0; w < m; ++w)
    p.add_agent(coord(rng), coord(rng), cap(rng), coin(rng) == 0 ? kAnyGroup : group(rng),
                1u << (rng() % 3));
  return p;
}

// A clustered instance with `hubs` crowds: at each, one agent of capacity 1 amid `crowd` tasks
// within 150 m, the other agents 1-4 km away. Most tasks may go to anyone in the county, a
// fifth only to their hub's group, some only to two of four roles.
AssignmentProblem crowded_instance(int hubs, int crowd, int others, int scattered, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u01(0, 1);
  std::normal_distribution<double> normal(0, 1);
  AssignmentProblem p;
  const double side = 4000 * std::sqrt(static_cast<double>(hubs));
  std::vector<std::pair<double, double>> centre(static_cast<std::size_t>(hubs));
  for (int h = 0; h < hubs; ++h) {
    centre[static_cast<std::size_t>(h)] = {u01(rng) * side, u01(rng) * side};
    const auto [cx, cy] = centre[static_cast<std::size_t>(h)];
    p.add_agent(cx, cy, 1, h, role_bit(WorkerRole::GridHead));
  }
  for (int k = 0; k < others; ++k) {
    const auto [cx, cy] = centre[static_cast<std::size_t>(k % hubs)];
    const double r = 1000 + 3000 * u01(rng), a = 2 * M_PI * u01(rng);
    p.add_agent(cx + r * std::cos(a), cy + r * std::sin(a), static_cast<int32_t>(rng() % 6),
                rng() % 10 == 0 ? kAnyGroup : k % hubs, 1u << (rng() % 4));
  }
  for (int h = 0; h < hubs; ++h)
    for (int k = 0; k < crowd; ++k) {
      const auto [cx, cy] = centre[static_cast<std::size_t>(h)];
      const uint32_t roles = rng() % 8 == 0 ? (1u << (rng() % 4)) | 1u : kAnyRole;
      p.add_task(cx + 150 * normal(rng), cy + 150 * normal(rng), rng() % 5 == 0 ? h : kAnyGroup,
                 roles);
    }
  for (int k = 0; k < scattered; ++k)
    p.add_task(u01(rng) * side, u01(rng) * side, kAnyGroup, kAnyRole);
  return p;
}

}  // namespace

TEST(Assignment, EligibilityFollowsGroupsAndRoles) {
  AssignmentProblem p;
  p.add_agent(0, 0, 1, 7, role_bit(WorkerRole::GridHead));       // agent 0: team of grid 7
  p.add_agent(0, 0, 1, 8, role_bit(WorkerRole::AuxPolice));      // agent 1: team of grid 8
  p.add_agent(0, 0, 1, kAnyGroup, role_bit(WorkerRole::Cadre));  // agent 2: county level
  p.add_task(0, 0, 7);                                           // (a) only grid 7's team
  p.add_task(0, 0, kAnyGroup);                                   // (b) anyone in the county
  p.add_task(0, 0, kAnyGroup, role_bit(WorkerRole::AuxPolice));  // (c) auxiliary police only
  p.add_task(0, 0, 8, role_bit(WorkerRole::GridHead));           // grid 8, but no grid head there
  EXPECT_TRUE(p.eligible(0, 0));
  EXPECT_FALSE(p.eligible(0, 1));
  EXPECT_TRUE(p.eligible(0, 2));  // a county-level agent takes any group's task
  for (std::size_t w = 0; w < 3; ++w) EXPECT_TRUE(p.eligible(1, w));
  EXPECT_FALSE(p.eligible(2, 0));
  EXPECT_TRUE(p.eligible(2, 1));
  EXPECT_FALSE(p.eligible(2, 2));
  for (std::size_t w = 0; w < 3; ++w) EXPECT_FALSE(p.eligible(3, w));
  for (const auto& r : {greedy_assignment(p), optimal_assignment(p), brute_force_assignment(p)}) {
    check_result(p, r);
    EXPECT_EQ(r.agent_of[3], -1);
  }
  const AssignmentResult best = optimal_assignment(p);
  EXPECT_EQ(best.assigned, 3);  // the police task needs agent 1: the others share agents 0 and 2
  EXPECT_EQ(best.agent_of[2], 1);
}

TEST(Assignment, MostTasksFirstThenLeastDistance) {
  // Agent 0 (capacity 1) is next to both tasks; agent 1 can take only task 1, 5 km away. The
  // least distance alone would give agent 0 task 1 and leave task 0 out.
  AssignmentProblem p;
  p.add_agent(0, 0, 1, kAnyGroup, 1);
  p.add_agent(5000, 0, 1, kAnyGroup, 2);
  p.add_task(10, 0, kAnyGroup, 1);
  p.add_task(1, 0, kAnyGroup, 3);
  for (const auto& r : {optimal_assignment(p), brute_force_assignment(p)}) {
    check_result(p, r);
    EXPECT_EQ(r.assigned, 2);
    EXPECT_EQ(r.agent_of, (std::vector<int>{0, 1}));
    EXPECT_NEAR(r.total_m, 10 + 4999, 1e-9);
  }
  const AssignmentResult g = greedy_assignment(p);  // task 0 first: it takes agent 0
  EXPECT_EQ(g.agent_of, (std::vector<int>{0, 1}));
  AssignmentProblem q = p;
  std::swap(q.task_x[0], q.task_x[1]);
  std::swap(q.task_roles[0], q.task_roles[1]);  // now task 0 is the one agent 1 can take
  const AssignmentResult g2 = greedy_assignment(q);
  EXPECT_EQ(g2.agent_of, (std::vector<int>{0, -1}));  // greedy: nearest first, one left out
  EXPECT_EQ(optimal_assignment(q).assigned, 2);
}

TEST(Assignment, RandomSmallInstancesMatchBruteForce) {
  std::mt19937_64 rng(20261126);
  int compared_with_greedy = 0, greedy_beaten = 0;
  for (int seed = 0; seed < 300; ++seed) {
    SCOPED_TRACE("instance " + std::to_string(seed));
    const AssignmentProblem p = small_instance(rng);
    const AssignmentResult brute = brute_force_assignment(p);
    const AssignmentResult best = optimal_assignment(p);
    const AssignmentResult greedy = greedy_assignment(p);
    check_result(p, brute);
    check_result(p, best);
    check_result(p, greedy);
    check_certificate(p, best);
    EXPECT_TRUE(brute.proved_optimal);
    EXPECT_EQ(best.assigned, brute.assigned);
    EXPECT_NEAR(best.total_m, brute.total_m, 1e-6);
    EXPECT_GE(best.assigned, greedy.assigned);
    if (best.assigned == greedy.assigned) {
      EXPECT_LE(best.total_m, greedy.total_m + 1e-6);
      ++compared_with_greedy;
    }
    if (best.assigned > greedy.assigned || best.total_m < greedy.total_m - 1e-6) ++greedy_beaten;
    // Without coarser levels and with the smallest first graph: the same optimum.
    AssignmentOptions bare;
    bare.multilevel = false;
    bare.nearest_per_task = 1;
    bare.nearest_per_agent = 0;
    bare.added_per_task = 1;
    const AssignmentResult slow = optimal_assignment(p, bare);
    check_result(p, slow);
    EXPECT_EQ(slow.assigned, brute.assigned);
    EXPECT_NEAR(slow.total_m, brute.total_m, 1e-6);
  }
  EXPECT_GT(compared_with_greedy, 150);
  EXPECT_GT(greedy_beaten, 20);  // the instances are not all trivial
}

TEST(Assignment, GreedyIsNearestAgentWithRoomInTaskOrder) {
  // Integer coordinates on a small lattice: many equal distances, which go to the lower index.
  std::mt19937_64 rng(7);
  for (int round = 0; round < 20; ++round) {
    AssignmentProblem p;
    const int n = 300, m = 60;
    for (int i = 0; i < n; ++i)
      p.add_task(static_cast<double>(rng() % 20), static_cast<double>(rng() % 20),
                 rng() % 3 == 0 ? static_cast<int32_t>(rng() % 4) : kAnyGroup,
                 rng() % 4 == 0 ? 1u + static_cast<uint32_t>(rng() % 7) : kAnyRole);
    for (int w = 0; w < m; ++w)
      p.add_agent(static_cast<double>(rng() % 20), static_cast<double>(rng() % 20),
                  static_cast<int32_t>(rng() % 5),
                  rng() % 5 == 0 ? kAnyGroup : static_cast<int32_t>(rng() % 4), 1u << (rng() % 3));
    std::vector<int> left = p.agent_capacity, expect(n, -1);
    for (std::size_t i = 0; i < p.task_count(); ++i) {
      double best = std::numeric_limits<double>::infinity();
      for (std::size_t w = 0; w < p.agent_count(); ++w) {
        if (left[w] == 0 || !may_take(p, i, w)) continue;
        const double dx = p.task_x[i] - p.agent_x[w], dy = p.task_y[i] - p.agent_y[w];
        const double d2 = dx * dx + dy * dy;
        if (d2 < best) best = d2, expect[i] = static_cast<int>(w);
      }
      if (expect[i] >= 0) --left[static_cast<std::size_t>(expect[i])];
    }
    const AssignmentResult g = greedy_assignment(p);
    check_result(p, g);
    EXPECT_EQ(g.agent_of, expect) << "round " << round;
  }
}

TEST(Assignment, CrowdsNeedPricingAndMatchDenseMinCostFlow) {
  // 300 tasks, 60 agents: ten crowds of 24 tasks around an agent of capacity 1.
  const AssignmentProblem p = crowded_instance(10, 24, 50, 60, 11);
  const auto [flow, total] = dense_min_cost_flow(p);
  AssignmentOptions bare;  // nearest agents only: the crowds' other agents are not among them
  bare.multilevel = false;
  bare.nearest_per_task = 2;
  bare.nearest_per_agent = 0;
  for (const AssignmentOptions& o : {AssignmentOptions{}, bare}) {
    const AssignmentResult r = optimal_assignment(p, o);
    check_result(p, r);
    check_certificate(p, r);
    EXPECT_EQ(r.assigned, flow);
    EXPECT_NEAR(r.total_m, total, 1e-6 + r.assigned * r.cost_unit_m);
  }
  const AssignmentResult r = optimal_assignment(p, bare);
  EXPECT_GT(r.rounds, 1);
  EXPECT_GT(r.arcs, r.initial_arcs);  // pricing added the arcs the nearest agents missed
  const AssignmentResult g = greedy_assignment(p);
  check_result(p, g);
  EXPECT_GE(r.assigned, g.assigned);
}

TEST(Assignment, LargeCrowdedInstanceIsProvedOptimalOverEveryPair) {
  // 2,000 tasks, 400 agents: forty crowds of 40 tasks around an agent of capacity 1, and 400
  // tasks scattered.
  const AssignmentProblem p = crowded_instance(40, 40, 360, 400, 12);
  ASSERT_EQ(p.task_count(), 2000u);
  ASSERT_EQ(p.agent_count(), 400u);
  AssignmentOptions bare;
  bare.multilevel = false;
  bare.nearest_per_task = 2;
  bare.nearest_per_agent = 0;
  const AssignmentResult best = optimal_assignment(p);
  const AssignmentResult slow = optimal_assignment(p, bare);
  for (const AssignmentResult* r : {&best, &slow}) {
    check_result(p, *r);
    check_certificate(p, *r);
  }
  EXPECT_GT(slow.arcs, slow.initial_arcs);
  EXPECT_EQ(best.assigned, slow.assigned);
  EXPECT_NEAR(best.total_m, slow.total_m, 1e-6 + best.assigned * best.cost_unit_m);
  const AssignmentResult g = greedy_assignment(p);
  check_result(p, g);
  EXPECT_GE(best.assigned, g.assigned);
  if (best.assigned == g.assigned) {
    EXPECT_LE(best.total_m, g.total_m + 1e-6);
  }
}

TEST(Assignment, SameGroupOnlyAndCountyWideAgree) {
  // Every agent's group is "any": restricting tasks to a group changes nothing.
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> coord(0, 20000);
  AssignmentProblem county, grid;
  for (int w = 0; w < 200; ++w) {
    const double x = coord(rng), y = coord(rng);
    const auto c = static_cast<int32_t>(rng() % 4);
    county.add_agent(x, y, c);
    grid.add_agent(x, y, c);
  }
  for (int i = 0; i < 800; ++i) {
    const double x = coord(rng), y = coord(rng);
    county.add_task(x, y);
    grid.add_task(x, y, static_cast<int32_t>(rng() % 50));
  }
  const AssignmentResult a = optimal_assignment(county), b = optimal_assignment(grid);
  check_certificate(county, a);
  check_certificate(grid, b);
  EXPECT_EQ(a.assigned, b.assigned);
  EXPECT_NEAR(a.total_m, b.total_m, 1e-6 + a.assigned * a.cost_unit_m);
}

TEST(Assignment, EmptyAndDegenerateInstances) {
  AssignmentProblem none;
  for (const auto& r :
       {greedy_assignment(none), optimal_assignment(none), brute_force_assignment(none)}) {
    EXPECT_TRUE(r.agent_of.empty());
    EXPECT_EQ(r.assigned, 0);
  }
  AssignmentProblem no_room;
  no_room.add_task(0, 0);
  no_room.add_task(1, 1);
  no_room.add_agent(0, 0, 0);
  for (const auto& r : {greedy_assignment(no_room), optimal_assignment(no_room)}) {
    check_result(no_room, r);
    EXPECT_EQ(r.agent_of, (std::vector<int>{-1, -1}));
  }
  // Everything at one point: any assignment of the most tasks is optimal, at distance 0.
  AssignmentProblem same;
  for (int i = 0; i < 50; ++i) same.add_task(5, 5);
  for (int w = 0; w < 10; ++w) same.add_agent(5, 5, 3);
  const AssignmentResult r = optimal_assignment(same);
  check_result(same, r);
  check_certificate(same, r);
  EXPECT_EQ(r.assigned, 30);
  EXPECT_EQ(r.total_m, 0);
}

TEST(Assignment, BadInputNamesTheField) {
  auto expect_field = [](const std::function<void()>& f, const std::string& field) {
    try {
      f();
      ADD_FAILURE() << "no error for " << field;
    } catch (const InvalidArgument& e) {
      EXPECT_EQ(e.parameter(), field) << e.what();
    }
  };
  AssignmentProblem good;
  good.add_task(0, 0);
  good.add_task(1, 0);
  good.add_agent(0, 1, 2);
  auto all = [](const AssignmentProblem& p) { return [p] { p.validate(); }; };
  auto broken = [&](auto change) {
    AssignmentProblem p = good;
    change(p);
    return p;
  };
  const std::vector<std::pair<AssignmentProblem, std::string>> cases = {
      {broken([](auto& p) { p.task_y.pop_back(); }), "task_y"},
      {broken([](auto& p) { p.task_group.push_back(1); }), "task_group"},
      {broken([](auto& p) { p.task_roles.clear(); }), "task_roles"},
      {broken([](auto& p) { p.agent_y.push_back(0); }), "agent_y"},
      {broken([](auto& p) { p.agent_capacity.clear(); }), "agent_capacity"},
      {broken([](auto& p) { p.agent_group.push_back(0); }), "agent_group"},
      {broken([](auto& p) { p.agent_roles.clear(); }), "agent_roles"},
      {broken([](auto& p) { p.task_x[1] = std::nan(""); }), "task_x"},
      {broken([](auto& p) { p.task_y[0] = std::numeric_limits<double>::infinity(); }), "task_y"},
      {broken([](auto& p) { p.agent_x[0] = -std::numeric_limits<double>::infinity(); }), "agent_x"},
      {broken([](auto& p) { p.agent_y[0] = std::nan(""); }), "agent_y"},
      {broken([](auto& p) { p.agent_capacity[0] = -1; }), "agent_capacity"},
      {broken([](auto& p) { p.task_group[0] = -2; }), "task_group"},
      {broken([](auto& p) { p.agent_group[0] = -5; }), "agent_group"},
  };
  for (const auto& c : cases) {
    const AssignmentProblem& p = c.first;
    const std::string& field = c.second;
    expect_field(all(p), field);
    expect_field([&] { greedy_assignment(p); }, field);
    expect_field([&] { optimal_assignment(p); }, field);
    expect_field([&] { brute_force_assignment(p); }, field);
  }
  EXPECT_NO_THROW(good.validate());

  AssignmentOptions o;
  o.added_per_task = 0;
  expect_field([&] { optimal_assignment(good, o); }, "added_per_task");
  o = {};
  o.max_rounds = -1;
  expect_field([&] { optimal_assignment(good, o); }, "max_rounds");
  o = {};
  o.nearest_per_task = -1;
  expect_field([&] { optimal_assignment(good, o); }, "nearest_per_task");

  // Brute force refuses what it cannot enumerate: 12 tasks, 10 agents is 11^12 assignments.
  AssignmentProblem big;
  for (int i = 0; i < 12; ++i) big.add_task(i, 0);
  for (int w = 0; w < 10; ++w) big.add_agent(w, 1, 2);
  expect_field([&] { brute_force_assignment(big); }, "task_x");
}
