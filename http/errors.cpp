// The error table (errors.hpp).
#include "http/errors.hpp"

#include "core/errors.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace onemap::http {

const ErrorKind& error_kind(std::string_view code) {
  for (const auto& k : kErrorTable)
    if (k.code == code) return k;
  return *std::find_if(std::begin(kErrorTable), std::end(kErrorTable),
                       [](const ErrorKind& k) { return k.code == "internal"; });
}

ApiError make_error(std::string_view code, std::string message, std::string parameter) {
  const ErrorKind& k = error_kind(code);
  ApiError e;
  e.code = std::string(k.code);
  e.status = k.status;
  e.message = std::move(message);
  e.parameter = std::move(parameter);
  return e;
}

ApiError error_from(const std::exception& e) {
  if (const auto* f = dynamic_cast<const InvalidFeature*>(&e)) {
    ApiError a = make_error(f->code(), f->detail(), f->parameter());
    a.index = f->index();
    a.reason = f->reason();
    return a;
  }
  if (const auto* ia = dynamic_cast<const InvalidArgument*>(&e))
    return make_error(ia->code(), ia->detail(), ia->parameter());
  if (const auto* p = dynamic_cast<const PreconditionFailed*>(&e)) {
    ApiError a = make_error(p->code(), p->what(), "If-Match");
    a.etag = p->etag();
    return a;
  }
  if (const auto* m = dynamic_cast<const MethodNotAllowed*>(&e)) {
    ApiError a = make_error(m->code(), m->what());
    a.allow = m->allow();
    return a;
  }
  if (const auto* t = dynamic_cast<const TooManyRequests*>(&e)) {
    ApiError a = make_error(t->code(), t->what(), t->parameter());
    a.retry_after = t->retry_after();
    return a;
  }
  if (const auto* f = dynamic_cast<const Forbidden*>(&e))
    return make_error(f->code(), f->what(), f->parameter());
  if (const auto* c = dynamic_cast<const Conflict*>(&e))
    return make_error(c->code(), c->what(), c->parameter());
  if (const auto* oe = dynamic_cast<const Error*>(&e)) {
    ApiError a = make_error(oe->code(), oe->what());
    if (a.status >= 500 && a.code != "unavailable") {
      a.log_detail = e.what();
      a.message.clear();
    }
    return a;
  }
  ApiError a = make_error("internal", "");
  a.log_detail = e.what();
  return a;
}

Response error_response(const ApiError& e, ErrorFormat format, std::string_view request_id) {
  using json = nlohmann::ordered_json;
  std::string message = e.message;
  if (e.status == 500 || message.empty())
    message = e.status == 500 ? "internal error: the server's log has it under request id " +
                                    std::string(request_id)
                              : std::string(error_kind(e.code).meaning);
  Response r;
  r.status = e.status;
  if (format == ErrorFormat::Open311) {
    json item = {{"code", e.status},
                 {"description", e.parameter.empty() ? message : e.parameter + ": " + message}};
    r.body = json::array({item}).dump(-1, ' ', false, json::error_handler_t::replace);
  } else {
    json err = {{"code", e.code}, {"status", e.status}, {"message", message}};
    if (!e.parameter.empty()) err["parameter"] = e.parameter;
    if (e.index) {
      err["index"] = *e.index;
      err["reason"] = e.reason;
    }
    if (e.status == 412) err["etag"] = e.etag.empty() ? json(nullptr) : json(e.etag);
    err["request_id"] = request_id;
    r.body = json{{"error", err}}.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  r.set_header("X-Request-Id", std::string(request_id));
  if (e.status == 503 || e.status == 429)
    r.set_header("Retry-After", std::to_string(std::max<int64_t>(e.retry_after, 1)));
  if (!e.etag.empty()) r.set_header("ETag", e.etag);
  if (!e.allow.empty()) r.set_header("Allow", e.allow);
  if (e.status == 401) r.set_header("WWW-Authenticate", "Bearer realm=\"onemap\"");
  return r;
}

}  // namespace onemap::http
