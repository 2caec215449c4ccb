import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { WS_CLOSE, type RuntimeIdentity } from '@spin/protocol';
import { loadConfig, spinTokenPath, type RuntimeConfig } from './config.js';
import { createRuntimeServer } from './http/server.js';
import { loadRuntimeTls } from './http/tls.js';
import { KernelManager } from './kernels/kernelManager.js';
import { KernelPool } from './kernels/kernelPool.js';
import { describeKernels, kernelWarnings, type KernelDiscovery } from './kernels/kernelspec.js';
import { createLogger, type LoggerOption } from './logger.js';
import { RuntimeMetrics } from './metrics.js';
import { createProcessorHost } from './processors/host.js';
import type { ConnectionSource } from './processors/processorRun.js';
import { PROCESSOR_FACTORIES, ProcessorRegistry } from './processors/registry.js';
import { RuntimeConnections } from './connections/runtimeConnections.js';
import { CredentialStore } from './credentials/credentialStore.js';
import { CredentialResolver } from './credentials/runCredentials.js';
import { SecretMasker } from './credentials/secretMasker.js';
import { VaultClient, vaultSettingsFromEnv } from './credentials/vaultClient.js';
import { abortRunsLeftInFlight } from './recovery/abortRuns.js';
import { ProcessLedger } from './recovery/processLedger.js';
import { RunLedger } from './recovery/runLedger.js';
import { Sandbox } from './sandbox/sandbox.js';
import { loadIdentity, publicIdentity } from './security/identity.js';
import { PairingStore, type Pairing } from './security/pairing.js';
import { ReplayCache } from './security/replayCache.js';
import { SessionManager } from './sessions/sessionManager.js';

export { loadConfig, type RuntimeConfig } from './config.js';
export {
  KernelClient,
  type ExecuteReply,
  type KernelOutput,
  type KernelClientOptions,
} from './kernels/kernelClient.js';
export {
  DEFAULT_PYTHON_KERNEL,
  PYTHON_KERNEL_PACKAGES,
  describeKernels,
  findKernelSpec,
  kernelSearchPath,
  kernelWarnings,
  listKernelSpecs,
  type KernelDiscovery,
  type KernelSpec,
  type KernelSpecSummary,
} from './kernels/kernelspec.js';
export { KernelManager, type KernelInfo } from './kernels/kernelManager.js';
export { SessionManager } from './sessions/sessionManager.js';
export { pairingFile, resetPairing, type Pairing } from './security/pairing.js';
export type {
  ProcessorFactory,
  ProcessorFrame,
  ProcessorHost,
  ProcessorInstance,
} from './processors/types.js';

/** Options of {@link startRuntime}: config fields override the environment. */
export interface StartRuntimeOptions extends Partial<RuntimeConfig> {
  /** A pino logger, or a destination stream for the runtime's own (redacting) logger. */
  logger?: LoggerOption;
  /** Environment to read config from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Print the fingerprint banner on stdout (default true). */
  banner?: boolean;
  /** How long a WebSocket may take to say hello (default 10 s). */
  helloTimeoutMs?: number;
  /** Exact kernels/ folders to search instead of Jupyter's path for `env` (tests, embedding). */
  kernelSearchPath?: string[];
  /**
   * Connections processor cells may name (embedding and tests); default: the runtime's
   * connections file (`SPIN_CONNECTIONS_FILE`, see runtimeConnections.ts).
   */
  connections?: ConnectionSource;
}

export type { SandboxSetting } from './sandbox/sandbox.js';

/** A running runtime. */
export interface RuntimeHandle {
  /** Base URL, e.g. `http://127.0.0.1:8888`. */
  url: string;
  port: number;
  /** Current public identity (`paired` reflects pairing at the time of reading). */
  readonly identity: RuntimeIdentity;
  /** The pairing secret (from SPIN_TOKEN or `$SPIN_HOME/spin-token`). */
  spinToken: string;
  /** The server this runtime is paired with (public keys, issuer, origins), or null. */
  readonly pairing: Pairing | null;
  /**
   * Forget the pairing in-process — for the operator of this process only (`spin start` when
   * its server's state was wiped): the next pairing then needs only SPIN_TOKEN.
   */
  resetPairing(): void;
  /** Kernels ever started, with per-kernel execute_request counts. */
  kernels: KernelManager;
  /** The installed kernelspecs and where the runtime looked for them (read afresh each call). */
  availableKernels(): KernelDiscovery;
  sessions: SessionManager;
  /** Pre-started kernels for the next new session (SPIN_KERNEL_POOL). */
  kernelPool: KernelPool;
  logger: Logger;
  /** Close sockets, end running cells, shut kernels down. */
  close(): Promise<void>;
}

/** The runtime's own connections: `SPIN_CONNECTIONS_FILE`, else `$SPIN_HOME/connections.json`. */
function loadConnections(config: RuntimeConfig, env: NodeJS.ProcessEnv): RuntimeConnections {
  const file = config.connectionsFile ?? join(config.home, 'connections.json');
  if (!config.connectionsFile && !existsSync(file)) return RuntimeConnections.empty();
  return RuntimeConnections.load(file, PROCESSOR_FACTORIES, env);
}

/**
 * Start a SPIN runtime (DESIGN.md §1, §5): load or create its identity under SPIN_HOME, serve
 * HTTP + WebSocket on HOST:PORT, run programs in kernels and processors.
 */
export async function startRuntime(opts: StartRuntimeOptions = {}): Promise<RuntimeHandle> {
  const {
    logger: loggerOpt,
    env,
    banner = true,
    helloTimeoutMs = 10_000,
    kernelSearchPath: searchPath,
    connections,
    ...overrides
  } = opts;
  const config = loadConfig(overrides, env);
  // every secret value the runtime resolves is masked in its own log lines too
  const logMasker = new SecretMasker();
  const logger = createLogger(config.logLevel, loggerOpt, (line) => logMasker.mask(line));
  const keys = await loadIdentity(config.home);
  if (config.spinTokenGenerated) {
    logger.info(
      { file: spinTokenPath(config.home) },
      'SPIN_TOKEN not set; using the token in this file',
    );
  }
  // Before anything else writes under SPIN_HOME: user mode sets a private umask.
  const sandbox = await Sandbox.create({
    setting: config.sandbox,
    home: config.home,
    hide: config.sandboxHide,
    network: config.sandboxNetwork,
    limits: {
      memoryBytes: config.sandboxMemoryBytes,
      cpuSeconds: config.sandboxCpuSeconds,
      processes: config.sandboxProcesses,
    },
    uidBase: config.sandboxUidBase,
    bwrapPath: config.sandboxBwrap,
    logger: logger.child({ component: 'sandbox' }),
  });
  keys.sandbox = sandbox.status;
  const metrics = new RuntimeMetrics();
  // A previous life killed mid-work left kernels and runs behind: reap before spawning anew.
  const processLedger = new ProcessLedger(config.home);
  processLedger.reapPrevious(logger);
  const runs = new RunLedger(config.home);
  const pairing = new PairingStore(config.home, config.allowedOrigins);
  const replay = new ReplayCache(config.home);
  const credentialStore = new CredentialStore(
    config.home,
    keys.runtimeId,
    logger.child({ component: 'credentials' }),
  );
  const kernels = new KernelManager({
    home: config.home,
    sandbox,
    logger,
    metrics,
    env: env ?? process.env,
    heartbeat: { intervalMs: config.kernelHeartbeatMs, misses: 5 },
    ledger: processLedger,
    hiddenEnv: () => credentialStore.runtimeEnvNames(),
    ...(searchPath ? { searchPath } : {}),
  });
  const kernelPool = new KernelPool({
    kernels,
    sandbox,
    home: config.home,
    names: config.kernelPool,
    logger: logger.child({ component: 'kernel-pool' }),
    hiddenEnv: () => credentialStore.runtimeEnvNames(),
  });
  const processors = new ProcessorRegistry(
    createProcessorHost({
      logger,
      sandbox: (argv, writable) => sandbox.wrapProcess(argv, writable[0] ?? ''),
      trackProcess: (pid) => processLedger.add(pid, 'process', ''),
      hiddenEnv: () => credentialStore.runtimeEnvNames(),
    }),
  );
  const fileConnections = loadConnections(config, env ?? process.env);
  if (fileConnections.list().length > 0) {
    logger.info({ connections: fileConnections.list() }, 'connections defined at this runtime');
  }
  const connectionSource: ConnectionSource = connections ?? fileConnections;
  const vaultSettings = vaultSettingsFromEnv(env ?? process.env);
  const credentials = new CredentialResolver({
    store: credentialStore,
    env: env ?? process.env,
    vault: vaultSettings ? new VaultClient(vaultSettings) : null,
    factories: PROCESSOR_FACTORIES,
    logger: logger.child({ component: 'credentials' }),
    logMasker,
  });
  const sessions = new SessionManager(
    config.home,
    {
      runtimeId: keys.runtimeId,
      signingKey: keys.signingKey,
      signingKid: keys.signing.publicJwk.kid,
      processors,
      connections: connectionSource,
      credentials,
      metrics,
      logger,
      kernels,
      runs,
      output: {
        inlineBytes: config.outputInlineBytes,
        spillMaxBytes: config.outputSpillMaxBytes,
      },
      journal: {
        segmentBytes: config.journalSegmentBytes,
        windowBytes: config.journalWindowBytes,
        windowEvents: 2000,
      },
    },
    { maxAgeMs: config.journalMaxAgeMs, maxBytes: config.journalMaxBytes },
    sandbox,
    config.kernelIdleTimeoutMs,
    kernelPool,
  );
  await abortRunsLeftInFlight({
    ledger: runs,
    sessions,
    runtimeId: keys.runtimeId,
    signingKey: keys.signingKey,
    signingKid: keys.signing.publicJwk.kid,
    logger,
  });
  kernelPool.start(); // after the reaping above: a previous life's slots are unused now
  const ctx = {
    config,
    keys,
    pairing,
    replay,
    sessions,
    credentials: credentialStore,
    secrets: credentials,
    kernels,
    metrics,
    logger,
    helloTimeoutMs,
  };
  const tls = loadRuntimeTls({
    cert: config.tlsCert,
    key: config.tlsKey,
    clientCa: config.tlsClientCa,
  });
  const { server, wss } = createRuntimeServer(ctx, tls);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `${tls ? 'https' : 'http'}://${host}:${port}`;
  logger.info(
    {
      url,
      runtimeId: keys.runtimeId,
      fingerprint: keys.fingerprint,
      paired: pairing.paired,
      ...(tls ? { tls: tls.mutual ? 'mutual' : 'on' } : {}),
    },
    'runtime started',
  );
  // Said at start, so a missing Python kernel shows before the first cell fails.
  const found = kernels.available();
  const warnings = kernelWarnings(found);
  for (const w of warnings) logger.warn({ searched: found.searched }, w);
  if (banner) {
    process.stdout.write(
      [
        `SPIN runtime ${keys.runtimeId} listening on ${url}`,
        `key fingerprint: ${keys.fingerprint}`,
        `sandbox: ${sandbox.mode}`,
        ...describeKernels(found).map((line) => `kernel: ${line}`),
        ...warnings.map((w) => `warning: ${w}`),
        '',
      ].join('\n'),
    );
    if (sandbox.status.warning) process.stderr.write(`WARNING: ${sandbox.status.warning}\n`);
  }

  let closing: Promise<void> | null = null;
  return {
    url,
    port,
    get identity() {
      return publicIdentity(keys, pairing.paired, kernels.announced());
    },
    availableKernels: () => kernels.available(),
    spinToken: config.spinToken,
    get pairing() {
      return pairing.pairing;
    },
    resetPairing() {
      pairing.unpair();
      logger.warn('pairing reset by the operator; the next pairing needs only SPIN_TOKEN');
    },
    kernels,
    sessions,
    kernelPool,
    logger,
    close() {
      closing ??= (async () => {
        for (const ws of wss.clients) ws.close(WS_CLOSE.shuttingDown, 'runtime shutting down');
        const closed = new Promise<void>((r) => server.close(() => r()));
        server.closeAllConnections();
        await kernelPool.dispose();
        await sessions.closeAll();
        await kernels.shutdownAll();
        await processors.dispose();
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        await closed;
        replay.close();
        runs.close();
        logger.info('runtime stopped');
      })();
      return closing;
    },
  };
}
