import { randomUUID } from 'node:crypto';
import {
  canonicalJson,
  importKey,
  KEY_MANAGEMENT_ALG,
  MAX_PROGRAM_TTL_S,
  sealProgram,
  sha256Hex,
  SpinError,
  type CompileResponse,
  type ProgramClaims,
  type ProgramLimits,
} from '@spin/protocol';
import type { JWK } from 'jose';
import type { Db } from '../db/connection.js';
import { actorId } from '../policies/actor.js';
import type { Grant } from '../policies/authorize.js';
import { programsRepository } from '../repositories/programsRepository.js';
import type { AuditService } from './auditService.js';
import type { RuntimeService } from './runtimeService.js';
import type { ServerKeyService } from './serverKeyService.js';
import type { SessionService } from './sessionService.js';
import { compileNotebookProgram, type NotebookCompileInput } from './templateValues.js';

/** Default limits of a compiled program. */
export const DEFAULT_LIMITS: ProgramLimits = {
  timeoutMs: 600_000,
  outputBytes: 10 * 1024 * 1024,
  resultBytes: 256 * 1024 * 1024,
};

/** Turns a cell into a signed, runtime-encrypted program and records it. */
export class CompileService {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditService,
    private readonly sessions: SessionService,
    private readonly runtimes: RuntimeService,
    private readonly keys: ServerKeyService,
    private readonly issuer: string,
    private readonly onCompiled: (cellType: string) => void = () => {},
  ) {}

  /**
   * Compile `cell` of notebook `notebookId` for session `sid`: the session must belong to the
   * notebook. Returns the compact JWE sealed to the session's runtime.
   */
  async compile(
    grant: Grant,
    notebookId: string,
    input: NotebookCompileInput & { sid: string },
  ): Promise<CompileResponse> {
    const session = await this.sessions.getRow(input.sid);
    if (session.notebookId !== notebookId) {
      throw new SpinError(
        'session.not_found',
        `session ${input.sid} is not a session of this notebook`,
      );
    }
    const runtime = await this.runtimes.getUsableRow(session.runtimeId, grant.ancestry);
    // Driven by the cell-type registry (protocol): kernel code, or a processor call built by
    // the processor's manifest. Template references stay references; the runtime binds them
    // with the notebook's template values, checked here (templateValues.ts).
    const program = compileNotebookProgram(grant.notebook, input, DEFAULT_LIMITS);
    const iat = Math.floor(Date.now() / 1000);
    const claims: ProgramClaims = {
      iss: this.issuer,
      aud: runtime.id,
      sub: grant.actor.userId,
      sid: session.sid,
      cell: input.cell.id,
      notebook: notebookId,
      jti: randomUUID(),
      iat,
      exp: iat + MAX_PROGRAM_TTL_S,
      program,
      limits: DEFAULT_LIMITS,
    };
    const key = this.keys.signingKey();
    const recipient = runtime.encryptionJwk as JWK & { kid: string };
    const envelope = await sealProgram(claims, {
      signingKey: key.privateKey,
      signingKid: key.kid,
      recipientKey: await importKey(recipient, KEY_MANAGEMENT_ALG),
      recipientKid: recipient.kid,
    });
    await this.db.transaction(async (t) => {
      const tx = t as unknown as Db;
      await programsRepository.insert(tx, {
        jti: claims.jti,
        sid: claims.sid,
        notebookId,
        cellId: claims.cell,
        sub: claims.sub,
        runtimeId: runtime.id,
        program: { program, limits: claims.limits },
        issuedAt: new Date(iat * 1000),
        expiresAt: new Date(claims.exp * 1000),
      });
      await this.audit.append(
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
            cellType: input.cell.type,
            programSha256: await sha256Hex(canonicalJson(program)),
          },
        },
        tx,
      );
    });
    this.onCompiled(input.cell.type);
    return {
      envelope,
      jti: claims.jti,
      cell: claims.cell,
      runtimeId: runtime.id,
      expiresAt: new Date(claims.exp * 1000).toISOString(),
    };
  }
}
