// The page's shared state, window.onemapApp (main.js publishes it; see there for what scripts and
// tests read of it), with what every part of the page uses with it: the status line, track() (a
// request of the page's own, counted as pending, its error on the status line), settled(), and
// positions between the data (CGCS2000) and the map (GCJ-02 with an Amap basemap).
import { $ } from './dom.js';
import { defaultFilters } from './filters.js';
import { fromGcj02, toGcj02 } from './gcj02.js';
import { t } from './i18n.js';

// The most features one items request asks for (the overdue incidents, the month's closed ones).
export const FETCH_PAGE = 10000;

export const app = {
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
  // main.js sets these: refresh(), runQuery() and openIncident(id) (query.js, incident.js).
  refresh: null,
  runQuery: null,
  openIncident: null,
};

export function status(message, isError = false) {
  const s = $('status');
  s.textContent = message ?? '';
  s.classList.toggle('error', isError);
  s.classList.toggle('shown', !!message);
  if (message && !isError) setTimeout(() => s.textContent === message && status(''), 4000);
}

/// Runs `f` counting it as pending (settled() waits for it); errors go to the status line.
export async function track(f) {
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

export const gcj = () => app.config.offset === 'gcj02';
// Positions between the data (CGCS2000 lon/lat) and the map (shifted with an Amap basemap).
export const toMap = (p) => (gcj() ? toGcj02(p) : p);
export const fromMap = (p) => (gcj() ? fromGcj02(p) : p);
export function geometryToMap(g) {
  if (!gcj() || !g) return g;
  const walk = (c) => (typeof c[0] === 'number' ? toGcj02(c) : c.map(walk));
  return { ...g, coordinates: walk(g.coordinates) };
}

/// A promise for the map idle with nothing of the page's own pending.
export function settled() {
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
