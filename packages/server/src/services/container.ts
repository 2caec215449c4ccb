import type { Database } from '../db/connection.js';
import {
  createAuthorizer,
  type Authorize,
  type AuthorizeCredentialSync,
  type ScopeOf,
  type VisibleWorkspaces,
} from '../policies/authorize.js';
import type { MasterKey } from '../security/masterKey.js';
import type { Metrics } from '../metrics.js';
import { AUDIT_KEY_INFO, AuditService, type ChainUpgrade } from './auditService.js';
import type { OidcConfig } from '../config.js';
import { ApiTokenService } from './apiTokenService.js';
import { AuthService } from './authService.js';
import { CompiledPrograms } from '../policies/compiledPrograms.js';
import { CompileService } from './compileService.js';
import { CredentialBundleService } from './credentialBundleService.js';
import { CredentialService } from './credentialService.js';
import { MemberService } from './memberService.js';
import { AuthRateLimiter } from '../security/authRateLimiter.js';
import { IpynbService } from './ipynbService.js';
import { NotebookService } from './notebookService.js';
import { OidcService } from './oidcService.js';
import { CompileGate } from './receiptBatcher.js';
import { ReceiptService } from './receiptService.js';
import { RuntimeService } from './runtimeService.js';
import { ServerKeyService } from './serverKeyService.js';
import { SessionService } from './sessionService.js';
import { SessionOwnershipService } from './sessionOwnershipService.js';
import { TimelineService } from './timelineService.js';
import { WorkspaceService } from './workspaceService.js';

/** Every service of the control plane, wired to one database. */
export interface Services {
  database: Database;
  authorize: Authorize;
  /** The workspaces where a caller may perform an action (lists, the audit log). */
  scope: ScopeOf;
  /** Every workspace a caller reaches, with the effective (inherited) role. */
  visibleWorkspaces: VisibleWorkspaces;
  /** Who may fetch a runtime's sealed credential bundle (to relay it). */
  authorizeCredentialSync: AuthorizeCredentialSync;
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
  /** Requests for a session's ownership (ask, accept, decline). */
  ownership: SessionOwnershipService;
  compiler: CompileService;
  /** Connections and secrets (issue 9). */
  credentials: CredentialService;
  /** Per-runtime sealed credential bundles and program credential resolution. */
  bundles: CredentialBundleService;
  /** Session timelines (who ran what, when, with which connection). */
  timeline: TimelineService;
  receipts: ReceiptService;
  /** Workspace members and invitations by link. */
  members: MemberService;
  /** Database-backed rate limits of the auth routes and token minting. */
  rateLimits: AuthRateLimiter;
  workspaces: WorkspaceService;
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
  const audit = new AuditService(db, opts.masterKey.deriveKey(AUDIT_KEY_INFO));
  // Before anything appends: the upgrade only re-chains a log with no keyed entry yet.
  const auditChainUpgrade = await audit.upgradeLegacyChain();
  const keys = new ServerKeyService(db, opts.masterKey);
  await keys.init();
  const runtimes = new RuntimeService(db, audit, keys, issuer);
  // Programs this process compiled: their receipts are authorized without a read.
  const compiled = new CompiledPrograms();
  const { authorize, scope, visibleWorkspaces, authorizeCredentialSync } = createAuthorizer(
    db,
    compiled,
  );
  const rateLimits = new AuthRateLimiter(db);
  // windows that ended are dead rows; one sweep per start keeps the table small
  await rateLimits.purgeExpired();
  const sessions = new SessionService(db, runtimes, keys, issuer, opts.accessTokenTtlS, audit);
  const notebooks = new NotebookService(db, audit);
  const auth = new AuthService(db, audit, rateLimits);
  const credentials = new CredentialService(db, audit, opts.masterKey);
  const bundles = new CredentialBundleService(db, audit, credentials, keys, issuer);
  // Receipt batches wait while compiles run (receiptBatcher.ts).
  const compileGate = new CompileGate();
  return {
    database,
    authorize,
    scope,
    visibleWorkspaces,
    authorizeCredentialSync,
    audit,
    auditChainUpgrade,
    auth,
    keys,
    notebooks,
    ipynb: new IpynbService(db, notebooks),
    runtimes,
    sessions,
    ownership: new SessionOwnershipService(db, sessions, audit),
    compiler: new CompileService(
      db,
      audit,
      sessions,
      runtimes,
      keys,
      issuer,
      bundles,
      compileGate,
      compiled,
      (type) => metrics.compiles.inc({ cell_type: type }),
    ),
    credentials,
    bundles,
    timeline: new TimelineService(db),
    receipts: new ReceiptService(db, audit, runtimes, compiled, compileGate, (result) =>
      metrics.receipts.inc({ result }),
    ),
    // invitation links point at the web UI, which is served from the public URL
    members: new MemberService(db, audit, rateLimits, issuer),
    rateLimits,
    workspaces: new WorkspaceService(db, audit),
    apiTokens: new ApiTokenService(db, audit),
    oidc: opts.oidc ? new OidcService(db, audit, auth, opts.oidc) : null,
  };
}
