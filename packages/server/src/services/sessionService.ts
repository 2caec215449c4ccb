import {
  ACCESS_TOKEN_TTL_S,
  signAccessToken,
  SpinError,
  type AccessTokenResponse,
  type ExecSession,
} from '@spin/protocol';
import type { Db } from '../db/connection.js';
import { newId } from '../ids.js';
import type { Grant, GrantFor } from '../policies/authorize.js';
import { SESSION_PERMS } from '../policies/rolePolicy.js';
import {
  execSessionsRepository,
  type ExecSessionRow,
} from '../repositories/execSessionsRepository.js';
import { presentRuntime, type RuntimeService } from './runtimeService.js';
import type { ServerKeyService } from './serverKeyService.js';

/** Presenter: an execution session. */
export function presentExecSession(row: ExecSessionRow): ExecSession {
  return {
    sid: row.sid,
    notebookId: row.notebookId,
    runtimeId: row.runtimeId,
    createdAt: row.createdAt.toISOString(),
  };
}

/** Execution sessions (one per notebook × runtime) and the access tokens to attach to them. */
export class SessionService {
  constructor(
    private readonly db: Db,
    private readonly runtimes: RuntimeService,
    private readonly keys: ServerKeyService,
    private readonly issuer: string,
    private readonly accessTokenTtlS: number = ACCESS_TOKEN_TTL_S,
  ) {}

  /**
   * Open the session for notebook+runtime, reusing an existing one. The runtime must be usable
   * in the notebook's workspace (404 `runtime.unknown_runtime` otherwise).
   */
  async open(grant: Grant, input: { notebookId: string; runtimeId: string }): Promise<ExecSession> {
    await this.runtimes.getUsableRow(input.runtimeId, grant.ancestry);
    const row = await execSessionsRepository.getOrCreate(this.db, {
      sid: newId('ses'),
      notebookId: input.notebookId,
      runtimeId: input.runtimeId,
      createdBy: grant.actor.userId,
    });
    return presentExecSession(row);
  }

  /** The stored session, or 404 `session.not_found`. */
  async getRow(sid: string): Promise<ExecSessionRow> {
    const row = await execSessionsRepository.get(this.db, sid);
    if (!row) throw new SpinError('session.not_found', `session ${sid} not found`);
    return row;
  }

  /**
   * Mint the short-lived JWT a client presents to the runtime: aud = runtime, perms from the
   * caller's role (DESIGN.md §1 "Access tokens"). The session is the row the grant loaded.
   */
  async issueToken(grant: GrantFor<'session'>): Promise<AccessTokenResponse> {
    const { session } = grant;
    const runtime = await this.runtimes.getUsableRow(session.runtimeId, grant.ancestry);
    const key = this.keys.signingKey();
    const now = Math.floor(Date.now() / 1000);
    const token = await signAccessToken(
      {
        iss: this.issuer,
        aud: runtime.id,
        sub: grant.actor.userId,
        sid: session.sid,
        notebook: session.notebookId,
        role: grant.role,
        perms: [...SESSION_PERMS[grant.role]],
        ownerEpoch: session.ownerEpoch,
        ttlS: this.accessTokenTtlS,
      },
      key.privateKey,
      key.kid,
    );
    return {
      token,
      expiresAt: new Date((now + this.accessTokenTtlS) * 1000).toISOString(),
      runtime: presentRuntime(runtime),
    };
  }
}
