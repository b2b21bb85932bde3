// Browser tests of onemap's vector tiles (ctest: browser_maps): the demo county drawn by MapLibre
// GL (Web Mercator tiles) and by OpenLayers (CGCS2000 tiles) in Debian's headless Chromium.
//
// Usage: node run.mjs ONEMAP_BINARY SOURCE_DIR
// Environment: ONEMAP_BROWSER_DATA  an existing demo store to serve (default: build one, ~10 s)
//              ONEMAP_BROWSER_OUT   where screenshots and onemap's log go (default: the cwd)
//              CHROMIUM             the browser (default /usr/bin/chromium)
//
// It builds the demo store in a temporary directory, starts `onemap serve` on a free loopback
// port, serves the pages and node_modules on another (the OpenLayers page bundled in memory by
// esbuild), opens each page centred on the county, waits until the map is idle and checks what
// was rendered: features of every layer, where they lie, clusters, the tile answers seen by the
// page and by onemap's request log, and the canvas pixels of each layer's colour. Each check
// prints PASS or FAIL; the last line counts them and the exit status is 1 if any failed.
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import path from 'node:path';
import { check, cleanup, here, run, runTest, seconds, startOnemap as startServer, testArguments } from './harness.mjs';
import { COLOURS, GRID_LAYERS, POINT_LAYERS } from './pages/palette.js';

const { onemapBinary, sourceDir } = testArguments('run.mjs', ['esbuild', 'playwright-core', 'maplibre-gl', 'ol']);
const esbuild = await import('esbuild');
const { chromium } = await import('playwright-core');

const outDir = path.resolve(process.env.ONEMAP_BROWSER_OUT ?? process.cwd());
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

// Both maps show the whole county (0.58 x 0.27 degrees) at about 0.00034 degrees a pixel:
// MapLibre's zoom 11 (512-pixel tiles of zoom 11) and OpenLayers at CGCS2000 zoom 12 (256-pixel
// tiles of 360/4096 degrees). grids.grid (minzoom 11) is drawn in both. Point layers are
// clustered at zooms up to their cluster_maxzoom (onemap's defaults: households 15, enterprises
// 11, incidents 12), so enterprises are clusters in the Web Mercator map and single points in the
// CGCS2000 one.
const VIEWPORT = { width: 1800, height: 1000 };
const MAPLIBRE_ZOOM = 11;
const MAPLIBRE_CLUSTERED = ['households', 'enterprises', 'incidents'];
const OPENLAYERS_ZOOM = 12;
const OPENLAYERS_CLUSTERED = ['households', 'incidents'];
// Rendered geometry may pass the county's bounds by the tile quantisation only (1/4096 of a
// zoom-11 tile is 0.00004 degrees); a tile placed one row or column off moves it 0.09 degrees.
const BOUNDS_TOLERANCE = 0.002;
const LAYERS = [...GRID_LAYERS, ...POINT_LAYERS.map((l) => l.name)];

// ---- Checks -------------------------------------------------------------------------------------

// ---- Processes and servers ----------------------------------------------------------------------

// `onemap serve` of the store (its requests are checked against what the pages asked for).
const startOnemap = (store, logFile) => startServer(onemapBinary, store, logFile);

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
  '.json': 'application/json',
};

// The pages (tests/browser/pages), node_modules below /node_modules/, and the OpenLayers bundle.
async function startStaticServer(bundle) {
  const roots = { '/node_modules/': path.join(here, 'node_modules'), '/': path.join(here, 'pages') };
  const server = createServer(async (req, res) => {
    const { pathname } = new URL(req.url, 'http://localhost');
    if (pathname === '/openlayers.bundle.js') {
      res.writeHead(200, { 'Content-Type': CONTENT_TYPES['.js'] });
      res.end(bundle);
      return;
    }
    const prefix = Object.keys(roots).find((p) => pathname.startsWith(p));
    const file = path.join(roots[prefix], decodeURIComponent(pathname.slice(prefix.length)));
    if (!file.startsWith(roots[prefix] + path.sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { 'Content-Type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => server.close() };
}

async function bundleOpenLayersPage() {
  const result = await esbuild.build({
    entryPoints: [path.join(here, 'pages', 'openlayers.js')],
    bundle: true,
    format: 'esm',
    write: false,
    outdir: 'out',
    logLevel: 'silent',
  });
  await esbuild.stop();
  return result.outputFiles[0].contents;
}

// ---- One page -----------------------------------------------------------------------------------

// Opens the page, waits until its map reports idle (or an error), saves a screenshot and returns
// the page's summary with every request and tile answer the page saw.
async function renderPage(browser, pageUrl, screenshot) {
  const context = await browser.newContext({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  const page = await context.newPage();
  const requests = [];
  const tileAnswers = [];
  const consoleErrors = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('response', (r) => {
    if (/\/tiles\/.*\.mvt$/.test(new URL(r.url()).pathname)) tileAnswers.push({ url: r.url(), status: r.status() });
    if (r.status() >= 400) consoleErrors.push(`HTTP ${r.status()} ${r.url()}`);
  });
  page.on('requestfailed', (r) => consoleErrors.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('pageerror', (e) => consoleErrors.push(`page error: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && consoleErrors.push(`console: ${m.text()} ${m.location().url}`));

  await page.goto(pageUrl);
  // A map that never settles is reported by the checks (state 'loading'), with what it logged.
  await page
    .waitForFunction(() => window.onemapTest && window.onemapTest.state !== 'loading', null, { timeout: 45_000 })
    .catch(() => {});
  const test = await page.evaluate(() => ({
    state: window.onemapTest?.state ?? 'not started',
    errors: window.onemapTest?.errors ?? [],
    tiles: window.onemapTest?.tiles,
    summary: window.onemapTest?.state === 'idle' ? window.onemapTest.summary() : null,
  }));
  await page.screenshot({ path: screenshot });
  await context.close();
  return { ...test, requests, tileAnswers, consoleErrors };
}

// ---- Checks shared by both pages ----------------------------------------------------------------

function checkPage(name, result, { bounds, onemap, tilePath, tileLabel, clustered }) {
  const errors = [...result.errors, ...result.consoleErrors];
  check(
    `${name}: map idle without errors`,
    result.state === 'idle' && errors.length === 0,
    [`state ${result.state}`, ...errors.slice(0, 3), ...(errors.length > 3 ? [`${errors.length - 3} more errors`] : [])].join('; '),
  );
  if (!result.summary) return;
  const { layers, pixels } = result.summary;

  for (const id of LAYERS) {
    const l = layers[id];
    check(`${name}: ${id} features rendered`, l.features > 0, `${l.features} features`);
  }
  for (const id of GRID_LAYERS) {
    const level = id.slice('grids.'.length);
    const l = layers[id];
    check(
      `${name}: ${id} holds level ${level} only`,
      l.levels.length === 1 && l.levels[0] === level,
      `levels ${JSON.stringify(l.levels)}`,
    );
  }
  for (const { name: id } of POINT_LAYERS) {
    const l = layers[id];
    const detail = `${l.clusters} of ${l.features} features are clusters, largest count ${l.maxCount}`;
    if (clustered.includes(id)) check(`${name}: ${id} clustered (count, cluster=true)`, l.clusters > 0 && l.maxCount > 1, detail);
    else check(`${name}: ${id} single points, not clusters`, l.features > 0 && l.clusters === 0, detail);
  }
  const [w, s, e, n] = bounds;
  const t = BOUNDS_TOLERANCE;
  const outside = LAYERS.filter((id) => {
    const [x0, y0, x1, y1] = layers[id].box;
    return !(x0 >= w - t && y0 >= s - t && x1 <= e + t && y1 <= n + t);
  });
  check(
    `${name}: every feature inside the county bounds`,
    outside.length === 0,
    outside.map((id) => `${id} box ${layers[id].box.map((v) => v.toFixed(4)).join(',')}`).join('; ') ||
      `bounds ${bounds.map((v) => v.toFixed(3)).join(',')}`,
  );

  // Every tile the page asked for is one of onemap's and was answered 200 or 204; some were 200;
  // every 200 the page got is a 200 in onemap's own request log.
  const tiles = result.tileAnswers;
  const ok = tiles.filter((a) => a.status === 200);
  const bad = tiles.filter((a) => !tilePath.test(new URL(a.url).pathname) || (a.status !== 200 && a.status !== 204));
  check(
    `${name}: tile answers 200/204 from ${tileLabel}`,
    tiles.length > 0 && ok.length > 0 && bad.length === 0,
    `${tiles.length} tiles, ${ok.length} with 200` + (bad.length ? `; unexpected: ${bad.slice(0, 3).map((a) => `${a.status} ${a.url}`).join(', ')}` : ''),
  );
  const logged = new Set(onemap.requests.filter((r) => r.status === 200).map((r) => r.path));
  const unlogged = ok.filter((a) => !logged.has(decodeURIComponent(new URL(a.url).pathname)));
  check(
    `${name}: onemap's request log has the page's tile answers`,
    ok.length > 0 && unlogged.length === 0,
    unlogged.length ? `missing ${unlogged.slice(0, 3).map((a) => a.url).join(', ')}` : `${ok.length} tiles logged with 200`,
  );
  const external = result.requests.filter((u) => !/^(http:\/\/127\.0\.0\.1:\d+\/|blob:|data:)/.test(u));
  check(`${name}: every request stays on loopback`, external.length === 0, external.slice(0, 3).join(', '));

  // Pixels: most of the view is painted (the county covers it), and every layer's own colour is
  // on the canvas, so each layer was drawn, not only loaded.
  const share = pixels.painted / pixels.total;
  check(`${name}: canvas painted`, share > 0.3, `${(100 * share).toFixed(1)}% of ${pixels.total} pixels`);
  const missing = Object.keys(COLOURS).filter((id) => pixels.layers[id] < 100);
  check(
    `${name}: each layer's colour on the canvas`,
    missing.length === 0,
    Object.entries(pixels.layers)
      .map(([id, n]) => `${id} ${n}`)
      .join(', '),
  );
}

// ---- Main ---------------------------------------------------------------------------------------

async function main(work) {
  let store = process.env.ONEMAP_BROWSER_DATA;
  if (!store) {
    store = path.join(work, 'demo.gpkg');
    await run(onemapBinary, ['demo', '--out', store, '--data-dir', path.join(sourceDir, 'data'), '--end-date', '2026-11-26']);
    console.log(`demo store built in ${seconds()} s`);
  }

  const onemapLog = path.join(outDir, 'browser_maps-onemap.log');
  const onemap = await startOnemap(store, onemapLog);
  cleanup.push(() => onemap.stop());
  const county = await (await fetch(`${onemap.url}/tiles/grids.json`)).json();
  const [lon, lat] = county.center;
  console.log(`onemap at ${onemap.url}, county bounds ${county.bounds.map((v) => v.toFixed(3)).join(',')}`);

  const site = await startStaticServer(await bundleOpenLayersPage());
  cleanup.push(() => site.close());

  const browser = await chromium.launch({
    executablePath: chromiumPath,
    // Root needs --no-sandbox; WebGL without a GPU runs on SwiftShader; nothing may go out.
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--disable-quic', '--disable-background-networking'],
  });
  cleanup.push(() => browser.close());
  console.log(`Chromium ${browser.version()} started at ${seconds()} s`);

  const query = (zoom) => `?tiles=${encodeURIComponent(onemap.url)}&lon=${lon}&lat=${lat}&zoom=${zoom}`;
  const screenshots = {
    maplibre: path.join(outDir, 'browser_maps-maplibre.png'),
    openlayers: path.join(outDir, 'browser_maps-openlayers.png'),
  };

  const maplibre = await renderPage(browser, `${site.url}/maplibre.html${query(MAPLIBRE_ZOOM)}`, screenshots.maplibre);
  console.log(`MapLibre page rendered at ${seconds()} s`);
  const openlayers = await renderPage(browser, `${site.url}/openlayers.html${query(OPENLAYERS_ZOOM)}`, screenshots.openlayers);
  console.log(`OpenLayers page rendered at ${seconds()} s`);
  // onemap writes its request lines in batches, at most about 50 ms behind.
  await new Promise((r) => setTimeout(r, 300));

  checkPage('maplibre', maplibre, {
    bounds: county.bounds,
    onemap,
    tilePath: /^\/tiles\/[^/]+\/\d+\/\d+\/\d+\.mvt$/,
    tileLabel: '/tiles/{layers}/{z}/{x}/{y}.mvt',
    clustered: MAPLIBRE_CLUSTERED,
  });
  checkPage('openlayers', openlayers, {
    bounds: county.bounds,
    onemap,
    tilePath: /^\/tiles\/cgcs2000\/[^/]+\/\d+\/\d+\/\d+\.mvt$/,
    tileLabel: '/tiles/cgcs2000/{layers}/{z}/{x}/{y}.mvt',
    clustered: OPENLAYERS_CLUSTERED,
  });

  // OpenLayers: its source loaded tiles without error, every one at the view's zoom (the tile
  // grid's resolutions give zoom z for Tianditu's zoom z) and in the matrix (x < 2^z, y < 2^(z-1)).
  const t = openlayers.tiles ?? { started: 0, loaded: 0, failed: 0 };
  check(
    'openlayers: vector tile source loaded its tiles without error',
    t.loaded > 0 && t.failed === 0 && t.started === t.loaded,
    `${t.started} started, ${t.loaded} loaded, ${t.failed} failed`,
  );
  const coords = openlayers.tileAnswers.map((a) => /(\d+)\/(\d+)\/(\d+)\.mvt$/.exec(a.url).slice(1).map(Number));
  const offGrid = coords.filter(([z, x, y]) => z !== OPENLAYERS_ZOOM || x >= 2 ** z || y >= 2 ** (z - 1));
  check(
    `openlayers: tiles asked at zoom ${OPENLAYERS_ZOOM} inside the CGCS2000 matrix`,
    coords.length > 0 && offGrid.length === 0,
    offGrid.length ? `off: ${offGrid.slice(0, 3).join(' ')}` : `${coords.length} tiles`,
  );

  console.log(`screenshots: ${screenshots.maplibre} ${screenshots.openlayers}`);
  console.log(`onemap log: ${onemapLog}`);
}

await runTest('browser_maps', main);
