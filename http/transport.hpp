// The HTTP transport: sockets in, requests to the router, responses out. The one place that
// knows Pistache (its TCP listener and event loop only; requests are read by
// http/request_reader.hpp).
//
// Each request runs on a worker of its route's lane (http/router.hpp Lane), never on the event
// loop: a slow query holds one worker of the query lane, and cheap reads go on. Requests
// pipelined on a connection are all answered, in order: a connection has at most one request
// in a worker at a time, and the next starts when its answer is sent.
//
// Time budget: a request that waited longer than `request_budget` before a worker took it is a
// 503 with Retry-After, and a handler that checks http::check_deadline() stops with one too. A
// request whose headers or body are not complete within `header_timeout` gets a 408 (JSON) and
// the connection closes; an idle persistent connection closes after `keepalive_timeout`. A full
// queue is a 503 at once.
//
// A streamed answer (Response::stream: server-sent events) holds its connection, not a worker:
// the worker sends the head and hands the body's sink to the handler's stream, which writes from
// a thread of its own; no idle timeout closes it, and a client that stops reading is dropped.
#pragma once

#include "http/request_log.hpp"
#include "http/request_reader.hpp"
#include "http/router.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace onemap::http {

struct TransportOptions {
  std::string address = "127.0.0.1";  ///< IPv4 or IPv6 literal, or a host name
  uint16_t port = 8080;               ///< 0: any free port (see port())
  int event_threads = 1;              ///< threads reading sockets (cheap: handlers run elsewhere)
  /// Workers of each lane: read, query, write.
  std::array<int, kLanes> lane_threads = {4, 2, 2};
  std::size_t max_queue = 4096;  ///< requests waiting in one lane
  std::chrono::milliseconds header_timeout{10000};
  std::chrono::milliseconds keepalive_timeout{60000};
  std::chrono::milliseconds request_budget{30000};
  ReaderLimits limits;  ///< body limits come from the routes
  std::string server_header = "onemap";
  std::shared_ptr<RequestLog> log;  ///< null: requests are not logged
};

class Transport {
 public:
  Transport(TransportOptions options, std::shared_ptr<const Router> router);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  /// Binds and starts serving. @throws Error when the address cannot be bound.
  void start();
  /// The bound port (the chosen one when the options said 0). Valid after start().
  uint16_t port() const;
  /// Finishes the requests in workers, stops accepting and closes every connection; idempotent.
  void shutdown();

  struct Impl;  ///< (transport.cpp: the connections, the lanes and the Pistache listener)

 private:
  std::shared_ptr<Impl> impl_;
};

/// The default worker counts of the lanes for `cores` CPUs: read max(2, 2·cores), query
/// max(1, cores), write 2.
std::array<int, kLanes> default_lane_threads(unsigned cores);

}  // namespace onemap::http
