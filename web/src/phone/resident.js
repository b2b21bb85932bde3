// The resident's phone page (/app/resident.html): no account, a phone number confirmed by an SMS
// code (POST /residents/code, /residents/token) signs in; a report of a public category at the
// phone's position or at an address typed, with a photo; and the resident's own reports with their
// progress (GET /users/me/reports), refreshed every 30 s while the page is in front. Reports and
// photos go through the outbox (outbox.js) as the worker's do.
//
// window.onemapPhone (phone.js) tells scripts and tests: ready, reports (the last answer), outbox,
// settled(), reload(), errors.
import { ApiError, onTokenChange, request, setToken, token, useTokenStorage } from '../api.js';
import { CATEGORIES } from '../categories.js';
import { Outbox } from './outbox.js';
import {
  $, ACTION_NAMES, categoryName, clientId, el, errorText, fillCategories, formatTime, locateInto,
  phone, photosOf, renderCrsSetting, say, send, setupTabs,
} from './phone.js';
import { performMedia, performReport, photoSent, reportItems, reportSent } from './writes.js';

useTokenStorage(() => localStorage, 'onemap.resident.token');

const SESSION_KEY = 'onemap.resident.session';
const REFRESH_MS = 30_000;
// A case's state as a resident reads it.
const INCIDENT_STATUS = {
  reported: '受理中', dispatched: '已派遣', accepted: '处理中', in_progress: '处理中', returned: '受理中',
  escalated: '处理中', reopened: '处理中', resolved: '已处置', verified: '已处置', closed: '已办结',
};
const TICKET_STATE = { pending: '待受理', rejected: '不予受理', merged: '已并入', admitted: '已受理' };
const publicCategory = new Set(CATEGORIES.filter((c) => c.isPublic).map((c) => c.code));

Object.assign(phone, { reports: null, outbox: null, reload: loadReports, settled });

function session() {
  try {
    return JSON.parse(localStorage.getItem(SESSION_KEY) ?? 'null');
  } catch {
    return null;
  }
}

function keepSession(value) {
  try {
    if (value) localStorage.setItem(SESSION_KEY, JSON.stringify(value));
    else localStorage.removeItem(SESSION_KEY);
  } catch {
    // storage disabled: signed in for this page only
  }
}

// ---- the outbox -------------------------------------------------------------------------------

const outbox = new Outbox('onemap-resident', {
  perform: (item) => (item.type === 'media' ? performMedia(item) : performReport(item)),
  sent: async (item, result) => {
    if (item.type === 'media') photoSent(outbox, item, result);
    else reported(await reportSent(outbox, item, result));
    loadReports();
  },
});
phone.outbox = outbox;

// A report sent: said on the form (which may still say it was saved for later) and below.
function reported(text) {
  $('report-message').textContent = text;
  $('report-message').classList.remove('error');
  say(text);
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

// ---- signing in ---------------------------------------------------------------------------------

const validPhone = (p) => /^1\d{10}$/.test(p);
let countdown = null;

function signinMessage(text, isError = false) {
  $('signin-message').textContent = text;
  $('signin-message').classList.toggle('error', isError);
  if (isError && text) phone.errors.push(text);
}

// The button waits `seconds` before a new code may be asked (counted by ticks: the phone's
// clock may jump).
function waitToResend(seconds) {
  clearInterval(countdown);
  const b = $('send-code');
  let left = Math.max(0, Math.round(seconds));
  const tick = () => {
    b.disabled = left > 0;
    b.textContent = left > 0 ? `重新获取（${left}）` : '获取验证码';
    if (left-- <= 0) clearInterval(countdown);
  };
  tick();
  countdown = setInterval(tick, 1000);
}

async function askCode() {
  const number = $('phone').value.trim();
  if (!validPhone(number)) return signinMessage('请输入 11 位手机号', true);
  try {
    const r = await send('/residents/code', { method: 'POST', json: { phone: number } });
    signinMessage(`验证码已发送至 ${r.data?.phone ?? number}，${Math.round((r.data?.expires_in ?? 600) / 60)} 分钟内有效`);
    waitToResend(r.data?.resend_after ?? 60);
    $('code').focus();
  } catch (e) {
    signinMessage(refusal(e), true);
  }
}

async function verify() {
  const number = $('phone').value.trim();
  const code = $('code').value.trim();
  if (!validPhone(number)) return signinMessage('请输入 11 位手机号', true);
  if (!/^\d{6}$/.test(code)) return signinMessage('请输入 6 位验证码', true);
  try {
    const r = await send('/residents/token', { method: 'POST', json: { phone: number, code } });
    keepSession({ phone: r.data.phone, expires_at: r.data.expires_at });
    $('code').value = '';
    signinMessage('');
    setToken(r.data.token);
  } catch (e) {
    signinMessage(refusal(e), true);
  }
}

// A refused code request or sign-in in the resident's words, the server's reason after it.
function refusal(e) {
  if (!(e instanceof ApiError)) return errorText(e);
  if (e.status === 429) return `获取验证码过于频繁，请稍后再试（${e.message}）`;
  if (e.parameter === 'phone') return `手机号不正确（${e.message}）`;
  if (e.parameter === 'code') return `验证码不正确或已失效，请重新输入或重新获取（${e.message}）`;
  return e.message;
}

function expired() {
  const s = session();
  return !!s?.expires_at && new Date(s.expires_at).getTime() <= Date.now();
}

// ---- a report ------------------------------------------------------------------------------------

let position = null;
const where = () => document.querySelector('input[name="where"]:checked')?.value ?? 'gps';

function showWhere() {
  $('where-gps').hidden = where() !== 'gps';
  $('address').hidden = where() !== 'address';
}

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
  const address = $('address').value.trim();
  if (!category) return fail('请选择问题类别');
  if (!description) return fail('请描述问题');
  if (where() === 'gps' && !position) return fail('请先获取定位，或改为填写地址');
  if (where() === 'address' && !address) return fail('请填写问题所在的地址');
  let photos;
  try {
    photos = await photosOf($('report-photo'));
  } catch (e) {
    return fail(e.message);
  }
  const place = where() === 'gps' ? { lon: position.lon, lat: position.lat, crs: position.crs } : { address };
  const body = { category, description, ...place, source: 'resident_app', id: clientId() };
  for (const item of reportItems(body, photos, `反映：${categoryName(category)}`)) await outbox.add(item);
  $('report-description').value = '';
  $('report-photo').value = '';
  $('address').value = '';
  $('report-category').value = '';
  position = null;
  $('position').textContent = '';
  out.textContent = navigator.onLine ? '提交中…' : '网络不可用：已保存，联网后自动提交';
}

// ---- my reports ----------------------------------------------------------------------------------

let loading = null;
async function loadReports() {
  if (!token()) return;
  loading ??= (async () => {
    try {
      phone.reports = await request('/users/me/reports');
      $('reports-updated').textContent = `${formatTime(new Date().toISOString())} 更新`;
      renderReports();
    } catch (e) {
      if (token()) say(`加载失败：${errorText(e)}`, e instanceof ApiError);
    } finally {
      loading = null;
    }
  })();
  return loading;
}

function statusText(r) {
  if (r.kind === 'ticket') {
    const s = TICKET_STATE[r.state] ?? r.state;
    if (r.state === 'merged' && r.incident) return `${s}（编号 ${r.incident}）`;
    return s;
  }
  return INCIDENT_STATUS[r.status] ?? r.status;
}

function renderReports() {
  const list = $('report-list');
  const reports = phone.reports?.reports ?? [];
  if (!reports.length) {
    list.replaceChildren(el('li', { class: 'empty', text: '您还没有反映过问题' }));
    return;
  }
  list.replaceChildren(
    ...reports.map((r) => {
      const last = r.history?.filter((h) => h.action !== 'media').at(-1);
      const open = r.kind === 'incident' && !['resolved', 'verified', 'closed'].includes(r.status);
      return el(
        'li',
        { class: `card report ${r.kind}`, dataset: { kind: r.kind, id: r.id, status: r.kind === 'ticket' ? r.state : r.status } },
        el('div', { class: 'row spread' },
          el('strong', { class: 'category', text: categoryName(r.category) }),
          el('span', { class: `status s-${r.kind === 'ticket' ? r.state : r.status}`, text: statusText(r) })),
        el('p', { class: 'description', text: r.description ?? '' }),
        r.address ? el('p', { class: 'address hint', text: r.address }) : null,
        el('p', { class: 'hint', text: `${formatTime(r.reported_at ?? r.received_at)} 提交${r.closed_at ? ` · ${formatTime(r.closed_at)} 办结` : ''}${r.kind === 'ticket' ? ` · 受理单 ${r.id}` : ` · 编号 ${r.id}`}` }),
        r.kind === 'ticket' && r.note ? el('p', { class: 'note', text: `说明：${r.note}` }) : null,
        r.kind === 'ticket' && r.state === 'pending' ? el('p', { class: 'hint', text: '受理后可补充照片' }) : null,
        last && r.kind === 'incident' ? el('p', { class: 'hint', text: `最新进展：${formatTime(last.at)} ${ACTION_NAMES[last.action] ?? last.action}` }) : null,
        r.media?.length ? el('div', { class: 'thumbs' }, ...r.media.map((m) => el('figure', { dataset: { media: m.id } }, el('img', { alt: '' })))) : null,
        open ? el('button', { type: 'button', class: 'link', text: '补充照片', onclick: () => addPhoto(r) }) : null,
      );
    }),
  );
  loadThumbs(list);
}

// Thumbnails are fetched with the token (an <img> cannot send it) and shown as blob URLs.
const thumbs = new Map();
async function loadThumbs(list) {
  for (const r of phone.reports?.reports ?? [])
    for (const m of r.media ?? []) {
      try {
        if (!thumbs.has(m.id)) {
          const u = new URL(m.thumbnail_url ?? m.url, location.href);
          const res = await fetch(`${location.origin}${u.pathname}${u.search}`, { headers: { Authorization: `Bearer ${token()}` } });
          if (!res.ok) continue;
          thumbs.set(m.id, URL.createObjectURL(await res.blob()));
        }
        const img = list.querySelector(`figure[data-media="${m.id}"] img`);
        if (img) img.src = thumbs.get(m.id);
      } catch {
        // offline: an empty frame
      }
    }
}

// A photo added to an open report of one's own.
function addPhoto(report) {
  const input = $('more-photo');
  input.value = '';
  input.onchange = async () => {
    try {
      for (const photo of await photosOf(input))
        await outbox.add({ type: 'media', incident: report.id, kind: 'report', known: (report.media ?? []).map((m) => m.id), blob: photo.blob, contentType: photo.type, width: photo.width, height: photo.height, label: `补充照片：${categoryName(report.category)}` });
    } catch (e) {
      say(e.message, true);
    }
  };
  input.click();
}

// ---- the page ------------------------------------------------------------------------------------

function signedIn() {
  $('signin').hidden = true;
  $('main').hidden = false;
  $('signout').hidden = false;
  $('who').textContent = `已登录：${session()?.phone ?? ''}`;
  loadReports();
  outbox.kick();
}

function showSignin(text = '') {
  $('signin').hidden = false;
  $('main').hidden = true;
  $('signout').hidden = true;
  phone.reports = null;
  signinMessage(text, !!text);
}

async function signOut() {
  const n = outbox.items().length;
  if (n && !window.confirm(`还有 ${n} 条未提交，退出后将丢弃。确定退出？`)) return;
  await outbox.clear();
  keepSession(null);
  setToken('');
}

/// A promise for the page quiet: no request of its own pending and the queue idle.
function settled() {
  return new Promise((resolve) => {
    let quiet = 0;
    const check = () => {
      quiet = phone.pending > 0 || outbox.running || loading ? 0 : quiet + 1;
      if (quiet < 3) return setTimeout(check, 100);
      resolve();
    };
    setTimeout(check, 50);
  });
}

async function start() {
  const show = setupTabs((name) => name === 'mine' && loadReports());
  fillCategories($('report-category'), (c) => publicCategory.has(c.code));
  renderCrsSetting($('crs-setting'));
  for (const r of document.querySelectorAll('input[name="where"]')) r.onchange = showWhere;
  showWhere();
  $('send-code').onclick = askCode;
  $('verify').onclick = verify;
  $('signout').onclick = signOut;
  $('locate').onclick = locate;
  $('report-submit').onclick = async () => {
    await submitReport();
    if (!$('report-message').classList.contains('error')) show('mine');
  };
  $('reports-refresh').onclick = () => loadReports();
  $('queue-count').onclick = () => $('outbox-panel').scrollIntoView({ behavior: 'smooth' });
  onTokenChange(({ rejected }) => {
    if (token()) signedIn();
    else {
      keepSession(null);
      showSignin(rejected ? '登录已过期，请重新获取验证码' : '');
    }
  });
  outbox.onChange(renderQueue);
  await outbox.open();
  if (token() && expired()) setToken('', { rejected: true });
  else if (token()) signedIn();
  else showSignin();
  setInterval(() => document.visibilityState === 'visible' && token() && loadReports(), REFRESH_MS);
  document.addEventListener('visibilitychange', () => document.visibilityState === 'visible' && token() && loadReports());
}

phone.ready = start().catch((e) => {
  say(`页面加载失败：${e.message ?? e}`, true);
  throw e;
});
