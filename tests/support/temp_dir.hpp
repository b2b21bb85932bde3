// A fresh directory for one test's files, removed with everything in it when it goes.
#pragma once

#include <filesystem>
#include <string>

namespace onemap::testing {

/// A new directory under $TMPDIR (or /tmp), named onemap-test-XXXXXX; removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  /// path() + "/" + name.
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  /// The same as a filesystem path.
  std::filesystem::path operator/(const std::string& name) const {
    return std::filesystem::path(path_) / name;
  }

 private:
  std::string path_;
};

}  // namespace onemap::testing
