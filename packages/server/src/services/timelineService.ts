import type { ProgramCredentials, SessionTimeline } from '@spin/protocol';
import type { Db } from '../db/connection.js';
import type { ExecSessionRow } from '../repositories/execSessionsRepository.js';
import { programsRepository } from '../repositories/programsRepository.js';

/** What `programs.program` holds (compileService records it). */
interface StoredProgram {
  program?: { kind?: string; processor?: string };
  credentials?: ProgramCredentials;
}

/**
 * The session timeline (issue 9): every run compiled in a session — who, when, status,
 * runtime, duration and the connections it could use — from the programs table and the
 * receipts recorded on it. Names of secrets are left out (agents may not see them).
 */
export class TimelineService {
  constructor(private readonly db: Db) {}

  async timeline(session: ExecSessionRow): Promise<SessionTimeline> {
    const rows = await programsRepository.timelineOf(this.db, session.sid);
    return {
      sid: session.sid,
      notebookId: session.notebookId,
      runs: rows.map(({ program: p, userName, runtimeName }) => {
        const stored = p.program as StoredProgram;
        const started = p.runStartedAt;
        const ended = p.runEndedAt;
        const connection = stored.credentials?.connection?.name;
        return {
          jti: p.jti,
          cell: p.cellId,
          processor:
            stored.program?.kind === 'processor' ? (stored.program.processor ?? null) : null,
          user: { id: p.sub, name: userName },
          issuedAt: p.issuedAt.toISOString(),
          status: p.receiptStatus ?? 'pending',
          startedAt: started?.toISOString() ?? null,
          endedAt: ended?.toISOString() ?? null,
          durationMs: started && ended ? Math.max(0, ended.getTime() - started.getTime()) : null,
          runtime: { id: p.runtimeId, name: runtimeName },
          connections: connection ? [connection] : [],
        };
      }),
    };
  }
}
