// The planner's query (the side panel's query tab): an area (drawn, picked from the towns,
// villages and grids, or a grid chosen on the map), the time, state and category filters, and
// what the incidents API answers for them: the number matched, the counts by category and the
// list, latest first, a page at a time.
import { getJSON, request } from './api.js';
import { app, fromMap, geometryToMap, toMap, track } from './app.js';
import { CATEGORIES, categoryClasses, categoryName } from './categories.js';
import { $, el, showTab } from './dom.js';
import { isOpen, itemParams, STATUSES } from './filters.js';
import { formatNumber, formatTime, t } from './i18n.js';
import { openIncident } from './incident.js';
import { fieldValue } from './info.js';
import { applyIncidentFilters } from './tiles.js';

const DAY = 86400_000;
const LIST_PAGE = 100;
const COUNT_ALL = 5000;
const LIST_PROPERTIES = 'inc_id,category,status,reported_at,grid_code';

export function setArea(area) {
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

export function onDrawn(shape) {
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

export async function runQuery() {
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

export function renderQuery() {
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
export async function gridsWhere(cql) {
  if (!gridCache.has(cql)) {
    gridCache.set(cql, getJSON('/collections/grids/items', { filter: cql, 'filter-lang': 'cql2-text', limit: 1000, properties: 'code,name,level,parent_code', sortby: 'code' }));
  }
  return (await gridCache.get(cql)).features;
}

function fillSelect(select, placeholder, features) {
  select.replaceChildren(el('option', { value: '', text: placeholder }), ...features.map((f) => el('option', { value: f.properties.code, text: f.properties.name })));
  select.disabled = features.length === 0;
}

export async function loadTowns() {
  await track(async () => fillSelect($('pick-town'), t('query.allTowns'), await gridsWhere("level = 'town'")));
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
export async function pickGridArea(level, code, name) {
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

export function renderFilterInputs() {
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

export function setupQueryPanel() {
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
