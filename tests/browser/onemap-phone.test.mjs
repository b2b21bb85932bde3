// Browser test of the phone pages (ctest: browser_phone): /app/worker.html and /app/resident.html
// (web/src/phone/, built into web/dist by web/build.mjs) in Debian's headless Chromium through
// playwright-core, as a phone (390×844, touch), against a real `onemap serve` of the demo county
// with an SMS gateway of the test's own on loopback (`onemap webhook add --kind sms`).
//
// Usage: node onemap-phone.test.mjs ONEMAP_BINARY SOURCE_DIR
// Environment: ONEMAP_BROWSER_DATA  a demo store to start from (copied: the test writes);
//                                   default: build one with the pinned end date
//              ONEMAP_BROWSER_OUT   where screenshots and onemap's log go (default: the cwd)
//              CHROMIUM             the browser (default /usr/bin/chromium)
//
// Everything expected comes from the API, the data or an oracle of the test's own. The worker is
// one who holds a dispatched incident (the lowest worker id among them, from the items API), with
// two more incidents of their grid dispatched to them by the administrator; their user is added
// with `onemap user add --role worker --worker`. It checks:
//   worker    signing in with the pasted token; the list holds exactly GET /users/me/incidents
//             (categories, overdue badges by the pinned clock) and the map draws each; a task
//             accepted, started, then resolved with a note and an "after" photo (a PNG made here):
//             the API's status, history (the note) and media (the photo's size); offline, another
//             task accepted: one queued, the API still dispatched; back online the queue drains
//             and the API has exactly one accept; a third accepted offline while the centre
//             escalates it: refused on its return, dropped, the reason shown; a report at a
//             GCJ-02 GPS position (a WGS84 point inside the worker's grid shifted with
//             web/src/gcj02.js) with the setting on GCJ-02, made offline, its first answer after
//             the server stored it lost (the route fetched, then aborted): stored once (items
//             with its client id), its photo once, at the WGS84 point within a metre, in the grid
//             a point-in-polygon test of the grids finds;
//   resident  a code asked for a phone reaches the SMS gateway (6 digits); a wrong code refused;
//             the right one signs in; only public categories offered; a report at a household's
//             address (the first the administrator's geocoder places as a house) with a photo: in
//             我的反映 with its state, its photo on the incident, the gateway's "received" text to
//             that phone; one at an address no one places waits as a ticket (待受理), its photo
//             left with a notice; the first case taken to closed through the API (the
//             administrator accepts and resolves, a command-centre user verifies and closes:
//             报办分离): 已办结 on refresh, and the "closed" text; a second resident sees none of
//             it; every text signed with the gateway's secret.
// Each check prints PASS or FAIL; the last line counts them and the exit status is 1 if any
// failed. Screenshots: browser_phone-*.png.
import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { deflateSync } from 'node:zlib';
import { check, cleanup, demoStoreCopy, run, runTest, seconds, startOnemap, testArguments } from './harness.mjs';

const { onemapBinary, sourceDir } = testArguments('onemap-phone.test.mjs', ['playwright-core']);
const { chromium } = await import('playwright-core');
// The page's own GCJ-02 formulas: the fake GPS gives what a Chinese phone browser would.
const { toGcj02 } = await import(pathToFileURL(path.join(sourceDir, 'web', 'src', 'gcj02.js')).href);

const outDir = path.resolve(process.env.ONEMAP_BROWSER_OUT ?? process.cwd());
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const ADMIN_TOKEN = 'browser-phone-admin-token';
const SMS_SECRET = 'browser-phone-sms-gateway-secret';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: 'zh-CN' };
// The demo's incidents cover the 12 months before 00:00 (UTC+8) of this date; the pages' clock is
// pinned to its last evening (the overdue badges), so that nothing depends on the day the test runs.
const DEMO_END_DATE = '2026-11-26';
const DEMO_NOW = new Date('2026-11-25T18:00:00+08:00');
const OPEN_STATES = ['reported', 'dispatched', 'accepted', 'in_progress', 'returned', 'escalated', 'reopened'];
// Test residents' phones (inputs, not expectations).
const RESIDENT_PHONES = ['13957200001', '13957200002'];
// A case's state as the resident's page names it (web/src/phone/resident.js).
const RESIDENT_STATUS = { reported: '受理中', dispatched: '已派遣', accepted: '处理中', in_progress: '处理中', returned: '受理中', escalated: '处理中', reopened: '处理中', resolved: '已处置', verified: '已处置', closed: '已办结' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const q = (params) => new URLSearchParams(params).toString().replace(/\+/g, '%20');
const masked = (p) => `${p.slice(0, 3)}****${p.slice(-4)}`;

// ---- the server's answers ----------------------------------------------------------------------

let base = '';
async function call(method, pathAndQuery, { token = ADMIN_TOKEN, body } = {}) {
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`${base}${pathAndQuery}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  return { status: r.status, data, headers: r.headers };
}
async function api(pathAndQuery, token = ADMIN_TOKEN) {
  const r = await call('GET', pathAndQuery, { token });
  if (r.status !== 200) throw new Error(`GET ${pathAndQuery}: ${r.status} ${JSON.stringify(r.data).slice(0, 300)}`);
  return r.data;
}
async function post(pathAndQuery, body, token = ADMIN_TOKEN) {
  const r = await call('POST', pathAndQuery, { token, body });
  if (r.status >= 300) throw new Error(`POST ${pathAndQuery}: ${r.status} ${JSON.stringify(r.data).slice(0, 300)}`);
  return r.data;
}
const items = (collection, params, token = ADMIN_TOKEN) => api(`/collections/${collection}/items?${q({ 'filter-lang': 'cql2-text', ...params })}`, token);

// ---- a PNG of the test's own (a real image onemap decodes) -------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
/// An 8-bit RGB PNG of `width`×`height` with a gradient tinted by `tint`.
function png(width, height, tint) {
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) rows.set([(x * 255) / width, (y * 255) / height, tint], y * (width * 3 + 1) + 1 + x * 3);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', header), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

// ---- geometry: the oracle of which grid holds a point -----------------------------------------

function inRing(ring, [x, y]) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}
const polygons = (g) => (g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : []);
const inGeometry = (g, p) => polygons(g).some((rings) => inRing(rings[0], p) && !rings.slice(1).some((h) => inRing(h, p)));

// Metres between two lon/lat points (haversine).
function metres([lon1, lat1], [lon2, lat2]) {
  const rad = Math.PI / 180;
  const a = Math.sin(((lat2 - lat1) * rad) / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.sqrt(a));
}

// A point well inside a polygon: of a lattice over its bounds, the inside point farthest from
// every edge.
function interiorPoint(g) {
  const rings = polygons(g).flat();
  const xs = rings.flat().map((p) => p[0]);
  const ys = rings.flat().map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const kx = Math.cos(((y0 + y1) / 2) * (Math.PI / 180));
  const segDist = ([px, py], [ax, ay], [bx, by]) => {
    const [dx, dy] = [(bx - ax) * kx, by - ay];
    const [qx, qy] = [(px - ax) * kx, py - ay];
    const t = Math.max(0, Math.min(1, (qx * dx + qy * dy) / (dx * dx + dy * dy || 1)));
    return Math.hypot(qx - t * dx, qy - t * dy);
  };
  let best = null;
  for (let i = 1; i < 40; i++)
    for (let j = 1; j < 40; j++) {
      const p = [x0 + ((x1 - x0) * i) / 40, y0 + ((y1 - y0) * j) / 40];
      if (!inGeometry(g, p)) continue;
      let d = Infinity;
      for (const r of rings) for (let k = 1; k < r.length; k++) d = Math.min(d, segDist(p, r[k - 1], r[k]));
      if (!best || d > best.d) best = { p, d };
    }
  return best?.p;
}

// ---- the SMS gateway: a receiver of onemap's sms subscriber -------------------------------------

async function startSmsGateway() {
  const messages = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const signed = req.headers['x-onemap-signature'] === `sha256=${createHmac('sha256', SMS_SECRET).update(body).digest('hex')}`;
      try {
        messages.push({ ...JSON.parse(body.toString('utf8')), signed });
      } catch {
        messages.push({ raw: body.toString('utf8'), signed });
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${server.address().port}/`, messages };
}

// Waits for `f()` to be truthy (polled): its value, or null after `ms`.
async function waitFor(f, ms = 30_000) {
  const until = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > until) return null;
    await sleep(200);
  }
}

// ---- the pages -----------------------------------------------------------------------------------

async function openPage(context, name, problems) {
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`${name}: page error: ${e.message}`));
  await page.goto(`${base}/app/${name}.html`);
  await page.waitForFunction(() => window.onemapPhone?.ready, null, { timeout: 60_000 });
  await page.evaluate(() => window.onemapPhone.ready);
  return page;
}
const settle = (page) => page.evaluate(() => window.onemapPhone.settled());
// The outbox's count of items queued since the page opened, before a tap that queues some.
const queuedSoFar = (page) => page.evaluate(() => window.onemapPhone.outbox.added);
// Waits for items queued after `before` to be there, then for the outbox to be empty and idle.
const drained = (page, before, ms = 90_000) =>
  page.waitForFunction((n) => { const o = window.onemapPhone.outbox; return o.added > n && o.items().length === 0 && !o.running; }, before, { timeout: ms, polling: 200 });
const queueShown = (page) => page.evaluate(() => ({ badge: document.getElementById('queue-count').dataset.count, hidden: document.getElementById('queue-count').hidden, items: [...document.querySelectorAll('#outbox li.queued')].map((li) => ({ type: li.dataset.type, state: li.dataset.state, text: li.textContent })) }));

async function main(work) {
  const store = path.join(work, 'demo.gpkg');
  await demoStoreCopy(onemapBinary, sourceDir, store, DEMO_END_DATE);
  const categories = (await readFile(path.join(sourceDir, 'data', 'categories.csv'), 'utf8'))
    .replace(/^\uFEFF/, '')
    .trim()
    .split(/\r?\n/)
    .map((l) => l.split(','));
  const head = categories.shift();
  const col = (name) => head.indexOf(name);
  const category = new Map(categories.map((c) => [c[0], { code: c[0], zh: c[col('name_zh')], handler: c[col('handler')], roles: c[col('roles')].split('|'), public: (c[col('visibility')] || 'public') === 'public' }]));

  // The SMS gateway, subscribed before the server starts.
  const sms = await startSmsGateway();
  const secretFile = path.join(work, 'sms.secret');
  writeFileSync(secretFile, `${SMS_SECRET}\n`, { mode: 0o600 });
  await run(onemapBinary, ['webhook', 'add', '--data', store, '--name', 'sms', '--url', sms.url, '--secret-file', secretFile, '--kind', 'sms']);
  const tokenFile = path.join(work, 'admin.token');
  writeFileSync(tokenFile, `${ADMIN_TOKEN}\n`, { mode: 0o600 });
  const onemapLog = path.join(outDir, 'browser_phone-onemap.log');
  const onemap = await startOnemap(onemapBinary, store, onemapLog, ['--write-token-file', tokenFile]);
  cleanup.push(() => onemap.stop());
  base = onemap.url;
  console.log(`onemap at ${base}, SMS gateway at ${sms.url}`);
  const addUser = async (args) => (await promisify(execFile)(onemapBinary, ['user', 'add', '--data', store, ...args])).stdout.trim();

  // ---- the worker: one who holds a dispatched incident, and two more of their grid for them
  const dispatched = (await items('incidents', { filter: "status = 'dispatched' AND level = 'grid'", properties: 'assignee,category,grid_code', limit: 1000 })).features.filter((f) => f.properties.assignee);
  const holders = [...new Set(dispatched.map((f) => f.properties.assignee))].sort();
  let worker = null;
  for (const id of holders) {
    const w = (await items('workers', { filter: `worker_id = '${id}'`, properties: 'worker_id,role,team_grid,on_duty,grid_code', limit: 1 })).features[0];
    const load = (await items('incidents', { filter: `assignee = '${id}' AND status IN (${OPEN_STATES.map((s) => `'${s}'`).join(',')})`, limit: 1 })).numberMatched;
    if (w?.properties.on_duty && load <= 2) {
      worker = { id, ...w.properties, load };
      break;
    }
  }
  const grid = worker && (await items('grids', { filter: `code = '${worker.team_grid}'`, limit: 1 })).features[0];
  const inside = grid && interiorPoint(grid.geometry);
  const gridCategories = [...category.values()].filter((c) => c.handler === 'grid' && c.public && c.roles.includes(worker?.role));
  check(
    'from the API: a grid worker holding a dispatched incident, their grid, a point inside it and the categories their role handles',
    worker && grid && inside && gridCategories.length >= 2,
    worker ? `${worker.id} (${worker.role}, grid ${worker.team_grid}, ${worker.load} open) of ${holders.length} holders; point ${inside?.map((v) => v.toFixed(6))}; categories ${gridCategories.map((c) => c.code).join(',')}` : `${holders.length} holders, none with room`,
  );
  if (!worker || !inside || gridCategories.length < 2) return;
  // Two more tasks, near the point, dispatched to the worker by the administrator.
  for (const [k, c] of gridCategories.slice(0, 2).entries()) {
    const made = await post('/incidents', { category: c.code, description: `浏览器测试：${c.zh}（${k + 1}）`, lon: inside[0] + (k + 1) * 0.0002, lat: inside[1], source: 'other' });
    const fresh = await api(`/incidents/${made.id}`);
    await post(`/incidents/${made.id}/actions`, { action: 'dispatch', assignee: worker.id, version: fresh.version });
  }
  const workerToken = await addUser(['--id', `phone-${worker.id}`, '--role', 'worker', '--worker', worker.id]);
  const me = await call('GET', '/users/me', { token: workerToken });
  const mine = await call('GET', '/users/me/incidents', { token: workerToken });
  const expected = mine.status === 200 ? mine.data.features : [];
  const expectedIds = expected.map((f) => f.id).sort((a, b) => a - b);
  const dispatchedIds = expected.filter((f) => f.properties.status === 'dispatched').map((f) => f.id);
  check(
    `GET /users/me/incidents as ${worker.id}: the open incidents they hold, three of them dispatched or more`,
    me.data?.worker_id === worker.id && mine.status === 200 && mine.data.type === 'FeatureCollection' && dispatchedIds.length >= 3 &&
      expected.every((f) => f.properties.assignee === worker.id && OPEN_STATES.includes(f.properties.status)),
    mine.status === 200 ? `${expectedIds.length} incidents (${dispatchedIds.length} dispatched): ${expectedIds.join(',')}` : `${mine.status} ${JSON.stringify(mine.data).slice(0, 200)}`,
  );

  // ---- the browser
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-quic', '--disable-background-networking'],
  });
  cleanup.push(() => browser.close());
  const problems = [];
  const shot = (page, name) => page.screenshot({ path: path.join(outDir, `browser_phone-${name}.png`) });

  // ---- the worker's page
  if (mine.status === 200) {
    const context = await browser.newContext(PHONE);
    await context.clock.setFixedTime(DEMO_NOW);
    await context.grantPermissions(['geolocation'], { origin: base });
    const page = await openPage(context, 'worker', problems);
    check('worker page: signed out, it asks for the token', await page.isVisible('#token-input'));
    await page.fill('#token-input', workerToken);
    await page.tap('#signin-button');
    await page.waitForFunction(() => window.onemapPhone.tasks && window.onemapPhone.map, null, { timeout: 30_000 });
    await settle(page);
    const listed = await page.evaluate(() =>
      [...document.querySelectorAll('#task-list li.task')].map((li) => ({
        id: Number(li.dataset.id),
        category: li.querySelector('.category').textContent,
        overdue: !!li.querySelector('.overdue-badge'),
        deadline: li.querySelector('.deadline').textContent,
      })),
    );
    const who = await page.textContent('#me');
    const overdueOf = (p) => p.overdue === true || (!!p.deadline && new Date(p.deadline) < DEMO_NOW);
    const listProblems = expected.flatMap((f) => {
      const li = listed.find((x) => x.id === f.id);
      if (!li) return [`${f.id} missing`];
      const bad = [];
      if (li.category !== (category.get(f.properties.category)?.zh ?? f.properties.category)) bad.push(`${f.id} category ${li.category}`);
      if (li.overdue !== overdueOf(f.properties)) bad.push(`${f.id} overdue ${li.overdue}`);
      return bad;
    });
    check(
      'worker page: the list shows exactly the incidents GET /users/me/incidents gives, with their categories and overdue badges',
      who.includes(worker.id) && JSON.stringify(listed.map((x) => x.id).sort((a, b) => a - b)) === JSON.stringify(expectedIds) && listProblems.length === 0,
      `${listed.length} listed, ${expectedIds.length} from the API; ${listed.filter((x) => x.overdue).length} overdue${listProblems.length ? `; ${listProblems.join(', ')}` : ''}`,
    );
    const drawn = await page.evaluate(() => [...new Set(window.onemapPhone.map.queryRenderedFeatures({ layers: ['tasks'] }).map((f) => f.id))].sort((a, b) => a - b));
    check('worker page: the map draws each of them', JSON.stringify(drawn) === JSON.stringify(expectedIds), `${drawn.length} drawn: ${drawn.join(',')}`);
    await shot(page, 'worker-tasks');

    // Accept, start, resolve with a note and an "after" photo.
    const [taskA, taskB] = dispatchedIds;
    const openTask = async (id) => {
      await page.tap(`#task-list li[data-id="${id}"]`);
      await page.waitForSelector(`#detail[data-id="${id}"]:not([hidden])`);
      await settle(page);
    };
    const tapStep = async (action) => {
      await page.waitForSelector(`#detail-actions button[data-action="${action}"]`, { timeout: 15_000 });
      const before = await queuedSoFar(page);
      await page.tap(`#detail-actions button[data-action="${action}"]`);
      return before;
    };
    const step = async (action) => {
      await drained(page, await tapStep(action));
      await settle(page);
    };
    await openTask(taskA);
    await step('accept');
    const afterAccept = await api(`/incidents/${taskA}`);
    check(`worker page: 接收 on ${taskA}: the API says accepted, by the worker`, afterAccept.status === 'accepted' && afterAccept.history.some((h) => h.action === 'accept'), afterAccept.status);
    await step('start');
    const afterStart = await api(`/incidents/${taskA}`);
    check(`worker page: 开始处置: the API says in_progress`, afterStart.status === 'in_progress', afterStart.status);
    const NOTE = '已清理完毕，现场已恢复（浏览器测试）';
    const afterPhoto = { name: 'after.png', mimeType: 'image/png', buffer: png(64, 48, 40) };
    await page.fill('#action-note', NOTE);
    await page.setInputFiles('#after-photo', afterPhoto);
    await step('resolve');
    const resolved = await api(`/incidents/${taskA}`);
    const afterMedia = resolved.media.filter((m) => m.kind === 'after');
    check(
      'worker page: 办结 with a note and a photo: resolved, the note in the history, the photo an "after" one of its size',
      resolved.status === 'resolved' && resolved.history.some((h) => h.action === 'resolve' && h.note === NOTE) && afterMedia.length === 1 && afterMedia[0].width === 64 && afterMedia[0].height === 48,
      `${resolved.status}; history ${resolved.history.map((h) => h.action).join(',')}; media ${JSON.stringify(resolved.media.map((m) => [m.kind, m.width, m.height]))}`,
    );
    await shot(page, 'worker-resolved');
    await page.tap('#detail-back');

    // Offline: accepted on the phone, sent when the network is back, applied once.
    await openTask(taskB);
    await context.setOffline(true);
    const beforeB = await tapStep('accept');
    await page.waitForFunction(() => document.querySelector('#outbox li.queued')?.dataset.state === 'retry', null, { timeout: 15_000 });
    const queued = await queueShown(page);
    const stillDispatched = (await api(`/incidents/${taskB}`)).status;
    check(
      `worker page offline: 接收 on ${taskB} is queued (待发送 1, waiting to retry); the API still says dispatched`,
      queued.badge === '1' && !queued.hidden && queued.items.length === 1 && queued.items[0].type === 'action' && stillDispatched === 'dispatched',
      `${JSON.stringify(queued)}; API ${stillDispatched}`,
    );
    await shot(page, 'worker-offline');
    const backOnline = Date.now();
    await context.setOffline(false);
    await drained(page, beforeB);
    const acceptedB = await api(`/incidents/${taskB}`);
    const accepts = acceptedB.history.filter((h) => h.action === 'accept').length;
    check(
      'worker page back online: the queue drains, the API says accepted, with one accept in its history',
      acceptedB.status === 'accepted' && accepts === 1 && (await queueShown(page)).hidden,
      `${acceptedB.status}, ${accepts} accept(s), after ${((Date.now() - backOnline) / 1000).toFixed(1)} s`,
    );
    await page.tap('#detail-back');

    // Offline again, a third task accepted while the centre escalates it: the accept, now stale,
    // is refused (409), the incident is not in the state it leads to, so it is dropped and said.
    const taskC = dispatchedIds[2];
    await openTask(taskC);
    await context.setOffline(true);
    const beforeC = await tapStep('accept');
    await page.waitForFunction(() => document.querySelector('#outbox li.queued')?.dataset.state === 'retry', null, { timeout: 15_000 });
    const escalated = await post(`/incidents/${taskC}/actions`, { action: 'escalate', note: '浏览器测试：上报上级' });
    await context.setOffline(false);
    await drained(page, beforeC);
    const afterC = await api(`/incidents/${taskC}`);
    const said = await page.evaluate(() => ({ detail: document.getElementById('detail-message').textContent, notices: [...document.querySelectorAll('#outbox li.notice')].map((li) => li.textContent) }));
    check(
      `worker page: an accept queued offline on ${taskC}, escalated meanwhile, is refused and dropped with the reason shown`,
      afterC.status === escalated.status && afterC.status !== 'accepted' && !afterC.history.some((h) => h.action === 'accept') &&
        said.notices.length === 1 && said.detail.includes('未能发送') && (await queueShown(page)).hidden,
      `API ${afterC.status}; page: ${said.detail}`,
    );
    await page.evaluate(() => document.querySelector('#outbox li.notice button')?.click());
    await page.tap('#detail-back');

    // A report at the phone's position, given in GCJ-02; made offline, its first answer lost.
    await page.tap('nav.tabs button[data-tab="settings"]');
    await page.check('input[name="crs"][value="GCJ02"]');
    const gcj = toGcj02(inside);
    await context.setGeolocation({ longitude: gcj[0], latitude: gcj[1], accuracy: 5 });
    await page.tap('nav.tabs button[data-tab="report"]');
    const reportCategory = gridCategories[0];
    await page.selectOption('#report-category', reportCategory.code);
    await page.fill('#report-description', '浏览器测试：网格员定位上报');
    await page.tap('#locate');
    await page.waitForFunction(() => /GCJ-02/.test(document.getElementById('position').textContent), null, { timeout: 15_000 });
    await page.setInputFiles('#report-photo', { name: 'report.png', mimeType: 'image/png', buffer: png(40, 30, 200) });
    const attempts = []; // the client id of each try that reached the network
    let offline = true;
    await page.route(
      (u) => u.pathname === '/incidents',
      async (route) => {
        if (offline) return route.abort('internetdisconnected');
        attempts.push(route.request().postDataJSON().id);
        if (attempts.length === 1) {
          // The server stores it; its answer never reaches the phone.
          await route.fetch();
          return route.abort('connectionreset');
        }
        return route.continue();
      },
    );
    await context.setOffline(true);
    const beforeReport = await queuedSoFar(page);
    await page.tap('#report-submit');
    await page.waitForFunction(() => document.querySelector('#outbox li.queued')?.dataset.state === 'retry', null, { timeout: 15_000 });
    const queuedReport = await queueShown(page);
    offline = false;
    await context.setOffline(false);
    await drained(page, beforeReport);
    await settle(page);
    await page.unroute((u) => u.pathname === '/incidents');
    const clientId = attempts[0];
    const stored = await items('incidents', { filter: `inc_id = '${clientId}'`, properties: 'inc_id,grid_code,source', limit: 10 });
    const incident = stored.features[0] && (await api(`/incidents/${stored.features[0].id}`));
    check(
      'worker page: the report made offline and answered once too late is stored once, with its photo once',
      queuedReport.badge === '2' && queuedReport.items.map((i) => i.type).join(',') === 'report,media' && attempts.length === 2 && attempts.every((x) => x === clientId) &&
        /^app-/.test(clientId ?? '') && stored.numberMatched === 1 && incident.source === 'grid_worker' && incident.media.filter((m) => m.kind === 'report').length === 1,
      `queued offline: ${queuedReport.items.map((i) => i.type).join(',')}; ${attempts.length} tries online, id ${clientId}: ${stored.numberMatched} stored; photos ${JSON.stringify(incident?.media.map((m) => [m.kind, m.width, m.height]))}`,
    );
    if (incident) {
      const off = metres([incident.lon, incident.lat], inside);
      const candidates = (await items('grids', { filter: "level = 'grid'", bbox: [inside[0] - 0.01, inside[1] - 0.01, inside[0] + 0.01, inside[1] + 0.01].join(','), limit: 1000 })).features;
      const holding = candidates.filter((g) => inGeometry(g.geometry, inside)).map((g) => g.properties.code);
      check(
        'worker page: the GCJ-02 position is stored at the WGS84 point, in the grid that contains it',
        off < 1 && holding.length === 1 && incident.grid_code === holding[0] && holding[0] === worker.team_grid,
        `${off.toFixed(3)} m off; grid ${incident.grid_code}, point-in-polygon ${holding.join(',')} of ${candidates.length} grids`,
      );
    }
    await shot(page, 'worker-report');
    await context.close();
    console.log(`worker page checked at ${seconds()} s`);
  }

  // ---- residents
  const household = await (async () => {
    const hs = (await items('households', { properties: 'address,grid_code', limit: 50 })).features;
    for (const h of hs) {
      const g = await api(`/geocode?${q({ q: `德清县${h.properties.address}` })}`);
      const c = g.candidates ?? [];
      if (c.length === 1 && c[0].level === 'house' && c[0].confidence >= 0.75) return { ...h, address: `德清县${h.properties.address}` };
    }
    return null;
  })();
  check('from the API: a household address the geocoder places as a house', household, household?.address);
  const codeSent = (to, after) => sms.messages.slice(after).find((m) => m.to === to && /\b\d{6}\b/.test(m.text ?? ''));

  async function residentSignIn(context, number, { wrongFirst = false } = {}) {
    const page = await openPage(context, 'resident', problems);
    await page.fill('#phone', number);
    const mark = sms.messages.length;
    await page.tap('#send-code');
    const text = await waitFor(() => codeSent(number, mark), 15_000);
    const code = text && /\b(\d{6})\b/.exec(text.text)[1];
    const shown = await page.textContent('#signin-message');
    let refused = null;
    if (wrongFirst && code) {
      await page.fill('#code', String((Number(code) + 1) % 1_000_000).padStart(6, '0'));
      await page.tap('#verify');
      await page.waitForFunction(() => document.getElementById('signin-message').classList.contains('error'), null, { timeout: 10_000 });
      refused = { message: await page.textContent('#signin-message'), signedIn: await page.isVisible('#main') };
      await shot(page, 'resident-wrong-code');
    }
    if (code) {
      await page.fill('#code', code);
      await page.tap('#verify');
      await page.waitForSelector('#main:not([hidden])', { timeout: 10_000 }).catch(() => {});
    }
    const token = await page.evaluate(() => localStorage.getItem('onemap.resident.token'));
    return { page, text, code, shown, refused, token };
  }

  const residentA = await browser.newContext(PHONE);
  await residentA.clock.setFixedTime(DEMO_NOW);
  const a = await residentSignIn(residentA, RESIDENT_PHONES[0], { wrongFirst: true });
  check(
    'resident page: a code asked for a phone reaches the SMS gateway, signed, holding 6 digits; the page names the phone masked',
    a.text?.signed && a.code && a.shown.includes(masked(RESIDENT_PHONES[0])),
    a.text ? `${a.text.to}: ${a.text.text}; page: ${a.shown}` : `no text; ${sms.messages.length} messages`,
  );
  check('resident page: a wrong code is refused, with the server\'s message', a.refused && !a.refused.signedIn && a.refused.message.length > 0, a.refused?.message);
  const whoA = await a.page.textContent('#who').catch(() => '');
  check('resident page: the right code signs in (the token kept on the phone)', a.token && whoA.includes(masked(RESIDENT_PHONES[0])), whoA);
  if (!a.token || !household) return;

  // A report at the household's address, with a photo.
  const page = a.page;
  const residentCategory = [...category.values()].find((c) => c.public && c.handler === 'grid');
  const offered = await page.evaluate(() => [...document.querySelectorAll('#report-category option')].map((o) => o.value).filter(Boolean));
  const notPublic = [...category.values()].filter((c) => !c.public).map((c) => c.code);
  check(
    'resident page: every public category offered, none shown as counts only',
    offered.length === [...category.values()].filter((c) => c.public).length && notPublic.every((c) => !offered.includes(c)) && notPublic.length > 0,
    `${offered.length} offered; counts only: ${notPublic.join(',')}`,
  );
  const DESCRIPTION = '浏览器测试：楼道口堆放垃圾多日无人清理';
  await page.selectOption('#report-category', residentCategory.code);
  await page.fill('#report-description', DESCRIPTION);
  await page.check('input[name="where"][value="address"]');
  await page.fill('#address', household.address);
  await page.setInputFiles('#report-photo', { name: 'photo.png', mimeType: 'image/png', buffer: png(80, 60, 120) });
  const smsMark = sms.messages.length;
  const beforeReport = await queuedSoFar(page);
  await page.tap('#report-submit');
  await drained(page, beforeReport, 30_000);
  await settle(page);
  const reportsA = (await call('GET', '/users/me/reports', { token: a.token })).data;
  const report = reportsA?.reports?.find((r) => r.description === DESCRIPTION);
  const shownA = await page.evaluate(() => [...document.querySelectorAll('#report-list li.report')].map((li) => ({ kind: li.dataset.kind, id: Number(li.dataset.id), status: li.querySelector('.status').textContent })));
  const listedReport = report && shownA.find((x) => x.kind === report.kind && x.id === report.id);
  check(
    'resident page: the report is in 我的反映 with its state, as GET /users/me/reports has it',
    report?.kind === 'incident' && listedReport?.status === RESIDENT_STATUS[report.status] && shownA.length === reportsA.reports.length,
    report ? `${report.kind} ${report.id}: ${report.status}, shown ${listedReport?.status}; ${shownA.length} listed` : JSON.stringify(reportsA).slice(0, 300),
  );
  await shot(page, 'resident-reports');
  if (report?.kind !== 'incident') return;
  const caseOf = await api(`/incidents/${report.id}`);
  check(
    'resident page: the case placed at the address (the geocoder\'s house) with the photo',
    metres([caseOf.lon, caseOf.lat], household.geometry.coordinates) < 1 && caseOf.media.filter((m) => m.kind === 'report').length === 1 && caseOf.source === 'resident_app',
    `${metres([caseOf.lon, caseOf.lat], household.geometry.coordinates).toFixed(2)} m from the household; media ${JSON.stringify(caseOf.media.map((m) => [m.kind, m.width, m.height]))}`,
  );
  const received = await waitFor(() => sms.messages.slice(smsMark).find((m) => m.to === RESIDENT_PHONES[0] && m.case === `incident:${report.id}`), 15_000);
  check('SMS gateway: the "received" text for the case to the resident\'s phone', received?.signed && received.text.length > 0, received ? received.text : `${sms.messages.length - smsMark} new messages`);

  // An address the gazetteer cannot place: the report waits in the centre's queue as a ticket,
  // and its photo, which needs an incident, is left with a notice.
  const VAGUE = '浏览器测试：地址不明的反映';
  await page.tap('nav.tabs button[data-tab="report"]');
  await page.selectOption('#report-category', residentCategory.code);
  await page.fill('#report-description', VAGUE);
  await page.check('input[name="where"][value="address"]');
  await page.fill('#address', '德清县无名路999号');
  await page.setInputFiles('#report-photo', { name: 'photo2.png', mimeType: 'image/png', buffer: png(32, 32, 60) });
  const beforeTicket = await queuedSoFar(page);
  await page.tap('#report-submit');
  await drained(page, beforeTicket, 30_000);
  await settle(page);
  const ticket = (await call('GET', '/users/me/reports', { token: a.token })).data?.reports?.find((r) => r.description === VAGUE);
  const ticketShown = ticket && (await page.evaluate((id) => document.querySelector(`#report-list li[data-kind="ticket"][data-id="${id}"] .status`)?.textContent, ticket.id));
  const notices = await page.evaluate(() => [...document.querySelectorAll('#outbox li.notice')].map((li) => li.textContent));
  check(
    'resident page: a report at an address no one can place waits as a ticket (待受理), its photo left with a notice',
    ticket?.kind === 'ticket' && ticket.state === 'pending' && ticketShown === '待受理' && notices.length === 1 && /受理后/.test(notices[0]),
    ticket ? `ticket ${ticket.id} ${ticket.state}, shown ${ticketShown}; notices: ${notices.join(' | ')}` : 'no such report',
  );
  await shot(page, 'resident-ticket');

  // Closed through the API: the administrator accepts and resolves, a command-centre user (who
  // handled nothing of it) verifies and closes.
  const centreToken = await addUser(['--id', 'phone-test-centre', '--role', 'centre']);
  let inc = caseOf;
  const act = async (action, token, note) => {
    inc = await post(`/incidents/${report.id}/actions`, { action, version: inc.version, ...(note ? { note } : {}) }, token);
  };
  const closeMark = sms.messages.length;
  try {
    if (inc.status !== 'dispatched') await act('dispatch', ADMIN_TOKEN);
    await act('accept', ADMIN_TOKEN);
    await act('resolve', ADMIN_TOKEN, '已清运');
    await act('verify', centreToken);
    await act('close', centreToken);
  } catch (e) {
    console.log(`closing the case: ${e.message}`);
  }
  await page.tap('#reports-refresh');
  await settle(page);
  const closedShown = await page.evaluate((id) => document.querySelector(`#report-list li[data-kind="incident"][data-id="${id}"] .status`)?.textContent, report.id);
  check(`resident page: after the case is closed (${inc.status}), 刷新 shows 已办结`, inc.status === 'closed' && closedShown === '已办结', closedShown);
  const closedText = await waitFor(() => sms.messages.slice(closeMark).find((m) => m.to === RESIDENT_PHONES[0] && m.case === `incident:${report.id}`), 15_000);
  check('SMS gateway: the "closed" text to the resident\'s phone', closedText?.signed && closedText.text !== received?.text, closedText?.text);
  await shot(page, 'resident-closed');

  // Another resident sees none of it.
  const residentB = await browser.newContext(PHONE);
  await residentB.clock.setFixedTime(DEMO_NOW);
  const b = await residentSignIn(residentB, RESIDENT_PHONES[1]);
  let shownB = [];
  if (b.token) {
    await b.page.tap('nav.tabs button[data-tab="mine"]');
    await settle(b.page);
    shownB = await b.page.evaluate(() => [...document.querySelectorAll('#report-list li.report')].map((li) => Number(li.dataset.id)));
  }
  const reportsB = b.token ? (await call('GET', '/users/me/reports', { token: b.token })).data : null;
  check(
    'a second resident signs in and sees none of the first one\'s reports (page and API)',
    b.token && reportsB?.reports && !shownB.includes(report.id) && !reportsB.reports.some((r) => r.id === report.id && r.kind === 'incident'),
    `${shownB.length} shown, ${reportsB?.reports?.length} from the API`,
  );
  await shot(b.page, 'resident-second');
  const unsigned = sms.messages.filter((m) => !m.signed);
  check('every text the SMS gateway got was signed with its secret', sms.messages.length > 0 && unsigned.length === 0, `${sms.messages.length} texts`);
  check('no script error on the pages', problems.length === 0, problems.slice(0, 5).join('; '));
  await residentA.close();
  await residentB.close();
  console.log(`onemap log: ${onemapLog}`);
}

await runTest('browser_phone', main);
