// `npm ci` when node_modules is missing or was installed from another package-lock.json.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run, say, since } from './progress.mjs';

const STAMP = join('node_modules', '.spin-install.json');

function lockHash(root) {
  return createHash('sha256')
    .update(readFileSync(join(root, 'package-lock.json')))
    .digest('hex');
}

function readStamp(root) {
  try {
    return JSON.parse(readFileSync(join(root, STAMP), 'utf8')).lockHash ?? null;
  } catch {
    return null;
  }
}

/**
 * node_modules someone installed without us (plain `npm ci`): trusted when npm's own record of
 * the tree is newer than the lockfile.
 */
function installedAfterLock(root) {
  const record = join(root, 'node_modules', '.package-lock.json');
  return (
    existsSync(record) &&
    statSync(record).mtimeMs >= statSync(join(root, 'package-lock.json')).mtimeMs
  );
}

/** Install the npm dependencies if needed; true when it ran `npm ci`. */
export async function ensureDependencies(root) {
  const hash = lockHash(root);
  const stamp = readStamp(root);
  if (stamp === hash || (stamp === null && installedAfterLock(root))) {
    if (stamp === null) writeFileSync(join(root, STAMP), JSON.stringify({ lockHash: hash }));
    return false;
  }
  const t0 = performance.now();
  say(
    existsSync(join(root, 'node_modules'))
      ? 'package-lock.json changed: reinstalling npm dependencies (npm ci)…'
      : 'installing npm dependencies (npm ci, about a minute the first time)…',
  );
  await run('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root });
  mkdirSync(join(root, 'node_modules'), { recursive: true });
  writeFileSync(join(root, STAMP), JSON.stringify({ lockHash: hash }));
  say(`npm dependencies installed in ${since(t0)}`);
  return true;
}
