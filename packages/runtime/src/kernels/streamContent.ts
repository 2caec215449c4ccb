import { isAscii } from 'node:buffer';

/**
 * The content frame of a Jupyter `stream` message as jupyter_client serialises it
 * (`json.dumps(content, ensure_ascii=False)`, default separators):
 * `{"name": "stdout", "text": "…"}`. Its text is the frame's bytes between the quotes with a
 * few escapes undone, so it is copied once instead of decoded to a string and then parsed into
 * another one (`JSON.parse` of a 1 MB frame costs about 4× the copy: the 1 MB-lines benchmark
 * spends more in it than anywhere else).
 */
const PREFIXES = {
  stdout: Buffer.from('{"name": "stdout", "text": "'),
  stderr: Buffer.from('{"name": "stderr", "text": "'),
} as const;
const PREFIX_BYTES = PREFIXES.stdout.length;

/** The byte each one-character JSON escape stands for (`\uXXXX` is left to `JSON.parse`). */
const ESCAPES = new Int16Array(256).fill(-1);
for (const [c, v] of Object.entries({
  '"': 0x22,
  '\\': 0x5c,
  '/': 0x2f,
  b: 8,
  f: 12,
  n: 10,
  r: 13,
  t: 9,
})) {
  ESCAPES[c.charCodeAt(0)] = v;
}

/** Text this dense in escapes is parsed faster by `JSON.parse` (one native call per escape here). */
const escapesAllowed = (bytesDone: number) => 64 + (bytesDone >> 10);

/** Frames up to this size are unescaped into one reused buffer (larger ones get their own). */
const SCRATCH_MAX = 4 * 1024 * 1024;
let scratch = Buffer.allocUnsafe(0);

/**
 * `{ name, text }` of a stream message's content frame in jupyter_client's form, exactly as
 * `JSON.parse(frame.toString('utf8'))` reads it; null for any other shape (then the caller
 * parses it as JSON). A frame from a signed message only, so raw control characters (which
 * JSON forbids and jupyter_client escapes) are not looked for.
 */
export function parseStreamContent(frame: Buffer): { name: string; text: string } | null {
  const n = frame.length;
  if (n < PREFIX_BYTES + 2 || frame[n - 2] !== 0x22 || frame[n - 1] !== 0x7d) return null;
  const name =
    frame.compare(PREFIXES.stdout, 0, PREFIX_BYTES, 0, PREFIX_BYTES) === 0
      ? 'stdout'
      : frame.compare(PREFIXES.stderr, 0, PREFIX_BYTES, 0, PREFIX_BYTES) === 0
        ? 'stderr'
        : null;
  if (!name) return null;
  const end = n - 2; // the closing quote
  const size = end - PREFIX_BYTES;
  let out = scratch;
  if (size > out.length) {
    out = Buffer.allocUnsafe(size);
    if (size <= SCRATCH_MAX) scratch = out;
  }
  let o = 0;
  let i = PREFIX_BYTES;
  let quote = frame.indexOf(0x22, i);
  let escapes = 0;
  for (;;) {
    let bs = frame.indexOf(0x5c, i);
    if (bs < 0 || bs > end) bs = end;
    if (quote < i) quote = frame.indexOf(0x22, i);
    if (quote < bs) return null; // an unescaped quote before the end: not one string
    o += frame.copy(out, o, i, bs);
    if (bs === end) break;
    const byte = ESCAPES[frame[bs + 1]!]!;
    if (byte < 0 || ++escapes > escapesAllowed(i - PREFIX_BYTES)) return null;
    out[o++] = byte;
    i = bs + 2;
    if (i > end) return null; // the last quote was escaped: the string does not end there
  }
  const body = out.subarray(0, o);
  return { name, text: body.toString(isAscii(body) ? 'latin1' : 'utf8') };
}
