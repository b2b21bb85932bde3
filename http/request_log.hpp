// The request log: one JSON line per request on stderr, written in batches by a background
// thread so that a slow or blocked stderr never stalls a worker, and a busy server does not pay
// a thread wake-up per request. Secrets never reach it: tokens travel in headers, which are not
// logged, and the values of api_key, token and access_token query parameters are redacted.
//
//   {"ts":"2026-11-26T01:55:51.006Z","id":"5f1c…-17","method":"GET","path":"/health","query":"",
//    "status":200,"bytes":275,"ms":0.022,"peer":"127.0.0.1","user":"","lane":"read"}
//
// "lane" names the worker pool that answered (read, query, write), or "now" for an answer given
// at once by the thread that read the request (http/router.hpp Route::answer_now). An error
// answer adds "error" (its code); a 500 adds "detail" (the exception's text).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace onemap::http {

/// One request as logged.
struct LogEntry {
  std::string_view request_id, method, path, query, peer, user, lane, error, detail;
  int status = 0;
  std::size_t bytes = 0;
  double ms = 0;
};

/// The query string with the values of secret parameters replaced by "REDACTED".
std::string redact_query(std::string_view query);

/// "2026-11-26T01:40:00.123Z" of now (UTC).
void append_timestamp(std::string& out);

class RequestLog {
 public:
  RequestLog();
  ~RequestLog();
  RequestLog(const RequestLog&) = delete;
  RequestLog& operator=(const RequestLog&) = delete;

  /// Queues the line of one request.
  void add(const LogEntry& e);
  /// Queues a line as it is (a lifecycle message; must end in '\n').
  void append(const std::string& line);
  /// Writes what is pending and stops the writer; idempotent.
  void stop();

 private:
  static constexpr std::size_t kMaxPending = 8u << 20;
  static constexpr std::size_t kWakeBytes = 64u << 10;
  static constexpr std::chrono::milliseconds kFlushInterval{50};
  void run();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::string pending_;
  std::size_t dropped_ = 0;
  bool stopped_ = false;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace onemap::http
