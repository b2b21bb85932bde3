// Fuzz target: an uploaded photo (layers/media/image.hpp): the format sniffed from its first
// bytes, then decoded whole by GDAL's JPEG, PNG or WEBP driver within the limits, and its public
// copy and thumbnail made. Anything but a whole image must be an InvalidArgument naming "body".
#include "core/errors.hpp"
#include "fuzz/fuzz_check.hpp"
#include "layers/media/image.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

using namespace onemap;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  // Small limits: an input claiming more pixels is refused before it is decoded.
  layers::media::ImageLimits limits;
  limits.max_side = 1024;
  limits.max_pixels = 1 << 18;
  try {
    const auto image = layers::media::check_image(bytes, "", "body", limits);
    FUZZ_CHECK(image.content_type == layers::media::sniff_image_type(bytes));
    FUZZ_CHECK(image.width >= 1 && image.width <= limits.max_side);
    FUZZ_CHECK(image.height >= 1 && image.height <= limits.max_side);
    FUZZ_CHECK(!image.public_copy.empty() && !image.thumbnail.empty());
    FUZZ_CHECK(layers::media::sniff_image_type(image.thumbnail) == "image/jpeg");
  } catch (const InvalidArgument& e) {
    FUZZ_CHECK(e.parameter() == "body");
  }
  return 0;
}
