// The API in process: the route table `onemap serve` serves (api::make_router) over a county on a
// temporary GeoPackage store, called with requests as values: no socket, no thread, no child
// process. Authentication (bearer tokens, the administrator's token), audiences, query decoding,
// CORS, 404/405 and the error table run as they do behind the transport (http/router.hpp). What
// only the transport does (framing, Content-Length, Connection, timeouts, the request log) is
// tested over TCP against a spawned server (server_process.hpp).
#pragma once

#include "api/server.hpp"
#include "tests/support/county.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/temp_dir.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace onemap::testing {

/// What `onemap serve` would be given (ApiHarness).
struct ApiOptions {
  /// The administrator's token ("" for none), as --write-token-file gives it.
  std::string admin_token = kAdminToken;
  /// The dispatch configuration (--config); "" for none.
  std::string dispatch_config = dispatch_config_path();
  /// The read policy (--read-policy); null for the standard one.
  std::shared_ptr<const auth::ReadPolicy> read_policy;
};

class ApiHarness : public Client {
 public:
  using StoreBuilder = testing::StoreBuilder;

  /// Writes the store with `build` into a temporary directory of its own (removed with the
  /// harness), loads it as `onemap serve` does and builds the server's route table over it.
  explicit ApiHarness(const StoreBuilder& build = write_small_county,
                      const ApiOptions& options = {});

  /// Answers `request` through the route table. Headers as the transport leaves them to the
  /// router (Host "onemap.test" unless one is given; peer 127.0.0.1); the response as a client
  /// reads it: Content-Type among the headers (but for 204 and 304), no body for HEAD, 204 and
  /// 304.
  HttpResponse exchange(const HttpRequest& request) override;

  /// "http://onemap.test": the base of the links the server writes.
  static std::string base_url();

  /// The served county (as the server holds it).
  layers::County& county() const { return *state_->county; }
  /// The same, shared (for what keeps the county, as api::FeedPuller does).
  std::shared_ptr<layers::County> shared_county() const { return state_->county; }
  /// The temporary directory, for files a test writes.
  const TempDir& dir() const { return dir_; }
  const std::string& store_path() const { return store_path_; }
  /// The store read independently of the county (a second connection).
  layers::Dataset read_store() const;
  /// The store as the builder wrote it, read back before the county loaded it: the oracle.
  const layers::Dataset& as_written() const { return written_; }

  /// Adds a user as `onemap user add` does (audited as the command line's "cli:test") and
  /// returns its token (also kept for token()).
  std::string add_user(const std::string& id, const std::string& role,
                       const std::string& scope = "", const std::string& worker_id = "");
  /// The token add_user() returned for `id`.
  const std::string& token(const std::string& id) const { return tokens_.at(id); }

 private:
  TempDir dir_;
  std::string store_path_;
  layers::Dataset written_;
  std::shared_ptr<const api::ServerState> state_;
  std::shared_ptr<http::Router> router_;
  std::map<std::string, std::string> tokens_;
  std::atomic<uint64_t> next_request_ = 0;
};

/// A test suite whose tests share one ApiHarness: Suite::make_api() makes it before the suite's
/// first test (this class's make_api serves the small county; a suite declares its own to serve
/// another county or add users) and it goes after the last.
template <class Suite>
class SharedApi : public ::testing::Test {
 public:
  static std::unique_ptr<ApiHarness> make_api() { return std::make_unique<ApiHarness>(); }
  static void SetUpTestSuite() { api_ = Suite::make_api(); }
  static void TearDownTestSuite() { api_.reset(); }

 protected:
  static ApiHarness& api() { return *api_; }
  /// The store as written for the suite (ApiHarness::as_written()).
  static const layers::Dataset& oracle() { return api_->as_written(); }

 private:
  static inline std::unique_ptr<ApiHarness> api_;
};

}  // namespace onemap::testing
