// The request log (request_log.hpp).
#include "http/request_log.hpp"

#include "core/json_text.hpp"
#include "core/time.hpp"

#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <utility>

namespace onemap::http {

namespace {

/// One write(2) per batch, so that lines of different writers never mix.
void write_stderr(const std::string& text) {
  const char* p = text.data();
  std::size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // a broken log must not take the server down
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

void field(std::string& out, const char* name, std::string_view value) {
  out += ",\"";
  out += name;
  out += "\":\"";
  append_json_escaped(out, value);
  out += '"';
}

constexpr std::array<std::string_view, 4> kSecretParameters = {"api_key", "token", "access_token",
                                                               "password"};

}  // namespace

std::string redact_query(std::string_view query) {
  std::string out;
  out.reserve(query.size());
  while (true) {
    const auto amp = query.find('&');
    std::string_view item = query.substr(0, amp);
    const auto eq = item.find('=');
    const std::string_view name = item.substr(0, eq);
    // Compared as the router reads it (percent-decoded: api%5Fkey is api_key), in any case.
    std::string plain;
    for (std::size_t i = 0; i < name.size(); ++i) {
      auto hex = [](char c) {
        return c >= '0' && c <= '9'   ? c - '0'
               : c >= 'a' && c <= 'f' ? c - 'a' + 10
               : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                      : -1;
      };
      if (name[i] == '%' && i + 2 < name.size() && hex(name[i + 1]) >= 0 && hex(name[i + 2]) >= 0) {
        plain += static_cast<char>(hex(name[i + 1]) * 16 + hex(name[i + 2]));
        i += 2;
      } else {
        plain += static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
      }
    }
    for (char& c : plain) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    bool secret = false;
    for (auto s : kSecretParameters) secret = secret || plain == s;
    if (secret && eq != std::string_view::npos) {
      out.append(name);
      out += "=REDACTED";
    } else {
      out.append(item);
    }
    if (amp == std::string_view::npos) break;
    out += '&';
    query.remove_prefix(amp + 1);
  }
  return out;
}

void append_timestamp(std::string& out) {
  core::append_iso8601_ms(out, std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

RequestLog::RequestLog() : thread_([this] { run(); }) {}

RequestLog::~RequestLog() {
  stop();
}

void RequestLog::add(const LogEntry& e) {
  std::string line;
  line.reserve(224 + e.path.size() + e.query.size() + e.detail.size());
  line += "{\"ts\":\"";
  append_timestamp(line);
  line += '"';
  field(line, "id", e.request_id);
  field(line, "method", e.method);
  field(line, "path", e.path);
  field(line, "query", redact_query(e.query));
  line += ",\"status\":";
  append_uint(line, static_cast<uint64_t>(e.status));
  line += ",\"bytes\":";
  append_uint(line, e.bytes);
  // milliseconds with three decimals, from whole microseconds
  const auto us = static_cast<uint64_t>(std::llround(std::max(0.0, e.ms) * 1000.0));
  line += ",\"ms\":";
  append_uint(line, us / 1000);
  line += '.';
  const auto frac = us % 1000;
  line += static_cast<char>('0' + frac / 100);
  line += static_cast<char>('0' + frac / 10 % 10);
  line += static_cast<char>('0' + frac % 10);
  field(line, "peer", e.peer);
  field(line, "user", e.user);
  field(line, "lane", e.lane);
  if (!e.error.empty()) field(line, "error", e.error);
  if (!e.detail.empty()) field(line, "detail", e.detail);
  line += "}\n";
  append(line);
}

void RequestLog::append(const std::string& line) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return;
    if (pending_.size() + line.size() > kMaxPending) {
      ++dropped_;
      return;
    }
    pending_ += line;
    wake = pending_.size() >= kWakeBytes && pending_.size() - line.size() < kWakeBytes;
  }
  if (wake) ready_.notify_one();
}

void RequestLog::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
  }
  ready_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void RequestLog::run() {
  std::string batch;
  for (;;) {
    std::size_t dropped = 0;
    bool done = false;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait_for(lock, kFlushInterval,
                      [&] { return stopped_ || pending_.size() >= kWakeBytes; });
      batch.swap(pending_);
      dropped = std::exchange(dropped_, 0);
      done = stopped_ && batch.empty() && dropped == 0;
    }
    if (done) return;
    write_stderr(batch);
    batch.clear();
    if (dropped > 0) {
      std::string note = "{\"ts\":\"";
      append_timestamp(note);
      note += "\",\"level\":\"warning\",\"msg\":\"request log behind: " + std::to_string(dropped) +
              " lines dropped\"}\n";
      write_stderr(note);
    }
  }
}

}  // namespace onemap::http
