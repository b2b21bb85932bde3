// Browser test of the web map (ctest: browser_app): the page onemap serves at / (web/dist, built
// by web/build.mjs), opened in Debian's headless Chromium through playwright-core, against a real
// `onemap serve` of the demo county.
//
// Usage: node onemap-app.test.mjs ONEMAP_BINARY SOURCE_DIR
// Environment: ONEMAP_BROWSER_DATA  an existing demo store to serve (default: build one, ~30 s);
//                                   it is served with a write token and one dispatched incident
//                                   is accepted
//              ONEMAP_BROWSER_OUT   where screenshots and onemap's log go (default: the cwd)
//              CHROMIUM             the browser (default /usr/bin/chromium)
//
// It checks: GET / negotiation (HTML for browsers, the JSON landing page for everyone else) and
// the app's files (content types, ETag and 304, gzip, cache lifetimes); then in the browser: the
// Chinese interface, rendered features of every layer (county, town, village and grid boundaries
// and labels, household cells and points, enterprises by risk, incidents open, overdue and
// closed) with map.queryRenderedFeatures at the county view and up close; the county's own layers
// (the catalogue by theme as /style.json has it, each drawn, a camera clicked); a feature's attributes
// (public fields only, then the personal ones once signed in with the token); the filters
// reaching the incident tiles; a drawn box and a drawn polygon listing exactly the API's
// numberMatched; the dashboard's open count, 有效率, 及时率 and 环节用时 (the API's figures for the
// dashboard's window) and no 处置排行 signed out; signed in as the administrator, a dispatched
// incident accepted with the panel's 接收 button (the API's status and history, its tile's ETag,
// the panel and the open layer showing the new state); signed in as a county-wide centre user
// added while the server runs, 处置排行 by worker, agency, town and grid as GET /stats/loop ranks them for
// that user (keys, totals, workers' names); the English switch; and that every request
// the page made went to onemap's origin. Each check prints PASS or FAIL; the last
// line counts them and the exit status is 1 if any failed. Screenshots: browser_app-*.png.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { check, cleanup, clickFeature, run, runTest, seconds, startOnemap as startServer, testArguments } from './harness.mjs';

const { onemapBinary, sourceDir } = testArguments('onemap-app.test.mjs', ['playwright-core']);
const { chromium } = await import('playwright-core');

const outDir = path.resolve(process.env.ONEMAP_BROWSER_OUT ?? process.cwd());
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TOKEN = 'browser-app-test-token';
const CENTRE_ID = 'browser-app-centre';
// The loop's stages as the dashboard's 环节用时 shows them.
const STAGES = ['dispatch', 'accept', 'resolve', 'verify', 'close'];
const VIEWPORT = { width: 1600, height: 1000 };
// The closed loop's states (layers/dispatch/workflow.hpp): open ones, and the done ones drawn apart.
const OPEN_STATES = ['reported', 'dispatched', 'accepted', 'in_progress', 'returned', 'escalated', 'reopened'];
const DONE_STATES = ['resolved', 'verified', 'closed'];
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
// The demo's incidents cover the 12 months before 00:00 (UTC+8) of this date.
const DEMO_END_DATE = '2026-11-26';
const DEMO_NOW = new Date('2026-11-25T18:00:00+08:00');

// `onemap serve` with the administrator's token (from a file: never on the command line); the web
// app from its default directory (the source tree's web/dist).
const startOnemap = (store, logFile) => {
  const tokenFile = path.join(outDir, 'browser_app-admin.token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  return startServer(onemapBinary, store, logFile, ['--write-token-file', tokenFile]);
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// The states as the Chinese interface names them (web/src/i18n.js).
const STATUS_ZH = { reported: '已上报', dispatched: '已派遣', accepted: '已受理', in_progress: '处置中', resolved: '已处置', verified: '已核查', closed: '已结案', returned: '已退回', escalated: '已上报上级', reopened: '已重启' };

// ---- HTTP: negotiation of / and the app's files ---------------------------------------------------

async function checkHttp(base) {
  const html = await fetch(`${base}/`, { headers: { Accept: BROWSER_ACCEPT } });
  const body = await html.text();
  check(
    'GET / from a browser: the web app',
    html.status === 200 && html.headers.get('content-type')?.startsWith('text/html') && body.includes('id="map"') && /Accept\b/.test(html.headers.get('vary') ?? ''),
    `${html.status} ${html.headers.get('content-type')}, Vary: ${html.headers.get('vary')}`,
  );
  for (const [label, headers, query] of [
    ['Accept: application/json', { Accept: 'application/json' }, ''],
    ['no Accept header (GDAL, scripts)', {}, ''],
    ['Accept: */* (curl)', { Accept: '*/*' }, ''],
    ['?f=json from a browser', { Accept: BROWSER_ACCEPT }, '?f=json'],
  ]) {
    const r = await fetch(`${base}/${query}`, { headers });
    const text = await r.text();
    let links = [];
    try {
      links = JSON.parse(text).links ?? [];
    } catch {
      // not JSON: the check fails below
    }
    check(`GET / with ${label}: the JSON landing page`, r.status === 200 && r.headers.get('content-type')?.startsWith('application/json') && links.some((l) => l.rel === 'conformance'), `${r.status} ${r.headers.get('content-type')}`);
  }
  const script = /src="(\/app\/assets\/[^"]+\.js)"/.exec(body)?.[1];
  const style = /href="(\/app\/assets\/[^"]+\.css)"/.exec(body)?.[1];
  check('index.html names its hashed script and style', !!script && !!style, `${script}, ${style}`);
  if (!script || !style) return;
  const js = await fetch(`${base}${script}`, { headers: { 'Accept-Encoding': 'identity' } });
  const jsBytes = Buffer.from(await js.arrayBuffer());
  const etag = js.headers.get('etag');
  check(
    'a hashed asset: JavaScript, ETag, cached for a year',
    js.status === 200 && js.headers.get('content-type')?.startsWith('text/javascript') && /^"[0-9a-f]+"$/.test(etag ?? '') && /max-age=31536000/.test(js.headers.get('cache-control') ?? '') && /immutable/.test(js.headers.get('cache-control') ?? ''),
    `${js.status} ${js.headers.get('content-type')}, ETag ${etag}, Cache-Control ${js.headers.get('cache-control')}, ${jsBytes.length} bytes`,
  );
  const again = await fetch(`${base}${script}`, { headers: { 'If-None-Match': etag, 'Accept-Encoding': 'identity' } });
  check('If-None-Match with its ETag: 304', again.status === 304, `${again.status}`);
  // fetch() would decompress by itself: ask through a raw request for the gzip bytes.
  const gz = await new Promise((resolve, reject) => {
    const u = new URL(`${base}${script}`);
    import('node:http').then(({ get }) =>
      get({ host: u.hostname, port: u.port, path: u.pathname, headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject),
    );
  });
  check(
    'gzip when Accept-Encoding allows it, the same bytes unpacked',
    gz.headers['content-encoding'] === 'gzip' && gunzipSync(gz.body).equals(jsBytes) && gz.headers.etag !== etag,
    `${gz.body.length} bytes gzip of ${jsBytes.length}, ETag ${gz.headers.etag}`,
  );
  const index = await fetch(`${base}/app/`);
  check('/app/: index.html, revalidated (no-cache)', index.status === 200 && index.headers.get('cache-control') === 'no-cache' && index.headers.get('content-type')?.startsWith('text/html'), `${index.status} ${index.headers.get('cache-control')}`);
  const css = await fetch(`${base}${style}`);
  check('the stylesheet: text/css', css.status === 200 && css.headers.get('content-type')?.startsWith('text/css'), css.headers.get('content-type'));
  const config = await (await fetch(`${base}/app/config.json`)).json();
  check('/app/config.json: no basemap by default', Array.isArray(config.basemaps) && config.basemaps.length === 0 && config.offset === null, JSON.stringify(config));
  const missing = await fetch(`${base}/app/assets/nothing-here.js`);
  check('a file not in the app: 404 JSON', missing.status === 404 && (await missing.json()).error?.code === 'not_found', `${missing.status}`);
}

// ---- the page ---------------------------------------------------------------------------------------

// What is rendered per layer: features, and the properties asked for.
function rendered(page, layers, props = []) {
  return page.evaluate(
    ({ layers, props }) => {
      const m = window.onemapApp.map;
      const out = {};
      for (const id of layers) {
        const fs = m.getLayer(id) ? m.queryRenderedFeatures({ layers: [id] }) : [];
        out[id] = { n: fs.length, ids: [...new Set(fs.map((f) => f.id))], values: Object.fromEntries(props.map((p) => [p, [...new Set(fs.map((f) => f.properties[p]))]])) };
      }
      return out;
    },
    { layers, props },
  );
}

const settle = (page) => page.evaluate(() => window.onemapApp.settled());

async function jumpTo(page, center, zoom) {
  await page.evaluate(({ center, zoom }) => window.onemapApp.map.jumpTo({ center, zoom }), { center, zoom });
  await settle(page);
}

// Pixel position on the page of a map coordinate, and back.
async function mapBox(page) {
  return page.evaluate(() => {
    const r = window.onemapApp.map.getCanvas().getBoundingClientRect();
    return { x: r.left, y: r.top, width: r.width, height: r.height };
  });
}

async function itemsMatched(base, params, body) {
  const q = new URLSearchParams({ ...params, limit: '1' }).toString().replace(/\+/g, '%20');
  const r = await fetch(`${base}/collections/incidents/items?${q}`, body ? { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) } : {});
  const j = await r.json();
  if (!r.ok) throw new Error(`items query ${q}: ${r.status} ${JSON.stringify(j)}`);
  return j.numberMatched;
}

async function getJson(base, path, token = null) {
  const r = await fetch(`${base}${path}`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
  const j = await r.json();
  if (!r.ok) throw new Error(`${path}: ${r.status} ${JSON.stringify(j)}`);
  return j;
}

// A centre user for the whole county (`onemap user add` on the store being served), its token;
// on a store of an earlier run (ONEMAP_BROWSER_DATA) the user is there already: a new token.
async function addCentreUser(store) {
  const onemap = (args) => promisify(execFile)(onemapBinary, ['user', ...args, '--data', store, '--id', CENTRE_ID]).then((r) => r.stdout.trim());
  return onemap(['add', '--role', 'centre']).catch(() => onemap(['token']));
}

// The ranking's rows as the page orders them (web/src/dashboard.js topGroups): most incidents
// first, equal totals by key.
function topGroups(groups) {
  const key = (g) => g.key ?? '';
  return [...groups].sort((a, b) => b.total - a.total || (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)).slice(0, 10);
}

// The dashboard's 处置排行: shown or not, by what, its window and its rows.
function rankingShown(page) {
  return page.evaluate(() => {
    const rows = document.getElementById('dash-ranking-rows');
    return {
      hidden: document.getElementById('dash-ranking').hidden,
      by: rows.dataset.by,
      window: rows.dataset.window,
      rows: [...rows.querySelectorAll('tr[data-key]')].map((tr) => ({
        key: tr.dataset.key,
        name: tr.dataset.name,
        total: Number(tr.dataset.total),
        who: tr.cells[0].textContent,
        rates: [tr.cells[2].textContent, tr.cells[3].textContent],
      })),
    };
  });
}

async function listedQuery(page) {
  return page.evaluate(() => {
    const count = document.getElementById('query-count');
    const cats = [...document.querySelectorAll('#category-counts li')].map((li) => Number(li.dataset.count));
    return {
      count: count.dataset.count === undefined ? null : Number(count.dataset.count),
      text: count.textContent,
      categorySum: cats.reduce((a, b) => a + b, 0),
      categories: cats.length,
      listed: document.querySelectorAll('#incident-list li').length,
    };
  });
}

async function main(work) {
  let store = process.env.ONEMAP_BROWSER_DATA;
  if (!store) {
    store = path.join(work, 'demo.gpkg');
    // A pinned end date, so that the data (and so every expectation) is the same whatever day
    // the test runs; the page's clock is pinned to it below.
    await run(onemapBinary, ['demo', '--out', store, '--data-dir', path.join(sourceDir, 'data'), '--end-date', DEMO_END_DATE]);
    console.log(`demo store built in ${seconds()} s`);
  }
  const onemapLog = path.join(outDir, 'browser_app-onemap.log');
  const onemap = await startOnemap(store, onemapLog);
  cleanup.push(() => onemap.stop());
  const base = onemap.url;
  console.log(`onemap at ${base}`);
  await sleep(200);
  const webLine = onemap.entries.find((e) => 'web_app' in e);
  check('onemap logs where the web app is served from', webLine?.web_app === true, webLine?.msg);

  await checkHttp(base);

  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-quic', '--disable-background-networking'],
  });
  cleanup.push(() => browser.close());
  console.log(`Chromium ${browser.version()} started at ${seconds()} s`);
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1, locale: 'zh-CN' });
  // The page lives on the demo's last day, so that its default windows (last 30 days, last week
  // against the week before) hold the demo's incidents on any date.
  await context.clock.setFixedTime(DEMO_NOW);
  const page = await context.newPage();
  const requests = [];
  const problems = [];
  page.on('request', (r) => requests.push({ url: r.url(), auth: r.headers().authorization ?? null, at: seconds() }));
  page.on('response', (r) => r.status() >= 400 && problems.push(`HTTP ${r.status()} ${r.url()}`));
  // Tiles MapLibre no longer needs after a move are cancelled: not a problem.
  page.on('requestfailed', (r) => r.failure()?.errorText !== 'net::ERR_ABORTED' && problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
  const shot = (name) => page.screenshot({ path: path.join(outDir, `browser_app-${name}.png`) });

  // No auto-refresh (?refresh=0): the checks count the page's requests step by step; it is checked
  // on its own at the end.
  await page.goto(`${base}/?refresh=0`);
  await page.waitForFunction(() => window.onemapApp?.ready, null, { timeout: 60_000 });
  await page.evaluate(() => window.onemapApp.ready);
  await settle(page);
  console.log(`page loaded and idle at ${seconds()} s`);

  // Chinese by default.
  const ui = await page.evaluate(() => ({
    lang: document.documentElement.lang,
    title: document.title,
    tabs: [...document.querySelectorAll('.tabs button')].map((b) => b.textContent),
  }));
  check('the interface is Chinese by default', ui.lang === 'zh-CN' && ui.tabs.join() === '图层,查询,看板' && /一张图$/.test(ui.title), `${ui.lang} "${ui.title}" ${ui.tabs.join(' ')}`);

  // ---- the county at a glance: every layer rendered
  const overview = await rendered(
    page,
    ['grid-county-line', 'grid-town-line', 'grid-village-line', 'grid-town-label', 'households-cells', 'enterprises-cells', 'incidents-open', 'incidents-overdue', 'incidents-closed'],
    ['count', 'cluster', 'level', 'name'],
  );
  for (const [id, r] of Object.entries(overview)) check(`county view: ${id} rendered`, r.n > 0, `${r.n} features`);
  check('county view: households aggregated into cells with counts', overview['households-cells'].values.cluster.includes(true) && overview['households-cells'].values.count.some((c) => c > 1));
  await shot('overview');
  console.log(`county view checked at ${seconds()} s`);

  // ---- up close: single households, enterprises by risk, incidents by state, grid lines and labels
  const dense = await page.evaluate(() => {
    // The household cell with the most households: a town centre.
    const fs = window.onemapApp.map.queryRenderedFeatures({ layers: ['households-cells'] });
    fs.sort((a, b) => b.properties.count - a.properties.count);
    return fs[0].geometry.coordinates;
  });
  // Villages and grids with their names (grid names from zoom 14).
  await jumpTo(page, dense, 14.2);
  const mid = await rendered(page, ['grid-village-line', 'grid-village-label', 'grid-grid-line', 'grid-grid-label'], ['level']);
  for (const [id, r] of Object.entries(mid)) check(`village view: ${id} rendered`, r.n > 0, `${r.n} features`);
  check('village view: the labels name villages and grids', mid['grid-village-label'].values.level.join() === 'village' && mid['grid-grid-label'].values.level.join() === 'grid');
  await jumpTo(page, dense, 16.3);
  const close = await rendered(
    page,
    ['grid-grid-line', 'households-points', 'enterprises-points', 'incidents-open', 'incidents-closed', 'incidents-overdue'],
    ['risk', 'status', 'cluster', 'level', 'category'],
  );
  for (const [id, r] of Object.entries(close)) check(`close view: ${id} rendered`, r.n > 0, `${r.n} features`);
  check('close view: households are single points', close['households-points'].n > 0 && !close['households-points'].values.cluster.includes(true));
  check(
    'close view: enterprises carry their risk',
    close['enterprises-points'].values.risk.length > 0 && close['enterprises-points'].values.risk.every((r) => ['major', 'significant', 'general', 'low'].includes(r)),
    close['enterprises-points'].values.risk.join(','),
  );
  check('close view: the open layer holds open incidents only, the done layer resolved, verified or closed ones',
    close['incidents-open'].values.status.length > 0 && close['incidents-open'].values.status.every((s) => OPEN_STATES.includes(s)) &&
      close['incidents-closed'].values.status.length > 0 && close['incidents-closed'].values.status.every((s) => DONE_STATES.includes(s)),
    `open: ${close['incidents-open'].values.status.join(',')}; closed: ${close['incidents-closed'].values.status.join(',')}`);
  await shot('town');
  console.log(`close view checked at ${seconds()} s`);

  // ---- the county's own layers: the catalogue by theme, each drawn, a camera's public fields
  const catalogue = await page.evaluate(() => ({
    themes: [...document.querySelectorAll('#tab-layers h3')].map((h) => h.textContent),
    layers: [...document.querySelectorAll('#tab-layers input[data-layer^="layer:"]')].map((i) => i.dataset.layer.slice(6)),
  }));
  const demoLayers = (await (await fetch(`${base}/style.json`)).json()).metadata['onemap:catalogue'];
  check(
    'the layer catalogue: the county layers grouped by theme, as /style.json lists them',
    demoLayers.length >= 4 && demoLayers.every((t) => catalogue.themes.includes(t.theme)) &&
      demoLayers.flatMap((t) => t.layers.map((l) => l.name)).join() === catalogue.layers.join() && catalogue.layers.length >= 5,
    `${catalogue.themes.join(' ')}; ${catalogue.layers.join(' ')}`,
  );
  const view = await page.evaluate(() => ({ center: window.onemapApp.map.getCenter().toArray(), zoom: window.onemapApp.map.getZoom() }));
  const first = (await (await fetch(`${base}/collections/cameras/items?limit=1`)).json()).features[0];
  await jumpTo(page, first.geometry.coordinates, 14);
  const own = await rendered(page, ['cameras', 'sewage_pipes', 'land_use'], []);
  for (const [id, r] of Object.entries(own)) check(`up close: the county layer ${id} drawn`, r.n > 0, `${r.n} features`);
  // A camera with nothing else a click could pick around it.
  const camera = await page.evaluate(() => {
    const m = window.onemapApp.map;
    const picks = ['incidents-open', 'incidents-closed', 'incidents-overdue', 'enterprises-points', 'enterprises-cells', 'households-points', 'households-cells', 'stations', 'garbage_points'];
    for (const f of m.queryRenderedFeatures({ layers: ['cameras'] })) {
      const p = m.project(f.geometry.coordinates);
      const near = m.queryRenderedFeatures([[p.x - 6, p.y - 6], [p.x + 6, p.y + 6]], { layers: picks.filter((id) => m.getLayer(id)) });
      if (!near.length && f.id !== undefined) return { id: f.id };
    }
    return null;
  });
  check(`camera ${camera?.id} drawn and clicked`, camera !== null && (await clickFeature(page, 'cameras', camera.id)));
  await settle(page);
  const cameraInfo = await page.evaluate(() => ({
    title: document.getElementById('info-title').textContent,
    fields: [...document.querySelectorAll('#info-table tr')].map((tr) => tr.dataset.field),
  }));
  check(
    "a camera clicked: its layer's title and public fields, no staff field",
    cameraInfo.title === '雪亮工程摄像头' && cameraInfo.fields.includes('device_id') && !cameraInfo.fields.includes('keeper_unit') &&
      requests.some((r) => r.url.includes(`/collections/cameras/items/${camera?.id}`)),
    `${cameraInfo.title}: ${cameraInfo.fields.join(',')}`,
  );
  await shot('county-layers');
  await page.evaluate(() => (document.getElementById('info').hidden = true));
  await jumpTo(page, view.center, view.zoom);

  // ---- a household's attributes: public fields only, then personal ones once signed in
  const household = await page.evaluate(() => {
    const m = window.onemapApp.map;
    const f = m.queryRenderedFeatures({ layers: ['households-points'] }).find((x) => x.id !== undefined);
    const p = m.project(f.geometry.coordinates);
    return { id: f.id, x: p.x, y: p.y };
  });
  let box = await mapBox(page);
  const clickHousehold = async () => {
    check(`household ${household.id} drawn and clicked`, await clickFeature(page, 'households-points', household.id));
    await settle(page);
    return page.evaluate(() => ({
      shown: !document.getElementById('info').hidden,
      fields: [...document.querySelectorAll('#info-table tr')].map((tr) => tr.dataset.field),
    }));
  };
  const publicView = await clickHousehold();
  check(
    'a household clicked: public fields only, from the features API',
    publicView.shown && publicView.fields.includes('members') && !publicView.fields.some((f) => ['head_name', 'phone', 'id_number', 'address'].includes(f)) &&
      requests.some((r) => r.url.includes(`/collections/households/items/${household.id}`)),
    publicView.fields.join(','),
  );
  check('not signed in: the page never asked for a household record', !requests.some((r) => /\/households\/\d+/.test(new URL(r.url).pathname) && !r.url.includes('/collections/')));
  // A layer added to the running server (as a county's other system would bring one) is in the
  // catalogue the next time the page loads its layers: here, when the user signs in.
  const shelter = { type: 'Feature', properties: { name: '应急避难场所一号' }, geometry: { type: 'Point', coordinates: camera ? first.geometry.coordinates : [120, 30.5] } };
  const added = await fetch(`${base}/admin/layers?name=shelters&title=${encodeURIComponent('应急避难场所')}&theme=${encodeURIComponent('应急')}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/geo+json' },
    body: JSON.stringify({ type: 'FeatureCollection', features: [shelter] }),
  });
  check('a new layer added to the running server', added.status === 201, `${added.status}`);
  page.once('dialog', (d) => d.accept(TOKEN));
  await page.click('#auth');
  await settle(page); // signing in loads the layers again, with the token
  const withNew = await page.evaluate(() => ({
    themes: [...document.querySelectorAll('#tab-layers h3')].map((h) => h.textContent),
    layers: [...document.querySelectorAll('#tab-layers label')].map((l) => l.textContent),
  }));
  check('the new layer is in the catalogue under its theme, without a restart', withNew.themes.includes('应急') && withNew.layers.includes('应急避难场所'), `${withNew.themes.join(' ')}`);
  const personalView = await clickHousehold();
  const recordRequest = requests.find((r) => new URL(r.url).pathname === `/households/${household.id}`);
  check(
    'signed in: the household record with its personal fields, sent with the token',
    personalView.fields.includes('head_name') && personalView.fields.includes('phone') && recordRequest?.auth === `Bearer ${TOKEN}`,
    `${personalView.fields.join(',')}; Authorization ${recordRequest?.auth ? 'sent' : 'missing'}`,
  );
  await page.click('#auth'); // sign out
  check('signed out: the token is gone from sessionStorage and the panel closed',
    (await page.evaluate(() => sessionStorage.getItem('onemap.token'))) === null && (await page.isHidden('#info')));

  // ---- the filters reach the incident tiles (single incidents from zoom 13)
  await page.click('.tabs button[data-tab="query"]');
  await jumpTo(page, dense, 13.5);
  const before = (await rendered(page, ['incidents-open']))['incidents-open'];
  const category = await page.evaluate(() => {
    const fs = window.onemapApp.map.queryRenderedFeatures({ layers: ['incidents-open'] });
    const counts = {};
    for (const f of fs) counts[f.properties.category] = (counts[f.properties.category] ?? 0) + 1;
    return Object.entries(counts).sort((a, b) => b[1] - a[1])[0][0];
  });
  const tileCount = requests.length;
  await page.click('#cat-none');
  await page.check(`#category-filter input[value="${category}"]`);
  await settle(page);
  const filtered = await rendered(page, ['incidents-open', 'incidents-closed'], ['category']);
  // (Tiles asked between the two clicks, with no category selected, carry status=-: nothing.)
  const filteredTiles = requests
    .slice(tileCount)
    .filter((r) => /\/tiles\/incidents\/\d+\/\d+\/\d+\.mvt/.test(r.url) && new URL(r.url).searchParams.get('status') !== '-');
  check(
    `category ${category} only: the incident tiles are asked with category=${category}`,
    filteredTiles.length > 0 && filteredTiles.every((r) => new URL(r.url).searchParams.get('category') === category),
    // The requests without the category, if any: what the page asked for, and when.
    `${filteredTiles.length} tile requests${filteredTiles
      .filter((r) => new URL(r.url).searchParams.get('category') !== category)
      .slice(0, 4)
      .map((r) => `; without it at ${r.at} s: ${new URL(r.url).pathname}${new URL(r.url).search}`)
      .join('')}`,
  );
  check(
    'category filter: fewer open incidents rendered, all of that category',
    filtered['incidents-open'].n > 0 && filtered['incidents-open'].n < before.n && filtered['incidents-open'].values.category.every((c) => c === category) &&
      filtered['incidents-closed'].values.category.every((c) => c === category),
    `${before.n} → ${filtered['incidents-open'].n} open features`,
  );
  await page.click('#cat-all');
  await settle(page);
  for (const s of DONE_STATES) await page.uncheck(`#status-filter input[value="${s}"]`);
  await settle(page);
  const statusStart = requests.length;
  // Another zoom: new tiles, from the sources' new URLs.
  await jumpTo(page, dense, 12.6);
  const noClosed = await rendered(page, ['incidents-closed', 'incidents-open']);
  const incidentTiles = requests.slice(statusStart).filter((r) => /\/tiles\/incidents\/\d+\/\d+\/\d+\.mvt/.test(r.url));
  const doneTiles = incidentTiles.filter((r) => new URL(r.url).searchParams.get('status').split(',').some((s) => DONE_STATES.includes(s)));
  check(
    'status filter without the done states: none rendered, no tile asked for them',
    noClosed['incidents-closed'].n === 0 && noClosed['incidents-open'].n > 0 && incidentTiles.length > 0 && doneTiles.length === 0,
    `${noClosed['incidents-closed'].n} done, ${noClosed['incidents-open'].n} open rendered, ${incidentTiles.length} incident tiles asked` + (doneTiles.length ? `; ${doneTiles[0].url}` : ''),
  );
  for (const s of DONE_STATES) await page.check(`#status-filter input[value="${s}"]`);
  await settle(page);

  // ---- draw a box: the listed count is the API's numberMatched for the same box and filters
  await page.click('.presets button[data-days="all"]');
  await jumpTo(page, dense, 13);
  box = await mapBox(page);
  await page.click('#draw-box');
  // Whole pixels: the browser hands the page mouse positions in whole CSS pixels.
  const from = { x: Math.round(box.x + box.width * 0.3), y: Math.round(box.y + box.height * 0.3) };
  const to = { x: Math.round(box.x + box.width * 0.7), y: Math.round(box.y + box.height * 0.75) };
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 5 });
  await page.mouse.move(to.x, to.y, { steps: 5 });
  await page.mouse.up();
  await settle(page);
  const bbox = await page.evaluate(
    ({ a, b }) => {
      const m = window.onemapApp.map;
      const p = m.unproject([a.x, a.y]);
      const q = m.unproject([b.x, b.y]);
      return [Math.min(p.lng, q.lng), Math.min(p.lat, q.lat), Math.max(p.lng, q.lng), Math.max(p.lat, q.lat)];
    },
    { a: { x: from.x - box.x, y: from.y - box.y }, b: { x: to.x - box.x, y: to.y - box.y } },
  );
  const boxMatched = await itemsMatched(base, { bbox: bbox.map((v) => v.toFixed(7)).join(',') });
  const boxListed = await listedQuery(page);
  check(
    'a drawn box: the listed count equals the API\'s numberMatched for that box',
    boxListed.count === boxMatched && boxMatched > 0,
    `listed ${boxListed.count} ("${boxListed.text}"), API ${boxMatched}, box ${bbox.map((v) => v.toFixed(7)).join(',')}; the page's ${await page.evaluate(() => window.onemapApp.query.params.bbox)}`,
  );
  check(
    'the box\'s counts by category add up to it, the latest 100 listed',
    boxListed.categorySum === boxMatched && boxListed.listed === Math.min(100, boxMatched) && boxListed.categories > 1,
    `${boxListed.categories} categories summing to ${boxListed.categorySum}, ${boxListed.listed} listed`,
  );
  await shot('query-box');
  console.log(`box query checked at ${seconds()} s`);

  // A narrower query: the last 30 days and closed incidents only, in the same box.
  await page.click('.presets button[data-days="30"]');
  for (const s of [...OPEN_STATES, 'resolved', 'verified']) await page.uncheck(`#status-filter input[value="${s}"]`);
  await settle(page);
  const used = await page.evaluate(() => window.onemapApp.query.params);
  const narrowMatched = await itemsMatched(base, { ...used, bbox: bbox.map((v) => v.toFixed(7)).join(',') });
  const narrowListed = await listedQuery(page);
  check(
    'the box with time and status filters: listed count equals the API\'s',
    narrowListed.count === narrowMatched && narrowMatched < boxMatched && used.datetime && /status IN \('closed'\)/.test(used.filter ?? ''),
    `listed ${narrowListed.count}, API ${narrowMatched} (${used.datetime}; ${used.filter})`,
  );
  for (const s of [...OPEN_STATES, 'resolved', 'verified']) await page.check(`#status-filter input[value="${s}"]`);
  await page.click('.presets button[data-days="all"]');
  await settle(page);

  // ---- draw a polygon: the same through POST with the polygon
  await page.click('#draw-polygon');
  const pts = [
    [0.35, 0.3],
    [0.65, 0.35],
    [0.6, 0.7],
    [0.4, 0.65],
  ].map(([fx, fy]) => ({ x: Math.round(box.x + box.width * fx), y: Math.round(box.y + box.height * fy) }));
  for (const p of pts.slice(0, -1)) {
    await page.mouse.click(p.x, p.y);
    await sleep(350); // apart, so that two clicks are not one double-click
  }
  await page.mouse.dblclick(pts.at(-1).x, pts.at(-1).y);
  await settle(page);
  const ring = await page.evaluate(
    ({ pts }) => pts.map((p) => window.onemapApp.map.unproject([p.x, p.y]).toArray()),
    { pts: pts.map((p) => ({ x: p.x - box.x, y: p.y - box.y })) },
  );
  const polygon = { type: 'Polygon', coordinates: [[...ring, ring[0]]] };
  const polyMatched = await itemsMatched(base, {}, polygon);
  const polyListed = await listedQuery(page);
  check(
    'a drawn polygon: the listed count equals the API\'s numberMatched for that polygon',
    polyListed.count === polyMatched && polyMatched > 0 && polyMatched < boxMatched * 2,
    `listed ${polyListed.count}, API ${polyMatched}`,
  );
  await shot('query-polygon');
  console.log(`polygon query checked at ${seconds()} s`);

  // ---- pick a town: the list is the API's count for area=town:…
  const town = await page.evaluate(() => document.querySelector('#pick-town option:nth-child(2)')?.value);
  await page.selectOption('#pick-town', town);
  await settle(page);
  const townMatched = await itemsMatched(base, { area: `town:${town}` });
  const townListed = await listedQuery(page);
  check(`town ${town} picked: the listed count equals the API's for area=town:${town}`, townListed.count === townMatched && townMatched > 0, `listed ${townListed.count}, API ${townMatched}`);
  await page.click('#area-clear');
  await settle(page);

  // ---- the dashboard
  await page.click('.tabs button[data-tab="dashboard"]');
  await settle(page);
  const dash = await page.evaluate((STAGES) => ({
    open: Number(document.getElementById('dash-open').dataset.value),
    overdue: Number(document.getElementById('dash-overdue').dataset.value),
    week: Number(document.getElementById('dash-week').dataset.value),
    effective: document.getElementById('dash-effective').dataset.value,
    timely: document.getElementById('dash-timely').dataset.value,
    effectiveText: document.getElementById('dash-effective').textContent,
    window: document.getElementById('dash-effective').dataset.window,
    rising: document.querySelectorAll('#dash-rising li[data-code]').length,
    stages: Object.fromEntries(
      STAGES.map((stage) => {
        const e = document.getElementById(`dash-stage-${stage}`);
        return [stage, { value: e.dataset.value, text: e.textContent, window: e.dataset.window }];
      }),
    ),
    rankingHidden: document.getElementById('dash-ranking').hidden,
  }), STAGES);
  const openMatched = await itemsMatched(base, { filter: `status IN (${OPEN_STATES.map((s) => `'${s}'`).join(',')})`, 'filter-lang': 'cql2-text' });
  check('dashboard: open incidents equal the API\'s count', dash.open === openMatched, `${dash.open} shown, API ${openMatched}`);
  // 有效率 and 及时率: the API's figures over the window the dashboard asked for.
  const loop = (await getJson(base, `/collections/incidents/stats?datetime=${encodeURIComponent(dash.window)}&top=0`)).total.loop;
  check(
    'dashboard: 有效率 and 及时率 equal the API\'s figures',
    dash.effective === String(loop.effective_rate) && dash.timely === String(loop.timely_rate) && /%$/.test(dash.effectiveText),
    `shown ${dash.effective} and ${dash.timely}, API ${loop.effective_rate} and ${loop.timely_rate}`,
  );
  check(
    'dashboard: overdue, last week, rising grids',
    dash.overdue > 0 && dash.overdue <= dash.open && dash.week > 0 && dash.rising > 0,
    `overdue ${dash.overdue}, week ${dash.week}, ${dash.rising} rising`,
  );
  // 环节用时: the API's median hours of each stage over the same window, '–' where it has none.
  const stageShown = (h, shown) =>
    h === null ? shown.value === '' && shown.text === '–' : shown.value === String(h) && (h >= 48 ? /^[\d.,]+ 天$/ : /^[\d.,]+ 小时$/).test(shown.text);
  check(
    'dashboard: 环节用时 equal the API\'s median hours per stage',
    STAGES.every((stage) => dash.stages[stage].window === dash.window && stageShown(loop.median_stage_hours[stage] ?? null, dash.stages[stage])),
    STAGES.map((stage) => `${stage} "${dash.stages[stage].text}" API ${loop.median_stage_hours[stage]}`).join(', '),
  );
  check('dashboard signed out: no 处置排行 (admins and centre users only)', dash.rankingHidden);
  await jumpTo(page, dense, 11);
  await shot('dashboard');
  console.log(`dashboard checked at ${seconds()} s`);

  // ---- the loop in the page: signed in as the administrator (the server's --write-token), a
  // dispatched incident accepted with the panel's 接收 button
  page.once('dialog', (d) => d.accept(TOKEN));
  await page.click('#auth');
  await settle(page);
  const me = await page.evaluate(() => ({ user: document.getElementById('auth').dataset.user, text: document.getElementById('auth').textContent, actions: window.onemapApp.me?.actions ?? [] }));
  check('signed in: the page shows who (GET /users/me)', me.user === 'admin' && me.text.includes('admin') && me.text.includes('管理员') && me.actions.includes('accept'), `"${me.text}"; actions ${me.actions.join(',')}`);
  const dispatched = (await (await fetch(`${base}/collections/incidents/items?status=dispatched&limit=1`)).json()).features[0];
  const z = 16;
  const tileOf = ([lon, lat]) => {
    const n = 2 ** z;
    const x = Math.floor(((lon + 180) / 360) * n);
    const r = (lat * Math.PI) / 180;
    const y = Math.floor(((1 - Math.log(Math.tan(r) + 1 / Math.cos(r)) / Math.PI) / 2) * n);
    return `${z}/${x}/${y}`;
  };
  const tileUrl = `${base}/tiles/incidents/${tileOf(dispatched.geometry.coordinates)}.mvt`;
  const etagBefore = (await fetch(tileUrl)).headers.get('etag');
  const recordBefore = await (await fetch(`${base}/incidents/${dispatched.id}`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json();
  await page.evaluate((id) => window.onemapApp.openIncident(id), dispatched.id);
  await settle(page);
  const panelOf = () =>
    page.evaluate(() => ({
      title: document.getElementById('info-title').textContent,
      status: document.querySelector('#dispatch-summary tr[data-field="status"] td')?.textContent,
      fields: [...document.querySelectorAll('#info-table tr, #dispatch-summary tr')].map((tr) => tr.dataset.field),
      reason: document.getElementById('dispatch-reason').textContent,
      buttons: [...document.querySelectorAll('#dispatch-actions button')].map((b) => `${b.dataset.action}:${b.textContent}`),
      history: [...document.querySelectorAll('#dispatch-history li[data-action]')].map((li) => `${li.dataset.action}/${li.dataset.actor}`),
      message: document.getElementById('dispatch-message').textContent,
      shown: !document.getElementById('info').hidden && !document.getElementById('info-dispatch').hidden,
    }));
  const opened = await panelOf();
  check(
    `incident ${dispatched.id} (dispatched) opened: its state, routing reason, history and the actions the role allows there`,
    opened.shown && opened.title === '事件' && opened.status === '已派遣' &&
      // The routing reason and history as the API has them (the demo's seeded incidents have neither).
      opened.reason === (recordBefore.dispatch_reason?.text ? `派遣依据：${recordBefore.dispatch_reason.text}` : '') &&
      opened.history.join(' ') === recordBefore.history.map((e) => `${e.action}/${e.actor}`).join(' ') &&
      opened.buttons.includes('accept:接收') && opened.buttons.includes('return:退回') && !opened.buttons.some((b) => /^(start|resolve|verify|close|reopen):/.test(b)),
    `status ${opened.status}; ${opened.buttons.join(' ')}; history [${opened.history.join(' ')}]; reason "${opened.reason.slice(0, 60)}"`,
  );
  await page.click('#dispatch-actions button[data-action="accept"]');
  await page.waitForFunction(() => document.querySelector('#dispatch-summary tr[data-field="status"] td')?.textContent === '已受理', null, { timeout: 20_000 });
  await settle(page);
  const record = await (await fetch(`${base}/incidents/${dispatched.id}`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json();
  const last = record.history?.at(-1);
  check(
    'after 接收: the API reports it accepted, its last event accept by admin',
    record.status === 'accepted' && last?.action === 'accept' && last?.actor === 'admin' && last?.from === 'dispatched' && last?.to === 'accepted',
    `status ${record.status}; last event ${JSON.stringify(last)}`,
  );
  const tileAfter = await fetch(tileUrl, { headers: { 'If-None-Match': etagBefore } });
  check('the incident\'s tile changed (a new ETag, not a 304)', tileAfter.status === 200 && tileAfter.headers.get('etag') !== etagBefore, `${etagBefore} → ${tileAfter.status} ${tileAfter.headers.get('etag')}`);
  const accepted = await panelOf();
  check(
    'the panel shows the new state and event, and the actions of that state',
    accepted.status === '已受理' && accepted.history.at(-1) === 'accept/admin' && accepted.message.includes('接收') && !accepted.buttons.some((b) => b.startsWith('accept:')) &&
      accepted.buttons.includes('start:开始处置') && accepted.buttons.includes('resolve:办结'),
    `status ${accepted.status}; ${accepted.buttons.join(' ')}; history ${accepted.history.join(' ')}; "${accepted.message}"`,
  );
  const drawn = await page.evaluate((id) => {
    const f = window.onemapApp.map.queryRenderedFeatures({ layers: ['incidents-open'] }).find((x) => x.id === id);
    return f?.properties.status ?? null;
  }, dispatched.id);
  check('the open layer reloaded at once: the incident drawn as accepted', drawn === 'accepted', `drawn with status ${drawn}`);
  await shot('dispatch');

  // The same panel from a click on the incident on the map.
  await page.click('#info-close');
  check(`incident ${dispatched.id} drawn and clicked`, await clickFeature(page, 'incidents-open', dispatched.id));
  await settle(page);
  const clicked = await panelOf();
  check(
    'an incident clicked: its attributes and its handling section',
    clicked.shown && clicked.title === '事件' && clicked.status === '已受理' && clicked.fields.includes('category') && clicked.fields.includes('reported_at') && clicked.history.at(-1) === 'accept/admin',
    `${clicked.title}: status ${clicked.status}; ${clicked.fields.join(',')}`,
  );
  await shot('incident');

  // A new report, routed by the server: the panel gives the routing reason and the trail so far.
  const intake = await fetch(`${base}/incidents`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ lon: dispatched.geometry.coordinates[0], lat: dispatched.geometry.coordinates[1], category: record.category, description: 'browser_app' }),
  });
  const routed = await intake.json();
  await page.evaluate((id) => window.onemapApp.openIncident(id), routed.id);
  await settle(page);
  const routedPanel = await panelOf();
  check(
    `a new report (incident ${routed.id}) opened: its routing reason and its history`,
    intake.status === 201 && !!routed.dispatch_reason?.text_zh && routedPanel.reason === `派遣依据：${routed.dispatch_reason.text_zh}` &&
      routedPanel.history[0] === 'report/admin' && routedPanel.status === STATUS_ZH[routed.status],
    `${intake.status} ${routed.status}; reason "${routedPanel.reason}"; history ${routedPanel.history.join(' ')}`,
  );

  // Two hands on one incident: accepted elsewhere meanwhile, the page's stale 接收 loses with 409,
  // shows the server's reason and reloads the incident.
  const elsewhere = await fetch(`${base}/incidents/${routed.id}/actions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json', 'If-Match': `"${routed.version}"` },
    body: JSON.stringify({ action: 'accept' }),
  });
  await page.click('#dispatch-actions button[data-action="accept"]');
  await page.waitForFunction(() => document.querySelector('#dispatch-summary tr[data-field="status"] td')?.textContent === '已受理', null, { timeout: 20_000 });
  await settle(page);
  const conflict = await panelOf();
  check(
    'a stale action: 409, the server\'s reason shown and the incident reloaded',
    routed.status === 'dispatched' && elsewhere.status === 200 && conflict.message.startsWith('操作未生效') && conflict.history.at(-1) === 'accept/admin' && !conflict.buttons.some((b) => b.startsWith('accept:')),
    `"${conflict.message}"; history ${conflict.history.join(' ')}`,
  );
  // The 409 was the point: not a problem of the page.
  for (let i = problems.length - 1; i >= 0; i--) if (problems[i].includes(`/incidents/${routed.id}/actions`) || /status of 409/.test(problems[i])) problems.splice(i, 1);
  await page.click('#info-close');
  await page.click('#auth'); // sign out
  console.log(`dispatch checked at ${seconds()} s`);

  // ---- 处置排行 as a county-wide centre user, added while the server runs: the top ten workers
  // and agencies of the dashboard's window as GET /stats/loop gives them to that user
  const centreToken = await addCentreUser(store);
  await settle(page);
  page.once('dialog', (d) => d.accept(centreToken));
  await page.click('#auth');
  await page.click('.tabs button[data-tab="dashboard"]');
  await settle(page);
  const centre = await page.evaluate(() => window.onemapApp.me?.role);
  for (const by of ['worker', 'agency', 'town', 'grid']) {
    if (by !== 'worker') {
      await page.click(`#dash-ranking button[data-by="${by}"]`);
      await settle(page);
    }
    const shown = await rankingShown(page);
    const [from, to] = (shown.window ?? '/').split('/');
    const answer = await getJson(base, `/stats/loop?by=${by}&from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`, centreToken);
    const top = topGroups(answer.groups);
    const named = top.filter((g) => g.name);
    check(
      `signed in as a centre user: 处置排行 by ${by} lists the top ${top.length} of GET /stats/loop?by=${by} (keys, totals, names)`,
      centre === 'centre' && !shown.hidden && shown.by === by && shown.window === dash.window && top.length > 0 && named.length > 0 &&
        shown.rows.length === top.length &&
        top.every((g, i) => {
          const row = shown.rows[i];
          const who = g.key === null ? '未指派' : g.name ? `${g.name} ${g.key}` : g.key;
          return row.key === (g.key ?? '') && row.total === g.total && row.name === (g.name ?? '') && row.who === who && row.rates.every((r) => /^[\d.]+%$|^–$/.test(r));
        }),
      `${centre}; shown ${shown.rows.slice(0, 3).map((r) => `${r.who}:${r.total}`).join(', ')}…; API ${top.slice(0, 3).map((g) => `${g.name ?? ''} ${g.key ?? '(none)'}:${g.total}`).join(', ')}…`,
    );
  }
  await shot('ranking');
  await page.click('#auth'); // sign out
  await settle(page);
  check('signed out again: 处置排行 hidden', (await rankingShown(page)).hidden);
  console.log(`ranking checked at ${seconds()} s`);

  // ---- English
  await page.click('#lang');
  await jumpTo(page, dense, 11);
  const en = await page.evaluate(() => ({
    lang: document.documentElement.lang,
    tabs: [...document.querySelectorAll('.tabs button')].map((b) => b.textContent),
    open: document.querySelector('#tab-dashboard .card .label').textContent,
  }));
  check('the English switch', en.lang === 'en' && en.tabs.join() === 'Layers,Query,Dashboard' && en.open === 'Open', `${en.lang} ${en.tabs.join(' ')}`);
  await shot('english');
  console.log(`English checked at ${seconds()} s`);
  await page.click('#lang');

  // ---- the auto-refresh, every 2 s here: the incident layers and the figures reload by themselves
  await page.goto(`${base}/?refresh=2`);
  await page.waitForFunction(() => window.onemapApp?.ready, null, { timeout: 60_000 });
  await page.evaluate(() => window.onemapApp.ready);
  await settle(page);
  const idleAt = requests.length;
  await sleep(3000);
  await settle(page);
  const reloaded = requests.slice(idleAt).map((r) => new URL(r.url).pathname);
  check(
    '?refresh=2: the incident tiles and the figures reload by themselves',
    reloaded.some((p) => p.startsWith('/tiles/incidents/')) && reloaded.includes('/collections/incidents/stats'),
    `${reloaded.length} requests in the 3 s after the page was idle`,
  );

  // ---- nothing but onemap
  const external = requests.filter((r) => !r.url.startsWith(`${base}/`) && !/^(data|blob):/.test(r.url));
  check('every request the page made went to onemap\'s origin', external.length === 0 && requests.length > 50, `${requests.length} requests` + (external.length ? `; elsewhere: ${external.slice(0, 3).map((r) => r.url).join(', ')}` : ''));
  const appErrors = await page.evaluate(() => window.onemapApp.errors);
  check('no error on the page', problems.length === 0 && appErrors.length === 0, [...problems, ...appErrors].slice(0, 5).join('; '));
  await context.close();
  console.log(`screenshots: ${['overview', 'town', 'query-box', 'query-polygon', 'dashboard', 'dispatch', 'incident', 'ranking', 'english'].map((n) => path.join(outDir, `browser_app-${n}.png`)).join(' ')}`);
  console.log(`onemap log: ${onemapLog}`);
}

await runTest('browser_app', main);
