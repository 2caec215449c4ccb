/**
 * @spin/server — the SPIN control plane (DESIGN.md §1): auth, RBAC, workspaces, notebooks,
 * compilation of cells into signed+encrypted programs, access tokens, receipts and audit.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { DestinationStream, Logger } from 'pino';
import { buildApp, type RouteInfo } from './app.js';
import { loadConfig, type ServerConfig } from './config.js';
import { openDatabase, type StatementCounters } from './db/connection.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { loadMasterKey } from './security/masterKey.js';
import { createServices, type Services } from './services/container.js';

export { loadConfig, type ServerConfig } from './config.js';
export type { Services } from './services/container.js';
export type {
  PairGrantInput,
  RegisterRuntimeInput,
  RepairRuntimeInput,
} from './services/runtimeService.js';
export type { RouteInfo } from './app.js';
export { SYSTEM_ACTOR, type Actor, type UserActor, type SystemActor } from './policies/actor.js';

/** Options of {@link createServer}. */
export interface CreateServerOptions {
  config: ServerConfig;
  /** Where logs go (default stdout). Tests pass a capture stream. */
  logger?: DestinationStream;
}

/** A built (not yet listening) server. */
export interface SpinServer {
  app: FastifyInstance;
  services: Services;
  config: ServerConfig;
  logger: Logger;
  /**
   * The master key file in use (null when the key comes from `SPIN_MASTER_KEY`): `spin start`
   * hides it, with the data directory, from user code.
   */
  masterKeyFile: string | null;
  /** Statements and transactions the database has run (hot-path tests count them). */
  counters: StatementCounters;
  /** Every registered route (method + URL pattern), in registration order. */
  routes: readonly RouteInfo[];
  /** Close the HTTP server and the database. */
  close(): Promise<void>;
}

/**
 * Build the server: open the database (running migrations), load the master key and server
 * signing key, wire services and the Fastify app — without listening (use `app.inject`).
 */
export async function createServer(opts: CreateServerOptions): Promise<SpinServer> {
  const { config } = opts;
  const logger = createLogger(config.logLevel, opts.logger);
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const master = loadMasterKey({
    masterKey: config.masterKey,
    file: config.masterKeyFile,
    dataDir: config.dataDir,
  });
  if (master.movedFrom) {
    logger.warn(
      { from: master.movedFrom, to: master.file },
      'moved the master key out of the data directory',
    );
  }
  if (master.strayFile) {
    logger.warn(
      { file: master.strayFile },
      'SPIN_MASTER_KEY is set but a master.key file is in the data directory; remove it',
    );
  }
  const database = await openDatabase({
    databaseUrl: config.databaseUrl,
    pgliteDir: join(config.dataDir, 'db'),
    onConnectionError: (err) => logger.warn({ err }, 'database connection error'),
  });
  try {
    await database.migrate();
    const metrics = createMetrics();
    const services = await createServices({
      database,
      masterKey: master.key,
      issuer: config.publicUrl,
      accessTokenTtlS: config.accessTokenTtlS,
      metrics,
      oidc: config.oidc,
    });
    const upgrade = services.auditChainUpgrade;
    if (upgrade.status === 'keyed') {
      logger.info({ entries: upgrade.entries }, 're-chained the audit log with its HMAC key');
    } else if (upgrade.status === 'refused') {
      logger.error({ reason: upgrade.reason }, 'audit log left unkeyed: it does not verify');
    }
    const { app, routes } = await buildApp({ config, services, metrics, logger });
    await app.ready();
    let closed = false;
    return {
      app,
      services,
      config,
      logger,
      masterKeyFile: master.file,
      counters: database.counters,
      routes,
      async close() {
        if (closed) return;
        closed = true;
        // Node closes idle keep-alive connections only at the moment close() starts; one that
        // finishes an in-flight request afterwards would hold close() until its keep-alive
        // timeout (72 s). Sweep them as they turn idle.
        const sweep = setInterval(() => app.server.closeIdleConnections(), 50);
        try {
          await app.close();
        } finally {
          clearInterval(sweep);
        }
        await services.receipts.settled(); // a batch still being written finishes first
        await database.close();
      },
    };
  } catch (err) {
    await database.close().catch(() => {});
    throw err;
  }
}

/** A listening server. */
export interface StartedServer {
  /** Base URL it listens on, e.g. `http://127.0.0.1:8080`. */
  url: string;
  app: FastifyInstance;
  services: Services;
  config: ServerConfig;
  /** See {@link SpinServer.masterKeyFile}. */
  masterKeyFile: string | null;
  close(): Promise<void>;
}

/**
 * Start the server from the environment (overridable per field) and listen. `spin start` uses
 * the services in-process with `SYSTEM_ACTOR` (register, re-pair and pairing grants of its
 * local runtime).
 */
export async function startServer(
  opts: Partial<ServerConfig> & { logger?: DestinationStream } = {},
): Promise<StartedServer> {
  const { logger, ...overrides } = opts;
  const config = loadConfig(process.env, overrides);
  const server = await createServer({ config, ...(logger ? { logger } : {}) });
  try {
    await server.app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await server.close();
    throw err;
  }
  const address = server.app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return {
    url: `${config.tlsCert ? 'https' : 'http'}://${host}:${port}`,
    app: server.app,
    services: server.services,
    config,
    masterKeyFile: server.masterKeyFile,
    close: server.close,
  };
}
export { rotateMasterKey, type MasterKeyRotation } from './security/masterKeyRotation.js';
