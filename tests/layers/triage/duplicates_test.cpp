// Duplicate suggestion (layers/triage/duplicates.hpp): the rules one by one on hand-made
// incidents, then precision and recall on the labelled set of the demo's reports
// (tools/demo/duplicate_reports.hpp), whose labels say which incident each report repeats.
#include "layers/triage/duplicates.hpp"

#include "tests/support/county.hpp"
#include "tools/demo/demo.hpp"
#include "tools/demo/duplicate_reports.hpp"

#include <gtest/gtest.h>

namespace {

using onemap::layers::DispatchConfig;
using onemap::layers::Incident;
namespace triage = onemap::triage;

const DispatchConfig& config() {
  static const DispatchConfig c = DispatchConfig::load(onemap::testing::dispatch_config_path());
  return c;
}

Incident report(const char* category, double lon, double lat, int64_t at, const char* text) {
  Incident in;
  in.category = category;
  in.location = {lon, lat};
  in.reported_at = at;
  in.description = text;
  return in;
}

TEST(TextSimilarity, CountsSharedCharacterPairsOfTheNormalisedText) {
  EXPECT_DOUBLE_EQ(triage::text_similarity("路口垃圾没人清理", "路口垃圾没人清理"), 1);
  EXPECT_DOUBLE_EQ(triage::text_similarity("路口垃圾", "，路口 垃圾！"), 1);
  EXPECT_DOUBLE_EQ(triage::text_similarity("路口垃圾", "噪声扰民"), 0);
  // 路口 口垃 垃圾 | 垃圾 圾堆 → 1 shared of 3 + 2.
  EXPECT_DOUBLE_EQ(triage::text_similarity("路口垃圾", "垃圾堆"), 2.0 / 5);
  EXPECT_DOUBLE_EQ(triage::text_similarity("", ""), 1);
  EXPECT_DOUBLE_EQ(triage::text_similarity("垃", "圾"), 0);
}

TEST(ScoreDuplicate, EachRuleExcludesOnItsOwn) {
  const int64_t t = 1'795'000'000;
  Incident earlier = report("0101", 119.97, 30.54, t, "城西村3组路口暴露垃圾，好几天了");
  earlier.fid = 7;
  const auto& rule = config().triage.duplicates;
  const auto near = triage::score_duplicate(
      report("0101", 119.9705, 30.54, t + 3600, "城西村3组路口垃圾，没人管"), earlier, config());
  ASSERT_TRUE(near);
  EXPECT_EQ(near->fid, 7);
  EXPECT_TRUE(near->same_category);
  EXPECT_NEAR(near->distance_m, 48, 1);  // 0.0005° of longitude at 30.54°N
  EXPECT_DOUBLE_EQ(near->hours, 1);
  EXPECT_GE(near->score, rule.min_score);
  // A sibling of its class counts, less.
  const auto sibling = triage::score_duplicate(
      report("0103", 119.9705, 30.54, t + 3600, "城西村3组路口垃圾，没人管"), earlier, config());
  ASSERT_TRUE(sibling);
  EXPECT_FALSE(sibling->same_category);
  EXPECT_LT(sibling->score, near->score);
  // Another class, too far, too late: none.
  EXPECT_FALSE(triage::score_duplicate(report("1101", 119.9705, 30.54, t, "城西村3组路口垃圾"),
                                       earlier, config()));
  EXPECT_FALSE(triage::score_duplicate(report("0101", 119.98, 30.54, t, "城西村3组路口垃圾"),
                                       earlier, config()));
  EXPECT_FALSE(triage::score_duplicate(
      report("0101", 119.97, 30.54, t + static_cast<int64_t>(rule.hours * 3600) + 1, "垃圾"),
      earlier, config()));
  // Another group of the village (written in numerals or not) is another place.
  EXPECT_FALSE(triage::score_duplicate(report("0101", 119.97, 30.54, t, "城西村五组路口垃圾"),
                                       earlier, config()));
  EXPECT_TRUE(triage::score_duplicate(report("0101", 119.97, 30.54, t, "城西村三组路口垃圾"),
                                      earlier, config()));
}

TEST(SuggestDuplicates, ReachesNinetyPercentPrecisionAndRecallOnTheLabelledSet) {
  onemap::layers::DemoOptions o;
  o.data_dir = onemap::testing::source_data("");
  o.scale = 0.05;
  o.end_time = 20783LL * 86400 - 8 * 3600;  // 2026-11-26 00:00 UTC+8
  const auto demo = onemap::layers::build_demo(o);
  const auto set = onemap::layers::duplicate_reports(demo, config(), 2000, 2000, 20261207);
  auto suggest = [&](const Incident& r) -> int64_t {
    const auto found = triage::suggest_duplicates(r, set.earlier, config(), 1);
    return found.empty() ? 0 : found.front().fid;
  };
  const auto all = onemap::layers::score_suggestions(set, suggest);
  EXPECT_EQ(all.repeats, 1000U);
  EXPECT_GE(all.precision(), 0.9) << all.correct << " of " << all.suggested;
  EXPECT_GE(all.recall(), 0.9) << all.correct << " of " << all.repeats;
  for (const char* kind : {"repeat", "later", "far", "other_class", "elsewhere"}) {
    const auto k = onemap::layers::score_suggestions(set, suggest, kind);
    std::printf("%-12s reports %4zu  suggested %4zu  correct %4zu\n", kind, k.reports, k.suggested,
                k.correct);
  }
  // The same kind of problem at another landmark a street away is seldom taken for a repeat.
  const auto elsewhere = onemap::layers::score_suggestions(set, suggest, "elsewhere");
  EXPECT_LT(elsewhere.suggested, elsewhere.reports / 5);
}

}  // namespace
