// The incident dashboard: open and overdue incidents now, 有效率 and 及时率 (the figures the county
// is judged by) of the last 30 days with the median hours of each stage of the loop, this week's
// count against the previous week's, the grids where a category rose the most (a click makes the
// grid the query area) and, for admins and centre users, the workers or agencies of the last 30
// days ranked by their incidents (处置排行, GET /stats/loop).
import { ApiError, getJSON, onTokenChange } from './api.js';
import { app, track } from './app.js';
import { categoryName } from './categories.js';
import { $, el } from './dom.js';
import { openCql, overdueCql } from './filters.js';
import { formatNumber, formatTime, t } from './i18n.js';
import { pickGridArea } from './query.js';

const DAY = 86400_000;

const pct = (x) => (x === null || !Number.isFinite(x) ? '–' : `${formatNumber(100 * x, 1)}%`);
// The loop's stages in order (README "Metrics": each timed from the end of the one before).
const STAGES = ['dispatch', 'accept', 'resolve', 'verify', 'close'];
// Hours read badly past two days: days then.
const duration = (h) =>
  h === null || h === undefined || !Number.isFinite(h) ? '–' : h >= 48 ? t('dash.days', { n: formatNumber(h / 24, 1) }) : t('dash.hours', { n: formatNumber(h, 1) });
// The roles GET /stats/loop answers (everyone else: 401 or 403).
const RANKING_ROLES = ['admin', 'centre'];
const RANKING_ROWS = 10;

export async function loadDashboard() {
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
      loadRanking(month),
    ]);
    // 有效率 and 及时率 of the incidents reported in the last 30 days, as the server counts them
    // (handled of admitted; resolved by the deadline of those handled).
    const loop = monthStats.total.loop ?? {};
    app.dashboard = {
      open,
      overdue,
      effectiveRate: loop.effective_rate ?? null,
      timelyRate: loop.timely_rate ?? null,
      stageHours: loop.median_stage_hours ?? {},
      month,
      week: weekStats.total.count,
      previousWeek: weekStats.total.previous,
      rising: weekStats.rising ?? weekStats.top ?? [],
      asOf: now,
    };
    renderDashboard();
  });
}

export function renderDashboard() {
  const d = app.dashboard;
  if (!d) return;
  $('dash-open').textContent = formatNumber(d.open);
  $('dash-open').dataset.value = d.open;
  $('dash-overdue').textContent = formatNumber(d.overdue);
  $('dash-overdue').dataset.value = d.overdue;
  for (const [id, value] of [['dash-effective', d.effectiveRate], ['dash-timely', d.timelyRate]]) {
    $(id).textContent = pct(value);
    $(id).dataset.value = value ?? '';
    $(id).dataset.window = d.month;
  }
  for (const stage of STAGES) {
    const hours = d.stageHours[stage] ?? null;
    const e = $(`dash-stage-${stage}`);
    e.textContent = duration(hours);
    e.dataset.value = hours ?? '';
    e.dataset.window = d.month;
  }
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
  renderRanking();
}

// ---- 处置排行: the workers or agencies of the window by their incidents --------------------------

let rankingBy = 'worker';
let ranking = null; // {by, month, groups}: the last answer shown, null when hidden
let rankingAsked = 0; // the latest request: an older answer arriving late is dropped

const dashboardShown = () => $('tab-dashboard').classList.contains('active');

/// GET /stats/loop of `month` ('FROM/TO', the rate cards' window) for an admin or centre user
/// while the dashboard is shown: each answer with workers' names is audited as a read of personal
/// data, so the page asks only when someone looks (the tab shown, its refresh, a sign-in).
export async function loadRanking(month = app.dashboard?.month) {
  const asked = ++rankingAsked;
  const by = rankingBy;
  const allowed = RANKING_ROLES.includes(app.me?.role);
  if (!allowed) ranking = null;
  if (!allowed || !month || !dashboardShown()) return renderRanking();
  await track(async () => {
    const [from, to] = month.split('/');
    let answer = null;
    try {
      answer = await getJSON('/stats/loop', { by, from, to });
    } catch (e) {
      // Not for this user after all (a role changed on the server): hidden, no error.
      if (!(e instanceof ApiError) || (e.status !== 401 && e.status !== 403)) throw e;
    }
    if (asked !== rankingAsked) return;
    ranking = answer && { by, month, groups: topGroups(answer.groups ?? []) };
    renderRanking();
  });
}

/// The `RANKING_ROWS` groups with the most incidents; equal totals by key, so that the order is
/// the same on every load.
function topGroups(groups) {
  const key = (g) => g.key ?? '';
  return [...groups].sort((a, b) => b.total - a.total || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)).slice(0, RANKING_ROWS);
}

function renderRanking() {
  const panel = $('dash-ranking');
  panel.hidden = !ranking;
  for (const b of panel.querySelectorAll('button[data-by]')) b.classList.toggle('active', b.dataset.by === rankingBy);
  if (!ranking) return $('dash-ranking-rows').replaceChildren();
  $('dash-ranking-rows').dataset.by = ranking.by;
  $('dash-ranking-rows').dataset.window = ranking.month;
  $('dash-ranking-rows').replaceChildren(
    ...(ranking.groups.length
      ? ranking.groups.map((g) =>
          el(
            'tr',
            { dataset: { key: g.key ?? '', name: g.name ?? '', total: g.total } },
            // The name beside the code; the code alone when the user may not read a worker's name.
            el(
              'td',
              { class: 'who' },
              g.key === null ? t('dash.unassigned') : [g.name && el('span', { text: g.name }), g.name && ' ', el('span', { class: 'code', text: g.key })],
            ),
            el('td', { class: 'n', text: formatNumber(g.total) }),
            el('td', { class: 'n', text: pct(g.loop?.effective_rate ?? null) }),
            el('td', { class: 'n', text: pct(g.loop?.timely_rate ?? null) }),
          ),
        )
      : [el('tr', {}, el('td', { colspan: 4, class: 'hint', text: t('dash.rankingEmpty') }))]),
  );
}

export function setupRanking() {
  for (const b of $('dash-ranking').querySelectorAll('button[data-by]'))
    b.onclick = () => {
      rankingBy = b.dataset.by;
      loadRanking();
    };
  // Signed out or another user: the previous user's figures (workers' names) go at once; the
  // reload after the sign-in brings the new user's.
  onTokenChange(() => {
    rankingAsked++;
    ranking = null;
    renderRanking();
  });
}
