// A labelled set of reports for duplicate suggestion (layers/triage/duplicates.hpp): earlier
// incidents at the demo's households, told as residents tell them (a village and group, a
// landmark, the problem in full or in short, a few words of detail), and later reports, each
// labelled with the incident it repeats or none. The repeats come as people make them: the same
// problem a little way off, hours later, in other words, sometimes filed under a sibling
// category. The others are each close to an incident in all but one respect: the same problem a
// week later, the same problem a kilometre off, another kind of problem at the same spot, or the
// same kind of problem a street away at another landmark.
#pragma once

#include "layers/dispatch/dispatch_config.hpp"
#include "layers/model/model.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace onemap::layers {

struct LabelledReport {
  Incident report;      ///< fid 0; category, description, location, reported_at
  int64_t repeats = 0;  ///< the fid of the earlier incident it repeats; 0: none
  std::string kind;     ///< "repeat", "later", "far", "other_class", "elsewhere"
};

struct DuplicateSet {
  std::vector<Incident> earlier;  ///< fids 1..n
  std::vector<LabelledReport> reports;
};

/// `n_earlier` incidents and `n_reports` reports (half of them repeats) over `data`'s households
/// and `config`'s categories (grid and department ones alike). Deterministic for a seed.
DuplicateSet duplicate_reports(const Dataset& data, const DispatchConfig& config,
                               std::size_t n_earlier, std::size_t n_reports, uint64_t seed);

/// How a suggester does on a set: `suggest` names the incident it takes a report to repeat (0:
/// none). A suggestion is correct when it names the incident the report repeats.
struct SuggestionScore {
  std::size_t reports = 0, repeats = 0, suggested = 0, correct = 0;
  double precision() const { return suggested ? double(correct) / double(suggested) : 1; }
  double recall() const { return repeats ? double(correct) / double(repeats) : 1; }
};
/// `kind`: only the reports of that kind ("" for all).
SuggestionScore score_suggestions(const DuplicateSet& set,
                                  const std::function<int64_t(const Incident&)>& suggest,
                                  const std::string& kind = "");

}  // namespace onemap::layers
