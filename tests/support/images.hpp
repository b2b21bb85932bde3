// Photos written with GDAL's raster drivers for the media tests, and read back as a client would.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>

namespace onemap::testing {

/// An image of `width`×`height` noisy pixels (noise: so that a cut file loses real data) with
/// `bands` bands, written by GDAL's `driver` ("JPEG", "PNG", "WEBP") with dataset metadata
/// `metadata` (e.g. EXIF_GPSLatitude, which the JPEG driver writes as an EXIF segment).
/// `palette`: a one-band image with a colour table (PNG). Fails the test on an error.
std::string make_image(const char* driver, int width, int height, int bands,
                       const std::map<std::string, std::string>& metadata = {},
                       bool palette = false);

/// What GDAL reads of an image's bytes.
struct ImageRead {
  std::string driver;  ///< the driver that opened it, "" when none did
  int width = 0, height = 0, bands = 0;
  std::map<std::string, std::string> metadata;  ///< the default domain's items
};
ImageRead read_image(std::string_view bytes);
/// Whether GDAL reads any EXIF GPS item (EXIF_GPS…) in it.
bool has_gps(const ImageRead& image);
/// The size a thumbnail of a w×h image has: its longest side 320 at most, its proportions kept,
/// never enlarged.
std::pair<int, int> thumbnail_size(int width, int height);

/// EXIF GPS items as the JPEG driver takes them: 30°15'36"N 120°30'0"E.
std::map<std::string, std::string> gps_exif();
/// The position gps_exif() writes, in decimal degrees.
inline constexpr double kGpsLat = 30 + 15 / 60.0 + 36 / 3600.0, kGpsLon = 120 + 30 / 60.0;

}  // namespace onemap::testing
