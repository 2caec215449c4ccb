import type { Database } from '../db/connection.js';
import { createAuthorizer, type Authorize, type ScopeOf } from '../policies/authorize.js';
import type { MasterKey } from '../security/masterKey.js';
import type { Metrics } from '../metrics.js';
import { AUDIT_KEY_INFO, AuditService, type ChainUpgrade } from './auditService.js';
import { AuthService } from './authService.js';
import { CompileService } from './compileService.js';
import { IpynbService } from './ipynbService.js';
import { NotebookService } from './notebookService.js';
import { ReceiptService } from './receiptService.js';
import { RuntimeService } from './runtimeService.js';
import { ServerKeyService } from './serverKeyService.js';
import { SessionService } from './sessionService.js';

/** Every service of the control plane, wired to one database. */
export interface Services {
  database: Database;
  authorize: Authorize;
  /** The workspaces where a caller may perform an action (lists, the audit log). */
  scope: ScopeOf;
  audit: AuditService;
  /** What the start-up re-chaining of an unkeyed audit log did (the server logs it). */
  auditChainUpgrade: ChainUpgrade;
  auth: AuthService;
  keys: ServerKeyService;
  notebooks: NotebookService;
  /** .ipynb import and export. */
  ipynb: IpynbService;
  runtimes: RuntimeService;
  sessions: SessionService;
  compiler: CompileService;
  receipts: ReceiptService;
}

/** Wire the services and load (or create) the server signing key. */
export async function createServices(opts: {
  database: Database;
  masterKey: MasterKey;
  issuer: string;
  accessTokenTtlS: number;
  metrics: Metrics;
}): Promise<Services> {
  const { database, issuer, metrics } = opts;
  const db = database.db;
  const audit = new AuditService(db, opts.masterKey.deriveKey(AUDIT_KEY_INFO));
  // Before anything appends: the upgrade only re-chains a log with no keyed entry yet.
  const auditChainUpgrade = await audit.upgradeLegacyChain();
  const keys = new ServerKeyService(db, opts.masterKey);
  await keys.init();
  const runtimes = new RuntimeService(db, audit, keys, issuer);
  const { authorize, scope } = createAuthorizer(db);
  const sessions = new SessionService(db, runtimes, keys, issuer, opts.accessTokenTtlS);
  const notebooks = new NotebookService(db, audit);
  return {
    database,
    authorize,
    scope,
    audit,
    auditChainUpgrade,
    auth: new AuthService(db, audit),
    keys,
    notebooks,
    ipynb: new IpynbService(db, notebooks),
    runtimes,
    sessions,
    compiler: new CompileService(db, audit, sessions, runtimes, keys, issuer, (type) =>
      metrics.compiles.inc({ cell_type: type }),
    ),
    receipts: new ReceiptService(db, audit, runtimes, (result) => metrics.receipts.inc({ result })),
  };
}
