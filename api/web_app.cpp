// The web map's files (see web_app.hpp): read into memory, answered with content types, ETags,
// gzip and cache lifetimes; GET / negotiated between the app and the JSON landing page.
#include "api/web_app.hpp"

#include "api/hash.hpp"

#include "core/errors.hpp"
#include "http/message.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#ifndef ONEMAP_WEB_SOURCE_DIR
#define ONEMAP_WEB_SOURCE_DIR ""
#endif

namespace onemap::api {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPrefix = "/app";
constexpr std::string_view kConfigPath = "config.json";

std::string quoted_hash(std::string_view body) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "\"%016llx\"", static_cast<unsigned long long>(fnv1a(body)));
  return buf;
}

using http::ascii_lower;
using http::trim_ows;

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    const std::size_t end = std::min(s.find(sep, start), s.size());
    out.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Whether If-None-Match (a list of entity tags, or *) holds `etag` (weak comparison).
bool none_match_holds(std::string_view header, std::string_view etag) {
  for (std::string_view t : split(header, ',')) {
    t = trim_ows(t);
    if (t == "*") return true;
    if (t.starts_with("W/")) t.remove_prefix(2);
    if (t == etag) return true;
  }
  return false;
}

std::string content_type_of(const fs::path& p) {
  static const std::map<std::string, std::string, std::less<>> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".pbf", "application/x-protobuf"},
  };
  const auto it = types.find(ascii_lower(p.extension().string()));
  return it != types.end() ? it->second : "application/octet-stream";
}

bool compressible(std::string_view type) {
  return type.starts_with("text/") || type.starts_with("application/json") ||
         type == "image/svg+xml";
}

struct File {
  std::string body, gz;  ///< gz: the gzip form, empty when not worth it
  std::string etag;      ///< of the identity encoding; the gzip one adds "-gz"
  std::string content_type;
  bool immutable = false;  ///< a content-hashed asset
};

struct Snapshot {
  std::map<std::string, File, std::less<>> files;  ///< by path relative to the directory
  std::optional<fs::file_time_type> index_time;    ///< of index.html; nullopt: not built
};

File make_file(std::string body, std::string content_type, bool immutable) {
  File f;
  f.content_type = std::move(content_type);
  f.etag = quoted_hash(body);
  f.immutable = immutable;
  if (compressible(f.content_type) && body.size() >= 1024) {
    std::string z = gzip(body);
    if (z.size() < body.size()) f.gz = std::move(z);
  }
  f.body = std::move(body);
  return f;
}

std::string exe_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : exe.parent_path().string();
}

// The q-value an Accept header gives type/subtype: that of the most specific matching range
// (type/subtype, then type/*, then */*), 0 when none matches.
double accept_q(std::string_view accept, std::string_view type, std::string_view subtype) {
  int best_rank = -1;
  double best_q = 0;
  for (std::string_view item : split(accept, ',')) {
    const auto parts = split(item, ';');
    const std::string range = ascii_lower(trim_ows(parts[0]));
    const auto slash = range.find('/');
    if (slash == std::string::npos) continue;
    const std::string_view t = std::string_view(range).substr(0, slash);
    const std::string_view s = std::string_view(range).substr(slash + 1);
    int rank = -1;
    if (t == type && s == subtype)
      rank = 2;
    else if (t == type && s == "*")
      rank = 1;
    else if (t == "*" && s == "*")
      rank = 0;
    if (rank < 0 || rank < best_rank) continue;
    double q = 1;
    for (std::size_t i = 1; i < parts.size(); ++i) {
      const std::string p = ascii_lower(trim_ows(parts[i]));
      if (p.starts_with("q=")) {
        try {
          q = std::stod(p.substr(2));
        } catch (const std::exception&) {
          q = 0;
        }
      }
    }
    if (rank > best_rank)
      best_q = q;
    else
      best_q = std::max(best_q, q);
    best_rank = rank;
  }
  return best_q;
}

}  // namespace

std::string default_web_dir() {
  std::vector<std::string> candidates;
  if (const std::string d = exe_dir(); !d.empty())
    candidates.push_back((fs::path(d).parent_path() / "share" / "onemap" / "web").string());
  if (*ONEMAP_WEB_SOURCE_DIR) candidates.push_back(ONEMAP_WEB_SOURCE_DIR);
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(fs::path(c) / "index.html", ec)) return c;
  }
  return candidates.empty() ? std::string("web/dist") : candidates.back();
}

std::pair<bool, std::string> web_app_status(const std::string& dir) {
  std::error_code ec;
  if (dir.empty() || !fs::is_regular_file(fs::path(dir) / "index.html", ec))
    return {false, "web app not found: no index.html in " +
                       (dir.empty() ? std::string("(no directory)") : dir) +
                       " (build it with scripts/build, or `npm ci && npm run build` in web/; or "
                       "give --web-dir)"};
  std::size_t files = 0;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec))
    files += it->is_regular_file(ec) ? 1 : 0;
  return {true, "web app at / and /app/ from " + dir + " (" + std::to_string(files) + " files)"};
}

std::string basemap_kind(std::string_view url) {
  const std::string u = ascii_lower(url);
  if (u.find("autonavi.com") != std::string::npos || u.find("amap.com") != std::string::npos)
    return "amap";
  if (u.find("tianditu.gov.cn") != std::string::npos || u.find("tianditu.com") != std::string::npos)
    return "tianditu";
  return "xyz";
}

struct WebApp::Impl {
  WebAppOptions options;
  File config;
  mutable std::mutex mutex;
  mutable std::shared_ptr<const Snapshot> snapshot;

  std::shared_ptr<const Snapshot> load() const {
    auto s = std::make_shared<Snapshot>();
    std::error_code ec;
    const fs::path root(options.dir);
    if (options.dir.empty() || !fs::is_regular_file(root / "index.html", ec)) return s;
    s->index_time = fs::last_write_time(root / "index.html", ec);
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file(ec)) continue;
      const fs::path rel = fs::relative(it->path(), root, ec);
      if (ec) continue;
      std::ifstream in(it->path(), std::ios::binary);
      if (!in) continue;
      std::ostringstream text;
      text << in.rdbuf();
      const std::string name = rel.generic_string();
      s->files.emplace(name, make_file(std::move(text).str(), content_type_of(rel),
                                       name.starts_with("assets/")));
    }
    return s;
  }

  // The current files, read again when index.html changed (or appeared, or went) since.
  std::shared_ptr<const Snapshot> current(bool check_disk) const {
    std::lock_guard lock(mutex);
    if (check_disk) {
      std::error_code ec;
      const fs::path index = fs::path(options.dir) / "index.html";
      std::optional<fs::file_time_type> t;
      if (!options.dir.empty() && fs::is_regular_file(index, ec))
        t = fs::last_write_time(index, ec);
      if (t != snapshot->index_time) snapshot = load();
    }
    return snapshot;
  }

  HttpAnswer answer(const File& f, std::string_view accept_encoding, std::string_view if_none_match,
                    bool negotiated) const {
    HttpAnswer a;
    a.content_type = f.content_type;
    const bool gz = !f.gz.empty() && accepts_gzip(accept_encoding);
    const std::string etag = gz ? f.etag.substr(0, f.etag.size() - 1) + "-gz\"" : f.etag;
    a.headers.emplace_back("ETag", etag);
    a.headers.emplace_back("Cache-Control",
                           f.immutable ? "public, max-age=31536000, immutable" : "no-cache");
    a.headers.emplace_back("Vary", negotiated ? "Accept, Accept-Encoding" : "Accept-Encoding");
    a.headers.emplace_back("X-Content-Type-Options", "nosniff");
    if (!if_none_match.empty() && none_match_holds(if_none_match, etag)) {
      a.status = 304;
      return a;
    }
    if (gz) {
      a.headers.emplace_back("Content-Encoding", "gzip");
      a.body = f.gz;
    } else {
      a.body = f.body;
    }
    return a;
  }
};

WebApp::WebApp(WebAppOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  nlohmann::ordered_json basemaps = nlohmann::ordered_json::array();
  bool gcj02 = false;
  for (const auto& url : impl_->options.basemaps) {
    const std::string kind = basemap_kind(url);
    gcj02 = gcj02 || kind == "amap";
    basemaps.push_back({{"url", url}, {"kind", kind}});
  }
  const nlohmann::ordered_json config = {
      {"basemaps", basemaps}, {"offset", gcj02 ? nlohmann::ordered_json("gcj02") : nullptr}};
  impl_->config = make_file(config.dump(), "application/json", false);
  impl_->snapshot = impl_->load();
}

WebApp::~WebApp() = default;

bool WebApp::available() const {
  return impl_->current(false)->index_time.has_value();
}

const std::string& WebApp::dir() const {
  return impl_->options.dir;
}

std::string WebApp::status_message() const {
  return web_app_status(dir()).second;
}

bool WebApp::prefers_html(std::string_view accept,
                          const std::vector<std::pair<std::string, std::string>>& query) {
  for (const auto& [k, v] : query)
    if (k == "f") return v == "html";
  const double html = accept_q(accept, "text", "html");
  return html > 0 && html > accept_q(accept, "application", "json");
}

std::optional<HttpAnswer> WebApp::handle(
    std::string_view path, const std::vector<std::pair<std::string, std::string>>& query,
    std::string_view accept, std::string_view accept_encoding,
    std::string_view if_none_match) const {
  const bool root = path == "/";
  if (!root && path != kPrefix && !path.starts_with(std::string(kPrefix) + "/"))
    return std::nullopt;
  if (root && !prefers_html(accept, query)) return std::nullopt;
  std::string_view rel =
      root ? std::string_view() : path.substr(std::min(path.size(), kPrefix.size() + 1));
  if (rel == kConfigPath)
    return impl_->answer(impl_->config, accept_encoding, if_none_match, false);
  const bool index = rel.empty() || rel == "index.html";
  if (index) rel = "index.html";
  auto s = impl_->current(index);
  auto it = s->files.find(rel);
  if (it == s->files.end() && s->index_time) {
    s = impl_->current(true);  // a rebuilt app may have new asset names
    it = s->files.find(rel);
  }
  if (it == s->files.end()) {
    if (root) return std::nullopt;  // no app: the landing page as JSON
    if (!s->index_time) throw NotFound(status_message());
    throw NotFound("no file " + std::string(rel) + " in the web app");
  }
  return impl_->answer(it->second, accept_encoding, if_none_match, root);
}

}  // namespace onemap::api
