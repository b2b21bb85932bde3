// The HTTP/1.1 request reader: bytes from a connection in, complete requests out, in order
// (requests pipelined on a connection are all read). Pure code with no I/O, fuzzed by
// fuzz/http_request_reader_fuzzer.cpp.
//
// It is strict where leniency lets a request be read two ways (RFC 9112 §6.3, §11.2): a
// Content-Length that is not plain digits, overflows, or appears twice with different values is
// a 400; Transfer-Encoding is refused (501) since onemap's clients send Content-Length; a header
// line folded or with blanks before its colon is a 400; an HTTP/1.1 request needs exactly one
// valid Host. A body declared larger than the limit is a 413 as soon as its headers are read,
// before any of it is. Lines may end in CRLF or a bare LF; empty lines before a request line
// are skipped (§2.2).
#pragma once

#include "http/message.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace onemap::http {

struct ReaderLimits {
  std::size_t max_head_bytes = 64 * 1024;  ///< request line and headers (431 beyond)
  std::size_t max_target_bytes =
      48 * 1024;  ///< the request target (414 beyond): long CQL2 filters travel in it
  std::size_t max_headers = 100;                 ///< header lines (431 beyond)
  std::size_t max_body_bytes = 4 * 1024 * 1024;  ///< unless body_limit says otherwise (413)
  /// The body limit of a request, from its method and path (e.g. the route's); unset:
  /// max_body_bytes for every request.
  std::function<std::size_t(std::string_view method, std::string_view path)> body_limit;
};

/// Why the bytes could not be read as a request; the connection cannot go on after it.
struct ReadError {
  int status = 400;       ///< 400, 413, 414, 431, 501 or 505
  std::string code;       ///< the error table's code (http/errors.hpp), e.g. "invalid_request"
  std::string message;    ///< what was wrong, for the client
  std::string parameter;  ///< the header at fault, when one is
};

class RequestReader {
 public:
  explicit RequestReader(ReaderLimits limits = {});

  /// Appends bytes received on the connection.
  void feed(std::string_view bytes);

  enum class Status {
    NeedMore,  ///< no complete request yet
    Ready,     ///< `out` holds the next request
    Continue,  ///< headers of a request with "Expect: 100-continue" read, its body not yet:
               ///< answer "100 Continue" and call next() again
    Error,     ///< `error` says why; every later call returns Error too
  };
  /// The next complete request, in the order they were sent.
  Status next(Request& out, ReadError& error);

  /// Whether bytes of a request not yet complete are buffered (its headers or body are being
  /// received), as opposed to waiting between requests.
  bool mid_request() const;
  /// Bytes buffered and not yet returned as requests.
  std::size_t buffered() const { return buffer_.size() - pos_; }

 private:
  Status fail(ReadError& out, int status, std::string code, std::string message,
              std::string parameter = {});
  Status parse_head(std::string_view head, ReadError& error);

  ReaderLimits limits_;
  std::string buffer_;
  std::size_t pos_ = 0;      ///< start of the request being read
  std::size_t scanned_ = 0;  ///< the head's end was looked for up to here
  // The request whose head has been read and whose body is awaited.
  std::optional<Request> current_;
  std::size_t body_length_ = 0;
  bool continue_sent_ = false;
  std::optional<ReadError> failed_;
};

}  // namespace onemap::http
