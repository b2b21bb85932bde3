// The JSON answer of an endpoint whose content depends on who asks or what was just written:
// never kept by a cache.
#pragma once

#include "http/message.hpp"
#include "layers/model/text.hpp"

#include <nlohmann/json.hpp>

namespace onemap::api {

inline http::Response no_store_json(int status, const nlohmann::ordered_json& body) {
  http::Response r;
  r.status = status;
  r.body = layers::json_text(body);
  r.set_header("Cache-Control", "no-store");
  return r;
}

}  // namespace onemap::api
