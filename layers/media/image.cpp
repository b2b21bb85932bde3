// Uploaded photos checked by decoding, and their public copies and thumbnails (image.hpp).
#include "layers/media/image.hpp"

#include "core/errors.hpp"

#include <cpl_conv.h>
#include <cpl_error.h>
#include <cpl_vsi.h>
#include <gdal_priv.h>
#include <openssl/evp.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <vector>

namespace onemap::layers::media {

namespace {

struct Format {
  std::string_view content_type, driver, name;
};
constexpr Format kFormats[] = {
    {"image/jpeg", "JPEG", "JPEG"}, {"image/png", "PNG", "PNG"}, {"image/webp", "WEBP", "WebP"}};

const Format* format_of(std::string_view content_type) {
  for (const Format& f : kFormats)
    if (f.content_type == content_type) return &f;
  return nullptr;
}

// GDAL settings for this thread while an upload is read and written: a libjpeg warning (a
// truncated or corrupt stream, which it would otherwise fill with grey) is an error; no sidecar
// file is looked for or written beside the /vsimem/ files.
class ThreadSettings {
 public:
  ThreadSettings() {
    set("GDAL_ERROR_ON_LIBJPEG_WARNING", "YES");
    set("GDAL_PAM_ENABLED", "NO");
    set("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR");
  }
  ~ThreadSettings() {
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it)
      CPLSetThreadLocalConfigOption(it->first.c_str(), it->second ? it->second->c_str() : nullptr);
  }
  ThreadSettings(const ThreadSettings&) = delete;
  ThreadSettings& operator=(const ThreadSettings&) = delete;

 private:
  void set(const char* key, const char* value) {
    const char* old = CPLGetThreadLocalConfigOption(key, nullptr);
    saved_.emplace_back(key, old ? std::optional<std::string>(old) : std::nullopt);
    CPLSetThreadLocalConfigOption(key, value);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// The first error GDAL reports on this thread while it lives (warnings are GDAL's to log).
class GdalErrors {
 public:
  GdalErrors() { CPLPushErrorHandlerEx(&GdalErrors::handle, this); }
  ~GdalErrors() { CPLPopErrorHandler(); }
  GdalErrors(const GdalErrors&) = delete;
  GdalErrors& operator=(const GdalErrors&) = delete;
  const std::string& first() const { return first_; }

 private:
  static void CPL_STDCALL handle(CPLErr cls, CPLErrorNum, const char* message) {
    auto* self = static_cast<GdalErrors*>(CPLGetErrorHandlerUserData());
    if (cls >= CE_Failure && self->first_.empty()) self->first_ = message ? message : "error";
  }
  std::string first_;
};

// A /vsimem/ file name no other upload uses, and the files GDAL may have made beside it removed
// when it goes.
class MemFile {
 public:
  explicit MemFile(std::string_view extension) {
    static std::atomic<uint64_t> next{0};
    path_ = "/vsimem/onemap-media-" + std::to_string(next++) + std::string(extension);
  }
  ~MemFile() {
    VSIUnlink(path_.c_str());
    VSIUnlink((path_ + ".aux.xml").c_str());
  }
  MemFile(const MemFile&) = delete;
  MemFile& operator=(const MemFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Decoded 8-bit pixels, band after band (gray, gray+alpha, RGB or RGBA).
struct Pixels {
  int width = 0, height = 0, bands = 0;
  std::vector<uint8_t> data;
};

std::string sha256_hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), digest, &n, EVP_sha256(), nullptr) != 1)
    throw Error("SHA-256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < n; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

// A palette image's pixels as RGB, or RGBA when an entry is not opaque.
Pixels expand_palette(const GDALColorTable& table, const std::vector<uint8_t>& indexes, int width,
                      int height) {
  const int entries = table.GetColorEntryCount();
  bool alpha = false;
  for (int i = 0; i < entries; ++i) alpha = alpha || table.GetColorEntry(i)->c4 != 255;
  Pixels p{width, height, alpha ? 4 : 3, {}};
  const std::size_t n = indexes.size();
  p.data.resize(n * static_cast<std::size_t>(p.bands));
  for (std::size_t k = 0; k < n; ++k) {
    const GDALColorEntry* e = indexes[k] < entries ? table.GetColorEntry(indexes[k]) : nullptr;
    const short c[4] = {e ? e->c1 : short(0), e ? e->c2 : short(0), e ? e->c3 : short(0),
                        e ? e->c4 : short(0)};
    for (int b = 0; b < p.bands; ++b) p.data[static_cast<std::size_t>(b) * n + k] = uint8_t(c[b]);
  }
  return p;
}

// Every pixel of the image, decoded (this is the check that it is one). @throws InvalidArgument.
Pixels decode(GDALDataset& ds, const std::string& parameter, const Format& format,
              const GdalErrors& errors) {
  const int w = ds.GetRasterXSize(), h = ds.GetRasterYSize(), bands = ds.GetRasterCount();
  if (bands < 1 || bands > 4)
    throw InvalidArgument(parameter, "a " + std::string(format.name) + " image of " +
                                         std::to_string(bands) + " bands is not a photo");
  for (int b = 1; b <= bands; ++b)
    if (ds.GetRasterBand(b)->GetRasterDataType() != GDT_Byte)
      throw InvalidArgument(
          parameter,
          "only 8-bit images are taken (this one has " +
              std::string(GDALGetDataTypeName(ds.GetRasterBand(b)->GetRasterDataType())) +
              " samples)");
  Pixels p{w, h, bands, {}};
  p.data.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) *
                static_cast<std::size_t>(bands));
  const CPLErr read = ds.RasterIO(GF_Read, 0, 0, w, h, p.data.data(), w, h, GDT_Byte, bands,
                                  nullptr, 0, 0, 0, nullptr);
  if (read != CE_None || !errors.first().empty())
    throw InvalidArgument(parameter,
                          "the " + std::string(format.name) +
                              " image does not decode (truncated or corrupt): " + errors.first());
  if (const GDALColorTable* table = ds.GetRasterBand(1)->GetColorTable(); table && bands == 1)
    return expand_palette(*table, p.data, w, h);
  return p;
}

// The pixels written by `driver` from a dataset with no metadata: nothing of the upload but its
// pixels is in the bytes.
std::string encode(const Pixels& p, const char* driver, const char* extension,
                   CSLConstList options) {
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  GDALDriver* out_driver = GetGDALDriverManager()->GetDriverByName(driver);
  if (!mem || !out_driver) throw Error(std::string("GDAL has no ") + driver + " driver");
  GDALDatasetUniquePtr src(mem->Create("", p.width, p.height, p.bands, GDT_Byte, nullptr));
  if (!src ||
      src->RasterIO(GF_Write, 0, 0, p.width, p.height, const_cast<uint8_t*>(p.data.data()), p.width,
                    p.height, GDT_Byte, p.bands, nullptr, 0, 0, 0, nullptr) != CE_None)
    throw Error("cannot stage the pixels of an image");
  if (p.bands == 2 || p.bands == 4)
    src->GetRasterBand(p.bands)->SetColorInterpretation(GCI_AlphaBand);
  MemFile file(extension);
  GDALDatasetUniquePtr written(out_driver->CreateCopy(
      file.path().c_str(), src.get(), FALSE, const_cast<char**>(options), nullptr, nullptr));
  if (!written) throw Error(std::string("cannot encode an image as ") + driver);
  written.reset();  // flushes it
  vsi_l_offset size = 0;
  GByte* bytes = VSIGetMemFileBuffer(file.path().c_str(), &size, FALSE);
  if (!bytes) throw Error(std::string("cannot read back an image encoded as ") + driver);
  return std::string(reinterpret_cast<const char*>(bytes), static_cast<std::size_t>(size));
}

// `p` with the bands `keep` of it (the first ones), each 3-band output from gray by repeating it.
Pixels with_bands(Pixels p, int keep) {
  const std::size_t plane = static_cast<std::size_t>(p.width) * static_cast<std::size_t>(p.height);
  if (keep == 3 && p.bands <= 2) {
    std::vector<uint8_t> rgb(plane * 3);
    for (int b = 0; b < 3; ++b) std::copy_n(p.data.begin(), plane, rgb.begin() + b * plane);
    p.data = std::move(rgb);
  } else {
    p.data.resize(plane * static_cast<std::size_t>(keep));
  }
  p.bands = keep;
  return p;
}

// The image averaged down so that its longest side is at most `side` pixels.
Pixels shrink(const Pixels& p, int side) {
  const double scale = std::min(1.0, static_cast<double>(side) / std::max(p.width, p.height));
  const int w = std::max(1, static_cast<int>(std::lround(p.width * scale)));
  const int h = std::max(1, static_cast<int>(std::lround(p.height * scale)));
  if (w == p.width && h == p.height) return p;
  GDALDriver* mem = GetGDALDriverManager()->GetDriverByName("MEM");
  GDALDatasetUniquePtr src(mem->Create("", p.width, p.height, p.bands, GDT_Byte, nullptr));
  Pixels out{w, h, p.bands, {}};
  out.data.resize(static_cast<std::size_t>(w) * static_cast<std::size_t>(h) *
                  static_cast<std::size_t>(p.bands));
  GDALRasterIOExtraArg extra;
  INIT_RASTERIO_EXTRA_ARG(extra);
  extra.eResampleAlg = GRIORA_Average;
  if (!src ||
      src->RasterIO(GF_Write, 0, 0, p.width, p.height, const_cast<uint8_t*>(p.data.data()), p.width,
                    p.height, GDT_Byte, p.bands, nullptr, 0, 0, 0, nullptr) != CE_None ||
      src->RasterIO(GF_Read, 0, 0, p.width, p.height, out.data.data(), w, h, GDT_Byte, p.bands,
                    nullptr, 0, 0, 0, &extra) != CE_None)
    throw Error("cannot shrink an image");
  return out;
}

// "(30) (15) (36.5)" → 30.26013…; nullopt unless three numbers, minutes and seconds below 60.
std::optional<double> degrees(std::string_view text) {
  double parts[3];
  int n = 0;
  while (n < 3) {
    const auto open = text.find('('), close = text.find(')');
    if (open == std::string_view::npos || close == std::string_view::npos || close < open)
      return std::nullopt;
    const std::string_view number = text.substr(open + 1, close - open - 1);
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), parts[n]);
    if (ec != std::errc() || end != number.data() + number.size() || !std::isfinite(parts[n]) ||
        parts[n] < 0)
      return std::nullopt;
    text.remove_prefix(close + 1);
    ++n;
  }
  if (parts[1] >= 60 || parts[2] >= 60) return std::nullopt;
  return parts[0] + parts[1] / 60 + parts[2] / 3600;
}

}  // namespace

std::string_view sniff_image_type(std::string_view b) {
  if (b.size() >= 3 && b.substr(0, 3) == "\xFF\xD8\xFF") return "image/jpeg";
  if (b.size() >= 8 && b.substr(0, 8) == "\x89PNG\r\n\x1A\n") return "image/png";
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") return "image/webp";
  return {};
}

std::optional<LonLat> exif_position(std::string_view latitude, std::string_view latitude_ref,
                                    std::string_view longitude, std::string_view longitude_ref) {
  const auto lat = degrees(latitude), lon = degrees(longitude);
  if (!lat || !lon || *lat > 90 || *lon > 180) return std::nullopt;
  if ((latitude_ref != "N" && latitude_ref != "S") ||
      (longitude_ref != "E" && longitude_ref != "W"))
    return std::nullopt;
  return LonLat{longitude_ref == "W" ? -*lon : *lon, latitude_ref == "S" ? -*lat : *lat};
}

CheckedImage check_image(std::string_view bytes, std::string_view content_type,
                         const std::string& parameter, const ImageLimits& limits) {
  if (bytes.empty()) throw InvalidArgument(parameter, "is empty: the photo's bytes are the body");
  if (bytes.size() > limits.max_bytes)
    throw InvalidArgument(parameter, "is " + std::to_string(bytes.size()) +
                                         " bytes; a photo may have at most " +
                                         std::to_string(limits.max_bytes) + " bytes");
  const Format* format = format_of(sniff_image_type(bytes));
  if (!format) throw InvalidArgument(parameter, "is not a JPEG, PNG or WebP image");
  if (!content_type.empty() && content_type != format->content_type)
    throw InvalidArgument(parameter, "holds a " + std::string(format->name) + " image, not " +
                                         std::string(content_type) + " as its type says");

  static const bool registered = (GDALAllRegister(), true);
  (void)registered;
  const ThreadSettings settings;
  const GdalErrors errors;
  MemFile file(".img");
  VSILFILE* f = VSIFileFromMemBuffer(file.path().c_str(),
                                     reinterpret_cast<GByte*>(const_cast<char*>(bytes.data())),
                                     bytes.size(), FALSE);
  if (!f) throw Error("cannot stage an upload");
  VSIFCloseL(f);
  const std::string driver(format->driver);
  const char* const drivers[] = {driver.c_str(), nullptr};
  GDALDatasetUniquePtr ds(GDALDataset::Open(file.path().c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY,
                                            drivers, nullptr, nullptr));
  if (!ds)
    throw InvalidArgument(
        parameter, "the " + std::string(format->name) + " image cannot be read: " + errors.first());
  const int w = ds->GetRasterXSize(), h = ds->GetRasterYSize();
  if (w < 1 || h < 1 || w > limits.max_side || h > limits.max_side ||
      static_cast<std::size_t>(w) * static_cast<std::size_t>(h) > limits.max_pixels)
    throw InvalidArgument(parameter, "is " + std::to_string(w) + "×" + std::to_string(h) +
                                         " pixels; a photo may have at most " +
                                         std::to_string(limits.max_side) + " on a side and " +
                                         std::to_string(limits.max_pixels) + " in all");

  CheckedImage out;
  out.content_type = std::string(format->content_type);
  out.width = w;
  out.height = h;
  if (driver == "JPEG") {
    auto item = [&](const char* key) {
      const char* v = ds->GetMetadataItem(key);
      return std::string_view(v ? v : "");
    };
    out.exif_location = exif_position(item("EXIF_GPSLatitude"), item("EXIF_GPSLatitudeRef"),
                                      item("EXIF_GPSLongitude"), item("EXIF_GPSLongitudeRef"));
  }
  const Pixels pixels = decode(*ds, parameter, *format, errors);
  ds.reset();

  const char* const jpeg_options[] = {"QUALITY=90", nullptr};
  const char* const webp_options[] = {"QUALITY=90", nullptr};
  if (driver == "JPEG")
    out.public_copy = encode(pixels, "JPEG", ".jpg", jpeg_options);
  else if (driver == "PNG")
    out.public_copy = encode(pixels, "PNG", ".png", nullptr);
  else  // WebP takes RGB or RGBA only
    out.public_copy =
        encode(pixels.bands >= 3 ? pixels : with_bands(pixels, 3), "WEBP", ".webp", webp_options);
  // JPEG has no alpha: the thumbnail keeps the colours (gray or RGB) and drops it.
  const Pixels small = shrink(pixels, limits.thumbnail_side);
  const char* const thumb_options[] = {"QUALITY=80", nullptr};
  out.thumbnail =
      encode(small.bands == 2 || small.bands == 4 ? with_bands(small, small.bands - 1) : small,
             "JPEG", ".jpg", thumb_options);
  out.sha256 = sha256_hex(bytes);
  return out;
}

}  // namespace onemap::layers::media
