// The outbox (README "Push, never poll"): every event another system is to hear of, appended in
// the transaction of the change it reports, so that none is lost to a crash and none is told of
// a change that was not made; and the subscribers it is pushed to (webhooks, the SMS gateway),
// each with the id of the last row it acknowledged.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace onemap::layers {

/// One event to push out. Public content only: it goes to webhooks and to the public stream;
/// except a text of the subject "sms" (sms_subject), which only the SMS gateway takes.
struct OutboxRow {
  int64_t id = 0;       ///< assigned by the store, increasing
  int64_t at = 0;       ///< Unix seconds of the change
  std::string subject;  ///< the case it is about: "incident:42" (another module: "ticket:7"),
                        ///< or "sms" for a text as it is to be sent ({"to", "text"})
  std::string action;   ///< what happened to it: report, dispatch, close, …
  std::string area;     ///< the grid code or agency that holds it, for scope filters
  std::string payload;  ///< a JSON object text
};

/// Kinds of subscriber: a webhook gets every row as it is; the SMS gateway gets a text for the
/// resident of a case received or closed (api/webhooks.hpp).
inline constexpr std::string_view kWebhook = "webhook";
inline constexpr std::string_view kSms = "sms";

/// Where the outbox is pushed to, as the store keeps it.
struct Subscriber {
  std::string name;
  std::string kind = std::string(kWebhook);
  std::string url;     ///< http://host:port/path
  std::string secret;  ///< the HMAC-SHA256 key of the signature; never shown or logged
  std::vector<std::string> actions;  ///< the actions it takes (empty: all)
  std::string area;                  ///< the area code prefix it takes (empty: the county)
  int64_t delivered = 0;             ///< the id of the last row it acknowledged (its cursor)
};

/// Whether `subscriber` takes `row`: one of its actions, inside its area (an SMS subscriber
/// takes only the rows that text a resident, texts_resident).
bool wants(const Subscriber& subscriber, const OutboxRow& row);

/// Whether the row is one an SMS subscriber texts the resident about: a case reported or closed
/// ("incident:" subjects); a ticket of the intake queue received, merged into a case or rejected
/// ("ticket:" subjects; an admitted one is texted as the case it becomes); a text as it is
/// ("sms": a resident's sign-in code).
bool texts_resident(const OutboxRow& row);

/// The subject of a text sent as it is: its payload is the SMS gateway's body {"to", "text"},
/// personal (a phone, a sign-in code), so no webhook and no event stream ever gets it.
inline constexpr std::string_view kSmsSubject = "sms";

/// The subject of an incident, "incident:<fid>".
std::string incident_subject(int64_t fid);

}  // namespace onemap::layers
