import { outputsDigest, outputsFromEvents, signReceipt, type JournalEvent } from '@spin/protocol';
import type { Logger } from 'pino';
import type { RuntimeCryptoKey } from '../security/identity.js';
import type { SessionManager } from '../sessions/sessionManager.js';
import type { InflightRun, RunLedger } from './runLedger.js';

/** The error output that tells people why the run ended (it is part of the signed outputs). */
export const RESTARTED_ENAME = 'RuntimeRestarted';

/**
 * End every run a previous life of the runtime left in flight (DESIGN.md §1): the outputs it
 * journaled before the crash stay; an error output says the runtime restarted; a `cell_ended`
 * with status `aborted` carries a receipt signed over exactly those outputs. Clients see it when
 * they reattach and relay the receipt (they ask the server which receipts it lacks), so the run
 * ends in the audit log too. A run whose `cell_ended` made it to the journal before the crash
 * is left as it is.
 */
export async function abortRunsLeftInFlight(opts: {
  ledger: RunLedger;
  sessions: SessionManager;
  runtimeId: string;
  signingKey: RuntimeCryptoKey;
  signingKid: string;
  logger: Logger;
}): Promise<InflightRun[]> {
  const { ledger, sessions, logger } = opts;
  const aborted: InflightRun[] = [];
  for (const run of ledger.leftInFlight()) {
    try {
      const session = sessions.get(run.sid);
      const events: JournalEvent[] = [];
      for await (const ev of session.journal.readFrom(run.seqFirst)) {
        if (ev.jti === run.jti) events.push(ev);
      }
      if (events.some((e) => e.type === 'cell_ended')) continue;
      const endedAt = new Date().toISOString();
      const note = session.emit({
        type: 'error',
        cell: run.cell,
        jti: run.jti,
        data: {
          output_type: 'error',
          ename: RESTARTED_ENAME,
          evalue:
            'runtime.restarted: the runtime restarted while this cell ran; ' +
            'the output above is what it printed before',
          traceback: [],
        },
      });
      if (note) events.push(note);
      const outputs = outputsFromEvents(events);
      const receipt = await signReceipt(
        {
          iss: opts.runtimeId,
          jti: run.jti,
          cell: run.cell,
          sid: run.sid,
          sub: run.sub,
          notebook: run.notebook,
          status: 'aborted',
          startedAt: run.startedAt,
          endedAt,
          seqFirst: run.seqFirst,
          seqLast: session.headSeq,
          outputCount: outputs.length,
          outputsSha256: await outputsDigest(outputs),
          exitCode: null,
          executionCount: null,
          iat: Math.floor(Date.now() / 1000),
        },
        opts.signingKey,
        opts.signingKid,
      );
      session.emit({
        type: 'cell_ended',
        cell: run.cell,
        jti: run.jti,
        data: {
          status: 'aborted',
          startedAt: run.startedAt,
          endedAt,
          executionCount: null,
          exitCode: null,
          receipt,
        },
      });
      aborted.push(run);
    } catch (err) {
      logger.error({ err, sid: run.sid, jti: run.jti }, 'could not end a run left in flight');
    }
  }
  if (aborted.length > 0) {
    logger.warn(
      { runs: aborted.map(({ sid, jti, cell }) => ({ sid, jti, cell })) },
      'ended runs left in flight by a previous runtime as aborted',
    );
  }
  ledger.settledPrevious();
  return aborted;
}
