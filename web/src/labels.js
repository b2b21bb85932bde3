// Label points of the grids: one per grid, inside it, where its outline leaves the most room
// along a few horizontal lines (a town or village split over several vector tiles would otherwise
// be named once per tile).

function ringArea(ring) {
  let a = 0;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) a += (ring[j][0] - ring[i][0]) * (ring[j][1] + ring[i][1]);
  return Math.abs(a) / 2;
}

// The inside of `rings` (outer ring and holes) on the horizontal line at y: [x0, x1] pairs.
function spans(rings, y) {
  const xs = [];
  for (const ring of rings)
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [x0, y0] = ring[j];
      const [x1, y1] = ring[i];
      if (y0 > y !== y1 > y) xs.push(x0 + ((y - y0) * (x1 - x0)) / (y1 - y0));
    }
  xs.sort((a, b) => a - b);
  const out = [];
  for (let i = 0; i + 1 < xs.length; i += 2) out.push([xs[i], xs[i + 1]]);
  return out;
}

/// A point inside a GeoJSON Polygon or MultiPolygon, or null.
export function labelPoint(geometry) {
  if (!geometry) return null;
  const polygons = geometry.type === 'Polygon' ? [geometry.coordinates] : geometry.type === 'MultiPolygon' ? geometry.coordinates : [];
  if (!polygons.length) return null;
  const rings = polygons.reduce((best, p) => (ringArea(p[0]) > ringArea(best[0]) ? p : best));
  let ymin = Infinity;
  let ymax = -Infinity;
  for (const [, y] of rings[0]) {
    ymin = Math.min(ymin, y);
    ymax = Math.max(ymax, y);
  }
  let best = null;
  const lines = 9;
  for (let k = 1; k <= lines; k++) {
    const y = ymin + ((ymax - ymin) * k) / (lines + 1);
    // Lines near the middle count a little more: labels sit better there.
    const weight = 1 - Math.abs(k - (lines + 1) / 2) / (lines + 1);
    for (const [x0, x1] of spans(rings, y)) {
      const score = (x1 - x0) * (0.6 + 0.4 * weight);
      if (!best || score > best.score) best = { score, point: [(x0 + x1) / 2, y] };
    }
  }
  return best?.point ?? null;
}
