import { createHash, randomUUID } from 'node:crypto';
import { sealProgram } from '@spin/protocol/node';
import {
  canonicalJson,
  MAX_PROGRAM_TTL_S,
  SpinError,
  type CompileResponse,
  type ProgramBody,
  type ProgramClaims,
  type ProgramCredentials,
  type ProgramLimits,
} from '@spin/protocol';
import type { JWK } from 'jose';
import type { Db } from '../db/connection.js';
import { actorId } from '../policies/actor.js';
import type { Grant } from '../policies/authorize.js';
import type { ConnectionRow } from '../repositories/credentialsRepository.js';
import { programsRepository, type ProgramRow } from '../repositories/programsRepository.js';
import type { ExecSessionRow } from '../repositories/execSessionsRepository.js';
import type { RuntimeRow } from '../repositories/runtimesRepository.js';
import { EpochCache } from '../policies/authzCache.js';
import type { CompiledPrograms } from '../policies/compiledPrograms.js';
import { runtimeUsableIn } from '../policies/runtimeUsable.js';
import { manifestFor } from './connectionFields.js';
import type { CredentialBundleService } from './credentialBundleService.js';
import type { CompileGate } from './receiptBatcher.js';
import type { AuditService } from './auditService.js';
import type { RuntimeService } from './runtimeService.js';
import type { ServerKeyService } from './serverKeyService.js';
import type { SessionService } from './sessionService.js';
import { compileNotebookProgram, type NotebookCompileInput } from './templateValues.js';

/** SHA-256 hex of UTF-8 text (node:crypto: synchronous, no WebCrypto round trip). */
function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Default limits of a compiled program. */
export const DEFAULT_LIMITS: ProgramLimits = {
  timeoutMs: 600_000,
  outputBytes: 10 * 1024 * 1024,
  resultBytes: 256 * 1024 * 1024,
};

/** Turns a cell into a signed, runtime-encrypted program and records it. */
export class CompileService {
  /** Sessions and runtimes (keys, workspace) by id, checked against the epoch (authzCache.ts). */
  private readonly sessionRows = new EpochCache<ExecSessionRow>();
  private readonly runtimeRows = new EpochCache<RuntimeRow>();

  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly sessions: SessionService,
    private readonly runtimes: RuntimeService,
    private readonly keys: ServerKeyService,
    private readonly issuer: string,
    private readonly bundles: CredentialBundleService,
    private readonly gate: CompileGate,
    private readonly compiled: CompiledPrograms,
    private readonly onCompiled: (cellType: string) => void = () => {},
  ) {}

  /**
   * Compile `cell` of notebook `notebookId` for session `sid`: the session must belong to the
   * notebook. Returns the compact JWE sealed to the session's runtime.
   */
  compile(
    grant: Grant,
    notebookId: string,
    input: NotebookCompileInput & { sid: string },
  ): Promise<CompileResponse> {
    return this.gate.run(() => this.compileCell(grant, notebookId, input));
  }

  private async compileCell(
    grant: Grant,
    notebookId: string,
    input: NotebookCompileInput & { sid: string },
  ): Promise<CompileResponse> {
    // Sessions and runtimes change only by writes that bump the epoch the grant read, so while
    // it holds they come from memory: the grant's read is the compile's only one.
    const session = await this.sessionRows.getOrLoad(input.sid, grant.epoch, () =>
      this.sessions.getRow(input.sid),
    );
    if (session.notebookId !== notebookId) {
      throw new SpinError(
        'session.not_found',
        `session ${input.sid} is not a session of this notebook`,
      );
    }
    const runtime = await this.usableRuntime(grant, session.runtimeId);
    // The connection by name in the notebook's workspace and its ancestors (or the nearest
    // default of the cell's processor); the program names it, its id goes in the claims.
    const connection = await this.bundles.resolveConnection(grant.ancestry, input.cell);
    const cell =
      connection && !input.cell.connection
        ? { ...input.cell, connection: connection.name }
        : input.cell;
    // Driven by the cell-type registry (protocol): kernel code, or a processor call built by
    // the processor's manifest. Template references stay references; the runtime binds them
    // with the notebook's template values, checked here (templateValues.ts).
    const program = compileNotebookProgram(grant.notebook, { ...input, cell }, DEFAULT_LIMITS);
    const credentials = await this.bundles.programCredentials(
      runtime,
      grant.ancestry,
      connection,
      program,
    );
    return this.issue(grant, { notebookId, sid: session.sid, runtime }, cell, program, credentials);
  }

  /**
   * Compile the health check of `connection` for a session the caller may run cells in: a
   * normal processor program whose params are `{ health: true }`, which the runtime answers
   * with the processor's `checkHealth()`. The connection must be usable from the session's
   * notebook (its workspace or an ancestor).
   */
  async compileHealthCheck(grant: Grant, connection: ConnectionRow): Promise<CompileResponse> {
    const session = grant.session!;
    if (!grant.ancestry.includes(connection.workspaceId)) {
      throw new SpinError(
        'connection.not_found',
        `connection "${connection.name}" is not usable from this session's notebook`,
      );
    }
    const runtime = await this.usableRuntime(grant, session.runtimeId);
    const m = manifestFor(connection.processor);
    if (!m.capabilities.healthCheck) {
      throw new SpinError('request.invalid', `${m.name} connections have no health check`);
    }
    const program: ProgramBody = {
      kind: 'processor',
      processor: m.id,
      connection: connection.name,
      params: { health: true },
    };
    const credentials = await this.bundles.programCredentials(
      runtime,
      grant.ancestry,
      connection,
      program,
    );
    const cell = { id: `health-${connection.id}`, type: m.cellType };
    return this.issue(
      grant,
      { notebookId: session.notebookId, sid: session.sid, runtime },
      cell,
      program,
      credentials,
    );
  }

  /** The runtime, if usable from the grant's workspace (`runtime.unknown_runtime` if not). */
  private async usableRuntime(grant: Grant, id: string): Promise<RuntimeRow> {
    const row = await this.runtimeRows.getOrLoad(id, grant.epoch, () => this.runtimes.getRow(id));
    if (!runtimeUsableIn(row, grant.ancestry)) {
      throw new SpinError('runtime.unknown_runtime', `runtime ${id} is not registered here`);
    }
    return row;
  }

  /** Sign, seal to the runtime, record and audit one program. */
  private async issue(
    grant: Grant,
    target: { notebookId: string; sid: string; runtime: RuntimeRow },
    cell: { id: string; type: string },
    program: ProgramBody,
    credentials: ProgramCredentials,
  ): Promise<CompileResponse> {
    const { notebookId, runtime } = target;
    const iat = Math.floor(Date.now() / 1000);
    const claims: ProgramClaims = {
      iss: this.issuer,
      aud: runtime.id,
      sub: grant.actor.userId,
      sid: target.sid,
      cell: cell.id,
      notebook: notebookId,
      jti: randomUUID(),
      iat,
      exp: iat + MAX_PROGRAM_TTL_S,
      program,
      limits: DEFAULT_LIMITS,
      workspace: grant.workspaceId,
      credentials,
    };
    const key = this.keys.signingKey();
    const recipient = runtime.encryptionJwk as JWK & { kid: string };
    const envelope = await sealProgram(claims, {
      signingKey: key.privateKey,
      signingKid: key.kid,
      recipientKey: recipient, // the fast path imports each runtime's key once and caches it
      recipientKid: recipient.kid,
    });
    const secretNames = Object.keys(credentials.secrets);
    const row: ProgramRow = {
      jti: claims.jti,
      sid: claims.sid,
      notebookId,
      cellId: claims.cell,
      sub: claims.sub,
      runtimeId: runtime.id,
      program: { program, limits: claims.limits, credentials },
      issuedAt: new Date(iat * 1000),
      expiresAt: new Date(claims.exp * 1000),
      receiptStatus: null,
      receiptAt: null,
      runStartedAt: null,
      runEndedAt: null,
    };
    // The compile's one write: the program row and its audit entry in one statement.
    await this.audit.appendNow(
      [
        {
          actor: actorId(grant.actor),
          workspaceId: grant.workspaceId,
          action: 'program.compiled',
          subject: claims.jti,
          data: {
            jti: claims.jti,
            notebook: notebookId,
            cell: claims.cell,
            sid: claims.sid,
            runtime: runtime.id,
            cellType: cell.type,
            programSha256: sha256Hex(canonicalJson(program)),
            // names only: which credentials the program may use, never a value
            ...(credentials.connection ? { connection: credentials.connection.name } : {}),
            ...(secretNames.length ? { secrets: secretNames } : {}),
          },
        },
      ],
      programsRepository.insertPrelude(this.db, row),
    );
    // Its receipt is then authorized without reading the row back (compiledPrograms.ts).
    this.compiled.remember(row, grant.workspaceId, grant.epoch);
    this.onCompiled(cell.type);
    return {
      envelope,
      jti: claims.jti,
      cell: claims.cell,
      runtimeId: runtime.id,
      expiresAt: new Date(claims.exp * 1000).toISOString(),
      credentialsVersion: credentials.bundleVersion,
    };
  }
}
