// Batch dispatch (layers/assignment.hpp): the greedy assignment on R-trees of the agents per group,
// the exact optimum by min-cost flow (LEMON's network simplex) on candidate graphs grown by
// pricing, seeded by coarser versions of the problem, and the brute-force oracle.
//
// Why the coarser versions: with more tasks than free slots county-wide, the optimum fills every
// slot, so workers in quiet areas take incidents from kilometres away while the tasks left over
// sit in the hot spots; one task in ten goes to an agent beyond its 50 nearest. Nearest-neighbour
// candidates miss those arcs and pricing then needs many rounds, each a network simplex run from
// scratch. So the tasks and agents are binned into ever coarser cells (same group and roles per
// bin, amounts summed) down to about a thousand task bins; the coarsest is solved first, and each
// finer level takes as candidates, besides each task's nearest agents, the agents of least
// distance + slot price under the coarser level's agent potentials (its dual solution, spread to
// the agents of each bin). The finest level then usually needs one or two pricing rounds. Only
// the finest level's solution counts: its pricing over every eligible pair is the proof.
#include "layers/assignment.hpp"

#include "spatial/errors.hpp"

#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <boost/iterator/function_output_iterator.hpp>
#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

#include <algorithm>
#include <random>
#include <cstdio>
#include <cstdlib>
#include <chrono>
#include <cmath>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

namespace onemap::layers {

namespace {

namespace bg = boost::geometry;
namespace bgi = boost::geometry::index;

using BPoint = bg::model::point<double, 2, bg::cs::cartesian>;
using Entry = std::pair<BPoint, int32_t>;  ///< a point and its index
using Tree = bgi::rtree<Entry, bgi::rstar<16>>;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double sq(double v) { return v * v; }

/// The cost in units of a squared distance: assignment_cost_units(sqrt(d2), unit).
int64_t cost_of_d2(double d2, double unit) {
  return static_cast<int64_t>(std::floor(std::sqrt(d2) / unit + 0.5));
}

std::size_t at(int32_t i) { return static_cast<std::size_t>(i); }

/// A point found by a query: its squared distance and its index.
struct Hit {
  double d2;
  int32_t id;
};
bool hit_less(const Hit& a, const Hit& b) { return a.d2 < b.d2 || (a.d2 == b.d2 && a.id < b.id); }

/// Points of one side (agents or tasks) in R-trees: all of them, those of each group and those of
/// kAnyGroup. A query from a point of group g looks in `all` when g is kAnyGroup, else in g's tree
/// and the kAnyGroup tree: exactly the points whose group matches g. Roles are checked per point;
/// points without any role are never indexed.
class GroupedIndex {
 public:
  GroupedIndex(const std::vector<double>& x, const std::vector<double>& y,
               const std::vector<int32_t>& group, const std::vector<uint32_t>& roles,
               const std::vector<int32_t>& ids)
      : x_(x), y_(y), group_(group), roles_(roles) {
    std::vector<Entry> all, any;
    std::unordered_map<int32_t, std::vector<Entry>> by_group;
    all.reserve(ids.size());
    for (const int32_t id : ids) {
      const Entry e{BPoint(x[at(id)], y[at(id)]), id};
      all.push_back(e);
      const int32_t g = group[at(id)];
      (g == kAnyGroup ? any : by_group[g]).push_back(e);
    }
    // The range constructors bulk-load packed trees.
    all_ = Tree(all.begin(), all.end());
    any_ = Tree(any.begin(), any.end());
    for (auto& [g, v] : by_group) by_group_.emplace(g, Tree(v.begin(), v.end()));
  }

  /// The k nearest points eligible for a query point at (px, py) of group `group` and roles
  /// `roles`, nearest first (equal distances: lower index first), in `out` (cleared first).
  void k_nearest(double px, double py, int32_t group, uint32_t roles, unsigned k,
                 std::vector<Hit>& out) const {
    out.clear();
    if (k == 0) return;
    const Tree* trees[2];
    const int nt = trees_for(group, trees);
    for (int t = 0; t < nt; ++t) query(*trees[t], px, py, roles, k, out);
    std::sort(out.begin(), out.end(), hit_less);
    if (out.size() > k) out.resize(k);
  }

  /// The nearest eligible point (equal distances: the lowest index); false when there is none.
  bool nearest(double px, double py, int32_t group, uint32_t roles, Hit& best) {
    best = {std::numeric_limits<double>::infinity(), std::numeric_limits<int32_t>::max()};
    const Tree* trees[2];
    const int nt = trees_for(group, trees);
    for (int t = 0; t < nt; ++t) {
      // Ask for more neighbours until the farthest returned is strictly farther than the
      // nearest: then every point at the nearest distance is among them.
      for (unsigned k = 2;; k *= 2) {
        scratch_.clear();
        query(*trees[t], px, py, roles, k, scratch_);
        if (scratch_.empty()) break;
        const auto first = std::min_element(scratch_.begin(), scratch_.end(), hit_less);
        const double far = std::max_element(scratch_.begin(), scratch_.end(), hit_less)->d2;
        if (scratch_.size() < k || far > first->d2) {
          if (hit_less(*first, best)) best = *first;
          break;
        }
      }
    }
    return best.d2 < std::numeric_limits<double>::infinity();
  }

  /// Takes point `id` out of the index.
  void remove(int32_t id) {
    const Entry e{BPoint(x_[at(id)], y_[at(id)]), id};
    all_.remove(e);
    if (group_[at(id)] == kAnyGroup) {
      any_.remove(e);
    } else {
      by_group_.at(group_[at(id)]).remove(e);
    }
  }

 private:
  int trees_for(int32_t group, const Tree* out[2]) const {
    if (group == kAnyGroup) {
      out[0] = &all_;
      return 1;
    }
    int n = 0;
    if (const auto it = by_group_.find(group); it != by_group_.end()) out[n++] = &it->second;
    if (!any_.empty()) out[n++] = &any_;
    return n;
  }

  void query(const Tree& tree, double px, double py, uint32_t roles, unsigned k,
             std::vector<Hit>& out) const {
    if (tree.empty()) return;
    const BPoint p(px, py);
    auto sink = boost::make_function_output_iterator([&](const Entry& e) {
      out.push_back({sq(x_[at(e.second)] - px) + sq(y_[at(e.second)] - py), e.second});
    });
    if (roles == kAnyRole) {
      tree.query(bgi::nearest(p, k), sink);
    } else {
      tree.query(bgi::nearest(p, k) && bgi::satisfies([&](const Entry& e) {
                   return (roles_[at(e.second)] & roles) != 0;
                 }),
                 sink);
    }
  }

  const std::vector<double>& x_;
  const std::vector<double>& y_;
  const std::vector<int32_t>& group_;
  const std::vector<uint32_t>& roles_;
  Tree all_, any_;
  std::unordered_map<int32_t, Tree> by_group_;
  std::vector<Hit> scratch_;
};

/// One side of a flow problem (its tasks or its agents) as columns.
struct Side {
  std::vector<double> x, y;
  std::vector<int32_t> group;
  std::vector<uint32_t> roles;
  std::vector<int32_t> amount;  ///< tasks: how many (supply); agents: capacity

  std::size_t size() const { return x.size(); }
  void push(double px, double py, int32_t g, uint32_t r, int32_t a) {
    x.push_back(px);
    y.push_back(py);
    group.push_back(g);
    roles.push_back(r);
    amount.push_back(a);
  }
  std::vector<int32_t> ids() const {
    std::vector<int32_t> v;
    for (std::size_t k = 0; k < size(); ++k)
      if (roles[k] != 0) v.push_back(static_cast<int32_t>(k));
    return v;
  }
};

/// A transportation problem from tasks to agents: the problem itself (amounts 1 and the
/// capacities), or a coarser version of it with tasks and agents binned.
struct Level {
  Side tasks, agents;
  std::vector<int32_t> task_bin;   ///< per task: its task in the next coarser level
  std::vector<int32_t> agent_bin;  ///< per agent: its agent in the next coarser level
};

/// Bins `fine`'s tasks and agents into square cells of side `cell` (same group and roles per
/// bin): positions are the amount-weighted means, amounts the sums. Sets fine.agent_bin.
Level coarsen(Level& fine, double cell, double x0, double y0) {
  struct Key {
    int64_t cx, cy;
    int32_t group;
    uint32_t roles;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      uint64_t h = static_cast<uint64_t>(k.cx) * 0x9e3779b97f4a7c15ull;
      h ^= static_cast<uint64_t>(k.cy) + 0x7f4a7c159e3779b9ull + (h << 6) + (h >> 2);
      h ^= static_cast<uint64_t>(static_cast<uint32_t>(k.group)) * 0xbf58476d1ce4e5b9ull;
      h ^= static_cast<uint64_t>(k.roles) * 0x94d049bb133111ebull + (h >> 31);
      return static_cast<std::size_t>(h);
    }
  };
  auto bin_side = [&](const Side& s, Side& out, std::vector<int32_t>* bin_of) {
    std::unordered_map<Key, int32_t, KeyHash> bins;
    std::vector<double> sx, sy;
    std::vector<int64_t> total;
    if (bin_of) bin_of->assign(s.size(), -1);
    for (std::size_t k = 0; k < s.size(); ++k) {
      const Key key{static_cast<int64_t>(std::floor((s.x[k] - x0) / cell)),
                    static_cast<int64_t>(std::floor((s.y[k] - y0) / cell)), s.group[k], s.roles[k]};
      auto [it, inserted] = bins.try_emplace(key, static_cast<int32_t>(sx.size()));
      if (inserted) {
        sx.push_back(0), sy.push_back(0), total.push_back(0);
        out.push(0, 0, s.group[k], s.roles[k], 0);
      }
      const auto b = at(it->second);
      const double w = s.amount[k];
      sx[b] += w * s.x[k], sy[b] += w * s.y[k];
      total[b] += s.amount[k];
      if (bin_of) (*bin_of)[k] = it->second;
    }
    for (std::size_t b = 0; b < sx.size(); ++b) {
      out.x[b] = sx[b] / static_cast<double>(total[b]);
      out.y[b] = sy[b] / static_cast<double>(total[b]);
      out.amount[b] = static_cast<int32_t>(std::min<int64_t>(total[b], std::numeric_limits<int32_t>::max()));
    }
  };
  Level coarse;
  bin_side(fine.tasks, coarse.tasks, &fine.task_bin);
  bin_side(fine.agents, coarse.agents, &fine.agent_bin);
  return coarse;
}

/// Per task: up to K (cost − price) values and agents, kept as a bounded max-heap.
using Scored = std::pair<int64_t, int32_t>;

/// The min-cost flow of one level, solved on candidate arcs and grown by pricing.
class LevelSolver {
 public:
  struct Arc {
    int32_t agent;
    int64_t cost;
    int32_t flow;
  };

  LevelSolver(const Level& level, double unit, int64_t penalty)
      : L_(level), unit_(unit), penalty_(penalty), cand_(level.tasks.size()),
        task_pi_(level.tasks.size(), 0), agent_pi_(level.agents.size(), 0),
        mark_(level.agents.size(), 0) {
    // Agents ordered by group (kAnyGroup first), as columns, with each group's range.
    const Side& a = L_.agents;
    for (std::size_t k = 0; k < a.size(); ++k)
      if (a.roles[k] != 0 && a.amount[k] > 0) order_.push_back(static_cast<int32_t>(k));
    std::stable_sort(order_.begin(), order_.end(),
                     [&](int32_t p, int32_t q) { return a.group[at(p)] < a.group[at(q)]; });
    for (std::size_t k = 0; k < order_.size(); ++k) {
      const auto w = at(order_[k]);
      ox_.push_back(a.x[w]);
      oy_.push_back(a.y[w]);
      oroles_.push_back(a.roles[w]);
      auto [it, inserted] = range_.try_emplace(a.group[w], k, k + 1);
      if (!inserted) it->second.second = k + 1;
    }
    if (const auto it = range_.find(kAnyGroup); it != range_.end()) any_range_ = it->second;
    oprice_.resize(order_.size());
  }

  const std::vector<std::vector<Arc>>& candidates() const { return cand_; }
  const std::vector<int64_t>& task_potential() const { return task_pi_; }
  const std::vector<int64_t>& agent_potential() const { return agent_pi_; }
  int64_t flow_cost() const { return flow_cost_; }
  std::size_t arc_count() const {
    std::size_t n = 0;
    for (const auto& v : cand_) n += v.size();
    return n;
  }

  /// Adds task i → agent w unless it is there; true when added.
  bool add_arc(std::size_t i, int32_t w) {
    for (const Arc& a : cand_[i])
      if (a.agent == w) return false;
    const double d2 = sq(L_.tasks.x[i] - L_.agents.x[at(w)]) + sq(L_.tasks.y[i] - L_.agents.y[at(w)]);
    cand_[i].push_back({w, cost_of_d2(d2, unit_), 0});
    return true;
  }

  /// Eligible (task, agent) pairs, ignoring roles: the size of the dense problem.
  double eligible_pairs() const {
    double pairs = 0;
    for (std::size_t i = 0; i < L_.tasks.size(); ++i) {
      if (L_.tasks.roles[i] == 0) continue;
      for_ranges(L_.tasks.group[i], [&](std::size_t b, std::size_t e) { pairs += static_cast<double>(e - b); });
    }
    return pairs;
  }

  /// Every eligible pair.
  void add_all() {
    for (std::size_t i = 0; i < L_.tasks.size(); ++i) {
      const uint32_t r = L_.tasks.roles[i];
      if (r == 0) continue;
      for_ranges(L_.tasks.group[i], [&](std::size_t b, std::size_t e) {
        for (std::size_t k = b; k < e; ++k)
          if (oroles_[k] & r) add_arc(i, order_[k]);
      });
    }
  }

  /// Each task's k nearest eligible agents and each agent's k_agent nearest eligible tasks.
  void add_nearest(int k_task, int k_agent) {
    std::vector<Hit> hits;
    const std::vector<int32_t> agents = order_;
    if (k_task > 0 && !agents.empty()) {
      const GroupedIndex index(L_.agents.x, L_.agents.y, L_.agents.group, L_.agents.roles, agents);
      for (std::size_t i = 0; i < L_.tasks.size(); ++i) {
        if (L_.tasks.roles[i] == 0) continue;
        index.k_nearest(L_.tasks.x[i], L_.tasks.y[i], L_.tasks.group[i], L_.tasks.roles[i],
                        static_cast<unsigned>(k_task), hits);
        for (const Hit& h : hits) add_arc(i, h.id);
      }
    }
    if (k_agent > 0 && !agents.empty()) {
      const GroupedIndex index(L_.tasks.x, L_.tasks.y, L_.tasks.group, L_.tasks.roles, L_.tasks.ids());
      for (const int32_t w : agents) {
        index.k_nearest(L_.agents.x[at(w)], L_.agents.y[at(w)], L_.agents.group[at(w)],
                        L_.agents.roles[at(w)], static_cast<unsigned>(k_agent), hits);
        for (const Hit& h : hits) add_arc(at(h.id), w);
      }
    }
  }

  /// Every pair (task of `tasks`, agent of `agents`): the tasks and agents of two bins of the
  /// coarser level that flow goes between. Bins hold one group and one set of roles, so the
  /// pairs are eligible when the bins are.
  void add_support(const std::vector<int32_t>& tasks, const std::vector<int32_t>& agents) {
    for (const int32_t i : tasks)
      for (const int32_t w : agents) add_arc(at(i), w);
  }

  /// Each task's k eligible agents of least cost − price, with `price` a guess of the agent
  /// potentials (those of a coarser level).
  void add_priced(const std::vector<int64_t>& price, int k) {
    if (k <= 0) return;
    set_prices(price);
    std::vector<Scored> best;
    for (std::size_t i = 0; i < L_.tasks.size(); ++i) {
      best_agents(i, std::numeric_limits<int64_t>::max(), static_cast<std::size_t>(k), price, best);
      for (const Scored& s : best) add_arc(i, s.second);
    }
  }

  /// Network simplex on the candidates: flows and potentials (relative to the sink).
  void solve() {
    using Graph = lemon::SmartDigraph;
    using Simplex = lemon::NetworkSimplex<Graph, int, int64_t>;
    const std::size_t n = L_.tasks.size(), m = L_.agents.size();
    const std::size_t arcs = arc_count();
    Graph g;
    g.reserveNode(static_cast<int>(n + m + 1));
    g.reserveArc(static_cast<int>(arcs + n + m));
    for (std::size_t k = 0; k < n + m + 1; ++k) g.addNode();
    Graph::ArcMap<int> cap(g);
    Graph::ArcMap<int64_t> cost(g);
    Graph::NodeMap<int> supply(g, 0);
    const Graph::Node sink = g.nodeFromId(static_cast<int>(n + m));
    // Candidate arcs first, in task order: arc id k is the k-th candidate.
    int64_t total = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const Graph::Node u = g.nodeFromId(static_cast<int>(i));
      for (const Arc& a : cand_[i]) {
        const Graph::Arc e = g.addArc(u, g.nodeFromId(static_cast<int>(n + at(a.agent))));
        cap[e] = std::min(L_.tasks.amount[i], L_.agents.amount[at(a.agent)]);
        cost[e] = a.cost;
      }
    }
    for (std::size_t i = 0; i < n; ++i) {
      const Graph::Node u = g.nodeFromId(static_cast<int>(i));
      const Graph::Arc e = g.addArc(u, sink);
      cap[e] = L_.tasks.amount[i];
      cost[e] = penalty_;
      supply[u] = L_.tasks.amount[i];
      total += L_.tasks.amount[i];
    }
    for (std::size_t w = 0; w < m; ++w) {
      const Graph::Arc e = g.addArc(g.nodeFromId(static_cast<int>(n + w)), sink);
      cap[e] = L_.agents.amount[w];
      cost[e] = 0;
    }
    supply[sink] = -static_cast<int>(total);
    Simplex ns(g);
    ns.upperMap(cap).costMap(cost).supplyMap(supply);
    if (ns.run() != Simplex::OPTIMAL)  // never: leaving every task unassigned is feasible
      throw std::logic_error("optimal_assignment: the flow problem has no optimum");
    flow_cost_ = ns.totalCost<int64_t>();
    int id = 0;
    for (auto& v : cand_)
      for (Arc& a : v) a.flow = ns.flow(g.arcFromId(id++));
    const int64_t sink_pi = ns.potential(sink);
    for (std::size_t i = 0; i < n; ++i)
      task_pi_[i] = ns.potential(g.nodeFromId(static_cast<int>(i))) - sink_pi;
    for (std::size_t w = 0; w < m; ++w)
      agent_pi_[w] = ns.potential(g.nodeFromId(static_cast<int>(n + w))) - sink_pi;
  }

  /// Pricing: every eligible pair outside the graph with reduced cost
  /// cost + π(task) − π(agent) < 0; adds up to `per_task` of the most negative per task.
  /// Returns the arcs added: 0 proves the flow optimal over every eligible pair.
  std::size_t price(int per_task) {
    set_prices(agent_pi_);
    std::vector<Scored> best;
    std::size_t added = 0;
    for (std::size_t i = 0; i < L_.tasks.size(); ++i) {
      // cost − π(agent) < −π(task)
      best_agents(i, -task_pi_[i], static_cast<std::size_t>(per_task), agent_pi_, best);
      for (const Scored& s : best) added += add_arc(i, s.second);
    }
    return added;
  }

 private:
  template <class F>
  void for_ranges(int32_t task_group, F&& f) const {
    if (task_group == kAnyGroup) {
      f(std::size_t{0}, order_.size());
      return;
    }
    if (const auto it = range_.find(task_group); it != range_.end()) f(it->second.first, it->second.second);
    if (any_range_.second > any_range_.first) f(any_range_.first, any_range_.second);
  }

  void set_prices(const std::vector<int64_t>& price) {
    max_abs_price_ = 0;
    for (std::size_t k = 0; k < order_.size(); ++k) {
      oprice_[k] = static_cast<double>(price[at(order_[k])]);
      max_abs_price_ = std::max(max_abs_price_, std::abs(oprice_[k]));
    }
  }

  /// Task i's eligible agents outside its candidates with cost − price < limit: the k least, in
  /// `out` ascending. A test in doubles (with a margin covering their rounding) picks the agents
  /// whose exact int64 value is computed. set_prices(price) must have been called.
  void best_agents(std::size_t i, int64_t limit, std::size_t k, const std::vector<int64_t>& price,
                   std::vector<Scored>& out) {
    out.clear();
    const uint32_t troles = L_.tasks.roles[i];
    if (troles == 0 || k == 0) return;
    for (const Arc& a : cand_[i]) mark_[at(a.agent)] = 1;
    const double tx = L_.tasks.x[i], ty = L_.tasks.y[i];
    int64_t cut = limit;  // values must be below this
    double cut_d = 0, margin = 0;
    auto set_cut = [&](int64_t c) {
      cut = c;
      cut_d = static_cast<double>(c);
      margin = 2 + (std::abs(cut_d) + max_abs_price_) * std::ldexp(1.0, -48);
    };
    set_cut(limit);
    for_ranges(L_.tasks.group[i], [&](std::size_t b, std::size_t e) {
      for (std::size_t q = b; q < e; ++q) {
        // cost < cut + price, cost = floor(d / unit + 0.5): d < (cut + price) × unit, roughly.
        const double t = cut_d + oprice_[q] + margin;
        if (t <= 0 || (oroles_[q] & troles) == 0) continue;
        const double lim = t * (1 + 1e-12) * unit_;
        const double d2 = sq(ox_[q] - tx) + sq(oy_[q] - ty);
        if (d2 >= lim * lim) continue;
        const int32_t w = order_[q];
        if (mark_[at(w)]) continue;
        const int64_t v = cost_of_d2(d2, unit_) - price[at(w)];
        if (v >= cut) continue;
        out.emplace_back(v, w);
        std::push_heap(out.begin(), out.end());
        if (out.size() > k) {
          std::pop_heap(out.begin(), out.end());
          out.pop_back();
        }
        if (out.size() == k) set_cut(std::min(limit, out.front().first));
      }
    });
    for (const Arc& a : cand_[i]) mark_[at(a.agent)] = 0;
    std::sort_heap(out.begin(), out.end());
  }

  const Level& L_;
  double unit_;
  int64_t penalty_;
  std::vector<std::vector<Arc>> cand_;
  std::vector<int64_t> task_pi_, agent_pi_;
  int64_t flow_cost_ = 0;
  std::vector<uint8_t> mark_;
  // Pricing columns.
  std::vector<int32_t> order_;
  std::vector<double> ox_, oy_, oprice_;
  std::vector<uint32_t> oroles_;
  std::unordered_map<int32_t, std::pair<std::size_t, std::size_t>> range_;
  std::pair<std::size_t, std::size_t> any_range_{0, 0};
  double max_abs_price_ = 0;
};

/// Fills `assigned` and `total_m` from `agent_of`, the same way for every method.
void summarize(const AssignmentProblem& p, AssignmentResult& r) {
  r.assigned = 0;
  r.total_m = 0;
  for (std::size_t i = 0; i < r.agent_of.size(); ++i) {
    if (r.agent_of[i] < 0) continue;
    ++r.assigned;
    r.total_m += assignment_distance_m(p, i, at(r.agent_of[i]));
  }
}

/// Agents that can take anything: capacity > 0 and at least one role.
std::vector<int32_t> usable_agents(const AssignmentProblem& p) {
  std::vector<int32_t> ids;
  for (std::size_t w = 0; w < p.agent_count(); ++w)
    if (p.agent_capacity[w] > 0 && p.agent_roles[w] != 0) ids.push_back(static_cast<int32_t>(w));
  return ids;
}

std::vector<int> greedy(const AssignmentProblem& p) {
  const std::size_t n = p.task_count();
  std::vector<int> agent_of(n, -1);
  const std::vector<int32_t> ids = usable_agents(p);
  if (ids.empty()) return agent_of;
  GroupedIndex index(p.agent_x, p.agent_y, p.agent_group, p.agent_roles, ids);
  std::vector<int32_t> left = p.agent_capacity;
  Hit h;
  for (std::size_t i = 0; i < n; ++i) {
    if (p.task_roles[i] == 0) continue;
    if (!index.nearest(p.task_x[i], p.task_y[i], p.task_group[i], p.task_roles[i], h)) continue;
    agent_of[i] = h.id;
    if (--left[at(h.id)] == 0) index.remove(h.id);
  }
  return agent_of;
}

template <class T>
void check_size(const std::vector<T>& v, std::size_t n, const char* name, const char* base) {
  if (v.size() != n)
    throw InvalidArgument(name, "has " + std::to_string(v.size()) + " values for " +
                                    std::to_string(n) + " (the size of " + base + ")");
}

void check_finite(const std::vector<double>& v, const char* name, const char* what) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      throw InvalidArgument(name, std::string(what) + " " + std::to_string(i) + " is not finite");
}

void check_groups(const std::vector<int32_t>& v, const char* name, const char* what) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (v[i] < kAnyGroup)
      throw InvalidArgument(name, std::string(what) + " " + std::to_string(i) + " has group " +
                                      std::to_string(v[i]) +
                                      " (groups are >= 0, or -1 for any group)");
}

}  // namespace

void AssignmentProblem::add_task(double x, double y, int32_t group, uint32_t roles) {
  task_x.push_back(x);
  task_y.push_back(y);
  task_group.push_back(group);
  task_roles.push_back(roles);
}

void AssignmentProblem::add_agent(double x, double y, int32_t capacity, int32_t group,
                                  uint32_t roles) {
  agent_x.push_back(x);
  agent_y.push_back(y);
  agent_capacity.push_back(capacity);
  agent_group.push_back(group);
  agent_roles.push_back(roles);
}

void AssignmentProblem::validate() const {
  constexpr std::size_t kMax = static_cast<std::size_t>(std::numeric_limits<int32_t>::max());
  const std::size_t n = task_x.size(), m = agent_x.size();
  if (n > kMax) throw InvalidArgument("task_x", "more than 2^31 - 1 tasks");
  if (m > kMax) throw InvalidArgument("agent_x", "more than 2^31 - 1 agents");
  check_size(task_y, n, "task_y", "task_x");
  check_size(task_group, n, "task_group", "task_x");
  check_size(task_roles, n, "task_roles", "task_x");
  check_size(agent_y, m, "agent_y", "agent_x");
  check_size(agent_capacity, m, "agent_capacity", "agent_x");
  check_size(agent_group, m, "agent_group", "agent_x");
  check_size(agent_roles, m, "agent_roles", "agent_x");
  check_finite(task_x, "task_x", "task");
  check_finite(task_y, "task_y", "task");
  check_finite(agent_x, "agent_x", "agent");
  check_finite(agent_y, "agent_y", "agent");
  for (std::size_t w = 0; w < m; ++w)
    if (agent_capacity[w] < 0)
      throw InvalidArgument("agent_capacity", "agent " + std::to_string(w) + " has capacity " +
                                                  std::to_string(agent_capacity[w]) +
                                                  " (must be >= 0)");
  check_groups(task_group, "task_group", "task");
  check_groups(agent_group, "agent_group", "agent");
}

double assignment_distance_m(const AssignmentProblem& p, std::size_t task, std::size_t agent) {
  const double dx = p.task_x[task] - p.agent_x[agent], dy = p.task_y[task] - p.agent_y[agent];
  return std::sqrt(dx * dx + dy * dy);
}

int64_t assignment_cost_units(double distance_m, double cost_unit_m) {
  return static_cast<int64_t>(std::floor(distance_m / cost_unit_m + 0.5));
}

AssignmentResult greedy_assignment(const AssignmentProblem& problem) {
  const auto t0 = std::chrono::steady_clock::now();
  problem.validate();
  AssignmentResult r;
  r.agent_of = greedy(problem);
  summarize(problem, r);
  r.total_s = seconds_since(t0);
  return r;
}

AssignmentResult brute_force_assignment(const AssignmentProblem& problem) {
  const auto t0 = std::chrono::steady_clock::now();
  problem.validate();
  const std::size_t n = problem.task_count(), m = problem.agent_count();
  std::vector<std::vector<int32_t>> options(n);
  double combinations = 1;
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t w = 0; w < m; ++w)
      if (problem.agent_capacity[w] > 0 && problem.eligible(i, w))
        options[i].push_back(static_cast<int32_t>(w));
    combinations *= static_cast<double>(options[i].size() + 1);
  }
  constexpr double kLimit = 2e7;
  if (combinations > kLimit)
    throw InvalidArgument("task_x", "brute force is for tiny instances: " +
                                        std::to_string(std::llround(std::min(combinations, 1e18))) +
                                        " assignments to try, more than 20,000,000");

  std::vector<int32_t> left = problem.agent_capacity;
  std::vector<int> current(n, -1), best(n, -1);
  int best_assigned = -1;
  double best_total = std::numeric_limits<double>::infinity();
  // Depth-first over tasks: unassigned first, then each eligible agent with capacity left.
  auto search = [&](auto&& self, std::size_t i, int assigned, double total) -> void {
    if (i == n) {
      if (assigned > best_assigned || (assigned == best_assigned && total < best_total)) {
        best_assigned = assigned;
        best_total = total;
        best = current;
      }
      return;
    }
    current[i] = -1;
    self(self, i + 1, assigned, total);
    for (const int32_t w : options[i]) {
      auto& l = left[at(w)];
      if (l == 0) continue;
      --l;
      current[i] = w;
      self(self, i + 1, assigned + 1, total + assignment_distance_m(problem, i, at(w)));
      current[i] = -1;
      ++l;
    }
  };
  search(search, 0, 0, 0.0);

  AssignmentResult r;
  r.agent_of = std::move(best);
  summarize(problem, r);
  r.proved_optimal = true;
  r.total_s = seconds_since(t0);
  return r;
}

std::vector<int64_t>* g_cheat = nullptr;
double g_noise = 0;
AssignmentResult optimal_assignment(const AssignmentProblem& problem,
                                    const AssignmentOptions& options) {
  const auto t_start = std::chrono::steady_clock::now();
  problem.validate();
  if (options.candidates_per_task < 0)
    throw InvalidArgument("candidates_per_task", "must be >= 0");
  if (options.candidates_per_agent < 0)
    throw InvalidArgument("candidates_per_agent", "must be >= 0");
  if (options.priced_per_task < 0) throw InvalidArgument("priced_per_task", "must be >= 0");
  if (options.added_per_task < 1) throw InvalidArgument("added_per_task", "must be >= 1");
  if (options.coarse_tasks < 1) throw InvalidArgument("coarse_tasks", "must be >= 1");
  if (options.max_rounds < 0) throw InvalidArgument("max_rounds", "must be >= 0");

  const std::size_t n = problem.task_count();
  const std::vector<int32_t> agents = usable_agents(problem);  // the finest level's agents
  const std::size_t na = agents.size();
  AssignmentResult r;
  r.agent_of.assign(n, -1);
  r.task_potential.assign(n, 0);
  r.agent_potential.assign(problem.agent_count(), 0);
  if (n == 0 || na == 0) {  // nothing can be assigned
    r.proved_optimal = true;
    r.total_s = seconds_since(t_start);
    return r;
  }

  // The finest level: every task, the usable agents.
  std::vector<Level> levels(1);
  for (std::size_t i = 0; i < n; ++i)
    levels[0].tasks.push(problem.task_x[i], problem.task_y[i], problem.task_group[i],
                         problem.task_roles[i], 1);
  for (const int32_t w : agents)
    levels[0].agents.push(problem.agent_x[at(w)], problem.agent_y[at(w)],
                          problem.agent_group[at(w)], problem.agent_roles[at(w)],
                          problem.agent_capacity[at(w)]);

  // The cost unit: the finest with (nodes) × (penalty) within 2^60, where the penalty is
  // n × (largest arc cost) + 1. LEMON's network simplex keeps potentials within its artificial
  // cost 2^62 plus the costs along a tree path, so every sum it forms stays within int64. Every
  // level uses the same unit and penalty, so that potentials carry from one to the next.
  double minx = std::numeric_limits<double>::infinity(), miny = minx, maxx = -minx, maxy = -minx;
  auto grow = [&](const Side& s) {
    for (std::size_t k = 0; k < s.size(); ++k) {
      minx = std::min(minx, s.x[k]), maxx = std::max(maxx, s.x[k]);
      miny = std::min(miny, s.y[k]), maxy = std::max(maxy, s.y[k]);
    }
  };
  grow(levels[0].tasks);
  grow(levels[0].agents);
  const double diag = std::hypot(maxx - minx, maxy - miny);
  const double nodes = static_cast<double>(n + na + 1);
  const double max_units =
      std::floor((std::ldexp(1.0, 60) / nodes - 1) / static_cast<double>(n)) - 1;
  if (max_units < 1) throw InvalidArgument("task_x", "too many tasks for 64-bit flow costs");
  const double unit = diag > 0 ? diag / max_units : 1.0;
  // Any distance within the bounding box costs at most max_units + 1 (rounding).
  const int64_t max_cost = static_cast<int64_t>(max_units) + 1;
  const int64_t penalty = static_cast<int64_t>(n) * max_cost + 1;
  r.cost_unit_m = unit;
  r.penalty = penalty;

  // Coarser levels while the dense problem is large: cells of about four tasks, doubling.
  const double kDenseLimit = 4.0 * static_cast<double>(n) *
                             (options.candidates_per_task + options.priced_per_task + 1);
  auto t0 = std::chrono::steady_clock::now();
  {
    LevelSolver probe(levels[0], unit, penalty);
    if (options.multilevel && probe.eligible_pairs() > kDenseLimit) {
      const double area = std::max((maxx - minx) * (maxy - miny), 1.0);
      double cell = 2 * std::sqrt(area / static_cast<double>(n));
      // Bins keep groups and roles apart, so a problem of many groups may stop shrinking.
      for (int attempt = 0; attempt < 24 && levels.back().tasks.size() >
                                                static_cast<std::size_t>(options.coarse_tasks);
           ++attempt, cell *= 2) {
        Level coarse = coarsen(levels.back(), cell, minx, miny);
        if (coarse.tasks.size() * 10 > levels.back().tasks.size() * 9) continue;  // little gained
        levels.push_back(std::move(coarse));
      }
    }
  }
  // Solve from the coarsest; each level's agent potentials price the next finer one.
  std::vector<int64_t> guess;
  std::vector<std::pair<int32_t, int32_t>> support;
  std::vector<std::vector<int32_t>> task_children, agent_children;
  if (g_cheat) { guess = *g_cheat; levels.resize(1); std::mt19937_64 rng(1); std::normal_distribution<double> nd(0, g_noise / unit); for (auto& gval : guess) gval += (int64_t)nd(rng); }
  for (std::size_t l = levels.size(); l-- > 0;) {
    const Level& level = levels[l];
    const bool finest = l == 0;
    const auto t_level = std::chrono::steady_clock::now();
    LevelSolver solver(level, unit, penalty);
    if (solver.eligible_pairs() <= kDenseLimit) {
      solver.add_all();
    } else {
      if (finest && options.greedy_arcs) {
        const auto tg = std::chrono::steady_clock::now();
        const std::vector<int> g = greedy(problem);
        std::vector<int32_t> node(problem.agent_count(), -1);
        for (std::size_t k = 0; k < na; ++k) node[at(agents[k])] = static_cast<int32_t>(k);
        for (std::size_t i = 0; i < n; ++i)
          if (g[i] >= 0) solver.add_arc(i, node[at(g[i])]);
        r.greedy_s = seconds_since(tg);
      }
      if (guess.empty()) {
        solver.add_nearest(options.candidates_per_task, options.candidates_per_agent);
      } else {
        solver.add_nearest(options.candidates_per_task, 0);
        if (!std::getenv("NO_SUPPORT"))
        for (const auto& [t, a] : support) solver.add_support(task_children[at(t)], agent_children[at(a)]);
        solver.add_priced(guess, options.priced_per_task);
      }
    }
    if (finest) {
      r.candidates_s = seconds_since(t_level);
      r.initial_arcs = solver.arc_count();
    }
    for (int round = 1;; ++round) {
      auto ts = std::chrono::steady_clock::now();
      solver.solve();
      if (finest) {
        r.solve_s += seconds_since(ts);
        r.rounds = round;
      }
      if (finest && options.max_rounds > 0 && round >= options.max_rounds) break;
      ts = std::chrono::steady_clock::now();
      const std::size_t added = solver.price(options.added_per_task);
      if (std::getenv("ASSIGN_DEBUG")) std::fprintf(stderr, "level %zu (%zu tasks, %zu agents) round %d arcs %zu added %zu cost %lld solve+price %.3f\n", l, level.tasks.size(), level.agents.size(), round, solver.arc_count(), added, (long long)solver.flow_cost(), seconds_since(ts));
      if (finest) r.pricing_s += seconds_since(ts);
      if (added == 0) {
        if (finest) r.proved_optimal = true;
        break;
      }
    }
    if (!finest) {
      // The potentials of this level's agents, spread to the agents of each bin.
      const Level& finer = levels[l - 1];
      const std::vector<int32_t>& bin = finer.agent_bin;
      guess.assign(bin.size(), 0);
      for (std::size_t k = 0; k < bin.size(); ++k) guess[k] = solver.agent_potential()[at(bin[k])];
      // The arcs carrying flow, as (task bin, agent bin).
      support.clear();
      for (std::size_t t = 0; t < level.tasks.size(); ++t)
        for (const auto& a : solver.candidates()[t])
          if (a.flow > 0) support.emplace_back(static_cast<int32_t>(t), a.agent);
      task_children.assign(level.tasks.size(), {});
      for (std::size_t i = 0; i < finer.task_bin.size(); ++i)
        task_children[at(finer.task_bin[i])].push_back(static_cast<int32_t>(i));
      agent_children.assign(level.agents.size(), {});
      for (std::size_t w = 0; w < bin.size(); ++w)
        if (finer.agents.amount[w] > 0 && finer.agents.roles[w] != 0)
          agent_children[at(bin[w])].push_back(static_cast<int32_t>(w));
      continue;
    }
    r.levels = static_cast<int>(levels.size());
    r.arcs = solver.arc_count();
    r.flow_cost = solver.flow_cost();
    for (std::size_t i = 0; i < n; ++i) {
      for (const auto& a : solver.candidates()[i])
        if (a.flow > 0) r.agent_of[i] = agents[at(a.agent)];
      r.task_potential[i] = solver.task_potential()[i];
    }
    for (std::size_t k = 0; k < na; ++k) r.agent_potential[at(agents[k])] = solver.agent_potential()[k];
  }
  r.coarse_s = seconds_since(t0) - r.candidates_s - r.solve_s - r.pricing_s;

  summarize(problem, r);
  r.total_s = seconds_since(t_start);
  return r;
}

}  // namespace onemap::layers
