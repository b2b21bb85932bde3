// Incident statistics (GET /collections/incidents/stats): counts in a window and the window
// before it by area x category x status, with the closed loop's figures and the rising areas.
#include "api/features_internal.hpp"
#include "api/loop_json.hpp"

#include "api/geojson_writer.hpp"
#include "api/item_query.hpp"
#include "core/errors.hpp"
#include "http/deadline.hpp"
#include "layers/dispatch/workflow.hpp"
#include "layers/query/feature_query.hpp"

#include <algorithm>
#include <ctime>
#include <tuple>
#include <unordered_map>

namespace onemap::api::features {

GridGroups::GridGroups(const std::vector<layers::Grid>& grids, layers::GridLevel level)
    : level_(level) {
  for (const auto& g : grids) by_code_[g.code] = &g;
}

const layers::Grid* GridGroups::operator()(const std::string& code) {
  if (code.empty()) return nullptr;
  if (auto it = group_of_.find(code); it != group_of_.end()) return it->second;
  const layers::Grid* g = nullptr;
  for (auto it = by_code_.find(code); it != by_code_.end();
       it = by_code_.find(it->second->parent_code)) {
    if (it->second->level == level_) {
      g = it->second;
      break;
    }
    if (it->second->parent_code.empty()) break;
  }
  group_of_[code] = g;
  return g;
}

HttpAnswer stats(const Context& ctx, const QueryParameters& query, const auth::ReadPolicy& policy) {
  // The window and filters: datetime (both ends), area, bbox; the grouping level; how many
  // rising areas to list.
  QueryParameters item_params;
  layers::GridLevel level = layers::GridLevel::Town;
  std::size_t top = 10;
  bool has_datetime = false;
  for (const auto& [k, v] : query) {
    if (k == "group_by") {
      level = parse_level(k, v);
    } else if (k == "f") {
      check_format(v);
    } else if (k == "top") {
      top = static_cast<std::size_t>(std::min<uint64_t>(parse_count(k, v, 0), 1000));
    } else if (k == "datetime" || k == "area" || k == "bbox" || k == "bbox-crs") {
      has_datetime = has_datetime || k == "datetime";
      item_params.emplace_back(k, v);
    } else {
      throw InvalidArgument(k,
                            "unknown query parameter for stats (parameters: datetime, area, bbox, "
                            "bbox-crs, group_by, top)");
    }
  }
  if (!has_datetime) throw InvalidArgument("datetime", "is required: the window, start/end");
  // Counts for everyone: the window and area take no field a policy could close.
  ItemQuery q = parse_items_query(item_params, LayerKind::Incidents, ctx.options,
                                  auth::Audience::Public, policy);
  if (!q.since || !q.until)
    throw InvalidArgument("datetime", "the window needs both ends (start/end)");
  // The previous window: as long, just before (closed intervals of whole seconds).
  const int64_t length = *q.until - *q.since + 1;
  ItemQuery prev = q;
  prev.since = *q.since - length;
  prev.until = *q.since - 1;

  // The reports the centre rejected or merged are no incidents: counted apart, before the read
  // lock (ticket_counts takes its own).
  const layers::TicketCounts tickets =
      ctx.county->ticket_counts(q.area ? q.area->second : std::string(), *q.since, *q.until + 1);
  auto lock = ctx.county->read();
  const layers::Dataset& d = ctx.county->data();
  if (q.area)
    prev.area_box = q.area_box =
        layers::resolve_area(q, d.grids, ctx.county->join_options().max_distance_m);
  prev.area_codes = q.area_codes;
  GridGroups group(d.grids, level);
  struct Cell {
    uint64_t now = 0, before = 0;
  };
  // The closed loop's figures over the window's incidents.
  auto write_loop = [](JsonOut& out, layers::LoopMetrics& m) {
    m.finish();
    out.raw("\"loop\":");
    out.raw(layers::json_text(loop_json(m)));
  };
  const int64_t clock = static_cast<int64_t>(std::time(nullptr));
  // The counts by group (null: incidents in no group) x category x status, one hash lookup per
  // incident; put in the answer's order (group code, category, status) once, at the end.
  struct CellKey {
    const layers::Grid* group;
    std::string_view category, status;
    bool operator==(const CellKey&) const = default;
  };
  struct CellHash {
    std::size_t operator()(const CellKey& k) const {
      const std::hash<std::string_view> h;
      return (std::hash<const void*>()(k.group) * 31 + h(k.category)) * 31 + h(k.status);
    }
  };
  std::unordered_map<CellKey, Cell, CellHash> cells;
  std::unordered_map<const layers::Grid*, layers::LoopMetrics> loops;
  layers::LoopMetrics total_loop;
  Cell total;
  const auto& fields = layers::fields_of(static_cast<const layers::Incident*>(nullptr));
  for (std::size_t k = 0; k < d.incidents.size(); ++k) {
    http::poll_deadline(k);
    const layers::Incident& i = d.incidents[k];
    const bool in_now = layers::matches(i, q, fields),
               in_before = !in_now && layers::matches(i, prev, fields);
    if (!in_now && !in_before) continue;
    const layers::Grid* g = group(i.join.grid_code);
    Cell& c = cells[{g, i.category, i.status}];
    (in_now ? c.now : c.before)++;
    (in_now ? total.now : total.before)++;
    if (in_now) {
      const auto trail = ctx.county->trail_of(i.fid);
      loops[g].add(i, clock, trail);
      total_loop.add(i, clock, trail);
    }
  }
  auto code_of = [](const layers::Grid* g) { return g ? std::string_view(g->code) : ""; };
  std::vector<std::pair<CellKey, Cell>> table(cells.begin(), cells.end());
  std::sort(table.begin(), table.end(), [&](const auto& a, const auto& b) {
    return std::tuple(code_of(a.first.group), a.first.category, a.first.status) <
           std::tuple(code_of(b.first.group), b.first.category, b.first.status);
  });

  auto counts = [](JsonOut& out, uint64_t now, uint64_t before) {
    out.raw("\"count\":");
    out.num(static_cast<int64_t>(now));
    out.raw(",\"previous\":");
    out.num(static_cast<int64_t>(before));
    out.raw(",\"change\":");
    out.num(static_cast<int64_t>(now) - static_cast<int64_t>(before));
    out.raw(",\"ratio\":");
    if (before)
      out.num(static_cast<double>(now) / static_cast<double>(before));
    else
      out.raw("null");
  };
  struct Rising {
    std::string code, name, category;
    uint64_t now, before;
  };
  std::vector<Rising> rising;
  JsonOut out;
  out.raw("{\"window\":{\"start\":");
  out.str(layers::time_text(*q.since).view());
  out.raw(",\"end\":");
  out.str(layers::time_text(*q.until).view());
  out.raw("},\"previous_window\":{\"start\":");
  out.str(layers::time_text(*prev.since).view());
  out.raw(",\"end\":");
  out.str(layers::time_text(*prev.until).view());
  out.raw("},\"group_by\":");
  out.str(layers::level_name(level));
  out.raw(",\"total\":{");
  counts(out, total.now, total.before);
  out.raw(",");
  write_loop(out, total_loop);
  out.raw(",\"tickets\":{");
  const std::pair<const char*, std::size_t> ticket_counts[] = {{"received", tickets.received},
                                                               {"pending", tickets.pending},
                                                               {"admitted", tickets.admitted},
                                                               {"rejected", tickets.rejected},
                                                               {"merged", tickets.merged}};
  for (std::size_t k = 0; k < std::size(ticket_counts); ++k) {
    out.raw(k ? ",\"" : "\"");
    out.raw(ticket_counts[k].first);
    out.raw("\":");
    out.num(static_cast<int64_t>(ticket_counts[k].second));
  }
  out.raw("}},\"groups\":[");
  // Each group is a run of `table`, each of its categories a run within it.
  for (std::size_t b = 0; b < table.size();) {
    const layers::Grid* g = table[b].first.group;
    std::size_t e = b;
    Cell sum;
    while (e < table.size() && table[e].first.group == g) {
      const std::string_view cat = table[e].first.category;
      Cell cat_sum;
      for (; e < table.size() && table[e].first.group == g && table[e].first.category == cat; ++e) {
        cat_sum.now += table[e].second.now;
        cat_sum.before += table[e].second.before;
      }
      sum.now += cat_sum.now;
      sum.before += cat_sum.before;
      rising.push_back({std::string(code_of(g)), g ? g->name : "", std::string(cat), cat_sum.now,
                        cat_sum.before});
    }
    if (b) out.raw(",");
    out.raw("{\"code\":");
    out.str_or_null(code_of(g));
    out.raw(",\"name\":");
    out.str_or_null(g ? std::string_view(g->name) : std::string_view());
    out.raw(",");
    counts(out, sum.now, sum.before);
    out.raw(",");
    write_loop(out, loops[g]);
    out.raw(",\"cells\":[");
    for (std::size_t k = b; k < e; ++k) {
      if (k > b) out.raw(",");
      out.raw("{\"category\":");
      out.str(table[k].first.category);
      out.raw(",\"status\":");
      out.str(table[k].first.status);
      out.raw(",");
      counts(out, table[k].second.now, table[k].second.before);
      out.raw("}");
    }
    out.raw("]}");
    b = e;
  }
  // Rising: the area × category pairs whose count grew most (then by ratio, then by code).
  std::erase_if(rising, [](const Rising& r) { return r.now <= r.before; });
  std::sort(rising.begin(), rising.end(), [](const Rising& a, const Rising& b) {
    const int64_t ca = static_cast<int64_t>(a.now) - static_cast<int64_t>(a.before);
    const int64_t cb = static_cast<int64_t>(b.now) - static_cast<int64_t>(b.before);
    if (ca != cb) return ca > cb;
    if (a.before * b.now != b.before * a.now) return a.now * b.before > b.now * a.before;
    return std::tie(a.code, a.category) < std::tie(b.code, b.category);
  });
  if (rising.size() > top) rising.resize(top);
  out.raw("],\"rising\":[");
  for (std::size_t k = 0; k < rising.size(); ++k) {
    if (k) out.raw(",");
    out.raw("{\"code\":");
    out.str_or_null(rising[k].code);
    out.raw(",\"name\":");
    out.str_or_null(rising[k].name);
    out.raw(",\"category\":");
    out.str(rising[k].category);
    out.raw(",");
    counts(out, rising[k].now, rising[k].before);
    out.raw("}");
  }
  out.raw("]}");
  return {200, std::move(out.text()), "application/json", {}};
}

}  // namespace onemap::api::features
