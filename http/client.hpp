// The one outbound HTTP client: a POST to an http:// URL (a webhook, the SMS gateway), over a
// socket of its own, for the status only. No TLS: a subscriber outside the county's network is
// reached through a local relay (README "Push, never poll").
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onemap::http {

/// What a POST came to: the status of the answer, or 0 and why there was none.
struct PostResult {
  int status = 0;
  std::string error;  ///< when status is 0: the connection failed, timed out, or the URL is bad
  bool ok() const { return status >= 200 && status < 300; }
};

/// POSTs `body` to `url` ("http://host[:port]/path") with `headers` (Host, Content-Length and
/// Connection: close are added), waiting at most `timeout` in all. Never throws.
PostResult post(const std::string& url, std::string_view body,
                const std::vector<std::pair<std::string, std::string>>& headers,
                std::chrono::milliseconds timeout);

}  // namespace onemap::http
