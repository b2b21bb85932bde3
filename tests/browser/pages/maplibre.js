// MapLibre GL page: grid boundaries by level and the point layers of the demo county, from
// onemap's Web Mercator TileJSON, on a plain background (no basemap: nothing leaves loopback).
// The page reports to the test runner through window.onemapTest: state ('loading', 'idle' or
// 'error'), errors, and summary() (what is rendered, from queryRenderedFeatures and the pixels).
import * as maplibregl from '/node_modules/maplibre-gl/dist/maplibre-gl.mjs';
import { BACKGROUND, COLOURS, GRID_OUTLINE, GRID_LAYERS, POINT_LAYERS } from './palette.js';
import { countPixels } from './pixels.js';

const params = new URLSearchParams(location.search);
const tiles = params.get('tiles');
const test = { state: 'loading', errors: [], summary };
window.onemapTest = test;

// A cluster's radius: from `radius` at count 1 to `maxRadius` at `maxCount`, by sqrt(count).
function circleRadius({ radius, maxRadius, maxCount }) {
  return [
    'case',
    ['==', ['get', 'cluster'], true],
    ['interpolate', ['linear'], ['sqrt', ['get', 'count']], 1, radius, Math.sqrt(maxCount), maxRadius],
    radius,
  ];
}

const style = {
  version: 8,
  sources: {
    grids: { type: 'vector', url: `${tiles}/tiles/${GRID_LAYERS.join(',')}.json` },
    points: { type: 'vector', url: `${tiles}/tiles/${POINT_LAYERS.map((l) => l.name).join(',')}.json` },
  },
  layers: [
    { id: 'background', type: 'background', paint: { 'background-color': BACKGROUND } },
    {
      id: 'grids.grid',
      type: 'fill',
      source: 'grids',
      'source-layer': 'grids.grid',
      paint: { 'fill-color': COLOURS['grids.grid'], 'fill-outline-color': GRID_OUTLINE },
    },
    {
      id: 'grids.grid-line',
      type: 'line',
      source: 'grids',
      'source-layer': 'grids.grid',
      paint: { 'line-color': GRID_OUTLINE, 'line-width': 0.5 },
    },
    {
      id: 'grids.village',
      type: 'line',
      source: 'grids',
      'source-layer': 'grids.village',
      paint: { 'line-color': COLOURS['grids.village'], 'line-width': 1.5 },
    },
    {
      id: 'grids.town',
      type: 'line',
      source: 'grids',
      'source-layer': 'grids.town',
      paint: { 'line-color': COLOURS['grids.town'], 'line-width': 3 },
    },
    ...POINT_LAYERS.map((l) => ({
      id: l.name,
      type: 'circle',
      source: 'points',
      'source-layer': l.name,
      paint: {
        'circle-color': COLOURS[l.name],
        'circle-radius': circleRadius(l),
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 0.5,
      },
    })),
  ],
};

const map = new maplibregl.Map({
  container: 'map',
  style,
  center: [Number(params.get('lon')), Number(params.get('lat'))],
  zoom: Number(params.get('zoom')),
  attributionControl: false,
  fadeDuration: 0,
  // Keeps the last frame readable for the pixel count.
  canvasContextAttributes: { preserveDrawingBuffer: true },
});

map.on('error', (e) => {
  test.errors.push(String(e.error?.message ?? e.error ?? e));
  test.state = 'error';
});
map.once('load', () => {
  map.once('idle', () => {
    if (test.state === 'loading') test.state = 'idle';
  });
});

// Per style layer: the features rendered in the viewport, the clusters among them (and their
// largest count), the grid levels seen, and the lon/lat box of all their coordinates.
function summary() {
  const layers = {};
  for (const id of [...GRID_LAYERS, ...POINT_LAYERS.map((l) => l.name)]) {
    const features = map.queryRenderedFeatures({ layers: [id] });
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    const extend = (c) => {
      if (typeof c[0] === 'number') {
        box[0] = Math.min(box[0], c[0]);
        box[1] = Math.min(box[1], c[1]);
        box[2] = Math.max(box[2], c[0]);
        box[3] = Math.max(box[3], c[1]);
      } else {
        c.forEach(extend);
      }
    };
    const clusters = features.filter((f) => f.properties.cluster === true);
    for (const f of features) extend(f.geometry.coordinates);
    layers[id] = {
      features: features.length,
      clusters: clusters.length,
      maxCount: Math.max(0, ...clusters.map((f) => f.properties.count)),
      levels: [...new Set(features.map((f) => f.properties.level).filter(Boolean))],
      box,
    };
  }
  return { layers, pixels: countPixels([map.getCanvas()]) };
}
