// OpenLayers page (bundled by run.mjs with esbuild): onemap's CGCS2000 tiles in EPSG:4326
// (CGCS2000 and WGS84 differ by centimetres) through a tile grid that numbers tiles like
// Tianditu's 'c' set. The page reports to the test runner through window.onemapTest: state
// ('loading', 'idle' or 'error'), errors, tiles (load counts) and summary().
import Map from 'ol/Map.js';
import View from 'ol/View.js';
import MVT from 'ol/format/MVT.js';
import VectorTileLayer from 'ol/layer/VectorTile.js';
import VectorTileSource from 'ol/source/VectorTile.js';
import TileGrid from 'ol/tilegrid/TileGrid.js';
import { Circle, Fill, Stroke, Style } from 'ol/style.js';
import { BACKGROUND, COLOURS, GRID_OUTLINE, GRID_LAYERS, POINT_LAYERS } from './palette.js';
import { countPixels } from './pixels.js';

const params = new URLSearchParams(location.search);
const tiles = params.get('tiles');
const test = { state: 'loading', errors: [], tiles: { started: 0, loaded: 0, failed: 0 }, summary };
window.onemapTest = test;
let map; // set by start()
let layer;
document.getElementById('map').style.background = BACKGROUND;

// Tianditu 'c' numbering: zoom z has 2^z x 2^(z-1) tiles of 360/2^z degrees from (-180, 90),
// rows from the north. With 256-pixel tiles that is 180/256/2^(z-1) degrees per pixel. Index 0
// (one 360-degree tile, not in the set) only fills the array: minZoom keeps it from being asked.
const MAX_ZOOM = 18;
const tileGrid = new TileGrid({
  extent: [-180, -90, 180, 90],
  origin: [-180, 90],
  resolutions: Array.from({ length: MAX_ZOOM + 1 }, (_, z) => 180 / 256 / 2 ** (z - 1)),
  minZoom: 1,
  tileSize: 256,
});

// One style per layer and cluster size, built on first use.
const styles = new globalThis.Map();
function styleFor(feature) {
  const layer = feature.get('layer');
  const point = POINT_LAYERS.find((l) => l.name === layer);
  let radius = 0;
  if (point) {
    // From `radius` at count 1 to `maxRadius` at `maxCount`, by sqrt(count), in whole pixels.
    const count = feature.get('cluster') === true ? feature.get('count') : 1;
    const t = Math.min(1, (Math.sqrt(count) - 1) / (Math.sqrt(point.maxCount) - 1));
    radius = Math.round(point.radius + t * (point.maxRadius - point.radius));
  }
  const key = `${layer}/${radius}`;
  if (!styles.has(key)) styles.set(key, makeStyle(layer, radius));
  return styles.get(key);
}

function makeStyle(layer, radius) {
  if (layer === 'grids.grid')
    return new Style({ fill: new Fill({ color: COLOURS[layer] }), stroke: new Stroke({ color: GRID_OUTLINE, width: 0.5 }) });
  if (layer === 'grids.village') return new Style({ stroke: new Stroke({ color: COLOURS[layer], width: 1.5 }), zIndex: 1 });
  if (layer === 'grids.town') return new Style({ stroke: new Stroke({ color: COLOURS[layer], width: 3 }), zIndex: 2 });
  return new Style({
    image: new Circle({ radius, fill: new Fill({ color: COLOURS[layer] }), stroke: new Stroke({ color: '#ffffff', width: 0.5 }) }),
    zIndex: 3 + POINT_LAYERS.findIndex((l) => l.name === layer),
  });
}

async function start() {
  const layerList = [...GRID_LAYERS, ...POINT_LAYERS.map((l) => l.name)].join(',');
  const response = await fetch(`${tiles}/tiles/cgcs2000/${layerList}.json`);
  if (!response.ok) throw new Error(`TileJSON: HTTP ${response.status}`);
  const tilejson = await response.json();

  const source = new VectorTileSource({
    format: new MVT(), // features carry their MVT layer's name in the property 'layer'
    url: tilejson.tiles[0], // onemap's .../{z}/{x}/{y}.mvt template
    projection: 'EPSG:4326',
    tileGrid,
  });
  source.on('tileloadstart', () => ++test.tiles.started);
  source.on('tileloadend', () => ++test.tiles.loaded);
  source.on('tileloaderror', () => ++test.tiles.failed);

  layer = new VectorTileLayer({ source, style: styleFor });
  map = new Map({
    target: 'map',
    layers: [layer],
    controls: [],
    view: new View({
      projection: 'EPSG:4326',
      center: [Number(params.get('lon')), Number(params.get('lat'))],
      resolutions: tileGrid.getResolutions(), // view zoom z shows tiles of zoom z
      zoom: Number(params.get('zoom')),
    }),
  });
  // rendercomplete: every tile of the view loaded (or failed) and drawn.
  map.once('rendercomplete', () => {
    if (test.state === 'loading') test.state = 'idle';
  });
}

// Per layer: the features of the loaded tiles in the view, the clusters among them (and their
// largest count), the grid levels seen, and the lon/lat box of their geometries.
function summary() {
  const extent = map.getView().calculateExtent(map.getSize());
  const features = layer.getFeaturesInExtent(extent);
  const layers = {};
  for (const id of [...GRID_LAYERS, ...POINT_LAYERS.map((l) => l.name)]) {
    const own = features.filter((f) => f.get('layer') === id);
    const clusters = own.filter((f) => f.get('cluster') === true);
    const box = [Infinity, Infinity, -Infinity, -Infinity];
    for (const f of own) {
      const e = f.getGeometry().getExtent();
      box[0] = Math.min(box[0], e[0]);
      box[1] = Math.min(box[1], e[1]);
      box[2] = Math.max(box[2], e[2]);
      box[3] = Math.max(box[3], e[3]);
    }
    layers[id] = {
      features: own.length,
      clusters: clusters.length,
      maxCount: Math.max(0, ...clusters.map((f) => f.get('count'))),
      levels: [...new Set(own.map((f) => f.get('level')).filter(Boolean))],
      box,
    };
  }
  return { layers, pixels: countPixels([...document.querySelectorAll('#map canvas')]) };
}

start().catch((e) => {
  test.errors.push(String(e.message ?? e));
  test.state = 'error';
});
