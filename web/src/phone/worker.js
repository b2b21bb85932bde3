// The grid worker's phone page (/app/worker.html): the incidents the worker holds as a list and
// on a map, each opened with its detail and the loop's steps the worker takes (接收, 开始处置,
// 办结 with a note and photos, 退回), and a report made where the worker stands. Signed in with a
// token pasted once and kept on the phone (localStorage). Every write goes through the outbox
// (outbox.js), so a task handled where the network fails is sent when it comes back, once.
//
// window.onemapPhone (phone.js) tells scripts and tests: ready, me, tasks (the last
// GET /users/me/incidents), detail (the incident open), outbox, map, settled(), reload(), errors.
import { ApiError, onTokenChange, request, setToken, token, useTokenStorage, withToken } from '../api.js';
import { toGcj02 } from '../gcj02.js';
import { tileTemplate } from '../layers.js';
import { Outbox } from './outbox.js';
import { performMedia, performReport, photoSent, reportItems, reportSent } from './writes.js';
import {
  $, ACTION_NAMES, categoryName, clientId, el, errorText, fillCategories, formatTime, locateInto,
  phone, photosOf, renderCrsSetting, say, send, setupTabs,
} from './phone.js';

useTokenStorage(() => localStorage, 'onemap.worker.token');

const TASKS_KEY = 'onemap.worker.tasks';
const ME_KEY = 'onemap.worker.me';
// The loop's steps a worker takes here, the states each applies to and the state it leads to
// (layers/dispatch/workflow.hpp).
const STEPS = {
  accept: { from: ['dispatched'], to: 'accepted' },
  start: { from: ['accepted'], to: 'in_progress' },
  resolve: { from: ['accepted', 'in_progress'], to: 'resolved' },
  return: { from: ['dispatched', 'accepted'], to: 'returned' },
};
const STATUS_NAMES = {
  reported: '已上报', dispatched: '待接收', accepted: '已接收', in_progress: '处置中', resolved: '已办结',
  verified: '已核查', closed: '已结案', returned: '已退回', escalated: '已上报上级', reopened: '已重启',
};
const ROLE_NAMES = { grid_head: '网格长', full_time: '专职网格员', part_time: '兼职网格员', cadre: '村干部' };
const SOURCE_NAMES = { hotline_12345: '12345 热线', grid_app: '网格员上报', grid_worker: '网格员上报', resident_app: '居民上报', sms: '短信', petition: '信访', other: '其他' };
const statusName = (s) => STATUS_NAMES[s] ?? s ?? '';

Object.assign(phone, { me: null, tasks: null, detail: null, outbox: null, map: null, reload: loadTasks, settled });

const stored = (key) => {
  try {
    return JSON.parse(localStorage.getItem(key) ?? 'null');
  } catch {
    return null;
  }
};
const keep = (key, value) => {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // storage full or disabled: no copy for the next start
  }
};

// ---- the outbox -------------------------------------------------------------------------------

const outbox = new Outbox('onemap-worker', { perform, sent, dropped });
phone.outbox = outbox;

async function perform(item) {
  if (item.type === 'action') return performAction(item);
  if (item.type === 'media') return performMedia(item);
  return performReport(item);
}

async function performAction(item) {
  try {
    const body = { action: item.action, version: item.version, ...(item.note ? { note: item.note } : {}) };
    return { incident: (await send(`/incidents/${item.incident}/actions`, { method: 'POST', json: body })).data };
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 409) throw e;
    // Changed since it was read: by this very action when an earlier answer was lost, or by
    // someone else. Which one, the incident's state says.
    const current = (await send(`/incidents/${item.incident}`)).data;
    if (current.status === STEPS[item.action].to) return { incident: current, already: true };
    throw new ApiError(409, `${e.message}（事件现为「${statusName(current.status)}」）`, { code: e.code });
  }
}

async function sent(item, result) {
  if (item.type === 'action') {
    updateTask(result.incident);
    const text = `${ACTION_NAMES[item.action]}已送达${result.already ? '（此前已生效）' : ''}`;
    if (phone.detail?.id === item.incident) {
      phone.detail = { ...phone.detail, ...result.incident };
      message(text);
      scheduleDetail(item.incident);
    }
    say(text);
    scheduleReload();
  } else if (item.type === 'media') {
    photoSent(outbox, item, result);
    if (phone.detail?.id === item.incident) scheduleDetail(item.incident);
  } else {
    // Said on the form too, which may still say the report was saved for later.
    const text = await reportSent(outbox, item, result);
    $('report-message').textContent = text;
    $('report-message').classList.remove('error');
    say(text);
    scheduleReload();
  }
  render();
}

// A refused write: said on the incident it was for, and on the status line.
function dropped(item, reason) {
  const text = `${item.label}：未能发送（${reason}）`;
  if (item.incident && phone.detail?.id === item.incident && !$('detail').hidden) message(text, true);
  say(text, true);
  scheduleReload();
}

/// The queued actions of an incident, in order.
const queuedFor = (id) => outbox.items().filter((i) => i.type === 'action' && i.incident === id);

/// An incident as the worker will see it once the queue is sent: its state after the last queued
/// action, its version after each of them (the next action is queued with it).
function view(props) {
  const q = queuedFor(props.id);
  if (!q.length) return props;
  return { ...props, status: STEPS[q.at(-1).action].to, version: props.version + q.length, queued: q.length };
}

function renderQueue() {
  const n = outbox.items().length;
  const badge = $('queue-count');
  badge.dataset.count = n;
  badge.textContent = `待发送 ${n}`;
  badge.hidden = n === 0;
  outbox.render($('outbox'));
  $('outbox-panel').hidden = $('outbox').hidden;
}

// ---- the tasks ----------------------------------------------------------------------------------

let reloadTimer = null;
function scheduleReload() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => loadTasks(), 300);
}

function updateTask(incident) {
  if (!incident || !phone.tasks) return;
  const f = phone.tasks.features.find((x) => x.id === incident.id);
  if (!f) return;
  for (const k of Object.keys(f.properties)) if (k in incident) f.properties[k] = incident[k];
  keep(TASKS_KEY, phone.tasks);
}

const taskProps = (f) => ({ id: f.id, ...f.properties, lon: f.geometry?.coordinates?.[0], lat: f.geometry?.coordinates?.[1] });

// Overdue: the server's flag, or the deadline passed by the phone's clock.
const isOverdue = (p) => p.overdue === true || (p.deadline && new Date(p.deadline).getTime() < Date.now() && !['resolved', 'verified', 'closed'].includes(p.status));

async function loadTasks() {
  if (!token()) return;
  try {
    phone.tasks = (await send('/users/me/incidents')).data;
    keep(TASKS_KEY, phone.tasks);
    $('task-count').textContent = `共 ${phone.tasks.features.length} 件 · ${formatTime(new Date().toISOString())} 更新`;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;
    say(`任务加载失败：${errorText(e)}`, e instanceof ApiError);
    if (phone.tasks) $('task-count').textContent = `离线：显示上次的 ${phone.tasks.features.length} 件`;
  }
  render();
}

function renderTasks() {
  const list = $('task-list');
  const features = phone.tasks?.features ?? [];
  if (!features.length) {
    list.replaceChildren(el('li', { class: 'empty', text: phone.tasks ? '暂无待办任务' : '加载中…' }));
    return;
  }
  list.replaceChildren(
    ...features.map((f) => {
      const p = view(taskProps(f));
      const overdue = isOverdue(p);
      return el(
        'li',
        { class: `card task${overdue ? ' overdue' : ''}`, dataset: { id: p.id, status: p.status }, onclick: () => openDetail(p.id) },
        el('div', { class: 'row spread' },
          el('strong', { class: 'category', text: categoryName(p.category) }),
          el('span', { class: `status s-${p.status}`, text: statusName(p.status) + (p.queued ? '（待发送）' : '') })),
        el('p', { class: 'description', text: p.description ?? '' }),
        p.address ? el('p', { class: 'address hint', text: p.address }) : null,
        el('div', { class: 'row spread hint' },
          el('span', { class: 'deadline', text: p.deadline ? `时限 ${formatTime(p.deadline)}` : '无时限' }),
          overdue ? el('span', { class: 'badge overdue-badge', text: '超期' }) : null),
      );
    }),
  );
}

// ---- the map ------------------------------------------------------------------------------------

let mapConfig = { basemaps: [], offset: null };
const toMap = (c) => (mapConfig.offset === 'gcj02' ? toGcj02(c) : c);

function tasksGeoJSON() {
  return {
    type: 'FeatureCollection',
    features: (phone.tasks?.features ?? []).filter((f) => f.geometry).map((f) => {
      const p = view(taskProps(f));
      return { type: 'Feature', id: f.id, properties: { id: f.id, status: p.status, overdue: isOverdue(p) }, geometry: { type: 'Point', coordinates: toMap(f.geometry.coordinates) } };
    }),
  };
}

let mapStarting = null;
async function startMap() {
  // The county's extent (the grids' TileJSON) for a worker with no task to show yet.
  const [{ Map: MapLibreMap, NavigationControl, setWorkerUrl }, config, grids] = await Promise.all([
    import('maplibre-gl'),
    request('/app/config.json').catch(() => null),
    request('/tiles/grids.grid.json').catch(() => null),
  ]);
  /* global __WORKER_URL__ */
  setWorkerUrl(new URL(__WORKER_URL__, location.href).href);
  mapConfig = { basemaps: config?.basemaps ?? [], offset: config?.offset ?? null };
  const off = mapConfig.offset ? { offset: mapConfig.offset } : {};
  const sources = {
    grids: { type: 'vector', tiles: [tileTemplate('grids.village,grids.grid', off)], minzoom: 0, maxzoom: 16 },
    tasks: { type: 'geojson', data: tasksGeoJSON() },
  };
  const layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#eef0ec' } }];
  mapConfig.basemaps.forEach((b, i) => {
    const subs = b.kind === 'amap' ? ['1', '2', '3', '4'] : b.kind === 'tianditu' ? ['0', '1', '2', '3'] : ['a', 'b', 'c'];
    sources[`basemap-${i}`] = { type: 'raster', tiles: b.url.includes('{s}') ? subs.map((s) => b.url.replace('{s}', s)) : [b.url], tileSize: 256, maxzoom: 18 };
    layers.push({ id: `basemap-${i}`, type: 'raster', source: `basemap-${i}` });
  });
  const team = phone.me?.team_grid ?? '';
  layers.push(
    { id: 'team-grid', type: 'fill', source: 'grids', 'source-layer': 'grids.grid', filter: ['==', ['get', 'code'], team], paint: { 'fill-color': '#0b7285', 'fill-opacity': 0.08 } },
    { id: 'grid-line', type: 'line', source: 'grids', 'source-layer': 'grids.grid', paint: { 'line-color': '#9aa3ab', 'line-width': 0.8 } },
    { id: 'village-line', type: 'line', source: 'grids', 'source-layer': 'grids.village', paint: { 'line-color': '#6f8fb8', 'line-width': 1.5 } },
    { id: 'team-line', type: 'line', source: 'grids', 'source-layer': 'grids.grid', filter: ['==', ['get', 'code'], team], paint: { 'line-color': '#0b7285', 'line-width': 2.5 } },
    { id: 'tasks', type: 'circle', source: 'tasks',
      paint: {
        'circle-radius': 8,
        'circle-color': ['case', ['get', 'overdue'], '#d50000', ['match', ['get', 'status'], 'dispatched', '#e67700', 'accepted', '#1971c2', 'in_progress', '#0b7285', '#7d8c96']],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 2,
      } },
  );
  const map = new MapLibreMap({
    container: 'map',
    style: { version: 8, sources, layers },
    transformRequest: withToken,
    bounds: grids?.bounds ?? [73, 18, 135, 54],
    attributionControl: false,
    maxZoom: 19,
  });
  phone.map = map;
  map.addControl(new NavigationControl({ showCompass: false }), 'top-right');
  map.on('error', (ev) => phone.errors.push(`map: ${ev.error?.message ?? ev.error}`));
  map.on('click', 'tasks', (ev) => ev.features[0] && openDetail(ev.features[0].properties.id));
  await new Promise((resolve) => map.once('load', resolve));
  fitTasks();
}

let fittedTo = '';
function fitTasks() {
  const m = phone.map;
  const features = tasksGeoJSON().features;
  fittedTo = features.map((f) => f.id).join(',');
  const pts = features.map((f) => f.geometry.coordinates);
  if (!m || !pts.length) return;
  const lons = pts.map((p) => p[0]);
  const lats = pts.map((p) => p[1]);
  m.fitBounds([[Math.min(...lons), Math.min(...lats)], [Math.max(...lons), Math.max(...lats)]], { padding: 40, maxZoom: 16, duration: 0 });
}

function renderMap() {
  if (!phone.tasks || !$('map').offsetParent) return;
  if (!phone.map) {
    mapStarting ??= startMap().catch((e) => say(`地图加载失败：${e.message}`, true));
    return;
  }
  const data = tasksGeoJSON();
  phone.map.getSource('tasks').setData(data);
  // A new set of tasks: the view fits it; a change of state only redraws.
  const ids = data.features.map((f) => f.id).join(',');
  if (ids !== fittedTo) fitTasks();
}

// ---- an incident's detail and its steps ----------------------------------------------------------

const DETAIL_FIELDS = [
  ['inc_id', '事件编号'], ['category', '类别', categoryName], ['status', '状态', statusName], ['description', '描述'], ['address', '地址'],
  ['source', '来源', (v) => SOURCE_NAMES[v] ?? v], ['reported_at', '上报时间', formatTime], ['deadline', '办理时限', formatTime],
  ['overdue', '超期', (v) => (v ? '是' : '否')], ['grid_code', '所属网格'],
];

let detailTimer = null;
function scheduleDetail(id) {
  clearTimeout(detailTimer);
  detailTimer = setTimeout(() => !$('detail').hidden && phone.detail?.id === id && openDetail(id, { keepMessage: true }), 300);
}

async function openDetail(id, { keepMessage = false } = {}) {
  const f = phone.tasks?.features.find((x) => x.id === id);
  if (phone.detail?.id !== id) phone.detail = f ? taskProps(f) : { id };
  $('detail').hidden = false;
  if (!keepMessage) message('');
  renderDetail();
  try {
    const r = await send(`/incidents/${id}`);
    if ($('detail').hidden || phone.detail?.id !== id) return;
    phone.detail = r.data;
    updateTask(r.data);
  } catch (e) {
    if (!(e instanceof ApiError)) message('离线：显示的是任务列表中的信息');
    else message(e.message, true);
  }
  renderDetail();
  loadThumbs();
}

function message(text, isError = false) {
  const m = $('detail-message');
  m.textContent = text;
  m.classList.toggle('error', isError);
  if (isError && text) phone.errors.push(text);
}

function renderDetail() {
  const p = view(phone.detail);
  $('detail-title').textContent = categoryName(p.category) || `事件 ${p.id}`;
  $('detail').dataset.id = p.id;
  $('detail').dataset.status = p.status ?? '';
  $('detail-fields').replaceChildren(
    ...DETAIL_FIELDS.filter(([k]) => p[k] !== undefined && p[k] !== null && p[k] !== '').map(([k, label, fmt]) =>
      el('tr', { dataset: { field: k } }, el('th', { text: label }), el('td', { class: k === 'overdue' && p[k] ? 'overdue' : null, text: (fmt ? fmt(p[k]) : String(p[k])) + (k === 'status' && p.queued ? '（待发送）' : '') }))),
  );
  const allowed = new Set(phone.me?.actions ?? []);
  const steps = Object.keys(STEPS).filter((a) => allowed.has(a) && STEPS[a].from.includes(p.status));
  $('detail-act').hidden = steps.length === 0;
  $('after-photo-field').hidden = !steps.includes('resolve');
  $('detail-actions').replaceChildren(
    ...steps.map((a) => el('button', { type: 'button', class: a === 'return' ? '' : 'primary', dataset: { action: a }, text: ACTION_NAMES[a], onclick: () => act(a) })),
  );
  $('detail-queued').textContent = p.queued ? `有 ${p.queued} 步待发送` : '';
  $('detail-history').replaceChildren(
    ...(phone.detail.history ?? []).map((h) =>
      el('li', { dataset: { action: h.action } },
        el('span', { class: 'when', text: formatTime(h.at) }), ' ',
        el('strong', { text: ACTION_NAMES[h.action] ?? h.action }),
        h.to ? el('span', { class: 'hint', text: ` → ${statusName(h.to)}` }) : null,
        h.note ? el('div', { class: 'note', text: h.note }) : null)),
  );
}

// Thumbnails are fetched with the token (an <img> cannot send it) and shown as blob URLs.
const thumbs = new Map();
async function loadThumbs() {
  const media = phone.detail?.media ?? [];
  const box = $('detail-media');
  box.replaceChildren(...media.map((m) => el('figure', { dataset: { media: m.id, kind: m.kind } }, el('img', { alt: '', src: thumbs.get(m.id) ?? '' }), el('figcaption', { text: { report: '上报', before: '处置前', after: '处置后' }[m.kind] ?? m.kind }))));
  for (const m of media) {
    if (thumbs.has(m.id)) continue;
    try {
      const u = new URL(m.thumbnail_url, location.href);
      const res = await fetch(`${location.origin}${u.pathname}${u.search}`, { headers: { Authorization: `Bearer ${token()}` } });
      if (!res.ok) continue;
      thumbs.set(m.id, URL.createObjectURL(await res.blob()));
      const img = box.querySelector(`figure[data-media="${m.id}"] img`);
      if (img) img.src = thumbs.get(m.id);
    } catch {
      // offline: the caption stays
    }
  }
}

async function act(action) {
  const p = view(phone.detail);
  const note = $('action-note').value.trim();
  if (action === 'return' && !note) return message('退回须填写原因', true);
  let photos = [];
  try {
    if (action === 'resolve') photos = await photosOf($('after-photo'));
  } catch (e) {
    return message(e.message, true);
  }
  const label = `${ACTION_NAMES[action]}：${categoryName(p.category)}（${p.inc_id ?? p.id}）`;
  const group = photos.length ? clientId() : undefined;
  const known = (phone.detail.media ?? []).map((m) => m.id);
  for (const [k, photo] of photos.entries())
    await outbox.add({ type: 'media', group, incident: p.id, kind: 'after', known, blob: photo.blob, contentType: photo.type, width: photo.width, height: photo.height, label: `处置后照片 ${k + 1}：${p.inc_id ?? p.id}` });
  await outbox.add({ type: 'action', group, incident: p.id, action, note, version: p.version, label });
  $('action-note').value = '';
  $('after-photo').value = '';
  message(navigator.onLine ? '' : `网络不可用：${ACTION_NAMES[action]}已保存，联网后自动发送`);
  render();
}

// ---- a report where the worker stands -----------------------------------------------------------

let position = null;

async function locate() {
  position = await locateInto($('position'));
}

async function submitReport() {
  const out = $('report-message');
  const fail = (text) => {
    out.textContent = text;
    out.classList.add('error');
  };
  out.classList.remove('error');
  const category = $('report-category').value;
  const description = $('report-description').value.trim();
  if (!category) return fail('请选择问题类别');
  if (!description) return fail('请填写问题描述');
  if (!position) return fail('请先获取定位');
  let photos;
  try {
    photos = await photosOf($('report-photo'));
  } catch (e) {
    return fail(e.message);
  }
  const body = { category, description, lon: position.lon, lat: position.lat, crs: position.crs, source: 'grid_worker', id: clientId() };
  for (const item of reportItems(body, photos, `上报：${categoryName(category)}`)) await outbox.add(item);
  $('report-description').value = '';
  $('report-photo').value = '';
  $('report-category').value = '';
  position = null;
  $('position').textContent = '';
  out.textContent = navigator.onLine ? '上报发送中…' : '网络不可用：上报已保存，联网后自动发送';
}

// ---- signing in ---------------------------------------------------------------------------------

function render() {
  renderQueue();
  if (!token()) return;
  renderTasks();
  renderMap();
  if (!$('detail').hidden && phone.detail) renderDetail();
}

function renderMe() {
  const me = phone.me;
  $('me').textContent = me
    ? `${me.worker_id || me.id} · ${ROLE_NAMES[me.worker_role] ?? me.worker_role ?? me.role}${me.team_grid ? ` · 网格 ${me.team_grid}` : ''}`
    : '';
}

async function signedIn() {
  $('signin').hidden = true;
  $('main').hidden = false;
  $('signout').hidden = false;
  phone.me = stored(ME_KEY);
  phone.tasks = stored(TASKS_KEY);
  renderMe();
  render();
  try {
    phone.me = await request('/users/me');
    keep(ME_KEY, phone.me);
    if (phone.me.role !== 'worker') say('此页面供网格员使用：您的账号不是网格员，可能没有任务', true);
  } catch (e) {
    if (!token()) return;
    if (e instanceof ApiError) say(e.message, true);
  }
  renderMe();
  await loadTasks();
  outbox.kick();
}

function showSignin(text = '') {
  $('signin').hidden = false;
  $('main').hidden = true;
  $('detail').hidden = true;
  $('signout').hidden = true;
  $('signin-message').textContent = text;
  $('signin-message').classList.toggle('error', !!text);
  renderQueue();
}

async function signOut() {
  const n = outbox.items().length;
  if (n && !window.confirm(`还有 ${n} 条未发送，退出后将丢弃。确定退出？`)) return;
  await outbox.clear();
  phone.detail = null;
  setToken('');
}

/// A promise for the page quiet: no request of its own pending, the queue idle, the map drawn.
function settled() {
  return new Promise((resolve) => {
    let quiet = 0;
    const check = () => {
      const m = phone.map;
      const busy = phone.pending > 0 || outbox.running || (m && (!m.loaded() || !m.areTilesLoaded()));
      quiet = busy ? 0 : quiet + 1;
      if (quiet < 3) return setTimeout(check, 100);
      resolve();
    };
    setTimeout(check, 50);
  });
}

async function start() {
  setupTabs((name) => name === 'tasks' && renderMap());
  fillCategories($('report-category'));
  renderCrsSetting($('crs-setting'));
  $('signin-button').onclick = () => {
    const v = $('token-input').value.trim();
    if (v) setToken(v);
  };
  $('signout').onclick = signOut;
  $('tasks-refresh').onclick = () => loadTasks();
  $('detail-back').onclick = () => {
    $('detail').hidden = true;
    phone.detail = null;
  };
  $('locate').onclick = locate;
  $('report-submit').onclick = submitReport;
  $('queue-count').onclick = () => $('outbox-panel').scrollIntoView({ behavior: 'smooth' });
  onTokenChange(({ rejected }) => {
    if (token()) {
      $('token-input').value = '';
      signedIn();
    } else {
      // The copies were the signed-out user's. (The outbox stays: a token refused and issued
      // again to the same worker sends what waits.)
      keep(TASKS_KEY, null);
      keep(ME_KEY, null);
      phone.tasks = null;
      phone.me = null;
      showSignin(rejected ? '令牌无效或已停用，请重新登录' : '');
    }
  });
  outbox.onChange(renderQueue);
  await outbox.open();
  if (token()) await signedIn();
  else showSignin();
  // The list every few minutes while the page is in front; the outbox sends on its own.
  setInterval(() => document.visibilityState === 'visible' && token() && loadTasks(), 120_000);
}

phone.ready = start().catch((e) => {
  say(`页面加载失败：${e.message ?? e}`, true);
  throw e;
});
