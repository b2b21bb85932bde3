// Browser test of what each audience sees on the web map (ctest: browser_audiences): the page
// onemap serves at / in Debian's headless Chromium through playwright-core, against a real
// `onemap serve` of the demo county, signed out, as a town's command-centre user and as the
// administrator.
//
// Usage: node onemap-audiences.test.mjs ONEMAP_BINARY SOURCE_DIR
// Environment: ONEMAP_BROWSER_DATA  a demo store to start from (copied: the test adds a user);
//                                   default: build one with the pinned end date
//              ONEMAP_BROWSER_OUT   where screenshots and onemap's log go (default: the cwd)
//              CHROMIUM             the browser (default /usr/bin/chromium)
//
// What is public comes from the server itself: each collection's queryables asked anonymously
// (the public fields) and the categories data/categories.csv shows as counts only. The town is
// the one with the most incidents, its user added with `onemap user add --role centre --scope`
// while the server runs (it reads users from the store at each request); which incident lies in
// which town comes from the API. It checks:
//   signed out   no workers layer in the switcher, the style or the requests; every rendered
//                incident and household holds public properties only and no incident of a
//                sensitive category; an incident's panel shows its public fields only;
//   town user    every tile request carries its token; the server refuses it the workers' tiles
//                and the page shows none; an incident of its town in detail (its description and
//                history), one of another town as a summary saying so; the dashboard counts the
//                whole county; a household of its town opened (personal fields), then the audit
//                (GET /audit as the administrator) names that household and the user;
//   administrator  the workers layer and a sensitive incident drawn;
//   signed out again  neither drawn any more, tiles asked without a token;
// and that every tile answered to a request without a token, decoded, holds public layers and
// fields only and no incident of a sensitive category. Each check prints PASS or FAIL; the last
// line counts them and the exit status is 1 if any failed. Screenshots: browser_audiences-*.png.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { check, cleanup, clickFeature, demoStoreCopy, runTest, seconds, startOnemap as startServer, testArguments } from './harness.mjs';

const { onemapBinary, sourceDir } = testArguments('onemap-audiences.test.mjs', ['playwright-core']);
const { chromium } = await import('playwright-core');
// The tile decoder MapLibre itself uses (installed with maplibre-gl).
const { VectorTile } = await import('@mapbox/vector-tile');
const { PbfReader } = await import('pbf');

const outDir = path.resolve(process.env.ONEMAP_BROWSER_OUT ?? process.cwd());
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ADMIN_TOKEN = 'browser-audiences-admin-token';
const CENTRE_ID = 'town-centre-browser';
const VIEWPORT = { width: 1400, height: 900 };
const OPEN_STATES = ['reported', 'dispatched', 'accepted', 'in_progress', 'returned', 'escalated', 'reopened'];
// The demo's incidents cover the 12 months before 00:00 (UTC+8) of this date; the page's clock
// is pinned to its last evening, so that nothing depends on the day the test runs.
const DEMO_END_DATE = '2026-11-26';
const DEMO_NOW = new Date('2026-11-25T18:00:00+08:00');
const DAY = 86400_000;
// Properties that are no field of a record: onemap's cluster attributes in tiles, the page's copy
// of a feature id and MapLibre's cluster attributes in the overdue layer.
const AGGREGATE_KEYS = new Set(['count', 'cluster', 'fid', 'cluster_id', 'point_count', 'point_count_abbreviated']);
// The map layers checked for non-public properties, with the collection each draws.
const CHECKED_LAYERS = [
  ['incidents-open', 'incidents'],
  ['incidents-closed', 'incidents'],
  ['incidents-overdue', 'incidents'],
  ['households-cells', 'households'],
  ['households-points', 'households'],
];
// The interface's notes (web/src/i18n.js, Chinese).
const NOTE = {
  publicOnly: '未登录：仅显示公开字段',
  detail: '已登录：详细信息与处置记录',
  summary: '不在您的辖区（或权限）内：仅显示摘要',
  personal: '已登录：含个人信息',
};
const NOT_PUBLIC_INCIDENT_FIELDS = ['description', 'assignee', 'handler', 'reporter', 'dispatch_reason'];
const stamp = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

// ---- the server's answers ----------------------------------------------------------------------

let base = '';
async function api(pathAndQuery, token) {
  const r = await fetch(`${base}${pathAndQuery}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  const text = await r.text();
  if (!r.ok) throw new Error(`GET ${pathAndQuery}: ${r.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}
const q = (params) => new URLSearchParams(params).toString().replace(/\+/g, '%20');

// The problems of a tile answered to a request without a token: layers the public may not see,
// properties that are not public, incidents of a sensitive category.
function publicTileProblems(bytes, publicFields, sensitive) {
  const problems = [];
  const tile = new VectorTile(new PbfReader(bytes));
  for (const [name, layer] of Object.entries(tile.layers)) {
    const fields = publicFields[name.split('.')[0]]; // grids.town: the grids
    if (!fields) {
      problems.push(`layer ${name}`);
      continue;
    }
    for (let i = 0; i < layer.length; i++) {
      const p = layer.feature(i).properties;
      for (const k of Object.keys(p)) if (!fields.has(k) && !AGGREGATE_KEYS.has(k)) problems.push(`${name}.${k}`);
      if (name === 'incidents' && sensitive.has(p.category)) problems.push(`an incident of category ${p.category}`);
    }
  }
  return problems;
}

// ---- the page ----------------------------------------------------------------------------------

const settle = (page) => page.evaluate(() => window.onemapApp.settled());

async function jumpTo(page, center, zoom) {
  await page.evaluate(({ center, zoom }) => window.onemapApp.map.jumpTo({ center, zoom }), { center, zoom });
  await settle(page);
}

async function signIn(page, token) {
  page.once('dialog', (d) => d.accept(token));
  await page.click('#auth');
  await settle(page);
}

async function signOut(page) {
  await page.click('#auth');
  await settle(page);
}

// The rendered features of the checked layers: how many, their ids, their property names and
// categories.
function renderedChecked(page) {
  return page.evaluate((layers) => {
    const m = window.onemapApp.map;
    return layers.map(([id, collection]) => {
      const fs = m.getLayer(id) ? m.queryRenderedFeatures({ layers: [id] }) : [];
      return {
        id,
        collection,
        n: fs.length,
        ids: [...new Set(fs.map((f) => f.id ?? f.properties.fid))],
        keys: [...new Set(fs.flatMap((f) => Object.keys(f.properties)))],
        categories: [...new Set(fs.map((f) => f.properties.category).filter(Boolean))],
      };
    });
  }, CHECKED_LAYERS);
}

// What the page shows of workers: the switcher's entry, the style's layers and sources, the
// features drawn.
function workersShown(page) {
  return page.evaluate(() => {
    const m = window.onemapApp.map;
    const layers = m.getStyle().layers.filter((l) => l.id.startsWith('workers')).map((l) => l.id);
    return {
      toggle: !!document.querySelector('#tab-layers input[data-layer="workers"]'),
      layers,
      source: !!m.getSource('workers'),
      features: layers.length ? m.queryRenderedFeatures({ layers }).length : 0,
      flag: window.onemapApp.workerTiles,
    };
  });
}

// The attribute panel as shown.
function panel(page) {
  return page.evaluate(() => ({
    shown: !document.getElementById('info').hidden,
    note: document.getElementById('info-note').textContent,
    fields: [...document.querySelectorAll(document.getElementById('info-dispatch').hidden ? '#info-table tr' : '#info-table tr, #dispatch-summary tr')].map((tr) => tr.dataset.field),
    values: Object.fromEntries([...document.querySelectorAll('#info-table tr')].map((tr) => [tr.dataset.field, tr.querySelector('td').textContent])),
    history: !document.getElementById('dispatch-history').previousElementSibling.hidden,
    acting: !document.getElementById('dispatch-act').hidden,
  }));
}

async function openIncident(page, id) {
  await page.evaluate((id) => window.onemapApp.openIncident(id, { fly: false }), id);
  await settle(page);
  return panel(page);
}

async function main(work) {
  const store = path.join(work, 'demo.gpkg');
  await demoStoreCopy(onemapBinary, sourceDir, store, DEMO_END_DATE);
  const tokenFile = path.join(work, 'admin.token');
  writeFileSync(tokenFile, `${ADMIN_TOKEN}\n`, { mode: 0o600 });
  const onemapLog = path.join(outDir, 'browser_audiences-onemap.log');
  const onemap = await startServer(onemapBinary, store, onemapLog, ['--write-token-file', tokenFile]);
  cleanup.push(() => onemap.stop());
  base = onemap.url;
  console.log(`onemap at ${base}`);

  // ---- what is public, from the server and the categories it serves
  const publicFields = {};
  for (const c of ['grids', 'households', 'enterprises', 'incidents'])
    publicFields[c] = new Set(Object.keys((await api(`/collections/${c}/queryables`)).properties));
  // The county's own layers the public sees (the anonymous map style's), each with its public
  // fields.
  for (const theme of (await api('/style.json')).metadata['onemap:catalogue'])
    for (const l of theme.layers) publicFields[l.name] = new Set(Object.keys((await api(`/collections/${l.name}/queryables`)).properties));
  const sensitive = new Set(
    readFileSync(path.join(sourceDir, 'data', 'categories.csv'), 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(','))
      .filter((f) => f.at(-1) === 'counts')
      .map((f) => f[0]),
  );
  check(
    'the public fields (anonymous queryables) leave out the free text and the people',
    publicFields.incidents.has('category') && NOT_PUBLIC_INCIDENT_FIELDS.every((f) => !publicFields.incidents.has(f)) &&
      ['head_name', 'phone', 'id_number', 'address'].every((f) => !publicFields.households.has(f)) && sensitive.size > 0,
    `incidents: ${[...publicFields.incidents].join(',')}; households: ${[...publicFields.households].join(',')}; counts only: ${[...sensitive].join(',')}`,
  );

  // ---- the town (the one with the most incidents) and its user
  const towns = (await api(`/collections/grids/items?${q({ filter: "level = 'town'", 'filter-lang': 'cql2-text', properties: 'code,name', limit: 1000 })}`)).features.map((f) => f.properties);
  for (const t of towns) t.incidents = (await api(`/collections/incidents/items?${q({ area: `town:${t.code}`, limit: 1 })}`, ADMIN_TOKEN)).numberMatched;
  towns.sort((a, b) => b.incidents - a.incidents || a.code.localeCompare(b.code));
  const town = towns[0];
  const { stdout } = await promisify(execFile)(onemapBinary, ['user', 'add', '--data', store, '--id', CENTRE_ID, '--role', 'centre', '--scope', town.code]);
  const centreToken = stdout.trim();
  check(`a centre user for town ${town.code} (${town.name}, ${town.incidents} incidents)`, /^\S{16,}$/.test(centreToken) && towns.length > 1);
  const me = await api('/users/me', centreToken);
  check('the running server knows the new user', me.id === CENTRE_ID && me.scope === town.code, `${me.id} ${me.role} ${me.scope}`);

  // Incidents as the administrator sees them: the town's (by grid), another town's (neither grid
  // nor agency in the town: the read policy's area), a sensitive one of the default 30 days.
  const inTown = (x) => (x ?? '').startsWith(town.code);
  const detailed = (params) => api(`/collections/incidents/items?${q({ limit: 1000, properties: 'category,grid_code,agency,description', ...params })}`, ADMIN_TOKEN);
  const own = (await detailed({ area: `town:${town.code}` })).features.find((f) => inTown(f.properties.grid_code) && f.properties.description);
  const other = (await detailed({ area: `town:${towns[1].code}` })).features.find(
    (f) => !inTown(f.properties.grid_code) && !inTown(f.properties.agency) && !sensitive.has(f.properties.category) && f.properties.description,
  );
  const secret = (
    await detailed({ filter: `category IN (${[...sensitive].map((c) => `'${c}'`).join(',')})`, 'filter-lang': 'cql2-text', datetime: `${stamp(new Date(DEMO_NOW.getTime() - 29 * DAY))}/..` })
  ).features[0];
  const household = (await api(`/collections/households/items?${q({ area: `town:${town.code}`, limit: 1 })}`)).features[0];
  check(
    'from the API: an incident of the town, one of another town, a sensitive one, a household of the town',
    own && other && secret && household,
    `incidents ${own?.id} (${own?.properties.grid_code}), ${other?.id} (${other?.properties.grid_code}), ${secret?.id} (${secret?.properties.category}); household ${household?.id}`,
  );
  if (!own || !other || !secret || !household) return;

  // ---- the browser
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-quic', '--disable-background-networking'],
  });
  cleanup.push(() => browser.close());
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, locale: 'zh-CN' });
  await context.clock.setFixedTime(DEMO_NOW);
  const page = await context.newPage();
  const requests = []; // every request of the page: {url, path, auth}
  const tiles = []; // every tile answered 200: {url, auth, bytes}
  const problems = [];
  page.on('request', (r) => requests.push({ url: r.url(), path: new URL(r.url()).pathname, auth: r.headers().authorization ?? null }));
  page.on('response', async (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} ${r.url()}`);
    if (r.status() === 200 && /\/tiles\/.*\.mvt$/.test(new URL(r.url()).pathname)) {
      const bytes = await r.body().catch(() => null);
      if (bytes) tiles.push({ url: r.url(), auth: r.request().headers().authorization ?? null, bytes });
    }
  });
  page.on('requestfailed', (r) => r.failure()?.errorText !== 'net::ERR_ABORTED' && problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  const shot = (name) => page.screenshot({ path: path.join(outDir, `browser_audiences-${name}.png`) });
  const tileRequests = (from) => requests.slice(from).filter((r) => r.path.startsWith('/tiles/'));
  const at = (f) => f.geometry.coordinates;

  await page.goto(`${base}/?refresh=0`); // no auto-refresh: the checks count the page's requests
  await page.waitForFunction(() => window.onemapApp?.ready, null, { timeout: 60_000 });
  await page.evaluate(() => window.onemapApp.ready);
  await settle(page);
  console.log(`page loaded and idle at ${seconds()} s`);

  // ---- signed out
  const countyView = await page.evaluate(() => [window.onemapApp.map.getCenter().toArray(), window.onemapApp.map.getZoom()]);
  const noWorkers = (w) => !w.toggle && w.layers.length === 0 && !w.source && w.features === 0 && w.flag === false;
  const w0 = await workersShown(page);
  check(
    'signed out: no workers layer in the switcher or the map, and none asked for',
    noWorkers(w0) && !requests.some((r) => r.path.includes('workers')),
    JSON.stringify(w0),
  );
  const views = [];
  views.push(['county', await renderedChecked(page)]);
  await jumpTo(page, at(household), 16.5);
  views.push(['town up close', await renderedChecked(page)]);
  await jumpTo(page, at(secret), 15);
  const secretView = await renderedChecked(page);
  views.push(['a sensitive incident\'s place', secretView]);
  await shot('public');
  for (const [view, layers] of views) {
    const bad = layers.flatMap((l) => [
      ...l.keys.filter((k) => !publicFields[l.collection].has(k) && !AGGREGATE_KEYS.has(k)).map((k) => `${l.id}.${k}`),
      ...l.categories.filter((c) => sensitive.has(c)).map((c) => `${l.id}: category ${c}`),
    ]);
    check(
      `signed out, ${view}: rendered incidents and households hold public properties only`,
      bad.length === 0 && layers.some((l) => l.collection === 'incidents' && l.n > 0) && layers.some((l) => l.collection === 'households' && l.n > 0),
      bad.length ? bad.join(', ') : layers.map((l) => `${l.id} ${l.n}: ${l.keys.join(',')}`).join('; '),
    );
  }
  const drawn = (layers, id) => layers.some((l) => l.collection === 'incidents' && l.ids.includes(id));
  check(`signed out: the sensitive incident ${secret.id} (${secret.properties.category}) is not drawn`, !drawn(secretView, secret.id));
  const publicPanel = await openIncident(page, own.id);
  check(
    'signed out: an incident\'s panel shows public fields only, saying so',
    publicPanel.shown && publicPanel.fields.includes('category') && !publicPanel.fields.some((f) => NOT_PUBLIC_INCIDENT_FIELDS.includes(f)) &&
      publicPanel.note === NOTE.publicOnly && !publicPanel.history,
    `${publicPanel.note}: ${publicPanel.fields.join(',')}`,
  );
  check('signed out: no request carried a token', requests.every((r) => !r.auth), `${requests.length} requests`);
  console.log(`signed out checked at ${seconds()} s`);

  // ---- the town's command-centre user
  let mark = requests.length;
  const tilesBefore = tiles.length;
  await signIn(page, centreToken);
  const who = await page.evaluate(() => document.getElementById('auth').dataset.user);
  const asked = tileRequests(mark);
  check(
    'signed in as the town user: every tile asked again, each with its token',
    who === CENTRE_ID && asked.some((r) => r.path.startsWith('/tiles/incidents/')) && asked.every((r) => r.auth === `Bearer ${centreToken}`),
    `${asked.length} tile requests, ${asked.filter((r) => r.auth !== `Bearer ${centreToken}`).length} without its token`,
  );
  const w1 = await workersShown(page);
  const refused = problems.findIndex((p) => p === `HTTP 403 ${base}/tiles/workers.json`);
  check(
    'the town user: the server refuses it the workers\' tiles (403), the page shows no workers layer',
    refused >= 0 && noWorkers(w1),
    JSON.stringify(w1),
  );
  // That refusal was the point: not a problem of the page.
  if (refused >= 0) problems.splice(refused, 1);
  for (let i = problems.length - 1; i >= 0; i--) if (/status of 403/.test(problems[i])) problems.splice(i, 1);
  const centreTiles = tiles.slice(tilesBefore).filter((t) => t.auth === `Bearer ${centreToken}`);
  const centreBad = centreTiles.flatMap((t) => publicTileProblems(t.bytes, publicFields, sensitive));
  check(
    'the town user\'s tiles (cut for the whole county): public fields, no sensitive incident',
    centreTiles.length > 0 && centreBad.length === 0,
    `${centreTiles.length} tiles` + (centreBad.length ? `: ${centreBad.slice(0, 5).join(', ')}` : ''),
  );

  const ownPanel = await openIncident(page, own.id);
  check(
    `the town user: incident ${own.id} of its town in detail (description, history), saying so`,
    ownPanel.fields.includes('description') && ownPanel.values.description === own.properties.description && ownPanel.history && ownPanel.note === NOTE.detail &&
      requests.some((r) => r.path === `/incidents/${own.id}` && r.auth === `Bearer ${centreToken}`),
    `${ownPanel.note}: ${ownPanel.fields.join(',')}`,
  );
  const otherPanel = await openIncident(page, other.id);
  check(
    `the town user: incident ${other.id} of another town as a summary, saying so (no empty detail field)`,
    otherPanel.shown && otherPanel.fields.includes('category') && otherPanel.fields.includes('status') &&
      !otherPanel.fields.some((f) => NOT_PUBLIC_INCIDENT_FIELDS.includes(f)) && otherPanel.note === NOTE.summary && !otherPanel.history && !otherPanel.acting,
    `${otherPanel.note}: ${otherPanel.fields.join(',')}`,
  );
  await shot('town-summary');
  await page.click('#info-close');

  // The dashboard covers the county: its open count is the county's (as this user may count it),
  // more than its town's; last week's count is the statistics' (the same for everyone).
  await page.click('.tabs button[data-tab="dashboard"]');
  await settle(page);
  const dash = await page.evaluate(() => ({
    open: Number(document.getElementById('dash-open').dataset.value),
    week: Number(document.getElementById('dash-week').dataset.value),
  }));
  const openCql = { filter: `status IN (${OPEN_STATES.map((s) => `'${s}'`).join(',')})`, 'filter-lang': 'cql2-text', limit: 1 };
  const countyOpen = (await api(`/collections/incidents/items?${q(openCql)}`, centreToken)).numberMatched;
  const townOpen = (await api(`/collections/incidents/items?${q({ ...openCql, area: `town:${town.code}` })}`, centreToken)).numberMatched;
  const week = (await api(`/collections/incidents/stats?${q({ datetime: `${stamp(new Date(DEMO_NOW.getTime() - 7 * DAY))}/${stamp(DEMO_NOW)}`, group_by: 'grid', top: 10 })}`)).total.count;
  check(
    'the town user\'s dashboard counts the whole county',
    dash.open === countyOpen && countyOpen > townOpen && dash.week === week && week > 0,
    `open ${dash.open} shown, county ${countyOpen}, town ${townOpen}; last week ${dash.week} shown, statistics ${week}`,
  );

  // A household of its town opened from the map: its personal fields, then the audit names it.
  await page.click('.tabs button[data-tab="layers"]');
  await jumpTo(page, at(household), 17);
  const clicked = await clickFeature(page, 'households-points', household.id);
  await settle(page);
  const hhPanel = await panel(page);
  check(
    `the town user: household ${household.id} clicked, its personal fields`,
    clicked && hhPanel.fields.includes('head_name') && hhPanel.fields.includes('phone') && hhPanel.note === NOTE.personal &&
      requests.some((r) => r.path === `/households/${household.id}` && r.auth === `Bearer ${centreToken}`),
    `${clicked ? 'clicked' : 'not drawn'}; ${hhPanel.note}: ${hhPanel.fields.join(',')}`,
  );
  await shot('town-household');
  const audit = await api(`/audit?${q({ user: CENTRE_ID, action: 'read_personal' })}`, ADMIN_TOKEN);
  const row = audit.entries.find((e) => e.layer === 'households' && e.records.map(String).includes(String(household.id)));
  check(
    'the audit (GET /audit as the administrator) names the household and the user',
    row?.actor === CENTRE_ID && row.role === 'centre' && row.fields.includes('phone'),
    row ? JSON.stringify(row) : `${audit.total} rows of ${CENTRE_ID}`,
  );
  await page.click('#info-close');
  console.log(`town user checked at ${seconds()} s`);

  // ---- signed out, then the administrator
  mark = requests.length;
  await signOut(page);
  check(
    'signed out: the tiles asked again without a token',
    tileRequests(mark).length > 0 && tileRequests(mark).every((r) => !r.auth) && noWorkers(await workersShown(page)),
    `${tileRequests(mark).length} tile requests`,
  );
  mark = requests.length;
  await signIn(page, ADMIN_TOKEN);
  await page.evaluate(([center, zoom]) => window.onemapApp.map.jumpTo({ center, zoom }), countyView);
  await settle(page);
  const w2 = await workersShown(page);
  const workerTiles = tileRequests(mark).filter((r) => r.path.startsWith('/tiles/workers/'));
  check(
    'the administrator: the workers layer in the switcher and on the map, its tiles asked with the token',
    w2.toggle && w2.flag && w2.features > 0 && workerTiles.length > 0 && workerTiles.every((r) => r.auth === `Bearer ${ADMIN_TOKEN}`),
    `${JSON.stringify(w2)}; ${workerTiles.length} worker tiles`,
  );
  await shot('admin');
  await jumpTo(page, at(secret), 15);
  check(`the administrator: the sensitive incident ${secret.id} is drawn`, drawn(await renderedChecked(page), secret.id));

  // ---- signed out again: nothing of the administrator's stays
  mark = requests.length;
  await signOut(page);
  const after = await renderedChecked(page);
  check(
    'signed out again: the sensitive incident and the workers are gone, tiles asked without a token',
    !drawn(after, secret.id) && after.some((l) => l.collection === 'incidents' && l.n > 0) && noWorkers(await workersShown(page)) &&
      tileRequests(mark).length > 0 && tileRequests(mark).every((r) => !r.auth),
    `${after.map((l) => `${l.id} ${l.n}`).join(', ')}`,
  );
  await shot('public-again');

  // ---- every tile answered without a token
  const anonymous = tiles.filter((t) => !t.auth);
  const leaks = anonymous.flatMap((t) => publicTileProblems(t.bytes, publicFields, sensitive).map((p) => `${new URL(t.url).pathname}: ${p}`));
  check(
    'every tile answered without a token: public layers and fields only, no sensitive incident',
    anonymous.length > 20 && leaks.length === 0,
    `${anonymous.length} tiles decoded` + (leaks.length ? `; ${leaks.slice(0, 5).join('; ')}` : ''),
  );
  const external = requests.filter((r) => !r.url.startsWith(`${base}/`) && !/^(data|blob):/.test(r.url));
  check('every request went to onemap\'s origin', external.length === 0, external.slice(0, 3).map((r) => r.url).join(', '));
  const appErrors = await page.evaluate(() => window.onemapApp.errors);
  check('no error on the page', problems.length === 0 && appErrors.length === 0, [...problems, ...appErrors].slice(0, 5).join('; '));
  await context.close();
  console.log(`onemap log: ${onemapLog}`);
}

await runTest('browser_audiences', main);
