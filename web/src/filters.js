// The planner's filters (time, category, status, area) and what they become: vector-tile
// parameters for the incident layers (status, category, since, until) and items-query parameters
// (datetime, a CQL2 text filter, and bbox, area or a polygon body) for the incident list. The
// overdue condition is the server's `overdue` flag when the store has one, else the deadline of
// each category counted from the report.
import { CATEGORIES } from './categories.js';

// The states of the closed loop (layers/dispatch/workflow.hpp). Open: neither resolved, verified nor
// closed (as the server counts them); the map draws the rest as done.
export const STATUSES = ['reported', 'dispatched', 'accepted', 'in_progress', 'returned', 'escalated', 'reopened', 'resolved', 'verified', 'closed'];
export const DONE = new Set(['resolved', 'verified', 'closed']);
export const OPEN = STATUSES.filter((s) => !DONE.has(s));
export const isOpen = (status) => !DONE.has(status);
const DAY = 86400_000;

export function defaultFilters() {
  return {
    days: 30, // a preset (7, 30, 90) or null: since/until as set
    since: null, // Date or null (open)
    until: null,
    categories: null, // null: every category; else a Set of codes
    statuses: new Set(STATUSES),
    area: null, // {kind: 'box', bbox} | {kind: 'polygon', polygon} | {kind: 'grid', level, code, name, geometry}
  };
}

/// The window [since, until) the filters give now (nulls: open ends).
export function timeWindow(f, now = new Date()) {
  if (f.days) return { since: new Date(now.getTime() - f.days * DAY), until: null };
  return { since: f.since, until: f.until };
}

const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
const quote = (s) => `'${String(s).replace(/'/g, "''")}'`;

/// Tile parameters for the incidents of one state class ('open' or 'closed': resolved, verified
/// or closed), or null when the filters leave that class empty.
export function tileParams(f, stateClass, now = new Date()) {
  const statuses = [...f.statuses].filter((s) => (stateClass === 'closed' ? DONE.has(s) : !DONE.has(s)));
  if (statuses.length === 0) return null;
  if (f.categories && f.categories.size === 0) return null;
  const p = { status: statuses.join(',') };
  if (f.categories) p.category = [...f.categories].join(',');
  const w = timeWindow(f, now);
  // Whole minutes, so that tiles asked for within the same minute share the server's cache.
  if (w.since) p.since = iso(new Date(Math.floor(w.since.getTime() / 60000) * 60000));
  if (w.until) p.until = iso(w.until);
  return p;
}

/// The CQL2 text of the status and category conditions ('' when they select everything).
export function cqlConditions(f) {
  const parts = [];
  if (f.statuses.size < STATUSES.length) {
    parts.push(f.statuses.size ? `status IN (${[...f.statuses].map(quote).join(',')})` : '1 = 0');
  }
  if (f.categories) {
    parts.push(f.categories.size ? `category IN (${[...f.categories].map(quote).join(',')})` : '1 = 0');
  }
  return parts.join(' AND ');
}

/// The datetime parameter of the window ('' for no limit).
export function datetimeParam(f, now = new Date()) {
  const w = timeWindow(f, now);
  if (!w.since && !w.until) return '';
  // datetime intervals are closed: the end is the last second before `until`.
  return `${w.since ? iso(w.since) : '..'}/${w.until ? iso(new Date(w.until.getTime() - 1000)) : '..'}`;
}

/// How the store says an incident is overdue, from its queryables: 'deadline' (incidents carry
/// a `deadline`, and an `overdue` flag set by the server's sweep) or 'category' (estimated from
/// the category deadlines, counted from the report).
export function overdueMode(queryables) {
  const props = queryables?.properties ?? {};
  return 'deadline' in props ? 'deadline' : 'category';
}

/// The CQL2 text of the open states.
export const openCql = () => `status IN (${OPEN.map(quote).join(',')})`;

/// The CQL2 text of "open and overdue" at `now` (as the server's statistics count it).
export function overdueCql(mode, now = new Date(), hasFlag = true) {
  const open = openCql();
  if (mode === 'deadline') {
    const late = `deadline < TIMESTAMP(${quote(iso(now))})`;
    return `${open} AND ${hasFlag ? `(overdue = true OR ${late})` : late}`;
  }
  const byHours = new Map();
  for (const c of CATEGORIES) {
    if (!Number.isFinite(c.hours)) continue;
    if (!byHours.has(c.hours)) byHours.set(c.hours, []);
    byHours.get(c.hours).push(c.code);
  }
  const groups = [...byHours.entries()].map(
    ([h, codes]) =>
      `(category IN (${codes.map(quote).join(',')}) AND reported_at < TIMESTAMP(${quote(iso(new Date(now.getTime() - h * 3600_000)))}))`,
  );
  return groups.length ? `${open} AND (${groups.join(' OR ')})` : '1 = 0';
}

/// Items-query parameters of the filters plus `extra` CQL2 (joined with AND), without the area.
export function itemParams(f, { extraCql = '', now = new Date() } = {}) {
  const p = {};
  const dt = datetimeParam(f, now);
  if (dt) p.datetime = dt;
  const cql = [cqlConditions(f), extraCql].filter(Boolean).join(' AND ');
  if (cql) {
    p.filter = cql;
    p['filter-lang'] = 'cql2-text';
  }
  return p;
}
