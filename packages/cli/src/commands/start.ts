import { createServer } from 'node:net';
import path from 'node:path';
import { createNodeApi } from '@spin/client/node';
import { startRuntime, type RuntimeHandle } from '@spin/runtime';
import { loadConfig as loadServerConfig, startServer } from '@spin/server';
import { portFrom, type ParsedArgs } from '../args.js';
import { pairLocalRuntime } from './localPairing.js';

/** A running all-in-one SPIN (server + web UI + local runtime). */
export interface SpinInstance {
  url: string;
  runtimeUrl: string;
  runtime: RuntimeHandle;
  server: Awaited<ReturnType<typeof startServer>>;
  close(): Promise<void>;
}

export interface StartOptions {
  port: number;
  runtimePort: number;
  /** Folder holding `server/` and `runtime/` state (default ./.spin). */
  home: string;
  host?: string;
  /** Log warnings and errors only, and print no banner (tests, benchmarks). */
  quiet?: boolean;
  /** pino level for both tiers (overrides `quiet`). */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Where both tiers write their JSON log lines (default stdout). */
  logDestination?: { write(line: string): unknown };
  /** The server's master key file (default SPIN_MASTER_KEY_FILE or ~/.config/spin/master.key). */
  masterKeyFile?: string;
  /** Token both tiers' `/metrics` require (default SPIN_METRICS_TOKEN; unset: metrics off). */
  metricsToken?: string;
}

/** A free TCP port on `host` (for `port: 0`, so the public URL can name the real port). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Start server and runtime in one process and pair them (DESIGN.md §1 "Pairing"): the runtime
 * learns the server's public keys over its pairing endpoint, and the server registers the
 * runtime's keys — repeated on every start (see {@link pairLocalRuntime}).
 */
export async function startAll(opts: StartOptions): Promise<SpinInstance> {
  const host = opts.host ?? '127.0.0.1';
  const logLevel = opts.logLevel ?? (opts.quiet ? 'warn' : undefined);
  const logging = {
    ...(logLevel ? { logLevel } : {}),
    ...(opts.logDestination ? { logger: opts.logDestination } : {}),
  };
  const metrics = opts.metricsToken ? { metricsToken: opts.metricsToken } : {};
  const serverDataDir = path.join(opts.home, 'server');
  // Where the server will keep its master key (outside its data dir by default): user code must
  // not see it either.
  const masterKeyFile = loadServerConfig(process.env, {
    dataDir: serverDataDir,
    ...(opts.masterKeyFile ? { masterKeyFile: opts.masterKeyFile } : {}),
  }).masterKeyFile;
  const runtime = await startRuntime({
    port: opts.runtimePort,
    host,
    home: path.join(opts.home, 'runtime'),
    ...metrics,
    // Both tiers share one OS user here: user code must not see the server's database and
    // master key either. Hiding the whole SPIN root covers wherever under it they live.
    sandboxHide: [opts.home, serverDataDir, path.dirname(masterKeyFile)],
    ...logging,
    ...(opts.quiet ? { banner: false } : {}),
  });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    const port = opts.port === 0 ? await freePort(host) : opts.port;
    server = await startServer({
      port,
      host,
      dataDir: serverDataDir,
      masterKeyFile,
      ...metrics,
      ...logging,
      ...(process.env.SPIN_PUBLIC_URL ? {} : { publicUrl: `http://localhost:${port}` }),
    });
  } catch (err) {
    await runtime.close();
    throw err;
  }
  try {
    const serverUrl = server.url;
    const serverApi = createNodeApi(serverUrl);
    const runtimeUrl = `http://localhost:${runtime.port}`;
    const [info, jwks] = await Promise.all([serverApi.serverInfo(), serverApi.jwks()]);
    const serverPort = new URL(serverUrl).port;
    await pairLocalRuntime({
      server,
      runtime,
      issuer: info.issuer,
      jwks,
      allowedOrigins: [
        ...new Set([
          `http://localhost:${serverPort}`,
          `http://127.0.0.1:${serverPort}`,
          info.issuer,
        ]),
      ],
      runtimeUrl,
    });
    return {
      url: info.issuer,
      runtimeUrl,
      runtime,
      server,
      async close() {
        await server.close();
        await runtime.close();
      },
    };
  } catch (err) {
    await server.close();
    await runtime.close();
    throw err;
  }
}

/** `spin start`: run everything until SIGINT/SIGTERM. */
export async function startCommand(args: ParsedArgs): Promise<void> {
  const port = portFrom(args.options.port, 'SPIN_PORT', 8080);
  const runtimePort = portFrom(args.options['runtime-port'], 'SPIN_RUNTIME_PORT', 8888);
  const home =
    typeof args.options.home === 'string'
      ? args.options.home
      : (process.env.SPIN_HOME_DIR ?? '.spin');
  // Request logs are for operators (LOG_LEVEL=info); by default the terminal shows only the
  // banner below, warnings and errors.
  const spin = await startAll({
    port,
    runtimePort,
    home: path.resolve(home),
    quiet: !process.env.LOG_LEVEL,
  });
  console.log(`\nSPIN is running: open ${spin.url}`);
  console.log(
    `  local runtime ${spin.runtimeUrl} (fingerprint ${spin.runtime.identity.fingerprint})`,
  );
  console.log('  press Ctrl+C to stop\n');
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping SPIN…`);
    spin.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}
