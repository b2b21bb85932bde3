// The demo county's own layers (layers/model/feature_layer.hpp), from the seeds' systems and
// placed on the demo county's grids, which lie on Deqing's real outline: 雪亮工程 cameras (points
// with 20-digit GB/T 28181 device ids), 四站融合 stations (one per town), sewage pipes (lines:
// a trunk from each village to its town's centre and laterals inside the village), land-use
// planning zones (polygons inside each village) and garbage collection points. Synthetic and
// deterministic: the same seed and grids give the same layers; each feature joined to its grids.
#pragma once

#include "layers/model/feature_layer.hpp"
#include "layers/model/model.hpp"

#include <cstdint>
#include <vector>

namespace onemap::layers {

/// The five layers over `data`'s grids (a demo county: towns and villages with names), about
/// `scale` × (4 cameras, 2 pipes, 1 zone and 3 garbage points per village, 1 station per town).
std::vector<FeatureLayer> build_demo_layers(const Dataset& data, uint64_t seed, double scale = 1);

}  // namespace onemap::layers
