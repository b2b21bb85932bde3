// A photo of an incident (issue 15 item 5): the upload as its uploader sent it, the copy the
// public reads (re-encoded: no EXIF or other metadata), a small thumbnail, and what was read from
// it. Checked and made by layers/media/image.hpp, stored by the Store (onemap_media), served under
// the read policy (api/media_api.hpp).
#pragma once

#include "spatial/geometry.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace onemap::layers {

using spatial::LonLat;

/// Why a photo was taken: with the report, or before and after the work that resolves it.
inline constexpr std::array<std::string_view, 3> kMediaKinds = {"report", "before", "after"};

/// What is known of a stored photo without its bytes (kept in memory for every incident).
struct MediaInfo {
  int64_t id = 0;             ///< assigned by the county, unique in the store
  int64_t incident = 0;       ///< the incident's fid
  std::string kind;           ///< one of kMediaKinds
  std::string content_type;   ///< image/jpeg, image/png or image/webp (the original's)
  int width = 0, height = 0;  ///< the original's pixels
  /// The position the camera wrote in the original's EXIF (lon/lat, WGS84): staff's only.
  std::optional<LonLat> exif_location;
  std::string uploaded_by;  ///< user id
  int64_t at = 0;           ///< Unix seconds
  std::string sha256;       ///< of the original, 64 lowercase hex digits
};

/// A photo with its bytes, as it is written.
struct Media {
  MediaInfo info;
  std::string original;     ///< as uploaded (EXIF kept): staff and the reporter read it
  std::string public_copy;  ///< re-encoded in the original's format, without metadata
  std::string thumbnail;    ///< JPEG, longest side at most kThumbnailSide, without metadata
};

/// Which bytes of a photo to read.
enum class MediaPart { Original, PublicCopy, Thumbnail };

}  // namespace onemap::layers
