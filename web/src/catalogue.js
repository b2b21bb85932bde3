// The county's own layers (cameras, stations, pipes, planning zones…) on the map: taken from the
// server's MapLibre style (GET /style.json, as the signed-in user may see them), which holds each
// layer's tile source and style layers drawn as its definition says, and its catalogue by theme.
// Here they get their labels, their place in the layer switcher (grouped by theme, with a legend
// swatch) and in what a click can pick.
import { getJSON } from './api.js';
import { app, gcj, track } from './app.js';
import { TEXT_FONT } from './layers.js';

/// Loads the county layers as the server's style has them for the signed-in user:
/// app.countyLayers = {sources, layers, catalogue: [{theme, layers: [{name, title, geometry,
/// color, fill, label, style_layers}]}]}.
export async function loadCountyLayers() {
  app.countyLayers = { sources: {}, layers: [], catalogue: [] };
  await track(async () => {
    const style = await getJSON('/style.json', gcj() ? { offset: 'gcj02' } : {});
    const ours = style.layers.filter((l) => l.metadata?.['onemap:layer']);
    const sources = {};
    // Tiles from the page's own origin, whatever address the server saw (a proxy's, say): the
    // token goes to that origin only (api.js).
    const here = (url) => `${location.origin}${url.slice(url.indexOf('/tiles/'))}`;
    for (const l of ours) sources[l.source] = { ...style.sources[l.source], tiles: style.sources[l.source].tiles.map(here) };
    app.countyLayers = { sources, layers: ours, catalogue: style.metadata?.['onemap:catalogue'] ?? [] };
  });
}

/// The county layers' sources and style layers for the map's style, with a label layer for each
/// layer whose style names a label field (from the same zoom as the layer).
export function countyStyle() {
  const c = app.countyLayers ?? { sources: {}, layers: [], catalogue: [] };
  const labels = [];
  for (const theme of c.catalogue)
    for (const entry of theme.layers) {
      if (!entry.label) continue;
      const first = c.layers.find((l) => l.id === entry.style_layers[0]);
      if (!first) continue;
      labels.push({
        id: `${entry.name}-label`,
        type: 'symbol',
        source: first.source,
        'source-layer': entry.name,
        filter: ['!=', ['get', 'cluster'], true],
        ...(first.minzoom !== undefined ? { minzoom: Math.max(first.minzoom, 13) } : { minzoom: 13 }),
        layout: { 'text-field': ['to-string', ['get', entry.label]], 'text-font': TEXT_FONT, 'text-size': 11, 'text-offset': [0, 1.1], 'text-optional': true },
        paint: { 'text-color': entry.color, 'text-halo-color': '#ffffff', 'text-halo-width': 1.4 },
      });
    }
  return { sources: c.sources, layers: c.layers, labels };
}

/// Each county layer's toggle key and the map layers it shows or hides.
export function countyToggles() {
  const out = {};
  for (const theme of app.countyLayers?.catalogue ?? [])
    for (const entry of theme.layers) out[`layer:${entry.name}`] = [...entry.style_layers, `${entry.name}-label`];
  return out;
}

/// What a click can pick of the county layers, points above lines above polygons: [map layer,
/// collection, title].
export function countyClickable() {
  const order = { point: 0, line: 1, polygon: 2 };
  const entries = (app.countyLayers?.catalogue ?? []).flatMap((t) => t.layers);
  entries.sort((a, b) => order[a.geometry] - order[b.geometry]);
  return entries.flatMap((e) => e.style_layers.filter((id) => !id.endsWith('-outline')).map((id) => [id, e.name, e.title]));
}
