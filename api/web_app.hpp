// The web map (一张图): the single-page app built from web/ (web/build.mjs writes web/dist/),
// served by onemap itself so that it works without any network beyond the server.
//
//   GET /                 index.html when the client prefers HTML (a browser's Accept header, or
//                         ?f=html); every other client (GDAL, curl, Accept: application/json,
//                         ?f=json) keeps getting the OGC API landing page as JSON
//   GET /app, /app/       index.html
//   GET /app/{file}       the built files: assets/ carry a content hash in their names and are
//                         cached for a year (immutable); the rest revalidate (no-cache)
//   GET /app/config.json  the page's configuration: the basemap tile URLs given to the server
//                         (`onemap serve --basemap URL`) and whether overlays must be shifted into
//                         GCJ-02 (on by itself for an Amap basemap)
//
// Answers carry a strong ETag (of the content, per encoding) and are 304 for a matching
// If-None-Match; gzip when Accept-Encoding allows it. The files are read into memory when the
// server starts and read again when index.html changes on disk (a rebuilt app is served without a
// restart). Only files found in the directory are served: a request path never reaches the file
// system.
#pragma once

#include "api/tiles.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace onemap::api {

struct WebAppOptions {
  /// The built app (web/dist); empty: no web app (GET / is always the JSON landing page).
  std::string dir;
  /// Basemap tile URL templates ({z}/{x}/{y}) for the page, bottom first; none by default.
  std::vector<std::string> basemaps;
};

/// Where the built app is looked for when `onemap serve` is not given --web-dir: next to an
/// installed executable (`<prefix>/share/onemap/web` for `<prefix>/bin/onemap`), else the source
/// tree's web/dist that the executable was built from. Returns the first that holds index.html,
/// else the source tree's (so that the message about a missing app names it).
std::string default_web_dir();

/// Whether `dir` holds a built app (index.html), and one line for the log: where the app is
/// served from and how many files it has, or why it is not there and how to build it.
std::pair<bool, std::string> web_app_status(const std::string& dir);

/// The kind of a basemap URL: "amap" (GCJ-02: overlays are shifted), "tianditu", or "xyz".
std::string basemap_kind(std::string_view url);

class WebApp {
 public:
  /// Reads the files under options.dir (missing is not an error: see available()).
  explicit WebApp(WebAppOptions options);
  ~WebApp();
  WebApp(const WebApp&) = delete;
  WebApp& operator=(const WebApp&) = delete;

  /// Whether the directory holds a built app (index.html).
  bool available() const;
  /// The directory as given.
  const std::string& dir() const;
  /// One line for the log: where the app is served from and how many files, or why it is not.
  std::string status_message() const;

  /// Whether a GET of "/" with these headers and query wants the app rather than the JSON
  /// landing page: ?f=html, or no ?f and an Accept header that ranks text/html above
  /// application/json (by q-value, the most specific media range deciding; ties go to JSON).
  static bool prefers_html(std::string_view accept,
                           const std::vector<std::pair<std::string, std::string>>& query);

  /// Answers a GET/HEAD that belongs to the app, or nullopt for the rest of the server: "/" when
  /// prefers_html() and the app is available, and every path under /app (404 when the file is
  /// not there, with a message naming the directory when the app is not built).
  std::optional<HttpAnswer> handle(std::string_view path,
                                   const std::vector<std::pair<std::string, std::string>>& query,
                                   std::string_view accept, std::string_view accept_encoding,
                                   std::string_view if_none_match) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace onemap::api
