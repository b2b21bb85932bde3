// Uploaded photos checked by decoding them (GDAL's JPEG, PNG and WEBP drivers over /vsimem/), and
// what is made from them: a public copy and a thumbnail, both re-encoded from the decoded pixels
// into a dataset that carries no metadata, so that no EXIF, XMP, ICC comment or text chunk of the
// upload (a phone's GPS position, its serial number) reaches them whatever segment it hid in.
// The original is kept as sent, for staff.
#pragma once

#include "layers/model/media.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace onemap::layers::media {

/// What an upload may be. The pixel cap bounds the memory a decode takes (4 bytes a pixel) against
/// decompression bombs: a small file that claims 8000×8000 pixels is refused before it is decoded.
struct ImageLimits {
  std::size_t max_bytes = 10 * 1024 * 1024;
  int max_side = 8000;
  std::size_t max_pixels = 32'000'000;
  int thumbnail_side = 320;  ///< the thumbnail's longest side (smaller images are not enlarged)
};

/// An upload that decoded, and what was made from it.
struct CheckedImage {
  std::string content_type;  ///< the format found in the bytes: image/jpeg, image/png, image/webp
  int width = 0, height = 0;
  std::optional<LonLat> exif_location;  ///< a JPEG's EXIF GPS position, when it has a valid one
  std::string public_copy;              ///< the same format, re-encoded without metadata
  std::string thumbnail;                ///< JPEG, re-encoded without metadata
  std::string sha256;                   ///< of the upload
};

/// The media type of an image format known by its first bytes (JPEG, PNG, WebP), or "".
std::string_view sniff_image_type(std::string_view bytes);

/// Checks an upload by decoding every pixel of it and makes its public copy and thumbnail.
/// `content_type`: what the request says it is ("" when it says nothing).
/// @throws InvalidArgument(parameter, …) for an empty or too large upload, bytes that are no JPEG,
/// PNG or WebP or not the type `content_type` names, an image over the limits, or one that does
/// not decode whole (a truncated or corrupt file).
CheckedImage check_image(std::string_view bytes, std::string_view content_type,
                         const std::string& parameter, const ImageLimits& limits = {});

/// The position of EXIF GPS tags as GDAL's JPEG driver gives them (EXIF_GPSLatitude "(30) (15)
/// (36.5)" with EXIF_GPSLatitudeRef "N"…), or nullopt when one is missing or out of range.
std::optional<LonLat> exif_position(std::string_view latitude, std::string_view latitude_ref,
                                    std::string_view longitude, std::string_view longitude_ref);

}  // namespace onemap::layers::media
