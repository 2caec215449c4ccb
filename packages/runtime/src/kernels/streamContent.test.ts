import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseStreamContent } from './streamContent.js';

/** A content frame as jupyter_client writes it (json.dumps default separators). */
const frameOf = (name: string, text: string) =>
  Buffer.from(`{"name": ${JSON.stringify(name)}, "text": ${JSON.stringify(text)}}`);
const parsed = (frame: Buffer) => JSON.parse(frame.toString('utf8')) as unknown;

describe('parseStreamContent', () => {
  it('reads what JSON.parse reads, or declines (any text, escapes, surrogates, NUL)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('stdout', 'stderr'),
        fc.string({ unit: 'binary', maxLength: 300 }),
        (name, text) => {
          const frame = frameOf(name, text);
          const got = parseStreamContent(frame);
          if (got) expect(got).toEqual(parsed(frame));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('takes the fast path for the frames real kernels send, byte for byte as JSON.parse', () => {
    const texts = [
      'x'.repeat(999_999) + '\n' + 'x'.repeat(48_576),
      'a\n"quoted" back\\slash /slash\ttab\rcr\bbs\fff é 😀\n',
      '',
    ];
    const py = [
      'import sys, json',
      'from jupyter_client.session import json_packer',
      'for t in json.load(sys.stdin): sys.stdout.buffer.write(json_packer({"name": "stdout", "text": t}) + b"\\0")',
    ].join('\n');
    const out = execFileSync('/usr/bin/python3', ['-c', py], {
      input: JSON.stringify(texts),
      maxBuffer: 16 * 2 ** 20,
    });
    const frames = out
      .toString('latin1')
      .split('\0')
      .slice(0, -1)
      .map((s) => Buffer.from(s, 'latin1'));
    expect(frames).toHaveLength(texts.length);
    frames.forEach((frame, i) => {
      expect(parseStreamContent(frame)).toEqual({ name: 'stdout', text: texts[i] });
    });
  });

  it('declines other shapes, \\u escapes and dense escapes (JSON.parse reads those)', () => {
    const other = [
      '{"name": "stdout", "text": "a", "extra": 1}',
      '{"text": "a", "name": "stdout"}',
      '{"name": "stdin", "text": "a"}',
      '{"name":"stdout","text":"a"}',
      '{"name": "stdout", "text": "a\\u0001"}',
      '{"name": "stdout", "text": "a"b"}',
      '{"name": "stdout", "text": "a\\"}',
    ];
    for (const s of other) expect(parseStreamContent(Buffer.from(s))).toBeNull();
    const dense = frameOf('stdout', 'line\n'.repeat(10_000));
    expect(parseStreamContent(dense)).toBeNull();
    // sparse escapes in a big frame stay on the fast path
    const sparse = frameOf('stderr', ('y'.repeat(5000) + '\n').repeat(1000));
    expect(parseStreamContent(sparse)).toEqual(parsed(sparse));
  });
});
