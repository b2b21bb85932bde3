// The demo incidents' audit trails (demo_trails.hpp).
#include "tools/demo/demo_trails.hpp"

#include "layers/model/text.hpp"
#include "tools/demo/draws.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <iterator>
#include <string_view>

namespace onemap::layers {

namespace {

constexpr std::size_t kSteps = std::size(kDemoStages);  // dispatch … close
// The action that ends each status (the step into the next one, or into closed).
constexpr std::array<const char*, kSteps> kActions = {"dispatch", "accept", "start",
                                                      "resolve",  "verify", "close"};

}  // namespace

std::vector<IncidentEvent> build_demo_trails(const Dataset& data, int64_t end_time, uint64_t seed) {
  std::vector<IncidentEvent> out;
  out.reserve(data.incidents.size() * 5);
  Draws draws(seed ^ 0x7472616931ull);
  for (const Incident& in : data.incidents) {
    // When each step came, as a share of the time to close: drawn around the demo's own shares
    // for a closed incident, the shares themselves for an open one (of the time it would take).
    std::array<double, kSteps> at_share{};
    std::size_t steps = 0;
    double span = 0;
    if (in.status == "closed") {
      std::array<double, kSteps> share{};
      double sum = 0;
      for (std::size_t j = 0; j < kSteps; ++j) {
        share[j] = (kDemoStageEnds[j] - (j ? kDemoStageEnds[j - 1] : 0)) * draws.uniform(0.5, 1.5);
        sum += share[j];
      }
      double acc = 0;
      for (std::size_t j = 0; j < kSteps; ++j) at_share[j] = (acc += share[j] / sum);
      steps = kSteps;
      span = static_cast<double>(in.closed_at - in.reported_at);
    } else {
      while (steps < kSteps && in.status != kDemoStages[steps]) ++steps;
      if (steps == kSteps) continue;  // a status the demo does not make: no trail
      for (std::size_t j = 0; j < steps; ++j) at_share[j] = kDemoStageEnds[j];
      // The status holds the time that passed: its steps lie where its middle is now.
      if (steps) {
        const double middle = (kDemoStageEnds[steps - 1] + kDemoStageEnds[steps]) / 2;
        span = static_cast<double>(end_time - in.reported_at) / middle;
      }
    }
    const std::string holder = !in.assignee.empty() ? in.assignee : in.agency;
    const std::string centre =
        "centre-" + (in.join.grid_code.size() >= 9 ? in.join.grid_code.substr(0, 9) : "330521");
    int64_t seq = 0;
    auto add = [&](int64_t at, std::string actor, std::string action, std::string from,
                   std::string to, std::string detail) {
      IncidentEvent e;
      e.incident = in.fid;
      e.seq = ++seq;
      e.at = at;
      e.actor = std::move(actor);
      e.action = std::move(action);
      e.from = std::move(from);
      e.to = std::move(to);
      e.detail = std::move(detail);
      out.push_back(std::move(e));
    };
    add(in.reported_at, in.source, "report", "", "reported", "");
    for (std::size_t j = 0; j < steps; ++j) {
      const std::string_view action = kActions[j];
      const int64_t at = j + 1 == kSteps && in.closed_at
                             ? in.closed_at
                             : in.reported_at + static_cast<int64_t>(at_share[j] * span);
      const std::string actor = action == "dispatch"                      ? "system"
                                : action == "verify" || action == "close" ? centre
                                                                          : holder;
      const std::string detail =
          action == "dispatch"
              ? json_text(nlohmann::json{
                    {"assignee", in.assignee}, {"agency", in.agency}, {"level", in.level}})
              : "";
      add(at, actor, std::string(action), kDemoStages[j],
          j + 1 < kSteps ? kDemoStages[j + 1] : "closed", detail);
    }
  }
  return out;
}

}  // namespace onemap::layers
