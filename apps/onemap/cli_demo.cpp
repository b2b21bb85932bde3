// `onemap demo`: generates the Deqing demo county (tools/demo/demo.hpp) and writes it to a
// GeoPackage.
//
//   onemap demo --out FILE.gpkg [--data-dir DIR] [--seed N] [--end-date YYYY-MM-DD]
//               [--scale X] [--force]
//
// The data directory holds categories.csv and deqing/ (outline and division codes). Default:
// ./data when it exists (the scripts run onemap from the repository root), else the directory
// named by the environment variable ONEMAP_DATA_DIR.
#include "apps/onemap/cli.hpp"

#include "core/errors.hpp"
#include "core/time.hpp"
#include "layers/store/store.hpp"
#include "tools/demo/demo.hpp"
#include "tools/demo/demo_layers.hpp"
#include "tools/demo/demo_trails.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

namespace onemap::cli {

namespace {

namespace fs = std::filesystem;

constexpr const char* kUsage =
    R"(Usage: onemap demo --out FILE.gpkg [options]

Generates the demo county (Deqing, 德清县 330521) and writes every layer to a GeoPackage:
the real county outline (GCJ-02 converted to CGCS2000) and real town and village codes, with
synthetic inner boundaries (Voronoi cells), ~600 grids, 150,000 households, 8,000 enterprises,
50,000 incidents over the last 12 months with their audit trails (report, dispatch, accept,
start, resolve, verify, close: the loop's stage figures have data) and ~2,400 grid team members.
All point data and all personal data are synthetic.

Options:
  --out FILE.gpkg       the GeoPackage to write (required)
  --data-dir DIR        where categories.csv and deqing/ are (default: ./data if it exists,
                        else $ONEMAP_DATA_DIR)
  --seed N              random seed (default 20261126)
  --end-date YYYY-MM-DD incidents cover the 12 months before 00:00 (UTC+8) of this date
                        (default: today). The same seed, end date and scale reproduce
                        the same records bit for bit (the file differs only in its
                        write timestamps).
  --scale X             multiplies households, enterprises, incidents and grids (default 1)
  --force               overwrite FILE.gpkg if it exists
  --help                this text
)";

int usage_error(const std::string& message) {
  std::cerr << "onemap demo: " << message << "\n(see onemap demo --help)\n";
  return 2;
}

/// "YYYY-MM-DD" → Unix seconds of 00:00 in UTC+8, or nullopt.
std::optional<int64_t> parse_end_date(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (std::size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  const int y = std::stoi(s.substr(0, 4)), m = std::stoi(s.substr(5, 2)),
            d = std::stoi(s.substr(8, 2));
  const auto days = core::days_from_civil(y, m, d);
  if (!days) return std::nullopt;
  return *days * core::kSecondsPerDay - int64_t{8 * 3600};  // 00:00 in UTC+8
}

/// The default data directory (see the file header); empty when neither exists.
std::string default_data_dir() {
  std::error_code ec;
  if (fs::is_directory("data", ec)) return "data";
  if (const char* env = std::getenv("ONEMAP_DATA_DIR"); env && *env) return env;
  return "data";  // build_demo reports the missing files with the paths it tried
}

}  // namespace

int run_demo(const Args& args) {
  layers::DemoOptions options;
  std::string out;
  std::optional<std::string> data_dir;
  bool force = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= args.size()) return std::nullopt;
      return args[++i];
    };
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--force") {
      force = true;
    } else if (a == "--out" || a == "--data-dir" || a == "--seed" || a == "--end-date" ||
               a == "--scale") {
      auto v = value();
      if (!v) return usage_error(a + " needs a value");
      if (a == "--out") {
        out = *v;
      } else if (a == "--data-dir") {
        data_dir = *v;
      } else if (a == "--seed") {
        std::size_t used = 0;
        try {
          if (v->empty() || (*v)[0] == '-') throw std::invalid_argument("negative");
          options.seed = std::stoull(*v, &used, 10);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != v->size())
          return usage_error("--seed: not a non-negative integer: " + *v);
      } else if (a == "--end-date") {
        auto t = parse_end_date(*v);
        if (!t) return usage_error("--end-date: expected a date YYYY-MM-DD, got '" + *v + "'");
        options.end_time = *t;
      } else if (a == "--scale") {
        std::size_t used = 0;
        double s = 0;
        try {
          s = std::stod(*v, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used == 0 || used != v->size() || !(s > 0) || s > 1000)
          return usage_error("--scale: expected a number in (0, 1000], got '" + *v + "'");
        options.scale = s;
      }
    } else {
      return usage_error("unknown argument '" + a + "'");
    }
  }
  if (out.empty()) return usage_error("--out FILE.gpkg is required");
  options.data_dir = data_dir ? *data_dir : default_data_dir();

  std::error_code ec;
  if (fs::exists(out, ec)) {
    if (!force) {
      std::cerr << "onemap demo: " << out << " exists; pass --force to overwrite it\n";
      return 1;
    }
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) fs::remove(out + suffix, ec);
    if (fs::exists(out)) {
      std::cerr << "onemap demo: cannot remove " << out << ": " << ec.message() << "\n";
      return 1;
    }
  }

  try {
    const auto t0 = std::chrono::steady_clock::now();
    layers::Dataset data =
        layers::build_demo(options, [](const std::string& line) { std::cerr << line << "\n"; });
    const auto t1 = std::chrono::steady_clock::now();
    std::vector<layers::FeatureLayer> own =
        layers::build_demo_layers(data, options.seed, options.scale);
    auto store = layers::open_store(out, true);
    store->replace_all(data);
    // The incidents' trails, once replace_all gave them their fids.
    std::vector<layers::IncidentEvent> trails =
        layers::build_demo_trails(data, layers::demo_end_time(options), options.seed);
    {
      layers::Store::Batch batch;
      batch.events.reserve(trails.size());
      for (auto& e : trails) batch.events.push_back({&e});
      store->put(batch);
    }
    for (auto& l : own) store->create_layer(l.def, l.features);
    store.reset();  // closing the GeoPackage finishes its spatial indexes: part of the write time
    const auto t2 = std::chrono::steady_clock::now();
    const double gen_s = std::chrono::duration<double>(t1 - t0).count();
    const double write_s = std::chrono::duration<double>(t2 - t1).count();
    std::printf("wrote %s (data from %s, seed %llu, scale %g)\n", out.c_str(),
                options.data_dir.c_str(), static_cast<unsigned long long>(options.seed),
                options.scale);
    for (layers::LayerKind k : layers::kAllLayers)
      std::printf("  %-15s %9zu\n", std::string(layers::layer_name(k)).c_str(), data.count(k));
    std::printf("  %-15s %9zu\n", "trail events", trails.size());
    for (const auto& l : own)
      std::printf("  %-15s %9zu  (%s)\n", l.def.name.c_str(), l.features.size(),
                  l.def.title.c_str());
    std::printf("generated in %.2f s, written in %.2f s, total %.2f s\n", gen_s, write_s,
                gen_s + write_s);
    return 0;
  } catch (const std::exception& e) {
    // build_demo's messages start with "demo: ".
    const std::string what = e.what();
    std::cerr << (what.rfind("demo: ", 0) == 0 ? "onemap " : "onemap demo: ") << what << "\n";
    return 1;
  }
}

}  // namespace onemap::cli
