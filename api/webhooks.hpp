// Pushing the outbox (layers/model/outbox.hpp; README "Push, never poll"): each subscriber the
// store keeps (`onemap webhook add`) gets every row it takes, POSTed as JSON and signed with
// HMAC-SHA256 of the body under its secret (X-Onemap-Signature: sha256=<hex>), in outbox order;
// its cursor moves past a row only once the row was answered with a 2xx. At least once, in order
// per subscriber: a failing subscriber is retried with a growing pause and holds its own later
// rows back (head-of-line blocking), never another subscriber's cursor.
//
// An SMS subscriber (kind "sms", the county's gateway) gets {"to", "text", "case"} for each phone
// of the resident who reported a case (extra.contact.phone) and its followers
// (extra.followers[].phone) when the case is received (report) and closed (close).
#pragma once

#include "api/outbox_watch.hpp"
#include "layers/county/county.hpp"
#include "layers/model/outbox.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace onemap::api {

/// The signature header's value of `body` under `secret`: "sha256=" and the HMAC-SHA256, hex.
std::string webhook_signature(std::string_view secret, std::string_view body);

/// The header that carries webhook_signature.
inline constexpr const char* kSignatureHeader = "X-Onemap-Signature";

/// What a webhook subscriber is POSTed for `row`: {"id", "subject", "action", "area"} and the
/// row's payload's members.
std::string webhook_body(const layers::OutboxRow& row);

/// The texts for the resident of a ticket of the intake queue (`row`: its receive, merge or
/// reject): one JSON body per phone of its contact.
std::vector<std::string> ticket_sms_bodies(const layers::OutboxRow& row, const layers::Ticket& t);
/// What an SMS subscriber is POSTed for `row` of the incident whose `extra` (a JSON object text)
/// names the resident's phones: one body per phone, none when no phone is known.
std::vector<std::string> sms_bodies(const layers::OutboxRow& row, int64_t fid,
                                    const std::string& extra);

/// Runs the deliveries on a thread of its own, reading the outbox and the subscribers through a
/// store connection of its own (as `onemap webhook add` on a served store counts at once), and
/// reading the county only to find a case's phones (under its shared lock, released before
/// anything is sent). Woken by each change of an incident; looks again every `Options::idle`.
class WebhookDeliverer {
 public:
  struct Options {
    std::chrono::milliseconds first_retry{500};  ///< the pause after a first failure
    std::chrono::milliseconds max_retry{60000};  ///< the pause doubles up to this
    std::chrono::milliseconds timeout{5000};     ///< one POST, connection included
    std::chrono::milliseconds idle{1000};        ///< between looks when nothing wakes it
  };
  /// A line for the server's log: a message and whether it is an error. Never holds a secret,
  /// a phone or a subscriber's URL.
  using Log = std::function<void(const std::string& message, bool error)>;

  WebhookDeliverer(std::shared_ptr<layers::County> county, Options options, Log log);
  /// Stops the thread (a POST under way finishes first).
  ~WebhookDeliverer();
  WebhookDeliverer(const WebhookDeliverer&) = delete;
  WebhookDeliverer& operator=(const WebhookDeliverer&) = delete;

 private:
  // A subscriber's retry state (not stored: a restart retries at once).
  struct Retry {
    std::chrono::milliseconds pause{0};
    std::chrono::steady_clock::time_point next{};
  };
  void run();
  // Delivers what `s` has waiting, oldest first, until a row fails; moves its cursor.
  void deliver(const layers::Subscriber& s, Retry& retry);
  // The bodies `s` gets for `row` (none: it takes the row without a POST).
  std::vector<std::string> bodies_for(const layers::Subscriber& s, const layers::OutboxRow& row);

  std::shared_ptr<layers::County> county_;
  Options options_;
  Log log_;
  std::unique_ptr<layers::Store> store_;
  std::map<std::string, Retry> retries_;
  OutboxWatch watch_;
  std::thread thread_;
};

}  // namespace onemap::api
