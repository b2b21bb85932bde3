// Fuzz target: the body of a new Open311 request (api/open311.hpp): the form reader with its
// percent-decoding (http/percent.hpp), a JSON object, or multipart/form-data (http/multipart.hpp,
// boundary "b", with a media file), then the parameter rules and the incident they report. The
// first byte chooses the content type and the categories configured.
#include "api/open311.hpp"
#include "core/errors.hpp"
#include "fuzz/fuzz_check.hpp"
#include "http/percent.hpp"
#include "layers/dispatch/dispatch_config.hpp"
#include "layers/model/text.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

using namespace onemap;

namespace {

const layers::DispatchConfig& config_with_categories() {
  static const layers::DispatchConfig c = [] {
    layers::DispatchConfig d;
    d.categories = layers::parse_categories_csv(
        "code,name_zh,name_en,class,handler,deadline,roles,weight\n"
        "0101,乱堆乱放,Clutter,环境,grid,2wd,grid_head|full_time,3\n"
        "0201,道路破损,Road damage,设施,transport,15wd,,1\n",
        "categories.csv");
    return d;
  }();
  return c;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);

  // Percent-decoding alone: a form's and a query's.
  for (const bool plus : {true, false}) {
    try {
      const std::string decoded = http::percent_decode(body, plus, "q");
      FUZZ_CHECK(decoded.size() <= body.size());
    } catch (const InvalidArgument& e) {
      FUZZ_CHECK(e.parameter() == "q");
    }
  }

  const std::string_view content_type =
      mode & 4   ? std::string_view("multipart/form-data; boundary=b")
      : mode & 1 ? std::string_view("application/json")
                 : std::string_view("application/x-www-form-urlencoded");
  static const layers::DispatchConfig no_categories;
  const layers::DispatchConfig& config = mode & 2 ? config_with_categories() : no_categories;
  try {
    const api::Open311Post post = api::read_open311_body(body, content_type);
    FUZZ_CHECK(post.media.empty() ||
               (post.media.data() >= body.data() &&
                post.media.data() + post.media.size() <= body.data() + body.size()));
    const api::Open311Params& params = post.params;
    for (const auto& [k, v] : params)
      FUZZ_CHECK(layers::is_valid_utf8(k) && layers::is_valid_utf8(v));
    const layers::Report r = api::open311_incident(params, config);
    const layers::Incident& in = r.incident;
    FUZZ_CHECK(!in.category.empty());
    FUZZ_CHECK(r.placed ? std::isfinite(in.location.lon) && std::isfinite(in.location.lat)
                        : !in.address.empty());
    FUZZ_CHECK(layers::is_valid_utf8(in.extra));
  } catch (const InvalidArgument&) {
  }
  return 0;
}
