// Residents signed in by a code texted to their phone (residents.hpp).
#include "auth/residents.hpp"

#include "auth/tokens.hpp"
#include "core/errors.hpp"
#include "core/time.hpp"
#include "layers/model/text.hpp"

#include <openssl/rand.h>
#include <nlohmann/json.hpp>

#include <cctype>

namespace onemap::auth {

namespace {

constexpr std::string_view kTokenPrefix = "rs_";
constexpr int64_t kUtc8 = 8 * 3600;

// Six random digits (a modulo bias under 0.03 %).
std::string new_code() {
  uint32_t r = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&r), sizeof r) != 1)
    throw Error("no random bytes for a sign-in code");
  std::string code = std::to_string(r % 1000000);
  return std::string(6 - code.size(), '0') + code;
}

std::string code_hash(const std::string& phone, std::string_view code) {
  return token_hash(phone + ":" + std::string(code));
}

}  // namespace

Residents::Residents(std::string location, Options options)
    : location_(std::move(location)),
      options_(options),
      store_(layers::open_store(location_, false)) {}

Residents::~Residents() = default;

bool Residents::is_resident_token(std::string_view token) {
  return token.starts_with(kTokenPrefix);
}

std::string Residents::canonical_phone(std::string_view phone) {
  std::string digits;
  for (std::size_t i = 0; i < phone.size(); ++i) {
    const char c = phone[i];
    if (c == ' ' || c == '-' || (c == '+' && i == 0)) continue;
    if (!std::isdigit(static_cast<unsigned char>(c)))
      throw InvalidArgument("phone", "a mobile number has digits only (13812345678)");
    digits += c;
  }
  if (digits.size() == 13 && digits.starts_with("86")) digits.erase(0, 2);
  if (digits.size() != 11 || digits[0] != '1' || digits[1] < '3')
    throw InvalidArgument("phone", "must be a mainland mobile number of 11 digits (13812345678)");
  return digits;
}

std::string Residents::masked(const std::string& phone) {
  if (phone.size() != 11) return "***";
  return phone.substr(0, 3) + "****" + phone.substr(7);
}

Residents::CodeSent Residents::send_code(std::string_view given, int64_t now) {
  const std::string phone = canonical_phone(given);
  const int64_t today = core::day_of(now + kUtc8);
  std::lock_guard lock(mutex_);
  layers::ResidentCode c = store_->load_resident_code(phone).value_or(layers::ResidentCode{});
  if (c.sent_at && now < c.sent_at + options_.resend_after_s)
    throw TooManyRequests("phone", "a code was sent to this phone a moment ago; wait a minute",
                          c.sent_at + options_.resend_after_s - now);
  if (c.day != today) c.sent_today = 0;
  if (c.sent_today >= options_.codes_per_day)
    throw TooManyRequests("phone", "this phone had its codes for today; try again tomorrow",
                          (today + 1) * 86400 - kUtc8 - now);
  const std::string code = new_code();
  c.phone = phone;
  c.code_hash = code_hash(phone, code);
  c.sent_at = now;
  c.expires_at = now + options_.code_lifetime_s;
  c.attempts = 0;
  c.day = today;
  ++c.sent_today;
  layers::Store::Batch batch;
  batch.resident_codes.push_back(&c);
  const std::string minutes = std::to_string(options_.code_lifetime_s / 60);
  batch.outbox.push_back([&] {
    layers::OutboxRow row;
    row.at = now;
    row.subject = std::string(layers::kSmsSubject);
    row.action = "sign_in_code";
    row.payload = layers::json_text(nlohmann::json{
        {"to", phone},
        {"text", "您的验证码为 " + code + "，" + minutes + " 分钟内有效。如非本人操作，请忽略。"}});
    return row;
  });
  store_->put(batch);
  return {masked(phone), options_.code_lifetime_s, options_.resend_after_s};
}

Residents::SignedIn Residents::sign_in(std::string_view given, std::string_view code, int64_t now) {
  const std::string phone = canonical_phone(given);
  if (code.size() != 6 || code.find_first_not_of("0123456789") != std::string_view::npos)
    throw InvalidArgument("code", "is the six digits texted to the phone");
  std::lock_guard lock(mutex_);
  auto c = store_->load_resident_code(phone);
  if (!c || c->code_hash.empty() || now >= c->expires_at)
    throw InvalidArgument("code", "no valid code for this phone: ask for a new one");
  if (c->code_hash != code_hash(phone, code)) {
    // Each wrong try is counted; the last one spends the code.
    if (++c->attempts >= options_.wrong_codes) c->code_hash.clear();
    layers::Store::Batch batch;
    batch.resident_codes.push_back(&*c);
    store_->put(batch);
    throw InvalidArgument("code", c->code_hash.empty()
                                      ? "wrong code, and too many tries: ask for a new one"
                                      : "wrong code");
  }
  c->code_hash.clear();
  layers::ResidentSession s;
  std::string token = new_token();
  token.replace(0, kTokenPrefix.size(), kTokenPrefix);
  s.token_hash = token_hash(token);
  s.phone = phone;
  s.created_at = now;
  s.expires_at = now + options_.token_lifetime_s;
  layers::Store::Batch batch;
  batch.resident_codes.push_back(&*c);
  batch.resident_sessions.push_back(&s);
  store_->put(batch);
  return {std::move(token), masked(phone), s.expires_at};
}

std::optional<layers::Actor> Residents::authenticate(std::string_view token, int64_t now) const {
  if (!is_resident_token(token)) return std::nullopt;
  std::optional<layers::ResidentSession> s;
  {
    std::lock_guard lock(mutex_);
    s = store_->load_resident_session(token_hash(token));
  }
  if (!s || now >= s->expires_at) return std::nullopt;
  layers::Actor a;
  // A pseudonym, the same for every token of the phone: their reports are theirs across
  // sign-ins, and the phone itself never becomes an id in logs or trails.
  a.id = "resident:" + token_hash("resident:" + s->phone).substr(0, 16);
  a.role = "resident";
  a.contact_phone = s->phone;
  return a;
}

}  // namespace onemap::auth
