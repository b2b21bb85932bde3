// The county tests' fixture (county_fixture.hpp).
#include "tests/support/county_fixture.hpp"

#include "layers/store/store.hpp"

namespace onemap::testing {

void CountyFixture::open(const StoreBuilder& build, layers::DispatchConfig dispatch) {
  county_.reset();
  dir_ = std::make_unique<TempDir>();
  path_ = build(dir_->path());
  dispatch_ = std::move(dispatch);
  reopen();
}

void CountyFixture::reopen() {
  county_.reset();
  county_ =
      std::make_unique<layers::County>(layers::open_store(path_, false), layers::JoinOptions{},
                                       layers::TileConfig::defaults(), dispatch_);
}

layers::Dataset CountyFixture::reload() const {
  return layers::open_store(path_, false)->load();
}

}  // namespace onemap::testing
