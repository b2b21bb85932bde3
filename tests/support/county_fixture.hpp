// The fixture of the county's tests (tests/layers/county): a county on a store of its own in a
// temporary directory, loaded as `onemap serve` loads it (default join and tile options), that a
// test can reopen as after a restart and read back through a second connection.
#pragma once

#include "layers/county/county.hpp"
#include "tests/support/county.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace onemap::testing {

class CountyFixture : public ::testing::Test {
 protected:
  void TearDown() override { county_.reset(); }

  /// Writes a store with `build` into a new temporary directory and loads the county over it,
  /// with `dispatch` as its dispatch configuration.
  void open(const StoreBuilder& build, layers::DispatchConfig dispatch = {});
  /// A new county over the same store and configuration, as after a restart.
  void reopen();
  /// The store read by a second connection.
  layers::Dataset reload() const;

  std::unique_ptr<TempDir> dir_;
  std::string path_;
  layers::DispatchConfig dispatch_;
  std::unique_ptr<layers::County> county_;
};

}  // namespace onemap::testing
