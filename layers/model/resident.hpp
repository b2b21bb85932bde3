// Residents who report without an account (微嘉园, 96885): each signs in with a code texted to
// their phone and holds a token for a while (auth/residents.hpp). The store keeps the phone's last
// code and the tokens, hashed.
#pragma once

#include <cstdint>
#include <string>

namespace onemap::layers {

/// The last sign-in code texted to a phone, and how often codes were asked for.
struct ResidentCode {
  std::string phone;      ///< 11 digits
  std::string code_hash;  ///< SHA-256 of the phone and the code, hex; empty once used
  int64_t sent_at = 0;    ///< Unix seconds
  int64_t expires_at = 0;
  int attempts = 0;    ///< wrong codes tried against this one
  int64_t day = 0;     ///< the day (Unix days, UTC+8) of sent_today
  int sent_today = 0;  ///< codes texted on that day
};

/// A resident's token: who holds it and until when.
struct ResidentSession {
  std::string token_hash;  ///< SHA-256 of the token, hex
  std::string phone;
  int64_t created_at = 0;
  int64_t expires_at = 0;
};

}  // namespace onemap::layers
