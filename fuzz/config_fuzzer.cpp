// Fuzz target: the configuration readers. The first byte chooses one: dispatch.json
// (layers/dispatch/dispatch_config.hpp DispatchConfig::from_json, the categories file it names read
// from a fixed text rather than the disk), categories.csv (parse_categories_csv), the tiles
// configuration (layers/tiles/tiles.hpp TileConfig::from_json), the working calendar
// (layers/dispatch/calendar.hpp WorkingCalendar::from_json) or the read policy
// (auth/read_policy.hpp ReadPolicy::parse).
#include "auth/read_policy.hpp"
#include "core/errors.hpp"
#include "fuzz/fuzz_check.hpp"
#include "layers/dispatch/calendar.hpp"
#include "layers/dispatch/dispatch_config.hpp"
#include "layers/model/schema.hpp"
#include "layers/tiles/tiles.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace onemap;

namespace {

constexpr std::string_view kCategories =
    "code,name_zh,name_en,class,handler,deadline,roles,weight\n"
    "0101,乱堆乱放,Clutter,环境,grid,2wd,grid_head|full_time,3\n"
    "0201,道路破损,Road damage,设施,transport,15wd,,1\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  try {
    switch (mode % 5) {
      case 0: {
        const layers::DispatchConfig c = layers::DispatchConfig::from_json(
            text, "/etc/onemap/dispatch.json", [](const std::string& path) {
              return layers::parse_categories_csv(kCategories, path);
            });
        FUZZ_CHECK(c.workload_cap >= 1 && c.workload_cap <= 1000);
        (void)c.departments();
        break;
      }
      case 1: {
        const auto categories = layers::parse_categories_csv(text, "categories.csv");
        FUZZ_CHECK(!categories.empty());
        for (const auto& c : categories) {
          FUZZ_CHECK(!c.code.empty() && !c.handler.empty());
          FUZZ_CHECK(c.deadline.amount > 0);
          // The deadline text reads back as the same deadline.
          const layers::Deadline again = layers::Deadline::parse(c.deadline.text(), "deadline");
          FUZZ_CHECK(again.unit == c.deadline.unit);
        }
        break;
      }
      case 2: {
        const layers::TileConfig c = layers::TileConfig::from_json(text);
        FUZZ_CHECK(c.extent >= 256 && (c.cluster_grid & (c.cluster_grid - 1)) == 0);
        break;
      }
      case 3: {
        const layers::WorkingCalendar cal = layers::WorkingCalendar::from_json(text);
        (void)cal;
        break;
      }
      case 4: {
        // Whatever a policy file says, a field never needs less than its layer, and a person's
        // identity stays personal.
        const auth::ReadPolicy p = auth::ReadPolicy::parse(text, "read_policy.json");
        for (const layers::LayerKind k : layers::kAllLayers)
          for (const auto& f : layers::layer_fields(k)) {
            FUZZ_CHECK(static_cast<int>(p.field_audience(k, f.name)) >=
                       static_cast<int>(p.layer_audience(k)));
            FUZZ_CHECK(!f.personal || p.field_audience(k, f.name) == auth::Audience::Personal);
          }
        layers::Actor centre;
        centre.id = "c";
        centre.role = "centre";
        centre.scope = "330521001";
        const auth::Viewer v = p.viewer(centre);
        FUZZ_CHECK(v.policy == &p && (v.scope.empty() || v.scope == centre.scope));
        break;
      }
    }
  } catch (const Error&) {
  }
  return 0;
}
