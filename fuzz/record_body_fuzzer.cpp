// Fuzz target: the JSON body readers of the record endpoints (api/records.hpp): incident intake,
// action and edit, household, enterprise and grid. The first byte chooses the reader, whether a
// household's or an enterprise's body creates or changes it, and the If-Match header sent with an
// action or an edit.
#include "api/records.hpp"
#include "core/errors.hpp"
#include "fuzz/fuzz_check.hpp"
#include "layers/model/schema.hpp"
#include "layers/model/text.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace onemap;

namespace {

void check_text(const std::optional<std::string>& s) {
  if (s) FUZZ_CHECK(layers::is_valid_utf8(*s));
}

void check_location(const std::optional<layers::LonLat>& p) {
  if (p) FUZZ_CHECK(!std::isnan(p->lon) && !std::isnan(p->lat));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
  static const char* const kIfMatch[] = {
      "", "\"3\"", "W/\"7\"", "*", " 12 ", "\"x\"", "99999999999999999999", "-1"};
  const std::string if_match = kIfMatch[(mode >> 4) % 8];
  try {
    switch (mode % 6) {
      case 0: {
        const layers::Report r = api::read_incident_report(body);
        const layers::Incident& in = r.incident;
        FUZZ_CHECK(!in.category.empty() && layers::is_valid_utf8(in.description));
        FUZZ_CHECK(r.placed || !in.address.empty());
        break;
      }
      case 1: {
        const layers::TransitionRequest t = api::read_incident_action(body, if_match);
        FUZZ_CHECK(layers::is_valid_utf8(t.note));
        check_text(t.assignee);
        break;
      }
      case 2: {
        const layers::IncidentPatch p = api::read_incident_patch(body, if_match);
        check_text(p.category);
        check_text(p.description);
        check_location(p.location);
        break;
      }
      case 3:
      case 4: {
        // Every value read is one its field's rule accepts.
        const auto layer =
            mode % 6 == 3 ? layers::LayerKind::Households : layers::LayerKind::Enterprises;
        const bool create = (mode >> 3) & 1;
        const layers::PointPatch p = api::read_point_body(layer, body, create);
        for (const auto& [name, value] : p.values) {
          const layers::Field* f = layers::find_field(layer, name);
          FUZZ_CHECK(f && (create ? f->on_create : f->on_patch));
          f->check(layers::view(value));
          if (const auto* s = std::get_if<std::string>(&value))
            FUZZ_CHECK(layers::is_valid_utf8(*s));
        }
        check_location(p.location);
        break;
      }
      case 5: {
        const layers::GridPatch p = api::read_grid_body(body);
        check_text(p.name);
        break;
      }
    }
  } catch (const InvalidArgument&) {
  }
  return 0;
}
