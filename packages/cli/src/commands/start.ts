import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { ServerApi } from '@spin/client';
import { Agent, fetch as undiciFetch } from 'undici';
import { startRuntime, type RuntimeHandle } from '@spin/runtime';
import { loadConfig as loadServerConfig, startServer } from '@spin/server';
import { portFrom, type ParsedArgs } from '../args.js';
import { pairLocalRuntime } from './localPairing.js';
import { formatBanner } from '../terminal/banner.js';
import { PlainLog } from '../terminal/plainLog.js';

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
  /** Log warnings and errors only (tests, benchmarks). */
  quiet?: boolean;
  /** pino level for both tiers (overrides `quiet`). */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Where both tiers write their JSON log lines (default stdout). */
  logDestination?: { write(line: string): unknown };
  /** The server's master key file (default SPIN_MASTER_KEY_FILE or ~/.config/spin/master.key). */
  masterKeyFile?: string;
  /** Token both tiers' `/metrics` require (default SPIN_METRICS_TOKEN; unset: metrics off). */
  metricsToken?: string;
  /** HTTPS and wss:// on both tiers (default SPIN_TLS_CERT and SPIN_TLS_KEY): PEM file paths. */
  tls?: { cert: string; key: string };
}

/** HTTPS for both tiers from SPIN_TLS_CERT and SPIN_TLS_KEY (the tiers read the same files). */
function tlsFromEnv(): StartOptions['tls'] {
  if (process.env.SPIN_TLS_CLIENT_CA) {
    throw new Error(
      'SPIN_TLS_CLIENT_CA (mutual TLS) is for a runtime deployed on its own (`spin runtime`): ' +
        'under `spin start` the browser reaches the local runtime directly and has no client certificate',
    );
  }
  const cert = process.env.SPIN_TLS_CERT;
  const key = process.env.SPIN_TLS_KEY;
  return cert && key ? { cert, key } : undefined;
}

/** fetch that trusts `certFile` (PEM) on top of the system's CAs, for the tiers' own calls. */
function trustingFetch(certFile: string): typeof fetch {
  const dispatcher = new Agent({ connect: { ca: readFileSync(certFile) } });
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as never, { ...(init as object), dispatcher } as never)) as typeof fetch;
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
  const tls = opts.tls ?? tlsFromEnv();
  const { masterKeyFile } = loadServerConfig(process.env, {
    dataDir: serverDataDir,
    ...(opts.masterKeyFile ? { masterKeyFile: opts.masterKeyFile } : {}),
    ...(tls ? { tlsCert: tls.cert, tlsKey: tls.key } : {}),
  });
  const scheme = tls ? 'https' : 'http';
  // Both tiers talk to each other on this machine: trust exactly the configured certificate.
  const localFetch = tls ? trustingFetch(tls.cert) : undefined;
  const runtime = await startRuntime({
    port: opts.runtimePort,
    host,
    home: path.join(opts.home, 'runtime'),
    ...(tls ? { tlsCert: tls.cert, tlsKey: tls.key } : {}),
    ...metrics,
    // Both tiers share one OS user here: user code must not see the server's database and
    // master key either. Hiding the whole SPIN root covers wherever under it they live.
    sandboxHide: [opts.home, serverDataDir, path.dirname(masterKeyFile)],
    ...logging,
    banner: false, // the caller prints one banner for both tiers
  });
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    const port = opts.port === 0 ? await freePort(host) : opts.port;
    server = await startServer({
      port,
      host,
      dataDir: serverDataDir,
      masterKeyFile,
      ...(tls ? { tlsCert: tls.cert, tlsKey: tls.key } : {}),
      ...metrics,
      ...logging,
      ...(process.env.SPIN_PUBLIC_URL ? {} : { publicUrl: `${scheme}://localhost:${port}` }),
    });
  } catch (err) {
    await runtime.close();
    throw err;
  }
  try {
    const serverUrl = server.url;
    const serverApi = new ServerApi({
      baseUrl: serverUrl,
      manageCookies: true,
      ...(localFetch ? { fetch: localFetch } : {}),
    });
    const runtimeUrl = `${scheme}://localhost:${runtime.port}`;
    const [info, jwks] = await Promise.all([serverApi.serverInfo(), serverApi.jwks()]);
    const serverPort = new URL(serverUrl).port;
    await pairLocalRuntime({
      server,
      runtime,
      issuer: info.issuer,
      jwks,
      allowedOrigins: [
        ...new Set([
          `${scheme}://localhost:${serverPort}`,
          `${scheme}://127.0.0.1:${serverPort}`,
          info.issuer,
        ]),
      ],
      runtimeUrl,
      ...(localFetch ? { fetch: localFetch } : {}),
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
  // Without LOG_LEVEL the terminal is for people: the banner, then warnings and errors in plain
  // words. LOG_LEVEL=info|debug gives the JSON lines operators and log shippers expect.
  const plain = process.env.LOG_LEVEL ? null : new PlainLog();
  const spin = await startAll({
    port,
    runtimePort,
    home: path.resolve(home),
    ...(plain ? { logLevel: 'warn' as const, logDestination: plain } : {}),
  });
  console.log(
    formatBanner({
      url: spin.url,
      runtimeUrl: spin.runtimeUrl,
      fingerprint: spin.runtime.identity.fingerprint,
      sandbox: spin.runtime.identity.sandbox,
      kernels: spin.runtime.availableKernels(),
      warnings: plain?.release() ?? [],
    }),
  );
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
