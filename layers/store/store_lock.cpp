// StoreLock (store_lock.hpp). The holder of a lock is found in /proc/locks (Linux): a line per
// lock, "N: FLOCK  ADVISORY  WRITE PID MAJOR:MINOR:INODE 0 EOF", matched by the file's device
// and inode; its command line in /proc/PID/cmdline.
#include "layers/store/store_lock.hpp"

#include "core/errors.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>
#include <vector>

namespace onemap::layers {

namespace {

struct Holder {
  long pid = 0;  ///< 0: not found
  bool exclusive = false;
};

// Who holds a flock on the file open as `fd` (the first such lock listed).
Holder holder_of(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return {};
  char dev[64];
  std::snprintf(dev, sizeof dev, "%02x:%02x:%llu", major(st.st_dev), minor(st.st_dev),
                static_cast<unsigned long long>(st.st_ino));
  std::ifstream in("/proc/locks");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string id, kind, advisory, mode, where;
    long pid = 0;
    if (!(f >> id >> kind)) continue;
    if (kind == "->") continue;  // a waiter, not a holder
    if (!(f >> advisory >> mode >> pid >> where)) continue;
    if (kind == "FLOCK" && where == dev) return {pid, mode == "WRITE"};
  }
  return {};
}

// "onemap dispatch" for a pid running `onemap dispatch --data …`; empty when unknown.
std::string command_of(long pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (std::size_t start = 0; start < all.size();) {
    const std::size_t end = std::min(all.find('\0', start), all.size());
    args.push_back(all.substr(start, end - start));
    start = end + 1;
  }
  if (args.empty()) return {};
  std::string out = args[0].substr(args[0].rfind('/') + 1);
  if (args.size() > 1) out += " " + args[1];
  return out;
}

int open_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw StoreError("cannot open " + path + " to lock it: " + std::strerror(errno));
  return fd;
}

// Takes the lock (LOCK_EX or LOCK_SH) without waiting; false when another holds a conflicting one.
bool try_lock(int fd, int operation) {
  while (::flock(fd, operation | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return false;
    throw StoreError(std::string("cannot lock the store: ") + std::strerror(errno));
  }
  return true;
}

}  // namespace

StoreLock::~StoreLock() {
  if (fd_ >= 0) ::close(fd_);  // releases the lock
}

StoreLock::StoreLock(StoreLock&& other) noexcept : fd_(other.fd_) {
  other.fd_ = -1;
}

StoreLock& StoreLock::operator=(StoreLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

StoreLock StoreLock::for_serving(const std::string& path) {
  StoreLock lock(open_file(path));
  if (try_lock(lock.fd_, LOCK_EX)) return lock;
  const Holder h = holder_of(lock.fd_);
  const std::string pid = h.pid ? " (pid " + std::to_string(h.pid) + ")" : "";
  if (h.exclusive || !h.pid)
    throw StoreError("the store " + path + " is served by a running onemap" + pid);
  const std::string command = command_of(h.pid);
  throw StoreError("the store " + path + " is being written by " +
                   (command.empty() ? "another onemap" : "`" + command + "`") + pid +
                   ": serve it when that has finished");
}

StoreLock StoreLock::for_writing(const std::string& path, const std::string& instead) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 && errno == ENOENT) return StoreLock();
  StoreLock lock(open_file(path));
  if (try_lock(lock.fd_, LOCK_SH)) return lock;
  const Holder h = holder_of(lock.fd_);
  const std::string pid = h.pid ? " (pid " + std::to_string(h.pid) + ")" : "";
  throw StoreError("the store " + path + " is served by a running onemap" + pid + ": " + instead);
}

}  // namespace onemap::layers
