// Pushing the outbox to webhooks and the SMS gateway (webhooks.hpp).
#include "api/webhooks.hpp"

#include "core/errors.hpp"
#include "http/client.hpp"
#include "layers/model/text.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include <algorithm>

namespace onemap::api {

using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

namespace {

// Rows read from the outbox at a time.
constexpr std::size_t kReadAhead = 100;

std::string hex(const unsigned char* bytes, unsigned n) {
  static const char* const digits = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (unsigned i = 0; i < n; ++i) {
    out += digits[bytes[i] >> 4];
    out += digits[bytes[i] & 15];
  }
  return out;
}

// The phones of a case's resident and followers, each once, in the order found.
std::vector<std::string> phones_of(const std::string& extra) {
  std::vector<std::string> out;
  const json e = layers::stored_json<json>(extra);
  if (!e.is_object()) return out;
  auto add = [&](const json& person) {
    if (!person.is_object() || !person.contains("phone") || !person["phone"].is_string()) return;
    const std::string phone = person["phone"].get<std::string>();
    if (!phone.empty() && std::find(out.begin(), out.end(), phone) == out.end())
      out.push_back(phone);
  };
  if (e.contains("contact")) add(e["contact"]);
  if (e.contains("followers") && e["followers"].is_array())
    for (const json& f : e["followers"]) add(f);
  return out;
}

// The id of a subject of the kind `prefix` names ("incident:", "ticket:"), or 0 for another.
int64_t subject_id(const std::string& subject, std::string_view prefix) {
  if (subject.rfind(prefix, 0) != 0) return 0;
  try {
    return std::stoll(subject.substr(prefix.size()));
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

std::string webhook_signature(std::string_view secret, std::string_view body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &n))
    throw Error("HMAC-SHA256 failed");
  return "sha256=" + hex(mac, n);
}

std::string webhook_body(const layers::OutboxRow& row) {
  json body = {
      {"id", row.id}, {"subject", row.subject}, {"action", row.action}, {"area", row.area}};
  const json payload = layers::stored_json<json>(row.payload);
  if (payload.is_object())
    for (const auto& item : payload.items())
      if (!body.contains(item.key())) body[item.key()] = item.value();
  return layers::json_text(body);
}

std::vector<std::string> ticket_sms_bodies(const layers::OutboxRow& row, const layers::Ticket& t) {
  const std::string number = std::to_string(t.id);
  const std::string text =
      row.action == "merge" ? "您反映的问题（受理单 " + number + "）已并入编号 " +
                                  std::to_string(t.incident) + " 一并办理，办结后将告知您。"
      : row.action == "reject"
          ? "您反映的问题（受理单 " + number + "）经核实不予受理，详情可致电 12345 咨询。"
          : "您反映的问题已收到（受理单 " + number + "），正在核实。";
  std::vector<std::string> out;
  for (const std::string& phone : phones_of(t.extra))
    out.push_back(layers::json_text(json{{"to", phone}, {"text", text}, {"case", row.subject}}));
  return out;
}

std::vector<std::string> sms_bodies(const layers::OutboxRow& row, int64_t fid,
                                    const std::string& extra) {
  const std::string number = std::to_string(fid);
  const std::string text = row.action == "close"
                               ? "您反映的问题（编号 " + number + "）已办结，感谢您的监督。"
                               : "您反映的问题（编号 " + number + "）已受理，我们将尽快处理。";
  std::vector<std::string> out;
  for (const std::string& phone : phones_of(extra))
    out.push_back(layers::json_text(json{{"to", phone}, {"text", text}, {"case", row.subject}}));
  return out;
}

WebhookDeliverer::WebhookDeliverer(std::shared_ptr<layers::County> county, Options options, Log log)
    : county_(std::move(county)),
      options_(options),
      log_(std::move(log)),
      store_(layers::open_store(county_->location(), false)),
      watch_(county_) {
  thread_ = std::thread([this] { run(); });
}

WebhookDeliverer::~WebhookDeliverer() {
  watch_.stop();
  thread_.join();
}

void WebhookDeliverer::run() {
  Clock::time_point next_look;
  do {
    next_look = Clock::now() + options_.idle;
    try {
      for (const layers::Subscriber& s : store_->load_subscribers()) {
        Retry& retry = retries_[s.name];
        if (Clock::now() >= retry.next) deliver(s, retry);
        if (retry.pause.count() > 0) next_look = std::min(next_look, retry.next);
      }
    } catch (const std::exception& e) {
      log_(std::string("webhooks: cannot read the outbox: ") + e.what(), true);
    }
  } while (watch_.wait_until(next_look));
}

std::vector<std::string> WebhookDeliverer::bodies_for(const layers::Subscriber& s,
                                                      const layers::OutboxRow& row) {
  if (s.kind != layers::kSms) return {webhook_body(row)};
  if (row.subject == layers::kSmsSubject) return {row.payload};
  if (const int64_t id = subject_id(row.subject, "ticket:")) {
    layers::Ticket t;
    try {
      t = county_->ticket(id);
    } catch (const NotFound&) {
      return {};
    }
    return ticket_sms_bodies(row, t);
  }
  const int64_t fid = subject_id(row.subject, "incident:");
  if (!fid) return {};
  std::string extra;
  try {
    extra = county_->incident(fid).extra;  // a copy under the shared lock
  } catch (const NotFound&) {
    return {};
  }
  return sms_bodies(row, fid, extra);
}

void WebhookDeliverer::deliver(const layers::Subscriber& s, Retry& retry) {
  int64_t cursor = s.delivered, recorded = s.delivered;
  bool failed = false;
  for (;;) {
    const std::vector<layers::OutboxRow> rows = store_->load_outbox(cursor, kReadAhead);
    for (const layers::OutboxRow& row : rows) {
      if (layers::wants(s, row)) {
        for (const std::string& body : bodies_for(s, row)) {
          const http::PostResult r =
              http::post(s.url, body,
                         {{"Content-Type", "application/json"},
                          {kSignatureHeader, webhook_signature(s.secret, body)},
                          {"X-Onemap-Event-Id", std::to_string(row.id)}},
                         options_.timeout);
          if (!r.ok()) {
            retry.pause = std::min(options_.max_retry,
                                   retry.pause.count() ? 2 * retry.pause : options_.first_retry);
            retry.next = Clock::now() + retry.pause;
            log_("webhook " + s.name + ": event " + std::to_string(row.id) + " not delivered (" +
                     (r.status ? "status " + std::to_string(r.status) : r.error) +
                     "); retrying in " + std::to_string(retry.pause.count()) + " ms",
                 true);
            failed = true;
            break;
          }
        }
      }
      if (failed) break;
      cursor = row.id;
    }
    // Noted after each read: a crash sends again at most what was read since.
    if (cursor != recorded) store_->record_delivery(s.name, recorded = cursor);
    if (failed || rows.size() < kReadAhead || watch_.stopped()) break;
  }
  if (!failed) retry = {};
}

}  // namespace onemap::api
