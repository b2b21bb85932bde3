// onemap's web map (一张图): the county's grids, households, enterprises and incidents on one
// MapLibre map, the planner's incident query (area, time, category, status) and the incident
// dashboard. Everything is loaded from the onemap server that serves this page.
//
// Every request to onemap carries the signed-in user's token (api.js), tiles too: the map shows
// what the user's role may see in its area, and signing in or out loads every layer again.
//
// The page reports to scripts and tests through window.onemapApp: the map, the filters, the last
// query's result, the signed-in user (me), whether it may read the workers' tiles (workerTiles),
// settled() (a promise for the map idle with no request of the page's own pending), refresh() and
// openIncident(id) (the incident's panel, as a click on it or on its line in the query list opens
// it).
//
// This module starts the page and joins its parts: the header (language, sign-in), the map with
// what a click on it opens, the names on it, refresh() and the auto-refresh. The parts: app.js (the
// shared state, window.onemapApp), dom.js, tiles.js (onemap's layers on the map), catalogue.js (the
// county's own layers), legend.js (the layer switcher), info.js (the attribute panel), incident.js (an incident's handling),
// query.js (the planner's query) and dashboard.js.
import { Map as MapLibreMap, NavigationControl, ScaleControl, setWorkerUrl } from 'maplibre-gl';
import { ApiError, getJSON, onTokenChange, request, setToken, token, withToken } from './api.js';
import { app, gcj, settled, status, toMap, track } from './app.js';
import { loadDashboard, loadRanking, renderDashboard, setupRanking } from './dashboard.js';
import { $, el, showTab } from './dom.js';
import { DrawTool } from './draw.js';
import { overdueMode } from './filters.js';
import { applyI18n, currentLang, has, onLangChange, setLang, t } from './i18n.js';
import { openIncident, setupIncidentPanel } from './incident.js';
import { showInfo } from './info.js';
import { labelPoint } from './labels.js';
import { addEnterpriseIcons, CLICKABLE } from './layers.js';
import { countyClickable, loadCountyLayers } from './catalogue.js';
import { applyVisibility, buildLayerPanel } from './legend.js';
import { gridsWhere, loadTowns, onDrawn, pickGridArea, renderFilterInputs, renderQuery, runQuery, setArea, setupQueryPanel } from './query.js';
import { applyIncidentFilters, currentStyle, loadOverdue, reloadTiles } from './tiles.js';

/* global __WORKER_URL__ */
setWorkerUrl(new URL(__WORKER_URL__, location.href).href);

Object.assign(app, { refresh, runQuery, openIncident });
window.onemapApp = app;
setupIncidentPanel({ refresh });

// ---- the map ------------------------------------------------------------------------------------

/// The auto-refresh period in seconds: ?refresh=SECONDS of the page's address, else 60.
function refreshSeconds() {
  const v = new URLSearchParams(location.search).get('refresh');
  return v !== null && /^\d+$/.test(v) ? Number(v) : 60;
}

async function refresh() {
  // setTiles with the same URLs reloads every tile: unchanged ones answer 304 to the ETag.
  await applyIncidentFilters();
  await Promise.all([loadDashboard(), app.query ? runQuery() : null]);
  return settled();
}

/// What a click can pick, topmost first: [map layer, collection, title (county layers)].
function clickable() {
  const county = countyClickable();
  // The county's own layers under the five's points, over the grids.
  const grids = CLICKABLE.findIndex(([, c]) => c === 'grids');
  return [...CLICKABLE.slice(0, grids), ...county, ...CLICKABLE.slice(grids)];
}

async function openFeature(feature, collection, point, title = null) {
  const p = feature.properties ?? {};
  if (p.cluster === true || p.cluster_id !== undefined) {
    const n = p.count ?? p.point_count;
    showInfo(collection, {}, {
      title,
      note: ['info.cluster', { n }],
      actions: [el('button', { type: 'button', text: t('info.zoomIn'), onclick: () => app.map.easeTo({ center: point, zoom: app.map.getZoom() + 2 }) })],
    });
    return;
  }
  const id = p.fid ?? feature.id;
  if (collection === 'grids') {
    showInfo('grids', { id, ...p }, {
      actions: [el('button', { type: 'button', text: t('info.useAsArea'), onclick: () => pickGridArea(p.level, p.code, p.name) })],
    });
    return;
  }
  if (collection === 'incidents') return openIncident(id, { fly: false });
  showInfo(collection, { id, ...p }, { title, note: ['info.loading'] });
  await track(async () => {
    let props;
    let note = token() ? null : 'info.publicOnly';
    if (token() && collection === 'households') {
      // The record endpoint: personal fields included, for the roles that read them in their
      // area (403 elsewhere: then the feature's fields).
      try {
        props = await request(`/${collection}/${id}`);
        note = 'info.personal';
      } catch (e) {
        if (!(e instanceof ApiError) || e.status !== 403) throw e;
        note = 'info.summary';
      }
    }
    if (!props) {
      // The feature: what the user's audience reads of it (never a personal field).
      const f = await getJSON(`/collections/${collection}/items/${id}`);
      props = { id: f.id, ...f.properties };
    }
    if (app.info?.props?.id === id) showInfo(collection, props, { title, note: note ? [note] : null });
  });
}

function onMapClick(e) {
  if (app.draw.mode) return;
  const picks = clickable();
  const layers = picks.map(([id]) => id).filter((id) => app.map.getLayer(id) && app.map.getLayoutProperty(id, 'visibility') !== 'none');
  const pad = 4;
  const hits = app.map.queryRenderedFeatures(
    [
      [e.point.x - pad, e.point.y - pad],
      [e.point.x + pad, e.point.y + pad],
    ],
    { layers },
  );
  if (!hits.length) {
    $('info').hidden = true;
    return;
  }
  const order = picks.map(([id]) => id);
  hits.sort((a, b) => order.indexOf(a.layer.id) - order.indexOf(b.layer.id));
  const hit = hits[0];
  const [, collection, title] = picks.find(([id]) => id === hit.layer.id);
  openFeature(hit, collection, e.lngLat, title ?? null);
}

/// The names on the map: a point inside each county, town, village and grid.
async function loadLabels(county) {
  await track(async () => {
    const levels = await Promise.all(['town', 'village', 'grid'].map((l) => gridsWhere(`level = '${l}'`)));
    const features = [];
    for (const f of [county, ...levels.flat()]) {
      const p = f && labelPoint(f.geometry);
      if (p) features.push({ type: 'Feature', properties: { name: f.properties.name, level: f.properties.level, code: f.properties.code }, geometry: { type: 'Point', coordinates: toMap(p) } });
    }
    app.map.getSource('labels').setData({ type: 'FeatureCollection', features });
  });
}

// ---- the page -----------------------------------------------------------------------------------

function pageTitle() {
  return `${app.countyName ?? ''}${currentLang() === 'en' ? ' ' : ''}${t('app.title')}`;
}

function updateAuthButton() {
  const b = $('auth');
  const me = token() ? app.me : null;
  const who = me ? t('auth.signedInAs', { id: me.id, role: has(`role.${me.role}`) ? t(`role.${me.role}`) : me.role }) : t('auth.signedIn');
  b.textContent = token() ? `${who} · ${t('auth.signOut')}` : t('auth.signIn');
  b.dataset.user = me?.id ?? '';
  b.classList.toggle('signed-in', !!token());
}

/// Who is signed in (GET /users/me): their id, role and the actions their role allows; and
/// whether the server gives them the workers' tiles (county-wide staff: 403 for everyone else).
async function loadMe() {
  app.me = null;
  app.workerTiles = false;
  if (token())
    await track(async () => {
      app.me = await request('/users/me');
      app.workerTiles = await request('/tiles/workers.json').then(
        () => true,
        (e) => (e instanceof ApiError && e.status === 403 ? false : Promise.reject(e)),
      );
    });
  updateAuthButton();
}

/// After a sign-in or sign-out: who it is, then every layer and figure again as the new audience
/// sees them (the attribute panel, of the previous audience, closes).
async function audienceChanged({ rejected }) {
  if (rejected) status(t('auth.invalid'), true);
  $('info').hidden = true;
  await loadMe();
  await loadCountyLayers();
  buildLayerPanel();
  reloadTiles();
  await Promise.all([loadOverdue(), loadDashboard(), app.query ? runQuery() : null]);
}

function setupHeader() {
  $('lang').onclick = () => setLang(currentLang() === 'zh' ? 'en' : 'zh');
  $('auth').onclick = () => {
    if (token()) setToken('');
    else {
      const v = window.prompt(t('auth.prompt'));
      if (v && v.trim()) setToken(v.trim());
    }
  };
  // Once the page is up (a change while it starts: when it has started).
  onTokenChange((change) => app.ready.then(() => audienceChanged(change)));
  $('refresh').onclick = () => refresh();
  for (const b of document.querySelectorAll('.tabs button'))
    b.onclick = () => {
      showTab(b.dataset.tab);
      // The ranking is asked for only while the dashboard is shown (see loadRanking).
      if (b.dataset.tab === 'dashboard') loadRanking();
    };
  setupRanking();
  $('info-close').onclick = () => ($('info').hidden = true);
  onLangChange(() => {
    document.title = pageTitle();
    updateAuthButton();
    buildLayerPanel();
    renderFilterInputs();
    renderQuery();
    renderDashboard();
    for (const [id, key] of [['pick-town', 'query.allTowns'], ['pick-village', 'query.allVillages'], ['pick-grid', 'query.allGrids']]) {
      const first = $(id).options[0];
      if (first) first.textContent = t(key);
    }
    setArea(app.filters.area);
    if (app.info && !$('info').hidden) showInfo(app.info.layer, app.info.props, app.info.opts);
  });
}

async function start() {
  applyI18n();
  setupHeader();
  updateAuthButton();
  const [config, county, queryables] = await Promise.all([
    getJSON('/app/config.json').catch(() => ({ basemaps: [], offset: null })),
    getJSON('/collections/grids/items', { filter: "level = 'county'", 'filter-lang': 'cql2-text', limit: 1, properties: 'code,name,level' }),
    getJSON('/collections/incidents/queryables').catch(() => null),
    loadMe(),
  ]);
  app.config = { basemaps: config.basemaps ?? [], offset: config.offset ?? null };
  await loadCountyLayers();
  app.overdueMode = overdueMode(queryables);
  app.overdueFlag = 'overdue' in (queryables?.properties ?? {});
  const tilejson = await getJSON('/tiles/grids.county.json', gcj() ? { offset: 'gcj02' } : {});
  const countyFeature = county.features[0];
  app.countyName = countyFeature?.properties.name ?? '';
  $('county-name').textContent = app.countyName;
  document.title = pageTitle();
  app.visibility = {};

  const [w, s, e, n] = tilejson.bounds ?? [73, 18, 135, 54];
  const map = new MapLibreMap({
    container: 'map',
    style: currentStyle(),
    transformRequest: withToken,
    bounds: [[w, s], [e, n]],
    fitBoundsOptions: { padding: 20 },
    attributionControl: false,
    localIdeographFontFamily: "'Microsoft YaHei', 'PingFang SC', 'Noto Sans CJK SC', 'WenQuanYi Micro Hei', sans-serif",
    maxZoom: 19,
  });
  app.map = map;
  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new ScaleControl({ unit: 'metric' }), 'bottom-right');
  map.on('styleimagemissing', (ev) => {
    if (ev.id.startsWith('enterprise-') && !map.hasImage('enterprise-low')) addEnterpriseIcons(map);
  });
  map.on('error', (ev) => {
    const msg = ev.error?.message ?? String(ev.error);
    app.errors.push(msg);
    console.error(msg);
  });
  app.draw = new DrawTool(map, onDrawn);
  map.on('click', onMapClick);
  for (const [id] of clickable()) {
    map.on('mouseenter', id, () => !app.draw.mode && (map.getCanvas().style.cursor = 'pointer'));
    map.on('mouseleave', id, () => !app.draw.mode && (map.getCanvas().style.cursor = ''));
  }
  buildLayerPanel();
  setupQueryPanel();
  await new Promise((resolve) => map.once('load', resolve));
  if (!map.hasImage('enterprise-low')) addEnterpriseIcons(map);
  applyVisibility();
  await Promise.all([loadOverdue(), loadDashboard(), loadTowns(), loadLabels(countyFeature), runQuery()]);
  // Incidents change all the time: reload their layers and the figures every minute, or every
  // ?refresh=SECONDS of the page address (0: never).
  const every = refreshSeconds();
  if (every > 0) setInterval(() => document.visibilityState === 'visible' && !app.draw.mode && refresh(), every * 1000);
  refreshOnEvents();
}

/// Live: GET /events (the public stream: it says only that an incident changed) refreshes the
/// incident layers and figures, once for a burst of events, unless auto-refresh is off.
function refreshOnEvents() {
  if (refreshSeconds() === 0 || typeof EventSource !== 'function') return;
  let pending = null;
  new EventSource('/events').onmessage = () => {
    pending ??= setTimeout(() => {
      pending = null;
      if (document.visibilityState === 'visible' && !app.draw.mode) refresh();
    }, 2000);
  };
}

app.ready = start().catch((e) => {
  app.errors.push(String(e.message ?? e));
  status(t('error.load', { msg: e.message ?? e }), true);
  throw e;
});
