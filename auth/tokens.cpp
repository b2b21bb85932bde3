// API tokens (tokens.hpp).
#include "auth/tokens.hpp"

#include "core/errors.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

namespace onemap::auth {

namespace {

std::string hex(const unsigned char* p, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out += digits[p[i] >> 4];
    out += digits[p[i] & 15];
  }
  return out;
}

}  // namespace

std::string new_token() {
  unsigned char bytes[20];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw Error("no random bytes for a token");
  return "om_" + hex(bytes, sizeof bytes);
}

std::string token_hash(std::string_view token) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (EVP_Digest(token.data(), token.size(), digest, &n, EVP_sha256(), nullptr) != 1)
    throw Error("SHA-256 failed");
  return hex(digest, n);
}

}  // namespace onemap::auth
