// Fuzz target: the HTTP/1.1 request reader (http/request_reader.hpp). The first byte chooses the
// limits (the defaults, or small ones so that 413, 414 and 431 are reached) and how the rest is
// cut into pieces fed one by one, as a connection delivers them; every request is drained after
// each piece. Checked: what a Ready request holds, that an error stays, and that the requests and
// the error do not depend on where the bytes were cut (the same bytes fed at once read the same).
#include "fuzz/fuzz_check.hpp"
#include "http/request_reader.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

using namespace onemap::http;

namespace {

struct Outcome {
  std::vector<Request> requests;
  int error_status = 0;  ///< 0: no error
};

ReaderLimits limits_for(uint8_t mode) {
  ReaderLimits limits;
  if (mode & 0x80) {
    limits.max_head_bytes = 256;
    limits.max_target_bytes = 64;
    limits.max_headers = 4;
    limits.max_body_bytes = 64;
  }
  if (mode & 0x40)  // a route table's limit: small bodies for writes, larger elsewhere
    limits.body_limit = [](std::string_view method, std::string_view path) -> std::size_t {
      return method == "POST" && path.starts_with("/incidents") ? 16 : 1024;
    };
  return limits;
}

bool is_token_char(unsigned char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

void check_request(const Request& r, const ReaderLimits& limits) {
  FUZZ_CHECK(!r.method.empty() && r.method.size() <= 32);
  FUZZ_CHECK(std::all_of(r.method.begin(), r.method.end(),
                         [](char c) { return is_token_char(static_cast<unsigned char>(c)); }));
  FUZZ_CHECK(!r.target.empty() && r.target.size() <= limits.max_target_bytes);
  FUZZ_CHECK(r.path == "*" || (!r.path.empty() && r.path.front() == '/'));
  FUZZ_CHECK(r.path.find('?') == std::string::npos);
  FUZZ_CHECK(r.version_minor == 0 || r.version_minor == 1);
  FUZZ_CHECK(r.headers.size() <= limits.max_headers);
  if (r.version_minor == 1) FUZZ_CHECK(r.has_header("host"));
  FUZZ_CHECK(!r.has_header("transfer-encoding"));
  for (const auto& [name, value] : r.headers) {
    FUZZ_CHECK(!name.empty());
    FUZZ_CHECK(std::none_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
    FUZZ_CHECK(value.empty() || (value.front() != ' ' && value.front() != '\t' &&
                                 value.back() != ' ' && value.back() != '\t'));
    FUZZ_CHECK(value.find_first_of("\r\n") == std::string::npos);
  }
  const std::size_t body_limit =
      limits.body_limit ? limits.body_limit(r.method, r.path) : limits.max_body_bytes;
  FUZZ_CHECK(r.body.size() <= body_limit);
  if (!r.has_header("content-length")) FUZZ_CHECK(r.body.empty());
}

// Drains every complete request; false once the reader reports an error.
bool drain(RequestReader& reader, const ReaderLimits& limits, Outcome& out) {
  while (true) {
    Request r;
    ReadError e;
    switch (reader.next(r, e)) {
      case RequestReader::Status::NeedMore:
        return true;
      case RequestReader::Status::Continue:
        continue;  // the 100 Continue was answered; the body is still to come
      case RequestReader::Status::Ready:
        check_request(r, limits);
        out.requests.push_back(std::move(r));
        continue;
      case RequestReader::Status::Error: {
        FUZZ_CHECK(e.status == 400 || e.status == 413 || e.status == 414 || e.status == 431 ||
                   e.status == 501 || e.status == 505);
        FUZZ_CHECK(!e.code.empty() && !e.message.empty());
        out.error_status = e.status;
        // An error stays: the connection cannot go on.
        Request again;
        ReadError e2;
        FUZZ_CHECK(reader.next(again, e2) == RequestReader::Status::Error && e2.status == e.status);
        return false;
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const ReaderLimits limits = limits_for(mode);

  // In pieces: sizes from a small generator seeded by the mode byte (1 byte up to 64).
  Outcome pieces;
  {
    RequestReader reader(limits);
    uint32_t state = mode * 2654435761u + 1;
    std::size_t at = 0;
    bool ok = true;
    while (ok && at < input.size()) {
      state = state * 1103515245u + 12345u;
      const std::size_t n =
          std::min<std::size_t>(input.size() - at, 1 + ((state >> 16) % ((mode & 0x3f) + 1)));
      reader.feed(input.substr(at, n));
      at += n;
      ok = drain(reader, limits, pieces);
      FUZZ_CHECK(reader.buffered() <= at);
    }
  }

  // At once.
  Outcome whole;
  {
    RequestReader reader(limits);
    reader.feed(input);
    drain(reader, limits, whole);
  }

  FUZZ_CHECK(pieces.error_status == whole.error_status);
  FUZZ_CHECK(pieces.requests.size() == whole.requests.size());
  for (std::size_t i = 0; i < pieces.requests.size(); ++i) {
    const Request& a = pieces.requests[i];
    const Request& b = whole.requests[i];
    FUZZ_CHECK(a.method == b.method && a.target == b.target && a.path == b.path &&
               a.query_string == b.query_string);
    FUZZ_CHECK(a.headers == b.headers && a.body == b.body && a.keep_alive == b.keep_alive);
  }
  return 0;
}
