import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { JwksSchema, type Jwks, type PairRequest } from '@spin/protocol';
import { normaliseOrigin } from '../config.js';
import { writePrivateFile } from './secureFiles.js';

/**
 * Pairing state (DESIGN.md §1 "Pairing a runtime"): which server's keys this runtime trusts and
 * which browser origins may reach it. Persisted 0600 in `$SPIN_HOME/pairing.json`; pairing
 * again (with SPIN_TOKEN) replaces it.
 */
const PairingFileSchema = z.object({
  issuer: z.string(),
  jwks: JwksSchema,
  allowedOrigins: z.array(z.string()),
  pairedAt: z.string(),
});
export type Pairing = z.infer<typeof PairingFileSchema>;

export class PairingStore {
  private current: Pairing | null = null;
  private readonly file: string;

  constructor(
    home: string,
    private readonly staticOrigins: readonly string[],
  ) {
    this.file = join(home, 'pairing.json');
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

  /** Store a new pairing, replacing any previous one. */
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

  /** True if a browser at `origin` may call this runtime (pairing + SPIN_ALLOWED_ORIGINS). */
  isOriginAllowed(origin: string): boolean {
    const o = normaliseOrigin(origin);
    if (!o) return false;
    return this.staticOrigins.includes(o) || (this.current?.allowedOrigins.includes(o) ?? false);
  }
}
