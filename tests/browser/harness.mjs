// What the browser tests share: PASS/FAIL checks, running a command, and `onemap serve` on a
// free loopback port with its JSON log kept.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import readline from 'node:readline';

// Every check's outcome, in order; the test prints them as PASS or FAIL lines.
export const results = [];
export function check(name, ok, detail) {
  results.push(!!ok);
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}${detail ? ` (${detail})` : ''}`);
  return !!ok;
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
