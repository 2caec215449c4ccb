// `npm start`: everything a fresh clone needs, then `spin start`. Each step says what it does
// and is skipped when already done, so a second start with no change is up in seconds:
//   1. npm ci when node_modules is missing or package-lock.json changed
//   2. a build of the packages whose sources changed (content stamps, scripts/setup/build.mjs)
//   3. a Python kernel: found, or installed from Debian when running as root with apt
//   4. the server, the web UI and a paired local runtime (packages/cli `spin start`)
// Arguments go to `spin start`: npm start -- --port 9090 --runtime-port 9999
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ensureBuilt } from './setup/build.mjs';
import { ensureDependencies } from './setup/dependencies.mjs';
import { ensurePythonKernel } from './setup/kernels.mjs';
import { requireNode, say } from './setup/progress.mjs';

requireNode();
const root = fileURLToPath(new URL('..', import.meta.url));
try {
  await ensureDependencies(root);
  await ensureBuilt(root);
  await ensurePythonKernel(root);
} catch (err) {
  process.stderr.write(`spin: ${err.message}\n`);
  process.exit(1);
}
say('starting the server, the web UI and the local runtime…');
const { runMain } = await import(pathToFileURL(join(root, 'packages/cli/dist/main.js')).href);
runMain(['start', ...process.argv.slice(2)]);
