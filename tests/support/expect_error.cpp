// The one check of an error answer (expect_error.hpp).
#include "tests/support/expect_error.hpp"

#include "http/errors.hpp"
#include "layers/model/text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace onemap::testing {

void expect_error(const HttpResponse& r, int status, std::string_view code,
                  std::string_view parameter) {
  const std::string shown = r.body.substr(0, 300);
  EXPECT_EQ(r.status, status) << shown;
  ASSERT_TRUE(layers::is_valid_utf8(r.body)) << shown;
  const nlohmann::json j = nlohmann::json::parse(r.body, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << shown;
  if (code == kOpen311) {
    ASSERT_TRUE(j.is_array()) << shown;
  }
  if (j.is_array()) {  // Open311
    ASSERT_EQ(j.size(), 1u) << shown;
    EXPECT_EQ(j[0]["code"], status) << shown;
    const std::string d = j[0].value("description", "");
    if (!parameter.empty()) {
      EXPECT_EQ(d.rfind(std::string(parameter) + ":", 0), 0u) << d;
    }
    return;
  }
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  ASSERT_TRUE(j.contains("error") && j["error"].is_object()) << shown;
  const nlohmann::json& e = j["error"];
  EXPECT_EQ(e.value("status", 0), status) << shown;
  const std::string got = e.value("code", "");
  if (!code.empty()) {
    EXPECT_EQ(got, code) << shown;
  }
  // The code alone decides the status.
  EXPECT_EQ(http::error_kind(got).code, got) << shown;
  EXPECT_EQ(http::error_kind(got).status, status) << shown;
  EXPECT_FALSE(e.value("message", "").empty()) << shown;
  EXPECT_EQ(e.value("request_id", ""), r.header("X-Request-Id")) << shown;
  if (!parameter.empty()) {
    EXPECT_EQ(e.value("parameter", ""), parameter) << shown;
  }
}

void expect_errors(Client& client, const std::vector<ErrorCase>& cases, const std::string& token) {
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.target);
    expect_error(client.get(c.target, token), c.status, c.code, c.parameter);
  }
}

}  // namespace onemap::testing
