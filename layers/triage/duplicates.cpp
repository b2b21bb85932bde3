// Duplicate suggestions (duplicates.hpp).
#include "layers/triage/duplicates.hpp"

#include "layers/geocode/address.hpp"
#include "spatial/crs.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

namespace onemap::triage {

namespace {

// The weights of the four signs, fitted on the labelled reports (tools/demo/duplicate_reports):
// nearness counts most, then the words; a report must be close on several to reach min_score.
constexpr double kCategoryWeight = 0.1, kNearWeight = 0.4, kSoonWeight = 0.15, kTextWeight = 0.35;
// What a category of the same class (not the same category) counts for.
constexpr double kSameClass = 0.5;

std::vector<uint64_t> bigrams(std::string_view text) {
  const std::u32string cp = geocode::code_points(geocode::normalise(text));
  std::vector<uint64_t> out;
  for (std::size_t i = 0; i + 1 < cp.size(); ++i)
    out.push_back((static_cast<uint64_t>(cp[i]) << 32) | cp[i + 1]);
  std::sort(out.begin(), out.end());
  return out;
}

// The group (组) a description names ("城西村三组路口" → 3), or nullopt.
std::optional<int> group_named(std::string_view text) {
  const std::u32string cp = geocode::code_points(geocode::normalise(text));
  for (std::size_t at = 0; at < cp.size(); ++at) {
    if (cp[at] != U'组' || at == 0 || cp[at - 1] < U'0' || cp[at - 1] > U'9') continue;
    int n = 0, scale = 1;
    for (std::size_t k = at; k > 0 && cp[k - 1] >= U'0' && cp[k - 1] <= U'9' && scale <= 1000;
         --k, scale *= 10)
      n += static_cast<int>(cp[k - 1] - U'0') * scale;
    return n;
  }
  return std::nullopt;
}

}  // namespace

double text_similarity(std::string_view a, std::string_view b) {
  const auto x = bigrams(a), y = bigrams(b);
  if (x.empty() || y.empty()) return geocode::normalise(a) == geocode::normalise(b) ? 1 : 0;
  // The bigrams both hold, each as often as the one that has it fewer times.
  std::size_t common = 0;
  for (std::size_t i = 0, j = 0; i < x.size() && j < y.size();) {
    if (x[i] < y[j]) {
      ++i;
    } else if (y[j] < x[i]) {
      ++j;
    } else {
      ++common, ++i, ++j;
    }
  }
  return 2.0 * static_cast<double>(common) / static_cast<double>(x.size() + y.size());
}

std::optional<Duplicate> score_duplicate(const layers::Incident& report,
                                         const layers::Incident& earlier,
                                         const layers::DispatchConfig& config) {
  if (report.fid != 0 && report.fid == earlier.fid) return std::nullopt;
  const layers::DuplicateRule& rule = config.triage.duplicates;
  Duplicate d;
  d.fid = earlier.fid;
  d.same_category = report.category == earlier.category;
  if (!d.same_category) {
    const auto* a = config.find(report.category);
    const auto* b = config.find(earlier.category);
    if (!a || !b || a->cls.empty() || a->cls != b->cls) return std::nullopt;
  }
  d.hours = std::abs(static_cast<double>(report.reported_at - earlier.reported_at)) / 3600;
  if (d.hours > rule.hours) return std::nullopt;
  d.distance_m = spatial::distance_m(report.location, earlier.location);
  if (!(d.distance_m <= rule.distance_m)) return std::nullopt;
  // Two reports that name different groups of a village are about different places.
  const auto g1 = group_named(report.description), g2 = group_named(earlier.description);
  if (g1 && g2 && *g1 != *g2) return std::nullopt;
  d.text = text_similarity(report.description, earlier.description);
  d.score = kCategoryWeight * (d.same_category ? 1 : kSameClass) +
            kNearWeight * (1 - d.distance_m / rule.distance_m) +
            kSoonWeight * (1 - d.hours / rule.hours) + kTextWeight * d.text;
  return d;
}

std::vector<Duplicate> suggest_duplicates(const layers::Incident& report,
                                          const std::vector<layers::Incident>& incidents,
                                          const layers::DispatchConfig& config, std::size_t limit) {
  const layers::DuplicateRule& rule = config.triage.duplicates;
  // A cheap box first: a degree of latitude is 111 km everywhere, of longitude less.
  const double dlat = rule.distance_m / 110'000;
  const double dlon = dlat / std::max(0.1, std::cos(report.location.lat * std::numbers::pi / 180));
  const auto window = static_cast<int64_t>(rule.hours * 3600);
  std::vector<Duplicate> out;
  for (const auto& in : incidents) {
    if (std::abs(in.reported_at - report.reported_at) > window ||
        std::abs(in.location.lat - report.location.lat) > dlat ||
        std::abs(in.location.lon - report.location.lon) > dlon)
      continue;
    if (auto d = score_duplicate(report, in, config); d && d->score >= rule.min_score)
      out.push_back(*d);
  }
  std::sort(out.begin(), out.end(), [](const Duplicate& a, const Duplicate& b) {
    return a.score != b.score ? a.score > b.score : a.fid < b.fid;
  });
  if (out.size() > limit) out.resize(limit);
  return out;
}

}  // namespace onemap::triage
