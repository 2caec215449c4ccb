import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SpinError } from '@spin/protocol';
import { Writable } from 'node:stream';
import { createLogger } from '../logger.js';
import { MIN_MASKABLE_LENGTH, SecretMasker, secretForms } from './secretMasker.js';

const CANARY = 'canary/Zq9+x=ü"\\ end';

function masker(): SecretMasker {
  const m = new SecretMasker();
  m.add('DB_PW', CANARY);
  return m;
}

/** Feed `text` split at `cuts` through a stream masker; return what came out. */
function streamed(m: SecretMasker, parts: string[]): { out: string; chunks: string[] } {
  const s = m.stream();
  const chunks = parts.map((p) => s.write(p));
  chunks.push(s.flush());
  return { out: chunks.join(''), chunks };
}

describe('secretForms', () => {
  it('covers the plain value and its common encodings', () => {
    const bytes = Buffer.from(CANARY, 'utf8');
    const forms = secretForms(CANARY);
    expect(forms).toContain(CANARY);
    expect(forms).toContain(bytes.toString('base64').replace(/=+$/, ''));
    expect(forms).toContain(bytes.toString('base64url'));
    expect(forms).toContain(encodeURIComponent(CANARY));
    expect(forms).toContain(bytes.toString('hex'));
    expect(forms).toContain(bytes.toString('hex').toUpperCase());
    expect(forms).toContain(JSON.stringify(CANARY).slice(1, -1));
    // Python: json.dumps (ensure_ascii), urllib.parse.quote and quote_plus
    expect(forms).toContain('canary/Zq9+x=\\u00fc\\"\\\\ end');
    expect(forms).toContain('canary/Zq9%2Bx%3D%C3%BC%22%5C%20end');
    expect(forms).toContain('canary%2FZq9%2Bx%3D%C3%BC%22%5C+end');
  });
});

describe('SecretMasker', () => {
  it('replaces every form of the value by [secret:NAME]', () => {
    const m = masker();
    for (const form of secretForms(CANARY)) {
      expect(m.mask(`before ${form} after`)).toBe('before [secret:DB_PW] after');
    }
    expect(m.mask(`padded ${Buffer.from(CANARY).toString('base64')}`)).not.toContain(
      Buffer.from(CANARY).toString('base64').replace(/=+$/, ''),
    );
  });

  it('leaves text without secrets unchanged', () => {
    expect(masker().mask('nothing to see: canary/Zq9 end')).toBe('nothing to see: canary/Zq9 end');
    expect(new SecretMasker().mask(CANARY)).toBe(CANARY);
  });

  it('masks strings and keys inside JSON values', () => {
    const m = masker();
    expect(
      m.maskDeep({ data: { 'text/plain': [CANARY], [CANARY]: 1 }, n: 2, ok: true, none: null }),
    ).toEqual({
      data: { 'text/plain': ['[secret:DB_PW]'], '[secret:DB_PW]': 1 },
      n: 2,
      ok: true,
      none: null,
    });
  });

  it('names each secret by its own name, and masks every secret of the session', () => {
    const m = masker();
    m.add('API_KEY', 'sk-live-0123456789');
    expect(m.mask(`${CANARY} and sk-live-0123456789`)).toBe('[secret:DB_PW] and [secret:API_KEY]');
  });

  it(`refuses secrets shorter than ${MIN_MASKABLE_LENGTH} characters`, () => {
    const m = new SecretMasker();
    let err: unknown;
    try {
      m.add('PIN', 'abc');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SpinError);
    expect((err as SpinError).code).toBe('secret.unavailable');
    expect((err as SpinError).message).toMatch(/shorter than 4 characters/);
    expect(m.active).toBe(false);
    expect(m.mask('abc')).toBe('abc');
  });
});

describe('the runtime logger', () => {
  it('masks secret values in every line it writes', () => {
    let written = '';
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        written += chunk.toString('utf8');
        cb();
      },
    });
    const m = new SecretMasker();
    const logger = createLogger('info', sink, (line) => m.mask(line));
    logger.info({ reason: `connect to db failed: password ${CANARY} refused` }, 'before');
    m.add('DB_PW', CANARY);
    logger.warn({ reason: `connect to db failed: password ${CANARY} refused` }, 'after');
    const [before, after] = written
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { reason: string });
    expect(before!.reason).toContain(CANARY); // not resolved yet: nothing to mask
    expect(after!.reason).toBe('connect to db failed: password [secret:DB_PW] refused');
  });
});

describe('StreamMasker', () => {
  it('masks a value written one character at a time', () => {
    const m = masker();
    const { out } = streamed(m, [...`>> ${CANARY} <<\n`]);
    expect(out).toBe('>> [secret:DB_PW] <<\n');
  });

  it('masks every encoding split at every position', () => {
    const m = masker();
    for (const form of secretForms(CANARY)) {
      const text = `x${form}y`;
      for (let cut = 1; cut < text.length; cut++) {
        const { out } = streamed(m, [text.slice(0, cut), text.slice(cut)]);
        expect(out).toBe('x[secret:DB_PW]y');
      }
    }
  });

  it('holds back nothing from text that cannot become a secret', () => {
    const m = masker();
    const s = m.stream();
    expect(s.write('hello world\n')).toBe('hello world\n');
    expect(s.write('ca')).toBe(''); // could be the start of the canary
    expect(s.write('t\n')).toBe('cat\n'); // and then it was not
    expect(s.flush()).toBe('');
  });

  it('releases a held tail on flush unchanged', () => {
    const m = masker();
    const s = m.stream();
    expect(s.write('end: canary/Z')).toBe('end: ');
    expect(s.flush()).toBe('canary/Z');
  });

  it('never lets a secret through, however the stream is cut (property)', () => {
    const m = masker();
    m.add('TOKEN', 'tok_9f8e7d6c5b4a');
    const secrets = [CANARY, 'tok_9f8e7d6c5b4a'].flatMap(secretForms);
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom(...secrets)), {
          maxLength: 12,
        }),
        fc.array(fc.nat({ max: 400 }), { maxLength: 10 }),
        (pieces, cuts) => {
          const text = pieces.join('');
          const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const parts: string[] = [];
          let last = 0;
          for (const c of at) {
            parts.push(text.slice(last, c));
            last = c;
          }
          parts.push(text.slice(last));
          const { out } = streamed(m, parts);
          expect(out).toBe(m.mask(text));
          for (const s of secrets) expect(out).not.toContain(s);
        },
      ),
      { numRuns: 300 },
    );
  });
});
