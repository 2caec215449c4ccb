// `npm run build`: build every package now, stamping the inputs for `npm start`'s check.
import { fileURLToPath } from 'node:url';
import { ensureBuilt } from './setup/build.mjs';
import { requireNode } from './setup/progress.mjs';

requireNode();
const root = fileURLToPath(new URL('..', import.meta.url));
await ensureBuilt(root, { force: !process.argv.includes('--if-changed') }).catch((err) => {
  process.stderr.write(`spin: ${err.message}\n`);
  process.exit(1);
});
