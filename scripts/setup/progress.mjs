// Progress lines and child processes for `npm start` / `npm test` (scripts/start.mjs, test.mjs).
// Node built-ins only: these run before node_modules exist.
import { spawn } from 'node:child_process';

/** Print one progress line, prefixed so it stands out from the tools' own output. */
export function say(text) {
  process.stdout.write(`spin: ${text}\n`);
}

/** Seconds since `t0` (a `performance.now()` value), for "done in 1.2 s". */
export function since(t0) {
  return `${((performance.now() - t0) / 1000).toFixed(1)} s`;
}

/**
 * Run a command with the terminal attached (its output is the progress), rejecting with an
 * error that names it when it fails.
 */
export function run(command, args, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: 'inherit', ...options });
    child.once('error', (err) => reject(new Error(`could not run ${command}: ${err.message}`)));
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(new Error(`${[command, ...args].join(' ')} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

/** Like {@link run}, but hands each line of stdout to `onLine` (stderr stays on the terminal). */
export function runLines(command, args, onLine, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['inherit', 'pipe', 'inherit'], ...options });
    let rest = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
    child.once('error', (err) => reject(new Error(`could not run ${command}: ${err.message}`)));
    child.once('close', (code, signal) => {
      if (rest) onLine(rest);
      if (code === 0) resolve();
      else
        reject(new Error(`${[command, ...args].join(' ')} failed (${signal ?? `exit ${code}`})`));
    });
  });
}

/** Stop with a one-line reason when Node is older than the README's requirement. */
export function requireNode(min = [20, 19]) {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < min[0] || (major === min[0] && minor < min[1])) {
    process.stderr.write(
      `spin: Node.js ${min.join('.')} or newer is needed, this is ${process.versions.node}\n`,
    );
    process.exit(1);
  }
}
