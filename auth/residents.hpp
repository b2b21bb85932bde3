// Residents who report without an account (微嘉园, 96885; README "Phone pages"): a resident asks
// for a code, which goes to their phone through the county's SMS gateway (the outbox's "sms" rows,
// api/webhooks.hpp), and trades it for a token that lets them report and follow their own reports
// for a month. Nothing else: a resident reads what the public reads, and its own reports in full
// (it is their reporter).
//
// Limits: a phone gets a new code at most once a minute and five times a day (429 otherwise); a
// code lives ten minutes and allows five wrong tries, after which a new one must be asked for. The
// store keeps only hashes of codes and tokens (layers/model/resident.hpp), on a connection of this
// class's own: a sign-in never waits for the county's writers' lock.
#pragma once

#include "layers/dispatch/workflow.hpp"
#include "layers/store/store.hpp"

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace onemap::auth {

class Residents {
 public:
  struct Options {
    int64_t code_lifetime_s = 600;
    int64_t resend_after_s = 60;
    int codes_per_day = 5;
    int wrong_codes = 5;  ///< tries before a code is spent
    int64_t token_lifetime_s = 30 * 86400;
  };
  /// A code sent: the phone as shown back (138****5678), and the seconds until it expires and
  /// until another may be asked for.
  struct CodeSent {
    std::string phone;
    int64_t expires_in = 0, resend_after = 0;
  };
  /// A resident signed in: the token (shown once) and until when it works.
  struct SignedIn {
    std::string token, phone;
    int64_t expires_at = 0;
  };

  /// Opens a connection of its own to the store at `location`. @throws StoreError.
  explicit Residents(std::string location, Options options);
  explicit Residents(std::string location) : Residents(std::move(location), Options{}) {}
  ~Residents();
  Residents(const Residents&) = delete;
  Residents& operator=(const Residents&) = delete;

  /// A new code for `phone` (a mainland mobile number; spaces, dashes and +86 are dropped),
  /// stored with the outbox row that texts it, in one transaction.
  /// @throws InvalidArgument("phone"), TooManyRequests("phone").
  CodeSent send_code(std::string_view phone, int64_t now);
  /// A token for `phone` when `code` is its current code. The code is spent.
  /// @throws InvalidArgument("phone"), InvalidArgument("code") (wrong, expired, spent or none).
  SignedIn sign_in(std::string_view phone, std::string_view code, int64_t now);
  /// The resident a token belongs to (role "resident", id "resident:" and a hash of the phone,
  /// contact_phone the phone), or nullopt for an unknown or expired token.
  std::optional<layers::Actor> authenticate(std::string_view token, int64_t now) const;
  /// Whether a bearer token is a resident's (they start "rs_"), so that the user directory is
  /// not asked for it.
  static bool is_resident_token(std::string_view token);

  /// The phone in its canonical form (11 digits). @throws InvalidArgument("phone").
  static std::string canonical_phone(std::string_view phone);
  /// 138****5678.
  static std::string masked(const std::string& phone);

 private:
  std::string location_;
  Options options_;
  mutable std::mutex mutex_;  ///< the connection
  std::unique_ptr<layers::Store> store_;
};

}  // namespace onemap::auth
