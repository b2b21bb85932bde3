// Batch dispatch (layers/dispatch/assignment.hpp): the greedy assignment on R-trees of the agents
// per group; the exact optimum by min-cost flow (LEMON's network simplex) on candidate graphs grown
// by pricing, seeded by coarser versions of the problem (the header says why); the brute-force
// oracle.
// About 1,100 lines in one file on purpose: the greedy pass, the pricing loop and the coarse seeds
// share the candidate graph and its invariants (the header's optimality argument), which a
// split would spread over files that cannot be read alone.
// GCC 12 sees a maybe-uninitialized read in Boost's R*-tree reinsertion (libstdc++'s heap code as
// inlined here), a false positive; silenced for the headers only, which first bring in Boost
// (the state applies where the warned code is written).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include "layers/dispatch/assignment.hpp"
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#include "core/errors.hpp"
#include "core/parallel.hpp"

#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>
#include <boost/geometry.hpp>
#include <boost/geometry/index/rtree.hpp>
#include <boost/iterator/function_output_iterator.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
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

double sq(double v) {
  return v * v;
}

/// The cost in units of a squared distance: assignment_cost_units(sqrt(d2), unit).
int64_t cost_of_d2(double d2, double unit) {
  return static_cast<int64_t>(std::floor(std::sqrt(d2) / unit + 0.5));
}

std::size_t at(int32_t i) {
  return static_cast<std::size_t>(i);
}

// Tuning of the coarser levels (assignment.hpp); none of them changes the optimum, only the
// time to it (measured with bench/bench_dispatch).
constexpr double kFirstCell = 0.7;            ///< first coarser cell side, × sqrt(area / tasks)
constexpr std::size_t kCoarsestTasks = 1000;  ///< coarsen down to about this many task bins
constexpr int kCoarseRounds = 2;              ///< solves of a coarser level
constexpr int kGuidedNearest = 1;             ///< nearest agents per task, below the coarsest
constexpr int kPricedPerTask = 1;             ///< agents of least cost − price per task
constexpr int kPricedPerAgent = 3;  ///< tasks of least cost − value per agent, beyond capacity

/// A point found by a query: its squared distance and its index.
struct Hit {
  double d2;
  int32_t id;
};
bool hit_less(const Hit& a, const Hit& b) {
  return a.d2 < b.d2 || (a.d2 == b.d2 && a.id < b.id);
}

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
/// bin): positions are the amount-weighted means, amounts the sums. Sets fine.task_bin and
/// fine.agent_bin.
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
      out.amount[b] =
          static_cast<int32_t>(std::min<int64_t>(total[b], std::numeric_limits<int32_t>::max()));
    }
  };
  Level coarse;
  bin_side(fine.tasks, coarse.tasks, &fine.task_bin);
  bin_side(fine.agents, coarse.agents, &fine.agent_bin);
  return coarse;
}

/// A value (cost − price) and the index it belongs to.
using Scored = std::pair<int64_t, int32_t>;

/// Points in a k-d tree whose nodes hold their bounding box and greatest price: a scan for the
/// least cost − price descends nearer children first and skips every node too far away to hold a
/// value below its cut-off.
struct KdTree {
  struct Node {
    double minx, miny, maxx, maxy;
    double max_price;
    uint32_t begin, end;  ///< its points
    int32_t left, right;  ///< children, -1 for a leaf
  };
  std::vector<int32_t> order;  ///< index in the side
  std::vector<double> x, y, price;
  std::vector<uint32_t> roles;
  std::vector<Node> nodes;

  KdTree(const Side& s, std::vector<int32_t> ids) : order(std::move(ids)) {
    if (!order.empty()) build(s, 0, order.size());
    for (const int32_t k : order) {
      x.push_back(s.x[at(k)]);
      y.push_back(s.y[at(k)]);
      roles.push_back(s.roles[at(k)]);
    }
    price.assign(order.size(), 0);
  }

  void set_prices(const std::vector<int64_t>& p) {
    for (std::size_t k = 0; k < order.size(); ++k) price[k] = static_cast<double>(p[at(order[k])]);
    for (std::size_t j = nodes.size(); j-- > 0;) {  // children come after their parent
      Node& nd = nodes[j];
      if (nd.left < 0) {
        nd.max_price = -std::numeric_limits<double>::infinity();
        for (uint32_t k = nd.begin; k < nd.end; ++k)
          nd.max_price = std::max(nd.max_price, price[k]);
      } else {
        nd.max_price = std::max(nodes[at(nd.left)].max_price, nodes[at(nd.right)].max_price);
      }
    }
  }

 private:
  /// The tree over order[b, e): splits the wider side at the median down to 8 points.
  int32_t build(const Side& s, std::size_t b, std::size_t e) {
    const auto j = static_cast<int32_t>(nodes.size());
    nodes.push_back({});
    double minx = std::numeric_limits<double>::infinity(), miny = minx, maxx = -minx, maxy = -minx;
    for (std::size_t q = b; q < e; ++q) {
      const auto k = at(order[q]);
      minx = std::min(minx, s.x[k]), maxx = std::max(maxx, s.x[k]);
      miny = std::min(miny, s.y[k]), maxy = std::max(maxy, s.y[k]);
    }
    int32_t left = -1, right = -1;
    if (e - b > 8) {
      const bool by_x = maxx - minx >= maxy - miny;
      const std::size_t mid = b + (e - b) / 2;
      std::nth_element(order.begin() + static_cast<std::ptrdiff_t>(b),
                       order.begin() + static_cast<std::ptrdiff_t>(mid),
                       order.begin() + static_cast<std::ptrdiff_t>(e), [&](int32_t p, int32_t q) {
                         return by_x ? s.x[at(p)] < s.x[at(q)] : s.y[at(p)] < s.y[at(q)];
                       });
      left = build(s, b, mid);
      right = build(s, mid, e);
    }
    nodes[at(j)] = {minx, miny, maxx, maxy, 0, static_cast<uint32_t>(b), static_cast<uint32_t>(e),
                    left, right};
    return j;
  }
};

/// The points of one side of a level that can take part (a role, and for agents a capacity), for
/// the scans of pricing: a k-d tree of all of them (for a point of any group) and one per group
/// (for a point of a group: its group's tree and the kAnyGroup tree).
struct Columns {
  std::vector<int32_t> order;                                 ///< the points that take part
  std::unordered_map<int32_t, std::vector<int32_t>> members;  ///< per group
  KdTree all;
  std::unordered_map<int32_t, KdTree> trees;  ///< per group, when there are several groups
  double max_abs_price = 0;

  Columns(const Side& s, bool need_amount) : all(s, usable(s, need_amount)) {
    order = usable(s, need_amount);
    for (const int32_t k : order) members[s.group[at(k)]].push_back(k);
    if (members.size() > 1 || (members.size() == 1 && !members.contains(kAnyGroup)))
      for (const auto& [g, ids] : members) trees.emplace(g, KdTree(s, ids));
  }

  /// Calls f(ids) for the groups of points whose group matches `group`.
  template <class F>
  void for_members(int32_t group, F&& f) const {
    if (group == kAnyGroup) {
      for (const auto& [g, ids] : members) f(ids);
      return;
    }
    if (const auto it = members.find(group); it != members.end()) f(it->second);
    if (const auto it = members.find(kAnyGroup); it != members.end()) f(it->second);
  }

  /// The number of points whose group matches `group`.
  std::size_t count(int32_t group) const {
    std::size_t c = 0;
    for_members(group, [&](const std::vector<int32_t>& ids) { c += ids.size(); });
    return c;
  }

  void set_prices(const std::vector<int64_t>& p) {
    max_abs_price = 0;
    for (const int32_t k : order)
      max_abs_price = std::max(max_abs_price, std::abs(static_cast<double>(p[at(k)])));
    all.set_prices(p);
    for (auto& [g, t] : trees) t.set_prices(p);
  }

  /// For a point at (px, py) of group `group` and roles `want`: the eligible points q not
  /// marked with cost(q) − p[q] < limit, the k least, in `out` ascending; `least` gets the least
  /// value over every eligible point, marked or not (when below limit). A test in doubles (with a
  /// margin covering their rounding) picks the nodes and points whose exact int64 value is
  /// computed. set_prices(p) must have been called.
  void best(double px, double py, int32_t group, uint32_t want, int64_t limit, std::size_t k,
            const std::vector<int64_t>& p, const std::vector<uint8_t>* mark, double unit,
            std::vector<Scored>& out, int64_t* least = nullptr) const {
    out.clear();
    if (least) *least = limit;
    if (want == 0 || k == 0) return;
    Scan scan{px, py, want, limit, k, p, mark, unit, out, max_abs_price};
    scan.set_cut(limit);
    scan.lowest = limit;
    if (group == kAnyGroup || trees.empty()) {
      if (group == kAnyGroup || members.contains(kAnyGroup)) scan.run(all);
    } else {
      if (const auto it = trees.find(group); it != trees.end()) scan.run(it->second);
      if (const auto it = trees.find(kAnyGroup); it != trees.end()) scan.run(it->second);
    }
    std::sort_heap(out.begin(), out.end());
    if (least) *least = scan.lowest;
  }

 private:
  static std::vector<int32_t> usable(const Side& s, bool need_amount) {
    std::vector<int32_t> ids;
    for (std::size_t k = 0; k < s.size(); ++k)
      if (s.roles[k] != 0 && (!need_amount || s.amount[k] > 0))
        ids.push_back(static_cast<int32_t>(k));
    return ids;
  }

  struct Scan {
    double px, py;
    uint32_t want;
    int64_t limit;
    std::size_t k;
    const std::vector<int64_t>& p;
    const std::vector<uint8_t>* mark;
    double unit;
    std::vector<Scored>& out;
    double max_abs_price;
    int64_t cut = 0, lowest = 0;
    double cut_d = 0, margin = 0;

    void set_cut(int64_t v) {
      cut = v;
      cut_d = static_cast<double>(v);
      margin = 2 + (std::abs(cut_d) + max_abs_price) * std::ldexp(1.0, -48);
    }
    double gap2(const KdTree::Node& nd) const {
      const double dx = std::max({nd.minx - px, 0.0, px - nd.maxx});
      const double dy = std::max({nd.miny - py, 0.0, py - nd.maxy});
      return dx * dx + dy * dy;
    }
    /// Whether a point at squared distance g2 with price `price` may be below the cut-off:
    /// cost < cut + price, cost = floor(d / unit + 0.5): d < (cut + price) × unit, roughly.
    bool may(double g2, double price) const {
      const double t = cut_d + price + margin;
      if (t <= 0) return false;
      const double lim = t * (1 + 1e-12) * unit;
      return g2 < lim * lim;
    }
    void run(const KdTree& t) {
      if (!t.nodes.empty()) visit(t, 0);
    }
    void visit(const KdTree& t, int32_t j) {
      const KdTree::Node& nd = t.nodes[at(j)];
      if (!may(gap2(nd), nd.max_price)) return;
      if (nd.left < 0) {
        for (uint32_t q = nd.begin; q < nd.end; ++q) {
          if ((t.roles[q] & want) == 0) continue;
          const double d2 = sq(t.x[q] - px) + sq(t.y[q] - py);
          if (!may(d2, t.price[q])) continue;
          const int32_t id = t.order[q];
          const int64_t v = cost_of_d2(d2, unit) - p[at(id)];
          lowest = std::min(lowest, v);
          if (v >= cut || (mark && (*mark)[at(id)])) continue;
          out.emplace_back(v, id);
          std::push_heap(out.begin(), out.end());
          if (out.size() > k) {
            std::pop_heap(out.begin(), out.end());
            out.pop_back();
          }
          if (out.size() == k) set_cut(std::min(limit, out.front().first));
        }
        return;
      }
      if (gap2(t.nodes[at(nd.left)]) <= gap2(t.nodes[at(nd.right)])) {
        visit(t, nd.left);
        visit(t, nd.right);
      } else {
        visit(t, nd.right);
        visit(t, nd.left);
      }
    }
  };
};

/// Workers for a scan over `pairs` (task, agent) pairs: every core (at most 8), one for small.
std::size_t scan_threads(double pairs) {
  return pairs < 2e6 ? 1 : std::min<std::size_t>(8, core::available_cores());
}

/// Tasks or agents a scanning worker takes at a time.
constexpr std::size_t kScanChunk = 64;

/// The min-cost flow of one level on candidate arcs, grown by pricing:
///   task i --(cap min(amount i, capacity w), cost c(i,w))--> agent w --(cap capacity w)--> sink
///   task i --(cap amount i, cost penalty)--> sink,   supply amount i at task i.
/// Nodes: tasks 0..n-1, agents n..n+m-1, the sink n+m. Potentials π follow LEMON's sign: the
/// reduced cost of an arc u → v is cost + π(u) − π(v); at an optimum it is >= 0 on every arc
/// with room left and <= 0 on every arc carrying flow.
class LevelSolver {
 public:
  struct Arc {
    int32_t agent;
    int32_t flow;
    int64_t cost;
  };

  LevelSolver(const Level& level, double unit, int64_t penalty)
      : L_(level),
        n_(level.tasks.size()),
        m_(level.agents.size()),
        unit_(unit),
        penalty_(penalty),
        cand_(n_),
        pi_(n_ + m_ + 1, 0),
        agents_(level.agents, true),
        threads_(scan_threads(static_cast<double>(n_) * static_cast<double>(m_))) {}

  const std::vector<std::vector<Arc>>& candidates() const { return cand_; }
  /// π(task i) − π(sink).
  int64_t task_potential(std::size_t i) const { return pi_[i] - pi_[n_ + m_]; }
  /// π(agent w) − π(sink).
  int64_t agent_potential(std::size_t w) const { return pi_[n_ + w] - pi_[n_ + m_]; }
  int64_t flow_cost() const { return flow_cost_; }
  std::size_t arc_count() const {
    std::size_t c = 0;
    for (const auto& v : cand_) c += v.size();
    return c;
  }

  /// Adds task i → agent w unless it is there; true when added.
  bool add_arc(std::size_t i, int32_t w) {
    for (const Arc& a : cand_[i])
      if (a.agent == w) return false;
    const double d2 =
        sq(L_.tasks.x[i] - L_.agents.x[at(w)]) + sq(L_.tasks.y[i] - L_.agents.y[at(w)]);
    cand_[i].push_back({w, 0, cost_of_d2(d2, unit_)});
    return true;
  }

  /// Eligible (task, agent) pairs, ignoring roles: the size of the dense problem.
  double eligible_pairs() const {
    double pairs = 0;
    std::unordered_map<int32_t, std::size_t> per_group;
    for (std::size_t i = 0; i < n_; ++i) {
      if (L_.tasks.roles[i] == 0) continue;
      const int32_t g = L_.tasks.group[i];
      auto it = per_group.find(g);
      if (it == per_group.end()) it = per_group.emplace(g, agents_.count(g)).first;
      pairs += static_cast<double>(it->second);
    }
    return pairs;
  }

  /// Every eligible pair.
  void add_all() {
    for (std::size_t i = 0; i < n_; ++i) {
      const uint32_t r = L_.tasks.roles[i];
      if (r == 0) continue;
      agents_.for_members(L_.tasks.group[i], [&](const std::vector<int32_t>& ids) {
        for (const int32_t w : ids)
          if (L_.agents.roles[at(w)] & r) add_arc(i, w);
      });
    }
  }

  /// Each task's k_task nearest eligible agents and each agent's k_agent nearest eligible tasks.
  void add_nearest(int k_task, int k_agent) {
    if (agents_.order.empty()) return;
    std::vector<Hit> hits;
    if (k_task > 0) {
      const GroupedIndex index(L_.agents.x, L_.agents.y, L_.agents.group, L_.agents.roles,
                               agents_.order);
      for (std::size_t i = 0; i < n_; ++i) {
        if (L_.tasks.roles[i] == 0) continue;
        index.k_nearest(L_.tasks.x[i], L_.tasks.y[i], L_.tasks.group[i], L_.tasks.roles[i],
                        static_cast<unsigned>(k_task), hits);
        for (const Hit& h : hits) add_arc(i, h.id);
      }
    }
    if (k_agent > 0) {
      const GroupedIndex index(L_.tasks.x, L_.tasks.y, L_.tasks.group, L_.tasks.roles,
                               L_.tasks.ids());
      for (const int32_t w : agents_.order) {
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

  /// Candidates from a guess of the agent potentials (those of a coarser level, relative to the
  /// sink): each task's k_task eligible agents of least cost − π(agent); then, with each task's
  /// potential taken as the one that guess implies (−min(penalty, least cost − π(agent))), each
  /// agent's capacity + k_agent eligible tasks of least cost + π(task).
  void add_priced(const std::vector<int64_t>& agent_guess, int k_task, int k_agent) {
    if (k_task <= 0 && k_agent <= 0) return;
    agents_.set_prices(agent_guess);
    std::vector<int64_t> task_price(n_, 0);  // −π(task)
    Workers work(threads_, m_);
    core::parallel_for(n_, kScanChunk, threads_, [&](std::size_t t, std::size_t i) {
      Worker& me = work[t];
      for (const Arc& a : cand_[i]) me.mark[at(a.agent)] = 1;
      int64_t least = std::numeric_limits<int64_t>::max();
      agents_.best(L_.tasks.x[i], L_.tasks.y[i], L_.tasks.group[i], L_.tasks.roles[i],
                   std::numeric_limits<int64_t>::max(),
                   static_cast<std::size_t>(std::max(k_task, 1)), agent_guess, &me.mark, unit_,
                   me.best, &least);
      for (const Arc& a : cand_[i]) me.mark[at(a.agent)] = 0;
      for (std::size_t j = 0; j < me.best.size() && j < static_cast<std::size_t>(k_task); ++j)
        me.picks.push_back({static_cast<int32_t>(i), static_cast<int32_t>(j), me.best[j].second});
      task_price[i] = std::min(penalty_, least);
    });
    if (k_agent > 0) {
      Columns tasks(L_.tasks, false);
      tasks.set_prices(task_price);
      core::parallel_for(
          agents_.order.size(), kScanChunk, threads_, [&](std::size_t t, std::size_t q) {
            Worker& me = work[t];
            const int32_t w = agents_.order[q];
            const auto k = static_cast<std::size_t>(L_.agents.amount[at(w)]) +
                           static_cast<std::size_t>(k_agent);
            tasks.best(L_.agents.x[at(w)], L_.agents.y[at(w)], L_.agents.group[at(w)],
                       L_.agents.roles[at(w)], std::numeric_limits<int64_t>::max(), k, task_price,
                       nullptr, unit_, me.best);
            // After the task's own picks (ranks from k_task on).
            for (std::size_t j = 0; j < me.best.size(); ++j)
              me.picks.push_back(
                  {me.best[j].second, static_cast<int32_t>(k_task + 1 + static_cast<int>(j)), w});
          });
    }
    add_picks(work);
  }

  /// Network simplex on the candidates, from scratch: flows and potentials.
  void solve() {
    using Graph = lemon::SmartDigraph;
    using Simplex = lemon::NetworkSimplex<Graph, int, int64_t>;
    const std::size_t arcs = arc_count();
    Graph g;
    g.reserveNode(static_cast<int>(n_ + m_ + 1));
    g.reserveArc(static_cast<int>(arcs + n_ + m_));
    for (std::size_t k = 0; k < n_ + m_ + 1; ++k) g.addNode();
    Graph::ArcMap<int> cap(g);
    Graph::ArcMap<int64_t> cost(g);
    Graph::NodeMap<int> supply(g, 0);
    const Graph::Node sink = g.nodeFromId(static_cast<int>(n_ + m_));
    // Candidate arcs first, in task order: arc id k is the k-th candidate.
    int64_t total = 0;
    for (std::size_t i = 0; i < n_; ++i) {
      const Graph::Node u = g.nodeFromId(static_cast<int>(i));
      for (const Arc& a : cand_[i]) {
        const Graph::Arc e = g.addArc(u, g.nodeFromId(static_cast<int>(n_ + at(a.agent))));
        cap[e] = std::min(L_.tasks.amount[i], L_.agents.amount[at(a.agent)]);
        cost[e] = a.cost;
      }
    }
    for (std::size_t i = 0; i < n_; ++i) {
      const Graph::Node u = g.nodeFromId(static_cast<int>(i));
      const Graph::Arc e = g.addArc(u, sink);
      cap[e] = L_.tasks.amount[i];
      cost[e] = penalty_;
      supply[u] = L_.tasks.amount[i];
      total += L_.tasks.amount[i];
    }
    for (std::size_t w = 0; w < m_; ++w) {
      const Graph::Arc e = g.addArc(g.nodeFromId(static_cast<int>(n_ + w)), sink);
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
    for (std::size_t v = 0; v < n_ + m_ + 1; ++v)
      pi_[v] = ns.potential(g.nodeFromId(static_cast<int>(v)));
  }

  /// Pricing: every eligible pair outside the graph with reduced cost
  /// cost + π(task) − π(agent) < 0 is a violation. For each task with one, adds up to
  /// `per_task` of its pairs of least reduced cost. Returns the number of tasks with a
  /// violation: 0 proves the flow optimal over every eligible pair (LP duality: the potentials
  /// are then feasible for the whole problem, with complementary slackness on the graph's arcs).
  std::size_t price(int per_task) {
    std::vector<int64_t> agent_pi(m_);
    for (std::size_t w = 0; w < m_; ++w) agent_pi[w] = agent_potential(w);
    agents_.set_prices(agent_pi);
    Workers work(threads_, m_);
    std::atomic<std::size_t> violated{0};
    core::parallel_for(n_, kScanChunk, threads_, [&](std::size_t t, std::size_t i) {
      Worker& me = work[t];
      for (const Arc& a : cand_[i]) me.mark[at(a.agent)] = 1;
      // cost − π(agent) < −π(task)
      agents_.best(L_.tasks.x[i], L_.tasks.y[i], L_.tasks.group[i], L_.tasks.roles[i],
                   -task_potential(i), static_cast<std::size_t>(per_task), agent_pi, &me.mark,
                   unit_, me.best);
      for (const Arc& a : cand_[i]) me.mark[at(a.agent)] = 0;
      if (me.best.empty()) return;
      violated.fetch_add(1, std::memory_order_relaxed);
      for (std::size_t j = 0; j < me.best.size(); ++j)
        me.picks.push_back({static_cast<int32_t>(i), static_cast<int32_t>(j), me.best[j].second});
    });
    add_picks(work);
    return violated.load();
  }

 private:
  /// A pair found by a scan: arcs are added in (task, rank, agent) order, whatever the threads.
  struct Pick {
    int32_t task, rank, agent;
  };
  /// A scanning thread's scratch.
  struct Worker {
    std::vector<uint8_t> mark;  ///< agents already joined to the task scanned
    std::vector<Scored> best;
    std::vector<Pick> picks;
  };
  struct Workers : std::vector<Worker> {
    Workers(std::size_t threads, std::size_t agents) : std::vector<Worker>(threads) {
      for (Worker& w : *this) w.mark.assign(agents, 0);
    }
  };
  void add_picks(Workers& work) {
    std::vector<Pick> all;
    for (Worker& w : work) all.insert(all.end(), w.picks.begin(), w.picks.end());
    std::sort(all.begin(), all.end(), [](const Pick& a, const Pick& b) {
      if (a.task != b.task) return a.task < b.task;
      return a.rank != b.rank ? a.rank < b.rank : a.agent < b.agent;
    });
    for (const Pick& p : all) add_arc(at(p.task), p.agent);
  }

  const Level& L_;
  std::size_t n_, m_;
  double unit_;
  int64_t penalty_;
  std::vector<std::vector<Arc>> cand_;
  std::vector<int64_t> pi_;
  int64_t flow_cost_ = 0;
  Columns agents_;
  std::size_t threads_;
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

AssignmentResult optimal_assignment(const AssignmentProblem& problem,
                                    const AssignmentOptions& options) {
  const auto t_start = std::chrono::steady_clock::now();
  problem.validate();
  if (options.nearest_per_task < 0) throw InvalidArgument("nearest_per_task", "must be >= 0");
  if (options.nearest_per_agent < 0) throw InvalidArgument("nearest_per_agent", "must be >= 0");
  if (options.added_per_task < 1) throw InvalidArgument("added_per_task", "must be >= 1");
  if (options.max_rounds < 0) throw InvalidArgument("max_rounds", "must be >= 0");

  const std::size_t n = problem.task_count();
  const std::vector<int32_t> agents = usable_agents(problem);  // the finest level's agents
  const std::size_t na = agents.size();
  AssignmentResult r;
  r.agent_of.assign(n, -1);
  r.task_potential.assign(n, 0);
  r.agent_potential.assign(problem.agent_count(), 0);

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
  for (const Side* s : {&levels[0].tasks, &levels[0].agents})
    for (std::size_t k = 0; k < s->size(); ++k) {
      minx = std::min(minx, s->x[k]), maxx = std::max(maxx, s->x[k]);
      miny = std::min(miny, s->y[k]), maxy = std::max(maxy, s->y[k]);
    }
  const double diag = n > 0 ? std::hypot(maxx - minx, maxy - miny) : 0.0;
  const double nodes = static_cast<double>(n + na + 1);
  // At most 2^50 units across the bounding box, where doubles still hold a quarter unit.
  const double max_units = std::min(std::floor((std::ldexp(1.0, 60) / nodes - 1) /
                                               static_cast<double>(std::max<std::size_t>(n, 1))) -
                                        2,
                                    std::ldexp(1.0, 50));
  if (max_units < 1) throw InvalidArgument("task_x", "too many tasks for 64-bit flow costs");
  const double unit = diag > 0 ? diag / max_units : 1.0;
  // Any distance within the bounding box costs at most max_units + 1 (rounding), so at most
  // max_cost with a unit to spare.
  const int64_t max_cost = static_cast<int64_t>(max_units) + 2;
  const int64_t penalty = static_cast<int64_t>(n) * max_cost + 1;
  r.cost_unit_m = unit;
  r.penalty = penalty;
  if (n == 0 || na == 0) {  // nothing can be assigned: every task stays out
    std::fill(r.task_potential.begin(), r.task_potential.end(), -penalty);
    r.proved_optimal = true;
    r.total_s = seconds_since(t_start);
    return r;
  }

  // A level whose dense problem is this small takes every eligible pair at once.
  const double dense_limit = 12.0 * static_cast<double>(n);
  // Coarser levels while the problem is large: cells of side 0.7 × sqrt(area / tasks) (about
  // two tasks each where they are spread evenly), doubling, down to about a thousand task bins.
  if (options.multilevel && LevelSolver(levels[0], unit, penalty).eligible_pairs() > dense_limit) {
    const double area = std::max((maxx - minx) * (maxy - miny), 1.0);
    double cell = kFirstCell * std::sqrt(area / static_cast<double>(n));
    // Bins keep groups and roles apart, so a problem of many groups may stop shrinking.
    for (int attempt = 0; attempt < 24 && levels.back().tasks.size() > kCoarsestTasks;
         ++attempt, cell *= 2) {
      Level coarse = coarsen(levels.back(), cell, minx, miny);
      if (coarse.tasks.size() * 10 > levels.back().tasks.size() * 9) continue;  // little gained
      levels.push_back(std::move(coarse));
    }
  }
  r.levels = static_cast<int>(levels.size());

  // Solve from the coarsest. Each coarser level hands the next finer one its agent potentials,
  // spread to the agents of each bin, and its arcs carrying flow, as (task bin, agent bin).
  std::vector<int64_t> guess;
  std::vector<std::pair<int32_t, int32_t>> support;
  std::vector<std::vector<int32_t>> task_children, agent_children;
  for (std::size_t l = levels.size(); l-- > 0;) {
    const Level& level = levels[l];
    const bool finest = l == 0;
    auto t0 = std::chrono::steady_clock::now();
    LevelSolver solver(level, unit, penalty);
    if (solver.eligible_pairs() <= dense_limit) {
      solver.add_all();
    } else if (guess.empty()) {
      solver.add_nearest(options.nearest_per_task, options.nearest_per_agent);
    } else {
      solver.add_nearest(kGuidedNearest, 0);
      for (const auto& [t, a] : support)
        solver.add_support(task_children[at(t)], agent_children[at(a)]);
      solver.add_priced(guess, kPricedPerTask, kPricedPerAgent);
    }
    if (finest && options.greedy_arcs) {
      const auto tg = std::chrono::steady_clock::now();
      const std::vector<int> g = greedy(problem);
      std::vector<int32_t> node(problem.agent_count(), -1);
      for (std::size_t k = 0; k < na; ++k) node[at(agents[k])] = static_cast<int32_t>(k);
      for (std::size_t i = 0; i < n; ++i)
        if (g[i] >= 0) solver.add_arc(i, node[at(g[i])]);
      r.greedy_s = seconds_since(tg);
    }
    if (finest) {
      r.coarse_s = seconds_since(t_start) - seconds_since(t0);
      r.candidates_s = seconds_since(t0);
      r.initial_arcs = solver.arc_count();
    }
    // Solve, price, repeat: the finest level until pricing proves the optimum (or max_rounds),
    // a coarser one only kCoarseRounds times (its potentials need not be exact).
    for (int round = 1;; ++round) {
      t0 = std::chrono::steady_clock::now();
      solver.solve();
      if (finest) {
        r.solve_s += seconds_since(t0);
        r.rounds = round;
      }
      t0 = std::chrono::steady_clock::now();
      const std::size_t violated = solver.price(options.added_per_task);
      if (finest) r.pricing_s += seconds_since(t0);
      if (violated == 0) {
        r.proved_optimal = finest;
        break;
      }
      if (finest ? options.max_rounds > 0 && round >= options.max_rounds : round >= kCoarseRounds)
        break;
    }
    if (!finest) {
      const Level& finer = levels[l - 1];
      const std::vector<int32_t>& bin = finer.agent_bin;
      guess.assign(bin.size(), 0);
      for (std::size_t k = 0; k < bin.size(); ++k) guess[k] = solver.agent_potential(at(bin[k]));
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
    r.arcs = solver.arc_count();
    r.flow_cost = solver.flow_cost();
    for (std::size_t i = 0; i < n; ++i) {
      for (const auto& a : solver.candidates()[i])
        if (a.flow > 0) r.agent_of[i] = agents[at(a.agent)];
      r.task_potential[i] = solver.task_potential(i);
    }
    for (std::size_t k = 0; k < na; ++k)
      r.agent_potential[at(agents[k])] = solver.agent_potential(k);
  }

  summarize(problem, r);
  r.total_s = seconds_since(t_start);
  return r;
}

}  // namespace onemap::layers
