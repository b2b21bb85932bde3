// StoreLock (layers/store/store_lock.hpp): a server's exclusive lock against the commands' shared
// ones, in one process through separate open files (flock locks conflict between them as between
// processes), with the holder's pid in the message.
#include "layers/store/store_lock.hpp"

#include "core/errors.hpp"
#include "tests/support/temp_dir.hpp"
#include "tests/support/thrown.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;
using onemap::StoreError;
using onemap::layers::StoreLock;

namespace {

class StoreLockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = dir_.file("county.gpkg");
    std::ofstream(path_) << "not really a GeoPackage";
  }
  onemap::testing::TempDir dir_;
  std::string path_;
};

// The message of the StoreError `f` throws, or "(no error)".
template <class F>
std::string message_of(F f) {
  const auto e = onemap::testing::thrown<StoreError>(f);
  return e ? e->what() : "(no error)";
}

}  // namespace

TEST_F(StoreLockTest, AServedStoreRefusesWritersNamingTheServer) {
  {
    const StoreLock served = StoreLock::for_serving(path_);
    EXPECT_TRUE(served.held());
    const std::string m =
        message_of([&] { StoreLock::for_writing(path_, "use POST /dispatch/batch instead"); });
    EXPECT_EQ(m, "the store " + path_ + " is served by a running onemap (pid " +
                     std::to_string(::getpid()) + "): use POST /dispatch/batch instead");
    // A second server too.
    EXPECT_NE(message_of([&] {
                StoreLock::for_serving(path_);
              }).find("is served by a running onemap (pid "),
              std::string::npos);
  }
  // Released with the server.
  EXPECT_TRUE(StoreLock::for_writing(path_, "").held());
}

TEST_F(StoreLockTest, WritersShareAndKeepAServerOut) {
  StoreLock a = StoreLock::for_writing(path_, "");
  const StoreLock b = StoreLock::for_writing(path_, "");
  EXPECT_TRUE(a.held() && b.held());
  const std::string m = message_of([&] { StoreLock::for_serving(path_); });
  EXPECT_NE(m.find("is being written by"), std::string::npos) << m;
  EXPECT_NE(m.find("(pid " + std::to_string(::getpid()) + ")"), std::string::npos) << m;
  a = StoreLock();
  EXPECT_FALSE(a.held());
  EXPECT_THROW(StoreLock::for_serving(path_), StoreError);  // b still holds it
}

TEST_F(StoreLockTest, NoFileNoLock) {
  EXPECT_FALSE(StoreLock::for_writing((dir_ / "new.gpkg").string(), "").held());
  EXPECT_THROW(StoreLock::for_serving((dir_ / "new.gpkg").string()), StoreError);
}
