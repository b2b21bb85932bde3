// The HTTP transport over Pistache's TCP listener (transport.hpp).
//
// Why not Pistache's HTTP layer: its parser drops requests pipelined after the first, re-parses
// an incomplete head from its start on every read, accepts malformed Content-Length, answers
// timeouts with an empty 408, and its ResponseWriter queues every answer for a later turn of the
// event loop. Here Pistache only accepts connections and reports bytes; everything else is ours.
//
// Threads: the event loop feeds each connection's RequestReader and queues complete requests to
// the lanes' workers, but for what a route answers at once from memory (Route::answer_now: a
// cached tile), which it answers and sends itself; a worker answers, writes the bytes with one
// non-blocking send() (the rest goes through Pistache's write queue when the socket buffer is full)
// and starts the connection's next request. A Connection's mutex guards its state, and
// onDisconnection marks it gone under that mutex before Pistache closes the descriptor, so that no
// thread writes to a descriptor that was closed and reused.
#include "http/transport.hpp"

#include "core/errors.hpp"
#include "core/time.hpp"
#include "http/deadline.hpp"

#include <pistache/listener.h>
#include <pistache/peer.h>
#include <pistache/tcp.h>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "http/worker_pool.hpp"

namespace onemap::http {

namespace Tcp = Pistache::Tcp;
using Clock = std::chrono::steady_clock;

namespace {

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

/// RFC 9110 IMF-fixdate of the current second, cached per thread.
const std::string& http_date() {
  thread_local std::time_t cached_at = 0;
  thread_local std::string cached;
  const std::time_t now = std::time(nullptr);
  if (now != cached_at) {
    static const char* const days[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static const char* const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const core::CivilTime c = core::civil_time(now);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %02u %s %04d %02u:%02u:%02u GMT", days[c.weekday - 1],
                  c.day, months[c.month - 1], c.year, c.hour, c.minute, c.second);
    cached = buf;
    cached_at = now;
  }
  return cached;
}

std::string serialise(const Response& r, bool keep_alive, bool head, const std::string& server) {
  std::string out;
  out.reserve(256 + (head ? 0 : r.body.size()));
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out += reason_phrase(r.status);
  out += "\r\nDate: ";
  out += http_date();
  out += "\r\nServer: ";
  out += server;
  if (r.status != 204 && r.status != 304) {
    out += "\r\nContent-Type: ";
    out += r.content_type;
    if (!r.stream) {  // a stream's body ends when the connection closes
      out += "\r\nContent-Length: ";
      out += std::to_string(r.body.size());
    }
  }
  out += keep_alive ? "\r\nConnection: keep-alive\r\n" : "\r\nConnection: close\r\n";
  for (const auto& [name, value] : r.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "\r\n";
  if (!head && !r.stream && r.status != 204 && r.status != 304) out += r.body;
  return out;
}

}  // namespace

std::array<int, kLanes> default_lane_threads(unsigned cores) {
  const int c = static_cast<int>(std::max(1u, cores));
  return {std::max(2, 2 * c), std::max(1, c), 2};
}

/// One client connection.
struct Connection {
  std::mutex mutex;
  std::weak_ptr<Tcp::Peer> peer;
  int fd = -1;
  std::string peer_host;
  RequestReader reader;
  bool busy = false;         ///< one of its requests is with a worker
  bool closing = false;      ///< an answer said "Connection: close": further input is ignored
  bool hard_closed = false;  ///< both directions shut down after lingering
  Clock::time_point closing_since{};
  bool gone = false;  ///< Pistache released it: never touch the descriptor again
  int queued = 0;     ///< writes handed to Pistache and not yet completed
  bool close_when_drained = false;
  Clock::time_point last_activity = Clock::now();
  Clock::time_point request_started = Clock::now();

  explicit Connection(ReaderLimits limits) : reader(std::move(limits)) {}
};

struct Transport::Impl : std::enable_shared_from_this<Transport::Impl> {
  TransportOptions options;
  std::shared_ptr<const Router> router;
  std::unique_ptr<Tcp::Listener> listener;
  std::array<std::unique_ptr<WorkerPool>, kLanes> lanes;
  std::mutex connections_mutex;
  std::set<std::shared_ptr<Connection>> connections;
  std::thread housekeeper;
  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stopping = false;
  bool running = false;
  uint16_t port = 0;
  std::string id_prefix;
  std::atomic<uint64_t> next_id{1};

  std::string request_id() {
    const uint64_t n = next_id.fetch_add(1, std::memory_order_relaxed);
    return id_prefix + std::to_string(n);
  }

  // Closes a connection whose last answer is written, the way RFC 9112 §9.6 asks: our side
  // first (the client sees the end after the answer), reading and dropping what the client
  // still sends, so that its unread bytes do not make the kernel reset the connection before
  // the client has read the answer; the housekeeper shuts the rest after kLinger.
  static void close_gracefully(Connection& c) {
    ::shutdown(c.fd, SHUT_WR);
    c.closing_since = Clock::now();
  }
  static constexpr std::chrono::seconds kLinger{2};

  // Writes `bytes` in order behind anything still queued; shuts the connection down after the
  // last byte when asked. Caller holds c.mutex and c is not gone.
  void transmit(Connection& c, const std::string& bytes, bool close_after) {
    auto peer = c.peer.lock();
    if (!peer) return;
    if (close_after) c.closing = true;
    std::size_t sent = 0;
    if (c.queued == 0) {
      while (sent < bytes.size()) {
        const ssize_t n =
            ::send(c.fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
          sent += static_cast<std::size_t>(n);
          continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        return;  // the peer is gone (EPIPE, ECONNRESET): the event loop notices and releases it
      }
      if (sent == bytes.size()) {
        if (close_after) close_gracefully(c);
        return;
      }
    }
    // The socket buffer is full (or earlier writes are still queued): queue the rest in order.
    ++c.queued;
    if (close_after) c.close_when_drained = true;
    std::weak_ptr<Connection> weak = find(peer);
    const std::size_t rest = bytes.size() - sent;
    auto done = [weak] {
      auto conn = weak.lock();
      if (!conn) return;
      std::lock_guard<std::mutex> lock(conn->mutex);
      if (--conn->queued == 0 && conn->close_when_drained && !conn->gone) close_gracefully(*conn);
    };
    peer->send(Pistache::RawBuffer(bytes.substr(sent), rest))
        .then([done](ssize_t) { done(); }, [done](std::exception_ptr&) { done(); });
  }

  std::shared_ptr<Connection> find(const std::shared_ptr<Tcp::Peer>& peer) {
    return std::static_pointer_cast<Connection>(peer->tryGetData("onemap.conn"));
  }

  void log(const Request* rq, std::string_view id, const Response& r, std::size_t bytes,
           Clock::time_point t0, const std::string& peer_host, const Outcome& out,
           std::string_view lane) {
    if (!options.log) return;
    LogEntry e;
    e.request_id = id;
    e.method = rq ? std::string_view(rq->method) : "-";
    e.path = rq ? std::string_view(rq->path) : "";
    e.query = rq ? std::string_view(rq->query_string) : "";
    e.peer = peer_host;
    e.user = out.user;
    e.lane = lane;
    e.error = out.error_code;
    e.detail = out.log_detail;
    e.status = r.status;
    e.bytes = bytes;
    e.ms = ms_since(t0);
    options.log->add(e);
  }

  // Answers what the reader could not read as a request, then closes. Caller holds c.mutex.
  void answer_unreadable(Connection& c, const ReadError& err) {
    const std::string id = request_id();
    ApiError e = make_error(err.code, err.message, err.parameter);
    e.status = err.status;
    Response r = error_response(e, ErrorFormat::Json, id);
    Outcome out;
    out.error_code = e.code;
    log(nullptr, id, r, r.body.size(), c.request_started, c.peer_host, out, "");
    transmit(c, serialise(r, false, false, options.server_header), true);
  }

  // Hands the connection's next complete request to a worker. Caller holds c.mutex.
  void pump(const std::shared_ptr<Connection>& conn) {
    Connection& c = *conn;
    while (!c.busy && !c.closing && !c.gone) {
      Request rq;
      ReadError err;
      switch (c.reader.next(rq, err)) {
        case RequestReader::Status::NeedMore:
          return;
        case RequestReader::Status::Continue:
          transmit(c, "HTTP/1.1 100 Continue\r\n\r\n", false);
          continue;
        case RequestReader::Status::Error:
          answer_unreadable(c, err);
          return;
        case RequestReader::Status::Ready:
          break;
      }
      rq.peer = c.peer_host;
      rq.received = Clock::now();
      c.request_started = rq.received;
      const Route* route = router->find(rq.method, rq.path);
      if (route && route->answer_now && answer_now(c, rq)) continue;
      const Lane lane = route ? route->lane : Lane::Read;
      c.busy = true;
      auto self = shared_from_this();
      auto job = [self, conn, rq = std::move(rq), lane]() mutable { self->run(conn, rq, lane); };
      if (!lanes[static_cast<std::size_t>(lane)]->submit(std::move(job))) {
        c.busy = false;
        const std::string id = request_id();
        Response r = error_response(
            make_error("unavailable", "the server is busy: too many requests are waiting"),
            ErrorFormat::Json, id);
        Outcome out;
        out.error_code = "unavailable";
        log(nullptr, id, r, r.body.size(), c.request_started, c.peer_host, out, lane_name(lane));
        transmit(c, serialise(r, false, false, options.server_header), true);
        return;
      }
    }
  }

  // On the event loop: answers the request at once when its route can (Route::answer_now) and
  // sends it; false leaves it to a worker. Caller holds c.mutex.
  bool answer_now(Connection& c, const Request& rq) {
    const std::string id = request_id();
    Outcome out;
    std::optional<Response> r = router->handle_now(rq, id, &out);
    if (!r) return false;
    const bool head = rq.method == "HEAD";
    const std::string wire = serialise(*r, rq.keep_alive, head, options.server_header);
    log(&rq, id, *r, head ? 0 : r->body.size(), rq.received, rq.peer, out, "now");
    c.last_activity = Clock::now();
    transmit(c, wire, !rq.keep_alive);
    return true;
  }

  // On a worker: answers one request, sends it, and starts the connection's next.
  void run(const std::shared_ptr<Connection>& conn, const Request& rq, Lane lane) {
    const std::string id = request_id();
    Response r;
    Outcome out;
    const auto deadline = rq.received + options.request_budget;
    if (Clock::now() > deadline) {
      const Route* route = router->find(rq.method, rq.path);
      r = error_response(
          make_error("unavailable", "the request waited past its time budget; retry"),
          route ? route->errors : ErrorFormat::Json, id);
      out.error_code = "unavailable";
    } else {
      DeadlineScope scope(deadline);
      r = router->handle(rq, id, &out);
    }
    const bool head = rq.method == "HEAD";
    if (r.stream && head) r.stream = nullptr;
    if (r.stream) {
      start_stream(conn, rq, id, r, out, lane);
      return;
    }
    const std::string wire = serialise(r, rq.keep_alive, head, options.server_header);
    // Logged before it is sent: once a client holds an answer, its line is queued.
    log(&rq, id, r, head ? 0 : r.body.size(), rq.received, rq.peer, out, lane_name(lane));
    std::lock_guard<std::mutex> lock(conn->mutex);
    conn->busy = false;
    if (conn->gone) return;
    conn->last_activity = Clock::now();
    transmit(*conn, wire, !rq.keep_alive);
    pump(conn);
  }

  // On a worker: sends a streamed answer's head, then hands its sink to Response::stream and
  // returns: the connection takes no further request, and no idle timeout closes it.
  void start_stream(const std::shared_ptr<Connection>& conn, const Request& rq,
                    const std::string& id, const Response& r, const Outcome& out, Lane lane) {
    const std::string wire = serialise(r, false, false, options.server_header);
    log(&rq, id, r, 0, rq.received, rq.peer, out, lane_name(lane));
    {
      std::lock_guard<std::mutex> lock(conn->mutex);
      conn->busy = false;
      if (conn->gone) return;
      conn->closing = true;  // what the client sends from now on is not read
      transmit(*conn, wire, false);
    }
    r.stream(std::make_shared<Sink>(shared_from_this(), conn));
  }

  // The body of a streamed answer: writes on its connection, in order.
  class Sink final : public StreamSink {
   public:
    Sink(std::weak_ptr<Impl> impl, std::weak_ptr<Connection> conn)
        : impl_(std::move(impl)), conn_(std::move(conn)) {}
    bool write(std::string_view bytes) override {
      auto impl = impl_.lock();
      auto conn = conn_.lock();
      if (!impl || !conn) return false;
      std::lock_guard<std::mutex> lock(conn->mutex);
      if (conn->gone || conn->closing_since != Clock::time_point{} || conn->close_when_drained)
        return false;
      // A client that does not read what it is sent is dropped rather than queued for.
      if (conn->queued >= kMaxQueuedWrites) {
        close_locked(*conn);
        return false;
      }
      impl->transmit(*conn, std::string(bytes), false);
      return true;
    }
    void close() override {
      if (auto conn = conn_.lock()) {
        std::lock_guard<std::mutex> lock(conn->mutex);
        close_locked(*conn);
      }
    }

   private:
    static void close_locked(Connection& c) {
      if (c.gone || c.closing_since != Clock::time_point{} || c.close_when_drained) return;
      if (c.queued == 0)
        close_gracefully(c);
      else
        c.close_when_drained = true;
    }
    std::weak_ptr<Impl> impl_;
    std::weak_ptr<Connection> conn_;
  };
  static constexpr int kMaxQueuedWrites = 64;

  // Every 200 ms: 408 for requests not complete in time, close idle persistent connections.
  void housekeep() {
    std::unique_lock<std::mutex> lock(stop_mutex);
    while (!stop_cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return stopping; })) {
      std::vector<std::shared_ptr<Connection>> all;
      {
        std::lock_guard<std::mutex> g(connections_mutex);
        all.assign(connections.begin(), connections.end());
      }
      const auto now = Clock::now();
      for (const auto& conn : all) {
        std::lock_guard<std::mutex> g(conn->mutex);
        if (conn->gone) continue;
        if (conn->closing) {
          if (!conn->hard_closed && conn->closing_since != Clock::time_point{} &&
              now - conn->closing_since > kLinger) {
            conn->hard_closed = true;
            ::shutdown(conn->fd, SHUT_RDWR);
          }
          continue;
        }
        if (conn->busy) continue;
        if (conn->reader.mid_request()) {
          if (now - conn->request_started > options.header_timeout) {
            ReadError err{408, "request_timeout",
                          "the request was not complete within " +
                              std::to_string(options.header_timeout.count() / 1000) + " s",
                          ""};
            answer_unreadable(*conn, err);
          }
        } else if (now - conn->last_activity > options.keepalive_timeout) {
          conn->closing = true;
          ::shutdown(conn->fd, SHUT_RDWR);
        }
      }
    }
  }
};

namespace {

class TcpHandler : public Tcp::Handler {
 public:
  PROTOTYPE_OF(Tcp::Handler, TcpHandler)

  explicit TcpHandler(std::weak_ptr<Transport::Impl> impl) : impl_(std::move(impl)) {}

  void onConnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    auto impl = impl_.lock();
    if (!impl) return;
    ReaderLimits limits = impl->options.limits;
    std::weak_ptr<const Router> router = impl->router;
    limits.body_limit = [router](std::string_view method, std::string_view path) -> std::size_t {
      if (auto r = router.lock()) return r->body_limit(method, path);
      return 0;
    };
    auto conn = std::make_shared<Connection>(std::move(limits));
    conn->peer = peer;
    conn->fd = peer->fd();
    conn->peer_host = peer->address().host();
    peer->putData("onemap.conn", conn);
    std::lock_guard<std::mutex> g(impl->connections_mutex);
    impl->connections.insert(conn);
  }

  void onDisconnection(const std::shared_ptr<Tcp::Peer>& peer) override {
    auto impl = impl_.lock();
    auto conn = std::static_pointer_cast<Connection>(peer->tryGetData("onemap.conn"));
    if (!conn) return;
    {
      std::lock_guard<std::mutex> g(conn->mutex);
      conn->gone = true;
    }
    if (impl) {
      std::lock_guard<std::mutex> g(impl->connections_mutex);
      impl->connections.erase(conn);
    }
  }

  void onInput(const char* buffer, size_t len, const std::shared_ptr<Tcp::Peer>& peer) override {
    auto impl = impl_.lock();
    auto conn = std::static_pointer_cast<Connection>(peer->tryGetData("onemap.conn"));
    if (!impl || !conn) return;
    std::lock_guard<std::mutex> g(conn->mutex);
    if (conn->closing || conn->gone) return;  // a client ignoring "Connection: close"
    const auto now = Clock::now();
    if (!conn->busy && !conn->reader.mid_request()) conn->request_started = now;
    conn->last_activity = now;
    conn->reader.feed(std::string_view(buffer, len));
    impl->pump(conn);
  }

 private:
  std::weak_ptr<Transport::Impl> impl_;
};

}  // namespace

Transport::Transport(TransportOptions options, std::shared_ptr<const Router> router)
    : impl_(std::make_shared<Impl>()) {
  impl_->options = std::move(options);
  impl_->router = std::move(router);
  std::random_device rd;
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%08x-", static_cast<unsigned>(rd()));
  impl_->id_prefix = prefix;
}

Transport::~Transport() {
  shutdown();
}

void Transport::start() {
  Impl& i = *impl_;
  static const char* const names[] = {"onemap-read", "onemap-query", "onemap-write"};
  for (std::size_t l = 0; l < kLanes; ++l)
    i.lanes[l] =
        std::make_unique<WorkerPool>(names[l], i.options.lane_threads[l], i.options.max_queue);
  try {
    i.listener = std::make_unique<Tcp::Listener>(
        Pistache::Address(i.options.address, Pistache::Port(i.options.port)));
    i.listener->init(static_cast<size_t>(std::max(1, i.options.event_threads)),
                     Pistache::Flags<Tcp::Options>(Tcp::Options::ReuseAddr) | Tcp::Options::NoDelay,
                     "onemap-io");
    i.listener->setHandler(std::make_shared<TcpHandler>(impl_));
    i.listener->bind();
    i.listener->runThreaded();
  } catch (const std::exception& e) {
    i.listener.reset();
    for (auto& l : i.lanes) l.reset();
    throw Error("cannot listen on " + i.options.address + ":" + std::to_string(i.options.port) +
                ": " + e.what());
  }
  i.port = static_cast<uint16_t>(i.listener->getPort());
  i.housekeeper = std::thread([impl = impl_] { impl->housekeep(); });
  i.running = true;
}

uint16_t Transport::port() const {
  return impl_->port;
}

void Transport::shutdown() {
  Impl& i = *impl_;
  if (!i.running) return;
  i.running = false;
  // Requests with workers are answered first, while the event loop still sends queued bytes.
  for (auto& l : i.lanes) l->stop();
  {
    std::lock_guard<std::mutex> g(i.stop_mutex);
    i.stopping = true;
  }
  i.stop_cv.notify_all();
  if (i.housekeeper.joinable()) i.housekeeper.join();
  i.listener->shutdown();
  if (i.options.log) i.options.log->stop();  // every request line written before return
}

}  // namespace onemap::http
