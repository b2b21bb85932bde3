// The one check of an error answer, in-process or over TCP alike.
#pragma once

#include "tests/support/http_client.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace onemap::testing {

/// expect_error's `code` for an answer in Open311's form.
inline constexpr std::string_view kOpen311 = "open311";

/// Checks that `r` is an error answer of the error table (http/errors.hpp) with `status`: valid
/// UTF-8 JSON, and either
///   onemap's {"error":{"code","status","message","parameter"?,"request_id"}}: Content-Type
///   application/json; the code `code` (when empty: any code of the table with this status); this
///   status; a message; the request id of X-Request-Id; error.parameter == `parameter` when
///   `parameter` is not empty;
/// or Open311's [{"code":status,"description":…}], whose description starts with "PARAMETER:"
/// when `parameter` is not empty; `code` kOpen311 requires this form (Open311 has no codes but
/// the status).
void expect_error(const HttpResponse& r, int status, std::string_view code = {},
                  std::string_view parameter = {});

/// A GET that must fail: its target, and the answer as expect_error takes it (code and
/// parameter are string literals or kOpen311).
struct ErrorCase {
  std::string target;
  int status;
  std::string_view code;
  std::string_view parameter;
};

/// GETs each case's target with `client` (signed in with `token` when it is not empty) and checks
/// the answer with expect_error, naming the target of a case that fails.
void expect_errors(Client& client, const std::vector<ErrorCase>& cases,
                   const std::string& token = "");

}  // namespace onemap::testing
