// Edits of single records (feature_edit.hpp): entity tags, If-Match, merge patches, history.
#include "layers/model/feature_edit.hpp"

#include "core/errors.hpp"
#include "layers/model/schema.hpp"

#include <bit>
#include <cstring>
#include <type_traits>
#include <variant>

namespace onemap::layers {

namespace {

// 64-bit FNV-1a over typed pieces: each value goes in with its kind and, for text, its length,
// so that no two different records write the same bytes.
class StateHash {
 public:
  void bytes(const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t i = 0; i < n; ++i) h_ = (h_ ^ b[i]) * 0x100000001b3ULL;
  }
  void tag(char c) { bytes(&c, 1); }
  void number(double v) {
    const auto bits = std::bit_cast<uint64_t>(v);
    bytes(&bits, sizeof bits);
  }
  void number(int64_t v) { bytes(&v, sizeof v); }
  void text(std::string_view s) {
    number(static_cast<int64_t>(s.size()));
    bytes(s.data(), s.size());
  }
  void point(const spatial::Point& p) {
    number(p.x());
    number(p.y());
  }
  template <class Points>
  void points(const Points& ps) {
    number(static_cast<int64_t>(ps.size()));
    for (const auto& p : ps) point(p);
  }
  void value(const FieldValue& v) {
    tag(static_cast<char>('0' + v.index()));
    std::visit(
        [&](const auto& x) {
          using X = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<X, std::string_view>)
            text(x);
          else if constexpr (std::is_same_v<X, bool>)
            tag(x ? 't' : 'f');
          else if constexpr (!std::is_same_v<X, std::monostate>)
            number(x);
        },
        v);
  }
  std::string etag() const {
    static const char* hex = "0123456789abcdef";
    std::string out = "\"";
    for (int shift = 60; shift >= 0; shift -= 4) out += hex[(h_ >> shift) & 15];
    return out + "\"";
  }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

bool is_null(const AttributeValue& v) {
  return std::holds_alternative<std::monostate>(v);
}

}  // namespace

std::string etag_of(const Feature& f) {
  StateHash h;
  if (const auto* p = std::get_if<LonLat>(&f.geometry)) {
    h.tag('P');
    h.point(spatial::to_point(*p));
  } else if (const auto* lines = std::get_if<MultiLineString>(&f.geometry)) {
    h.tag('L');
    h.number(static_cast<int64_t>(lines->size()));
    for (const auto& l : *lines) h.points(l);
  } else {
    const auto& polygons = std::get<MultiPolygon>(f.geometry);
    h.tag('A');
    h.number(static_cast<int64_t>(polygons.size()));
    for (const auto& poly : polygons) {
      h.points(poly.outer());
      h.number(static_cast<int64_t>(poly.inners().size()));
      for (const auto& ring : poly.inners()) h.points(ring);
    }
  }
  std::size_t n = f.attributes.size();
  while (n > 0 && is_null(f.attributes[n - 1])) --n;  // as same_content compares them
  for (std::size_t i = 0; i < n; ++i) h.value(view(f.attributes[i]));
  return h.etag();
}

std::string etag_of(const Enterprise& e) {
  StateHash h;
  h.point(spatial::to_point(e.location));
  const auto& s = schema<Enterprise>();
  for (std::size_t i = 0; i < s.fields.size(); ++i) h.value(s.get(e, i));
  return h.etag();
}

bool IfMatch::matches(const std::string* current) const {
  if (!current) return false;
  if (any) return true;
  for (const auto& t : tags)
    if (t == *current) return true;
  return false;
}

IfMatch parse_if_match(std::string_view header) {
  auto bad = [&] {
    return InvalidArgument("If-Match",
                           "must be \"*\" or a list of entity tags as ETag gives them "
                           "(\"…\"), not '" +
                               std::string(header.substr(0, 100)) + "'");
  };
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  IfMatch out;
  header = trim(header);
  if (header == "*") {
    out.any = true;
    return out;
  }
  while (true) {
    const std::size_t comma = header.find(',');
    const std::string_view item = trim(header.substr(0, comma));
    const bool weak = item.starts_with("W/");
    const std::string_view tag = weak ? item.substr(2) : item;
    // An entity tag: DQUOTE *etagc DQUOTE, etagc any visible character but DQUOTE.
    if (tag.size() < 2 || tag.front() != '"' || tag.back() != '"') throw bad();
    for (const char c : tag.substr(1, tag.size() - 2))
      if (c == '"' || static_cast<unsigned char>(c) < 0x21 || c == 0x7f) throw bad();
    if (!weak) out.tags.emplace_back(tag);  // a strong comparison never matches a weak tag
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return out;
}

std::string_view edit_action_name(EditAction a) {
  switch (a) {
    case EditAction::Create:
      return "create";
    case EditAction::Replace:
      return "replace";
    case EditAction::Update:
      return "update";
    case EditAction::Delete:
      return "delete";
    case EditAction::Feed:
      break;
  }
  return "feed";
}

EditAction edit_action_from_name(std::string_view name) {
  for (EditAction a : {EditAction::Create, EditAction::Replace, EditAction::Update,
                       EditAction::Delete, EditAction::Feed})
    if (edit_action_name(a) == name) return a;
  throw InvalidArgument("action", "unknown history action '" + std::string(name) +
                                      "' (create, replace, update, delete, feed)");
}

std::vector<std::string> changed_fields(const LayerDef& def, const Feature* before,
                                        const Feature& after) {
  static const AttributeValue null;
  auto at = [](const Feature& f, std::size_t i) -> const AttributeValue& {
    return i < f.attributes.size() ? f.attributes[i] : null;
  };
  std::vector<std::string> out;
  for (std::size_t i = 0; i < def.fields.size(); ++i)
    if (before ? at(*before, i) != at(after, i) : !is_null(at(after, i)))
      out.push_back(def.fields[i].name);
  return out;
}

Feature merge_patch(const LayerDef& def, const Feature& current, const FeatureEdit& edit) {
  Feature out = current;
  out.attributes.resize(def.fields.size());
  for (const std::string& name : edit.patched) {
    const int i = def.index(name);
    if (i < 0) throw InvalidArgument(name, "the layer " + def.name + " has no such field");
    const auto k = static_cast<std::size_t>(i);
    out.attributes[k] =
        k < edit.feature.attributes.size() ? edit.feature.attributes[k] : AttributeValue{};
  }
  if (edit.patches_geometry) out.geometry = edit.feature.geometry;
  return out;
}

}  // namespace onemap::layers
