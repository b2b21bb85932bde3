#include "tests/support/demo_county.hpp"

#include "tests/support/county.hpp"
#include "tools/demo/demo.hpp"

namespace onemap::testing {

std::string write_demo_county(const std::string& dir, const std::string& name) {
  layers::DemoOptions o;
  o.data_dir = source_data("");
  o.scale = 0.03;
  o.end_time = 20783LL * 86400 - 8 * 3600;  // 2026-11-26 00:00 UTC+8
  return write_store(dir, layers::build_demo(o), name);
}

}  // namespace onemap::testing
