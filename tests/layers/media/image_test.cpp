// Uploaded photos checked by decoding (layers/media/image.hpp): images written by GDAL in the test
// are the truth; every copy made is read back with GDAL.
#include "layers/media/image.hpp"

#include "core/errors.hpp"
#include "tests/support/images.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace onemap;
using namespace onemap::layers::media;
using onemap::testing::gps_exif;
using onemap::testing::has_gps;
using onemap::testing::kGpsLat;
using onemap::testing::kGpsLon;
using onemap::testing::make_image;
using onemap::testing::read_image;
using onemap::testing::thumbnail_size;

namespace {

// The InvalidArgument check_image throws, its parameter checked.
std::string refusal(std::string_view bytes, std::string_view type = {},
                    const ImageLimits& limits = {}) {
  try {
    check_image(bytes, type, "body", limits);
  } catch (const InvalidArgument& e) {
    EXPECT_EQ(e.parameter(), "body");
    return e.detail();
  }
  ADD_FAILURE() << "no InvalidArgument";
  return {};
}

}  // namespace

TEST(Image, JpegWithGpsKeepsItsPositionAndItsCopiesHaveNone) {
  const std::string jpeg = make_image("JPEG", 1000, 600, 3, gps_exif());
  ASSERT_TRUE(has_gps(read_image(jpeg)));  // the test's own image carries it
  const CheckedImage c = check_image(jpeg, "image/jpeg", "body");
  EXPECT_EQ(c.content_type, "image/jpeg");
  EXPECT_EQ(c.width, 1000);
  EXPECT_EQ(c.height, 600);
  ASSERT_TRUE(c.exif_location);
  EXPECT_NEAR(c.exif_location->lat, kGpsLat, 1e-9);
  EXPECT_NEAR(c.exif_location->lon, kGpsLon, 1e-9);

  const auto pub = read_image(c.public_copy);
  EXPECT_EQ(pub.driver, "JPEG");
  EXPECT_EQ(pub.width, 1000);
  EXPECT_EQ(pub.height, 600);
  EXPECT_FALSE(has_gps(pub));
  for (const auto& [k, v] : pub.metadata) EXPECT_NE(k.rfind("EXIF_", 0), 0u) << k;
  EXPECT_EQ(c.public_copy.find("Exif"), std::string::npos);  // no APP1 segment at all

  const auto thumb = read_image(c.thumbnail);
  EXPECT_EQ(thumb.driver, "JPEG");
  EXPECT_EQ(std::pair(thumb.width, thumb.height), thumbnail_size(1000, 600));
  EXPECT_FALSE(has_gps(thumb));
  EXPECT_EQ(c.sha256.size(), 64u);
}

TEST(Image, PngAndWebpKeepTheirFormatAndThumbnailsAreJpeg) {
  struct Case {
    const char* driver;
    int w, h, bands;
    bool palette;
    const char* type;
  };
  for (const Case& k :
       {Case{"PNG", 300, 900, 4, false, "image/png"}, Case{"PNG", 200, 120, 1, true, "image/png"},
        Case{"PNG", 50, 40, 2, false, "image/png"}, Case{"WEBP", 640, 480, 3, false, "image/webp"},
        Case{"WEBP", 100, 330, 4, false, "image/webp"}}) {
    SCOPED_TRACE(std::string(k.driver) + " " + std::to_string(k.bands));
    const std::string bytes = make_image(k.driver, k.w, k.h, k.bands, {}, k.palette);
    const CheckedImage c = check_image(bytes, "", "body");  // no type given: the bytes say it
    EXPECT_EQ(c.content_type, k.type);
    EXPECT_EQ(std::pair(c.width, c.height), std::pair(k.w, k.h));
    EXPECT_FALSE(c.exif_location);
    const auto pub = read_image(c.public_copy);
    EXPECT_EQ(pub.driver, k.driver);
    EXPECT_EQ(std::pair(pub.width, pub.height), std::pair(k.w, k.h));
    const auto thumb = read_image(c.thumbnail);
    EXPECT_EQ(thumb.driver, "JPEG");
    EXPECT_EQ(std::pair(thumb.width, thumb.height), thumbnail_size(k.w, k.h));
  }
}

TEST(Image, RefusesWhatIsNoWholeImageNamingTheParameter) {
  EXPECT_NE(refusal("").find("empty"), std::string::npos);
  EXPECT_NE(refusal("hello, not a photo").find("not a JPEG, PNG or WebP"), std::string::npos);
  const std::string jpeg = make_image("JPEG", 400, 300, 3);
  const std::string png = make_image("PNG", 400, 300, 3);
  const std::string webp = make_image("WEBP", 400, 300, 3);
  // Cut in half: the header reads, the pixels do not.
  for (const std::string* whole : {&jpeg, &png, &webp}) {
    const std::string cut = whole->substr(0, whole->size() / 2);
    EXPECT_FALSE(refusal(cut).empty()) << whole->size();
  }
  EXPECT_NE(refusal(png, "image/jpeg").find("holds a PNG image, not image/jpeg"),
            std::string::npos);
  ImageLimits small;
  small.max_bytes = jpeg.size() - 1;
  EXPECT_NE(refusal(jpeg, "image/jpeg", small).find("at most"), std::string::npos);
  // A decompression bomb: a small file that claims many pixels is refused before it is decoded.
  const std::string wide = make_image("PNG", 8001, 2, 1);
  EXPECT_NE(refusal(wide).find("8001×2 pixels"), std::string::npos);
  ImageLimits few;
  few.max_pixels = 400 * 300 - 1;
  EXPECT_NE(refusal(png, "", few).find("pixels"), std::string::npos);
  // A JPEG's signature in front of anything else.
  EXPECT_FALSE(refusal(std::string("\xFF\xD8\xFF\xE0") + std::string(500, 'x')).empty());
}

TEST(Image, ExifPositionReadsDegreesMinutesSecondsAndItsHemispheres) {
  const auto p = exif_position("(30) (15) (36)", "S", "(120) (30) (0)", "W");
  ASSERT_TRUE(p);
  EXPECT_NEAR(p->lat, -kGpsLat, 1e-12);
  EXPECT_NEAR(p->lon, -kGpsLon, 1e-12);
  EXPECT_FALSE(exif_position("(30) (15) (36)", "", "(120) (30) (0)", "E"));
  EXPECT_FALSE(exif_position("(91) (0) (0)", "N", "(120) (30) (0)", "E"));
  EXPECT_FALSE(exif_position("(30) (75) (0)", "N", "(120) (30) (0)", "E"));
  EXPECT_FALSE(exif_position("(30) (15)", "N", "(120) (30) (0)", "E"));
  EXPECT_FALSE(exif_position("(nan) (0) (0)", "N", "(120) (30) (0)", "E"));
}
