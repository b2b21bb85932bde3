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
import { Map as MapLibreMap, NavigationControl, ScaleControl, setWorkerUrl } from 'maplibre-gl';
import { ApiError, getJSON, onTokenChange, request, setToken, token, withToken } from './api.js';
import { CATEGORIES, categoryClasses, categoryName } from './categories.js';
import { DrawTool } from './draw.js';
import { labelPoint } from './labels.js';
import { closedOnTime, defaultFilters, isOpen, itemParams, OPEN, openCql, overdueCql, overdueMode, STATUSES, tileParams } from './filters.js';
import { fromGcj02, toGcj02 } from './gcj02.js';
import { applyI18n, currentLang, formatNumber, formatTime, has, onLangChange, setLang, t } from './i18n.js';
import { addEnterpriseIcons, buildStyle, CLICKABLE, COLOURS, RISKS, tileTemplate, TOGGLES } from './layers.js';

// The routing reason in the interface's language (the server words it in English and Chinese).
function reasonText(reason) {
  if (!reason || typeof reason !== 'object') return null;
  return (currentLang() === 'zh' && reason.text_zh) || reason.text || null;
}

/* global __WORKER_URL__ */
setWorkerUrl(new URL(__WORKER_URL__, location.href).href);

const $ = (id) => document.getElementById(id);
const DAY = 86400_000;
const LIST_PAGE = 100;
const FETCH_PAGE = 10000;
const COUNT_ALL = 5000;
const LIST_PROPERTIES = 'inc_id,category,status,reported_at,grid_code';

const app = {
  map: null,
  filters: defaultFilters(),
  config: { basemaps: [], offset: null },
  overdueMode: 'category',
  query: null, // the last query: {params, area, numberMatched, features, byCategory}
  dashboard: null,
  me: null, // GET /users/me of the signed-in user: {id, role, scope, …, actions}
  workerTiles: false, // whether the server gives the signed-in user the workers' tiles
  pending: 0,
  errors: [],
  settled,
  refresh,
  runQuery,
  openIncident,
};
window.onemapApp = app;

// ---- small helpers ------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function status(message, isError = false) {
  const s = $('status');
  s.textContent = message ?? '';
  s.classList.toggle('error', isError);
  s.classList.toggle('shown', !!message);
  if (message && !isError) setTimeout(() => s.textContent === message && status(''), 4000);
}

/// Runs `f` counting it as pending (settled() waits for it); errors go to the status line.
async function track(f) {
  app.pending++;
  try {
    return await f();
  } catch (e) {
    if (e.name !== 'AbortError') {
      app.errors.push(String(e.message ?? e));
      status(t('error.load', { msg: e.message ?? e }), true);
    }
    return undefined;
  } finally {
    app.pending--;
  }
}

const gcj = () => app.config.offset === 'gcj02';
// Positions between the data (CGCS2000 lon/lat) and the map (shifted with an Amap basemap).
const toMap = (p) => (gcj() ? toGcj02(p) : p);
const fromMap = (p) => (gcj() ? fromGcj02(p) : p);
function geometryToMap(g) {
  if (!gcj() || !g) return g;
  const walk = (c) => (typeof c[0] === 'number' ? toGcj02(c) : c.map(walk));
  return { ...g, coordinates: walk(g.coordinates) };
}

/// A promise for the map idle with nothing of the page's own pending.
function settled() {
  return new Promise((resolve) => {
    // Quiet twice in a row, a tenth of a second apart (requests of the page's own may start map
    // loads when they end, and the other way round), then one more frame drawn.
    let quiet = 0;
    const check = () => {
      const m = app.map;
      const idle = app.pending === 0 && m.loaded() && m.areTilesLoaded() && !m.isMoving();
      quiet = idle ? quiet + 1 : 0;
      if (quiet < 2) return setTimeout(check, 100);
      // One more frame drawn with everything: the map says idle after it.
      m.once('idle', () => resolve());
      m.triggerRepaint();
    };
    // One frame first, so that changes just made have started loading.
    requestAnimationFrame(() => setTimeout(check, 50));
  });
}

// ---- the map ------------------------------------------------------------------------------------

// The incident tiles' parameters of a state class under the filters. A filter that selects
// nothing: the source still needs a template; status '-' matches nothing.
const incidentParams = (stateClass) => tileParams(app.filters, stateClass) ?? { status: '-' };

function incidentTiles(stateClass) {
  return tileTemplate('incidents', { ...(gcj() ? { offset: 'gcj02' } : {}), ...incidentParams(stateClass) });
}

/// The style as it is now: the filters, and the workers' layer when the user may read it.
function currentStyle() {
  return buildStyle({
    offset: app.config.offset,
    basemaps: app.config.basemaps,
    openParams: incidentParams('open'),
    closedParams: incidentParams('closed'),
    workers: app.workerTiles,
  });
}

/// Removes onemap's tile sources with their layers and adds them again as the signed-in user
/// sees them: no tile of the previous audience stays on the map, not even while the new ones
/// load (a reload would show the old tiles until then). The workers' layer comes or goes.
function reloadTiles() {
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

function applyIncidentFilters() {
  const m = app.map;
  for (const cls of ['open', 'closed']) {
    const src = m.getSource(`incidents-${cls}`);
    if (src) src.setTiles([incidentTiles(cls)]);
  }
  return loadOverdue();
}

async function loadOverdue() {
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

// ---- the layer switcher and legend ---------------------------------------------------------------

function swatch(kind, colour) {
  return el('span', { class: `swatch ${kind}`, style: `--c: ${colour}` });
}

function buildLayerPanel() {
  const box = $('tab-layers');
  box.replaceChildren();
  const vis = app.visibility;
  const toggle = (key, label, legend) =>
    el(
      'label',
      { class: 'toggle' },
      el('input', {
        type: 'checkbox',
        checked: vis[key] !== false,
        dataset: { layer: key },
        onchange: (e) => {
          vis[key] = e.target.checked;
          applyVisibility();
        },
      }),
      legend,
      el('span', { text: label }),
    );
  box.append(
    el('h3', { text: t('layers.grids') }),
    toggle('county', t('layers.county'), swatch('line', COLOURS.county)),
    toggle('town', t('layers.town'), swatch('line dashed', COLOURS.town)),
    toggle('village', t('layers.village'), swatch('line', COLOURS.village)),
    toggle('grid', t('layers.grid'), swatch('line thin', COLOURS.grid)),
    toggle('labels', t('layers.labels'), swatch('text', '#333')),
    el('h3', { text: t('layers.households') }),
    toggle('households', t('layers.households'), swatch('dot', COLOURS.households)),
    el('p', { class: 'legend-note' }, swatch('dot big faded', COLOURS.householdCells), t('layers.households.note')),
    el('h3', { text: t('layers.enterprises') }),
    toggle('enterprises', t('layers.enterprises'), swatch('dot', COLOURS.enterpriseCells)),
    el('ul', { class: 'legend' }, RISKS.map((r) => el('li', {}, swatch('square', COLOURS.risk[r]), t(`risk.${r}`)))),
    el('h3', { text: t('layers.incidents') }),
    toggle('open', t('state.open'), swatch('dot', COLOURS.open)),
    toggle('overdue', t('state.overdue'), swatch('dot ring', COLOURS.overdue)),
    toggle('closed', t('state.closed'), swatch('dot', COLOURS.closed)),
    el('p', { class: 'legend-note' }, swatch('dot big', '#888'), t('legend.cluster')),
  );
  if (app.workerTiles) box.append(el('h3', { text: t('layers.workers') }), toggle('workers', t('layers.workers'), swatch('dot', COLOURS.workers)));
  if (app.config.basemaps.length) {
    box.append(el('h3', { text: t('layers.basemap') }), toggle('basemap', t('layers.basemap'), swatch('square', '#ccc')));
  } else {
    box.append(el('p', { class: 'hint', text: t('layers.noBasemap') }));
  }
}

function applyVisibility() {
  const m = app.map;
  const vis = app.visibility;
  const set = (id, on) => m.getLayer(id) && m.setLayoutProperty(id, 'visibility', on ? 'visible' : 'none');
  for (const [key, ids] of Object.entries(TOGGLES))
    for (const id of ids) set(id, vis[key] !== false && (!id.endsWith('-label') || vis.labels !== false));
  app.config.basemaps.forEach((_, i) => set(`basemap-${i}`, vis.basemap !== false));
}

// ---- feature attributes -------------------------------------------------------------------------

const HIDDEN_FIELDS = new Set(['extra', 'lon', 'lat', 'cluster']);
const FLAG_NAMES = ['rental', 'elderly_alone', 'migrants', 'person_of_concern', 'low_income', 'disability'];

function fieldValue(key, v) {
  if (v === null || v === undefined || v === '') return '–';
  if (typeof v === 'boolean') return t(v ? 'yes' : 'no');
  if (key === 'category') return `${categoryName(v)} (${v})`;
  if (key === 'status' && has(`status.${v}`)) return t(`status.${v}`);
  if (key === 'level' && has(`level.${v}`)) return t(`level.${v}`);
  if (key === 'risk' && has(`risk.${v}`)) return t(`risk.${v}`);
  if (key === 'join_kind' && has(`join.${v}`)) return t(`join.${v}`);
  if (key === 'role' && has(`workerRole.${v}`)) return t(`workerRole.${v}`);
  if (key === 'flags') {
    const names = FLAG_NAMES.filter((_, i) => v & (1 << i)).map((n) => t(`flag.${n}`));
    return names.length ? names.join('、') : '–';
  }
  if (key === 'dispatch_reason') return typeof v === 'object' ? (reasonText(v) ?? '–') : String(v);
  if (/_at$|^deadline$/.test(key)) return formatTime(v);
  if (key === 'area_m2' || key === 'join_distance_m') return formatNumber(v, key === 'join_distance_m' ? 1 : 0);
  return String(v);
}

// The incident fields shown in the handling section rather than in the attribute table.
const DISPATCH_FIELDS = new Set(['status', 'assignee', 'agency', 'level', 'deadline', 'overdue', 'dispatch_reason']);

/// The attribute panel. `note`: [i18n key, params]; `dispatch`: an incident, with its handling
/// section; `incident`: {etag, history} of its record once loaded with the token, else null.
function showInfo(layerKey, props, opts = {}) {
  const { note = null, actions = [], dispatch = false, incident = null } = opts;
  $('info').hidden = false;
  $('info-title').textContent = t(`layer.${layerKey}`);
  $('info-note').textContent = note ? t(...note) : '';
  $('info-table').replaceChildren(
    ...Object.entries(props)
      .filter(([k]) => !HIDDEN_FIELDS.has(k) && !(dispatch && DISPATCH_FIELDS.has(k)))
      .map(([k, v]) => el('tr', { dataset: { field: k } }, el('th', { text: has(`field.${k}`) ? t(`field.${k}`) : k }), el('td', { text: fieldValue(k, v) }))),
  );
  $('info-actions').replaceChildren(...actions);
  $('info-dispatch').hidden = !dispatch;
  app.info = { layer: layerKey, props, opts };
  if (dispatch) renderDispatch(props, incident);
}

// ---- an incident's handling (the closed loop: README "Dispatch") ---------------------------------

// The states each action applies to (layers/dispatch/workflow.hpp); escalate: any open state.
const ACTION_FROM = {
  dispatch: ['reported', 'dispatched', 'returned', 'escalated', 'reopened'],
  accept: ['dispatched'],
  start: ['accepted'],
  resolve: ['accepted', 'in_progress'],
  return: ['dispatched', 'accepted'],
  verify: ['resolved'],
  close: ['verified'],
  reopen: ['resolved', 'verified', 'closed'],
  escalate: OPEN,
};

/// The actions offered on an incident: those the user's role allows that apply to its state.
/// Scope and 报办分离 are the server's to judge (a 403 with its reason).
function offeredActions(status) {
  const allowed = new Set(app.me?.actions ?? []);
  return Object.keys(ACTION_FROM).filter((a) => allowed.has(a) && ACTION_FROM[a].includes(status));
}

const actionName = (a) => (has(`action.${a}`) ? t(`action.${a}`) : a);
const actorName = (id) => (id === 'system' ? t('role.system') : id);

function renderDispatch(props, incident) {
  // The fields the answer holds (the assignee is not the public's: no empty row for it).
  const row = (k, cls) => (k in props ? el('tr', { dataset: { field: k } }, el('th', { text: t(`field.${k}`) }), el('td', { class: cls, text: fieldValue(k, props[k]) })) : null);
  $('dispatch-summary').replaceChildren(
    ...[row('status'), row('assignee'), row('agency'), row('level'), row('deadline'), row('overdue', props.overdue ? 'overdue' : null)].filter(Boolean),
  );
  const reason = reasonText(props.dispatch_reason);
  $('dispatch-reason').textContent = reason ? t('dispatch.reason', { text: reason }) : '';
  const msg = app.dispatchMessage?.id === props.id ? app.dispatchMessage : null;
  const message = $('dispatch-message');
  message.classList.toggle('error', !!msg?.error);
  if (!incident) {
    // Not signed in, outside the user's area (or still loading): the state only.
    $('dispatch-act').hidden = true;
    $('dispatch-history').replaceChildren();
    $('dispatch-history').previousElementSibling.hidden = true;
    message.textContent = token() ? '' : t('info.dispatchSignIn');
    return;
  }
  const offered = offeredActions(props.status);
  $('dispatch-act').hidden = false;
  $('dispatch-actions').replaceChildren(
    ...(offered.length
      ? offered.map((a) => el('button', { type: 'button', class: 'primary', dataset: { action: a }, text: actionName(a), onclick: () => act(a) }))
      : [el('span', { class: 'hint', text: t('dispatch.none') })]),
  );
  $('dispatch-note').hidden = offered.length === 0;
  message.textContent = msg ? t(msg.key, { ...msg.params, action: actionName(msg.params.action) }) : '';
  $('dispatch-history').previousElementSibling.hidden = false;
  $('dispatch-history').replaceChildren(
    ...(incident.history.length
      ? incident.history.map((e) =>
          el(
            'li',
            { dataset: { seq: e.seq, action: e.action, actor: e.actor, to: e.to } },
            el('span', { class: 'when', text: formatTime(e.at) }),
            ' ',
            el('b', { text: actionName(e.action) }),
            ` · ${actorName(e.actor)}`,
            e.from && e.from !== e.to ? ` · ${fieldValue('status', e.from)} → ${fieldValue('status', e.to)}` : e.to ? ` · ${fieldValue('status', e.to)}` : '',
            e.note ? el('div', { class: 'note', text: e.note }) : null,
          ),
        )
      : [el('li', { class: 'hint', text: t('dispatch.historyEmpty') })]),
  );
}

function setDispatchMessage(id, key, params = {}, error = false) {
  app.dispatchMessage = { id, key, params, error };
  if (app.info?.props?.id === id && !$('info').hidden) renderDispatch(app.info.props, app.info.opts.incident);
}

/// Performs `action` on the open incident: POST /incidents/{id}/actions with the ETag of the
/// version shown (If-Match), then the panel and the incident layers reload at once.
async function act(action) {
  const { props, opts } = app.info;
  const id = props.id;
  const note = $('dispatch-note').value.trim();
  if (action === 'return' && !note) return setDispatchMessage(id, 'dispatch.noteRequired', {}, true);
  for (const b of document.querySelectorAll('#dispatch-actions button')) b.disabled = true;
  app.pending++;
  let reload = false;
  try {
    const headers = opts.incident?.etag ? { 'If-Match': opts.incident.etag } : {};
    await request(`/incidents/${id}/actions`, { method: 'POST', body: { action, note }, headers });
    $('dispatch-note').value = '';
    setDispatchMessage(id, 'dispatch.done', { action });
    reload = true;
  } catch (e) {
    // A 409 (the incident changed meanwhile, or the action no longer applies): its current state.
    const key = e.status === 409 ? 'dispatch.conflict' : e.status === 403 ? 'dispatch.forbidden' : 'dispatch.failed';
    setDispatchMessage(id, key, { msg: e.message ?? String(e) }, true);
    if (e.status === 409) await openIncident(id, { fly: false, keepMessage: true });
    else for (const b of document.querySelectorAll('#dispatch-actions button')) b.disabled = false;
  } finally {
    app.pending--;
  }
  if (reload) await Promise.all([openIncident(id, { fly: false, keepMessage: true }), refresh()]);
}

/// Opens incident `id`'s panel from its record (with its ETag), as the server shows it to the
/// user: in detail with its handling history to staff of its area (and to its reporter), its
/// public fields to everyone else; `fly` moves the map to it.
async function openIncident(id, { fly = true, keepMessage = false } = {}) {
  if (!keepMessage) app.dispatchMessage = null;
  if (app.info?.props?.id !== id || app.info.layer !== 'incidents' || $('info').hidden)
    showInfo('incidents', { id }, { note: ['info.loading'], dispatch: true });
  await track(async () => {
    const { data, etag } = await request(`/incidents/${id}`, { withETag: true });
    // The history comes with the detail: its absence says the answer is the public summary.
    const { history, ...props } = data;
    const incident = history ? { etag, history } : null;
    const note = incident ? 'info.detail' : token() ? 'info.summary' : 'info.publicOnly';
    if (fly) app.map.easeTo({ center: toMap([props.lon, props.lat]), zoom: Math.max(app.map.getZoom(), 15) });
    if (app.info?.props?.id === id) showInfo('incidents', props, { note: [note], dispatch: true, incident });
  });
}

async function openFeature(feature, collection, point) {
  const p = feature.properties ?? {};
  if (p.cluster === true || p.cluster_id !== undefined) {
    const n = p.count ?? p.point_count;
    showInfo(collection, {}, {
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
  showInfo(collection, { id, ...p }, { note: ['info.loading'] });
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
    if (app.info?.props?.id === id) showInfo(collection, props, { note: note ? [note] : null });
  });
}

function onMapClick(e) {
  if (app.draw.mode) return;
  const layers = CLICKABLE.map(([id]) => id).filter((id) => app.map.getLayer(id) && app.map.getLayoutProperty(id, 'visibility') !== 'none');
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
  const order = CLICKABLE.map(([id]) => id);
  hits.sort((a, b) => order.indexOf(a.layer.id) - order.indexOf(b.layer.id));
  const hit = hits[0];
  const collection = CLICKABLE.find(([id]) => id === hit.layer.id)[1];
  openFeature(hit, collection, e.lngLat);
}

// ---- the planner's query ------------------------------------------------------------------------

function setArea(area) {
  app.filters.area = area;
  const src = app.map.getSource('area');
  let geometry = null;
  let label = '';
  if (area?.kind === 'box') {
    const [w, s, e, n] = area.bbox;
    geometry = { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] };
    label = `${t('query.areaBox')}: ${area.bbox.map((v) => v.toFixed(4)).join(', ')}`;
  } else if (area?.kind === 'polygon') {
    geometry = area.polygon;
    label = t('query.areaPolygon');
  } else if (area?.kind === 'grid') {
    geometry = area.geometry;
    label = `${t(`level.${area.level}`)}: ${area.name} (${area.code})`;
  }
  $('area-label').textContent = label;
  src.setData({ type: 'FeatureCollection', features: geometry ? [{ type: 'Feature', properties: {}, geometry: geometryToMap(geometry) }] : [] });
}

function onDrawn(shape) {
  $('draw-hint').textContent = '';
  for (const s of [$('pick-town'), $('pick-village'), $('pick-grid')]) s.value = '';
  if (shape.kind === 'box') {
    // A box drawn on a GCJ-02 map: its corners back in CGCS2000 (close enough to a box there).
    const [w, s] = fromMap([shape.bbox[0], shape.bbox[1]]);
    const [e, n] = fromMap([shape.bbox[2], shape.bbox[3]]);
    setArea({ kind: 'box', bbox: [w, s, e, n] });
  } else {
    setArea({ kind: 'polygon', polygon: { type: 'Polygon', coordinates: [shape.ring.map(fromMap)] } });
  }
  runQuery();
}

/// The items request of the filters and area: [path, params, body].
function queryRequest() {
  const f = app.filters;
  const params = itemParams(f);
  const a = f.area;
  let body;
  if (a?.kind === 'box') params.bbox = a.bbox.map((v) => v.toFixed(7)).join(',');
  else if (a?.kind === 'grid') params.area = `${a.level}:${a.code}`;
  else if (a?.kind === 'polygon') body = a.polygon;
  return { params, body };
}

let queryAbort = null;

async function runQuery() {
  queryAbort?.abort();
  const abort = new AbortController();
  queryAbort = abort;
  $('query-count').textContent = t('query.running');
  return track(async () => {
    const { params, body } = queryRequest();
    const items = (extra) =>
      request('/collections/incidents/items', { params: { ...params, ...extra }, method: body ? 'POST' : 'GET', body, signal: abort.signal });
    // The list: the latest first, a page at a time. The counts by category: from the matching
    // incidents when there are not too many, else each category's numberMatched under the same
    // filters (exact either way, without loading every incident of a large area).
    const categories = app.filters.categories ? [...app.filters.categories] : CATEGORIES.map((c) => c.code);
    const withCategory = (code) => {
      const cql = [params.filter, `category = '${code}'`].filter(Boolean).join(' AND ');
      return items({ filter: cql, 'filter-lang': 'cql2-text', limit: 1, properties: 'category' }).then((r) => [code, r.numberMatched]);
    };
    const first = await items({ properties: LIST_PROPERTIES, sortby: '-reported_at', limit: LIST_PAGE });
    let byCategory;
    if (first.numberMatched <= first.features.length) {
      byCategory = countCategories(first.features);
    } else if (first.numberMatched <= COUNT_ALL) {
      byCategory = countCategories((await items({ properties: 'category', limit: COUNT_ALL })).features);
    } else {
      const counts = await Promise.all(categories.map(withCategory));
      byCategory = new Map(counts.filter(([, n]) => n > 0));
    }
    if (abort.signal.aborted) return;
    app.query = { params, body, numberMatched: first.numberMatched, features: first.features, byCategory, items };
    renderQuery();
  });
}

function countCategories(features) {
  const m = new Map();
  for (const f of features) m.set(f.properties.category, (m.get(f.properties.category) ?? 0) + 1);
  return m;
}

function renderQuery() {
  const q = app.query;
  if (!q) return;
  const count = $('query-count');
  count.dataset.count = q.numberMatched;
  count.textContent = q.numberMatched ? t('query.matched', { n: formatNumber(q.numberMatched) }) : t('query.none');
  const max = Math.max(1, ...q.byCategory.values());
  $('category-counts').replaceChildren(
    ...[...q.byCategory.entries()]
      .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
      .map(([code, n]) =>
        el('li', { dataset: { category: code, count: n } }, el('span', { class: 'name', text: categoryName(code) }), el('span', { class: 'bar', style: `width: ${(100 * n) / max}%` }), el('span', { class: 'n', text: formatNumber(n) })),
      ),
  );
  q.shown = 0;
  $('incident-list').replaceChildren();
  showMoreIncidents();
}

async function showMoreIncidents() {
  const q = app.query;
  if (q.shown >= q.features.length && q.features.length < q.numberMatched) {
    const page = await track(() => q.items({ properties: LIST_PROPERTIES, sortby: '-reported_at', limit: LIST_PAGE, offset: q.features.length }));
    if (page) q.features.push(...page.features);
  }
  const next = q.features.slice(q.shown, q.shown + LIST_PAGE);
  q.shown += next.length;
  $('incident-list').append(
    ...next.map((f) =>
      el(
        'li',
        {
          dataset: { fid: f.id },
          onclick: () => openIncident(f.id),
        },
        el('span', { class: `state ${isOpen(f.properties.status) ? 'open' : 'closed'}`, text: fieldValue('status', f.properties.status) }),
        el('span', { class: 'what', text: categoryName(f.properties.category) }),
        el('span', { class: 'when', text: formatTime(f.properties.reported_at) }),
      ),
    ),
  );
  const rest = q.numberMatched - q.shown;
  $('list-more').hidden = rest <= 0;
  $('list-more').textContent = t('query.more', { n: Math.min(rest, LIST_PAGE) });
}

// Towns, villages and grids to pick from: the grids collection filtered by level and parent.
const gridCache = new Map();
async function gridsWhere(cql) {
  if (!gridCache.has(cql)) {
    gridCache.set(cql, getJSON('/collections/grids/items', { filter: cql, 'filter-lang': 'cql2-text', limit: 1000, properties: 'code,name,level,parent_code', sortby: 'code' }));
  }
  return (await gridCache.get(cql)).features;
}

function fillSelect(select, placeholder, features) {
  select.replaceChildren(el('option', { value: '', text: placeholder }), ...features.map((f) => el('option', { value: f.properties.code, text: f.properties.name })));
  select.disabled = features.length === 0;
}

async function loadTowns() {
  await track(async () => fillSelect($('pick-town'), t('query.allTowns'), await gridsWhere("level = 'town'")));
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

async function onPick(level) {
  const town = $('pick-town').value;
  const village = $('pick-village').value;
  const grid = $('pick-grid').value;
  await track(async () => {
    if (level === 'town') {
      fillSelect($('pick-village'), t('query.allVillages'), town ? await gridsWhere(`parent_code = '${town}'`) : []);
      fillSelect($('pick-grid'), t('query.allGrids'), []);
    } else if (level === 'village') {
      fillSelect($('pick-grid'), t('query.allGrids'), village ? await gridsWhere(`parent_code = '${village}'`) : []);
    }
    const code = grid || village || town;
    if (!code) {
      setArea(null);
      return runQuery();
    }
    const lvl = grid ? 'grid' : village ? 'village' : 'town';
    const list = await gridsWhere(grid ? `parent_code = '${village}'` : village ? `parent_code = '${town}'` : "level = 'town'");
    const f = list.find((x) => x.properties.code === code);
    setArea({ kind: 'grid', level: lvl, code, name: f?.properties.name ?? code, geometry: f?.geometry });
    if (f) fitGeometry(f.geometry);
    return runQuery();
  });
}

/// Picks a grid from the map (the attribute panel's button) as the query area.
async function pickGridArea(level, code, name) {
  showTab('query');
  await track(async () => {
    const fc = await getJSON('/collections/grids/items', { filter: `code = '${code}'`, 'filter-lang': 'cql2-text', limit: 1 });
    const f = fc.features[0];
    setArea({ kind: 'grid', level, code, name, geometry: f?.geometry });
    if (f) fitGeometry(f.geometry);
    await runQuery();
  });
}

function fitGeometry(g) {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      const [x, y] = toMap(c);
      w = Math.min(w, x); e = Math.max(e, x); s = Math.min(s, y); n = Math.max(n, y);
    } else c.forEach(walk);
  };
  walk(g.coordinates);
  if (Number.isFinite(w)) app.map.fitBounds([[w, s], [e, n]], { padding: 40, duration: 0 });
}

function toDateInput(d) {
  return d ? new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 10) : '';
}
function fromDateInput(v, endOfDay) {
  if (!v) return null;
  // Dates are China Standard Time days.
  const d = new Date(`${v}T00:00:00+08:00`);
  return endOfDay ? new Date(d.getTime() + DAY) : d;
}

function renderFilterInputs() {
  const f = app.filters;
  for (const b of document.querySelectorAll('.presets button'))
    b.classList.toggle('active', b.dataset.days === String(f.days ?? (f.since || f.until ? '' : 'all')));
  const w = f.days ? { since: new Date(Date.now() - f.days * DAY), until: null } : f;
  $('since').value = toDateInput(w.since);
  $('until').value = w.until ? toDateInput(new Date(w.until.getTime() - DAY)) : '';
  $('status-filter').replaceChildren(
    ...STATUSES.map((s) =>
      el('label', {}, el('input', { type: 'checkbox', value: s, checked: f.statuses.has(s), onchange: onStatusChange }), el('span', { text: t(`status.${s}`) })),
    ),
  );
  $('category-filter').replaceChildren(
    ...categoryClasses().map((cls) =>
      el(
        'fieldset',
        {},
        el('legend', { text: cls.name }),
        cls.items.map((c) =>
          el('label', {}, el('input', { type: 'checkbox', value: c.code, checked: !f.categories || f.categories.has(c.code), onchange: onCategoryChange }), el('span', { text: categoryName(c.code) })),
        ),
      ),
    ),
  );
}

function filtersChanged() {
  renderFilterInputs();
  applyIncidentFilters();
  runQuery();
}

function onStatusChange() {
  app.filters.statuses = new Set([...document.querySelectorAll('#status-filter input:checked')].map((i) => i.value));
  filtersChanged();
}

function onCategoryChange() {
  const all = [...document.querySelectorAll('#category-filter input')];
  const on = all.filter((i) => i.checked).map((i) => i.value);
  app.filters.categories = on.length === all.length ? null : new Set(on);
  filtersChanged();
}

function setupQueryPanel() {
  $('draw-box').onclick = () => {
    $('draw-hint').textContent = t('query.drawBoxHint');
    app.draw.begin('box');
  };
  $('draw-polygon').onclick = () => {
    $('draw-hint').textContent = t('query.drawPolygonHint');
    app.draw.begin('polygon');
  };
  $('area-clear').onclick = () => {
    app.draw.cancel();
    $('draw-hint').textContent = '';
    for (const s of [$('pick-town'), $('pick-village'), $('pick-grid')]) s.value = '';
    fillSelect($('pick-village'), t('query.allVillages'), []);
    fillSelect($('pick-grid'), t('query.allGrids'), []);
    setArea(null);
    runQuery();
  };
  $('pick-town').onchange = () => onPick('town');
  $('pick-village').onchange = () => onPick('village');
  $('pick-grid').onchange = () => onPick('grid');
  fillSelect($('pick-village'), t('query.allVillages'), []);
  fillSelect($('pick-grid'), t('query.allGrids'), []);
  for (const b of document.querySelectorAll('.presets button')) {
    b.onclick = () => {
      const f = app.filters;
      f.days = b.dataset.days === 'all' ? null : Number(b.dataset.days);
      f.since = null;
      f.until = null;
      filtersChanged();
    };
  }
  const onDate = () => {
    const f = app.filters;
    f.days = null;
    f.since = fromDateInput($('since').value, false);
    f.until = fromDateInput($('until').value, true);
    filtersChanged();
  };
  $('since').onchange = onDate;
  $('until').onchange = onDate;
  $('cat-all').onclick = () => {
    app.filters.categories = null;
    filtersChanged();
  };
  $('cat-none').onclick = () => {
    app.filters.categories = new Set();
    filtersChanged();
  };
  $('query-run').onclick = () => runQuery();
  $('list-more').onclick = () => showMoreIncidents();
  renderFilterInputs();
}

// ---- the dashboard ------------------------------------------------------------------------------

const pct = (x) => (x === null || !Number.isFinite(x) ? '–' : `${formatNumber(100 * x, 1)}%`);

async function loadDashboard() {
  await track(async () => {
    const now = new Date();
    const stamp = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const count = (cql, extra = {}) =>
      getJSON('/collections/incidents/items', { filter: cql, 'filter-lang': 'cql2-text', limit: 1, properties: 'status', ...extra }).then((r) => r.numberMatched);
    const month = `${stamp(new Date(now.getTime() - 30 * DAY))}/${stamp(now)}`;
    const week = `${stamp(new Date(now.getTime() - 7 * DAY))}/${stamp(now)}`;
    const [open, overdue, monthStats, weekStats] = await Promise.all([
      count(openCql()),
      count(overdueCql(app.overdueMode, now, app.overdueFlag)),
      getJSON('/collections/incidents/stats', { datetime: month, top: 0 }),
      getJSON('/collections/incidents/stats', { datetime: week, group_by: 'grid', top: 10 }),
    ]);
    // Closure and on-time rates of the incidents reported in the last 30 days: the server's loop
    // figures when it has them, else counted here from the category deadlines.
    let closureRate = monthStats.total.loop?.closure_rate;
    let onTimeRate = monthStats.total.loop?.on_time_rate;
    if (!monthStats.total.loop) {
      const [reported, closed] = await Promise.all([
        getJSON('/collections/incidents/items', { datetime: month, limit: 1, properties: 'status' }),
        getJSON('/collections/incidents/items', { datetime: month, filter: "status = 'closed'", 'filter-lang': 'cql2-text', limit: FETCH_PAGE, properties: 'category,reported_at,closed_at' }),
      ]);
      const closedList = closed.features.map((f) => f.properties);
      closureRate = reported.numberMatched ? closed.numberMatched / reported.numberMatched : null;
      onTimeRate = closedList.length ? closedList.filter(closedOnTime).length / closedList.length : null;
    }
    app.dashboard = {
      open,
      overdue,
      closureRate: closureRate ?? null,
      onTimeRate: onTimeRate ?? null,
      week: weekStats.total.count,
      previousWeek: weekStats.total.previous,
      rising: weekStats.rising ?? weekStats.top ?? [],
      asOf: now,
    };
    renderDashboard();
  });
}

function renderDashboard() {
  const d = app.dashboard;
  if (!d) return;
  $('dash-open').textContent = formatNumber(d.open);
  $('dash-open').dataset.value = d.open;
  $('dash-overdue').textContent = formatNumber(d.overdue);
  $('dash-overdue').dataset.value = d.overdue;
  $('dash-closure').textContent = pct(d.closureRate);
  $('dash-ontime').textContent = pct(d.onTimeRate);
  $('dash-week').textContent = formatNumber(d.week);
  $('dash-week').dataset.value = d.week;
  const change = d.week - d.previousWeek;
  $('dash-prev-week').textContent = `${t('dash.prevWeek', { n: formatNumber(d.previousWeek) })}  ${change >= 0 ? '▲' : '▼'} ${formatNumber(Math.abs(change))}`;
  $('dash-prev-week').className = `sub ${change > 0 ? 'up' : change < 0 ? 'down' : ''}`;
  $('dash-rising').replaceChildren(
    ...(d.rising.length
      ? d.rising.map((r) =>
          el(
            'li',
            { dataset: { code: r.code ?? '' }, onclick: () => r.code && pickGridArea('grid', r.code, r.name ?? r.code) },
            el('span', { class: 'what', text: r.name || r.code || '–' }),
            el('span', { class: 'cat', text: categoryName(r.category) }),
            el('span', { class: 'n up', text: `${r.previous} → ${r.count} (+${r.change})` }),
          ),
        )
      : [el('li', { class: 'hint', text: t('dash.risingEmpty') })]),
  );
  $('dash-asof').textContent = t('dash.asOf', { t: formatTime(d.asOf.toISOString()) });
}

// ---- the page -----------------------------------------------------------------------------------

function pageTitle() {
  return `${app.countyName ?? ''}${currentLang() === 'en' ? ' ' : ''}${t('app.title')}`;
}

function showTab(name) {
  for (const b of document.querySelectorAll('.tabs button')) b.classList.toggle('active', b.dataset.tab === name);
  for (const s of document.querySelectorAll('.tab')) s.classList.toggle('active', s.id === `tab-${name}`);
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
  for (const b of document.querySelectorAll('.tabs button')) b.onclick = () => showTab(b.dataset.tab);
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
  for (const [id] of CLICKABLE) {
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
}

app.ready = start().catch((e) => {
  app.errors.push(String(e.message ?? e));
  status(t('error.load', { msg: e.message ?? e }), true);
  throw e;
});
