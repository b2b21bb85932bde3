// Map tiles as a client reads them (tiles.hpp).
#include "tests/support/tiles.hpp"

#include <ogrsf_frmts.h>
#include <zlib.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace onemap::testing {

std::string Tile::path() const {
  return std::to_string(z) + "/" + std::to_string(x) + "/" + std::to_string(y);
}

Tile mercator_tile(double lon, double lat, int z) {
  constexpr double kPi = 3.14159265358979323846;
  const double n = std::ldexp(1.0, z);
  const double r = lat * kPi / 180;
  return {
      z, static_cast<int>(std::floor((lon + 180) / 360 * n)),
      static_cast<int>(std::floor((1 - std::log(std::tan(r) + 1 / std::cos(r)) / kPi) / 2 * n))};
}

std::string gunzip(const std::string& in) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) throw std::runtime_error("inflateInit2");
  std::string out;
  char buf[65536];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      inflateEnd(&zs);
      throw std::runtime_error("not gzip");
    }
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc != Z_STREAM_END);
  inflateEnd(&zs);
  return out;
}

std::unique_ptr<GDALDataset> open_tile(const std::string& dir, const Tile& t,
                                       const std::string& bytes) {
  const std::string path = dir + "/" + t.path() + ".mvt";
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
  GDALAllRegister();
  const char* const open_options[] = {"CLIP=NO", nullptr};
  std::unique_ptr<GDALDataset> ds(
      GDALDataset::Open(path.c_str(), GDAL_OF_VECTOR, nullptr, open_options));
  if (!ds) throw std::runtime_error("GDAL cannot open " + path);
  return ds;
}

std::set<std::string> tile_field_values(const std::string& dir, const Tile& t,
                                        const std::string& bytes, const std::string& field) {
  std::set<std::string> out;
  if (bytes.empty()) return out;
  const auto ds = open_tile(dir, t, bytes);
  for (auto* layer : ds->GetLayers())
    for (const auto& f : *layer) {
      const int i = f->GetFieldIndex(field.c_str());
      out.insert(i < 0 ? "" : f->GetFieldAsString(i));
    }
  return out;
}

}  // namespace onemap::testing
