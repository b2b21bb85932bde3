// Layers that outgrow the room kept for them (County::make_room): the larger vectors and the
// larger map of audit trails are built beside the old ones while readers read, then swapped in.
// Every record written before, during and after a swap is there, found by fid, with its history,
// and a reader running all along never sees a layer shrink or a record half-written.
#include "layers/county/county.hpp"

#include "layers/store/store.hpp"

#include "tests/support/county.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

using namespace onemap::layers;

namespace {

TEST(CountyGrowth, RecordsWrittenPastTheHeadroomAreAllThereWithTheirHistories) {
  onemap::testing::TempDir dir;
  County county(open_store(onemap::testing::write_small_county(dir.path()), false), JoinOptions{},
                TileConfig::defaults());
  const std::size_t incidents_before = [&] {
    auto lock = county.read();
    return county.data().incidents.size();
  }();
  const std::size_t households_before = [&] {
    auto lock = county.read();
    return county.data().households.size();
  }();
  // The room kept at load is a quarter more plus 1,024: this many goes past it.
  const std::size_t n = incidents_before + incidents_before / 4 + 1024 + 50;

  std::atomic<bool> done{false};
  std::atomic<std::size_t> reads{0}, shrank{0}, bad{0};
  std::thread reader([&] {
    std::size_t last = 0;
    while (!done) {
      auto lock = county.read();
      const auto& v = county.data().incidents;
      if (v.size() < last) ++shrank;
      last = v.size();
      if (!v.empty() && v.back().fid <= 0) ++bad;
      ++reads;
    }
  });
  std::vector<int64_t> fids;
  for (std::size_t i = 0; i < n; ++i) {
    Incident in;
    in.category = "0101";
    in.description = "growth " + std::to_string(i);
    in.location = {120.01 + 0.00001 * static_cast<double>(i % 1000), 30.11};
    fids.push_back(county.create_incident(in).fid);
    if (i % 100 == 0) {
      Household h;
      h.members = 2;
      h.location = {120.123, 30.111};
      county.create_household(h);
    }
  }
  done = true;
  reader.join();
  EXPECT_GT(reads.load(), 0U);
  EXPECT_EQ(shrank.load(), 0U);
  EXPECT_EQ(bad.load(), 0U);

  auto lock = county.read();
  EXPECT_EQ(county.data().incidents.size(), incidents_before + n);
  EXPECT_EQ(county.data().households.size(), households_before + (n + 99) / 100);
  for (std::size_t i = 0; i < n; ++i) {
    const Incident* in = county.find_incident(fids[i]);
    ASSERT_NE(in, nullptr) << fids[i];
    EXPECT_EQ(in->description, "growth " + std::to_string(i));
  }
  lock.unlock();
  // The trails of the first, one around the swap and the last.
  for (std::size_t i : {std::size_t{0}, incidents_before / 4 + 1024, n - 1}) {
    const auto h = county.history(fids[i]);
    ASSERT_FALSE(h.empty()) << i;
    EXPECT_EQ(h.front().incident, fids[i]);
  }
}

}  // namespace
