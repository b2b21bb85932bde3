// The onemap layer model (see README "Data model"): grids at every level, households,
// enterprises, incidents and grid team members, held in memory as plain arrays.
//
// Every coordinate is CGCS2000 lon/lat (EPSG:4490). Every point record carries its grid join:
// the 15-digit code of the grid that holds it and how it was found.
#pragma once

#include "spatial/geometry.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace onemap::layers {

using spatial::LonLat;
using spatial::MultiPolygon;

enum class LayerKind { Grids, Households, Enterprises, Incidents, Workers };
inline constexpr LayerKind kAllLayers[] = {LayerKind::Grids, LayerKind::Households,
                                           LayerKind::Enterprises, LayerKind::Incidents,
                                           LayerKind::Workers};
/// "grids", "households", "enterprises", "incidents", "workers" (also the store's table names).
std::string_view layer_name(LayerKind k);
/// One record of the layer: "grid", "household", "enterprise", "incident", "worker".
std::string_view record_name(LayerKind k);
/// @throws InvalidArgument("layer", …) for an unknown name.
LayerKind layer_from_name(std::string_view name);

/// Administrative level of a grid polygon. Codes: county 6 digits, town 9, village 12, grid 15,
/// micro-grid 18 (grid code + 3 digits).
enum class GridLevel { County = 0, Town = 1, Village = 2, Grid = 3, MicroGrid = 4 };
std::string_view level_name(GridLevel l);  ///< "county", "town", "village", "grid", "microgrid"
GridLevel level_from_name(std::string_view name);  ///< @throws InvalidArgument
std::size_t code_length(GridLevel l);              ///< 6, 9, 12, 15, 18
/// The level a code's length implies; nullopt when the length matches none.
std::optional<GridLevel> level_from_code(std::string_view code);

/// How a point was tied to its grid.
enum class JoinKind : uint8_t {
  Contained = 0,   ///< inside a grid (boundary rule of spatial/predicates.hpp)
  Nearest = 1,     ///< outside every grid, nearest grid within the configured distance
  Unassigned = 2,  ///< no grid within the distance; grid_code is empty
};
std::string_view join_kind_name(JoinKind k);  ///< "contained", "nearest", "unassigned"

/// The value of a field a county added to a layer (schema.hpp), held by each record.
using AttributeValue = std::variant<std::monostate, std::string, int64_t, double, bool>;
using Attributes = std::vector<AttributeValue>;

struct GridJoin {
  std::string grid_code;
  JoinKind kind = JoinKind::Unassigned;
  double distance_m = 0;  ///< 0 when contained; distance to the chosen grid when nearest
};

struct Grid {
  int64_t fid = 0;  ///< stable integer feature id (store primary key)
  std::string code;
  std::string name;
  GridLevel level = GridLevel::Grid;
  std::string parent_code;  ///< empty for the top level
  MultiPolygon geometry;
  double area_m2 = 0;      ///< computed in a projected CRS (spatial::area_m2)
  bool synthetic = false;  ///< boundary generated, not surveyed (demo data)
  Attributes attributes;   ///< the county's own fields (schema.hpp)
};

/// Household flags (bit set). Sensitive flags are never shown to the public.
enum HouseholdFlag : uint32_t {
  kRental = 1u << 0,           ///< 出租房
  kElderlyAlone = 1u << 1,     ///< 空巢/独居老人
  kMigrants = 1u << 2,         ///< 流动人口
  kPersonOfConcern = 1u << 3,  ///< 重点人员 (sensitive)
  kLowIncome = 1u << 4,        ///< 低保户 (sensitive)
  kDisability = 1u << 5,       ///< 残疾人 (sensitive)
};
inline constexpr uint32_t kSensitiveHouseholdFlags = kPersonOfConcern | kLowIncome | kDisability;

struct Household {
  int64_t fid = 0;
  std::string id;  ///< household number from the source
  std::string address;
  int members = 0;
  uint32_t flags = 0;
  LonLat location;
  GridJoin join;
  std::string extra;      ///< source attributes not mapped to a field, as a JSON object text
  Attributes attributes;  ///< the county's own fields (schema.hpp)
  // Personal information (PIPL): never in public outputs.
  std::string head_name;
  std::string phone;
  std::string id_number;
};

/// Enterprise safety risk level: 重大/较大/一般/低 shown 红/橙/黄/蓝.
enum class RiskLevel : uint8_t { Major = 1, Significant = 2, General = 3, Low = 4 };
std::string_view risk_name(RiskLevel r);  ///< "major", "significant", "general", "low"
RiskLevel risk_from_name(std::string_view);  ///< accepts names, 1-4, 重大/较大/一般/低, 红/橙/黄/蓝

struct Enterprise {
  int64_t fid = 0;
  std::string id;
  std::string name;
  std::string industry;
  RiskLevel risk = RiskLevel::Low;
  bool hazardous_chemicals = false;
  std::string last_inspection;  ///< ISO date, may be empty
  int open_hazards = 0;
  LonLat location;
  GridJoin join;
  std::string extra;      ///< source attributes not mapped to a field, as a JSON object text
  Attributes attributes;  ///< the county's own fields (schema.hpp)
};

struct Incident {
  int64_t fid = 0;
  std::string id;        ///< source id (e.g. hotline ticket number)
  std::string category;  ///< category code (configuration)
  std::string description;
  std::string address;  ///< where the reporter said it is, as written ("" when not given)
  std::string source;   ///< channel: grid_app, hotline_12345, resident_app, sms, petition, other
  int64_t reported_at = 0;  ///< Unix seconds, UTC
  std::string
      status;  ///< reported, dispatched, accepted, in_progress, resolved, verified, closed, …
  int64_t closed_at = 0;  ///< Unix seconds, 0 when open
  std::string assignee;   ///< worker id, may be empty
  // The closed loop (layers/dispatch/workflow.hpp).
  int64_t deadline = 0;  ///< Unix seconds by which it must be resolved; 0 when none is set
  std::string
      agency;  ///< who is responsible: a grid, village, town or county code, or a department
  /// A joint case's other agencies (co-handlers, summoned), their codes separated by commas; ""
  /// for a case one agency holds. Kept in step with its tasks (layers/model/task.hpp).
  std::string co_agencies;
  std::string level;     ///< escalation level: "grid" (or empty), "village", "town", "county"
  bool overdue = false;  ///< its deadline passed before it was resolved (set by the overdue sweep)
  int64_t version = 0;   ///< bumped by every change (the ETag of the record)
  int64_t updated_at = 0;       ///< Unix seconds of the last change
  std::string reporter;         ///< the user who reported it (personal: not public)
  std::string handler;          ///< the user who resolved it
  std::string dispatch_reason;  ///< why it went where it went, a JSON object text
  LonLat location;
  GridJoin join;
  std::string extra;      ///< source attributes not mapped to a field, as a JSON object text
  Attributes attributes;  ///< the county's own fields (schema.hpp)
};

/// Whether a record's grid or agency `code` lies within a user's `scope`: an area code holds the
/// codes that start with it (its grids, and its town's units "330521005.城发办"); any other scope
/// (a department's) holds its own code only. An empty code lies in no scope.
inline bool within_scope(std::string_view code, std::string_view scope) {
  if (code.empty()) return false;
  if (scope.find_first_not_of("0123456789") != std::string_view::npos) return code == scope;
  return code.starts_with(scope);
}

/// The codes of a list of agencies separated by commas (Incident::co_agencies).
inline std::vector<std::string_view> agency_list(std::string_view list) {
  std::vector<std::string_view> out;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    out.push_back(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return out;
}

/// One step of an incident's audit trail: who did what, when, from which state to which.
struct IncidentEvent {
  int64_t incident = 0;  ///< the incident's fid
  int64_t seq = 0;       ///< 1, 2, … per incident
  int64_t at = 0;        ///< Unix seconds
  std::string actor;     ///< user id, or "system"
  std::string action;    ///< report, dispatch, accept, start, resolve, verify, close, return,
                         ///< escalate, reopen, edit
  std::string from, to;  ///< states before and after (equal for an edit that kept the state)
  std::string note;
  std::string detail;  ///< JSON object text (assignee, reason, escalation level…), may be empty
};

/// A user of the API: grid team members (linked to a worker record), command-centre staff,
/// department staff, reporting channels and administrators, each with an area scope.
struct User {
  std::string id;  ///< unique, e.g. "zhangsan" or a worker id
  std::string name;
  std::string role;  ///< admin, centre, department, worker, reporter (layers/dispatch/workflow.hpp)
  std::string scope;  ///< area code (6/9/12/15 digits; empty: the whole county) or, for department
                      ///< staff, the department
  std::string worker_id;   ///< the worker record of a grid team member
  std::string token_hash;  ///< SHA-256 of the bearer token, hex
  int64_t created_at = 0;
  bool active = true;
};

/// One row of the audit of personal data and of user changes (the store's audit_log table):
/// who read which personal fields of which records, or changed which user, when and from where.
/// Never holds a token or a personal value, only the names of the fields.
struct AuditRecord {
  int64_t id = 0;  ///< assigned by the store, increasing
  int64_t at = 0;  ///< Unix seconds
  std::string
      actor;  ///< the user id ("admin" for the server's token, "cli:<login>" for `onemap user`)
  std::string role;     ///< the actor's role ("cli" for the command line)
  std::string action;   ///< read_personal, write_personal, user_create, user_change, user_disable,
                        ///< user_enable, token_rotate
  std::string layer;    ///< households, incidents, workers, users
  std::string records;  ///< JSON array of the records' ids (feature ids, or user ids)
  std::string fields;   ///< JSON array of the fields read or changed
  std::string peer;     ///< the client's address ("local" for the command line)
  std::string request_id;  ///< the request's X-Request-Id ("" for the command line)
  std::string
      detail;  ///< JSON object text (a user change: {"role":["centre","worker"]}), may be empty
};

/// A selection of audit rows, newest first.
struct AuditQuery {
  int64_t from = 0, to = 0;  ///< at in [from, to] (Unix seconds; 0: unbounded)
  std::string actor;         ///< only this actor ("" for all)
  std::string action;        ///< only this action ("" for all)
  std::size_t limit = 100, offset = 0;
};

struct AuditPage {
  std::vector<AuditRecord> rows;  ///< newest first
  std::size_t total = 0;          ///< rows the query selects, before limit and offset
};

/// Roles of the "1+3+N" grid team.
enum class WorkerRole : uint8_t { GridHead, FullTime, PartTime, Cadre, AuxPolice, Other };
std::string_view role_name(
    WorkerRole r);  ///< grid_head, full_time, part_time, cadre, aux_police, other
WorkerRole role_from_name(
    std::string_view);  ///< also accepts 网格长 专职网格员 兼职网格员 包联干部 网格指导员 辅警

struct Worker {
  int64_t fid = 0;
  std::string worker_id;
  std::string name;
  WorkerRole role = WorkerRole::Other;
  std::string grid_code;  ///< the team they belong to (from the source, not from location)
  LonLat location;        ///< last known position
  bool on_duty = true;
  GridJoin join;  ///< where the location falls
  std::string extra;
  Attributes attributes;  ///< the county's own fields (schema.hpp)
};

/// All layers of one county, in memory.
struct Dataset {
  std::vector<Grid> grids;
  std::vector<Household> households;
  std::vector<Enterprise> enterprises;
  std::vector<Incident> incidents;
  std::vector<Worker> workers;

  std::size_t count(LayerKind k) const;
  /// The records of type T (Grid, Household, Enterprise, Incident or Worker).
  template <class T>
  std::vector<T>& of() {
    if constexpr (std::is_same_v<T, Grid>)
      return grids;
    else if constexpr (std::is_same_v<T, Household>)
      return households;
    else if constexpr (std::is_same_v<T, Enterprise>)
      return enterprises;
    else if constexpr (std::is_same_v<T, Incident>)
      return incidents;
    else
      return workers;
  }
  template <class T>
  const std::vector<T>& of() const {
    return const_cast<Dataset*>(this)->of<T>();
  }
  /// Calls f with the records of layer k (their vector) and returns what f returns.
  template <class F>
  decltype(auto) visit(LayerKind k, F&& f) {
    switch (k) {
      case LayerKind::Households:
        return f(households);
      case LayerKind::Enterprises:
        return f(enterprises);
      case LayerKind::Incidents:
        return f(incidents);
      case LayerKind::Workers:
        return f(workers);
      case LayerKind::Grids:
        break;
    }
    return f(grids);
  }
  template <class F>
  decltype(auto) visit(LayerKind k, F&& f) const {
    return const_cast<Dataset*>(this)->visit(
        k, [&](auto& v) -> decltype(auto) { return f(std::as_const(v)); });
  }
};

/// The lon/lat extent of the grids' outlines (an inverted box when there is none).
spatial::Box grids_extent(const std::vector<Grid>& grids);
/// The lon/lat extent of a layer (grids: their outlines; points: their finite positions); an
/// inverted box when there is none.
spatial::Box layer_extent(const Dataset& d, LayerKind k);

/// "MultiPolygon" for grids, "Point" for the rest.
std::string_view geometry_type(LayerKind k);

/// Converts ISO 8601 ("2025-03-24T23:33:07Z", "2025-03-24 23:33:07", "2025-03-24", with an
/// optional offset) or "MM/DD/YYYY hh:mm:ss AM" to Unix seconds; nullopt when unparseable.
/// A time without an offset is taken as `default_utc_offset_s` (China: +8 h).
std::optional<int64_t> parse_time(std::string_view text, int default_utc_offset_s = 8 * 3600);
/// The window a time a request reports must lie in: from 2000-01-01T00:00:00Z to 5 minutes past
/// the server's clock (imports of historical data are not bound by it).
inline constexpr int64_t kEarliestRequestTime = 946'684'800;
inline constexpr int64_t kRequestClockSkew = 300;
/// A time a request reports (an incident's reported_at, a sweep's at): parse_time's forms, within
/// [kEarliestRequestTime, now + kRequestClockSkew]; `now` 0: the clock.
/// @throws InvalidArgument (parameter) for text that is no time, or a time outside the window.
int64_t parse_request_time(std::string_view text, const std::string& parameter, int64_t now = 0);
/// Unix seconds → "2025-03-24T15:33:07Z".
std::string format_time(int64_t unix_seconds);

/// format_time's text in a fixed buffer (no allocation; for formatting many times in a loop).
struct TimeText {
  char text[20];
  std::string_view view() const { return {text, sizeof text}; }
};
TimeText time_text(int64_t unix_seconds);

}  // namespace onemap::layers
