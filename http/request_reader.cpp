// The HTTP/1.1 request reader (request_reader.hpp).
#include "http/request_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <utility>

namespace onemap::http {

namespace {

// tchar of RFC 9110 §5.6.2: the characters of methods and header names.
bool is_tchar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(),
                                   [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

// Calls f on each comma-separated element of a header value, trimmed (empty ones skipped).
template <class F>
void for_each_element(std::string_view v, F f) {
  while (true) {
    const auto comma = v.find(',');
    const std::string_view e = trim_ows(v.substr(0, comma));
    if (!e.empty()) f(e);
    if (comma == std::string_view::npos) return;
    v.remove_prefix(comma + 1);
  }
}

// Host of RFC 9110 §7.2: uri-host [ ":" port ], uri-host a reg-name, IPv4 or bracketed IP literal.
bool valid_host(std::string_view h) {
  std::string_view host = h, port;
  if (!h.empty() && h.front() == '[') {
    const auto close = h.find(']');
    if (close == std::string_view::npos) return false;
    const std::string_view literal = h.substr(1, close - 1);
    if (literal.empty() || !std::all_of(literal.begin(), literal.end(), [](char c) {
          return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
        }))
      return false;
    host = {};
    const std::string_view rest = h.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      port = rest.substr(1);
    }
  } else if (const auto colon = h.rfind(':'); colon != std::string_view::npos) {
    host = h.substr(0, colon);
    port = h.substr(colon + 1);
  }
  for (char ch : host) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
    const bool sub_delim = c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' ||
                           c == '*' || c == '+' || c == ',' || c == ';' || c == '=' || c == '%';
    if (!unreserved && !sub_delim) return false;
  }
  return port.size() <= 5 &&
         std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string_view Request::header(std::string_view lower_name) const {
  for (const auto& [n, v] : headers)
    if (n == lower_name) return v;
  return {};
}

bool Request::has_header(std::string_view lower_name) const {
  return std::any_of(headers.begin(), headers.end(),
                     [&](const Header& h) { return h.first == lower_name; });
}

RequestReader::RequestReader(ReaderLimits limits) : limits_(std::move(limits)) {}

void RequestReader::feed(std::string_view bytes) {
  if (failed_) return;
  // Drop what earlier requests used once it is worth the move.
  if (pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = scanned_ = 0;
  } else if (pos_ > 64 * 1024) {
    buffer_.erase(0, pos_);
    scanned_ = scanned_ > pos_ ? scanned_ - pos_ : 0;
    pos_ = 0;
  }
  buffer_.append(bytes);
}

bool RequestReader::mid_request() const {
  if (current_) return true;
  // Only blank lines between requests do not start one.
  return std::any_of(buffer_.begin() + static_cast<std::ptrdiff_t>(pos_), buffer_.end(),
                     [](char c) { return c != '\r' && c != '\n'; });
}

RequestReader::Status RequestReader::fail(ReadError& out, int status, std::string code,
                                          std::string message, std::string parameter) {
  failed_ = ReadError{status, std::move(code), std::move(message), std::move(parameter)};
  out = *failed_;
  current_.reset();
  return Status::Error;
}

RequestReader::Status RequestReader::next(Request& out, ReadError& error) {
  if (failed_) {
    error = *failed_;
    return Status::Error;
  }
  if (!current_) {
    while (pos_ < buffer_.size() && (buffer_[pos_] == '\r' || buffer_[pos_] == '\n')) ++pos_;
    if (pos_ == buffer_.size()) return Status::NeedMore;
    // The head ends at the first empty line.
    std::size_t end = std::string::npos, after = 0;
    // Resume where the last call stopped looking, so that a head arriving a byte at a time
    // costs linear time.
    const std::size_t from = std::max(pos_, scanned_ > 2 ? scanned_ - 2 : 0);
    for (std::size_t i = buffer_.find('\n', from); i != std::string::npos;
         i = buffer_.find('\n', i + 1)) {
      if (i + 1 < buffer_.size() && buffer_[i + 1] == '\n') {
        end = i + 1;
        after = i + 2;
        break;
      }
      if (i + 2 < buffer_.size() && buffer_[i + 1] == '\r' && buffer_[i + 2] == '\n') {
        end = i + 1;
        after = i + 3;
        break;
      }
      if (i - pos_ > limits_.max_head_bytes) break;
    }
    scanned_ = end == std::string::npos ? buffer_.size() : 0;
    if (end == std::string::npos || end - pos_ > limits_.max_head_bytes) {
      // Without its end, a head is too large only once more bytes are buffered than the limit
      // plus the CR of the empty line: a head of the limit's size may still end with the next
      // byte, and must not be refused because its last bytes arrived apart.
      if (buffer_.size() - pos_ > limits_.max_head_bytes + 1 || end != std::string::npos)
        return fail(error, 431, "header_too_large",
                    "request line and headers larger than " +
                        std::to_string(limits_.max_head_bytes) + " bytes");
      return Status::NeedMore;
    }
    const Status s = parse_head(std::string_view(buffer_).substr(pos_, end - pos_), error);
    if (s == Status::Error) return s;
    pos_ = after;
    continue_sent_ = false;
  }
  if (buffered() >= body_length_) {
    current_->body.assign(buffer_, pos_, body_length_);
    pos_ += body_length_;
    out = std::move(*current_);
    current_.reset();
    body_length_ = 0;
    return Status::Ready;
  }
  if (!continue_sent_ && iequals(current_->header("expect"), "100-continue")) {
    continue_sent_ = true;
    return Status::Continue;
  }
  return Status::NeedMore;
}

RequestReader::Status RequestReader::parse_head(std::string_view head, ReadError& error) {
  // Lines, each without its CRLF or LF; a CR anywhere else is refused.
  std::vector<std::string_view> lines;
  while (!head.empty()) {
    const auto nl = head.find('\n');
    std::string_view line = head.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find('\r') != std::string_view::npos)
      return fail(error, 400, "invalid_request", "a bare CR in the request head");
    lines.push_back(line);
    if (nl == std::string_view::npos) break;
    head.remove_prefix(nl + 1);
  }
  Request r;
  // request-line = method SP request-target SP HTTP-version
  const std::string_view line = lines.front();
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return fail(error, 400, "invalid_request", "the request line must be 'METHOD TARGET HTTP/1.1'");
  const std::string_view method = line.substr(0, sp1);
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!is_token(method) || method.size() > 32)
    return fail(error, 400, "invalid_request",
                "the request line must start with a method, e.g. GET");
  if (version.size() != 8 || version.substr(0, 5) != "HTTP/" || version[6] != '.' ||
      version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
    return fail(error, 400, "invalid_request",
                "the request line must end with HTTP/1.1 or HTTP/1.0");
  if (version[5] != '1')
    return fail(error, 505, "version_not_supported", "only HTTP/1.0 and HTTP/1.1 are served");
  r.version_minor = version[7] == '0' ? 0 : 1;
  if (target.size() > limits_.max_target_bytes)
    return fail(
        error, 414, "uri_too_long",
        "request target longer than " + std::to_string(limits_.max_target_bytes) + " bytes");
  if (target.empty() || !std::all_of(target.begin(), target.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f;
      }))
    return fail(error, 400, "invalid_request",
                "the request target must be visible ASCII (percent-encode the rest)");
  r.target = std::string(target);
  // absolute-form (RFC 9112 §3.2.2): only the path and query matter here.
  if (target.substr(0, 7) == "http://" || target.substr(0, 8) == "https://") {
    const auto slash = target.find('/', target.find("//") + 2);
    target = slash == std::string_view::npos ? std::string_view("/") : target.substr(slash);
  } else if (target != "*" && target.front() != '/') {
    return fail(error, 400, "invalid_request",
                "the request target must be a path starting with '/'");
  }
  const auto q = target.find('?');
  r.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) r.query_string = std::string(target.substr(q + 1));
  r.method = std::string(method);

  if (lines.size() - 1 > limits_.max_headers)
    return fail(error, 431, "header_too_large",
                "more than " + std::to_string(limits_.max_headers) + " header lines");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const std::string_view h = lines[i];
    if (h.empty()) continue;
    if (h.front() == ' ' || h.front() == '\t')
      return fail(error, 400, "invalid_request",
                  "folded header lines are not accepted (RFC 9112 §5.2)");
    const auto colon = h.find(':');
    if (colon == std::string_view::npos || !is_token(h.substr(0, colon))) {
      const std::string name(h.substr(0, std::min<std::size_t>(colon, 64)));
      return fail(error, 400, "invalid_header",
                  "a header line must be 'Name: value', with no blank before the colon",
                  is_token(name) ? name : "");
    }
    std::string name = ascii_lower(h.substr(0, colon));
    const std::string_view value = trim_ows(h.substr(colon + 1));
    for (char ch : value) {
      const auto c = static_cast<unsigned char>(ch);
      if ((c < 0x20 && c != '\t') || c == 0x7f)
        return fail(error, 400, "invalid_header", "control character in the header's value",
                    std::string(h.substr(0, colon)));
    }
    r.headers.emplace_back(std::move(name), std::string(value));
  }

  // Framing: Content-Length only, one value however often repeated.
  std::optional<uint64_t> length;
  int hosts = 0;
  bool close_token = false, keep_alive_token = false;
  for (const auto& [name, value] : r.headers) {
    if (name == "transfer-encoding")
      return fail(error, 501, "not_implemented",
                  "Transfer-Encoding is not accepted: send the body with Content-Length",
                  "Transfer-Encoding");
    if (name == "content-length") {
      bool bad = value.empty();
      for_each_element(value, [&](std::string_view v) {
        uint64_t n = 0;
        const bool digits =
            std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
        const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (!digits || ec != std::errc() || p != v.data() + v.size() || (length && *length != n))
          bad = true;
        else
          length = n;
      });
      if (bad)
        return fail(error, 400, "invalid_header",
                    "must be one non-negative integer of bytes, given once", "Content-Length");
    } else if (name == "host") {
      ++hosts;
      if (!valid_host(value))
        return fail(error, 400, "invalid_header",
                    "must be a host name or address with an optional port", "Host");
    } else if (name == "connection") {
      for_each_element(value, [&](std::string_view v) {
        close_token = close_token || iequals(v, "close");
        keep_alive_token = keep_alive_token || iequals(v, "keep-alive");
      });
    }
  }
  if (hosts > 1) return fail(error, 400, "invalid_header", "given more than once", "Host");
  if (hosts == 0 && r.version_minor == 1)
    return fail(error, 400, "invalid_header", "an HTTP/1.1 request needs one", "Host");
  r.keep_alive = !close_token && (r.version_minor == 1 || keep_alive_token);

  const std::size_t limit =
      limits_.body_limit ? limits_.body_limit(r.method, r.path) : limits_.max_body_bytes;
  if (length && *length > limit)
    return fail(error, 413, "payload_too_large",
                "a body of " + std::to_string(*length) + " bytes is larger than the " +
                    std::to_string(limit) + " bytes this path accepts");
  body_length_ = length ? static_cast<std::size_t>(*length) : 0;
  current_ = std::move(r);
  return Status::Ready;
}

}  // namespace onemap::http
