import type { Database } from '../db/connection.js';
import { createAuthorizer, type Authorize, type ScopeOf } from '../policies/authorize.js';
import type { MasterKey } from '../security/masterKey.js';
import type { Metrics } from '../metrics.js';
import type { OidcConfig } from '../config.js';
import { ApiTokenService } from './apiTokenService.js';
import { AuditService } from './auditService.js';
import { AuthService } from './authService.js';
import { CompileService } from './compileService.js';
import { NotebookService } from './notebookService.js';
import { OidcService } from './oidcService.js';
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
  auth: AuthService;
  keys: ServerKeyService;
  notebooks: NotebookService;
  runtimes: RuntimeService;
  sessions: SessionService;
  compiler: CompileService;
  receipts: ReceiptService;
  apiTokens: ApiTokenService;
  /** OpenID Connect sign-on; null when not configured. */
  oidc: OidcService | null;
}

/** Wire the services and load (or create) the server signing key. */
export async function createServices(opts: {
  database: Database;
  masterKey: MasterKey;
  issuer: string;
  accessTokenTtlS: number;
  metrics: Metrics;
  oidc?: OidcConfig | null;
}): Promise<Services> {
  const { database, issuer, metrics } = opts;
  const db = database.db;
  const audit = new AuditService(db);
  const keys = new ServerKeyService(db, opts.masterKey);
  await keys.init();
  const runtimes = new RuntimeService(db, audit, keys, issuer);
  const { authorize, scope } = createAuthorizer(db);
  const sessions = new SessionService(db, runtimes, keys, issuer, opts.accessTokenTtlS);
  const auth = new AuthService(db, audit);
  return {
    database,
    authorize,
    scope,
    audit,
    auth,
    keys,
    notebooks: new NotebookService(db, audit),
    runtimes,
    sessions,
    compiler: new CompileService(db, audit, sessions, runtimes, keys, issuer, (type) =>
      metrics.compiles.inc({ cell_type: type }),
    ),
    receipts: new ReceiptService(db, audit, runtimes, (result) => metrics.receipts.inc({ result })),
    apiTokens: new ApiTokenService(db, audit),
    oidc: opts.oidc ? new OidcService(db, audit, auth, opts.oidc) : null,
  };
}
