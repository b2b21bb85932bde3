// Requests and responses as values, and the one HTTP client of the tests.
//
// A Client sends an HttpRequest and returns an HttpResponse; two kinds exist: ApiHarness
// (api_harness.hpp), the real route table in process, and HttpConnection, one TCP connection to a
// spawned `onemap serve` (server_process.hpp) for what only the transport shows (framing,
// keep-alive, timeouts, the request log) and for clients that need a socket (GDAL).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onemap::testing {

/// The administrator's token of the tests (ApiHarness's default; admin_token_file() for a
/// spawned server).
inline constexpr const char* kAdminToken = "s3cret-admin-token-of-the-tests";

/// One request as a value.
struct HttpRequest {
  std::string method = "GET";
  std::string target;                ///< path and query as sent, e.g. "/collections?f=json"
  std::vector<std::string> headers;  ///< "Name: value" lines (Host and Content-Length are added)
  std::string body;
};

/// One response.
struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  ///< names lower-cased
  std::string body;
  /// The header's value, or "" when absent (name is case-insensitive).
  std::string header(const std::string& name) const;
  /// The body as JSON. @throws nlohmann::json::parse_error when it is none.
  nlohmann::json json() const;
};

/// "Authorization: Bearer TOKEN".
std::string bearer(const std::string& token);

/// `s` percent-encoded for a query: letters, digits and "-._" as they are, a space as "+" when
/// `form`, every other byte as %XX.
std::string percent_encode(std::string_view s, bool form = false);
/// An application/x-www-form-urlencoded body of `fields`, in order.
std::string form_body(const std::vector<std::pair<std::string, std::string>>& fields);

/// Sends requests; the helpers build the usual ones.
class Client {
 public:
  virtual ~Client() = default;
  /// Sends `request` and returns its answer.
  virtual HttpResponse exchange(const HttpRequest& request) = 0;

  /// GET `target`, signed in with `token` when it is not empty.
  HttpResponse get(const std::string& target, const std::string& token = "",
                   std::vector<std::string> headers = {});
  /// `method` with `body` as `content_type` (none when empty), signed in with `token` when it is
  /// not empty.
  HttpResponse send(const std::string& method, const std::string& target, const std::string& body,
                    const std::string& token = "",
                    const std::string& content_type = "application/json",
                    std::vector<std::string> headers = {});
};

/// One TCP connection to 127.0.0.1:port. Reads responses framed by Content-Length.
class HttpConnection : public Client {
 public:
  /// Connects; `timeout` bounds each read_response() of exchange().
  explicit HttpConnection(uint16_t port,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpConnection() override;
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  /// Sends the request on this connection (Content-Length with a body or a method other than
  /// GET and HEAD) and reads its answer. @throws std::runtime_error as read_response() does.
  HttpResponse exchange(const HttpRequest& request) override;

  /// Sends raw bytes (a whole request, or part of one).
  void send_raw(const std::string& bytes);
  /// Sends "METHOD target HTTP/1.1" with Host and the extra header lines ("Name: value").
  void send_request(const std::string& method, const std::string& target,
                    const std::vector<std::string>& extra_headers = {},
                    const std::string& version = "HTTP/1.1");
  /// Reads one response; `head` means no body follows whatever Content-Length says; a response
  /// without Content-Length (other than 204 and 304) is an error.
  /// @throws std::runtime_error on timeout or when the server closes first.
  HttpResponse read_response(bool head = false,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// Reads a stream (server-sent events) until what it received contains `marker`; returns all
  /// it received so far (the head included), and keeps it for the next call.
  /// @throws std::runtime_error on timeout or when the server closes first.
  std::string read_until(const std::string& marker,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));
  /// True when the server closes the connection (end of stream) within `timeout` and sends
  /// nothing more before that.
  bool closed_by_server(std::chrono::milliseconds timeout);

 private:
  bool fill(std::chrono::steady_clock::time_point deadline);  ///< false on end of stream
  int fd_ = -1;
  uint16_t port_ = 0;
  std::chrono::milliseconds timeout_;
  std::string buffer_;
};

}  // namespace onemap::testing
