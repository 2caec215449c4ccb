import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  JwksSchema,
  jwksThumbprint,
  SpinError,
  verifyPairingGrant,
  type Jwks,
  type PairRequest,
} from '@spin/protocol';
import { normaliseOrigin } from '../config.js';
import { writePrivateFile } from './secureFiles.js';

/**
 * Pairing state (DESIGN.md §1 "Pairing a runtime"): which server's keys this runtime trusts and
 * which browser origins may reach it. Persisted 0600 in `$SPIN_HOME/pairing.json`.
 *
 * The first pairing needs only SPIN_TOKEN. Once paired, pairing again needs the token *and* a
 * pairing grant signed by the server key the runtime is paired with (see protocol's
 * pairingGrant.ts): the token proves the operator, the grant proves that an owner of the
 * runtime's workspace (or an org admin) on the current server agreed. An operator who lost that
 * server resets the pairing on the runtime host ({@link resetPairing}, `spin runtime --unpair`).
 */
const PairingFileSchema = z.object({
  issuer: z.string(),
  jwks: JwksSchema,
  allowedOrigins: z.array(z.string()),
  pairedAt: z.string(),
});
export type Pairing = z.infer<typeof PairingFileSchema>;

/** `$SPIN_HOME/pairing.json`. */
export function pairingFile(home: string): string {
  return join(home, 'pairing.json');
}

/**
 * Forget the pairing of the runtime whose home is `home` (operator action on the runtime host,
 * while it is stopped): the next pairing needs only SPIN_TOKEN. Returns whether one existed.
 */
export function resetPairing(home: string): boolean {
  const file = pairingFile(home);
  const existed = existsSync(file);
  rmSync(file, { force: true });
  return existed;
}

/** Where a pairing grant's single use is recorded (the runtime's persisted replay cache). */
export interface GrantReplayGuard {
  /** `sync`: on the disk before it returns (pairing is rare; no lease window applies). */
  claim(jti: string, exp: number, sync?: boolean): boolean;
}

export class PairingStore {
  private current: Pairing | null = null;
  private readonly file: string;

  constructor(
    home: string,
    private readonly staticOrigins: readonly string[],
  ) {
    this.file = pairingFile(home);
    if (existsSync(this.file)) {
      this.current = PairingFileSchema.parse(JSON.parse(readFileSync(this.file, 'utf8')));
    }
  }

  get paired(): boolean {
    return this.current !== null;
  }

  get pairing(): Pairing | null {
    return this.current;
  }

  /** The paired server's public keys, or null before pairing. */
  get serverJwks(): Jwks | null {
    return this.current?.jwks ?? null;
  }

  /**
   * Check that `req` may replace the current pairing: nothing to check before the first
   * pairing; afterwards `req.grant` must be a valid, unused pairing grant of the paired server
   * for this runtime, naming exactly the server keys in `req` and every origin it asks for.
   * Throws 409 `runtime.already_paired` without a grant, 403 `runtime.pairing_grant_invalid`
   * for a bad one.
   */
  async authorizeRepair(req: PairRequest, runtimeId: string, replay: GrantReplayGuard) {
    const current = this.current;
    if (!current) return;
    if (!req.grant) {
      throw new SpinError(
        'runtime.already_paired',
        'this runtime is already paired: pairing it again needs a pairing grant from the server ' +
          'it is paired with (re-pair from that server), or reset its pairing on the runtime ' +
          'host (spin runtime --unpair)',
      );
    }
    const claims = await verifyPairingGrant(req.grant, { pairedJwks: current.jwks, runtimeId });
    const refuse = (why: string) =>
      new SpinError('runtime.pairing_grant_invalid', `pairing grant refused: ${why}`);
    if (claims.server.issuer !== req.server.issuer) {
      throw refuse(`it is for server ${claims.server.issuer}, not ${req.server.issuer}`);
    }
    if (claims.server.jwks !== (await jwksThumbprint(req.server.jwks))) {
      throw refuse('it is for other server keys');
    }
    const granted = new Set(claims.origins.map((o) => normaliseOrigin(o)));
    for (const o of req.allowedOrigins) {
      if (!granted.has(normaliseOrigin(o))) throw refuse(`origin ${o} is not in the grant`);
    }
    if (!replay.claim(`pair-grant:${claims.jti}`, claims.exp, true)) {
      throw refuse('it was already used');
    }
  }

  /**
   * Pair with the server in `req` if it may replace the current pairing
   * ({@link authorizeRepair}); a pairing that changed while the grant was being checked (a
   * concurrent request) wins, and this one is refused as `runtime.already_paired`.
   */
  async pairChecked(req: PairRequest, runtimeId: string, replay: GrantReplayGuard) {
    const before = this.current;
    await this.authorizeRepair(req, runtimeId, replay);
    if (this.current !== before) {
      throw new SpinError('runtime.already_paired', 'the runtime was paired meanwhile; retry');
    }
    return this.pair(req);
  }

  /** Store a new pairing, replacing any previous one (callers check with {@link pairChecked}). */
  pair(req: PairRequest): Pairing {
    const origins = req.allowedOrigins
      .map((o) => normaliseOrigin(o))
      .filter((o): o is string => o !== null);
    const next: Pairing = {
      issuer: req.server.issuer,
      jwks: req.server.jwks,
      allowedOrigins: [...new Set(origins)],
      pairedAt: new Date().toISOString(),
    };
    writePrivateFile(this.file, JSON.stringify(next, null, 2) + '\n');
    this.current = next;
    return next;
  }

  /** Forget the pairing (in-process reset by the operator, e.g. `spin start`). */
  unpair(): void {
    rmSync(this.file, { force: true });
    this.current = null;
  }

  /** True if a browser at `origin` may call this runtime (pairing + SPIN_ALLOWED_ORIGINS). */
  isOriginAllowed(origin: string): boolean {
    const o = normaliseOrigin(origin);
    if (!o) return false;
    return this.staticOrigins.includes(o) || (this.current?.allowedOrigins.includes(o) ?? false);
  }
}
