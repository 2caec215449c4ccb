import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { NotebookSession, type ServerApi } from '@spin/client';
import { NodeWebSocket, createNodeApi } from '@spin/client/node';
import { startAll, type SpinInstance } from '../src/index.js';

/** A whole SPIN (server on PGlite + paired local runtime) in a temp folder, on free ports. */
export interface StackFixture {
  spin: SpinInstance;
  home: string;
  close(): Promise<void>;
}

/** Token both tiers' `/metrics` require in stacks started here. */
export const METRICS_TOKEN = 'stack-metrics-token-0123456789';

/**
 * Options every test stack uses: the master key in the stack's temp folder (never the user's
 * ~/.config), metrics on with {@link METRICS_TOKEN}.
 */
export function stackOptions(home: string) {
  return {
    port: 0,
    runtimePort: 0,
    home,
    quiet: true,
    masterKeyFile: path.join(home, 'config', 'master.key'),
    metricsToken: METRICS_TOKEN,
  };
}

/**
 * Start a stack in `home` (default: a new temp folder under `base`, default the OS temp dir,
 * removed by `close()`).
 */
export async function startStack(
  opts: { home?: string; base?: string } = {},
): Promise<StackFixture> {
  const home = opts.home ?? (await mkdtemp(path.join(opts.base ?? os.tmpdir(), 'spin-stack-')));
  const spin = await startAll(stackOptions(home));
  return {
    spin,
    home,
    async close() {
      await spin.close();
      if (!opts.home) await rm(home, { recursive: true, force: true });
    },
  };
}

export const ADMIN = {
  name: 'Ada Admin',
  email: 'ada@example.test',
  password: 'correct horse battery',
};

/** Sign up the first user (the admin) through the API and return a logged-in client. */
export async function signedUpApi(stack: StackFixture): Promise<ServerApi> {
  const api = createNodeApi(stack.spin.url);
  await api.signup(ADMIN);
  return api;
}

/** Open a notebook session on the local runtime through the client relay. */
export async function openSession(api: ServerApi, notebookId: string): Promise<NotebookSession> {
  const [runtime] = await api.listRuntimes();
  if (!runtime) throw new Error('no runtime registered');
  return NotebookSession.open({ api, notebookId, runtime, WebSocket: NodeWebSocket });
}
