import type { ProgramRow } from '../repositories/programsRepository.js';
import { EpochCache } from './authzCache.js';

/** A program this process compiled, as its receipt's authorization needs it. */
export interface CompiledProgram {
  program: ProgramRow;
  /** The workspace of the program's notebook when it was compiled. */
  workspaceId: string;
}

/**
 * Programs this process compiled and whose receipt it has not recorded, by jti, stamped with
 * the authorization epoch their compile read. A receipt for one of them — with a cookie session
 * and a workspace chain cached under that same epoch — is authorized without a read; the grant
 * then says what is still unconfirmed (`Grant.confirm`), and the receipt batch's one statement
 * checks it (the epoch is still that one, the notebook still in that workspace, the program
 * still awaits its receipt) or changes nothing (services/receiptService.ts).
 */
export class CompiledPrograms {
  // bounded low: an entry holds the program body, and one whose receipt never came stays
  private readonly entries = new EpochCache<CompiledProgram>(2_000);

  remember(program: ProgramRow, workspaceId: string, epoch: number | null): void {
    if (epoch !== null) this.entries.set(program.jti, epoch, { program, workspaceId });
  }

  /** The program and the epoch it was compiled under, if this process compiled it. */
  peek(jti: string): { epoch: number; value: CompiledProgram } | undefined {
    return this.entries.peek(jti);
  }

  /** Its receipt is recorded (or could not be confirmed): authorize the next one by a read. */
  forget(jti: string): void {
    this.entries.delete(jti);
  }
}
