// Test support for api/: a minimal HTTP/1.x client over POSIX sockets, and helpers that run the
// real onemap binary (a command to completion, or a server in the background).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace onemap::testing {

/// One parsed HTTP response.
struct HttpResponse {
  std::string status_line;
  int status = 0;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
  /// The header's value, or "" when absent (name is case-insensitive).
  std::string header(const std::string& name) const;
};

/// One TCP connection to 127.0.0.1:port. Reads responses framed by Content-Length.
class HttpConnection {
 public:
  explicit HttpConnection(uint16_t port);
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  /// Sends raw bytes (a whole request, or part of one).
  void send_raw(const std::string& bytes);
  /// Sends "METHOD target HTTP/1.1" with Host and the extra header lines ("Name: value").
  void send_request(const std::string& method, const std::string& target,
                    const std::vector<std::string>& extra_headers = {},
                    const std::string& version = "HTTP/1.1");
  /// Reads one response; `head` means no body follows whatever Content-Length says.
  /// @throws std::runtime_error on timeout or when the server closes first.
  HttpResponse read_response(bool head = false,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// True when the server closes the connection (end of stream) within `timeout` and sends
  /// nothing more before that.
  bool closed_by_server(std::chrono::milliseconds timeout);

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);  ///< false on end of stream
  int fd_ = -1;
  uint16_t port_ = 0;
  std::string buffer_;
};

/// GET over a fresh connection.
HttpResponse http_get(uint16_t port, const std::string& target);

/// Result of running a command to completion.
struct CommandResult {
  int exit_code = -1;  ///< -1 when killed by a signal or timed out
  std::string out;
  std::string err;
};
/// Runs `args` (args[0] is the program), capturing stdout and stderr.
CommandResult run_command(const std::vector<std::string>& args,
                          std::chrono::seconds timeout = std::chrono::seconds(120));

/// `onemap serve …` running in the background, its stderr in a log file.
class ServerProcess {
 public:
  /// Starts `binary serve <args> --port 0` and waits for its "listening on" line.
  /// @throws std::runtime_error when it exits or does not listen within `timeout`.
  ServerProcess(const std::string& binary, const std::vector<std::string>& args,
                const std::string& log_path,
                std::chrono::seconds timeout = std::chrono::seconds(60));
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  /// The whole log so far.
  std::string log() const;
  /// Sends `sig` and waits for the exit: the exit status, or nullopt when it did not exit within
  /// `timeout` (it is then killed) or died of a signal.
  std::optional<int> stop(int sig, std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  std::string log_path_;
};

/// The administrator's token the API tests use, and a file holding it in `dir` for
/// `onemap serve --write-token-file` (whose path it returns).
inline constexpr const char* kAdminToken = "s3cret-admin-token-of-the-tests";
std::string admin_token_file(const std::string& dir);

/// A fresh directory under $TMPDIR (or /tmp), removed by the destructor.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace onemap::testing
