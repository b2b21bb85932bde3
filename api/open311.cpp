// Open311 GeoReport v2 (open311.hpp).
#include "api/open311.hpp"

#include "api/json_body.hpp"
#include "api/media_api.hpp"
#include "http/deadline.hpp"
#include "http/multipart.hpp"
#include "http/percent.hpp"

#include "auth/read_policy.hpp"
#include "core/errors.hpp"
#include "core/time.hpp"
#include "layers/dispatch/workflow.hpp"
#include "spatial/chinacrs.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <ctime>
#include <set>

namespace onemap::api {

namespace {

using json = nlohmann::ordered_json;
using layers::json_text;
using layers::TextKind;
using Params = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view kPrefix = "/open311/v2/";

Open311Answer error_answer(int code, const std::string& description) {
  return {code, json_text(json::array({{{"code", code}, {"description", description}}})), {}};
}

// application/x-www-form-urlencoded: '+' is a space, %XX a byte.
Params parse_form(std::string_view body) {
  auto decode = [](std::string_view s) { return http::percent_decode(s, true, "body"); };
  Params out;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const std::string_view pair = body.substr(0, amp);
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    out.emplace_back(decode(pair.substr(0, eq)),
                     eq == std::string_view::npos ? std::string() : decode(pair.substr(eq + 1)));
  }
  return out;
}

// A JSON object body with the same keys as the form (numbers allowed for lat/long).
Params parse_json_object(std::string_view body) {
  const json j = parse_request_json<json>(body, "body");
  if (!j.is_object()) throw InvalidArgument("body", "must be a JSON object or a form");
  Params out;
  for (const auto& [k, v] : j.items()) {
    if (v.is_string())
      out.emplace_back(k, v.get<std::string>());
    else if (v.is_number())
      out.emplace_back(k, v.dump());
    else
      throw InvalidArgument(k, "must be a string or a number");
  }
  return out;
}

// The kind of each text parameter (layers/model/text.hpp has the rule and the limits).
TextKind text_kind(std::string_view name) {
  if (name == "description") return TextKind::FreeText;
  if (name == "media_url") return TextKind::Url;
  if (name == "address_string" || name == "api_key" || name == "email" || name == "first_name" ||
      name == "last_name" || name == "start_date" || name == "end_date" ||
      name == "service_request_id" || name == "service_code" || name == "status")
    return TextKind::Name;  // lists are comma-separated: longer than one id
  return TextKind::Id;
}

// Parameters by name, each known and given at most once, each value valid text for its kind.
class Args {
 public:
  Args(Params p, std::initializer_list<const char*> known) : p_(std::move(p)) {
    std::set<std::string> seen;
    for (const auto& [k, v] : p_) {
      layers::check_text(k, "parameter", TextKind::Id);  // a name is echoed: it must be text
      if (std::none_of(known.begin(), known.end(),
                       [&name = k](const char* n) { return name == n; })) {
        std::string list;
        for (const char* n : known) list += (list.empty() ? "" : ", ") + std::string(n);
        throw InvalidArgument(k, "unknown parameter (parameters: " + list + ")");
      }
      if (!seen.insert(k).second) throw InvalidArgument(k, "given more than once");
      layers::check_text(v, k, text_kind(k));
    }
  }
  std::optional<std::string> get(const char* k) const {
    for (const auto& [n, v] : p_)
      if (n == k) return v;
    return std::nullopt;
  }
  std::string text(const char* k) const { return get(k).value_or(""); }

 private:
  Params p_;
};

// The parameters of POST requests.json.
constexpr std::initializer_list<const char*> kPostParameters = {
    "api_key",   "jurisdiction_id", "service_code", "lat",
    "long",      "address_string",  "address_id",   "email",
    "device_id", "account_id",      "first_name",   "last_name",
    "phone",     "description",     "media_url",    "coordinate_system"};

double number(const Args& a, const char* k, double lo, double hi) {
  const auto v = a.get(k);
  if (!v || v->empty()) throw InvalidArgument(k, "is required (decimal degrees)");
  double d = 0;
  const auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), d);
  if (ec != std::errc() || p != v->data() + v->size() || !std::isfinite(d))
    throw InvalidArgument(k, "'" + *v + "' is not a number (decimal degrees)");
  if (d < lo || d > hi)
    throw InvalidArgument(k, "must be within [" + std::to_string(static_cast<int>(lo)) + ", " +
                                 std::to_string(static_cast<int>(hi)) + "]");
  return d;
}

bool gcj02(const Args& a) {
  const std::string cs = a.text("coordinate_system");
  if (cs.empty() || cs == "WGS84" || cs == "wgs84" || cs == "CGCS2000" || cs == "EPSG:4326" ||
      cs == "EPSG:4490")
    return false;
  if (cs == "GCJ02" || cs == "gcj02" || cs == "GCJ-02") return true;
  throw InvalidArgument("coordinate_system", "must be WGS84 (default), CGCS2000 or GCJ02");
}

std::string time_text(int64_t t) {
  return t ? layers::format_time(t) : std::string();
}

json service_json(const layers::CategoryConfig& c) {
  return {{"service_code", c.code},
          {"service_name", c.name_zh},
          {"description", c.name_en + " (" + c.cls + "; handled by " +
                              (c.grid_handled() ? std::string("the grid team") : c.handler) +
                              "; deadline " + c.deadline.text() + ")"},
          {"metadata", false},
          {"type", "realtime"},
          {"keywords", c.name_en},
          {"group", c.cls}};
}

// A request as `viewer` may read it (auth/read_policy.hpp): the description, the address given
// and the assignee are staff's (and the reporter's own). media_url: the first report photo's
// link (its public copy to the public), else the URL the report gave, which is staff's. The
// caller holds county.read().
json request_json(const layers::County& county, const layers::Incident& i, bool to_gcj02,
                  const auth::Viewer& viewer, const std::string& base_url) {
  const auth::Audience audience = auth::incident_audience(viewer, i);
  auto may = [&](std::string_view field) {
    return viewer.policy->reaches(audience, layers::LayerKind::Incidents, field);
  };
  const json extra = layers::stored_json<json>(i.extra);
  auto extra_text = [&](const char* k) -> json {
    return extra.is_object() && extra.contains(k) && extra[k].is_string() ? extra[k]
                                                                          : json(nullptr);
  };
  const layers::CategoryConfig* c = county.dispatch_config().find(i.category);
  layers::LonLat p = i.location;
  if (to_gcj02) p = spatial::wgs84_to_gcj02(p);
  std::string notes = i.status;
  if (!i.assignee.empty() && may("assignee")) notes += "; assigned to " + i.assignee;
  if (i.overdue) notes += "; overdue";
  if (!i.level.empty() && i.level != "grid") notes += "; level " + i.level;
  const std::string photo = report_photo_url(county, i, base_url);
  return {{"service_request_id", std::to_string(i.fid)},
          {"status", i.status == "closed" ? "closed" : "open"},
          {"status_notes", notes},
          {"service_name", c ? json(c->name_zh) : json(nullptr)},
          {"service_code", i.category},
          {"description", may("description") ? json(i.description) : json(nullptr)},
          {"agency_responsible", i.agency},
          {"service_notice", nullptr},
          {"requested_datetime", time_text(i.reported_at)},
          {"updated_datetime", i.updated_at ? json(time_text(i.updated_at)) : json(nullptr)},
          {"expected_datetime", i.deadline ? json(time_text(i.deadline)) : json(nullptr)},
          {"address", !may("description") ? json(nullptr)
                      : i.address.empty() ? extra_text("address")  // stored before 2026-12
                                          : json(i.address)},
          {"address_id", may("description") ? extra_text("address_id") : json(nullptr)},
          {"zipcode", nullptr},
          {"lat", p.lat},
          {"long", p.lon},
          {"media_url", !photo.empty()       ? json(photo)
                        : may("description") ? extra_text("media_url")
                                             : json(nullptr)}};
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const auto comma = s.find(',', start);
    std::string item =
        s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

Open311Answer services(const layers::County& county, const Open311Request& rq) {
  Args a(rq.query, {"jurisdiction_id"});
  json out = json::array();
  for (const auto& c : county.dispatch_config().categories) out.push_back(service_json(c));
  return {200, json_text(out), {}};
}

Open311Answer post_request(layers::County& county, const Open311Request& rq) {
  const Open311Post post = read_open311_body(rq.body, rq.content_type);
  std::string api_key;
  for (const auto& [k, v] : post.params)
    if (k == "api_key") api_key = v;
  const auto actor = rq.authenticate(api_key);
  if (!actor) throw Unauthorized("api_key: a request needs an api_key (or Authorization: Bearer)");
  layers::Report report = open311_incident(post.params, county.dispatch_config());
  // The photo is checked before the request is taken: a refused one refuses both.
  std::optional<layers::Media> photo;
  if (!post.media.empty()) photo = checked_upload(post.media, post.media_type, "report", "media");
  if (rq.place) rq.place(report);
  // A photo belongs to an incident: a request that will wait for the centre as a ticket (its
  // place unknown, its channel triaged) sends its photo once it is admitted.
  if (photo && !triage::reasons_to_wait(county.dispatch_config().triage, report.incident.source,
                                        report.placed, false)
                    .empty())
    throw InvalidArgument("media",
                          "this request waits for the command centre (its place or channel): "
                          "add the photo once it is admitted (POST /incidents/{id}/media)");
  const layers::Received got = county.receive(std::move(report), *actor);
  if (got.incident && photo) county.attach_media(got.incident->fid, std::move(*photo), *actor);
  if (got.ticket) {
    // GeoReport v2: a request that waits for the centre is answered with a token, which
    // tokens/{token}.json turns into its service_request_id once it is admitted or merged.
    const json body =
        json::array({{{"token", std::to_string(got.ticket->id)},
                      {"service_notice", "受理中：待指挥中心受理 (waiting for the command centre)"},
                      {"account_id", nullptr}}});
    return {202, json_text(body), {}};
  }
  const layers::Incident& out = *got.incident;
  const json notice = layers::stored_json<json>(out.dispatch_reason);
  json body = json::array(
      {{{"service_request_id", std::to_string(out.fid)},
        {"service_notice",
         notice.is_object() && notice.contains("text") ? notice["text"] : json(nullptr)},
        {"account_id", nullptr}}});
  return {201,
          json_text(body),
          {{"Location", "/open311/v2/requests/" + std::to_string(out.fid) + ".json"}}};
}

std::optional<int64_t> parse_date(const Args& a, const char* k) {
  const auto v = a.get(k);
  if (!v) return std::nullopt;
  const auto t = layers::parse_time(*v, 8 * 3600);
  if (!t)
    throw InvalidArgument(k,
                          "'" + *v + "' is not a W3C date-time (e.g. 2026-11-20T00:00:00+08:00)");
  return t;
}

// Whether `viewer` sees the request at all: the public not one of a sensitive category (counts
// only), unless it reported it.
bool visible(const layers::County& county, const layers::Incident& i, const auth::Viewer& viewer) {
  const layers::CategoryConfig* c = county.dispatch_config().find(i.category);
  return auth::may_see_incident(viewer, i, c && c->sensitive);
}

Open311Answer get_requests(const layers::County& county, const Open311Request& rq) {
  Args a(rq.query, {"api_key", "jurisdiction_id", "service_request_id", "service_code",
                    "start_date", "end_date", "status", "coordinate_system"});
  const auth::Viewer viewer = rq.policy->viewer(rq.authenticate(""));
  const bool to_gcj = gcj02(a);
  std::vector<int64_t> ids;
  for (const auto& s : split_list(a.text("service_request_id"))) {
    int64_t v = 0;
    const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || p != s.data() + s.size() || v <= 0)
      throw InvalidArgument("service_request_id", "'" + s + "' is not a request id");
    ids.push_back(v);
  }
  const auto codes = split_list(a.text("service_code"));
  const auto statuses = split_list(a.text("status"));
  for (const auto& s : statuses)
    if (s != "open" && s != "closed")
      throw InvalidArgument("status", "must be open, closed or both (comma-separated)");
  auto start = parse_date(a, "start_date");
  auto end = parse_date(a, "end_date");
  if (start && end && *end < *start) throw InvalidArgument("end_date", "is before start_date");
  json out = json::array();
  auto lock = county.read();
  const auto& incidents = county.data().incidents;
  if (!ids.empty()) {
    // By id: the other filters are ignored (GeoReport v2).
    for (int64_t id : ids)
      if (const layers::Incident* i = county.find_incident(id); i && visible(county, *i, viewer))
        out.push_back(request_json(county, *i, to_gcj, viewer, rq.base_url));
    return {200, json_text(out), {}};
  }
  // Without dates: the last 90 days; at most 1,000 requests, newest first.
  if (!start && !end) start = static_cast<int64_t>(std::time(nullptr)) - 90 * core::kSecondsPerDay;
  std::vector<const layers::Incident*> hits;
  for (std::size_t k = 0; k < incidents.size(); ++k) {
    http::poll_deadline(k);
    const layers::Incident& i = incidents[k];
    if (start && i.reported_at < *start) continue;
    if (end && i.reported_at > *end) continue;
    if (!codes.empty() && std::find(codes.begin(), codes.end(), i.category) == codes.end())
      continue;
    if (!visible(county, i, viewer)) continue;
    if (!statuses.empty()) {
      const std::string st = i.status == "closed" ? "closed" : "open";
      if (std::find(statuses.begin(), statuses.end(), st) == statuses.end()) continue;
    }
    hits.push_back(&i);
  }
  std::sort(hits.begin(), hits.end(), [](const layers::Incident* x, const layers::Incident* y) {
    return x->reported_at != y->reported_at ? x->reported_at > y->reported_at : x->fid > y->fid;
  });
  if (hits.size() > 1000) hits.resize(1000);
  for (const auto* i : hits) out.push_back(request_json(county, *i, to_gcj, viewer, rq.base_url));
  return {200, json_text(out), {}};
}

Open311Answer get_request(const layers::County& county, const Open311Request& rq,
                          std::string_view id_text) {
  Args a(rq.query, {"api_key", "jurisdiction_id", "coordinate_system"});
  int64_t id = 0;
  const auto [p, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc() || p != id_text.data() + id_text.size() || id <= 0)
    throw NotFound("service_request_id: no request '" + std::string(id_text) + "'");
  const layers::Incident i = county.incident(id);  // NotFound when unknown
  const auth::Viewer viewer = rq.policy->viewer(rq.authenticate(""));
  if (!visible(county, i, viewer))
    throw NotFound("service_request_id: no request '" + std::string(id_text) + "'");
  const bool to_gcj = gcj02(a);
  auto lock = county.read();
  json out = json::array({request_json(county, i, to_gcj, viewer, rq.base_url)});
  return {200, json_text(out), {}};
}

// GeoReport v2 tokens/{token}.json: the request a waiting report became. Its reporter's api_key
// or a centre user's reads it; to anyone else there is no such token.
Open311Answer get_token(const layers::County& county, const Open311Request& rq,
                        std::string_view token) {
  Args a(rq.query, {"api_key", "jurisdiction_id"});
  const std::string not_found = "token: no token '" + std::string(token) + "'";
  int64_t id = 0;
  const auto [p, ec] = std::from_chars(token.data(), token.data() + token.size(), id);
  if (ec != std::errc() || p != token.data() + token.size() || id <= 0) throw NotFound(not_found);
  const auto actor = rq.authenticate(a.text("api_key"));
  const layers::Ticket t = county.ticket(id);
  if (!actor || (actor->id != t.reporter && !triage::may_see_ticket(*actor, t)))
    throw NotFound(not_found);
  // Admitted or merged: the request it is, or joined; rejected or waiting: none.
  const bool has_request = t.state == "admitted" || t.state == "merged";
  json out = json::array(
      {{{"service_request_id", has_request ? json(std::to_string(t.incident)) : json(nullptr)},
        {"token", std::to_string(t.id)}}});
  return {200, json_text(out), {}};
}

}  // namespace

Open311Post read_open311_body(std::string_view body, std::string_view content_type) {
  const std::string type = http::ascii_lower(content_type.substr(0, content_type.find(';')));
  if (type.find("multipart/") == std::string::npos)
    return {read_open311_post(body, content_type), {}, {}};
  Open311Post out;
  for (const http::FormPart& part :
       http::parse_multipart(body, http::multipart_boundary(content_type))) {
    if (part.name == "media" && part.is_file) {
      if (!out.media.empty()) throw InvalidArgument("media", "given more than once");
      if (part.data.empty()) throw InvalidArgument("media", "the file is empty");
      out.media = part.data;
      // Only the three image types name the format; anything else lets the bytes say it.
      if (part.content_type == "image/jpeg" || part.content_type == "image/png" ||
          part.content_type == "image/webp")
        out.media_type = part.content_type;
      continue;
    }
    layers::check_text(part.name, "parameter", TextKind::Id);  // a name is echoed: it must be text
    if (part.is_file) throw InvalidArgument(part.name, "a file is taken only as media (a photo)");
    out.params.emplace_back(part.name, std::string(part.data));
  }
  const Args checked(out.params, kPostParameters);
  return out;
}

Open311Params read_open311_post(std::string_view body, std::string_view content_type) {
  const bool is_json = content_type.find("json") != std::string_view::npos;
  Params params = is_json ? parse_json_object(body) : parse_form(body);
  const Args checked(params, kPostParameters);
  return params;
}

layers::Report open311_incident(const Open311Params& params, const layers::DispatchConfig& config) {
  const Args a(params, kPostParameters);
  const std::string code = a.text("service_code");
  if (code.empty()) throw InvalidArgument("service_code", "is required (see services.json)");
  if (!config.categories.empty() && !config.find(code))
    throw InvalidArgument("service_code",
                          "unknown service_code '" + code + "' (see services.json)");
  layers::Report report;
  layers::Incident& in = report.incident;
  in.address = a.text("address_string");
  if (a.get("lat") || a.get("long")) {
    layers::LonLat p{number(a, "long", -180, 180), number(a, "lat", -90, 90)};
    if (gcj02(a)) p = spatial::gcj02_to_wgs84(p);
    in.location = p;
    report.placed = true;
    report.located_by = "reporter";
  } else if (in.address.empty()) {
    throw InvalidArgument("lat", "lat and long, or an address_string, are required");
  }
  in.category = code;
  in.description = a.text("description");
  in.source = "open311";
  json extra = json::object();
  for (const char* k : {"address_id", "media_url", "device_id", "account_id"})
    if (const auto v = a.get(k); v && !v->empty()) extra[k] = *v;
  json contact = json::object();
  for (const char* k : {"email", "first_name", "last_name", "phone"})
    if (const auto v = a.get(k); v && !v->empty()) contact[k] = *v;
  if (!contact.empty()) extra["contact"] = contact;
  if (!extra.empty()) in.extra = json_text(extra);
  return report;
}

bool is_open311_path(std::string_view path) {
  return path.rfind("/open311/", 0) == 0;
}

// GeoReport v2 service discovery: the one endpoint, its specification and formats.
Open311Answer discovery(const Open311Request& rq) {
  // When this endpoint last changed in a way clients see (GeoReport's "changeset").
  constexpr const char* kChangeset = "2026-12-07T00:00:00Z";
  json j = {{"changeset", kChangeset},
            {"contact", "the county's command centre"},
            {"key_service",
             "an api_key is a user's token: the administrator issues one per reporting channel "
             "(onemap user add --role reporter)"},
            {"endpoints", json::array({{{"specification", "http://wiki.open311.org/GeoReport_v2"},
                                        {"url", rq.base_url + "/open311/v2"},
                                        {"changeset", kChangeset},
                                        {"type", "production"},
                                        {"formats", json::array({"application/json"})}}})}};
  return {200, json_text(j), {}};
}

Open311Answer handle_open311(layers::County& county, const Open311Request& rq) {
  try {
    const bool get_discovery = rq.method == "GET" || rq.method == "HEAD";
    if (rq.path == "/open311/discovery.json" || rq.path == "/open311/v2/discovery.json") {
      if (!get_discovery) throw NotFound("discovery.json is read with GET");
      return discovery(rq);
    }
    if (rq.path.rfind(kPrefix, 0) != 0)
      throw NotFound("no resource at " + std::string(rq.path) +
                     " (Open311 GeoReport v2 is at /open311/v2/)");
    const std::string_view rest = rq.path.substr(kPrefix.size());
    const bool get = rq.method == "GET" || rq.method == "HEAD";
    auto not_allowed = [&](const char* allow) {
      Open311Answer a = error_answer(405, "method " + std::string(rq.method) +
                                              " is not allowed here (allowed: " + allow + ")");
      a.headers.emplace_back("Allow", allow);
      return a;
    };
    if (rest == "services.json") return get ? services(county, rq) : not_allowed("GET, HEAD");
    if (rest == "requests.json") {
      if (rq.method == "POST") return post_request(county, rq);
      return get ? get_requests(county, rq) : not_allowed("GET, HEAD, POST");
    }
    if (rest.rfind("requests/", 0) == 0 && rest.size() > 14 &&
        rest.substr(rest.size() - 5) == ".json") {
      if (!get) return not_allowed("GET, HEAD");
      return get_request(county, rq, rest.substr(9, rest.size() - 14));
    }
    if (rest.rfind("tokens/", 0) == 0 && rest.size() > 12 &&
        rest.substr(rest.size() - 5) == ".json") {
      if (!get) return not_allowed("GET, HEAD");
      return get_token(county, rq, rest.substr(7, rest.size() - 12));
    }
    if (rest.rfind("services/", 0) == 0)
      throw NotFound(
          "service definitions: no service has attributes (metadata is false for every service)");
    throw NotFound(
        "no resource at " + std::string(rq.path) +
        " (services.json, requests.json, requests/{id}.json, discovery.json; only the JSON format "
        "is offered)");
  } catch (const InvalidArgument& e) {
    return error_answer(400, e.parameter() + ": " + e.detail());
  } catch (const Unauthorized& e) {
    return error_answer(401, e.what());
  } catch (const Forbidden& e) {
    return error_answer(403, e.what());
  } catch (const NotFound& e) {
    return error_answer(404, e.what());
  } catch (const Conflict& e) {
    return error_answer(409, e.what());
  }
}

}  // namespace onemap::api
