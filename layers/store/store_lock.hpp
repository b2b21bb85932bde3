// Advisory locks (flock(2)) on a store file between the onemap processes that use it.
//
// `onemap serve` holds the whole county in memory and writes every change through it, so another
// process writing the same store behind its back (`onemap dispatch`, `onemap import`) would have
// its writes overwritten by the server's next ones, or overwrite them. The server holds the
// exclusive lock for its whole run; those commands hold a shared one for theirs, and each side
// refuses to start while the other holds the file. (`onemap user` needs no lock: it is designed
// to work on a live store, which re-reads its users.)
//
// flock locks belong to the open file description, independent of SQLite's fcntl locks on the
// same file. But closing any descriptor of a file drops every fcntl lock the process holds on it:
// take the lock before the store is opened and release it after the store is closed (declare it
// first).
#pragma once

#include <string>

namespace onemap::layers {

class StoreLock {
 public:
  /// No lock.
  StoreLock() = default;
  ~StoreLock();
  StoreLock(StoreLock&& other) noexcept;
  StoreLock& operator=(StoreLock&& other) noexcept;
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

  /// The exclusive lock of a server on the store at `path`, held until destroyed.
  /// @throws StoreError when another process serves the store or writes it (naming it and its
  /// pid), or when the file cannot be opened.
  static StoreLock for_serving(const std::string& path);

  /// The shared lock of a command that writes the store at `path` directly, held until
  /// destroyed; no lock when there is no file yet (nobody can be serving it).
  /// @throws StoreError "the store PATH is served by a running onemap (pid N): INSTEAD" when a
  /// server holds it (`instead` says what to do, e.g. "use POST /dispatch/batch instead").
  static StoreLock for_writing(const std::string& path, const std::string& instead);

  bool held() const { return fd_ >= 0; }

 private:
  explicit StoreLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace onemap::layers
