// What the browser tests share: their command line and npm packages, PASS/FAIL checks, the run of
// a test in a temporary directory with its clean-up and the count at the end, running a command,
// and `onemap serve` on a free loopback port with its JSON log kept.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

// This folder, where scripts/setup installs the npm packages (package-lock.json).
export const here = path.dirname(fileURLToPath(import.meta.url));

// The test's arguments, ONEMAP_BINARY SOURCE_DIR: exits 2 with the usage of `script` when they are
// missing, and 1 when one of `packages` is not installed (rather than fail on an import).
export function testArguments(script, packages) {
  const [onemapBinary, sourceDir] = process.argv.slice(2);
  if (!onemapBinary || !sourceDir) {
    console.error(`usage: node ${script} ONEMAP_BINARY SOURCE_DIR`);
    process.exit(2);
  }
  const notInstalled = packages.filter((p) => !existsSync(path.join(here, 'node_modules', p, 'package.json')));
  if (notInstalled.length) {
    console.error(`FAIL  npm packages not installed in ${here}: ${notInstalled.join(', ')} (run scripts/setup)`);
    process.exit(1);
  }
  return { onemapBinary, sourceDir };
}

// Seconds since the test started, to a tenth.
const started = Date.now();
export const seconds = () => ((Date.now() - started) / 1000).toFixed(1);

// Every check's outcome, in order; the test prints them as PASS or FAIL lines.
export const results = [];
export function check(name, ok, detail) {
  results.push(!!ok);
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? ` (${detail})` : ''}`);
  return !!ok;
}

// What to undo when the test ends, last first (runTest): a test pushes a step for each server,
// browser or directory it starts.
export const cleanup = [];

// Runs the test `name` (browser_app, …): `main(work)` in a new temporary directory, an exception
// counting as a failed check; then the clean-up steps, the time taken and the count of checks, and
// the exit status 1 when one failed.
export async function runTest(name, main) {
  try {
    const work = await mkdtemp(path.join(os.tmpdir(), `onemap-${name.replace('_', '-')}-`));
    cleanup.push(() => rm(work, { recursive: true, force: true }));
    await main(work);
  } catch (e) {
    check(`${name.replace('_', ' ')} test`, false, e.stack ?? String(e));
  } finally {
    // A step may return a promise or not (a server's close()).
    for (const step of cleanup.reverse()) await Promise.resolve().then(step).catch(() => {});
  }
  const failed = results.filter((ok) => !ok).length;
  console.log(`${name}: ${seconds()} s`);
  console.log(`${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

// Clicks the feature `id` of the map layer `layer` through the web map's own click handler (it may
// sit under another layer's feature); false when no such feature is drawn.
export function clickFeature(page, layer, id) {
  return page.evaluate(
    ([layer, id]) => {
      const m = window.onemapApp.map;
      const f = m.queryRenderedFeatures({ layers: [layer] }).find((x) => x.id === id);
      if (!f) return false;
      const [lng, lat] = f.geometry.coordinates;
      m.fire('click', { point: m.project([lng, lat]), lngLat: { lng, lat }, originalEvent: {} });
      return true;
    },
    [layer, id],
  );
}

// Runs a command to its end; rejects with its output when it fails.
export function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${output}`)),
    );
  });
}

// The demo county for a test that writes to it, at `store`: a copy of ONEMAP_BROWSER_DATA when
// that names a store, else `onemap demo` with its incidents pinned to `endDate` (YYYY-MM-DD).
export async function demoStoreCopy(binary, sourceDir, store, endDate) {
  if (process.env.ONEMAP_BROWSER_DATA) return copyFile(process.env.ONEMAP_BROWSER_DATA, store);
  await run(binary, ['demo', '--out', store, '--data-dir', path.join(sourceDir, 'data'), '--end-date', endDate]);
  console.log(`demo store built in ${seconds()} s`);
}

// `onemap serve --port 0` on loopback with two threads (the browser asks for many tiles at once;
// the default is the cores less one), no overdue sweep (it escalates by the real clock: the data
// would change during a test, by the day it runs) and `extraArgs`. Its stderr is JSON lines: the lifecycle
// message that names the URL, then one line per request; all are kept in `entries` (the requests
// in `requests`) and written to `logFile` when it stops.
export async function startOnemap(binary, store, logFile, extraArgs = []) {
  const child = spawn(binary, ['serve', '--data', store, '--address', '127.0.0.1', '--port', '0', '--threads', '2', '--sweep-interval', '0', ...extraArgs], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const lines = [];
  const entries = [];
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('onemap serve did not listen within 60 s')), 60_000);
    child.on('exit', (code) => reject(new Error(`onemap serve exited ${code}:\n${lines.join('\n')}`)));
    readline.createInterface({ input: child.stderr }).on('line', (line) => {
      lines.push(line);
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        return;
      }
      entries.push(entry);
      const listening = /listening on (http:\/\/\S+)/.exec(entry.msg ?? '');
      if (listening) {
        clearTimeout(timer);
        resolve(listening[1]);
      }
    });
  });
  return {
    url,
    entries,
    get requests() {
      return entries.filter((e) => e.method);
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      await writeFile(logFile, lines.join('\n') + '\n');
    },
  };
}
