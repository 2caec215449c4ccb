import { SpinError } from '@spin/protocol';

/**
 * Shortest secret the runtime hands to a cell. A shorter value cannot be masked safely: it
 * would blank out ordinary text (`abc` in every word) while still being guessable, so the
 * runtime refuses to resolve it (`secret.unavailable`) instead of using it unmasked.
 */
export const MIN_MASKABLE_LENGTH = 4;

const HEX = '0123456789ABCDEF';

/** Percent-encode UTF-8 bytes except ASCII letters, digits and `safe` (uppercase hex, RFC 3986). */
function percentEncode(value: string, safe: string, spaceAsPlus = false): string {
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    const ch = String.fromCharCode(byte);
    if (/[A-Za-z0-9]/.test(ch) || (byte < 0x80 && safe.includes(ch))) out += ch;
    else if (spaceAsPlus && byte === 0x20) out += '+';
    else out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
  }
  return out;
}

/** JSON string body as Python's `json.dumps` writes it by default (`ensure_ascii=True`). */
function jsonAscii(value: string): string {
  return JSON.stringify(value)
    .slice(1, -1)
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A string's body as Python's `repr` writes it in single quotes (when it holds both quotes). */
function pythonRepr(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/'/g, "\\'")
    .replace(/\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, '\\t');
}

/**
 * The forms in which a cell is likely to print a secret: the value itself, base64 and base64url
 * (padding left out, so padded and unpadded output both match), URL-encoded the way JavaScript's
 * `encodeURIComponent` and Python's `quote`/`quote_plus` write it, hex (both cases), the body
 * of a JSON string (JavaScript and Python `json.dumps` escaping) and of a Python `repr`.
 */
export function secretForms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms = [
    value,
    JSON.stringify(value).slice(1, -1),
    jsonAscii(value),
    pythonRepr(value),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    encodeURIComponent(value),
    percentEncode(value, '_.-~/'),
    percentEncode(value, '_.-~', true),
    bytes.toString('hex'),
    bytes.toString('hex').toUpperCase(),
  ];
  return [...new Set(forms)].filter((f) => f.length >= MIN_MASKABLE_LENGTH);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

interface Pattern {
  text: string;
  replacement: string;
}

/**
 * Replaces every secret value resolved for a session — in each of its {@link secretForms} — by
 * `[secret:NAME]` before output leaves the runtime (journal events, the receipt's digest input,
 * spilled blobs, cell results on disk). One combined RegExp (alternatives longest first, so
 * the longest form at a position wins) does the matching; streamed text goes through a
 * {@link StreamMasker}, which holds back only a tail that could still become a secret.
 */
export class SecretMasker {
  private readonly patterns = new Map<string, Pattern>();
  private readonly values = new Map<string, string>();
  private regex: RegExp | null = null;
  /** Patterns by first character, for the stream tail check. */
  private byFirst = new Map<string, string[]>();
  private longest = 0;

  /** Whether anything is masked (no secret resolved: output passes through untouched). */
  get active(): boolean {
    return this.patterns.size > 0;
  }

  /** Length of the longest form (a stream never holds back more than this minus one). */
  get maxPatternLength(): number {
    return this.longest;
  }

  /**
   * Mask `value` as `[secret:name]` from now on. Throws `secret.unavailable` for values shorter
   * than {@link MIN_MASKABLE_LENGTH} (they cannot be masked safely).
   */
  add(name: string, value: string): void {
    if (value.length < MIN_MASKABLE_LENGTH) {
      throw new SpinError(
        'secret.unavailable',
        `secret "${name}" is shorter than ${MIN_MASKABLE_LENGTH} characters, so it could not be masked in outputs; the runtime refuses to use it`,
      );
    }
    if (this.values.get(value) === name) return;
    this.values.set(value, name);
    const replacement = `[secret:${name}]`;
    for (const text of secretForms(value)) this.patterns.set(text, { text, replacement });
    this.rebuild();
  }

  private rebuild(): void {
    const texts = [...this.patterns.keys()].sort((a, b) => b.length - a.length);
    this.regex = new RegExp(texts.map(escapeRegExp).join('|'), 'g');
    this.byFirst = new Map();
    for (const t of texts) {
      const list = this.byFirst.get(t[0]!) ?? [];
      list.push(t);
      this.byFirst.set(t[0]!, list);
    }
    this.longest = texts[0]?.length ?? 0;
  }

  /** `text` with every secret form replaced. */
  mask(text: string): string {
    if (!this.regex || text.length < MIN_MASKABLE_LENGTH) return text;
    return text.replace(this.regex, (m) => this.patterns.get(m)!.replacement);
  }

  /** Mask every string (and object key) in a JSON-like value; other values pass unchanged. */
  maskDeep<T>(value: T): T {
    if (!this.regex) return value;
    return this.deep(value, 0) as T;
  }

  private deep(value: unknown, depth: number): unknown {
    if (typeof value === 'string') return this.mask(value);
    if (value === null || typeof value !== 'object' || depth > 256) return value;
    if (Array.isArray(value)) return value.map((v) => this.deep(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[this.mask(k)] = this.deep(v, depth + 1);
    return out;
  }

  /**
   * Where the tail of `text` that could still grow into a secret form starts (`text.length`
   * when none could): the earliest suffix, not before `from`, that is a proper prefix of a form.
   */
  holdFrom(text: string, from: number): number {
    const start = Math.max(from, text.length - this.longest + 1);
    for (let i = start; i < text.length; i++) {
      const candidates = this.byFirst.get(text[i]!);
      if (!candidates) continue;
      const rest = text.length - i;
      for (const p of candidates) {
        if (p.length > rest && p.startsWith(text.slice(i))) return i;
      }
    }
    return text.length;
  }

  /** A masker for one output stream (stdout or stderr of one run). */
  stream(): StreamMasker {
    return new StreamMasker(this);
  }
}

/**
 * Masks a stream whose secrets may arrive split across chunks (a value printed one character
 * at a time): it holds back the shortest tail that is still the start of a secret form, and
 * only that — text that cannot become one passes at once. `flush` at the end of the run (or
 * before another output, to keep the order) releases the tail.
 */
export class StreamMasker {
  private pending = '';

  constructor(private readonly masker: SecretMasker) {}

  /** Masked text ready to go out now (possibly empty while a tail is held back). */
  write(chunk: string): string {
    if (!this.masker.active) {
      const out = this.pending + chunk;
      this.pending = '';
      return out;
    }
    const text = this.pending + chunk;
    const masked = this.masker.mask(text);
    // Secrets already replaced end before the last "[secret:" marker; hold back from there on.
    const lastMarker = masked.lastIndexOf('[secret:');
    const afterMarker = lastMarker < 0 ? 0 : masked.indexOf(']', lastMarker) + 1;
    const hold = this.masker.holdFrom(masked, afterMarker);
    this.pending = masked.slice(hold);
    return masked.slice(0, hold);
  }

  /** Release the held-back tail (it is not a whole secret form). */
  flush(): string {
    const out = this.pending;
    this.pending = '';
    return out;
  }
}
