// Batch dispatch: assigns tasks (incidents) to agents (grid workers) that have a capacity, either
// greedily or exactly.
//
// Positions are in projected metres (x east, y north; the caller projects lon/lat beforehand, e.g.
// to Gauss-Krüger CM 120°E), and the cost of giving task i to agent w is their Euclidean distance.
// Agent w takes at most capacity(w) tasks (its free slots: workload cap minus current load).
//
// Objective, lexicographic: first the largest number of tasks assigned, then the smallest total
// distance among those assignments. A task may stay unassigned (agent -1).
//
// Eligibility: task i may go to agent w only when both
//   - their groups match: group(i) == group(w), or either of them is kAnyGroup, and
//   - their roles meet: roles(i) & roles(w) != 0.
// A task's `roles` is the set of roles allowed to take it, an agent's `roles` the roles it has
// (usually one bit, role_bit(worker.role)). With group = the index of the task's grid and of the
// worker's team grid:
//   (a) only the grid team of the task's grid:  task group = its grid, agent group = its team grid;
//   (b) any team in the county:                 task group = kAnyGroup;
//   (c) role restrictions per category:         task roles = the roles allowed for its category,
//                                                e.g. role_bit(AuxPolice) | role_bit(GridHead).
// An agent with group kAnyGroup (a county-level worker) is eligible for every group's tasks.
//
// optimal_assignment solves the min-cost flow
//   task i --(cap 1, cost c(i,w))--> agent w --(cap capacity(w), cost 0)--> sink
//   task i --(cap 1, cost P)--> sink   (stays unassigned)
// with supply 1 at every task, where c(i,w) is the distance in integer cost units
// (assignment_cost_units) and the penalty P exceeds n × the largest possible arc cost: an
// augmenting path that assigns one more task gains P and adds at most n arcs, so any assignment
// of more tasks is cheaper than any of fewer, and the flow optimum is the lexicographic optimum.
// LEMON's network simplex solves it on a sparse graph of candidate arcs; then pricing, with the
// node potentials π of that solution, checks every eligible (task, agent) pair of the whole
// problem for a negative reduced cost c(i,w) + π(i) − π(w), adds those found (the most negative
// few per task) and solves again, until there is none. The potentials then prove by LP duality
// that the flow is optimal over all n × m pairs, not only over the candidates; they are returned
// with the result, so that a caller can check the proof.
//
// The candidates: with more incidents than free slots county-wide, the optimum fills every slot,
// so workers in quiet areas take incidents from kilometres away while those left over sit in
// the hot spots, and one incident in ten goes to a worker beyond its fifty nearest: nearest
// neighbours alone would need many rounds of pricing, each a network simplex from scratch. So
// large problems are first binned into coarser versions (square cells, doubling, about a
// thousand task bins at the coarsest; a bin holds one group and one set of roles and sums the
// amounts), solved from the coarsest up. A finer level's first graph holds each task's nearest
// agent, every pair of a task and an agent whose bins carry flow at the coarser level, each
// task's agent of least distance + slot price, and each agent's tasks of least distance minus
// their implied value, with the prices from the coarser level's potentials. Then the problem
// itself needs a few rounds. Pricing scans k-d trees of the agents (one of them all, one per
// group) whose nodes hold the greatest potential below them, so that it skips the agents too far
// away to lower any cost, on every core. (bench/bench_dispatch: 10,000 incidents and 2,500
// workers county-wide, 8,748 slots, in about 0.9 s on two cores.)
//
// The cost unit is the finest that keeps every sum of the flow problem within 64-bit integers
// (micrometres at county scale: about 5 µm for 10,000 tasks and 2,500 agents over 50 km). The
// optimal total in metres is therefore exact up to `assigned × cost_unit_m`.
#pragma once

#include "layers/model/model.hpp"

#include <cstddef>
#include <cstdint>
#include <vector>

namespace onemap::layers {

/// The group of a task or agent that matches every group.
inline constexpr int32_t kAnyGroup = -1;
/// The roles mask that meets every role.
inline constexpr uint32_t kAnyRole = 0xffffffffu;
/// The roles bit of a grid team role, for AssignmentProblem::task_roles and agent_roles.
constexpr uint32_t role_bit(WorkerRole r) {
  return 1u << static_cast<unsigned>(r);
}

/// Tasks and agents as parallel arrays (column per field): every task_* array has one value per
/// task, every agent_* array one per agent. add_task and add_agent keep them in step.
struct AssignmentProblem {
  std::vector<double> task_x, task_y;  ///< projected metres
  std::vector<int32_t> task_group;     ///< >= 0, or kAnyGroup
  std::vector<uint32_t> task_roles;    ///< roles allowed to take the task (0: nobody)

  std::vector<double> agent_x, agent_y;  ///< projected metres
  std::vector<int32_t> agent_capacity;   ///< free slots, >= 0
  std::vector<int32_t> agent_group;      ///< >= 0, or kAnyGroup
  std::vector<uint32_t> agent_roles;     ///< roles the agent has

  std::size_t task_count() const { return task_x.size(); }
  std::size_t agent_count() const { return agent_x.size(); }

  void add_task(double x, double y, int32_t group = kAnyGroup, uint32_t roles = kAnyRole);
  void add_agent(double x, double y, int32_t capacity, int32_t group = kAnyGroup,
                 uint32_t roles = kAnyRole);

  /// Whether task `task` may go to agent `agent` (groups and roles; capacity aside).
  bool eligible(std::size_t task, std::size_t agent) const {
    const int32_t tg = task_group[task], ag = agent_group[agent];
    return (tg == kAnyGroup || ag == kAnyGroup || tg == ag) &&
           (task_roles[task] & agent_roles[agent]) != 0;
  }

  /// @throws InvalidArgument naming the field: an array whose size differs from task_x's
  /// (task_*) or agent_x's (agent_*), a non-finite coordinate, a negative capacity, a group below
  /// kAnyGroup, or more than 2^31 - 1 tasks or agents.
  void validate() const;
};

/// Tuning of optimal_assignment. None of these changes the optimum, only the time to it.
struct AssignmentOptions {
  /// The first graph of the coarsest level (or of the problem itself, without coarser levels):
  /// each task's nearest eligible agents and each agent's nearest eligible tasks.
  int nearest_per_task = 4;
  int nearest_per_agent = 4;
  bool multilevel = true;    ///< solve coarser versions first (see the top of this header)
  bool greedy_arcs = false;  ///< also the arcs of greedy_assignment in the first graph
  int added_per_task = 6;    ///< pricing adds at most this many arcs per task per round
  int max_rounds = 0;        ///< stop after this many solves (0: until optimality is proved)
};

struct AssignmentResult {
  std::vector<int> agent_of;  ///< per task: the agent's index, or -1 when unassigned
  int assigned = 0;           ///< tasks with an agent
  /// Sum of the distances of the assigned tasks in metres (double, from the coordinates, summed
  /// in task order: the same for every method).
  double total_m = 0;

  // Diagnostics of optimal_assignment (brute_force_assignment sets proved_optimal only).
  bool proved_optimal = false;   ///< pricing found no negative reduced cost over all pairs
  int rounds = 0;                ///< network simplex solves of the problem itself
  std::size_t arcs = 0;          ///< task → agent arcs of its last graph
  std::size_t initial_arcs = 0;  ///< task → agent arcs of its first graph
  double cost_unit_m = 0;        ///< metres per integer cost unit (assignment_cost_units)
  int64_t penalty = 0;           ///< P, the cost of leaving a task unassigned, in cost units
  int64_t flow_cost = 0;         ///< the flow's cost in cost units (distances plus penalties)
  /// Node potentials of the last solve (the dual solution), in cost units, relative to the sink:
  /// reduced cost of task i → agent w is assignment_cost_units(d(i,w), cost_unit_m) +
  /// task_potential[i] − agent_potential[w]; of agent w → sink agent_potential[w]; of task i →
  /// sink penalty + task_potential[i]. Optimal when every reduced cost is >= 0 on arcs with room
  /// left and <= 0 on arcs carrying flow. Agents with capacity 0 or no role are not in the
  /// graph (potential 0).
  std::vector<int64_t> task_potential, agent_potential;
  int levels = 0;           ///< levels solved, the problem itself included
  double coarse_s = 0;      ///< the coarser levels, all of them
  double greedy_s = 0;      ///< greedy assignment for the first graph (AssignmentOptions)
  double candidates_s = 0;  ///< the first graph's arcs
  double solve_s = 0;       ///< building the graphs and network simplex, every round
  double pricing_s = 0;     ///< reduced costs of every eligible pair, every round
  double total_s = 0;       ///< the whole call
};

/// Each task in the given order goes to the nearest eligible agent with capacity left (nearest by
/// dx² + dy²; equal distances: the lower agent index), found with R-trees of the agents per group
/// (an agent leaves them when full). Fast, not optimal. A task without any eligible agent with
/// room stays unassigned. @throws InvalidArgument as AssignmentProblem::validate.
AssignmentResult greedy_assignment(const AssignmentProblem& problem);

/// The exact optimum of the objective (most tasks, then least total distance), proved by pricing
/// over every eligible pair (see the top of this header). @throws InvalidArgument as
/// AssignmentProblem::validate, or naming the option for a negative option or added_per_task
/// below 1.
AssignmentResult optimal_assignment(const AssignmentProblem& problem,
                                    const AssignmentOptions& options = {});

/// The optimum by enumerating every assignment: for tiny instances (tests).
/// @throws InvalidArgument("task_x", …) when there are more than 20 million assignments to try
/// (the product over tasks of 1 + its eligible agents with capacity), or as validate.
AssignmentResult brute_force_assignment(const AssignmentProblem& problem);

/// The distance of task `task` to agent `agent` in metres: sqrt(dx² + dy²).
double assignment_distance_m(const AssignmentProblem& problem, std::size_t task, std::size_t agent);

/// A distance in integer cost units: floor(distance_m / cost_unit_m + 0.5).
int64_t assignment_cost_units(double distance_m, double cost_unit_m);

}  // namespace onemap::layers
