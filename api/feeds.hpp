// Feeds into county layers (layers/model/feed.hpp; README "County layers", feeds):
//
//   POST /collections/{name}/feed   a batch: a GeoJSON FeatureCollection (application/geo+json,
//                                   application/json) or one Feature per line
//                                   (application/geo+json-seq, application/x-ndjson), upserted by
//                                   the layer's id field; a feature with "_delete": true removes
//                                   its key's record. 200 with the counts (inserted, updated,
//                                   unchanged, deleted) and the joins; a feature refused is a 400
//                                   naming its index and reason, and nothing changes
//
// for an admin, or a feed user whose scope names the layer (403 otherwise). And the pulls: feeds
// the store keeps (`onemap feed add`), each read from its source when due and applied the same
// way.
#pragma once

#include "http/router.hpp"
#include "layers/county/county.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace onemap::api {

/// Adds the route above to `router`; `max_body`: the largest batch it takes.
void add_feed_routes(http::Router& router, const std::shared_ptr<layers::County>& county,
                     std::size_t max_body);

/// What one pull did.
struct PullOutcome {
  std::string feed, layer;
  bool ok = false;
  std::string result;  ///< JSON: the counts as POST answers them, or {"error", "index", "reason"}
};

/// Runs the pulled feeds of the county's store (README "County layers", feeds): each due one's
/// source read with GDAL, its fields mapped by name and those the layer lacks left out, with no
/// lock held; then applied as a batch through County::feed_feature_layer, and its outcome noted in
/// the store. It reads and notes the feeds through a store connection of its own, so that `onemap
/// feed add` on a served store counts from the next look.
class FeedPuller {
 public:
  explicit FeedPuller(std::shared_ptr<layers::County> county);
  ~FeedPuller();
  FeedPuller(const FeedPuller&) = delete;
  FeedPuller& operator=(const FeedPuller&) = delete;

  /// Pulls every feed due at `now` (Unix seconds; 0: the clock), one after another. Never throws
  /// for a feed: a pull that fails is noted as failed, and pulled again when due.
  std::vector<PullOutcome> run_due(int64_t now = 0);

 private:
  std::shared_ptr<layers::County> county_;
  std::unique_ptr<layers::Store> store_;
};

}  // namespace onemap::api
