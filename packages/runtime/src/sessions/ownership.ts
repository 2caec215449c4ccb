import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import type { AccessTokenClaims } from '@spin/protocol';
import { writePrivateFile } from '../security/secureFiles.js';

const OwnerFileSchema = z.object({ owner: z.string().nullable(), epoch: z.number().int().min(0) });

/** Who owns a shared session, as the runtime last learned it from a server-minted token. */
export interface SessionOwner {
  owner: string | null;
  ownerEpoch: number;
}

/**
 * A session's owner (DESIGN.md §1 "Access tokens", issue 8 "shared sessions and handoff").
 * The server is the system of record: a handoff there raises the session's `ownerEpoch` and
 * mints the new owner tokens with `own` at that epoch. The runtime learns of it when such a
 * token arrives (hello or refresh) and from then on honours owner rights — interrupt, restart —
 * only for tokens of the current epoch, so the old owner's tokens lose them at once. Epochs only
 * go up; the current one is kept in the session's directory so a restart does not forget it.
 */
export class SessionOwnership {
  private state: SessionOwner;

  constructor(private readonly file: string) {
    this.state = { owner: null, ownerEpoch: 0 };
    if (existsSync(file)) {
      const parsed = OwnerFileSchema.safeParse(safeJson(readFileSync(file, 'utf8')));
      if (parsed.success) this.state = { owner: parsed.data.owner, ownerEpoch: parsed.data.epoch };
    }
  }

  get current(): SessionOwner {
    return { ...this.state };
  }

  /**
   * Take note of a verified token. A token with `own` from a newer epoch (or the first one seen
   * at the current epoch) makes its subject the owner; returns true when the owner changed.
   */
  observe(claims: Pick<AccessTokenClaims, 'sub' | 'perms' | 'ownerEpoch'>): boolean {
    const { ownerEpoch } = this.state;
    const newer = claims.ownerEpoch > ownerEpoch;
    if (newer && !claims.perms.includes('own')) {
      // A newer epoch means a handoff happened: the old owner is owner no more, even before
      // the new one attaches.
      this.set({ owner: null, ownerEpoch: claims.ownerEpoch });
      return true;
    }
    if (!claims.perms.includes('own')) return false;
    if (newer || (claims.ownerEpoch === ownerEpoch && this.state.owner === null)) {
      this.set({ owner: claims.sub, ownerEpoch: claims.ownerEpoch });
      return true;
    }
    return false;
  }

  /** Owner rights (interrupt, restart) hold only for tokens of the current epoch. */
  honours(claims: Pick<AccessTokenClaims, 'ownerEpoch'>): boolean {
    return claims.ownerEpoch >= this.state.ownerEpoch;
  }

  private set(next: SessionOwner): void {
    this.state = next;
    writePrivateFile(
      this.file,
      JSON.stringify({ owner: next.owner, epoch: next.ownerEpoch }) + '\n',
    );
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
