// The onemap HTTP server (see server.hpp): request parsing on Pistache's event loop, routing,
// JSON rendering, connection persistence, the request log and the exception → HTTP mapping.
//
// Why responses bypass Pistache's ResponseWriter: Pistache 0.0.5 answers a request without a
// Connection header with "Connection: Close" (HTTP/1.1 says the connection persists), never closes
// the connection when a client asks for "Connection: close", and queues every response for a
// later turn of the event loop (three epoll round trips per response). The handler below decides
// persistence itself (RFC 9112 §9.3), writes the whole response with one non-blocking send() from
// the event-loop thread, and only queues the remainder through Pistache when the socket buffer is
// full; a connection to be closed is shut down once its last byte is written, and Pistache then
// sees the end of stream and releases it.
#include "api/server.hpp"

#include "api/records.hpp"
#include "api/open311.hpp"
#include "api/percent.hpp"

#include "layers/store.hpp"
#include "spatial/chinacrs.hpp"
#include "spatial/errors.hpp"
#include "spatial/geometry.hpp"

#include <pistache/endpoint.h>
#include <pistache/http.h>
#include <pistache/peer.h>
#include <nlohmann/json.hpp>

#include <openssl/crypto.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#ifndef ONEMAP_VERSION
#define ONEMAP_VERSION "unknown"
#endif

namespace onemap::api {

namespace Http = Pistache::Http;
namespace Tcp = Pistache::Tcp;
using json = nlohmann::ordered_json;  // keys in the order written

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// ---------------------------------------------------------------------------------------------
// Rendering of the loaded county

std::string level_key(layers::GridLevel l) {
  return std::string(layers::level_name(l));
}

/// [minx, miny, maxx, maxy] of a layer, or null when it holds no (finite) geometry.
json extent_json(const layers::Dataset& d, layers::LayerKind k) {
  const spatial::Box b = layers::layer_extent(d, k);
  const double minx = b.min_corner().x(), miny = b.min_corner().y();
  const double maxx = b.max_corner().x(), maxy = b.max_corner().y();
  if (!(minx <= maxx && miny <= maxy)) return nullptr;
  return json::array({minx, miny, maxx, maxy});
}

}  // namespace

int default_threads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores > 1 ? static_cast<int>(cores - 1) : 1;
}

namespace {

std::string render_health(const ServerState& s) {
  auto lock = s.county->read();
  const layers::Dataset& data = s.county->data();
  json layer_counts = json::object();
  for (auto k : layers::kAllLayers)
    layer_counts[std::string(layers::layer_name(k))] = data.count(k);
  std::size_t per_level[5] = {0, 0, 0, 0, 0};
  for (const auto& g : data.grids) {
    const auto i = static_cast<std::size_t>(g.level);
    if (i < 5) ++per_level[i];
  }
  json by_level = json::object();
  for (auto l : {layers::GridLevel::County, layers::GridLevel::Town, layers::GridLevel::Village,
                 layers::GridLevel::Grid, layers::GridLevel::MicroGrid})
    by_level[level_key(l)] = per_level[static_cast<std::size_t>(l)];
  json h = {
      {"status", "ok"},
      {"version", ONEMAP_VERSION},
      {"layers", layer_counts},
      {"grids_by_level", by_level},
      {"load_seconds", std::round(s.county->load_seconds() * 1000.0) / 1000.0},
      {"data", s.data_path},
      {"join", {{"max_distance_m", s.county->join_options().max_distance_m}}},
  };
  return h.dump();
}

std::string render_layers(const ServerState& s) {
  auto lock = s.county->read();
  const layers::Dataset& data = s.county->data();
  json out = json::array();
  for (auto k : layers::kAllLayers) {
    json fields = json::array();
    for (const auto& f : layers::layer_fields(k)) {
      if (f.personal) continue;  // personal information is never listed publicly
      fields.push_back({{"name", f.name}, {"type", f.type}});
    }
    out.push_back({
        {"name", std::string(layers::layer_name(k))},
        {"geometry_type", std::string(layers::geometry_type(k))},
        {"count", data.count(k)},
        {"extent", extent_json(data, k)},
        {"crs", "EPSG:4490"},
        {"fields", fields},
    });
  }
  return out.dump();
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 431:
      return "Request Header Fields Too Large";
    case 413:
      return "Payload Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 505:
      return "HTTP Version Not Supported";
    default: {
      const char* s = Http::codeString(static_cast<Http::Code>(status));
      return (s && *s) ? s : "Unknown";
    }
  }
}

/// RFC 9110 IMF-fixdate of the current second, cached per thread.
const std::string& http_date() {
  thread_local std::time_t cached_at = 0;
  thread_local std::string cached;
  const std::time_t now = std::time(nullptr);
  if (now != cached_at) {
    static const char* const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&now, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday],
                  tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                  tm.tm_sec);
    cached = buf;
    cached_at = now;
  }
  return cached;
}

/// Appends `s` as the inside of a JSON string literal.
void append_json_escaped(std::string& out, std::string_view s) {
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
}

/// Appends the decimal digits of `v`.
void append_uint(std::string& out, uint64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

/// "2026-11-26T01:40:00.123Z" (UTC); the part up to the seconds is cached per thread.
void append_timestamp(std::string& out) {
  thread_local int64_t cached_second = -1;
  thread_local char prefix[32];
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  const int64_t second = ms / 1000;
  if (second != cached_second) {
    const std::time_t secs = static_cast<std::time_t>(second);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    std::snprintf(prefix, sizeof prefix, "%04d-%02d-%02dT%02d:%02d:%02d.",
                  (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100, tm.tm_mday % 100,
                  tm.tm_hour % 100, tm.tm_min % 100, tm.tm_sec % 100);
    cached_second = second;
  }
  out += prefix;
  const int frac = static_cast<int>(ms % 1000);
  out += static_cast<char>('0' + frac / 100);
  out += static_cast<char>('0' + frac / 10 % 10);
  out += static_cast<char>('0' + frac % 10);
  out += 'Z';
}

/// One line to stderr with a single write(2), so that lines of different threads never mix.
void write_stderr_line(const std::string& line) {
  const char* p = line.data();
  std::size_t left = line.size();
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

/// The request log: event-loop threads append lines, one background thread writes them to
/// stderr in batches (every kFlushInterval, or sooner when kWakeBytes are waiting), so that a
/// slow or blocked stderr never stalls request handling and a busy server does not pay a thread
/// wake-up per request. When more than kMaxPending bytes wait, further lines are dropped and the
/// drop is reported.
class RequestLog {
 public:
  RequestLog() : thread_([this] { run(); }) {}
  ~RequestLog() { stop(); }
  RequestLog(const RequestLog&) = delete;
  RequestLog& operator=(const RequestLog&) = delete;

  void append(const std::string& line) {
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

  /// Writes what is pending and stops the writer; idempotent.
  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopped_ = true;
    }
    ready_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  static constexpr std::size_t kMaxPending = 8u << 20;
  static constexpr std::size_t kWakeBytes = 64u << 10;
  static constexpr std::chrono::milliseconds kFlushInterval{50};

  void run() {
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
      write_stderr_line(batch);
      batch.clear();
      if (dropped > 0) {
        std::string note = "{\"ts\":\"";
        append_timestamp(note);
        note +=
            "\",\"level\":\"warning\",\"msg\":\"request log behind: " + std::to_string(dropped) +
            " lines dropped\"}\n";
        write_stderr_line(note);
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::string pending_;
  std::size_t dropped_ = 0;
  bool stopped_ = false;
  std::thread thread_;  // last: started once the members above exist
};

/// A response before it is serialised.
struct Reply {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  ///< besides the standard ones
  std::string content_type = "application/json";
};

Reply error_reply(const ApiError& e) {
  Reply r;
  r.status = e.status;
  r.body = error_body(e);
  return r;
}

/// One endpoint: its handler and the query parameters it accepts.
struct Route {
  std::vector<std::string> parameters;
  std::function<Reply(const Http::Request&)> handler;
  std::vector<Http::Method> methods = {Http::Method::Get, Http::Method::Head};
};

/// Per-connection write state, kept in the Pistache peer and touched only on its event-loop
/// thread (the handler and the completion of queued writes both run there).
struct ConnState {
  int queued = 0;  ///< writes handed to Pistache and not yet completed
  bool close_when_drained = false;
  bool closing = false;  ///< a response said "Connection: close": ignore further input
  std::size_t head_bytes = 0;  ///< bytes received of the current request while its headers are incomplete
};
// Request line and headers are limited apart from the body: Pistache parses an incomplete header
// section again from its start on every read, so a long one costs quadratic time.
constexpr std::size_t kMaxHeadBytes = 64 * 1024;
constexpr const char* kConnStateKey = "onemap.conn";

std::shared_ptr<ConnState> conn_state(const std::shared_ptr<Tcp::Peer>& peer) {
  if (auto d = peer->tryGetData(kConnStateKey)) return std::static_pointer_cast<ConnState>(d);
  auto s = std::make_shared<ConnState>();
  peer->putData(kConnStateKey, s);
  return s;
}

/// Writes `bytes` to the peer in order behind anything still queued; closes the connection
/// (shutdown, then Pistache releases it on end of stream) after the last byte when asked.
void transmit(const std::shared_ptr<Tcp::Peer>& peer, const std::string& bytes, bool close_after) {
  peer->setIdle(true);  // the keep-alive timeout, not the header timeout, applies from now
  auto st = conn_state(peer);
  if (close_after) st->closing = true;
  const int fd = peer->fd();
  std::size_t sent = 0;
  if (st->queued == 0) {
    while (sent < bytes.size()) {
      const ssize_t n =
          ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      return;  // the peer is gone (EPIPE, ECONNRESET): the event loop notices and releases it
    }
    if (sent == bytes.size()) {
      if (close_after) ::shutdown(fd, SHUT_RDWR);
      return;
    }
  }
  // The socket buffer is full (or earlier writes are still queued): queue the rest in order.
  ++st->queued;
  if (close_after) st->close_when_drained = true;
  std::weak_ptr<Tcp::Peer> weak = peer;
  const std::size_t rest = bytes.size() - sent;
  peer->send(Pistache::RawBuffer(bytes.substr(sent), rest))
      .then(
          [weak, st](ssize_t) {
            if (--st->queued == 0 && st->close_when_drained) {
              if (auto p = weak.lock()) ::shutdown(p->fd(), SHUT_RDWR);
            }
          },
          [st](std::exception_ptr&) { --st->queued; });
}

/// Whether the connection persists after this request (RFC 9112 §9.3).
bool wants_keep_alive(const Http::Request& req) {
  if (auto c = req.headers().tryGet<Http::Header::Connection>()) {
    if (c->control() == Http::ConnectionControl::Close) return false;
    if (c->control() == Http::ConnectionControl::KeepAlive) return true;
  }
  return req.version() == Http::Version::Http11;
}

std::string query_string(const Http::Request& req) {
  std::string q;
  const auto& query = req.query();
  for (auto it = query.parameters_begin(); it != query.parameters_end(); ++it) {
    if (!q.empty()) q += '&';
    q += it->first;
    q += '=';
    q += it->second;
  }
  return q;
}

// RFC 3986 percent-decoding of a query component ('+' stays a plus: clients encode a space
// as %20 in URIs, and times carry a literal '+' offset only when encoded as %2B).
std::string percent_decode(const std::string& name, const std::string& s) {
  return api::percent_decode(s, false, name);
}

// The request's query parameters, percent-decoded (Pistache hands them over as sent), sorted
// by name.
std::vector<std::pair<std::string, std::string>> decoded_query(const Http::Request& req) {
  std::vector<std::pair<std::string, std::string>> out;
  const auto& q = req.query();
  for (auto p = q.parameters_begin(); p != q.parameters_end(); ++p) {
    std::string name = percent_decode("query", p->first);
    std::string value = percent_decode(name, p->second);
    out.emplace_back(std::move(name), std::move(value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

/// Everything the handler threads share (read-only after construction).
struct Shared {
  ServerOptions options;
  std::shared_ptr<RequestLog> log;  ///< null when requests are not logged
  std::shared_ptr<const ServerState> state;
  std::map<std::string, Route, std::less<>> routes;
  std::string server_header;
  std::shared_ptr<TileService> tiles;
  std::shared_ptr<FeatureService> features;
  std::shared_ptr<WebApp> web;  ///< null without ServerOptions::web.dir
};

class Handler : public Http::Handler {
 public:
  HTTP_PROTOTYPE(Handler)

  explicit Handler(std::shared_ptr<const Shared> shared) : shared_(std::move(shared)) {}

  // Replaces Pistache's onInput: the same parser, but persistence decided here and every
  // error (including the parser's) answered as JSON.
  void onInput(const char* buffer, size_t len, const std::shared_ptr<Tcp::Peer>& peer) override {
    const auto t0 = std::chrono::steady_clock::now();
    if (auto d = peer->tryGetData(kConnStateKey);
        d && std::static_pointer_cast<ConnState>(d)->closing)
      return;  // the connection is being closed: a client ignoring "Connection: close"
    auto parser = Http::Handler::getParser(peer);
    try {
      if (!parser->feed(buffer, len)) {
        parser->reset();
        ApiError e{
            413,
            "request larger than " + std::to_string(shared_->options.max_request_bytes) + " bytes",
            ""};
        respond_without_request(peer, e, t0);
        return;
      }
      if (parser->parse() != Http::Private::State::Done) {
        // Wait for more bytes, unless the headers are still incomplete after too many.
        auto st = conn_state(peer);
        if (dynamic_cast<Http::Private::BodyStep*>(parser->step()) == nullptr) {
          st->head_bytes += len;
          if (st->head_bytes > kMaxHeadBytes) {
            st->head_bytes = 0;
            parser->reset();
            respond_without_request(peer, ApiError{431, "request line and headers larger than " +
                                                            std::to_string(kMaxHeadBytes) + " bytes", ""},
                                    t0);
          }
        }
        return;
      }
      conn_state(peer)->head_bytes = 0;
      Http::Request request = std::move(parser->request);
      parser->reset();
      request.copyAddress(peer->address());
      handle(request, peer, t0);
    } catch (const Http::HttpError& err) {
      parser->reset();
      respond_without_request(peer, ApiError{err.code(), err.reason(), ""}, t0);
    } catch (const std::exception& err) {
      parser->reset();
      respond_without_request(peer, api_error_from(err), t0);
    }
  }

  // Not reached (onInput above handles every request); kept for Pistache's interface.
  void onRequest(const Http::Request& request, Http::ResponseWriter response) override {
    handle(request, response.peer(), std::chrono::steady_clock::now());
  }

 private:
  void handle(const Http::Request& req, const std::shared_ptr<Tcp::Peer>& peer,
              std::chrono::steady_clock::time_point t0) {
    const bool keep_alive = wants_keep_alive(req);
    const bool head = req.method() == Http::Method::Head;
    Reply reply;
    try {
      reply = dispatch(req);
    } catch (const std::exception& e) {
      reply = error_reply(api_error_from(e));
    }
    // Tile clients are mostly pages on other origins: they must be able to read errors too.
    const std::string& cors = shared_->options.tiles.cors_origin;
    if (!cors.empty() && req.resource().rfind("/tiles/", 0) == 0 &&
        std::none_of(reply.headers.begin(), reply.headers.end(),
                     [](const auto& h) { return h.first == "Access-Control-Allow-Origin"; }))
      reply.headers.emplace_back("Access-Control-Allow-Origin", cors);
    const std::size_t body_bytes = head ? 0 : reply.body.size();
    std::string wire = serialise(reply, keep_alive, head);
    // Logged before it is sent: once a client holds an answer, its log line is queued (and
    // written even if the server is stopped right after).
    if (shared_->log)
      log_request(Http::methodString(req.method()), req.resource(), query_string(req), reply.status,
                  body_bytes, t0, req.address().host());
    transmit(peer, wire, !keep_alive);
  }

  Reply dispatch(const Http::Request& req) const {
    const std::string& path = req.resource();
    if (shared_->web && (path == "/" || path.rfind("/app", 0) == 0))
      if (auto a = web_app(req)) return reply_of(std::move(*a));
    if (path.rfind("/tiles/", 0) == 0) return tiles(req);
    if (is_record_path(path)) return records(req);
    if (is_open311_path(path)) return open311(req);
    if (FeatureService::handles(path)) return features(req);
    const auto it = shared_->routes.find(path);
    if (it == shared_->routes.end()) {
      std::string known;
      for (const auto& r : shared_->routes) known += (known.empty() ? "" : ", ") + r.first;
      throw NotFound("no resource at " + path + " (endpoints: " + known +
                     ", /tiles/…, /incidents, /households, /enterprises, /grids/{id}, /, /conformance, /api, /collections)");
    }
    const Route& route = it->second;
    if (std::find(route.methods.begin(), route.methods.end(), req.method()) == route.methods.end())
      return method_not_allowed(req, route.methods);
    check_parameters(req, route.parameters);
    return route.handler(req);
  }

  static Reply method_not_allowed(const Http::Request& req, const std::vector<Http::Method>& allowed) {
    std::string list;
    for (auto m : allowed) list += (list.empty() ? "" : ", ") + std::string(Http::methodString(m));
    Reply r = error_reply(ApiError{405,
                                   std::string("method ") + Http::methodString(req.method()) +
                                       " is not allowed on " + req.resource() + " (allowed: " + list + ")",
                                   ""});
    r.headers.emplace_back("Allow", list);
    return r;
  }

  static void check_parameters(const Http::Request& req, const std::vector<std::string>& known) {
    const auto& query = req.query();
    for (auto p = query.parameters_begin(); p != query.parameters_end(); ++p)
      if (std::find(known.begin(), known.end(), p->first) == known.end())
        throw InvalidArgument(p->first, "unknown query parameter for " + req.resource());
  }

  // A request header's text ("" when absent), whether Pistache parsed it into a typed header
  // (then it is written back out) or kept it raw.
  static std::string header_text(const Http::Request& req, const char* name) {
    if (auto raw = req.headers().tryGetRaw(name)) return raw->value();
    if (std::string_view(name) == "Host") {  // Pistache's Host writes itself without the port
      if (auto h = req.headers().tryGet<Http::Header::Host>()) {
        const std::string port = h->port().toString();
        return h->host() + (port.empty() || port == "80" ? "" : ":" + port);
      }
    }
    if (auto h = req.headers().tryGet(name)) {
      std::ostringstream os;
      h->write(os);
      return os.str();
    }
    return {};
  }

  Reply tiles(const Http::Request& req) const {
    if (req.method() != Http::Method::Get && req.method() != Http::Method::Head)
      return method_not_allowed(req, {Http::Method::Get, Http::Method::Head});
    const auto query = decoded_query(req);
    auto header = [&](const char* name) { return header_text(req, name); };
    // Links in TileJSON point back at the host the client used.
    HttpAnswer a = shared_->tiles->handle(req.resource(), query, header("Accept-Encoding"),
                                          header("If-None-Match"), base_url(req));
    return reply_of(std::move(a));
  }

  // The web map: "/" for browsers (else the JSON landing page), everything under /app.
  std::optional<HttpAnswer> web_app(const Http::Request& req) const {
    const bool get = req.method() == Http::Method::Get || req.method() == Http::Method::Head;
    if (req.resource() == "/" && !get) return std::nullopt;
    if (!get) {
      Reply r = method_not_allowed(req, {Http::Method::Get, Http::Method::Head});
      return HttpAnswer{r.status, std::move(r.body), std::move(r.content_type), std::move(r.headers)};
    }
    return shared_->web->handle(req.resource(), decoded_query(req), header_text(req, "Accept"),
                                header_text(req, "Accept-Encoding"), header_text(req, "If-None-Match"));
  }

  // --- writes and the record endpoints ---

  // The user a request's bearer token (or an Open311 api_key) names: the server's write token is
  // the administrator; nullopt when the request carries no token.
  std::optional<layers::Actor> authenticate(const Http::Request& req, const std::string& api_key = "") const {
    std::string token = api_key;
    const std::string h = header_text(req, "Authorization");
    if (!h.empty()) {
      if (h.rfind("Bearer ", 0) != 0) throw Unauthorized("Authorization must be 'Bearer <token>'");
      token = h.substr(7);
    }
    if (token.empty()) return std::nullopt;
    const std::string& admin = shared_->options.write_token;
    if (!admin.empty() && token.size() == admin.size() && CRYPTO_memcmp(token.data(), admin.data(), admin.size()) == 0) {
      layers::Actor a;
      a.id = "admin";
      a.role = "admin";
      return a;
    }
    if (auto a = shared_->state->county->authenticate(token)) return a;
    throw Unauthorized("unknown or revoked token");
  }

  Reply open311(const Http::Request& req) const {
    Open311Request rq;
    const std::string method = Http::methodString(req.method());
    rq.method = method;
    rq.path = req.resource();
    rq.query = decoded_query(req);
    rq.body = req.body();
    rq.content_type = header_text(req, "Content-Type");
    rq.authenticate = [&](const std::string& key) { return authenticate(req, key); };
    Open311Answer a = handle_open311(*shared_->state->county, rq);
    Reply r;
    r.status = a.status;
    r.body = std::move(a.body);
    r.headers = std::move(a.headers);
    return r;
  }

  static Reply reply_of(HttpAnswer a) {
    Reply r;
    r.status = a.status;
    r.body = std::move(a.body);
    r.headers = std::move(a.headers);
    r.content_type = std::move(a.content_type);
    return r;
  }

  // The server's URL as the client used it, for links.
  std::string base_url(const Http::Request& req) const {
    std::string host = header_text(req, "Host");
    if (host.empty()) host = shared_->options.address + ":" + std::to_string(shared_->options.port);
    return "http://" + host;
  }

  Reply features(const Http::Request& req) const {
    const bool post = req.method() == Http::Method::Post && FeatureService::takes_post(req.resource());
    if (req.method() != Http::Method::Get && req.method() != Http::Method::Head && !post) {
      if (FeatureService::takes_post(req.resource()))
        return method_not_allowed(req, {Http::Method::Get, Http::Method::Head, Http::Method::Post});
      return method_not_allowed(req, {Http::Method::Get, Http::Method::Head});
    }
    const auto query = decoded_query(req);
    HttpAnswer a = shared_->features->handle(req.resource(), query, base_url(req), post ? "POST" : "GET", req.body());
    return reply_of(std::move(a));
  }

  Reply records(const Http::Request& req) const {
    RecordRequest rq;
    const std::string method = Http::methodString(req.method());
    rq.method = method;
    rq.path = req.resource();
    const auto& q = req.query();
    if (q.parameters_begin() != q.parameters_end()) rq.query_parameter = q.parameters_begin()->first;
    rq.body = req.body();
    rq.authenticate = [&] { return authenticate(req); };
    rq.if_match = header_text(req, "If-Match");
    RecordAnswer a = handle_record_request(*shared_->state->county, rq);
    if (a.status == 405) {
      std::string list;
      for (const auto& m : a.allow) list += (list.empty() ? "" : ", ") + m;
      Reply r = error_reply(ApiError{405, "method " + method + " is not allowed on " + req.resource() +
                                              " (allowed: " + list + ")", ""});
      r.headers.emplace_back("Allow", list);
      return r;
    }
    Reply r;
    r.status = a.status;
    r.body = std::move(a.body);
    r.headers = std::move(a.headers);
    return r;
  }

  std::string serialise(const Reply& r, bool keep_alive, bool head) const {
    std::string out;
    out.reserve(256 + r.body.size());
    out += "HTTP/1.1 ";
    out += std::to_string(r.status);
    out += ' ';
    out += reason_phrase(r.status);
    out += "\r\nDate: ";
    out += http_date();
    out += "\r\nServer: ";
    out += shared_->server_header;
    if (r.status != 204 && r.status != 304) {
      out += "\r\nContent-Type: ";
      out += r.content_type;
      out += "\r\nContent-Length: ";
      out += std::to_string(r.body.size());
    }
    out += keep_alive ? "\r\nConnection: keep-alive\r\n" : "\r\nConnection: close\r\n";
    for (const auto& [name, value] : r.headers) {
      out += name;
      out += ": ";
      out += value;
      out += "\r\n";
    }
    out += "\r\n";
    if (!head) out += r.body;
    return out;
  }

  /// Answers a request that could not be parsed (or was too large) and closes the connection.
  void respond_without_request(const std::shared_ptr<Tcp::Peer>& peer, const ApiError& e,
                               std::chrono::steady_clock::time_point t0) {
    const Reply reply = error_reply(e);
    if (shared_->log)
      log_request("-", "", "", reply.status, reply.body.size(), t0, peer->address().host());
    transmit(peer, serialise(reply, false, false), true);
  }

  void log_request(std::string_view method, std::string_view path, std::string_view query,
                   int status, std::size_t bytes, std::chrono::steady_clock::time_point t0,
                   const std::string& peer_host) const {
    std::string line;
    line.reserve(192 + path.size() + query.size());
    line += "{\"ts\":\"";
    append_timestamp(line);
    line += "\",\"method\":\"";
    append_json_escaped(line, method);
    line += "\",\"path\":\"";
    append_json_escaped(line, path);
    line += "\",\"query\":\"";
    append_json_escaped(line, query);
    line += "\",\"status\":";
    append_uint(line, static_cast<uint64_t>(status));
    line += ",\"bytes\":";
    append_uint(line, bytes);
    // milliseconds with three decimals, from whole microseconds
    const auto us = static_cast<uint64_t>(std::llround(seconds_since(t0) * 1e6));
    line += ",\"ms\":";
    append_uint(line, us / 1000);
    line += '.';
    const auto frac = us % 1000;
    line += static_cast<char>('0' + frac / 100);
    line += static_cast<char>('0' + frac / 10 % 10);
    line += static_cast<char>('0' + frac % 10);
    line += ",\"peer\":\"";
    append_json_escaped(line, peer_host);
    line += "\"}\n";
    shared_->log->append(line);
  }

  std::shared_ptr<const Shared> shared_;
};

std::shared_ptr<Shared> make_shared_routes(ServerOptions options,
                                           std::shared_ptr<const ServerState> state) {
  auto shared = std::make_shared<Shared>();
  shared->options = std::move(options);
  shared->state = std::move(state);
  shared->server_header = std::string("onemap/") + ONEMAP_VERSION;
  if (shared->options.log_requests) shared->log = std::make_shared<RequestLog>();
  auto state_ptr = shared->state;
  shared->routes["/health"] = Route{{}, [state_ptr](const Http::Request&) {
                                      return Reply{200, render_health(*state_ptr), {{"Cache-Control", "no-store"}}};
                                    }};
  shared->routes["/layers"] = Route{{}, [state_ptr](const Http::Request&) {
                                      return Reply{200, render_layers(*state_ptr), {}};
                                    }};
  shared->tiles = std::make_shared<TileService>(shared->state->county, shared->options.tiles);
  auto tiles = shared->tiles;
  shared->features = std::make_shared<FeatureService>(shared->state->county, shared->options.features);
  if (!shared->options.web.dir.empty()) shared->web = std::make_shared<WebApp>(shared->options.web);
  shared->routes["/metrics"] = Route{{}, [tiles](const Http::Request&) {
                                       Reply r{200, tiles->metrics(), {{"Cache-Control", "no-store"}}};
                                       r.content_type = "text/plain; version=0.0.4";
                                       return r;
                                     }};
  return shared;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

std::shared_ptr<const ServerState> load_state(const std::string& data_path,
                                              layers::JoinOptions join, layers::TileConfig tiles,
                                              layers::DispatchConfig dispatch) {
  auto state = std::make_shared<ServerState>();
  state->county = std::make_shared<layers::County>(layers::open_store(data_path, false), join,
                                                   std::move(tiles), std::move(dispatch));
  state->data_path = data_path;
  return state;
}

ApiError api_error_from(const std::exception& e) {
  if (const auto* ia = dynamic_cast<const InvalidArgument*>(&e))
    return ApiError{400, ia->detail(), ia->parameter()};
  if (dynamic_cast<const NotFound*>(&e)) return ApiError{404, e.what(), ""};
  if (dynamic_cast<const Unauthorized*>(&e)) return ApiError{401, e.what(), ""};
  if (dynamic_cast<const Forbidden*>(&e)) return ApiError{403, e.what(), ""};
  if (dynamic_cast<const Conflict*>(&e)) return ApiError{409, e.what(), ""};
  return ApiError{500, e.what(), ""};
}

std::string error_body(const ApiError& e) {
  json err = {{"code", e.status}, {"message", e.message}};
  if (!e.parameter.empty()) err["parameter"] = e.parameter;
  return json{{"error", err}}.dump(-1, ' ', false, json::error_handler_t::replace);
}

struct Server::Impl {
  std::shared_ptr<const Shared> shared;
  std::unique_ptr<Http::Endpoint> endpoint;
  uint16_t port = 0;
  bool running = false;
};

Server::Server(ServerOptions options, std::shared_ptr<const ServerState> state)
    : impl_(std::make_unique<Impl>()) {
  if (!state) throw InvalidArgument("state", "the server needs a loaded dataset");
  if (options.threads < 1) throw InvalidArgument("threads", "must be at least 1");
  impl_->shared = make_shared_routes(std::move(options), std::move(state));
}

Server::~Server() {
  shutdown();
}

void Server::start() {
  const ServerOptions& o = impl_->shared->options;
  try {
    impl_->endpoint =
        std::make_unique<Http::Endpoint>(Pistache::Address(o.address, Pistache::Port(o.port)));
    auto opts = Http::Endpoint::options()
                    .threads(o.threads)
                    .threadsName("onemap-http")
                    .flags(Tcp::Options::ReuseAddr | Tcp::Options::NoDelay)
                    .maxRequestSize(o.max_request_bytes)
                    .headerTimeout(o.header_timeout)
                    .bodyTimeout(o.header_timeout * 3)
                    .keepaliveTimeout(o.keepalive_timeout);
    impl_->endpoint->init(opts);
    impl_->endpoint->setHandler(Http::make_handler<Handler>(impl_->shared));
    impl_->endpoint->serveThreaded();
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    impl_->endpoint.reset();
    throw Error("cannot listen on " + o.address + ":" + std::to_string(o.port) + ": " + e.what());
  }
  impl_->port = static_cast<uint16_t>(impl_->endpoint->getPort());
  impl_->running = true;
}

uint16_t Server::port() const {
  return impl_->port;
}

std::string Server::url() const {
  const std::string& a = impl_->shared->options.address;
  const bool v6 = a.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + a + "]" : a) + ":" + std::to_string(impl_->port);
}

void Server::shutdown() {
  if (!impl_ || !impl_->running) return;
  impl_->running = false;
  impl_->endpoint->shutdown();
  if (impl_->shared->log) impl_->shared->log->stop();  // every request line written before return
}

void Server::block_shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

int Server::wait_for_shutdown_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  while (sigwait(&set, &sig) != 0) {
  }
  return sig;
}

}  // namespace onemap::api
