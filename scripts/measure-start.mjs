// How long `npm start` takes until SPIN is usable: the web UI answers, the runtime answers and
// the banner is printed. Prints one JSON line. Used for the README's "a few seconds" claim:
//   node scripts/measure-start.mjs [--runs 3] [--port 18080 --runtime-port 18888] [--home .spin]
// Starts `npm start` with the given ports and state folder (default: a new temporary one, whose
// first run also creates the database), then stops it with SIGINT as Ctrl+C would.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '1' },
    port: { type: 'string', default: '18080' },
    'runtime-port': { type: 'string', default: '18888' },
    home: { type: 'string' },
  },
});
const root = fileURLToPath(new URL('..', import.meta.url));

async function ok(url) {
  try {
    return (await fetch(url)).ok;
  } catch {
    return false;
  }
}

async function once(home) {
  const t0 = performance.now();
  const child = spawn(
    'npm',
    ['start', '--', '--port', values.port, '--runtime-port', values['runtime-port']],
    {
      cwd: root,
      env: { ...process.env, SPIN_HOME_DIR: resolve(home) },
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true, // its own process group, so SIGINT reaches it as Ctrl+C would
    },
  );
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = new Promise((r) => child.once('close', r));
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`npm start exited:\n${out}`);
      const ready =
        out.includes('press Ctrl+C to stop') &&
        (await ok(`http://127.0.0.1:${values.port}/`)) &&
        (await ok(`http://127.0.0.1:${values['runtime-port']}/healthz`));
      if (ready) return (performance.now() - t0) / 1000;
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    if (child.exitCode === null) process.kill(-child.pid, 'SIGINT');
    await exited;
  }
}

const home = values.home ?? mkdtempSync(join(tmpdir(), 'spin-measure-'));
try {
  const seconds = [];
  for (let i = 0; i < Number(values.runs); i++) seconds.push(Number((await once(home)).toFixed(2)));
  console.log(JSON.stringify({ npmStartUsableSeconds: seconds }));
} finally {
  if (!values.home) rmSync(home, { recursive: true, force: true });
}
