// GET /events: the outbox as server-sent events (events.hpp).
#include "api/events.hpp"

#include "api/outbox_watch.hpp"
#include "api/webhooks.hpp"
#include "core/errors.hpp"
#include "layers/model/text.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace onemap::api {

using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;
using http::Context;
using http::Response;

namespace {

// Rows read from the outbox at a time.
constexpr std::size_t kReadAhead = 500;

// The open streams and the thread that writes them.
class EventStreams {
 public:
  EventStreams(std::shared_ptr<layers::County> county,
               std::shared_ptr<const auth::ReadPolicy> policy, EventStreamOptions options)
      : county_(std::move(county)),
        policy_(std::move(policy)),
        options_(options),
        store_(layers::open_store(county_->location(), false)),
        watch_(county_) {
    head_ = store_->last_outbox_id();
    thread_ = std::thread([this] { run(); });
  }

  ~EventStreams() {
    watch_.stop();
    thread_.join();
    for (auto& s : streams_) s.sink->close();
  }
  EventStreams(const EventStreams&) = delete;
  EventStreams& operator=(const EventStreams&) = delete;

  Response open(Context& c) {
    std::optional<int64_t> resume;
    if (const auto last = c.request.header("last-event-id"); !last.empty()) {
      try {
        resume = std::stoll(std::string(last));
      } catch (const std::exception&) {
        throw InvalidArgument("Last-Event-ID",
                              "expected an event id, got '" + std::string(last) + "'");
      }
    }
    {
      std::lock_guard lock(mutex_);
      if (taken_.load() + waiting_.size() >= options_.max_streams)
        throw Unavailable("too many event streams are open; retry later");
    }
    Response r;
    r.content_type = "text/event-stream; charset=utf-8";
    r.set_header("Cache-Control", "no-store");
    r.set_header("X-Accel-Buffering", "no");  // a proxy in front must not hold the events back
    auth::Viewer viewer = policy_->viewer(c.user);
    r.stream = [this, viewer, resume](std::shared_ptr<http::StreamSink> sink) {
      {
        std::lock_guard lock(mutex_);
        waiting_.push_back({std::move(sink), viewer, resume.value_or(-1), Clock::now()});
      }
      watch_.poke();
    };
    return r;
  }

 private:
  struct Stream {
    std::shared_ptr<http::StreamSink> sink;
    auth::Viewer viewer;
    int64_t cursor = 0;  ///< the last event it was sent (-1: from the head on)
    Clock::time_point last_write;
  };

  void run() {
    const auto look_every = std::min(options_.heartbeat, std::chrono::milliseconds(1000));
    while (watch_.wait_until(Clock::now() + look_every)) {
      {
        std::lock_guard lock(mutex_);
        for (auto& s : waiting_) streams_.push_back(std::move(s));
        waiting_.clear();
        taken_ = streams_.size();
      }
      try {
        pump();
      } catch (const std::exception&) {
        // The outbox could not be read now: the streams wait for the next look.
      }
    }
  }

  // Sends each stream what it has not had, and a ping to those idle for a heartbeat.
  void pump() {
    for (auto& s : streams_)
      if (s.cursor < 0) {
        s.cursor = head_;
        // How long a client waits before it reconnects after a drop.
        if (!s.sink->write("retry: 3000\n\n")) s.sink.reset();
      }
    streams_.erase(
        std::remove_if(streams_.begin(), streams_.end(), [](const Stream& s) { return !s.sink; }),
        streams_.end());
    int64_t from = head_;
    for (const auto& s : streams_) from = std::min(from, s.cursor);
    for (;;) {
      const std::vector<layers::OutboxRow> rows = store_->load_outbox(from, kReadAhead);
      for (const layers::OutboxRow& row : rows) {
        for (auto& s : streams_) {
          if (!s.sink || row.id <= s.cursor) continue;
          s.cursor = row.id;
          const std::optional<std::string> message = event_message(*county_, s.viewer, row);
          if (!message) continue;
          if (s.sink->write(*message))
            s.last_write = Clock::now();
          else
            s.sink.reset();
        }
        head_ = std::max(head_, row.id);
        from = row.id;
      }
      if (rows.size() < kReadAhead) break;
    }
    const auto now = Clock::now();
    for (auto& s : streams_)
      if (s.sink && now - s.last_write >= options_.heartbeat) {
        if (s.sink->write(": ping\n\n"))
          s.last_write = now;
        else
          s.sink.reset();
      }
    streams_.erase(
        std::remove_if(streams_.begin(), streams_.end(), [](const Stream& s) { return !s.sink; }),
        streams_.end());
    taken_ = streams_.size();
  }

  std::shared_ptr<layers::County> county_;
  std::shared_ptr<const auth::ReadPolicy> policy_;
  EventStreamOptions options_;
  std::unique_ptr<layers::Store> store_;  ///< its own connection; only the thread uses it
  int64_t head_ = 0;                      ///< the last outbox id read (the thread's)
  std::vector<Stream> streams_;           ///< the thread's
  std::atomic<std::size_t> taken_{0};     ///< streams_.size(), for open()
  std::mutex mutex_;                      ///< guards waiting_
  std::vector<Stream> waiting_;           ///< opened, not yet taken by the thread
  OutboxWatch watch_;
  std::thread thread_;
};

}  // namespace

std::optional<std::string> event_message(const layers::County& county, const auth::Viewer& viewer,
                                         const layers::OutboxRow& row) {
  if (row.subject == layers::kSmsSubject) return std::nullopt;  // a text to a resident's phone
  json event = json::parse(webhook_body(row), nullptr, false);
  if (!event.is_object()) return std::nullopt;
  if (event.contains("incident") && event["incident"].is_object()) {
    json& in = event["incident"];
    auto text = [&](const char* key) {
      return in.contains(key) && in[key].is_string() ? in[key].get<std::string>() : std::string();
    };
    const std::string grid = text("grid_code"), agency = text("agency");
    if (!viewer.scope.empty() && row.area.rfind(viewer.scope, 0) != 0 &&
        agency.rfind(viewer.scope, 0) != 0)
      return std::nullopt;
    if (!auth::may_see_layer(viewer, layers::LayerKind::Incidents)) return std::nullopt;
    const layers::CategoryConfig* category = county.dispatch_config().find(text("category"));
    if (category && category->sensitive && viewer.at(grid, agency) == auth::Audience::Public)
      return std::nullopt;
    for (const char* field : {"category", "status", "grid_code", "agency"})
      if (!auth::may_read(viewer, layers::LayerKind::Incidents, field, grid, agency))
        in.erase(field);
    if (!auth::may_read(viewer, layers::LayerKind::Incidents, "geometry", grid, agency)) {
      in.erase("lon");
      in.erase("lat");
    }
  } else if (viewer.audience == auth::Audience::Public ||
             (!viewer.scope.empty() && row.area.rfind(viewer.scope, 0) != 0)) {
    // Another subject's rows (a ticket's): the read policy says nothing of them, so only staff
    // hear of them, inside their area.
    return std::nullopt;
  }
  // No "event:" line: every event is a plain message (EventSource's onmessage), its action in
  // its data.
  return "id: " + std::to_string(row.id) + "\ndata: " + layers::json_text(event) + "\n\n";
}

void add_event_routes(http::Router& router, const std::shared_ptr<layers::County>& county,
                      const std::shared_ptr<const auth::ReadPolicy>& policy,
                      EventStreamOptions options) {
  auto streams = std::make_shared<EventStreams>(county, policy, options);
  http::Route r;
  r.methods = {"GET"};
  r.pattern = "/events";
  r.handler = [streams](Context& c) { return streams->open(c); };
  r.parameters = std::vector<std::string>{};
  router.add(std::move(r));
}

}  // namespace onemap::api
