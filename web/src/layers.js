// The map's sources and layers: grid boundaries by level with labels, households (cells at small
// scales, points up close), enterprises by risk, incidents by state (open and closed from the
// incident tiles with the planner's filters; overdue from the items API), the grid workers (for
// county-wide staff only: the server refuses their tiles to everyone else), the planner's area and
// drawing, and an optional raster basemap. Every URL is on the page's own origin except a basemap
// the server was configured with.
import { url } from './api.js';

export const COLOURS = {
  background: '#eef0ec',
  countyFill: '#fbfaf6',
  county: '#4a2c7a',
  town: '#7b5ea7',
  village: '#6f8fb8',
  grid: '#b5b9be',
  households: '#2a9d8f',
  householdCells: '#52b3a8',
  enterpriseCells: '#8d6e63',
  risk: { major: '#e60012', significant: '#ff8a00', general: '#f5c400', low: '#1f6fd1' },
  open: '#8e24aa',
  overdue: '#d50000',
  closed: '#7d8c96',
  area: '#0b7285',
  workers: '#e76f51',
};

export const RISKS = ['major', 'significant', 'general', 'low'];
export const TEXT_FONT = ['Microsoft YaHei', 'PingFang SC', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', 'sans-serif'];

// The layer switcher's entries: each toggles the map layers listed.
export const TOGGLES = {
  county: ['grid-county-fill', 'grid-county-line', 'grid-county-label'],
  town: ['grid-town-line', 'grid-town-label'],
  village: ['grid-village-line', 'grid-village-label'],
  grid: ['grid-grid-fill', 'grid-grid-line', 'grid-grid-label'],
  households: ['households-cells', 'households-points'],
  enterprises: ['enterprises-cells', 'enterprises-cells-count', 'enterprises-points'],
  open: ['incidents-open', 'incidents-open-count'],
  overdue: ['incidents-overdue', 'incidents-overdue-count'],
  closed: ['incidents-closed', 'incidents-closed-count'],
  workers: ['workers-cells', 'workers-cells-count', 'workers-points'],
};

// The layers a click can pick, topmost first, with the collection each belongs to.
export const CLICKABLE = [
  ['incidents-overdue', 'incidents'],
  ['incidents-open', 'incidents'],
  ['incidents-closed', 'incidents'],
  ['workers-points', 'workers'],
  ['enterprises-points', 'enterprises'],
  ['enterprises-cells', 'enterprises'],
  ['households-points', 'households'],
  ['households-cells', 'households'],
  ['grid-grid-fill', 'grids'],
  ['grid-county-fill', 'grids'],
];

const GRID_LAYERS = 'grids.county,grids.town,grids.village,grids.grid';
const cluster = ['==', ['get', 'cluster'], true];
const notCluster = ['!=', ['get', 'cluster'], true];

/// A tile URL template on this origin, with `params` (the offset and the incident filters).
export function tileTemplate(layers, params) {
  // {z}/{x}/{y} must stay unencoded for MapLibre to fill them in.
  return `${location.origin}${url(`/tiles/${layers}/{z}/{x}/{y}.mvt`, params)}`
    .replace('%7Bz%7D', '{z}')
    .replace('%7Bx%7D', '{x}')
    .replace('%7By%7D', '{y}');
}

function radiusByCount(field, min, max, maxCount) {
  return ['interpolate', ['linear'], ['sqrt', ['get', field]], 1, min, Math.sqrt(maxCount), max];
}

function basemapTiles(b) {
  if (!b.url.includes('{s}')) return [b.url];
  const subs = b.kind === 'amap' ? ['1', '2', '3', '4'] : b.kind === 'tianditu' ? ['0', '1', '2', '3', '4', '5', '6', '7'] : ['a', 'b', 'c'];
  return subs.map((s) => b.url.replace('{s}', s));
}

/// Enterprise markers: a square per risk colour, drawn here (no sprite file to fetch).
export function addEnterpriseIcons(map) {
  const size = 18;
  for (const risk of RISKS) {
    const data = new Uint8Array(size * size * 4);
    const hex = COLOURS.risk[risk];
    const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const border = x < 2 || y < 2 || x >= size - 2 || y >= size - 2;
        const o = (y * size + x) * 4;
        const c = border ? [40, 40, 40] : rgb;
        data.set([...c, 255], o);
      }
    map.addImage(`enterprise-${risk}`, { width: size, height: size, data }, { pixelRatio: 2 });
  }
}

/// The style: `offset` 'gcj02' or null; `basemaps` from the server's configuration; the incident
/// layers' tile parameters; `workers` whether the signed-in user may read the workers' tiles.
/// `county`: the county layers' sources, style layers and labels (catalogue.js's countyStyle()).
export function buildStyle({ offset, basemaps, openParams, closedParams, workers = false, county = { sources: {}, layers: [], labels: [] } }) {
  const off = offset ? { offset } : {};
  const sources = {
    grids: { type: 'vector', tiles: [tileTemplate(GRID_LAYERS, off)], minzoom: 0, maxzoom: 16 },
    points: { type: 'vector', tiles: [tileTemplate('households,enterprises', off)], minzoom: 0, maxzoom: 16 },
    'incidents-open': { type: 'vector', tiles: [tileTemplate('incidents', { ...off, ...(openParams ?? {}) })], minzoom: 0, maxzoom: 16 },
    'incidents-closed': { type: 'vector', tiles: [tileTemplate('incidents', { ...off, ...(closedParams ?? {}) })], minzoom: 0, maxzoom: 16 },
    ...(workers ? { workers: { type: 'vector', tiles: [tileTemplate('workers', off)], minzoom: 0, maxzoom: 16 } } : {}),
    ...county.sources,
    'incidents-overdue': { type: 'geojson', data: { type: 'FeatureCollection', features: [] }, cluster: true, clusterRadius: 40, clusterMaxZoom: 12 },
    area: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    labels: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
    draw: { type: 'geojson', data: { type: 'FeatureCollection', features: [] } },
  };
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': COLOURS.background } }];
  (basemaps ?? []).forEach((b, i) => {
    sources[`basemap-${i}`] = { type: 'raster', tiles: basemapTiles(b), tileSize: 256, maxzoom: 18 };
    layers.push({ id: `basemap-${i}`, type: 'raster', source: `basemap-${i}` });
  });
  const labelPaint = (colour) => ({ 'text-color': colour, 'text-halo-color': '#ffffff', 'text-halo-width': 1.6 });
  const gridLayer = (level) => ({ source: 'grids', 'source-layer': `grids.${level}` });
  // Names from one point per grid (the labels source, filled by the page from the grids).
  const labelsOf = (level) => ({ source: 'labels', filter: ['==', ['get', 'level'], level] });
  layers.push(
    { id: 'grid-county-fill', type: 'fill', ...gridLayer('county'), paint: { 'fill-color': COLOURS.countyFill, 'fill-opacity': basemaps?.length ? 0 : 1 } },
    { id: 'grid-grid-fill', type: 'fill', ...gridLayer('grid'), paint: { 'fill-color': 'rgba(0,0,0,0)' } },
    { id: 'grid-grid-line', type: 'line', ...gridLayer('grid'), paint: { 'line-color': COLOURS.grid, 'line-width': ['interpolate', ['linear'], ['zoom'], 11, 0.4, 16, 1.2] } },
    { id: 'grid-village-line', type: 'line', ...gridLayer('village'), paint: { 'line-color': COLOURS.village, 'line-width': ['interpolate', ['linear'], ['zoom'], 9, 0.6, 16, 2] } },
    { id: 'grid-town-line', type: 'line', ...gridLayer('town'), paint: { 'line-color': COLOURS.town, 'line-width': ['interpolate', ['linear'], ['zoom'], 6, 1, 16, 3.5], 'line-dasharray': [4, 2] } },
    { id: 'grid-county-line', type: 'line', ...gridLayer('county'), paint: { 'line-color': COLOURS.county, 'line-width': ['interpolate', ['linear'], ['zoom'], 6, 2, 16, 5] } },
    { id: 'area-fill', type: 'fill', source: 'area', paint: { 'fill-color': COLOURS.area, 'fill-opacity': 0.08 } },
    { id: 'area-line', type: 'line', source: 'area', paint: { 'line-color': COLOURS.area, 'line-width': 2.5 } },
    // The county's own layers (polygons, lines, points) over the grids, under the five layers.
    ...county.layers,
    // Households: cells with their count at small scales, single households up close.
    { id: 'households-cells', type: 'circle', source: 'points', 'source-layer': 'households', filter: cluster,
      paint: { 'circle-color': COLOURS.householdCells, 'circle-opacity': 0.55, 'circle-radius': radiusByCount('count', 2, 14, 400) } },
    { id: 'households-points', type: 'circle', source: 'points', 'source-layer': 'households', filter: notCluster,
      paint: { 'circle-color': COLOURS.households, 'circle-radius': ['interpolate', ['linear'], ['zoom'], 14, 2, 18, 5], 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 0.6 } },
    // Enterprises: cells (no risk known) at small scales, squares coloured by risk from zoom 12.
    { id: 'enterprises-cells', type: 'circle', source: 'points', 'source-layer': 'enterprises', filter: cluster,
      paint: { 'circle-color': COLOURS.enterpriseCells, 'circle-opacity': 0.8, 'circle-radius': radiusByCount('count', 4, 14, 60), 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1 } },
    { id: 'enterprises-cells-count', type: 'symbol', source: 'points', 'source-layer': 'enterprises', filter: ['all', cluster, ['>', ['get', 'count'], 1]],
      layout: { 'text-field': ['to-string', ['get', 'count']], 'text-font': TEXT_FONT, 'text-size': 10, 'text-allow-overlap': true },
      paint: { 'text-color': '#ffffff' } },
    { id: 'enterprises-points', type: 'symbol', source: 'points', 'source-layer': 'enterprises', filter: notCluster,
      layout: { 'icon-image': ['match', ['get', 'risk'], 'major', 'enterprise-major', 'significant', 'enterprise-significant', 'general', 'enterprise-general', 'enterprise-low'],
        'icon-allow-overlap': true, 'icon-size': ['interpolate', ['linear'], ['zoom'], 12, 0.7, 17, 1.2],
        'symbol-sort-key': ['match', ['get', 'risk'], 'major', 4, 'significant', 3, 'general', 2, 1] } },
  );
  // Grid workers (staff only): cells with their count at small scales, single workers up close.
  if (workers)
    layers.push(
      { id: 'workers-cells', type: 'circle', source: 'workers', 'source-layer': 'workers', filter: cluster,
        paint: { 'circle-color': COLOURS.workers, 'circle-opacity': 0.7, 'circle-radius': radiusByCount('count', 4, 12, 100), 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 1 } },
      { id: 'workers-cells-count', type: 'symbol', source: 'workers', 'source-layer': 'workers', filter: ['all', cluster, ['>', ['get', 'count'], 1]],
        layout: { 'text-field': ['to-string', ['get', 'count']], 'text-font': TEXT_FONT, 'text-size': 10, 'text-allow-overlap': true },
        paint: { 'text-color': '#ffffff' } },
      { id: 'workers-points', type: 'circle', source: 'workers', 'source-layer': 'workers', filter: notCluster,
        paint: { 'circle-color': COLOURS.workers, 'circle-radius': ['interpolate', ['linear'], ['zoom'], 12, 3, 18, 6], 'circle-stroke-color': '#3d1408', 'circle-stroke-width': 1 } },
    );
  // Incidents by state: closed under open under overdue.
  const incidentLayers = (id, colour, countField, stroke) => [
    { id, type: 'circle', source: id, ...(id === 'incidents-overdue' ? {} : { 'source-layer': 'incidents' }),
      paint: {
        'circle-color': colour,
        'circle-opacity': 0.85,
        'circle-radius': ['interpolate', ['linear'], ['zoom'],
          12, ['case', ['has', countField], radiusByCount(countField, 4, 16, 300), 3.5],
          18, ['case', ['has', countField], radiusByCount(countField, 4, 16, 300), 7]],
        'circle-stroke-color': stroke,
        'circle-stroke-width': 1.2,
      } },
    { id: `${id}-count`, type: 'symbol', source: id, ...(id === 'incidents-overdue' ? {} : { 'source-layer': 'incidents' }),
      filter: ['>', ['coalesce', ['get', countField], 1], 1],
      layout: { 'text-field': ['to-string', ['get', countField]], 'text-font': TEXT_FONT, 'text-size': 10, 'text-allow-overlap': true },
      paint: { 'text-color': '#ffffff' } },
  ];
  layers.push(
    ...incidentLayers('incidents-closed', COLOURS.closed, 'count', '#ffffff'),
    ...incidentLayers('incidents-open', COLOURS.open, 'count', '#ffffff'),
    ...incidentLayers('incidents-overdue', COLOURS.overdue, 'point_count', '#3b0000'),
  );
  // Labels above everything but the drawing.
  layers.push(
    { id: 'grid-grid-label', type: 'symbol', ...labelsOf('grid'), minzoom: 14,
      layout: { 'text-field': ['get', 'name'], 'text-font': TEXT_FONT, 'text-size': 11 }, paint: labelPaint('#555b61') },
    { id: 'grid-village-label', type: 'symbol', ...labelsOf('village'), minzoom: 11.5,
      layout: { 'text-field': ['get', 'name'], 'text-font': TEXT_FONT, 'text-size': 12 }, paint: labelPaint('#2f4f78') },
    { id: 'grid-town-label', type: 'symbol', ...labelsOf('town'), minzoom: 8.5, maxzoom: 14,
      layout: { 'text-field': ['get', 'name'], 'text-font': TEXT_FONT, 'text-size': 15 }, paint: labelPaint('#4a2c7a') },
    { id: 'grid-county-label', type: 'symbol', ...labelsOf('county'), maxzoom: 9.5,
      layout: { 'text-field': ['get', 'name'], 'text-font': TEXT_FONT, 'text-size': 18 }, paint: labelPaint('#2d1a4d') },
    ...county.labels,
    { id: 'draw-fill', type: 'fill', source: 'draw', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#ff6d00', 'fill-opacity': 0.12 } },
    { id: 'draw-line', type: 'line', source: 'draw', paint: { 'line-color': '#ff6d00', 'line-width': 2, 'line-dasharray': [2, 1] } },
    { id: 'draw-vertex', type: 'circle', source: 'draw', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4, 'circle-color': '#ff6d00' } },
  );
  return { version: 8, sources, layers };
}
