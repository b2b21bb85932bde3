// onemap's data layers on the live map: the style as the filters and the signed-in user make it,
// the incident tiles set again when the filters change, every tile source reloaded for a new
// audience, and the overdue incidents (GeoJSON from the items API).
import { getJSON } from './api.js';
import { app, FETCH_PAGE, gcj, geometryToMap, track } from './app.js';
import { isOpen, itemParams, overdueCql, tileParams } from './filters.js';
import { countyStyle } from './catalogue.js';
import { buildStyle, tileTemplate } from './layers.js';
import { applyVisibility } from './legend.js';

// The incident tiles' parameters of a state class under the filters. A filter that selects
// nothing: the source still needs a template; status '-' matches nothing.
const incidentParams = (stateClass) => tileParams(app.filters, stateClass) ?? { status: '-' };

function incidentTiles(stateClass) {
  return tileTemplate('incidents', { ...(gcj() ? { offset: 'gcj02' } : {}), ...incidentParams(stateClass) });
}

/// The style as it is now: the filters, and the workers' layer when the user may read it.
export function currentStyle() {
  return buildStyle({
    offset: app.config.offset,
    basemaps: app.config.basemaps,
    openParams: incidentParams('open'),
    closedParams: incidentParams('closed'),
    workers: app.workerTiles,
    county: countyStyle(),
  });
}

/// Removes onemap's tile sources with their layers and adds them again as the signed-in user
/// sees them: no tile of the previous audience stays on the map, not even while the new ones
/// load (a reload would show the old tiles until then). The workers' layer comes or goes.
export function reloadTiles() {
  const m = app.map;
  const style = currentStyle();
  const isTiles = (id) => (style.sources[id] ?? m.getSource(id))?.type === 'vector';
  for (const l of m.getStyle().layers) if (l.source && isTiles(l.source)) m.removeLayer(l.id);
  for (const id of Object.keys(m.getStyle().sources)) if (isTiles(id)) m.removeSource(id);
  for (const [id, source] of Object.entries(style.sources)) if (source.type === 'vector') m.addSource(id, source);
  // Each layer back in its place: before the next layer of the style the map holds.
  style.layers.forEach((l, i) => {
    if (!l.source || !isTiles(l.source)) return;
    m.addLayer(l, style.layers.slice(i + 1).find((next) => m.getLayer(next.id))?.id);
  });
  applyVisibility();
}

export function applyIncidentFilters() {
  const m = app.map;
  for (const cls of ['open', 'closed']) {
    const src = m.getSource(`incidents-${cls}`);
    if (src) src.setTiles([incidentTiles(cls)]);
  }
  return loadOverdue();
}

export async function loadOverdue() {
  const wanted = [...app.filters.statuses].some(isOpen);
  const src = app.map.getSource('incidents-overdue');
  if (!wanted) {
    src.setData({ type: 'FeatureCollection', features: [] });
    return;
  }
  await track(async () => {
    const params = { ...itemParams(app.filters, { extraCql: overdueCql(app.overdueMode, new Date(), app.overdueFlag) }), limit: FETCH_PAGE, properties: 'inc_id,category,status,reported_at' };
    if (!params['filter-lang']) params['filter-lang'] = 'cql2-text';
    const fc = await getJSON('/collections/incidents/items', params);
    app.overdueCount = fc.numberMatched;
    src.setData({
      type: 'FeatureCollection',
      features: fc.features.map((f) => ({ type: 'Feature', id: f.id, properties: { ...f.properties, fid: f.id }, geometry: geometryToMap(f.geometry) })),
    });
  });
}

