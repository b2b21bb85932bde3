// The CQL2 JSON reader: {"op": …, "args": […]} predicates, {"property": …} references, string,
// number and boolean literals, {"timestamp": …}, {"date": …} and {"interval": […]} times, GeoJSON
// geometries and {"bbox": […]}, each handed to the ProgramBuilder as CQL2 text's parser hands
// its own. JSON parses with the request limits first (layers/model/json_input.hpp), so the walk
// below, recursive, is bounded by input_limits().json_depth.
#include "layers/query/cql2_json.hpp"

#include "layers/model/json_input.hpp"
#include "layers/query/cql2_geometry.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace onemap::layers::cql2::detail {

namespace {

using nlohmann::json;

std::optional<Cmp> comparison(std::string_view op) {
  static constexpr std::pair<std::string_view, Cmp> kCmps[] = {{"=", Cmp::Eq},  {"<>", Cmp::Ne},
                                                               {"<", Cmp::Lt},  {">", Cmp::Gt},
                                                               {"<=", Cmp::Le}, {">=", Cmp::Ge}};
  for (const auto& [name, cmp] : kCmps)
    if (op == name) return cmp;
  return std::nullopt;
}

// The operators CQL2 JSON has and onemap does not offer, with why: nullopt for the ones it does.
std::optional<std::string> unsupported(std::string_view kw, const std::string& op) {
  if (kw == "A_CONTAINEDBY" || kw == "A_CONTAINS" || kw == "A_EQUALS" || kw == "A_OVERLAPS")
    return "array functions ('" + op + "') are not supported: no queryable is an array";
  if (kw == "+" || kw == "-" || kw == "*" || kw == "/" || kw == "^" || kw == "%" || kw == "DIV")
    return "arithmetic ('" + op + "') is not supported";
  if (kw == "CASEI") return "casei (case-insensitive comparison) is not supported";
  if (kw == "ACCENTI") return "accenti (accent-insensitive comparison) is not supported";
  if (kw == "AND" || kw == "OR" || kw == "NOT" || kw == "LIKE" || kw == "BETWEEN" || kw == "IN" ||
      kw == "ISNULL" || comparison(kw) || spatial_op(kw) || temporal_op(kw))
    return std::nullopt;
  return "unsupported function '" + op + "'";
}

class JsonReader : public Source {
 public:
  JsonReader(std::string_view text, ProgramBuilder& builder) : text_(text), b_(builder) {}

  uint32_t run() {
    const json doc = parse_request_json<json>(text_, "filter");
    b_.read_from(*this);
    return predicate(doc);
  }

  std::string where(std::size_t at) const override { return "#" + paths_[at]; }
  // CQL2 JSON writes operators in lower case, the temporal ones ending in "by" in camel case
  // (t_metBy).
  std::string spell(std::string_view keyword) const override {
    std::string s(keyword);
    for (char& c : s) c = ascii_lower(c);
    if (s.starts_with("t_") && s.ends_with("by")) s[s.size() - 2] = 'B';
    return s;
  }
  std::string_view time_literals() const override {
    return R"({"timestamp": "…"}, {"date": "…"} or {"interval": […]})";
  }

 private:
  // The path of the value being read, as a JSON Pointer: a Step extends it on the way down and
  // restores it on the way up (and out, when an error unwinds).
  class Step {
   public:
    Step(std::string& path, std::string_view key) : path_(path), size_(path.size()) {
      path_ += '/';
      path_ += key;
    }
    Step(std::string& path, std::size_t index) : Step(path, std::to_string(index)) {}
    Step(const Step&) = delete;
    Step& operator=(const Step&) = delete;
    ~Step() { path_.resize(size_); }

   private:
    std::string& path_;
    std::size_t size_;
  };

  // The current path as a location for the builder.
  std::size_t here() {
    paths_.push_back(path_);
    return paths_.size() - 1;
  }
  [[noreturn]] void syntax(const std::string& what) { b_.syntax(here(), what); }

  // `j`'s "args": an array of `min` to `max` members.
  const json& args(const json& j, const std::string& op, std::size_t min, std::size_t max) {
    const auto found = j.find("args");
    if (found == j.end() || !found->is_array())
      syntax("expected \"args\": the array of the arguments of '" + op + "'");
    const std::size_t n = found->size();
    if (n < min || n > max) {
      Step s(path_, "args");
      syntax("'" + op + "' takes " + std::to_string(min) + (max == SIZE_MAX ? " or more" : "") +
             (max == 1 ? " argument" : " arguments") + ", not " + std::to_string(n));
    }
    return *found;
  }

  // `j`'s "op", as written; `kw` gets it in upper case (operators match in any case, as CQL2
  // text's keywords do).
  std::string op_of(const json& j, std::string& kw) {
    const json& op = j.at("op");
    if (!op.is_string()) {
      Step s(path_, "op");
      syntax("\"op\" is the operator's name, a string");
    }
    kw = upper(op.get_ref<const std::string&>());
    return op.get<std::string>();
  }

  // An operator onemap does not offer, in an argument's place: the error says so.
  void refuse_unsupported(const json& j) {
    if (!j.is_object() || !j.contains("op")) return;
    std::string kw;
    const std::string op = op_of(j, kw);
    if (std::optional<std::string> why = unsupported(kw, op)) syntax(*why);
  }

  // ----- predicates

  uint32_t predicate(const json& j) {
    if (j.is_boolean() || (j.is_object() && j.contains("property"))) {
      const Arg a = arg(j);
      if (std::optional<uint32_t> n = b_.boolean_predicate(a)) return *n;
      b_.syntax(a.at, "expected a predicate, found " + b_.describe(a));
    }
    if (!j.is_object() || !j.contains("op"))
      syntax(R"(expected a predicate: {"op": …, "args": […]}, true or false)");
    const std::size_t at = here();
    std::string kw;
    const std::string op = op_of(j, kw);
    if (kw == "AND" || kw == "OR") {
      const json& list = args(j, op, 2, SIZE_MAX);
      std::vector<uint32_t> children;
      for (std::size_t i = 0; i < list.size(); ++i) children.push_back(arg_predicate(list, i));
      return b_.logical(kw == "AND" ? Op::And : Op::Or, children);
    }
    if (kw == "NOT") return b_.negation(arg_predicate(args(j, op, 1, 1), 0));
    if (const std::optional<Cmp> cmp = comparison(kw)) {
      const json& list = args(j, op, 2, 2);
      const Arg a = arg(list, 0);
      return b_.compare(a, *cmp, arg(list, 1), at);
    }
    if (kw == "LIKE") {
      const json& list = args(j, op, 2, 2);
      const Arg a = arg(list, 0);
      Step s(path_, "args");
      Step p(path_, 1);
      const json& pattern = list[1];
      if (!pattern.is_string()) {
        refuse_unsupported(pattern);  // casei, accenti
        syntax("the pattern of '" + op + "' is a string");
      }
      return b_.like(a, pattern.get_ref<const std::string&>(), false, false, here());
    }
    if (kw == "BETWEEN") {
      const json& list = args(j, op, 3, 3);
      const Arg a = arg(list, 0);
      const Arg low = arg(list, 1);
      return b_.between(a, low, arg(list, 2), false);
    }
    if (kw == "IN") {
      const json& list = args(j, op, 2, 2);
      const Arg a = arg(list, 0);
      Step s(path_, "args");
      Step l(path_, 1);
      if (!list[1].is_array()) syntax("'" + op + "' takes a value and an array of values");
      b_.check_in_subject(a);
      ValueSet set;
      for (std::size_t i = 0; i < list[1].size(); ++i) b_.add_to_set(set, a, member(list[1], i));
      return b_.in(a, std::move(set), false);
    }
    if (kw == "ISNULL") return b_.is_null(arg(args(j, op, 1, 1), 0), false);
    if (const std::optional<SpatialOp> s = spatial_op(kw)) {
      const json& list = args(j, op, 2, 2);
      const Arg x = arg(list, 0);
      return b_.spatial(*s, x, arg(list, 1), at);
    }
    if (const std::optional<TemporalOp> t = temporal_op(kw)) {
      const json& list = args(j, op, 2, 2);
      const Arg x = arg(list, 0);
      return b_.temporal(*t, x, arg(list, 1));
    }
    syntax(*unsupported(kw, op));  // every operator onemap offers is read above
  }

  // args[i] of the current predicate, as a predicate.
  uint32_t arg_predicate(const json& list, std::size_t i) {
    Step s(path_, "args");
    Step n(path_, i);
    return predicate(list[i]);
  }

  // ----- arguments

  // args[i] of the current predicate, as an argument.
  Arg arg(const json& args, std::size_t i) {
    Step s(path_, "args");
    return member(args, i);
  }

  // Member i of the array at the current path, as an argument.
  Arg member(const json& array, std::size_t i) {
    Step s(path_, i);
    return arg(array[i]);
  }

  Arg arg(const json& j) {
    const std::size_t at = here();
    switch (j.type()) {
      case json::value_t::string:
        return b_.string(j.get<std::string>(), at);
      case json::value_t::number_integer:
      case json::value_t::number_unsigned:
      case json::value_t::number_float:
        return b_.number(j.get<double>(), at);
      case json::value_t::boolean:
        return b_.boolean(j.get<bool>(), at);
      case json::value_t::object:
        return object(j, at);
      case json::value_t::array:
        syntax("arrays are not supported: no queryable is an array");
      default:
        syntax("null is no value (isNull tests for one)");
    }
  }

  Arg object(const json& j, std::size_t at) {
    if (const auto p = j.find("property"); p != j.end()) {
      if (!p->is_string()) {
        Step s(path_, "property");
        syntax("a property's name is a string");
      }
      return b_.property(p->get_ref<const std::string&>(), at);
    }
    if (j.contains("op")) {
      refuse_unsupported(j);
      syntax("'" + j.at("op").get<std::string>() + "' is a predicate, not a value");
    }
    if (const auto t = j.find("timestamp"); t != j.end()) {
      Step s(path_, "timestamp");
      return b_.time(b_.instant(time_text(*t, "timestamp"), here()), at);
    }
    if (const auto d = j.find("date"); d != j.end()) {
      Step s(path_, "date");
      return b_.time(b_.day(time_text(*d, "date"), here()), at);
    }
    if (const auto i = j.find("interval"); i != j.end()) return interval(*i, at);
    if (j.contains("type")) return b_.geometry(geometry(j, at), at);
    if (const auto box = j.find("bbox"); box != j.end()) {
      GeometryBuilder g(*this, b_.vertices());
      Step s(path_, "bbox");
      if (!box->is_array()) syntax("a bbox is an array of 4 numbers (or 6 with z)");
      std::vector<double> v;
      for (std::size_t i = 0; i < box->size(); ++i) v.push_back(number(*box, i, "bbox"));
      g.bbox(std::move(v), at);
      return b_.geometry(g.finish(at), at);
    }
    syntax(
        R"(expected a value: a string, a number, true, false, {"property": …}, {"timestamp": …}, )"
        R"({"date": …}, {"interval": […]}, a GeoJSON geometry or {"bbox": […]})");
  }

  // The text of {"timestamp": …} or {"date": …}.
  const std::string& time_text(const json& t, const char* what) {
    if (!t.is_string()) syntax(std::string("a ") + what + " is a string");
    return t.get_ref<const std::string&>();
  }

  // ----- {"interval": [start, end]}

  Arg interval(const json& ends, std::size_t at) {
    Step s(path_, "interval");
    if (!ends.is_array() || ends.size() != 2)
      syntax("an interval is an array of its start and its end");
    std::size_t start_at = 0, end_at = 0;
    const IntervalEnd start = interval_end(ends, 0, start_at);
    const IntervalEnd end = interval_end(ends, 1, end_at);
    return b_.interval(start, end, at, end_at);
  }

  // ends[i] (i = 0: the start), and where it is.
  IntervalEnd interval_end(const json& ends, std::size_t i, std::size_t& at) {
    Step s(path_, i);
    at = here();
    const json& j = ends[i];
    if (j.is_string()) return {b_.interval_end(j.get_ref<const std::string&>(), i == 0, at)};
    if (j.is_object() && j.contains("property")) return {0, b_.interval_property(arg(j))};
    syntax("expected a date, a timestamp, '..' or a timestamp property in interval");
  }

  // ----- GeoJSON geometries

  GeometryLiteral geometry(const json& j, std::size_t at) {
    GeometryBuilder g(*this, b_.vertices());
    const std::string type = type_of(j);
    if (type == "GeometryCollection") {
      const auto members = j.find("geometries");
      Step s(path_, "geometries");
      if (members == j.end() || !members->is_array() || members->empty())
        syntax("a GeometryCollection holds an array of geometries");
      for (std::size_t i = 0; i < members->size(); ++i) {
        Step m(path_, i);
        const json& member = (*members)[i];
        const std::string member_type = member.is_object() ? type_of(member) : std::string();
        if (member_type == "GeometryCollection" || member_type.empty())
          syntax(
              "a GeometryCollection holds Point, LineString, Polygon, MultiPoint, "
              "MultiLineString or MultiPolygon");
        simple_geometry(g, member, member_type);
      }
    } else {
      simple_geometry(g, j, type);
    }
    return g.finish(at);
  }

  std::string type_of(const json& j) {
    const auto type = j.find("type");
    if (type == j.end() || !type->is_string()) syntax("a geometry's \"type\" is a string");
    return type->get<std::string>();
  }

  void simple_geometry(GeometryBuilder& g, const json& j, const std::string& type) {
    const std::size_t at = here();
    const auto found = j.find("coordinates");
    if (type != "Point" && type != "MultiPoint" && type != "LineString" &&
        type != "MultiLineString" && type != "Polygon" && type != "MultiPolygon") {
      Step s(path_, "type");
      syntax("unknown geometry type '" + type +
             "' (Point, LineString, Polygon, MultiPoint, MultiLineString, MultiPolygon or "
             "GeometryCollection)");
    }
    if (found == j.end()) syntax("a " + type + " has \"coordinates\"");
    const json& c = *found;
    Step s(path_, "coordinates");
    if (type == "Point") {
      g.point(position(g, c));
    } else if (type == "MultiPoint") {
      for (std::size_t i = 0; i < list(c, "positions").size(); ++i) {
        Step p(path_, i);
        g.point(position(g, c[i]));
      }
    } else if (type == "LineString") {
      line(g, c, at);
    } else if (type == "MultiLineString") {
      for (std::size_t i = 0; i < list(c, "lines").size(); ++i) {
        Step l(path_, i);
        line(g, c[i], here());
      }
    } else {
      MultiPolygon mp;
      if (type == "Polygon") {
        mp.push_back(polygon(g, c));
      } else {
        for (std::size_t i = 0; i < list(c, "polygons").size(); ++i) {
          Step p(path_, i);
          mp.push_back(polygon(g, c[i]));
        }
      }
      g.polygons(std::move(mp), at);
    }
  }

  // A non-empty array of `what`.
  const json& list(const json& j, const char* what) {
    if (!j.is_array() || j.empty()) syntax(std::string("expected an array of ") + what);
    return j;
  }

  double number(const json& list, std::size_t i, const char* in) {
    Step s(path_, i);
    if (!list[i].is_number()) syntax(std::string("expected a number in ") + in);
    return list[i].get<double>();
  }

  // [x, y] or [x, y, z] (z dropped: the predicates are 2D).
  Point position(GeometryBuilder& g, const json& p) {
    if (!p.is_array() || p.size() < 2 || p.size() > 3)
      syntax("a position is an array of 2 or 3 numbers");
    const double x = number(p, 0, "a position"), y = number(p, 1, "a position");
    if (p.size() == 3) number(p, 2, "a position");
    return g.position(x, y, here());
  }

  std::vector<Point> positions(GeometryBuilder& g, const json& a) {
    std::vector<Point> points;
    for (std::size_t i = 0; i < list(a, "positions").size(); ++i) {
      Step p(path_, i);
      points.push_back(position(g, a[i]));
    }
    return points;
  }

  void line(GeometryBuilder& g, const json& c, std::size_t at) {
    const std::size_t count_at = here();
    g.line(positions(g, c), count_at, at);
  }

  spatial::Polygon polygon(GeometryBuilder& g, const json& rings) {
    spatial::Polygon poly;
    for (std::size_t i = 0; i < list(rings, "rings").size(); ++i) {
      Step r(path_, i);
      std::vector<Point> points = positions(g, rings[i]);
      g.check_ring(points, here());
      if (i == 0)
        poly.outer().assign(points.begin(), points.end());
      else
        poly.inners().emplace_back(points.begin(), points.end());
    }
    return poly;
  }

  std::string_view text_;
  ProgramBuilder& b_;
  std::string path_;
  std::vector<std::string> paths_;  ///< the locations handed out by here()
};

}  // namespace

uint32_t parse_json(std::string_view text, ProgramBuilder& builder) {
  return JsonReader(text, builder).run();
}

}  // namespace onemap::layers::cql2::detail
