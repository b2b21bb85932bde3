// An HTTP request and response as onemap's handlers see them: plain values, no socket, so that
// every handler and the router can be tested in process.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onemap::http {

using Header = std::pair<std::string, std::string>;

/// One complete request as read from a connection (http/request_reader.hpp).
struct Request {
  std::string method;           ///< as sent: "GET", "POST", … (case-sensitive, RFC 9110 §9.1)
  std::string target;           ///< the request target as sent, e.g. "/collections?f=json"
  std::string path;             ///< the target up to '?', still percent-encoded
  std::string query_string;     ///< after '?' ("" when none), still percent-encoded
  int version_minor = 1;        ///< HTTP/1.0 or HTTP/1.1
  std::vector<Header> headers;  ///< names lower-cased, values without surrounding blanks
  std::string body;
  bool keep_alive = true;  ///< whether the connection persists after the answer (RFC 9112 §9.3)
  std::string peer;        ///< the client's address
  std::chrono::steady_clock::time_point received{};  ///< when its last byte arrived

  /// The first header with this (lower-case) name, or "" when absent.
  std::string_view header(std::string_view lower_name) const;
  bool has_header(std::string_view lower_name) const;
};

/// Where a streamed answer's body goes (Response::stream), written from any thread after the
/// head was sent, for as long as the client stays. Thread-safe.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  /// Sends `bytes` after what was written before; false once the client is gone or too slow to
  /// read what it was sent (the stream is over then: nothing more is sent).
  virtual bool write(std::string_view bytes) = 0;
  /// Ends the stream: the connection closes after what was written.
  virtual void close() = 0;
};

/// An answer before it is written out; Date, Server, Content-Length and Connection are added by
/// the transport.
struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<Header> headers;  ///< besides the standard ones
  /// A streamed answer (server-sent events): the head is sent without Content-Length and with
  /// "Connection: close", and then `stream` gets the sink of the body, which it keeps for as
  /// long as it writes; the worker that answered is free at once. `body` is not sent.
  std::function<void(std::shared_ptr<StreamSink>)> stream;

  /// Sets a header, replacing one of the same name (case-insensitive).
  void set_header(std::string name, std::string value);
  /// The value of a header set on the response, or "".
  std::string_view header(std::string_view name) const;
  /// Adds `field` to Vary unless it lists it already (case-insensitive).
  void add_vary(std::string_view field);
};

/// The reason phrase of a status ("Not Found"); "Unknown" for a code without one.
const char* reason_phrase(int status);

/// Whether two header names are equal ignoring ASCII case.
bool iequals(std::string_view a, std::string_view b);

/// `s` with its ASCII letters in lower case (header values, media types).
std::string ascii_lower(std::string_view s);
/// `s` without the spaces and tabs around it (a header value's optional white space).
std::string_view trim_ows(std::string_view s);

}  // namespace onemap::http
