import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  PGlite,
  types,
  type ParserOptions,
  type QueryOptions,
  type Transaction,
} from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import * as schema from './schema.js';

/** The drizzle database (or a transaction on it) every repository works with. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

/** An open database: embedded PGlite or PostgreSQL over `pg`, behind one interface. */
export interface Database {
  kind: 'pglite' | 'postgresql';
  db: Db;
  /** Apply the SQL migrations in `packages/server/drizzle/`. */
  migrate(): Promise<void>;
  /**
   * Statements sent so far through drizzle (queries, prepared executions, BEGIN and COMMIT):
   * the hot path's cost in round trips, asserted by tests.
   */
  readonly counters: StatementCounters;
  /** Cheap liveness query for `/healthz`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** How many statements and transactions a database has run (see {@link Database.counters}). */
export interface StatementCounters {
  statements: number;
  transactions: number;
}

/**
 * Wraps `db.transaction` to count transactions; drizzle's logger counts the statements. PGlite's
 * driver sends BEGIN and COMMIT itself (not through the logger, unlike `pg`'s): counted here, so
 * `statements` means round trips on both.
 */
function counted(db: Db, counters: StatementCounters, beginCommitLogged: boolean): Db {
  const transaction = db.transaction.bind(db);
  db.transaction = ((fn: Parameters<Db['transaction']>[0], config?: never) => {
    counters.transactions++;
    if (!beginCommitLogged) counters.statements += 2;
    return transaction(fn, config);
  }) as Db['transaction'];
  return db;
}

/**
 * The type parsers drizzle's PGlite driver passes with every query (timestamps, intervals and
 * dates, and their arrays, left as text for drizzle to map).
 */
const DRIZZLE_PGLITE_PARSERS: ParserOptions = Object.fromEntries(
  [
    types.TIMESTAMP,
    types.TIMESTAMPTZ,
    types.INTERVAL,
    types.DATE,
    1231,
    1115,
    1185,
    1187,
    1182,
  ].map((oid) => [oid, (value: string) => value]),
);

/**
 * PGlite as drizzle sees it, minus the per-query `parsers` option: PGlite merges that option
 * with its ~300 instance parsers on every query (measured ~0.5 ms a query on this machine).
 * The instance is created with the same parsers instead, so results are exactly as drizzle
 * expects. Transactions hand drizzle a wrapped transaction too.
 */
function withoutQueryParsers<T extends Pick<PGlite, 'query' | 'transaction'>>(client: T): T {
  type Querying = Pick<Transaction, 'query'>;
  const strip = <Q extends Querying>(target: Q): Q =>
    new Proxy(target, {
      get(t, prop, receiver) {
        if (prop === 'query') {
          return (query: string, params?: unknown[], options?: QueryOptions) =>
            t.query(query, params, options && { ...options, parsers: undefined });
        }
        const value = Reflect.get(t, prop, receiver) as unknown;
        return typeof value === 'function'
          ? (value as (...a: unknown[]) => unknown).bind(t)
          : value;
      },
    });
  return new Proxy(strip(client), {
    get(t, prop, receiver) {
      if (prop === 'transaction') {
        return <R>(fn: (tx: Transaction) => Promise<R>) =>
          client.transaction((tx) => fn(strip(tx)));
      }
      return Reflect.get(t, prop, receiver) as unknown;
    },
  });
}

/** Folder holding the drizzle-kit generated migrations. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../drizzle', import.meta.url));

/**
 * Open the database: PostgreSQL when `databaseUrl` is set, otherwise PGlite persisted in
 * `pgliteDir` (its first open runs initdb, which takes a few seconds).
 */
export async function openDatabase(opts: {
  databaseUrl: string | null;
  pgliteDir: string;
  /** Connection-level errors (PostgreSQL restarted, connection killed); never fatal. */
  onConnectionError?: (err: Error) => void;
}): Promise<Database> {
  if (opts.databaseUrl) {
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 10 });
    // Without these, a server-side disconnect of an idle (or just-released, still closing)
    // client is an unhandled 'error' event that crashes the process. The pool replaces the
    // client on the next query.
    const onError = opts.onConnectionError ?? (() => {});
    pool.on('error', onError);
    pool.on('connect', (client) => client.on('error', onError));
    const counters: StatementCounters = { statements: 0, transactions: 0 };
    const logger = { logQuery: () => void counters.statements++ };
    const db = counted(
      drizzlePg({ client: pool, schema, logger }) as unknown as Db,
      counters,
      true,
    );
    return {
      kind: 'postgresql',
      db,
      counters,
      migrate: () => migratePg(drizzlePg({ client: pool }), { migrationsFolder: MIGRATIONS_DIR }),
      ping: async () => {
        await db.execute(sql`select 1`);
      },
      close: () => pool.end(),
    };
  }
  mkdirSync(opts.pgliteDir, { recursive: true, mode: 0o700 });
  // drizzle's own type parsers, set once on the instance (see withoutQueryParsers)
  const client = new PGlite(opts.pgliteDir, { parsers: DRIZZLE_PGLITE_PARSERS });
  await client.waitReady;
  // waitReady installs array parsers for every array type, over ours for the five drizzle lists
  Object.assign(client.parsers, DRIZZLE_PGLITE_PARSERS);
  const counters: StatementCounters = { statements: 0, transactions: 0 };
  const logger = { logQuery: () => void counters.statements++ };
  const db = counted(
    drizzlePglite({ client: withoutQueryParsers(client), schema, logger }) as unknown as Db,
    counters,
    false,
  );
  return {
    kind: 'pglite',
    db,
    counters,
    migrate: () => migratePglite(drizzlePglite({ client }), { migrationsFolder: MIGRATIONS_DIR }),
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: () => client.close(),
  };
}
