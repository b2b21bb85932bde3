// Residents' sign-in by phone over HTTP (auth/residents.hpp):
//
//   POST /residents/code   {"phone": "13812345678"}  → 202 {"phone": "138****5678",
//                          "expires_in": 600, "resend_after": 60}; the code goes to the phone
//                          through the SMS gateway (`onemap webhook add --kind sms`); 429 with
//                          Retry-After when asked again too soon
//   POST /residents/token  {"phone", "code"}  → 200 {"token": "rs_…", "phone", "expires_at"}
//
// With the token a resident reports (POST /incidents: its phone becomes the case's contact, so
// that it hears of it by SMS), adds photos to its reports and follows them (GET /users/me/reports).
// Both endpoints are public, and neither says whether a phone reported before.
#pragma once

#include "auth/residents.hpp"
#include "http/router.hpp"

#include <memory>

namespace onemap::api {

/// Adds the routes above to `router`.
void add_resident_routes(http::Router& router, const std::shared_ptr<auth::Residents>& residents);

}  // namespace onemap::api
