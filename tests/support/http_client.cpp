// Requests and responses as values, and the TCP client (http_client.hpp).
#include "tests/support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>

namespace onemap::testing {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int remaining_ms(std::chrono::steady_clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return static_cast<int>(std::max<long>(0, left.count()));
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  const auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

nlohmann::json HttpResponse::json() const {
  return nlohmann::json::parse(body);
}

std::string bearer(const std::string& token) {
  return "Authorization: Bearer " + token;
}

std::string percent_encode(std::string_view s, bool form) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_') {
      out += static_cast<char>(c);
    } else if (form && c == ' ') {
      out += '+';
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

std::string form_body(const std::vector<std::pair<std::string, std::string>>& fields) {
  std::string out;
  for (const auto& [k, v] : fields)
    out += (out.empty() ? "" : "&") + k + "=" + percent_encode(v, true);
  return out;
}

HttpResponse Client::get(const std::string& target, const std::string& token,
                         std::vector<std::string> headers) {
  if (!token.empty()) headers.push_back(bearer(token));
  return exchange({"GET", target, std::move(headers), ""});
}

HttpResponse Client::send(const std::string& method, const std::string& target,
                          const std::string& body, const std::string& token,
                          const std::string& content_type, std::vector<std::string> headers) {
  if (!content_type.empty()) headers.push_back("Content-Type: " + content_type);
  if (!token.empty()) headers.push_back(bearer(token));
  return exchange({method, target, std::move(headers), body});
}

HttpConnection::HttpConnection(uint16_t port, std::chrono::milliseconds timeout)
    : port_(port), timeout_(timeout) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const std::string msg = std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    throw std::runtime_error("connect to port " + std::to_string(port) + ": " + msg);
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

HttpConnection::~HttpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

HttpResponse HttpConnection::exchange(const HttpRequest& request) {
  std::vector<std::string> headers = request.headers;
  if (!request.body.empty() || (request.method != "GET" && request.method != "HEAD"))
    headers.push_back("Content-Length: " + std::to_string(request.body.size()));
  send_request(request.method, request.target, headers);
  send_raw(request.body);
  return read_response(request.method == "HEAD", timeout_);
}

void HttpConnection::send_raw(const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("send: ") + std::strerror(errno));
    }
    sent += static_cast<std::size_t>(n);
  }
}

void HttpConnection::send_request(const std::string& method, const std::string& target,
                                  const std::vector<std::string>& extra_headers,
                                  const std::string& version) {
  std::string req = method + " " + target + " " + version +
                    "\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  for (const auto& h : extra_headers) req += h + "\r\n";
  req += "\r\n";
  send_raw(req);
}

bool HttpConnection::fill(std::chrono::steady_clock::time_point deadline) {
  pollfd p{fd_, POLLIN, 0};
  const int r = ::poll(&p, 1, remaining_ms(deadline));
  if (r == 0) throw std::runtime_error("timed out waiting for the server");
  if (r < 0) throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
  char buf[16384];
  const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n < 0) {
    if (errno == ECONNRESET) return false;
    throw std::runtime_error(std::string("recv: ") + std::strerror(errno));
  }
  if (n == 0) return false;
  buffer_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::string HttpConnection::read_until(const std::string& marker,
                                       std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (buffer_.find(marker) == std::string::npos)
    if (!fill(deadline)) throw std::runtime_error("the server closed the stream");
  return buffer_;
}

HttpResponse HttpConnection::read_response(bool head, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t end;
  while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (!fill(deadline))
      throw std::runtime_error("connection closed before a complete response header");
  }
  HttpResponse r;
  std::istringstream head_text(buffer_.substr(0, end));
  std::string status_line;
  std::getline(head_text, status_line);
  if (!status_line.empty() && status_line.back() == '\r') status_line.pop_back();
  if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12)
    throw std::runtime_error("bad status line: " + status_line);
  r.status = std::stoi(status_line.substr(9, 3));
  std::string line;
  while (std::getline(head_text, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (colon == std::string::npos) throw std::runtime_error("bad header line: " + line);
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    r.headers[lower(line.substr(0, colon))] = value;
  }
  buffer_.erase(0, end + 4);
  std::size_t length = 0;
  // 204 and 304 never have a body (RFC 9112 §6.3); every other answer must say its length.
  if (!head && r.status != 204 && r.status != 304) {
    const std::string cl = r.header("content-length");
    if (cl.empty()) throw std::runtime_error("response without Content-Length");
    length = static_cast<std::size_t>(std::stoul(cl));
  }
  while (buffer_.size() < length) {
    if (!fill(deadline)) throw std::runtime_error("connection closed inside a response body");
  }
  r.body = buffer_.substr(0, length);
  buffer_.erase(0, length);
  return r;
}

bool HttpConnection::closed_by_server(std::chrono::milliseconds timeout) {
  if (!buffer_.empty()) return false;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  try {
    return !fill(deadline) && buffer_.empty();
  } catch (const std::runtime_error&) {
    return false;  // timed out: still open
  }
}

}  // namespace onemap::testing
