// Builds the web map into web/dist/ for `onemap serve` (api/web_app.hpp):
//   dist/index.html                    the page (revalidated by ETag)
//   dist/assets/app-HASH.js, .css      the bundle of src/ with MapLibre GL (cached for a year)
//   dist/assets/maplibre-gl-worker-HASH.mjs   MapLibre's worker, loaded by the bundle
//   dist/worker.html, dist/resident.html   the phone pages (src/phone/): the grid worker's and the
//                                      resident's, served at /app/worker.html and /app/resident.html
//   dist/assets/worker-HASH.js, resident-HASH.js, chunk-HASH.js, worker-style-HASH.css,
//                                      resident-style-HASH.css   their bundles; MapLibre is a
//                                      chunk of its own, loaded by the worker's map
// Incident categories come from data/categories.csv at build time. Usage: node build.mjs
// (npm run build); needs `npm ci` first (scripts/setup does both).
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');
const assets = path.join(dist, 'assets');
const hash = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 12);

await rm(dist, { recursive: true, force: true });
await mkdir(assets, { recursive: true });

const worker = await readFile(path.join(here, 'node_modules', 'maplibre-gl', 'dist', 'maplibre-gl-worker.mjs'));
const workerName = `maplibre-gl-worker-${hash(worker)}.mjs`;
await writeFile(path.join(assets, workerName), worker);

// What both builds share: bundled, minified ES modules with content-hashed names.
const common = {
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox115', 'safari16'],
  minify: true,
  legalComments: 'linked',
  outdir: assets,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  define: { __WORKER_URL__: JSON.stringify(`/app/assets/${workerName}`) },
  metafile: true,
  logLevel: 'warning',
};
// The URL of the output of `entry` (a source path's end) with the extension `ext`.
const assetUrl = (outputs, entry, ext) => {
  const found = outputs.find(([file, o]) => file.endsWith(ext) && o.entryPoint?.endsWith(entry));
  if (!found) throw new Error(`no output for ${entry}`);
  return `/app/assets/${path.basename(found[0])}`;
};

const result = await esbuild.build({
  ...common,
  entryPoints: { app: path.join(here, 'src', 'main.js'), style: path.join(here, 'src', 'app.css') },
  loader: { '.csv': 'text', '.svg': 'dataurl', '.png': 'dataurl' },
});

const outputs = Object.entries(result.metafile.outputs);
const js = assetUrl(outputs, 'src/main.js', '.js');
const css = outputs.find(([file]) => file.endsWith('.css'));
const html = (await readFile(path.join(here, 'src', 'index.html'), 'utf8'))
  .replace('{{js}}', js)
  .replace('{{css}}', `/app/assets/${path.basename(css[0])}`);
await writeFile(path.join(dist, 'index.html'), html);

// The phone pages: built apart from the desktop app (which stays one file), with the code they
// share and MapLibre in chunks, so that the resident's page never loads the map and the worker's
// list shows before it.
const phoneDir = path.join(here, 'src', 'phone');
const phone = await esbuild.build({
  ...common,
  entryPoints: {
    worker: path.join(phoneDir, 'worker.js'),
    resident: path.join(phoneDir, 'resident.js'),
    'worker-style': path.join(phoneDir, 'worker.css'),
    'resident-style': path.join(phoneDir, 'phone.css'),
  },
  splitting: true,
  chunkNames: 'chunk-[hash]',
  loader: { '.csv': 'text' },
});
const phoneOutputs = Object.entries(phone.metafile.outputs);
for (const [page, css] of [['worker', 'worker.css'], ['resident', 'phone.css']]) {
  const template = await readFile(path.join(phoneDir, `${page}.html`), 'utf8');
  await writeFile(
    path.join(dist, `${page}.html`),
    template.replace('{{js}}', assetUrl(phoneOutputs, `src/phone/${page}.js`, '.js')).replace('{{css}}', assetUrl(phoneOutputs, `src/phone/${css}`, '.css')),
  );
}

const sizes = [...outputs, ...phoneOutputs].map(([file, o]) => `${path.relative(here, file)} ${(o.bytes / 1024).toFixed(0)} KiB`);
console.log(`web: built ${path.relative(process.cwd(), dist) || dist}: index.html, worker.html, resident.html, ${workerName}, ${sizes.join(', ')}`);
