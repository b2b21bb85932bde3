// Duplicate suggestions (重复件): whether a new report repeats an incident already in the
// county: the same category or one of its class, close by, at about the same time, told in like
// words. Each of the four counts: a report in the same place about something else, about the same
// thing a month later, or a kilometre away, is not suggested.
#pragma once

#include "layers/dispatch/dispatch_config.hpp"
#include "layers/model/model.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace onemap::triage {

/// An incident a report may repeat, and why.
struct Duplicate {
  int64_t fid = 0;
  double score = 0;            ///< in [0, 1]; suggested from DuplicateRule::min_score on
  double distance_m = 0;       ///< between the two places
  double hours = 0;            ///< between the two reports (absolute)
  double text = 0;             ///< text_similarity of the descriptions
  bool same_category = false;  ///< else the same class
};

/// How alike two descriptions read, in [0, 1]: the Dice coefficient of their character bigrams,
/// each text normalised first (full-width as half-width, spaces and punctuation dropped); two
/// texts without a bigram are 0 apart from equal ones.
double text_similarity(std::string_view a, std::string_view b);

/// The score of `report` as a repeat of `earlier`, or nullopt when a rule excludes it (another
/// class of category, farther than the distance, further apart than the hours, descriptions that
/// name different groups (组) of a village, the same record).
std::optional<Duplicate> score_duplicate(const layers::Incident& report,
                                         const layers::Incident& earlier,
                                         const layers::DispatchConfig& config);

/// The incidents of `incidents` that `report` may repeat, scoring at least the rule's min_score,
/// best first, at most `limit`.
std::vector<Duplicate> suggest_duplicates(const layers::Incident& report,
                                          const std::vector<layers::Incident>& incidents,
                                          const layers::DispatchConfig& config,
                                          std::size_t limit = 3);

}  // namespace onemap::triage
