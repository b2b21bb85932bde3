// What the two phone pages (worker.html, resident.html) share: requests that say how they ended
// (status, Location, a network failure apart from a refusal), the page's status line, the
// position from the phone with the coordinate system it is in, photos made small enough for a
// poor connection, the categories, times and states in Chinese.
import { ApiError, apiError, jsonOrNull, token, url } from '../api.js';
import { CATEGORIES } from '../categories.js';
import { $, el } from '../dom.js';

export { $, el };

/// What the page does now and did wrong: read by scripts and tests as window.onemapPhone.
export const phone = { pending: 0, errors: [], ready: null };
window.onemapPhone = phone;

/// A request that failed before onemap answered (no network, a lost answer): worth retrying.
export class NetworkError extends Error {}

/// A request to onemap with the signed-in token: `json` sent as JSON, or `body` as it is with
/// `contentType` (a photo). Resolves {status, data, location, etag} for a 2xx; rejects with an
/// ApiError for any other answer and a NetworkError when none came.
export async function send(path, { method = 'GET', params, json, body, contentType } = {}) {
  const headers = { Accept: 'application/json' };
  const tk = token();
  if (tk) headers.Authorization = `Bearer ${tk}`;
  if (json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (contentType) headers['Content-Type'] = contentType;
  phone.pending++;
  try {
    let res;
    try {
      res = await fetch(url(path, params), { method, headers, body, cache: 'no-store' });
    } catch (e) {
      throw new NetworkError(e.message || '网络不可用');
    }
    let text;
    try {
      text = await res.text();
    } catch (e) {
      throw new NetworkError(e.message || '连接中断');
    }
    const data = jsonOrNull(text);
    if (!res.ok) throw apiError(res, data);
    return { status: res.status, data, location: res.headers.get('Location'), etag: res.headers.get('ETag') };
  } finally {
    phone.pending--;
  }
}

/// Whether sending again later may succeed: no answer, the server busy or failing, too soon.
export function isTransient(e) {
  return e instanceof NetworkError || (e instanceof ApiError && (e.status >= 500 || e.status === 408 || e.status === 429));
}

/// The message to show for a failed request.
export function errorText(e) {
  if (e instanceof NetworkError) return '网络不可用，稍后自动重试';
  if (e instanceof ApiError) return e.message;
  return String(e?.message ?? e);
}

let statusTimer = null;
/// The status line at the foot of the screen; an error stays until the next message.
export function say(message, isError = false) {
  const s = $('status');
  if (!s) return;
  s.textContent = message ?? '';
  s.classList.toggle('error', isError);
  s.hidden = !message;
  clearTimeout(statusTimer);
  if (message && !isError) statusTimer = setTimeout(() => (s.hidden = true), 4000);
  if (isError && message) phone.errors.push(message);
}

// ---- position ---------------------------------------------------------------------------------

// The W3C API gives WGS84, but the browsers of WeChat and of Amap-based apps give GCJ-02: the
// user says which (设置), and the server converts (`crs` of POST /incidents).
const CRS_KEY = 'onemap.phone.crs';
export const CRS_NAMES = { WGS84: 'WGS84（标准 GPS）', GCJ02: 'GCJ-02（高德/微信）' };

export function positionCrs() {
  try {
    return localStorage.getItem(CRS_KEY) === 'GCJ02' ? 'GCJ02' : 'WGS84';
  } catch {
    return 'WGS84';
  }
}

export function setPositionCrs(crs) {
  try {
    localStorage.setItem(CRS_KEY, crs === 'GCJ02' ? 'GCJ02' : 'WGS84');
  } catch {
    // storage disabled: WGS84 each time
  }
}

/// The radio buttons of the setting, in `container`.
export function renderCrsSetting(container) {
  const current = positionCrs();
  container.replaceChildren(
    ...Object.entries(CRS_NAMES).map(([value, label]) =>
      el('label', { class: 'radio' }, el('input', { type: 'radio', name: 'crs', value, checked: value === current, onchange: () => setPositionCrs(value) }), ` ${label}`),
    ),
  );
}

/// The phone's position: {lon, lat, accuracy, crs} in the coordinate system of the setting.
export function currentPosition() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) return reject(new Error('此浏览器不能定位'));
    navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy, crs: positionCrs() }),
      (e) => reject(new Error(e.code === 1 ? '未获得定位权限，请在浏览器设置中允许' : `定位失败：${e.message || e.code}`)),
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 },
    );
  });
}

/// The phone's position (null when it gives none), its progress and outcome shown in `label`.
export async function locateInto(label) {
  label.textContent = '定位中…';
  try {
    const position = await currentPosition();
    label.textContent = formatPosition(position);
    return position;
  } catch (e) {
    label.textContent = e.message;
    return null;
  }
}

export const formatPosition = (p) => `${p.lon.toFixed(6)}, ${p.lat.toFixed(6)}（${p.crs === 'GCJ02' ? 'GCJ-02' : 'WGS84'}${p.accuracy ? `，±${Math.round(p.accuracy)} 米` : ''}）`;

// ---- photos -----------------------------------------------------------------------------------

const TAKEN = ['image/jpeg', 'image/png', 'image/webp'];
const SMALL_ENOUGH = 1.5 * 1024 * 1024;
const MAX_SIDE = 1920;

/// A photo to upload: {blob, type, width, height}. One that is small and of a format onemap takes
/// goes as it is (its EXIF position included); a larger one, or another format, as a JPEG of at
/// most 1920 pixels a side (a phone's 5 MB photo would hardly get through a poor connection). The
/// size in pixels tells a retry whether the photo reached the incident already.
export async function preparePhoto(file) {
  const bitmap = await createImageBitmap(file);
  if (TAKEN.includes(file.type) && file.size <= SMALL_ENOUGH) {
    const photo = { blob: file, type: file.type, width: bitmap.width, height: bitmap.height };
    bitmap.close?.();
    return photo;
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(bitmap.width * scale);
  canvas.height = Math.round(bitmap.height * scale);
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  bitmap.close?.();
  const blob = await new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('照片无法读取'))), 'image/jpeg', 0.85));
  return { blob, type: 'image/jpeg', width: canvas.width, height: canvas.height };
}

/// The photos chosen in a file input, prepared; errors name the photo.
export async function photosOf(input) {
  const out = [];
  for (const f of input.files ?? []) {
    try {
      out.push(await preparePhoto(f));
    } catch {
      throw new Error(`照片 ${f.name} 无法读取`);
    }
  }
  return out;
}

// ---- categories, times, states ----------------------------------------------------------------

const byCode = new Map(CATEGORIES.map((c) => [c.code, c]));
export const categoryName = (code) => byCode.get(code)?.zh || code || '';

/// A <select>'s options: the categories by major class (`only` filters them).
export function fillCategories(select, only = () => true) {
  const classes = new Map();
  for (const c of CATEGORIES.filter(only)) {
    if (!classes.has(c.cls)) classes.set(c.cls, []);
    classes.get(c.cls).push(c);
  }
  select.replaceChildren(
    el('option', { value: '', text: '请选择问题类别' }),
    ...[...classes].map(([cls, items]) => el('optgroup', { label: cls }, ...items.map((c) => el('option', { value: c.code, text: c.zh })))),
  );
}

/// A time in China Standard Time, e.g. 11-25 17:30 (with the year when not this one).
export function formatTime(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const sameYear = d.getUTCFullYear() === new Date().getUTCFullYear();
  return d.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', ...(sameYear ? {} : { year: 'numeric' }), month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
}

export const ACTION_NAMES = { report: '上报', dispatch: '派遣', accept: '接收', start: '开始处置', resolve: '办结', return: '退回', verify: '核查', close: '结案', reopen: '重启', escalate: '上报上级', edit: '修改', media: '照片', merge: '合并' };

/// A client id for a report, sent as its `id`: a retry of a report already stored is a 409
/// conflict_duplicate instead of a second report.
export function clientId() {
  const uuid = crypto.randomUUID?.() ?? `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  return `app-${uuid}`;
}

/// Tabs: buttons with data-tab="name" show the section id="tab-name".
export function setupTabs(onShow = () => {}) {
  const show = (name) => {
    for (const b of document.querySelectorAll('nav.tabs button')) b.classList.toggle('active', b.dataset.tab === name);
    for (const s of document.querySelectorAll('section.tab')) s.hidden = s.id !== `tab-${name}`;
    onShow(name);
  };
  for (const b of document.querySelectorAll('nav.tabs button')) b.onclick = () => show(b.dataset.tab);
  return show;
}
