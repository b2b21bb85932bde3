// Photos written and read with GDAL's raster drivers (images.hpp).
#include "tests/support/images.hpp"

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <random>
#include <vector>

namespace onemap::testing {

namespace {

std::string next_path(const char* extension) {
  static std::atomic<int> n{0};
  return "/vsimem/test-image-" + std::to_string(n++) + extension;
}

// The bytes of a /vsimem/ file, removed.
std::string take(const std::string& path) {
  vsi_l_offset size = 0;
  GByte* b = VSIGetMemFileBuffer(path.c_str(), &size, FALSE);
  std::string out = b ? std::string(reinterpret_cast<const char*>(b), size) : std::string();
  VSIUnlink(path.c_str());
  VSIUnlink((path + ".aux.xml").c_str());
  return out;
}

}  // namespace

std::string make_image(const char* driver, int width, int height, int bands,
                       const std::map<std::string, std::string>& metadata, bool palette) {
  GDALAllRegister();
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  GDALDatasetUniquePtr src(mem->Create("", width, height, bands, GDT_Byte, nullptr));
  std::mt19937 random(static_cast<unsigned>(width * 31 + height * 7 + bands));
  std::vector<uint8_t> plane(static_cast<std::size_t>(width) * height);
  for (int b = 1; b <= bands; ++b) {
    for (std::size_t i = 0; i < plane.size(); ++i)
      plane[i] = static_cast<uint8_t>(palette ? random() % 4 : random() % 256);
    EXPECT_EQ(src->GetRasterBand(b)->RasterIO(GF_Write, 0, 0, width, height, plane.data(), width,
                                              height, GDT_Byte, 0, 0, nullptr),
              CE_None);
  }
  if (palette) {
    GDALColorTable table;
    for (short i = 0; i < 4; ++i) {
      const GDALColorEntry e{static_cast<short>(60 * i), 200, static_cast<short>(255 - 60 * i),
                             255};
      table.SetColorEntry(i, &e);
    }
    src->GetRasterBand(1)->SetColorTable(&table);
  }
  for (const auto& [k, v] : metadata) src->SetMetadataItem(k.c_str(), v.c_str());
  const std::string ext = std::string(".") + driver;
  const std::string path = next_path(ext.c_str());
  GDALDriver* d = GetGDALDriverManager()->GetDriverByName(driver);
  EXPECT_NE(d, nullptr) << driver;
  CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", "NO");
  GDALDatasetUniquePtr out(
      d->CreateCopy(path.c_str(), src.get(), FALSE, nullptr, nullptr, nullptr));
  CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", nullptr);
  EXPECT_TRUE(out) << CPLGetLastErrorMsg();
  out.reset();
  std::string bytes = take(path);
  EXPECT_FALSE(bytes.empty());
  return bytes;
}

ImageRead read_image(std::string_view bytes) {
  GDALAllRegister();
  const std::string path = next_path(".img");
  VSIFCloseL(VSIFileFromMemBuffer(path.c_str(),
                                  reinterpret_cast<GByte*>(const_cast<char*>(bytes.data())),
                                  bytes.size(), FALSE));
  ImageRead r;
  {
    CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", "NO");
    GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER));
    CPLSetThreadLocalConfigOption("GDAL_PAM_ENABLED", nullptr);
    if (ds) {
      r.driver = ds->GetDriver()->GetDescription();
      r.width = ds->GetRasterXSize();
      r.height = ds->GetRasterYSize();
      r.bands = ds->GetRasterCount();
      if (char** md = ds->GetMetadata())
        for (char** item = md; *item; ++item) {
          const std::string s = *item;
          const auto eq = s.find('=');
          r.metadata[s.substr(0, eq)] = eq == std::string::npos ? "" : s.substr(eq + 1);
        }
    }
  }
  VSIUnlink(path.c_str());
  return r;
}

bool has_gps(const ImageRead& image) {
  return std::any_of(image.metadata.begin(), image.metadata.end(),
                     [](const auto& kv) { return kv.first.rfind("EXIF_GPS", 0) == 0; });
}

std::pair<int, int> thumbnail_size(int width, int height) {
  const double scale = std::min(1.0, 320.0 / std::max(width, height));
  return {std::max(1, static_cast<int>(std::lround(width * scale))),
          std::max(1, static_cast<int>(std::lround(height * scale)))};
}

std::map<std::string, std::string> gps_exif() {
  return {{"EXIF_GPSLatitudeRef", "N"},
          {"EXIF_GPSLatitude", "(30) (15) (36)"},
          {"EXIF_GPSLongitudeRef", "E"},
          {"EXIF_GPSLongitude", "(120) (30) (0)"}};
}

}  // namespace onemap::testing
