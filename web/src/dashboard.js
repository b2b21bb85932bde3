// The incident dashboard: open and overdue incidents now, 有效率 and 及时率 (the figures the county
// is judged by) of the last 30 days, this week's count against the previous week's, and the grids where a category
// rose the most (a click makes the grid the query area).
import { getJSON } from './api.js';
import { app, track } from './app.js';
import { categoryName } from './categories.js';
import { $, el } from './dom.js';
import { openCql, overdueCql } from './filters.js';
import { formatNumber, formatTime, t } from './i18n.js';
import { pickGridArea } from './query.js';

const DAY = 86400_000;

const pct = (x) => (x === null || !Number.isFinite(x) ? '–' : `${formatNumber(100 * x, 1)}%`);

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
    ]);
    // 有效率 and 及时率 of the incidents reported in the last 30 days, as the server counts them
    // (handled of admitted; resolved by the deadline of those handled).
    const loop = monthStats.total.loop ?? {};
    app.dashboard = {
      open,
      overdue,
      effectiveRate: loop.effective_rate ?? null,
      timelyRate: loop.timely_rate ?? null,
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
